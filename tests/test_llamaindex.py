"""The assistant as llama-index parts (assistant/llamaindex/), on the bundled sample, with real
llama-index components around it: a fusion retriever mixing ours with another index, a router,
llama-index's retrieval evaluator over the Wikinews questions, a chat engine and an agent tool.

The code is docs/integrations.md's: its llama-index section's Python blocks run here in order, in
one namespace holding ``assistant`` (the sample store) and ``labelled`` (the Wikinews questions with
the passages that hold their answers), and the tests check what they made. No LLM and no network;
the LLM mode's streaming runs against the Ollama stand-in of tests/llm_servers.py (the ``llm`` tier).
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response

from assistant import Assistant
from assistant.config import Settings
from assistant.errors import InputError
from assistant.llamaindex.nodes import METADATA, node_id
from assistant.llamaindex.query_engine import CheckedStreamingResponse
from assistant.llamaindex.stream import CheckedStream
from assistant.llamaindex.tool import ABSTAINED
from assistant.schema import Answer, Citation, Filters
from tests.conftest import ROOT, SAMPLE_QA_FILE
from tests.llm_servers import OllamaStub, scripted

DOC = ROOT / "docs" / "integrations.md"
FOUNDED = "Who founded the FIRST Global competition?"
TEAMS = "How many teams took part in the FIRST Global Challenge?"
NOT_COVERED = "What is the capital of Australia?"


def doc_blocks() -> list[str]:
    """The Python blocks of the doc's llama-index section, in order."""
    section = DOC.read_text(encoding="utf-8").split("\n## llama-index\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def labelled_questions(assistant: Assistant) -> list[tuple[str, list[str]]]:
    """The sample's answerable Wikinews questions, each with the ids of the stored passages (chunks)
    its evidence stands in, as the retriever names nodes (<article_id>:<start>-<end>): read from
    the store's chunks, not from the retriever under test."""
    rows = [json.loads(line) for line in SAMPLE_QA_FILE.read_text(encoding="utf-8").splitlines() if line]
    texts = {a.article_id: a.text for a in assistant.articles()}
    labelled = []
    for row in rows:
        evidence = row.get("evidence")
        if row.get("abstain") or not evidence:
            continue
        ids = []
        for article_id, text in texts.items():
            at = text.find(evidence)
            if at < 0:
                continue
            for chunk in assistant._store.iter_chunks([article_id]):
                start, end = int(chunk.metadata["start"]), int(chunk.metadata["end"])
                if start < at + len(evidence) and at < end:
                    ids.append(f"{article_id}:{start}-{end}")
        assert ids, f"{row['id']}: evidence not in the sample: {evidence!r}"
        labelled.append((row["question"], ids))
    return labelled


@pytest.fixture(scope="module")
def doc(sample) -> dict:
    """The doc's blocks, run in order in one namespace."""
    namespace = {"assistant": sample, "labelled": labelled_questions(sample)}
    blocks = doc_blocks()
    assert len(blocks) == 6, "docs/integrations.md's llama-index section changed: update this test"
    for n, block in enumerate(blocks, start=1):
        exec(compile(block, f"<docs/integrations.md, llama-index block {n}>", "exec"), namespace)
    return namespace


def stands(assistant: Assistant, found) -> bool:
    """Whether a node's text stands at its offsets in the article as the store holds it."""
    meta = found.node.metadata
    return assistant.article(meta["article_id"]).text[meta["start"] : meta["end"]] == found.node.text


def cited(answer: Answer) -> list[tuple[str, str]]:
    return [(node_id(c), c.quote) for c in answer.citations]


def nodes_of(response) -> list[tuple[str, str]]:
    return [(n.node.node_id, n.node.text) for n in response.source_nodes]


# ----- retrieval ------------------------------------------------------------------------------------


def test_retrieved_nodes_are_verified_passages_with_their_metadata(doc, sample):
    nodes = doc["nodes"]
    assert 1 <= len(nodes) <= 5
    assert "founded by Dean Kamen" in nodes[0].node.text
    scores = [n.score for n in nodes]
    assert scores == sorted(scores, reverse=True)
    for found in nodes:
        meta = found.node.metadata
        assert set(meta) == set(METADATA) and meta["source"] == "Wikinews" and meta["url"]
        assert found.node.node_id == f"{meta['article_id']}:{meta['start']}-{meta['end']}"
        assert found.node.ref_doc_id == meta["article_id"]
        assert (found.node.start_char_idx, found.node.end_char_idx) == (meta["start"], meta["end"])
        assert stands(sample, found)
        # what an LLM reading the node sees: where it comes from, not the offsets
        shown = found.node.get_content(metadata_mode="llm")
        assert meta["title"] in shown and "article_id" not in shown
    # the same passages as Assistant.search, and asynchronously
    assert [n.node.text for n in nodes] == [c.quote for c in sample.search(FOUNDED, top_k=5)]
    again = asyncio.run(doc["retriever"].aretrieve(FOUNDED))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in nodes]


def test_retriever_keeps_filters_and_the_day_asked(sample):
    from datetime import date

    # the FIRST Global article is of 2017-07-18: asked as of 2016 it is not yet published
    before = sample.as_retriever(top_k=5, as_of=date(2016, 1, 1)).retrieve(FOUNDED)
    assert before and all((n.node.metadata["published"] or "") <= "2016-01-01" for n in before)
    dawn = sample.as_retriever(top_k=3, filters=Filters(source="Dawn")).retrieve(FOUNDED)
    assert dawn and {n.node.metadata["source"] for n in dawn} == {"Dawn"}
    with pytest.raises(InputError):
        sample.as_retriever().retrieve("   ")


def test_fusion_retriever_mixes_our_passages_with_another_index(doc, sample):
    fused = doc["fused_nodes"]
    ours = [n for n in fused if "article_id" in n.node.metadata]
    theirs = [n for n in fused if "article_id" not in n.node.metadata]
    assert ours and theirs, [n.node.text[:40] for n in fused]
    assert all(n.node.text.startswith("Style guide:") for n in theirs)
    assert all(stands(sample, n) for n in ours)
    # reciprocal-rank fusion keeps our own order among our passages
    assert [n.node.node_id for n in ours] == [n.node.node_id for n in doc["nodes"]][: len(ours)]
    assert "founded by Dean Kamen" in ours[0].node.text


# ----- answers --------------------------------------------------------------------------------------


def test_query_engine_response_is_our_answer_with_its_citations(doc, sample):
    response, answer = doc["response"], sample.ask(FOUNDED)
    assert isinstance(response, Response) and response.response == answer.text
    assert "Dean Kamen" in response.response
    assert nodes_of(response) == cited(answer) and response.source_nodes
    assert all(stands(sample, n) for n in response.source_nodes)
    meta = response.metadata
    assert meta["abstained"] is False and meta["confidence"] == answer.confidence > 0
    assert meta["mode"] == "extractive" and meta["question"] == FOUNDED
    # asynchronously, the same
    again = asyncio.run(doc["engine"].aquery(FOUNDED))
    assert again.response == answer.text and nodes_of(again) == cited(answer)


def test_an_abstention_is_a_response_marked_abstained(doc, sample):
    response, answer = doc["engine"].query(NOT_COVERED), sample.ask(NOT_COVERED)
    assert response.metadata["abstained"] is True and answer.abstained
    assert response.response == answer.text and nodes_of(response) == cited(answer)
    with pytest.raises(InputError):
        doc["engine"].query("")
    with pytest.raises(InputError):  # raised by the call, not later by whoever reads the stream
        sample.as_query_engine(streaming=True).query("")


def test_streamed_response_ends_as_the_checked_answer(doc, sample):
    streamed, answer = doc["streamed"], sample.ask(FOUNDED)
    assert isinstance(streamed, CheckedStreamingResponse)
    assert doc["checked"] == answer.text == streamed.get_response().response
    assert nodes_of(streamed) == cited(answer) and streamed.metadata["abstained"] is False
    # the extractive mode streams the answer in one piece
    fresh = sample.as_query_engine(streaming=True).query(FOUNDED)
    assert list(fresh.response_gen) == [answer.text]

    async def read():
        response = await sample.as_query_engine(streaming=True).aquery(FOUNDED)
        deltas = [d async for d in response.async_response_gen()]
        return deltas, await response.get_response()

    deltas, whole = asyncio.run(read())
    assert deltas == [answer.text] and whole.response == answer.text and nodes_of(whole) == cited(answer)


def test_chat_engine_answers_follow_ups_as_standalone_questions(doc, sample):
    reply, chat = doc["reply"], doc["chat"]
    standalone = sample.standalone("Who founded it?", [TEAMS])
    assert standalone != "Who founded it?"
    assert reply.metadata["question"] == standalone
    assert reply.response == sample.ask("Who founded it?", history=[TEAMS]).text
    assert "Dean Kamen" in reply.response and all(stands(sample, n) for n in reply.source_nodes)
    assert [m.role for m in chat.chat_history] == [MessageRole.USER, MessageRole.ASSISTANT] * 2
    assert chat.chat_history[2].content == "Who founded it?"
    assert chat.chat_history[3].content == reply.response
    assert nodes_of(reply.sources[0].raw_output) == nodes_of(reply)

    # streamed, the same turn; and a history passed in is read as the earlier questions
    streaming = sample.as_chat_engine()
    streaming.chat(TEAMS)
    streamed = streaming.stream_chat("Who founded it?")
    assert "".join(streamed.response_gen) == reply.response == streamed.response
    assert nodes_of(streamed) == nodes_of(reply) and streamed.metadata["question"] == standalone
    assert len(streaming.chat_history) == 4
    streaming.reset()
    assert streaming.chat_history == []
    given = asyncio.run(
        streaming.achat("Who founded it?", chat_history=[ChatMessage(role=MessageRole.USER, content=TEAMS)])
    )
    assert given.metadata["question"] == standalone and given.response == reply.response

    async def astream():
        fresh = sample.as_chat_engine()
        response = await fresh.astream_chat("Who founded it?", chat_history=[ChatMessage(content=TEAMS)])
        return "".join([d async for d in response.async_response_gen()]), response

    text, response = asyncio.run(astream())
    assert text == reply.response == response.response and nodes_of(response) == nodes_of(reply)


def test_router_sends_the_news_question_to_the_assistant(doc, sample):
    routed, styled = doc["routed"], doc["styled"]
    assert routed.metadata["selector_result"].ind == 0
    assert routed.response == sample.ask(FOUNDED).text and routed.source_nodes
    assert all(stands(sample, n) for n in routed.source_nodes)
    # and a question about the style guide elsewhere: the selector does choose
    assert styled.metadata["selector_result"].ind == 1
    assert styled.source_nodes and all(n.node.text.startswith("Style guide:") for n in styled.source_nodes)


def test_llama_index_retriever_evaluator_on_the_wikinews_questions(doc):
    labelled, results = doc["labelled"], doc["results"]
    assert len(labelled) >= 30 and len(results) == len(labelled)
    for (question, expected), result in zip(labelled, results, strict=True):
        assert result.query == question and result.expected_ids == expected
        assert set(result.metric_vals_dict) == {"hit_rate", "mrr"}
        hit = bool(set(result.retrieved_ids) & set(expected))
        assert result.metric_vals_dict["hit_rate"] == float(hit)
    # the evidence passage is among the top 5 for nearly every question, mostly first
    assert doc["hit_rate"] >= 0.9, doc["hit_rate"]
    assert doc["mrr"] >= 0.75, doc["mrr"]


def test_agent_tool_answers_with_sources_and_says_when_it_abstains(doc, sample):
    tool, output, declined = doc["tool"], doc["output"], doc["declined"]
    description = tool.metadata.description
    assert "abstains" in description and ABSTAINED in description
    assert tool.metadata.name == "news_assistant" and "question" in tool.metadata.fn_schema_str
    answer = sample.ask(FOUNDED)
    assert output.content.startswith(answer.text + "\n\nSources:\n[1] “")
    assert answer.citations[0].quote in output.content and answer.citations[0].url in output.content
    assert isinstance(output.raw_output, Response) and nodes_of(output.raw_output) == cited(answer)
    assert declined.content.startswith(ABSTAINED) and declined.raw_output.metadata["abstained"]
    assert not output.content.startswith(ABSTAINED)
    again = asyncio.run(tool.acall(question=FOUNDED))
    assert again.content == output.content


# ----- the LLM mode's stream ------------------------------------------------------------------------

SINAI = "How many died in the Sinai crash?"


@pytest.fixture
def llm_assistant(seeded):
    """The seed store in the LLM mode, the model an Ollama stand-in whose draft holds a claim no
    article supports (tests/llm_servers.py): the checked answer drops it."""
    stub = OllamaStub(scripted({}))
    settings = Settings.from_env(
        env={},
        llm="ollama",
        llm_model="stub-model",
        llm_base_url=stub.url,
        llm_first_token_timeout=600.0,
        llm_timeout=600.0,
    )
    yield Assistant(store_dir=seeded.settings.store_dir, settings=settings, read_only=True)
    stub.stop()


@pytest.mark.llm
def test_llm_mode_streams_the_draft_then_the_checked_answer(llm_assistant, capsys):
    *deltas, final = list(llm_assistant.stream(SINAI))
    assert len(deltas) > 1 and final.mode == "llm" and final.unverified  # the stand-in's claim
    draft = "".join(deltas)
    assert draft != final.text

    streamed = llm_assistant.as_query_engine(streaming=True).query(SINAI)
    assert list(streamed.response_gen) == deltas
    assert str(streamed) == final.text and nodes_of(streamed) == cited(final)
    assert streamed.metadata["mode"] == "llm" and streamed.metadata["unverified"] == final.unverified

    shown = llm_assistant.as_query_engine(streaming=True).query(SINAI)
    shown.print_response_stream()
    printed = capsys.readouterr().out
    assert printed.startswith(draft) and printed.rstrip().endswith(final.text)

    chat = llm_assistant.as_chat_engine()
    reply = chat.stream_chat(SINAI)
    assert "".join(reply.response_gen) == draft and reply.response == final.text
    assert chat.chat_history[-1].content == final.text


# ----- streaming, without a store -------------------------------------------------------------------


def test_checked_stream_shows_the_draft_and_keeps_the_checked_answer(capsys):
    quote = Citation(
        "It rained.", "a1", "Weather", "Wire", "2024-01-02", "https://example.org/w", 10, 20, 1.0
    )
    checked = Answer(text="It rained [1].", abstained=False, citations=[quote], mode="llm", confidence=0.8)
    for items, shown in (
        (["It rained [1]. ", "It snowed [2]."], "It rained [1]. It snowed [2]."),
        ([], checked.text),  # the extractive mode: the answer in one piece
    ):
        response = CheckedStreamingResponse(response_gen=iter(()))
        response.stream = CheckedStream(iter([*items, checked]), response.finish)
        response.response_gen = response.stream.deltas()
        assert response.response_txt is None  # nothing is taken for the answer before it comes
        response.print_response_stream()
        printed = capsys.readouterr().out
        assert printed.startswith(shown)
        assert ("Checked against the articles:" in printed) == (shown != checked.text)
        assert str(response) == checked.text and response.metadata["confidence"] == 0.8
        assert nodes_of(response) == [("a1:10-20", "It rained.")]
        assert response.source_nodes[0].node.metadata["url"] == "https://example.org/w"
