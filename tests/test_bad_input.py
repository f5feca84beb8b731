"""Bad input gets a clear error and loses nothing already in the store."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import replace

import pytest

from assistant import Assistant, AssistantError, InputError, StoreError, StoreVersionError
from assistant.config import Settings
from assistant.embed import resolve_model
from assistant.store.bulk import FILE_NAME
from tests.conftest import SEED


@pytest.fixture
def loaded(make_assistant):
    assistant = make_assistant()
    assistant.ingest([SEED])
    return assistant


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question_raises_value_error(seeded, question):
    with pytest.raises(ValueError, match="empty"):
        seeded.ask(question)


def test_one_megabyte_question_is_refused_clearly(seeded):
    with pytest.raises(InputError, match="limit is 2,000"):
        seeded.ask("why " * 250_000)


def test_control_characters_are_ignored(seeded):
    answer = seeded.ask("How many\x00 died in the\x1b Sinai\x07 crash?")
    assert "224" in answer.text


@pytest.mark.both_backends
def test_bad_files_are_reported_and_the_store_keeps_its_articles(loaded, tmp_path):
    before = loaded.articles()
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "broken.html").write_text("<html><body><div><p>")
    (tmp_path / "lines.jsonl").write_text(
        '{"text": "Valid line about the harbour reopening in Oslo."}\n{oops\n'
    )
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:  # sparse: 100 MB on paper, nothing on disk
        f.truncate(100 * 1024 * 1024)
    report = loaded.ingest([tmp_path, tmp_path / "missing.txt", SEED])
    reasons = dict(report.failed)
    assert reasons[str(tmp_path / "empty.txt")] == "file is empty"
    assert "binary" in reasons[str(tmp_path / "binary.txt")]
    assert "no article text" in reasons[str(tmp_path / "broken.html")]
    assert "over the 20 MB limit" in reasons[str(huge)]
    assert "not valid JSON" in reasons[f"{tmp_path / 'lines.jsonl'}:2"]
    assert reasons[str(tmp_path / "missing.txt")] == "no such file or folder"
    assert len(report.added) == 1  # the good JSONL line
    assert report.skipped == [before[0].article_id]  # the seed, already there: not duplicated
    assert len(loaded.articles()) == len(before) + 1
    assert "224" in loaded.ask("How many died in the Sinai crash?").text


def test_latin1_file_is_decoded(make_assistant, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le café de la gare à Genève a fermé après 40 ans, a dit le maire.".encode("latin-1"))
    assistant = make_assistant()
    report = assistant.ingest([path])
    assert len(report.added) == 1
    assert "café de la gare à Genève" in assistant.article(report.added[0]).text


def test_unsupported_file_named_directly(make_assistant, tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff")
    report = make_assistant().ingest([path])
    assert "unsupported file type '.jpg'" in report.failed[0][1]


def test_corrupted_store_gives_a_clear_error(tmp_path):
    (tmp_path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="can't be opened|store operation failed"):
        Assistant(store_dir=tmp_path, settings=Settings.from_env(env={}))


def test_corrupted_bulk_file_gives_a_clear_error(tmp_path):
    """The file of an embedded store's texts and sentence vectors, damaged: a one-line StoreError
    naming it, and the file is left as it was."""
    damage = b"this is not a database" * 100
    (tmp_path / FILE_NAME).write_bytes(damage)
    with pytest.raises(StoreError, match=f"store file .*{FILE_NAME} can't be opened") as refused:
        Assistant(store_dir=tmp_path, settings=Settings.from_env(env={}), read_only=True)
    assert len(str(refused.value).splitlines()) == 1
    assert (tmp_path / FILE_NAME).read_bytes() == damage


@pytest.mark.both_backends
def test_store_built_with_another_model_is_refused(loaded):
    # The same weights by another name: the store can't tell the vectors are compatible, so it refuses.
    other = replace(loaded.settings, embed_model=resolve_model(loaded.settings.embed_model))
    with pytest.raises(StoreVersionError, match="was built with embedding model"):
        Assistant(store_dir=loaded.settings.store_dir, settings=other)


def test_chroma_server_down_gives_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings.from_env(env={}, chroma_url=f"http://127.0.0.1:{port}")
    with pytest.raises(StoreError, match="not reachable"):
        Assistant(store_dir=tmp_path, settings=settings)


def test_unknown_embedding_model_fails_offline_with_a_clear_error(tmp_path):
    settings = Settings.from_env(env={}, embed_model="no-such-org/no-such-model")
    with pytest.raises(AssistantError, match="can't be loaded offline"):
        Assistant(store_dir=tmp_path, settings=settings)


# JSON's "\ud800" escape decodes to a lone surrogate, which nothing downstream can encode.
SURROGATE_LINES = [
    r'{"title": "Oslo harbour", "text": "OSLO: The harbour of Oslo reopened on Monday after 40 days."}',
    r'{"title": "Bergen", "text": "BERGEN: The port \ud800 closed on Friday."}',
    r'{"title": "Broken \udc00 title", "text": "TROMSO: The bridge in Tromso opened on Sunday."}',
    r'{"title": "Trondheim harbour", "text": "TRONDHEIM: The harbour will grow by 12 berths."}',
]


@pytest.mark.parametrize("question", ["\ud800", "How many died in the Sinai crash? \udfff"])
def test_lone_surrogate_question_is_an_input_error(seeded, question):
    with pytest.raises(InputError, match="invalid Unicode"):
        seeded.ask(question)


def test_jsonl_line_with_a_lone_surrogate_is_reported_alone(make_assistant, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(SURROGATE_LINES) + "\n")
    assistant = make_assistant()
    report = assistant.ingest([path])
    reasons = dict(report.failed)
    assert "the text holds invalid Unicode" in reasons[f"{path}:2"]
    assert "the title holds invalid Unicode" in reasons[f"{path}:3"]
    assert len(report.added) == 2 and len(reasons) == 2
    # the same records through the Python API
    records = [json.loads(line) for line in SURROGATE_LINES]
    again = make_assistant().ingest_records(records, origin="feed")
    assert len(again.added) == 2 and [where for where, _ in again.failed] == ["feed:2", "feed:3"]


def test_cli_ingest_reports_the_surrogate_line_and_keeps_the_rest(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(SURROGATE_LINES) + "\n")
    store = tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--store", str(store), "ingest", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert len(report["added"]) == 2 and len(report["failed"]) == 2, report
