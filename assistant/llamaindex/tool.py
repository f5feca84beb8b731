"""The assistant as a tool for llama-index agents."""

from __future__ import annotations

import asyncio

from llama_index.core.base.response.schema import Response
from llama_index.core.tools import FunctionTool

from assistant.llamaindex.chat_engine import TOOL_NAME
from assistant.llamaindex.query_engine import NewsQueryEngine

ABSTAINED = "ABSTAINED:"  # how the tool's text opens when the articles don't answer
DESCRIPTION = (
    "Answers a question about the news articles loaded into the news assistant (events, people, "
    "places, organisations, figures, dates), quoting them: the answer has [n] markers, then the "
    "sources, each quote verbatim from its article with title, source, date and URL. Input: one "
    "standalone question in plain language. It knows only those articles, nothing published "
    "after them and no general knowledge. It abstains when no loaded article supports an answer "
    f"with enough confidence: its text then opens with '{ABSTAINED}' and says the articles don't "
    "cover the question (at most quoting the closest passage, marked as not an answer); do not "
    "answer from it then: say the articles don't cover it, or use another tool."
)


def news_tool(engine: NewsQueryEngine, name: str = TOOL_NAME, description: str = DESCRIPTION) -> FunctionTool:
    """A FunctionTool over ``engine`` (not streaming): the agent reads ``tool_text`` (the answer,
    then its sources); the ToolOutput's ``raw_output`` is the answer as a Response, so an agent's
    reply lists the citations in its ``source_nodes``."""

    def answer(question: str) -> Response:
        """Answer a question from the loaded news articles, or abstain."""
        return engine.query(question)

    async def aanswer(question: str) -> Response:
        """Answer a question from the loaded news articles, or abstain."""
        return await asyncio.to_thread(engine.query, question)

    async def atool_text(response: Response) -> str:
        return tool_text(response)

    return FunctionTool.from_defaults(
        fn=answer,
        async_fn=aanswer,
        name=name,
        description=description,
        callback=tool_text,
        async_callback=atool_text,
    )


def tool_text(response: Response) -> str:
    """What the agent reads: the answer (opening with ABSTAINED when it abstains), then one line
    per source: [n] “quote” — title, source, date, url."""
    meta = response.metadata or {}
    text = f"{ABSTAINED} {response.response}" if meta.get("abstained") else str(response.response)
    lines = []
    for n, found in enumerate(response.source_nodes, start=1):
        info = found.node.metadata
        about = ", ".join(str(info[k]) for k in ("title", "source", "published", "url") if info.get(k))
        lines.append(f"[{n}] “{found.node.get_content()}” — {about}")
    return text + ("\n\nSources:\n" + "\n".join(lines) if lines else "")
