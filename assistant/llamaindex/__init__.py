"""The assistant in the llama-index ecosystem: a retriever, a query engine, a chat engine and an
agent tool over an ``Assistant`` (its ``as_retriever``, ``as_query_engine``, ``as_chat_engine`` and
``as_tool``, which import these modules on first use, so the plain query path imports no
llama-index). See docs/integrations.md, "llama-index".

One job a file: ``nodes`` (citations as llama-index nodes, answers as Responses), ``retriever``,
``stream`` (the draft deltas and the checked answer of a stream), ``query_engine``, ``chat_engine``,
``tool``.
"""
