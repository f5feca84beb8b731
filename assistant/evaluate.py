"""Measuring answer quality on a question set: the numbers every ranking change is judged by.

A QA file is JSON or JSONL of cases: ``question``, ``answers`` (accepted strings, any one must
appear in the answer), optional ``evidence`` (a string a correct citation's quote contains),
optional ``history`` (earlier questions of the chat), or ``abstain: true``. SQuAD v2 JSON is read
directly: its contexts become articles and ``is_impossible`` questions become abstain cases.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.schema import Answer, Article


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    answers: tuple[str, ...] = ()
    evidence: str | None = None
    abstain: bool = False
    history: tuple[str, ...] = ()


@dataclass
class Report:
    metrics: dict[str, float]
    failures: list[dict] = field(default_factory=list)

    def table(self) -> str:
        rows = [f"{name:<22} {value:>8.3f}" for name, value in self.metrics.items()]
        lines = ["metric                    value", *rows]
        if self.failures:
            lines.append(f"\n{len(self.failures)} failures:")
            lines += [
                f"  {f['id']}: {f['problem']} | Q: {f['question']} | A: {f['answer'][:100]}"
                for f in self.failures
            ]
        return "\n".join(lines)


def load_cases(path: str | Path) -> tuple[list[Case], list[dict]]:
    """Cases from a QA file, plus articles (as JSONL records) when the file is SQuAD v2."""
    text = Path(path).read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("{") and '"data"' in stripped[:2000] and _is_squad(stripped):
        return _squad(json.loads(stripped))
    records = (
        json.loads(stripped)
        if stripped.startswith("[")
        else [json.loads(line) for line in text.splitlines() if line.strip()]
    )
    cases = [
        Case(
            id=str(r.get("id", i)),
            question=r["question"],
            answers=tuple(r.get("answers", ())),
            evidence=r.get("evidence"),
            abstain=bool(r.get("abstain", False)),
            history=tuple(r.get("history", ())),
        )
        for i, r in enumerate(records, start=1)
    ]
    return cases, []


def _is_squad(text: str) -> bool:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def _squad(data: dict) -> tuple[list[Case], list[dict]]:
    cases: list[Case] = []
    articles: list[dict] = []
    for doc in data["data"]:
        for n, para in enumerate(doc.get("paragraphs", [])):
            articles.append(
                {
                    "title": doc.get("title"),
                    "text": para["context"],
                    "source": "SQuAD",
                    "url": f"squad://{doc.get('title')}/{n}",
                }
            )
            for qa in para.get("qas", []):
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                cases.append(
                    Case(
                        id=str(qa.get("id", len(cases))),
                        question=qa["question"],
                        answers=answers,
                        evidence=answers[0] if answers else None,
                        abstain=bool(qa.get("is_impossible", False)),
                    )
                )
    return cases, articles


def evaluate(
    cases: list[Case],
    ask: Callable[[Case], Answer],
    article: Callable[[str], Article],
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Run every case through ``ask`` and score answers, citations and abstentions."""
    latencies: list[float] = []
    failures: list[dict] = []
    correct = hit1 = hitk = 0
    rr = 0.0
    answerable = [c for c in cases if not c.abstain]
    with_evidence = [c for c in answerable if c.evidence]
    abstained_right = abstained_wrong = 0
    citations = valid = 0
    for n, case in enumerate(cases, start=1):
        started = time.perf_counter()
        answer = ask(case)
        latencies.append(time.perf_counter() - started)
        for c in answer.citations:
            citations += 1
            valid += article(c.article_id).text[c.start : c.end] == c.quote
        problem = None
        if case.abstain:
            if answer.abstained:
                abstained_right += 1
            else:
                problem = "answered a question the articles don't cover"
        else:
            if answer.abstained:
                abstained_wrong += 1
            ok = not answer.abstained and any(a.lower() in answer.text.lower() for a in case.answers)
            correct += ok
            if case.evidence:
                ranks = [
                    i for i, c in enumerate(answer.citations, 1) if case.evidence.lower() in c.quote.lower()
                ]
                if ranks:
                    hit1 += ranks[0] == 1
                    hitk += 1
                    rr += 1 / ranks[0]
            if not ok:
                problem = "abstained" if answer.abstained else f"expected one of {list(case.answers)}"
        if problem:
            failures.append(
                {"id": case.id, "question": case.question, "problem": problem, "answer": answer.text}
            )
        if progress:
            progress(n, len(cases))
    predicted_abstain = abstained_right + abstained_wrong
    to_abstain = sum(c.abstain for c in cases)
    latencies.sort()
    metrics = {
        "questions": float(len(cases)),
        "answer_accuracy": correct / len(answerable) if answerable else 0.0,
        "evidence_hit@1": hit1 / len(with_evidence) if with_evidence else 0.0,
        "evidence_hit@k": hitk / len(with_evidence) if with_evidence else 0.0,
        "evidence_mrr": rr / len(with_evidence) if with_evidence else 0.0,
        "citation_validity": valid / citations if citations else 1.0,
        "abstain_precision": abstained_right / predicted_abstain if predicted_abstain else 1.0,
        "abstain_recall": abstained_right / to_abstain if to_abstain else 1.0,
        "latency_p50_ms": 1000 * _percentile(latencies, 50),
        "latency_p95_ms": 1000 * _percentile(latencies, 95),
    }
    return Report(metrics=metrics, failures=failures)


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]
