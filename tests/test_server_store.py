"""Scale-out: with ASSISTANT_CHROMA_URL everything lives in the Chroma server, so separate
processes serve one corpus and see each other's ingests and deletes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from assistant import Assistant
from assistant.config import Settings
from assistant.store.bulk import FILE_NAME
from assistant.store.journal import CRASH_ENV
from tests.conftest import SEED, start_chroma, write_towns
from tests.webapp import WebApp


def _cli(url: str, prefix: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_CHROMA_URL": url, "ASSISTANT_COLLECTION_PREFIX": prefix, **(env or {})}
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
    assert not (tmp_path / "unused" / FILE_NAME).exists()  # texts and vectors too: all in the server

    asked = _cli(chroma_url, prefix, "ask", "Who is the French defence minister?", "--json")
    assert "Le Drian" in json.loads(asked.stdout)["answer"]

    here.delete(article_id)
    listed = _cli(chroma_url, prefix, "articles", "--json")
    assert json.loads(listed.stdout) == []


def test_app_answers_what_another_process_ingests(chroma_url, tmp_path):
    """Ingest while serving, server mode (issue 9, item 3): the app answers articles another
    process added, and ones uploaded to it, with no restart."""
    prefix = f"serve{uuid.uuid4().hex[:8]}"
    app = WebApp(env={"ASSISTANT_CHROMA_URL": chroma_url, "ASSISTANT_COLLECTION_PREFIX": prefix}).start()
    try:
        towns = write_towns(tmp_path / "a.jsonl", range(0, 6))
        assert _cli(chroma_url, prefix, "ingest", str(tmp_path / "a.jsonl")).returncode == 0
        uploaded = write_towns(tmp_path / "b.jsonl", range(6, 12))
        with (tmp_path / "b.jsonl").open("rb") as f:
            files = [("files", ("b.jsonl", f, "application/octet-stream"))]
            assert httpx.post(f"{app.url}/api/articles", files=files, timeout=300).status_code == 200
        for town, mayor in (towns | uploaded).items():
            r = httpx.post(
                f"{app.url}/api/ask", json={"question": f"Who was elected mayor of {town}?"}, timeout=60
            )
            assert r.status_code == 200 and mayor in r.json()["answer"], (town, r.text)
    finally:
        app.stop()


def test_unfinished_write_is_rolled_back_in_server_mode(chroma_url, tmp_path):
    """A writer killed mid-write (issue 9, item 5): its journal record lives in the server, and the
    next process on this host rolls it back, so a re-run gives the clean store's answers."""
    prefix = f"cut{uuid.uuid4().hex[:8]}"
    towns = write_towns(tmp_path / "a.jsonl", range(0, 6))
    crashed = _cli(chroma_url, prefix, "ingest", str(tmp_path / "a.jsonl"), env={CRASH_ENV: "articles"})
    assert crashed.returncode == -signal.SIGKILL

    settings = Settings.from_env(env={}, chroma_url=chroma_url, collection_prefix=prefix)
    reader = Assistant(store_dir=tmp_path / "unused", settings=settings, read_only=True)
    assert reader.check().unfinished  # readers report it and leave it alone
    writer = Assistant(store_dir=tmp_path / "unused", settings=settings)
    assert writer.check().problems() == [] and writer.articles() == []
    writer.ingest([tmp_path / "a.jsonl"])
    assert writer.check().problems() == []
    for town, mayor in towns.items():
        assert mayor in writer.ask(f"Who was elected mayor of {town}?").text


def test_check_finds_and_repairs_lost_sentence_vectors_in_server_mode(chroma_url, tmp_path):
    """On a server the sentences live in the chunk records' metadata: one chunk's vectors wiped is
    reported, and `--repair` re-embeds its article from the text on the server."""
    prefix = f"damage{uuid.uuid4().hex[:8]}"
    towns = write_towns(tmp_path / "a.jsonl", range(0, 3))
    settings = Settings.from_env(env={}, chroma_url=chroma_url, collection_prefix=prefix)
    assistant = Assistant(store_dir=tmp_path / "unused", settings=settings)
    assistant.ingest([tmp_path / "a.jsonl"])
    damaged = next(a.article_id for a in assistant.articles() if a.title.startswith("Belbrook"))
    assistant._store._chunks.update(ids=[f"{damaged}:c0"], metadatas=[{"_sv": ""}])

    assert assistant.check().incomplete == [damaged]
    assert assistant.check(repair=True).problems() == []
    for town, mayor in towns.items():
        assert mayor in assistant.ask(f"Who was elected mayor of {town}?").text, town


def test_stalled_server_gives_503_within_the_timeout(tmp_path):
    """A Chroma server stopped with SIGSTOP (issue 9, item 4): /api/ask answers 503 within
    ASSISTANT_STORE_TIMEOUT, /healthz answers, GET / answers, even under a burst of questions;
    after SIGCONT everything works again.

    Events, not clocks: the stopped server never answers, so any reply while it is stopped is
    the app's own timeout at work (the clients wait far longer); and /healthz answers while the
    burst is still in the workers (60 questions on the app's 40 threads take two rounds of the
    store timeout), so it did not queue behind them."""
    chroma = start_chroma(tmp_path / "chroma")
    app = WebApp(env={"ASSISTANT_CHROMA_URL": chroma.url, "ASSISTANT_STORE_TIMEOUT": "2"})
    try:
        app.start()
        question = {"question": "How many died in the Sinai crash?"}
        assert "224" in httpx.post(f"{app.url}/api/ask", json=question, timeout=60).json()["answer"]
        chroma.process.send_signal(signal.SIGSTOP)

        r = httpx.post(f"{app.url}/api/ask", json=question, timeout=300)
        assert r.status_code == 503, r.text
        assert len(r.json()["error"].splitlines()) == 1

        with ThreadPoolExecutor(60) as pool:  # more questions than the app has worker threads
            burst = [
                pool.submit(httpx.post, f"{app.url}/api/ask", json=question, timeout=300) for _ in range(60)
            ]
            time.sleep(1)  # the burst reaches the workers
            health = httpx.get(f"{app.url}/healthz", timeout=300)
            waiting = sum(not f.done() for f in burst)
            assert health.status_code == 503, health.text
            assert waiting, "/healthz answered only once the burst was through"
            assert httpx.get(f"{app.url}/", timeout=300).status_code == 200
            assert {f.result().status_code for f in burst} == {503}

        chroma.process.send_signal(signal.SIGCONT)
        assert "224" in httpx.post(f"{app.url}/api/ask", json=question, timeout=60).json()["answer"]
        assert httpx.get(f"{app.url}/healthz", timeout=30).json() == {"status": "ok", "articles": 1}
    finally:
        chroma.process.send_signal(signal.SIGCONT)
        app.stop()
        chroma.stop()


def test_workers_need_a_chroma_server(tmp_path):
    """``app.py --workers 2`` on an embedded store stops with one line: the app is its one writer."""
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_CHROMA_URL"}
    env["ASSISTANT_STORE_DIR"] = str(tmp_path / "store")
    run = subprocess.run(
        [sys.executable, "app.py", "--workers", "2", "--port", "9"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert run.returncode == 2
    assert "--workers needs a Chroma server" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "store").exists()


def test_two_worker_processes_answer_from_one_chroma_server(chroma_url):
    """``app.py --workers 2`` in server mode: two app processes, every concurrent answer right."""
    prefix = f"workers{uuid.uuid4().hex[:8]}"
    env = {"ASSISTANT_CHROMA_URL": chroma_url, "ASSISTANT_COLLECTION_PREFIX": prefix}
    app = WebApp(env=env, args=["--workers", "2"]).start()
    try:
        workers = [
            p
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _parent(p) == app.process.pid and "python" in _command(p)
        ]
        assert len(workers) >= 2, [_command(p) for p in workers]
        questions = [
            ("How many died in the Sinai crash?", "224"),
            ("How many EU member states agreed to France's request for help?", "28"),
        ]

        def ask(i: int) -> bool:
            question, expected = questions[i % 2]
            r = httpx.post(f"{app.url}/api/ask", json={"question": question}, timeout=120)
            return r.status_code == 200 and expected in r.json()["answer"]

        with ThreadPoolExecutor(16) as pool:
            assert all(pool.map(ask, range(16)))
    finally:
        app.stop()


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _command(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
