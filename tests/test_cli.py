"""The CLI as a user runs it: a real subprocess, JSON output, one-line errors, no tracebacks.

Commands that only refuse, or only read what a real one wrote, run through ``assistant.cli.main``
in this process (``run_here``): the same code but for the process start, without a second
process loading the model; ingest, ask, chat, eval and a delete stay real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant import Assistant
from assistant.config import Settings
from tests.conftest import SEED
from tests.llm_servers import OllamaStub


def run(store, *args, stdin: str | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def run_here(cli_here):
    """``run`` through ``assistant.cli.main`` in this process (tests/conftest.py ``cli_here``)."""
    return lambda store, *args: cli_here("--store", str(store), *args)


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("cli-store")
    assert Assistant(store_dir=store, settings=Settings.from_env(env={})).ingest([SEED]).added
    return store


def test_ingest_ask_articles_delete(tmp_path, run_here):
    store = tmp_path / "store"
    ingest = run(store, "ingest", str(SEED), "--json")
    assert ingest.returncode == 0, ingest.stderr
    article_id = json.loads(ingest.stdout)["added"][0]

    ask = run(store, "ask", "How many died in the Sinai crash?", "--json", "--top-k", "5")
    data = json.loads(ask.stdout)
    assert set(data) == {"answer", "abstained", "confidence", "citations", "mode", "notice", "unverified"}
    assert "224" in data["answer"] and not data["abstained"]
    assert data["mode"] == "extractive" and data["notice"] is None and data["unverified"] == []
    assert set(data["citations"][0]) == {
        "quote",
        "article_id",
        "title",
        "source",
        "published",
        "url",
        "start",
        "end",
        "score",
    }

    listed = json.loads(run(store, "articles", "--json").stdout)
    assert [a["article_id"] for a in listed] == [article_id] and listed[0]["source"] == "Dawn"

    assert run(store, "delete", article_id).returncode == 0
    missing = run_here(store, "delete", article_id)  # this process opens the store after the delete
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: no article with id {article_id!r}"


def test_errors_are_one_line_without_traceback(tmp_path, run_here):
    empty = run_here(tmp_path / "store", "ask", "   ")
    assert empty.returncode == 1
    assert "Traceback" not in empty.stderr
    assert empty.stderr.strip().splitlines() == [
        "error: the question is empty: type a question about the loaded articles"
    ]
    bad_date = run_here(tmp_path / "store", "ask", "x", "--from", "yesterday")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr


def test_chat_keeps_the_conversation(seed_store):
    result = run(seed_store, "chat", stdin="How many died in the Sinai crash?\nAnd in Paris?\n\n")
    assert result.returncode == 0, result.stderr
    answers = [line for line in result.stdout.splitlines() if line and not line.startswith(("[", " "))]
    assert len(answers) == 2, result.stdout
    assert "224" in answers[0] and "129" in answers[1]


def test_ask_stream_shows_draft_then_checked_answer(seed_store):
    stub = OllamaStub(
        lambda body: "A bomb destroyed a Russian airliner, killing 224 people [1]. Real Madrid won [2]."
    )
    try:
        env = {"ASSISTANT_LLM": "ollama", "ASSISTANT_LLM_MODEL": "stub", "ASSISTANT_LLM_BASE_URL": stub.url}
        result = run(seed_store, "ask", "How many died in the Sinai crash?", "--stream", env=env)
    finally:
        stub.stop()
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("draft: A bomb destroyed") and "Real Madrid" in result.stderr
    out = result.stdout.splitlines()
    assert out[0].startswith("note: 1 sentence of the generated answer")
    assert out[1] == "A bomb destroyed a Russian airliner, killing 224 people. [1]"
    assert "  [unverified, removed] Real Madrid won." in out


def test_eval_recall_and_removed_evidence(tmp_path, run_here):
    """Evidence by URL, question_date as the as-of day, retrieval recall, and the removed-evidence
    run on a copy of the store (the user's store keeps every article)."""
    data = SEED.parent.parent.parent / "tests" / "data" / "as_of"
    result = run(
        tmp_path,
        "eval",
        str(data / "qa.jsonl"),
        "--corpus",
        str(data / "articles.jsonl"),
        "--recall",
        "--removed-evidence",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    answers = out["answers"]["metrics"]
    assert answers["questions"] == 4 and answers["answer_accuracy"] == 1.0, out["answers"]
    assert answers["evidence_hit@1"] == 1.0 and answers["false_abstention"] == 0.0
    assert out["recall"]["metrics"]["recall@8"] == 1.0
    removed = out["removed_evidence"]["metrics"]
    # All three evidence articles go; no remaining article holds any of the four answers.
    assert removed["evidence_articles_deleted"] == 3 and removed["questions"] == 4
    assert 0.0 <= removed["abstention_rate"] <= 1.0
    listed = json.loads(run_here(tmp_path, "articles", "--json").stdout)  # read after eval's process
    assert len(listed) == 5
