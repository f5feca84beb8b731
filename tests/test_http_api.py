"""The HTTP API against the real app (``python app.py``) on a free loopback port."""

from __future__ import annotations

import html
import json
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import API_TOKEN as TOKEN

SINAI = "How many died in the Sinai crash?"


@pytest.fixture(scope="module")
def server(api_app):
    return api_app  # the session's app with the token (tests/conftest.py)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as c:
        yield c


def test_healthz_and_docs(server, client):
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"  # no token needed
    docs = httpx.get(f"{server.url}/docs")  # no token needed, nor any other host (web/docs.py)
    assert docs.status_code == 200 and "cdn." not in docs.text and "https://" not in docs.text
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', docs.text)
    assert len(assets) >= 2, docs.text  # the script and the style
    for asset in assets:
        assert httpx.get(f"{server.url}{asset}").status_code == 200, asset
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/articles", "/api/articles/{article_id}"} <= set(spec["paths"])


def test_ask_returns_answer_json(client):
    response = client.post("/api/ask", json={"question": SINAI})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"answer", "abstained", "confidence", "citations", "mode", "notice", "unverified"}
    assert not body["abstained"] and "224" in body["answer"] and "[1]" in body["answer"]
    # no LLM configured: the extractive answer, nothing to report about how it was made
    assert body["mode"] == "extractive" and body["notice"] is None and body["unverified"] == []
    quote = body["citations"][0]
    assert "224" in quote["quote"] and quote["source"] == "Dawn" and quote["published"] == "2015-11-18"


def test_article_reader_holds_the_text_at_its_offsets(client):
    """GET /articles/{id}: headline, source, date, then every line of the clean text as written,
    at the offset the page's script highlights from (#q=start-end)."""
    cited = client.post("/api/ask", json={"question": SINAI}).json()["citations"][0]
    article = client.get(f"/api/articles/{cited['article_id']}").json()
    page = client.get(f"/articles/{cited['article_id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Dawn" in page.text and '<time datetime="2015-11-18">18 Nov 2015</time>' in page.text
    lines = {
        int(start): html.unescape(line)
        for start, line in re.findall(r'<p data-start="(\d+)">(.*?)</p>', page.text)
    }
    assert "".join(lines.values()) == article["text"].replace("\n", "")
    for start, line in lines.items():
        assert article["text"][start : start + len(line)] == line
    holding = [s for s, line in lines.items() if s <= cited["start"] and cited["end"] <= s + len(line)]
    assert holding, "the quote lies in one line of the page"
    missing = client.get("/articles/no-such-article")
    assert missing.status_code == 404 and "No such article" in missing.text


def events(response: httpx.Response) -> list[tuple[str, dict]]:
    """Server-sent events as (name, JSON data) pairs."""
    assert response.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in response.text.split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            found.append((fields["event"], json.loads(fields["data"])))
    return found


def test_ask_stream_extractive(client):
    response = client.post("/api/ask/stream", json={"question": SINAI, "history": []})
    assert response.status_code == 200, response.text
    [(name, body)] = events(response)  # no draft without an LLM: just the answer
    assert name == "answer" and "224" in body["answer"] and body["mode"] == "extractive"
    empty = client.post("/api/ask/stream", json={"question": "  "})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]


def test_ask_with_history_filters_and_top_k(client):
    body = client.post(
        "/api/ask",
        json={
            "question": "And in Paris?",
            "history": [[SINAI, "... killing 224 people. [1]"]],
            "top_k": 5,
            "filters": {"source": "Dawn", "date_from": "2015-11-01", "date_to": "2015-11-30"},
        },
    ).json()
    assert "129" in body["answer"], body
    # a filter that excludes the only article leaves nothing to answer from
    body = client.post("/api/ask", json={"question": SINAI, "filters": {"source": "Reuters"}}).json()
    assert body["abstained"] and body["citations"] == []


def test_abstains_on_uncovered_question(client):
    body = client.post("/api/ask", json={"question": "Who won the 2018 football World Cup?"}).json()
    assert body["abstained"] is True
    assert "don't cover" in body["answer"]


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"question": ""}, 400, "empty"),
        ({"question": "   "}, 400, "empty"),
        ({"question": "x" * 3000}, 400, "limit"),
        ({"question": SINAI, "top_k": 0}, 422, "top_k"),
        ({"question": SINAI, "history": ["q"] * 51}, 400, "the limit is 50"),
        ({}, 422, "question"),
        ({"question": 5}, 422, "question"),
        ({"question": SINAI, "filters": {"date_from": "yesterday"}}, 422, "date_from"),
    ],
)
def test_ask_bad_input_is_clear_4xx_json(client, payload, status, words):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert "Traceback" not in response.text


def test_malformed_and_oversized_bodies(client):
    response = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "error" in response.json()
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json={"question": "x" * 100_000})
        assert response.status_code == 413 and "too large" in response.json()["error"]


def test_token_required(server):
    response = httpx.post(f"{server.url}/api/ask", json={"question": SINAI})
    assert response.status_code == 401 and "token" in response.json()["error"]
    response = httpx.get(f"{server.url}/api/articles", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_upload_list_ask_delete(client, tmp_path):
    text = (
        "Glacier Park reopens after record snowfall\n\n"
        "HELENA: Glacier National Park reopened its Going-to-the-Sun Road on Monday after crews "
        "cleared 24 metres of snow, the park service said. The road had been closed for 211 days.\n"
    )
    response = client.post(
        "/api/articles", files=[("files", ("../../glacier news.txt", text.encode(), "text/plain"))]
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["files"][0]["status"] == "added" and report["files"][0]["file"] == "../../glacier news.txt"
    (article_id,) = report["added"]
    listed = {a["article_id"]: a for a in client.get("/api/articles").json()}
    assert listed[article_id]["title"] == "Glacier Park reopens after record snowfall"
    assert "text" not in listed[article_id]

    body = client.post("/api/ask", json={"question": "How long was the Going-to-the-Sun Road closed?"}).json()
    assert "211 days" in body["answer"] and body["citations"][0]["article_id"] == article_id

    # the same file again is skipped, not duplicated
    again = client.post("/api/articles", files=[("files", ("glacier.txt", text.encode(), "text/plain"))])
    assert again.json()["files"][0]["status"] == "skipped"

    assert client.delete(f"/api/articles/{article_id}").json() == {"deleted": article_id}
    assert article_id not in {a["article_id"] for a in client.get("/api/articles").json()}
    missing = client.delete(f"/api/articles/{article_id}")
    assert missing.status_code == 404 and "no article" in missing.json()["error"]


def test_upload_errors(client):
    response = client.post(
        "/api/articles", files=[("files", ("evil.exe", b"MZ", "application/octet-stream"))]
    )
    assert response.status_code == 415 and "unsupported file type" in response.json()["error"]
    response = client.post("/api/articles", data={"nothing": "here"})
    assert response.status_code == 422 and "files" in response.json()["error"]
    # a supported suffix whose content is not text is reported per file, not as a 500
    response = client.post(
        "/api/articles", files=[("files", ("binary.txt", bytes(range(256)) * 50, "text/plain"))]
    )
    assert response.status_code == 200, response.text
    assert response.json()["files"][0]["status"] in {"failed", "added"}


def test_cors_allows_loopback_origins_only_by_default(client):
    ok = client.options(
        "/api/ask",
        headers={"Origin": "http://localhost:9999", "Access-Control-Request-Method": "POST"},
    )
    assert ok.headers.get("access-control-allow-origin") == "http://localhost:9999"
    denied = client.options(
        "/api/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in denied.headers


def test_twenty_concurrent_asks(server, client):
    questions = [
        (SINAI, "224"),
        ("How many people died in the Paris attacks?", "129"),
        ("How many EU member states agreed to France's request for help?", "28"),
        ("In what year was the Lisbon Treaty that introduced the mutual assistance clause?", "2009"),
    ] * 5

    def one(item):
        question, expected = item
        start = time.perf_counter()
        response = client.post("/api/ask", json={"question": question})
        return time.perf_counter() - start, response, expected

    client.post("/api/ask", json={"question": SINAI})  # warm
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, questions))
    for _, response, expected in results:
        assert response.status_code == 200, response.text
        assert expected in response.json()["answer"]
    latencies = sorted(r[0] for r in results)
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\n20 concurrent /api/ask: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


def test_gradio_client_answer_endpoint(server):
    from gradio_client import Client

    # the token guards Gradio's API too: gradio_client sends it as a header
    gc = Client(f"{server.url}/widget/", headers={"Authorization": f"Bearer {TOKEN}"}, verbose=False)
    body = gc.predict(SINAI, [], api_name="/answer")
    assert "224" in body["answer"] and body["citations"][0]["source"] == "Dawn"
    assert body["mode"] == "extractive" and body["notice"] is None and body["unverified"] == []
    follow_up = gc.predict("And in Paris?", [SINAI], api_name="/answer")
    assert "129" in follow_up["answer"]


def test_llm_mode_reports_mode_notice_and_unverified(llm_stub, llm_app):
    """An app in LLM mode (Ollama's format, through the stand-in): /api/ask and the widget's
    /answer both carry the checked answer, the removed sentence and the notice. The session's
    LLM app and stub (tests/conftest.py), shared with test_browser_llm; the stub's replies come
    at once here (its delay is for watching a draft in the browser)."""
    from gradio_client import Client

    stub, app = llm_stub, llm_app
    delay, before = stub.delay, len(stub.requests)
    stub.delay = 0
    try:
        response = httpx.post(f"{app.url}/api/ask", json={"question": SINAI}, timeout=60)
        assert response.status_code == 200, response.text
        widget = Client(f"{app.url}/widget/", verbose=False).predict(SINAI, [], api_name="/answer")
        for body in (response.json(), widget):
            assert body["mode"] == "llm" and not body["abstained"]
            assert "224" in body["answer"] and "[1]" in body["answer"] and "Real Madrid" not in body["answer"]
            assert body["unverified"] == ["Real Madrid won the cup final 3-1."]
            assert "removed" in body["notice"]
            assert "killing 224 people" in body["citations"][0]["quote"]
        sent = stub.requests[before:]  # this test's, not the browser tests'
        assert sent and sent[-1]["model"] == "stub-model"
        streamed = events(httpx.post(f"{app.url}/api/ask/stream", json={"question": SINAI}, timeout=60))
        drafts = [data["text"] for name, data in streamed if name == "draft"]
        assert len(drafts) > 5 and "Real Madrid" in "".join(drafts)  # the draft, word by word
        assert streamed[-1][0] == "answer" and streamed[-1][1] == response.json()
        spec = httpx.get(f"{app.url}/openapi.json").json()["components"]["schemas"]["AnswerOut"]
        assert {"mode", "notice", "unverified"} <= set(spec["properties"])
    finally:
        stub.delay = delay


def test_web_settings_read_once_into_settings(monkeypatch, capsys):
    from assistant.config import Settings

    env = {
        "ASSISTANT_API_TOKEN": " tok-secret\n",
        "ASSISTANT_UI_AUTH": "editor:pw-secret",
        "ASSISTANT_ALLOWED_ORIGINS": "https://intranet.example.com/, ,http://localhost:9000",
        "ASSISTANT_MAX_BODY_KB": "16",
        "ASSISTANT_MAX_HISTORY": "5",
    }
    s = Settings.from_env(env=env)
    assert s.api_token == "tok-secret" and s.ui_credentials == ("editor", "pw-secret")
    assert s.allowed_origins == ("https://intranet.example.com", "http://localhost:9000")
    assert (s.max_body_kb, s.max_history) == (16, 5)
    assert "secret" not in repr(s)
    default = Settings.from_env(env={})
    assert (default.api_token, default.ui_credentials, default.allowed_origins) == ("", None, ())
    assert (default.max_body_kb, default.max_history) == (64, 50)
    # a malformed login stops app.py at start with one line, before anything loads
    import app

    monkeypatch.setenv("ASSISTANT_UI_AUTH", "no-colon")
    assert app.main([]) == 2
    assert "ASSISTANT_UI_AUTH must look like user:password" in capsys.readouterr().err


def test_as_of_leaves_out_later_articles(client):
    for path in ("/api/ask", "/api/ask/stream"):
        before = client.post(path, json={"question": SINAI, "as_of": "2015-11-17"})
        after = client.post(path, json={"question": SINAI, "as_of": "2015-11-20"})
        assert before.status_code == after.status_code == 200, before.text
        if path == "/api/ask/stream":
            before, after = (events(r)[-1][1] for r in (before, after))
        else:
            before, after = before.json(), after.json()
        assert before["abstained"] and before["citations"] == []  # the article appeared on the 18th
        assert not after["abstained"] and "224" in after["answer"]
    bad = client.post("/api/ask", json={"question": SINAI, "as_of": "next Tuesday"})
    assert bad.status_code in (400, 422) and "as_of" in bad.text
