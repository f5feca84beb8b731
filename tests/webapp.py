"""Start the real web app (``python app.py``) as a subprocess on a free loopback port, for tests.

The store is a temp folder holding the seed article (or ``articles``: the sample folder), or ``store``,
a given folder served as it is. An embedded store is ingested once per test session (by
``assistant ingest``, ``seed_store``) and copied for each app: the copy is that store, byte for
byte. The session's own stores of the same articles copy it too (tests/conftest.py ``sample``).
A Chroma server's collections (``ASSISTANT_CHROMA_URL``) are seeded once per collection prefix,
from this process.
``WebApp.start`` waits for /healthz; ``stop`` ends the subprocess (by its own pid) and removes
the temp store.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "dawn-2015-11-18-air-strikes-syria.txt"


def submit(scope: Any, question: str) -> Any:
    """Type ``question`` into the chat of ``scope`` (a Playwright page, or the embedded widget's
    frame) and send it; returns the locator of the message it will produce: an answer, a note or
    an error in the chat (not the Articles tab's notes)."""
    messages = scope.locator("#chat").locator(".na-answer, .na-note, .na-error")
    before = messages.count()
    scope.locator("#question textarea").fill(question)
    scope.locator("#ask").click()
    return messages.nth(before)


# How long a browser test waits for something to show (ms): far above the work, since a busy
# machine is slow; a wait returns as soon as the thing shows, so passing tests don't pay it.
UI_WAIT_MS = 180_000


def sign_in(page: Any, url: str, login: tuple[str, str]) -> None:
    """Open the chat at ``url`` in ``page`` and sign in on Gradio's login page (an app with a UI
    login) as ``login`` (user, password)."""
    page.goto(url)
    page.get_by_label("username").wait_for(timeout=UI_WAIT_MS)  # a busy machine renders late
    page.get_by_label("username").fill(login[0])
    page.get_by_label("password").fill(login[1])
    page.get_by_role("button", name="Login").click()


def llm_env(base_url: str) -> dict[str, str]:
    """WebApp env for the LLM mode against an Ollama server (tests use llm_servers.OllamaStub),
    with the LLM's deadlines far above the stand-in's work: a busy machine must not turn the LLM
    answer a test checks into the extractive fallback."""
    return {
        "ASSISTANT_LLM": "ollama",
        "ASSISTANT_LLM_MODEL": "stub-model",
        "ASSISTANT_LLM_BASE_URL": base_url,
        "ASSISTANT_LLM_FIRST_TOKEN_TIMEOUT": "600",
        "ASSISTANT_LLM_TIMEOUT": "600",
    }


# Settings that change nothing an ingest of local files writes: apps differing only in these share
# a seed store. The fetch and feed settings apply to URLs, the host and store-call ones to serving;
# ASSISTANT_MAX_FILE_MB only while the articles are under it (_ingest_settings).
_NOT_INGEST = {"ASSISTANT_STORE_DIR", "ASSISTANT_API_TOKEN", "ASSISTANT_UI_AUTH", "ASSISTANT_ALLOWED_ORIGINS"}
_NOT_INGEST |= {"ASSISTANT_MAX_BODY_KB", "ASSISTANT_MAX_HISTORY", "ASSISTANT_SYNC_MINUTES"}
_NOT_INGEST |= {"ASSISTANT_PUBLIC_HOSTS", "ASSISTANT_STORE_TIMEOUT", "ASSISTANT_LOCK_WAIT"}
_NOT_INGEST |= {"ASSISTANT_FEED_ENTRIES_PER_SYNC"}
# (articles, ingest settings) -> (a store ingested once, its `assistant ingest --json` report)
_SEEDS: dict[tuple, tuple[Path, dict]] = {}
_SERVER_SEEDS: set[tuple[str, str, str]] = set()  # (Chroma URL, collection prefix, articles) seeded


@atexit.register
def _remove_seeds() -> None:
    for folder, _ in _SEEDS.values():
        shutil.rmtree(folder, ignore_errors=True)


def _ingest_settings(env: dict[str, str], articles: Path) -> tuple:
    """The ``ASSISTANT_*`` settings of ``env`` that can change what an ingest of ``articles`` writes."""
    files = [articles] if articles.is_file() else [p for p in articles.rglob("*") if p.is_file()]
    largest = max((p.stat().st_size for p in files), default=0)
    kept = []
    for k, v in sorted(env.items()):
        if (
            not k.startswith("ASSISTANT_")
            or k in _NOT_INGEST
            or k.startswith(("ASSISTANT_LLM", "ASSISTANT_FETCH"))
        ):
            continue
        if k == "ASSISTANT_MAX_FILE_MB" and largest < float(v) * 1024 * 1024:
            continue  # every file is under the limit: the limit changes nothing
        kept.append((k, v))
    return tuple(kept)


def seed_store(
    articles: Path = SEED, env: dict[str, str] | None = None, timeout: float = 300.0
) -> tuple[Path, dict]:
    """A store holding ``articles``, ingested by ``assistant ingest`` once per session for these
    ingest settings (``env``, default this process's environment), and the ingest's JSON report.
    Copy the folder to use it (shutil.copytree); the folder itself stays as ingested."""
    env = dict(os.environ if env is None else env)
    key = (str(articles), *_ingest_settings(env, articles))
    if key not in _SEEDS:
        folder = Path(tempfile.mkdtemp(prefix="webapp-seed-"))
        try:
            report = _ingest(articles, folder, env, timeout)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _SEEDS[key] = (folder, report)
    return _SEEDS[key]


def _ingest(articles: Path, store: Path, env: dict[str, str], timeout: float) -> dict:
    ingest = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(articles), "--json"],
        cwd=ROOT,
        env={**env, "ASSISTANT_STORE_DIR": str(store)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if ingest.returncode != 0:
        raise RuntimeError(f"seeding the store failed:\n{ingest.stdout}\n{ingest.stderr}")
    return json.loads(ingest.stdout)


def _ingest_into_server(articles: Path, env: dict[str, str]) -> None:
    """Ingest ``articles`` into the Chroma server of ``env`` from this process, as `assistant
    ingest` would with that environment: the data lives in the server, so no process state is
    left behind to copy, and this process has the model loaded already (a subprocess would load
    it again: seconds on a quiet machine, 10-15 s on a busy one)."""
    from assistant import Assistant
    from assistant.config import Settings

    report = Assistant(settings=Settings.from_env(env=env)).ingest([articles])
    if report.failed or not (report.added or report.skipped):
        raise RuntimeError(f"seeding the server failed: {report}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class WebApp:
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    store: Path | None = None
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    articles: Path = SEED
    args: list[str] = field(default_factory=list)  # more app.py options
    _own_store: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> WebApp:
        self._own_store = self.store is None
        self.store = self.store or Path(tempfile.mkdtemp(prefix="webapp-store-"))
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "GRADIO_ANALYTICS_ENABLED": "False",
            "ASSISTANT_STORE_DIR": str(self.store),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        for name in ("ASSISTANT_API_TOKEN", "ASSISTANT_UI_AUTH", "ASSISTANT_ALLOWED_ORIGINS"):
            if name not in self.env:
                env.pop(name, None)
        if self._own_store:
            self._seed(env, timeout)
        self.log_path = self.store / "app.log"
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"app.py did not answer /healthz within {timeout:.0f} s:\n{self.log()}")

    def _seed(self, env: dict[str, str], timeout: float) -> None:
        """Ingest ``articles`` into the store: an embedded one is a copy of the session's seed; a
        server's collections (one prefix) are ingested by the first app on them in the session."""
        url = env.get("ASSISTANT_CHROMA_URL")
        if url:  # the data lives in the server
            key = (url, env.get("ASSISTANT_COLLECTION_PREFIX", ""), str(self.articles))
            if key not in _SERVER_SEEDS:
                _ingest_into_server(self.articles, env)
                _SERVER_SEEDS.add(key)
            return
        folder, _ = seed_store(self.articles, env, timeout)
        shutil.copytree(folder, self.store, dirs_exist_ok=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.store is not None and self._own_store:
            shutil.rmtree(self.store, ignore_errors=True)
