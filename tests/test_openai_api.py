"""The OpenAI-compatible API (/v1) against the real app (``python app.py``), through the official
``openai`` client, as a chat front-end would use it."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.conftest import API_TOKEN as TOKEN

SINAI = "How many died in the Sinai crash?"
MODEL = "news-assistant"
CITATION_FIELDS = {"quote", "article_id", "title", "source", "published", "url", "start", "end", "score"}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}


@pytest.fixture(scope="module")
def server(api_app):
    return api_app  # the session's app with the token (tests/conftest.py)


@pytest.fixture(scope="module")
def client(server):
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=TOKEN, max_retries=0, timeout=60) as c:
        yield c


def test_models_lists_the_assistant(client):
    [model] = client.models.list().data
    assert model.id == MODEL and model.object == "model"


def check_cited(content: str, citations: list[dict]) -> None:
    """The content holds the answer with its markers and a Sources list naming each citation."""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "224" in answer and "[1]" in answer, content
    assert citations and "224" in citations[0]["quote"], citations
    for n, c in enumerate(citations, start=1):
        assert c["source"] == "Dawn" and c["published"] == "2015-11-18"
        assert set(c) == CITATION_FIELDS
        line = next(line for line in sources.splitlines() if line.startswith(f"- [{n}] "))
        assert c["quote"] in line and "Dawn" in line and "2015-11-18" in line and (c["title"] or "") in line
        # the source links to the article reader, at this quote (web/reader.py)
        assert f"/articles/{c['article_id']}#q={c['start']}-{c['end']}" in line


def test_chat_completion_answers_with_citations(client):
    reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": SINAI}])
    assert reply.object == "chat.completion" and reply.model == MODEL
    [choice] = reply.choices
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    check_cited(choice.message.content, choice.message.model_extra["citations"])


def test_streaming_ends_with_the_citations(client, server):
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": SINAI}], stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    check_cited(content, last.delta.model_extra["citations"])
    plain = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": SINAI}])
    assert content == plain.choices[0].message.content
    # on the wire: server-sent events ending in [DONE]
    raw = httpx.post(
        f"{server.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"model": MODEL, "messages": [{"role": "user", "content": SINAI}], "stream": True},
        timeout=60,
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_follow_up_reads_earlier_user_messages(client):
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": SINAI},
        {"role": "assistant", "content": "... killing 224 people. [1]"},
        {"role": "user", "content": [{"type": "text", "text": "And in Paris?"}]},
    ]
    reply = client.chat.completions.create(model=MODEL, messages=messages)
    assert "129" in reply.choices[0].message.content


def assert_openai_error(exc: openai.APIStatusError, status: int, words: str) -> None:
    body = exc.response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    assert exc.status_code == status and words in body["error"]["message"], body


@pytest.mark.parametrize(
    ("messages", "status", "words"),
    [
        ([], 400, "messages is empty"),
        ([{"role": "system", "content": "Be brief."}], 400, "no user message"),
        ([{"role": "user", "content": [{"type": "text", "text": SINAI}, IMAGE]}], 400, "only text"),
        ([{"role": "user", "content": "   "}], 400, "empty"),
        ([{"role": "user", "content": "x" * 1_000_000}], 413, "too large"),
        ([{"role": "robot", "content": SINAI}], 400, "invalid request"),
    ],
    ids=["empty", "no-user", "image", "blank", "1MB", "bad-role"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_bad_input_is_an_openai_error(client, messages, status, words, stream):
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MODEL, messages=messages, stream=stream)
    assert_openai_error(caught.value, status, words)


def test_wrong_token_model_and_the_server_keeps_serving(client, server):
    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.models.list()
    assert_openai_error(caught.value, 401, "bearer token")
    assert caught.value.body["type"] == "authentication_error"
    # a non-ASCII token (the client refuses to send one; raw bytes here) is a 401 too, not a 500
    latin = httpx.get(f"{server.url}/v1/models", headers={"Authorization": "Bearer wrongé".encode("latin-1")})
    assert latin.status_code == 401 and latin.json()["error"]["type"] == "authentication_error"
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": SINAI}])
    assert_openai_error(caught.value, 404, "does not exist")
    # /api/* keeps its own error shape
    assert httpx.post(f"{server.url}/api/ask", json={"question": SINAI}).json() == {
        "error": "missing or wrong bearer token"
    }
    reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": SINAI}])
    assert "224" in reply.choices[0].message.content


def test_markdown_from_articles_is_inert():
    """Article text can't add links, images or HTML to a chat client's rendering."""
    from assistant.schema import Answer, Citation
    from assistant.web.markdown import answer_markdown

    quote = "Officials said <img src=x onerror=alert(1)> *all* [3] were safe."
    cite = Citation(
        quote, "a1", "![t](http://tracker.example/p.png)", "Dawn", "2015-11-18", "javascript:x", 0, 9, 1.0
    )
    content = answer_markdown(Answer(text=f"{quote} [1] [7]", abstained=False, citations=[cite]))
    answer, _, sources = content.partition("\n\nSources:\n")
    assert answer == r"Officials said \<img src=x onerror=alert(1)\> \*all\* \[3\] were safe. [1] \[7\]"
    assert sources == (
        r"- [1] “Officials said \<img src=x onerror=alert(1)\> \*all\* \[3\] were safe.” — "
        r"!\[t\](http://tracker.example/p.png), Dawn, 2015-11-18"
    )
