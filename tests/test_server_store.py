"""Scale-out: with ASSISTANT_CHROMA_URL everything lives in the Chroma server, so separate
processes serve one corpus and see each other's ingests and deletes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assistant import Assistant
from assistant.config import Settings
from tests.conftest import SEED


def _cli(url: str, prefix: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_CHROMA_URL": url, "ASSISTANT_COLLECTION_PREFIX": prefix}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_two_processes_share_one_corpus(chroma_url, tmp_path):
    prefix = "shared"
    settings = Settings.from_env(env={}, chroma_url=chroma_url, collection_prefix=prefix)
    here = Assistant(store_dir=tmp_path / "unused", settings=settings)
    assert here.ask("How many died in the Sinai crash?").abstained  # empty corpus so far

    ingest = _cli(chroma_url, prefix, "ingest", str(SEED), "--json")
    assert ingest.returncode == 0, ingest.stderr
    article_id = json.loads(ingest.stdout)["added"][0]

    # This process never ingested: dense, keyword and article texts all come from the server.
    answer = here.ask("How many died in the Sinai crash?")
    assert "224" in answer.text
    assert (
        here.article(article_id).text[answer.citations[0].start : answer.citations[0].end]
        == answer.citations[0].quote
    )
    assert not (tmp_path / "unused" / "chroma.sqlite3").exists()

    asked = _cli(chroma_url, prefix, "ask", "Who is the French defence minister?", "--json")
    assert "Le Drian" in json.loads(asked.stdout)["answer"]

    here.delete(article_id)
    listed = _cli(chroma_url, prefix, "articles", "--json")
    assert json.loads(listed.stdout) == []
