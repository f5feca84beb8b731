"""Shared fixtures: the real embedding model, real Chroma stores (embedded in a temp dir, and a real
`chroma run` server on a free loopback port), the seed article."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
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


# Invented towns and mayors: each article holds one fact no other article has, so a question about
# it is answered only when that article's chunks, sentences and vectors are all in the store.
_PRE = ["Bel", "Cor", "Dun", "Fal", "Gry", "Hal", "Kes", "Lor", "Mar", "Nor", "Pel", "Quen", "Ros", "Tal"]
_SUF = ["brook", "ford", "mere", "holt", "wick", "stead"]


def town_article(n: int, mayor: str | None = None) -> tuple[dict, str, str]:
    """Article ``n`` as a .jsonl record, with its town and mayor; ``mayor`` rewrites the article
    under the same URL (an update that replaces it)."""
    town = _PRE[n % len(_PRE)] + _SUF[(n // len(_PRE)) % len(_SUF)]
    person = mayor or f"Alma Varga{n}"
    text = (
        f"{town.upper()}, March {n % 27 + 1} 2024 - Residents of {town} elected {person} as mayor on "
        f"Sunday, the town council said. {person}, a former teacher, won {1000 + 37 * n} votes. "
        f"The council of {town} will meet on Monday to confirm the result. "
        f"Turnout in {town} was {40 + n % 50} percent, officials said."
    )
    record = {
        "title": f"{town} elects a new mayor",
        "text": text,
        "url": f"https://example.org/{town.lower()}",
        "source": "Example Gazette",
        "published": f"2024-03-{n % 27 + 1:02d}",
    }
    return record, town, person


def write_towns(path: Path, numbers: Iterable[int], updates: dict[int, str] | None = None) -> dict[str, str]:
    """Write articles ``numbers`` to a .jsonl file; returns {town: mayor}. ``updates`` gives some of
    them a new mayor (an update of the article under its URL)."""
    towns = {}
    with path.open("w") as out:
        for n in numbers:
            record, town, person = town_article(n, (updates or {}).get(n))
            out.write(json.dumps(record) + "\n")
            towns[town] = person
    return towns


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ChromaServer:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def start_chroma(folder: Path) -> ChromaServer:
    """A real Chroma server (`chroma run`, shipped in the chromadb package) on a free port."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "server.log").open("w")
    data = folder / "data"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
            return ChromaServer(url, proc)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start; see {folder / 'server.log'}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> str:
    """A Chroma server shared by the session's tests (each uses its own collection prefix)."""
    server = start_chroma(tmp_path_factory.mktemp("chroma"))
    yield server.url
    server.stop()


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
