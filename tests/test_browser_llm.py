"""The web chat in LLM mode, in a real browser: Debian's headless Chromium driven by Playwright,
the real app (``python app.py``) talking Ollama's /api/chat format to a stand-in that streams its
reply word by word and stalls it after "224" until the test has seen the draft (then releases it),
so the draft is seen before the checked answer replaces it on any machine.

Needs /usr/bin/chromium (``make browser`` installs it); never ``playwright install``.
Set SCREENSHOT_DIR to keep the screenshot of an LLM answer with a removed claim
(docs/screenshot-chat-llm.png is one).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM
from tests.llm_servers import MARKUP, MARKUP_QUESTION
from tests.webapp import UI_WAIT_MS, WebApp, free_port, llm_env, submit

pytestmark = pytest.mark.browser

SINAI = "How many died in the Sinai crash?"
DRAFT_LABEL = "Draft, checked against the articles when complete"
REMOVED_LABEL = "Not in the articles, removed from the answer"
INVENTED = "Real Madrid won the cup final 3-1."
# The stub's reply to MARKUP_QUESTION holds MARKUP, a claim no article supports, carrying markup:
# it must show as text, in the draft and struck through (tests/llm_servers.py MARKUP_REPLY).

if not Path(CHROMIUM).exists():  # pragma: no cover - `make test` installs it
    pytest.skip("Debian's chromium is not installed (run `make browser`)", allow_module_level=True)

pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def ollama(llm_stub):
    # word by word, and held after "224" while ask_streamed looks at the draft (tests/conftest.py)
    return llm_stub


@pytest.fixture(scope="module")
def server(llm_app):
    return llm_app  # the session's LLM-mode app, shared with test_http_api (tests/conftest.py)


def ask_streamed(stub, page, question: str, scope=None, check_draft=None):
    """Ask, check the labelled draft shows while the model writes, return the final message.

    ``stub`` (the OllamaStub) holds the reply after "224" until the draft has been checked;
    ``check_draft(draft_locator)`` runs once the draft holds "killing 224"."""
    scope = scope or page
    stub.hold()
    try:
        answer = submit(scope, question)
        draft = scope.locator(".na-draft")
        draft.wait_for(timeout=UI_WAIT_MS)
        assert DRAFT_LABEL in draft.locator(".na-draft-label").text_content()  # shown in capitals
        # the draft grows word by word; the reply is held after its first sentence
        draft.get_by_text("killing 224", exact=False).wait_for(timeout=UI_WAIT_MS)
        assert answer.count() == 0
        if check_draft:
            check_draft(draft)
    finally:
        stub.release()
    answer.wait_for(timeout=UI_WAIT_MS)
    draft.wait_for(state="detached")  # the checked answer replaces the draft
    return answer


def test_llm_answer_streams_then_shows_checked_answer(server, ollama, page):
    page.goto(server.url)
    answer = ask_streamed(ollama, page, SINAI)
    text = answer.locator(".na-text").inner_text()
    assert "224" in text and "Real Madrid" not in text
    assert answer.locator(".na-text .na-ref").first.inner_text() == "[1]"
    source = answer.locator(".na-source").first
    assert "Dawn" in source.locator(".na-title").inner_text()
    # the checked sentence is the model's words, so the card marks the whole quote in its context
    assert "killing 224 people" in source.locator(".na-context mark").first.inner_text()
    # the invented sentence: only in the struck-through block under its warning
    removed = answer.locator(".na-unverified")
    assert REMOVED_LABEL in removed.locator(".na-unverified-title").text_content()
    assert removed.locator("li").all_inner_texts() == [INVENTED]
    assert "line-through" in removed.locator("li").first.evaluate(
        "e => getComputedStyle(e).textDecorationLine"
    )
    assert answer.inner_text().count("Real Madrid") == 1
    notice = answer.locator(".na-notice").inner_text()
    assert "1 sentence" in notice and "removed" in notice
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=str(Path(shots) / "screenshot-chat-llm.png"))
    assert not page.errors


def test_markup_in_an_unverified_claim_is_text(server, ollama, page):
    def draft_shows_markup_as_text(draft):
        assert MARKUP in draft.inner_text()
        assert draft.locator("img").count() == 0

    page.goto(server.url)
    answer = ask_streamed(ollama, page, MARKUP_QUESTION, check_draft=draft_shows_markup_as_text)
    text = answer.locator(".na-text").inner_text()
    assert "224" in text and "Witnesses" not in text
    claims = answer.locator(".na-unverified li").all_inner_texts()
    assert any(MARKUP in claim for claim in claims), claims
    page.wait_for_timeout(300)
    assert page.locator("#chat img[src=x], .na-answer img, .na-draft img").count() == 0
    assert not page.dialogs and not page.errors


def test_widget_streams_too(server, ollama, page):
    page.goto(f"{server.url}/widget/")
    answer = ask_streamed(ollama, page, SINAI)
    assert "224" in answer.locator(".na-text").inner_text()
    assert answer.locator(".na-unverified li").all_inner_texts() == [INVENTED]
    assert answer.locator(".na-notice").is_visible()


@pytest.fixture(scope="module")
def server_llm_down():
    app = WebApp(env=llm_env(f"http://127.0.0.1:{free_port()}")).start()  # nothing listens there
    yield app
    app.stop()


def test_llm_down_shows_extractive_answer_with_notice(server_llm_down, page):
    page.goto(server_llm_down.url)
    page.locator("#question textarea").fill(SINAI)
    page.locator("#ask").click()
    answer = page.locator("#chat").locator(".na-answer, .na-note, .na-error").first
    answer.wait_for(timeout=UI_WAIT_MS)
    assert "224" in answer.locator(".na-text").inner_text()
    assert answer.locator(".na-ref").first.inner_text() == "[1]"
    notice = answer.locator(".na-notice")
    assert notice.count() == 1
    assert notice.inner_text().startswith("The language model")
    assert "extractive answer" in notice.inner_text() and "\n" not in notice.inner_text()
    assert answer.locator(".na-unverified, .na-error").count() == 0
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and 'File "' not in body
    assert not page.errors
