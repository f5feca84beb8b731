"""Archive scale (issue 12): compact sentence vectors, the incremental keyword index (embedded,
and a second process writing through a real `chroma run` server), and the store footprint."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from bm25s.stopwords import STOPWORDS_EN

from assistant import Assistant
from assistant.config import Settings
from assistant.ingest.clean import Cleaned
from assistant.ingest.pipeline import _Pending
from assistant.schema import Filters
from assistant.store.ids import sentence_id
from assistant.store.keyword import STOPWORDS, KeywordIndex
from assistant.store.packing import pack_spans, pack_vectors, unpack_spans, unpack_vectors
from bench.footprint import measure
from tests.conftest import SAMPLE, SEED, write_towns

REBUILT = "keyword index rebuilt"
WIKINEWS = SAMPLE / "wikinews-24.jsonl"  # shipped with the sample (CC BY 2.5): the test always runs


def test_compact_vectors_round_trip():
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(9, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    back = unpack_vectors(pack_vectors(vectors), 9)
    assert back.shape == (9, 384)
    assert np.min(np.sum(back * vectors, axis=1) / np.linalg.norm(back, axis=1)) > 0.99999
    spans = [(0, 17), (18, 250), (251, 70000)]
    assert unpack_spans(pack_spans(spans)) == spans


def test_stored_sentence_vectors_match_the_model(seeded_embedded):
    """Each sentence the store returns is its text in the article and the model's vector for it
    (float16 precision), and ranks as the fp32 vector does."""
    assistant = seeded_embedded
    article = assistant.articles()[0]
    ids = [sentence_id(article.article_id, i) for i in range(200)]
    rows = assistant._store.sentences(ids)
    assert [r.sentence_id for r in rows] == ids[: len(rows)] and len(rows) > 10
    assert all(article.text[r.start : r.end] == r.text for r in rows)
    cleaned = Cleaned(article.article_id, article.text, article.title, article.source, None, None, None, None)
    (entry,) = assistant._indexer._entries([_Pending(cleaned, "test", [])])
    fp32 = np.concatenate([c.sentence_vectors for c in entry.chunks])
    stored = np.asarray([r.vector for r in rows])
    cosine = np.sum(fp32 * stored, axis=1) / np.linalg.norm(fp32, axis=1) / np.linalg.norm(stored, axis=1)
    assert cosine.min() > 0.99999
    q = np.asarray(assistant._embedder.question("How many people died in the Sinai crash?"))
    assert np.argmax(fp32 @ q) == np.argmax(stored @ q) and np.abs(fp32 @ q - stored @ q).max() < 1e-3


@pytest.fixture(scope="module")
def seeded_embedded(tmp_path_factory) -> Assistant:
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("seed"), settings=Settings.from_env(env={}))
    assistant.ingest([SEED])
    return assistant


def _scores(index: KeywordIndex, question: str, revision: str) -> dict[str, float]:
    return {h.chunk_id: round(h.score, 9) for h in index.search(question, 50, Filters(), revision)}


def test_keyword_stopwords_are_those_of_bm25s():
    """The keyword index drops bm25s's English stopwords, written out so a query never imports it."""
    assert frozenset(STOPWORDS_EN) == STOPWORDS


def test_keyword_index_adds_and_deletes_in_place(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="assistant.store.keyword")
    write_towns(tmp_path / "a.jsonl", range(0, 10))
    write_towns(tmp_path / "b.jsonl", range(10, 13))
    assistant = Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env={}))
    assistant.ingest([tmp_path / "a.jsonl"])
    assert "Alma Varga5" in assistant.ask("Who was elected mayor of Halbrook?").text
    assert caplog.text.count(REBUILT) == 1  # the first search builds it

    assistant.ingest([tmp_path / "b.jsonl"])  # catches up: only the 3 new articles are read
    assert "Alma Varga11" in assistant.ask("Who was elected mayor of Quenbrook?").text
    ids = {a.title.split()[0]: a.article_id for a in assistant.articles()}
    for town in ("Belbrook", "Dunbrook", "Marbrook"):
        assistant.delete(ids[town])
    question = "mayor council votes turnout Belbrook Kesbrook"
    revision = assistant._store.revision()
    scores = _scores(assistant._keyword, question, revision)
    assert not any(i.startswith(ids["Belbrook"]) for i in scores)
    assert caplog.text.count(REBUILT) == 1  # ingest and deletes: no rebuild

    # BM25 after deletes (document count, average length, term frequencies) equals a fresh build.
    fresh = KeywordIndex(assistant._store, tmp_path / "fresh.sqlite3")
    assert _scores(fresh, question, revision) == scores and len(scores) == 10
    assert caplog.text.count(REBUILT) == 2
    assert assistant._keyword.matches(assistant._store.inspect().chunk_ids)

    reader = Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env={}), read_only=True)
    assert "Alma Varga6" in reader.ask("Who was elected mayor of Kesbrook?").text
    assert caplog.text.count(REBUILT) == 2  # a restart opens the saved index: no rebuild


def _cli(url: str, prefix: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_CHROMA_URL": url, "ASSISTANT_COLLECTION_PREFIX": prefix}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_another_process_catches_up_through_the_server(chroma_url, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="assistant.store.keyword")
    prefix = "kwlog"
    write_towns(tmp_path / "a.jsonl", range(0, 4))
    write_towns(tmp_path / "b.jsonl", range(4, 6))
    settings = Settings.from_env(env={}, chroma_url=chroma_url, collection_prefix=prefix)
    here = Assistant(store_dir=tmp_path / "local", settings=settings)
    assert _cli(chroma_url, prefix, "ingest", str(tmp_path / "a.jsonl")).returncode == 0
    assert "Alma Varga2" in here.ask("Who was elected mayor of Dunbrook?").text
    assert caplog.text.count(REBUILT) == 1

    added = _cli(chroma_url, prefix, "ingest", str(tmp_path / "b.jsonl"), "--json")
    assert added.returncode == 0, added.stderr
    assert "Alma Varga5" in here.ask("Who was elected mayor of Halbrook?").text
    halbrook = next(a.article_id for a in here.articles() if a.title.startswith("Halbrook"))
    assert _cli(chroma_url, prefix, "delete", halbrook).returncode == 0
    hits = here._keyword.search("Halbrook mayor", 10, Filters(), here._store.revision())
    assert not any(h.metadata["article_id"] == halbrook for h in hits)
    assert caplog.text.count(REBUILT) == 1  # the other process's writes came through the log
    assert here._keyword.matches(here._store.inspect().chunk_ids)

    again = Assistant(store_dir=tmp_path / "local", settings=settings)  # a restart of this process
    assert "Alma Varga4" in again.ask("Who was elected mayor of Grybrook?").text
    assert caplog.text.count(REBUILT) == 1


def test_footprint_per_article_stays_small(tmp_path):
    """24 Wikinews articles: the store (vectors, texts, metadata, keyword index) stays under a bound
    per article: 83 KB with texts and sentence vectors in the bulk file beside Chroma, against 214
    with them inside it (docs/scaling.md, "Store size")."""
    store = tmp_path / "store"
    assistant = Assistant(store_dir=store, settings=Settings.from_env(env={}))
    assistant.ingest([WIKINEWS])
    assistant.ask("What happened?")
    del assistant
    total = sum(measure(store).values())
    n = len(WIKINEWS.read_text(encoding="utf-8").splitlines())
    assert total / 1024 / n < 120, f"{total / 1024 / n:.0f} KB per article"
