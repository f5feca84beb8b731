"""The MCP server through the SDK's own client, over both transports: stdio (spawning
``assistant mcp``) and streamable HTTP at /mcp of the real app (``python app.py``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import API_TOKEN as TOKEN
from tests.webapp import SEED, seed_store

SINAI = "How many died in the Sinai crash?"
ASSISTANT = Path(sys.executable).with_name("assistant")  # the console script, as an MCP client runs it
TOOLS = {"ask", "search_articles", "get_article", "list_sources", "timeline", "watches"}


async def exercise(client: Client, root: str = "") -> None:
    """List the tools, call each and check what comes back, then the refusals. ``root``: the app's
    URL when served over HTTP, where each source links to the article reader at its quote; over
    stdio there is no reader to link to."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS and all(t.output_schema for t in tools.values()), tools
    assert set(tools["ask"].input_schema["properties"]) == {
        "question",
        "as_of",
        "source",
        "date_from",
        "date_to",
    }
    assert tools["ask"].input_schema["required"] == ["question"]

    ask = await client.call_tool("ask", {"question": SINAI, "source": "Dawn", "date_from": "2015-11-01"})
    assert not ask.is_error, ask
    answer = ask.structured_content
    assert "224" in answer["answer"] and "[1]" in answer["answer"] and not answer["abstained"]
    cited = answer["citations"][0]
    assert "224" in cited["quote"] and cited["source"] == "Dawn" and cited["published"] == "2015-11-18"
    text = ask.content[0].text  # what a model reads: the answer, then its sources
    assert "[1]" in text and "Sources:" in text and cited["quote"] in text
    reader = f"{root}/articles/{cited['article_id']}#q={cited['start']}-{cited['end']}"
    assert (f"({reader})" in text) == bool(root), text

    search = await client.call_tool("search_articles", {"query": "Russian airliner bomb", "k": 3})
    assert not search.is_error, search
    passages = search.structured_content["passages"]
    assert 1 <= len(passages) <= 3 and any("224" in p["quote"] for p in passages), passages
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True) and scores[0] >= 0.5

    article = await client.call_tool("get_article", {"article_id": cited["article_id"]})
    assert not article.is_error, article
    body = article.structured_content
    assert body["source"] == "Dawn" and body["text"][cited["start"] : cited["end"]] == cited["quote"]
    for p in passages:  # passages are verbatim at their offsets too
        assert body["text"][p["start"] : p["end"]] == p["quote"]

    sources = await client.call_tool("list_sources", {})
    assert sources.structured_content == {
        "sources": [
            {"source": "Dawn", "articles": 1, "first_published": "2015-11-18", "last_published": "2015-11-18"}
        ],
        "articles": 1,
    }

    watched = await client.call_tool("watches", {"unseen": True})
    assert not watched.is_error and set(watched.structured_content) == {"watches", "changes", "unseen"}
    assert watched.structured_content["changes"] == []  # no watch's answer has changed here

    filtered = await client.call_tool("ask", {"question": SINAI, "source": "Reuters"})
    assert filtered.structured_content["abstained"] and filtered.structured_content["citations"] == []
    as_of = await client.call_tool("ask", {"question": SINAI, "as_of": "2015-11-20"})
    assert not as_of.is_error and "224" in as_of.structured_content["answer"]
    too_early = await client.call_tool("ask", {"question": SINAI, "as_of": "2015-11-01"})
    assert too_early.structured_content["abstained"]  # the article was not published yet

    # bad input: a tool error (or, for a tool that does not exist, a protocol error) with the reason
    for name, arguments, words in [
        ("ask", {"question": "   "}, "empty"),
        ("ask", {}, "question"),
        ("ask", {"question": SINAI, "date_from": "last week"}, "date_from"),
        ("search_articles", {"query": SINAI, "k": 0}, "k"),
        ("search_articles", {"query": SINAI, "k": "many"}, "k"),
        ("get_article", {"article_id": "no-such-article"}, "no article"),
        ("watches", {"limit": 0}, "limit"),
    ]:
        result = await client.call_tool(name, arguments)
        assert result.is_error and words in result.content[0].text, (name, arguments, result)
    try:
        result = await client.call_tool("delete_everything", {})
        assert result.is_error and "delete_everything" in result.content[0].text, result
    except MCPError as exc:
        assert "delete_everything" in str(exc)

    again = await client.call_tool("ask", {"question": SINAI})  # and it keeps serving
    assert "224" in again.structured_content["answer"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A copy of the session's seed store (`assistant ingest` of the seed, tests/webapp.py)."""
    folder = tmp_path_factory.mktemp("mcp-store")
    shutil.copytree(seed_store(SEED)[0], folder, dirs_exist_ok=True)
    return folder


def test_stdio(store):
    params = StdioServerParameters(
        command=str(ASSISTANT),
        args=["--store", str(store), "mcp"],
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )

    async def run() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            await exercise(client)

    asyncio.run(run())


@pytest.fixture(scope="module")
def server(api_app):
    return api_app  # the session's app with the token (tests/conftest.py)


def test_stdio_beside_the_app(server):
    """The documented stdio config (docs/integrations.md) on the store the running app serves: the
    app is that embedded store's writer, and ``assistant mcp`` only reads, so it starts anyway,
    and its ``watches`` tool reads a watch the app added, with the app's answer."""
    params = StdioServerParameters(
        command=str(ASSISTANT),
        args=["--store", str(server.store), "mcp"],
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    added = httpx.post(f"{server.url}/api/watches", json={"question": SINAI}, headers=bearer, timeout=120)
    assert added.status_code == 200, added.text

    async def run() -> dict:
        async with Client(params, read_timeout_seconds=120) as client:
            await exercise(client)
            return (await client.call_tool("watches", {})).structured_content

    try:
        watched = asyncio.run(run())
    finally:  # the app is the session's
        httpx.delete(f"{server.url}/api/watches/{added.json()['watch_id']}", headers=bearer, timeout=60)
    [watch] = watched["watches"]
    assert watch["question"] == SINAI and "224" in watch["answer"]["answer"] and "known" not in watch
    assert server.process.poll() is None  # the app kept serving, and still answers
    ask = httpx.post(
        f"{server.url}/api/ask",
        json={"question": SINAI},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert "224" in ask.json()["answer"]


def test_streamable_http(server):
    async def run() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=120) as http,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as client,
        ):
            await exercise(client, root=server.url)

    asyncio.run(run())


def test_http_wrong_token_is_refused(server):
    async def run(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as client,
        ):
            await client.list_tools()

    with pytest.raises(ExceptionGroup) as caught:  # the SDK's error says no more than this; the 401 below
        asyncio.run(run("wrong"))
    assert caught.group_contains(MCPError, match="error response"), repr(caught.value)
    raw = httpx.post(f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert raw.status_code == 401 and raw.headers["www-authenticate"].startswith("Bearer")
    assert raw.json()["error"] == "invalid_token"
    huge = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "ask", "arguments": {}}}
    huge["params"]["arguments"]["question"] = "x" * 1_000_000
    too_big = httpx.post(f"{server.url}/mcp", json=huge, headers={"Authorization": f"Bearer {TOKEN}"})
    assert too_big.status_code == 413, too_big.text
    assert httpx.get(f"{server.url}/healthz").status_code == 200
