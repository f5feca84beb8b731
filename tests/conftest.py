"""Shared fixtures: the real embedding model, real Chroma stores in temp dirs, the seed article."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "articles" / "dawn-2015-11-18-air-strikes-syria.txt"
QA_FILE = ROOT / "tests" / "data" / "seed_qa.jsonl"


@pytest.fixture
def make_assistant(tmp_path_factory):
    """Build an Assistant on a fresh embedded store (or with the given settings)."""

    def make(settings: Settings | None = None) -> Assistant:
        store = tmp_path_factory.mktemp("store")
        return Assistant(store_dir=store, settings=settings or Settings.from_env(env={}))

    return make


@pytest.fixture(scope="session")
def seeded(tmp_path_factory) -> Assistant:
    """One store holding the seed article, shared by read-only tests."""
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("seeded"), settings=Settings.from_env(env={}))
    report = assistant.ingest([SEED])
    assert len(report.added) == 1, report
    return assistant
