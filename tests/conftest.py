"""Shared fixtures: the real embedding model, real Chroma stores (embedded in a temp dir, and a real
`chroma run` server on a free loopback port), the seed article; and the test tiers.

Tiers (markers registered in pyproject.toml): ``model`` (loads the embedding model or opens a
store), ``server`` (starts a Chroma server, the web app or a model server), ``browser``, ``llm``.
They are applied here, by the fixtures a test uses and per module (``MODULE_TIERS``); a test with
none of them is ``fast`` (``make check``: ``pytest -m fast``), and is held to it: while it runs,
loading the embedding model or opening a Chroma client fails it with a message to mark it.

Tests on ``seeded`` or ``make_assistant`` run on an embedded store; the ones marked
``both_backends`` also on a Chroma server (their ``[server]`` case is in the ``server`` tier).
Stores of the seed article or the sample are ingested once per session (tests/webapp.py
``seed_store``) and copied: the embedded ``seeded``, ``sample``, the web apps' stores.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.schema import Answer  # noqa: E402
from tests.llm_servers import MARKUP_REPLY, OllamaStub, scripted  # noqa: E402
from tests.webapp import WebApp, llm_env, seed_store  # noqa: E402

if TYPE_CHECKING:
    import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "dawn-2015-11-18-air-strikes-syria.txt"
QA_FILE = ROOT / "tests" / "data" / "seed_qa.jsonl"
SAMPLE = ROOT / "data" / "articles"  # what `make run` indexes: the seed article and 24 Wikinews articles
SAMPLE_QA_FILE = ROOT / "tests" / "data" / "wikinews_qa.jsonl"
BACKENDS = ["embedded", "server"]
API_TOKEN = "test-token-api"  # api_app's and login_app's
LOGIN = ("editor", "pw-789")  # login_app's UI login


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


_MARKER = re.compile(r"\[(\d+)\]")


def citation_problems(assistant: Assistant, answers: Iterable[Answer]) -> list[str]:
    """What is wrong with the citations of ``answers``: a marker [n] without its citation, a
    citation no marker points at (dropped from the text), or a quote that does not stand in the
    article's text as the store holds it, at the citation's offsets (read afresh from the store,
    not from the answer's own copy)."""
    problems = []
    for answer in answers:
        markers = {int(n) for n in _MARKER.findall(answer.text)}
        numbers = set(range(1, len(answer.citations) + 1))
        if markers != numbers:
            problems.append(f"markers {sorted(markers)} but {len(numbers)} citations: {answer.text!r}")
        for c in answer.citations:
            text = assistant.article(c.article_id).text
            if not c.quote.strip() or text[c.start : c.end] != c.quote:
                problems.append(f"quote not at {c.start}:{c.end} of {c.article_id}: {c.quote!r}")
    return problems


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


@pytest.fixture(scope="session")
def store_backend(request) -> str:
    """ "embedded" or "server": parametrized by pytest_generate_tests below."""
    return request.param


@pytest.fixture
def make_assistant(request, store_backend, tmp_path_factory):
    """Build an Assistant on a fresh store of the parametrized backend (embedded or server)."""

    def make(settings: Settings | None = None) -> Assistant:
        return Assistant(
            store_dir=tmp_path_factory.mktemp("store"),
            settings=settings or settings_for(store_backend, request),
        )

    return make


def defaults_env() -> dict[str, str]:
    """This process's environment without ``ASSISTANT_*``: a subprocess on it runs on the default
    settings, as ``Settings.from_env(env={})`` here."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}


def copied_store(articles: Path, folder: Path) -> dict:
    """``folder`` becomes a copy of the session's store of ``articles`` on the default settings
    (tests/webapp.py seed_store: ingested once by `assistant ingest`, shared with the web apps of
    the same articles); returns that ingest's report. A copy is much faster than ingesting again."""
    seed, report = seed_store(articles, defaults_env())
    shutil.copytree(seed, folder, dirs_exist_ok=True)
    return report


@pytest.fixture(scope="session")
def seeded(request, store_backend, tmp_path_factory) -> Assistant:
    """One store holding the seed article, shared by read-only tests."""
    store_dir = tmp_path_factory.mktemp("seeded")
    if store_backend == "embedded":
        report = copied_store(SEED, store_dir)
        assert len(report["added"]) == 1 and not report["failed"], report
        return Assistant(store_dir=store_dir, settings=Settings.from_env(env={}))
    assistant = Assistant(store_dir=store_dir, settings=settings_for(store_backend, request))
    added = assistant.ingest([SEED])
    assert len(added.added) == 1, added
    return assistant


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Assistant:
    """An embedded store holding the bundled sample (data/articles/), as `make run` indexes it."""
    store_dir = tmp_path_factory.mktemp("sample")
    report = copied_store(SAMPLE, store_dir)
    assert len(report["added"]) == 25 and not report["failed"], report
    return Assistant(store_dir=store_dir, settings=Settings.from_env(env={}))


@pytest.fixture(scope="session")
def api_app():
    """The web app (python app.py) on a copy of the seed store with the API token ``API_TOKEN``
    and no UI login, shared by test_http_api, test_mcp, test_openai_api and test_security (its
    token_app): one app start instead of four (each takes 13 s on a quiet machine, tens of
    seconds on a busy one). A test on it leaves its articles as it found them. A 1 MB file limit
    keeps test_security's chunked-upload probe small (bodies are cut at 10 files + 1 MB); the
    others upload files of a few KB."""
    app = WebApp(env={"ASSISTANT_API_TOKEN": API_TOKEN, "ASSISTANT_MAX_FILE_MB": "1"}).start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def login_app():
    """The web app on a copy of the seed store with the API token ``API_TOKEN`` and the UI login
    ``LOGIN`` (what a shared deployment sets), shared by test_security and test_browser's login
    test: one app start instead of two. A test on it leaves its articles as it found them."""
    app = WebApp(env={"ASSISTANT_API_TOKEN": API_TOKEN, "ASSISTANT_UI_AUTH": ":".join(LOGIN)}).start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def llm_stub():
    """The Ollama stand-in (tests/llm_servers.py) behind ``llm_app``: SINAI_REPLY, or MARKUP_REPLY
    to MARKUP_QUESTION, word by word 0.05 s apart, stalled after "224" while a test holds it.
    A test that wants its replies at once sets ``delay`` to 0 and puts it back."""
    replies = scripted({"destroyed the Russian airliner": MARKUP_REPLY})
    stub = OllamaStub(replies, delay=0.05, hold_after="224")
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def llm_app(llm_stub):
    """The web app in LLM mode (Ollama's format, the model ``llm_stub``) on a copy of the seed
    store, shared by test_browser_llm and test_http_api's LLM test: one app start instead of two.
    A test on it leaves the stub as it found it (not held, its delay) and the articles too."""
    app = WebApp(env=llm_env(llm_stub.url)).start()
    yield app
    app.stop()


@pytest.fixture
def cli_here(capsys, caplog):
    """``cli_here(*argv)``: ``assistant.cli.main(argv)`` run in this process, as a
    CompletedProcess with what a real ``python -m assistant.cli`` would show on stderr: the
    command's own lines, log records at WARNING and up (the CLI's logging format) and warnings
    under Python's default filters. The same code but for the process start, without a second
    process loading the model. Open no store here that a real process writes after: this process
    keeps the embedded store's writer lock (store/lock.py), and Chroma's in-memory state of it."""
    from assistant import cli

    def call(*argv: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        caplog.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.filterwarnings("ignore", category=category)  # as a fresh interpreter does
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:  # argparse refuses the arguments
                code = exc.code
        out = capsys.readouterr()
        err = out.err + "".join(
            f"{r.levelname} {r.name}: {r.getMessage()}\n"
            for r in caplog.records
            if r.levelno >= logging.WARNING
        )
        err += "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)
        return subprocess.CompletedProcess(list(argv), code, out.out, err)

    return call


@pytest.fixture(scope="session")
def app_embedder():
    """The embedding model as the Assistant loads it (same encoder backend, same cached instance)."""
    from assistant.embed import load_embedder

    s = Settings.from_env(env={})
    return load_embedder(s.embed_model, s.embed_batch_size, s.embed_backend, s.embed_cache_dir)


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


# ----- tiers ----------------------------------------------------------------------------------------
TIERS = ("model", "server", "browser", "llm")
# A test using one of these fixtures (directly or through another fixture) is in these tiers.
FIXTURE_TIERS = {
    "seeded": {"model"},
    "sample": {"model"},
    "make_assistant": {"model"},
    "app_embedder": {"model"},
    "cli_here": {"model"},  # its commands open a store
    # stores of single modules
    "screen": {"model"},  # test_context
    "town": {"model"},  # test_as_of
    "levers": {"model"},  # test_levers
    "seeded_embedded": {"model"},  # test_archive_store
    "int8_store": {"model"},  # test_embed_backends
    # the web app (tests/webapp.WebApp) of a module
    "api_app": {"server", "model"},
    "server": {"server", "model"},  # test_http_api, test_openai_api, test_mcp, test_browser
    "client": {"server", "model"},  # on "server"
    "token_app": {"server", "model"},  # test_security
    "login_app": {"server", "model"},
    "llm_stub": {"llm"},  # a thread of this process, as the other OllamaStubs
    "llm_app": {"llm", "server", "model"},
    "open_app": {"server", "model"},
    "two_apps": {"server", "model"},  # test_feeds
    "chroma_url": {"model", "server"},
    "browser": {"browser", "server", "model"},
    "page": {"browser", "server", "model"},
}
# Modules whose every test needs these tiers (the rest of a module's tests go by their fixtures).
MODULE_TIERS = {
    "test_browser": {"browser", "server", "model"},
    "test_browser_llm": {"browser", "server", "model", "llm"},
    "test_cli": {"model"},
    "test_compare_baseline": {"model"},
    "test_embed_backends": {"model"},
    "test_big_feeds": {"model"},
    "test_feeds": {"model"},
    "test_llm": {"llm", "model"},
    "test_mcp": {"server", "model"},
    "test_openai_api": {"server", "model"},
    "test_realnews_slice": {"model"},
    "test_server_store": {"server", "model"},
    "test_store_safety": {"model"},
}
# Single tests of mixed modules, by module and name (without parameters).
TEST_TIERS = {
    ("test_archive_store", "test_keyword_index_adds_and_deletes_in_place"): {"model"},
    ("test_archive_store", "test_footprint_per_article_stays_small"): {"model"},
    ("test_bad_input", "test_corrupted_store_gives_a_clear_error"): {"model"},
    ("test_bad_input", "test_corrupted_bulk_file_gives_a_clear_error"): {"model"},
    ("test_bad_input", "test_chroma_server_down_gives_a_clear_error"): {"model"},
    ("test_bad_input", "test_unknown_embedding_model_fails_offline_with_a_clear_error"): {"model"},
    ("test_bad_input", "test_cli_ingest_reports_the_surrogate_line_and_keeps_the_rest"): {"model"},
    ("test_fetch", "test_fetching_an_ipv6_form_of_loopback_is_refused_before_connecting"): {"model"},
    ("test_fetch", "test_fetches_held_by_a_trickling_server_do_not_starve_asks"): {"server", "model"},
    ("test_cli", "test_ask_stream_shows_draft_then_checked_answer"): {"llm"},
    ("test_cli", "test_chat_keeps_the_conversation"): {"llm"},
    ("test_http_api", "test_llm_mode_reports_mode_notice_and_unverified"): {"llm", "server", "model"},
    ("test_store_safety", "test_app_holds_the_store_and_takes_ingests_through_its_api"): {"server"},
    ("test_feeds", "test_http_api_web_ui_and_scheduler_syncing_while_answering"): {"server"},
    ("test_feeds", "test_two_app_processes_do_not_ingest_one_entry_twice"): {"server"},
}


def pytest_generate_tests(metafunc):
    if "store_backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        metafunc.parametrize(
            "store_backend", BACKENDS if both else BACKENDS[:1], indirect=True, scope="session"
        )


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        tiers = set(MODULE_TIERS.get(module, ()))
        tiers |= TEST_TIERS.get((module, item.originalname), set())
        for name in item.fixturenames:
            tiers |= FIXTURE_TIERS.get(name, set())
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("store_backend") == "server":
            tiers |= {"server", "model"}
        tiers |= {m.name for m in item.iter_markers() if m.name in TIERS}
        for tier in sorted(tiers):
            item.add_marker(tier)
        if not tiers:
            item.add_marker("fast")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """A ``fast`` test may not load the model, open a store or start a server (the web app, Chroma,
    llama.cpp), in its own fixtures or in the module's (set up with its first test): one that does
    fails, to be given its tier (MODULE_TIERS, TEST_TIERS or FIXTURE_TIERS)."""
    if item.get_closest_marker("fast") is None:
        return (yield)
    import chromadb

    from assistant.embed import Embedder
    from tests import llm_servers, webapp

    def refuse(*args, **kwargs):
        raise AssertionError(
            f"{item.nodeid} loads the embedding model, opens a store or starts a server but has no "
            "tier marker: add it to MODULE_TIERS, TEST_TIERS or FIXTURE_TIERS in tests/conftest.py"
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Embedder, "__init__", refuse)
        patch.setattr(chromadb, "PersistentClient", refuse)
        patch.setattr(chromadb, "HttpClient", refuse)
        patch.setattr(webapp.WebApp, "start", refuse)
        patch.setattr(webapp, "_ingest", refuse)  # seed_store's `assistant ingest`
        patch.setattr(llm_servers.LlamaServer, "__init__", refuse)
        return (yield)


@contextmanager
def uploaded(client: httpx.Client, name: str, records: list[dict]) -> Iterator[dict[str, str]]:
    """``records`` uploaded to a shared app as one JSONL file ``name``, all of them added; yields
    the store's articles (url -> article id) and deletes the uploads again however the test ends,
    since the app is the session's."""
    news = "".join(json.dumps(r) + "\n" for r in records).encode()
    upload = client.post("/api/articles", files=[("files", (name, news, "application/jsonl"))])
    assert upload.status_code == 200 and len(upload.json()["added"]) == len(records), upload.text
    try:
        yield {a["url"]: a["article_id"] for a in client.get("/api/articles").json()}
    finally:
        for article_id in upload.json()["added"]:
            client.delete(f"/api/articles/{article_id}")
