"""Answer quality on the seed question set must not fall below what was measured.

Measured 2026-11-25 (assistant eval tests/data/seed_qa.jsonl --corpus data/articles):
accuracy 0.88, evidence hit@1 0.66, citation validity 1.00, abstention precision 1.00 and recall
0.57. Thresholds sit a little under, so a change that loses a question or two is caught.
"""

from __future__ import annotations

from assistant.evaluate import evaluate, load_cases
from tests.conftest import QA_FILE


def test_seed_question_set_meets_thresholds(seeded):
    cases, _ = load_cases(QA_FILE)
    assert len(cases) >= 40 and sum(c.abstain for c in cases) >= 10
    report = evaluate(cases, lambda c: seeded.ask(c.question, history=c.history), seeded.article)
    m = report.metrics
    assert m["citation_validity"] == 1.0
    assert m["answer_accuracy"] >= 0.8, report.table()
    assert m["evidence_hit@1"] >= 0.58, report.table()
    assert m["abstain_precision"] >= 0.9, report.table()
    assert m["abstain_recall"] >= 0.5, report.table()
