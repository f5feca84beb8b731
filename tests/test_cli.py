"""The CLI as a user runs it: a real subprocess, JSON output, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import SEED


def run(store, *args):
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ingest_ask_articles_delete(tmp_path):
    store = tmp_path / "store"
    ingest = run(store, "ingest", str(SEED), "--json")
    assert ingest.returncode == 0, ingest.stderr
    article_id = json.loads(ingest.stdout)["added"][0]

    ask = run(store, "ask", "How many died in the Sinai crash?", "--json", "--top-k", "5")
    data = json.loads(ask.stdout)
    assert set(data) == {"answer", "abstained", "citations", "mode", "notice", "unverified"}
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
    missing = run(store, "delete", article_id)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: no article with id {article_id!r}"


def test_errors_are_one_line_without_traceback(tmp_path):
    empty = run(tmp_path / "store", "ask", "   ")
    assert empty.returncode == 1
    assert "Traceback" not in empty.stderr
    assert empty.stderr.strip().splitlines() == [
        "error: the question is empty: type a question about the loaded articles"
    ]
    bad_date = run(tmp_path / "store", "ask", "x", "--from", "yesterday")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
