"""Shared fixtures: the real embedding model, real Chroma stores (embedded in a temp dir, and a real
`chroma run` server on a free loopback port), the seed article."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "dawn-2015-11-18-air-strikes-syria.txt"
QA_FILE = ROOT / "tests" / "data" / "seed_qa.jsonl"
SAMPLE = ROOT / "data" / "articles"  # what `make run` indexes: the seed article and 24 Wikinews articles
SAMPLE_QA_FILE = ROOT / "tests" / "data" / "wikinews_qa.jsonl"
BACKENDS = ["embedded", "server"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> str:
    """A real Chroma server (`chroma run`, shipped in the chromadb package) for the session."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (tmp_path_factory.mktemp("chroma-log") / "server.log").open("w")
    proc = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path_factory.mktemp("chroma")),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("chroma server did not start; see its log")
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def settings_for(backend: str, request: pytest.FixtureRequest) -> Settings:
    if backend == "server":
        url = request.getfixturevalue("chroma_url")
        # A prefix per store keeps tests on one server apart, as separate corpora would be.
        return Settings.from_env(env={}, chroma_url=url, collection_prefix=f"t{uuid.uuid4().hex[:10]}")
    return Settings.from_env(env={})


@pytest.fixture(params=BACKENDS)
def make_assistant(request, tmp_path_factory):
    """Build an Assistant on a fresh store of the parametrized backend."""

    def make(settings: Settings | None = None) -> Assistant:
        return Assistant(
            store_dir=tmp_path_factory.mktemp("store"),
            settings=settings or settings_for(request.param, request),
        )

    return make


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(request, tmp_path_factory) -> Assistant:
    """One store holding the seed article, shared by read-only tests."""
    assistant = Assistant(
        store_dir=tmp_path_factory.mktemp("seeded"), settings=settings_for(request.param, request)
    )
    report = assistant.ingest([SEED])
    assert len(report.added) == 1, report
    return assistant


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Assistant:
    """An embedded store holding the bundled sample (data/articles/), as `make run` indexes it."""
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("sample"), settings=Settings.from_env(env={}))
    report = assistant.ingest([SAMPLE])
    assert len(report.added) == 25 and not report.failed, report
    return assistant


# ----- the browser (tests/test_browser*.py) ---------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's; never `playwright install`
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh page that records script errors (``page.errors``) and dismissed dialogs
    (``page.dialogs``): an alert() from article text would land there."""
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
