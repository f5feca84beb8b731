"""Answer quality on a slice of real news (../shared/realnews-dev; skipped where it is absent).

The evidence articles of the first 10 dev questions plus 50 other articles of the same weeks,
questions asked as of their question_date. A small, fast guard: the figures that count come from
bench/realnews_quality.py on the whole dev corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.evaluate import evaluate, load_cases

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "realnews-dev"
QUESTIONS = 10
DISTRACTORS = 50
MAX_CHARS = 6000  # long pages cost ingest time without adding to what the slice measures

pytestmark = pytest.mark.skipif(
    not DEV.is_dir(), reason=f"{DEV} absent: the real-news dev set is not shipped"
)


@pytest.fixture(scope="module")
def realnews(tmp_path_factory):
    cases, _ = load_cases(DEV / "dev_qa.jsonl")
    records = [
        json.loads(line) for line in (DEV / "dev_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    by_url = {r["url"]: r for r in records}
    cases = [c for c in cases if any(u in by_url for u in c.evidence_urls)][:QUESTIONS]
    evidence = {u for c in cases for u in c.evidence_urls if u in by_url}
    others = [r for r in records if r["url"] not in evidence and len(r["text"]) <= MAX_CHARS]
    chosen = [by_url[u] for u in sorted(evidence)] + others[:DISTRACTORS]
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("realnews"), settings=Settings.from_env(env={}))
    assistant.ingest_records(chosen, origin="realnews-dev")
    return assistant, cases


def test_realnews_slice(realnews):
    assistant, cases = realnews
    report = evaluate(cases, lambda c: assistant.ask(c.question, as_of=c.as_of), assistant.article)
    m = report.metrics
    assert m["citation_validity"] == 1.0
    # Measured at 0.6 answer-in-text and 1.0 evidence@1 (commit of this test); a little under.
    assert m["answer_accuracy"] >= 0.5, report.table()
    assert m["evidence_hit@1"] >= 0.8, report.table()
