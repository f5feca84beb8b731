"""Answer quality at scale, out of fold: the table every answer-model change is judged by.

Usage: python bench/answer_quality.py [--quick | --squad N --news-per-year N] [--fit FILE]
           [--ranker-weight W] [--parts sample,squad,news] [--records FILE] [--model DIR|none]

Parts (each with its own store under bench/out/, built once and kept):
- ``squad``: SQuAD 2.0 dev articles of fold 0 (``training.pairs.fold_of`` by article title; the
  answer model never trains on them), each paragraph its own article. HasAns: answer in the answer
  text; NoAns (``is_impossible``): abstention.
- ``news``: the real-news quiz weeks of fold 0 (folds by week), one store per year holding the
  articles the quiz's search returned for those weeks (evidence and natural distractors), each
  question asked as of its ``question_date``; then the removed-evidence run: the evidence articles
  deleted from a copy of the store, the questions no remaining article answers asked again.
- ``sample``: the shipped sample (data/articles: the seed article and 24 Wikinews stories) with
  tests/data/seed_qa.jsonl and wikinews_qa.jsonl.

Every question is asked once with the threshold at 0, so each answer's confidence is kept and any
threshold's figures follow without asking again. ``--fit FILE`` fits the calibration (Platt
scaling of the answer model's log-odds averaged with ``--ranker-weight`` times the ranker
confidence model's, as reader/model.py's Calibration does) and the threshold (the highest at
which SQuAD HasAns false abstention stays <= 0.10 and news false abstention <= 0.05) on these
records, reports them out of fold (two halves of fold 0 by article / week, each scored with the
other's fit) and writes the fit on all of them to FILE, the model's calibration.json.

The data is read from ../shared only (copyrighted news); absent, those parts are skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SHARED = ROOT.parent / "shared" / "qa-train"
HASANS_FALSE_ABSTENTION = 0.10
NEWS_FALSE_ABSTENTION = 0.05


@dataclass(frozen=True)
class Record:
    part: str  # "squad" | "news" | "news-removed" | "seed" | "wikinews"
    id: str
    half: int  # 0 or 1: the half of fold 0 it is scored in (by article or week)
    abstain: bool  # nothing answers it
    floor: bool  # abstained even at threshold 0 (nothing relevant enough, or an empty store)
    confidence: float
    correct: bool  # the answer text holds an accepted answer (at threshold 0)
    logit: float | None = None  # the answer model's raw log-odds for the answer (what --fit calibrates)
    ranker_logit: float = 0.0  # the ranker's confidence model's log-odds, averaged in with a weight


def _half(key: str) -> int:
    from training.pairs import fold_of

    return fold_of("half:" + key) % 2


def _assistant(store: Path, model: str | None):  # noqa: ANN202 (the facade, imported late)
    from assistant import Assistant
    from assistant.config import Settings

    overrides = {"abstain_threshold": 0.0, **({"answer_model": model} if model else {})}
    return Assistant(store_dir=store, settings=Settings.from_env(store_dir=store, **overrides))


def _ask(assistant, part: str, cases, half_of) -> list[Record]:  # noqa: ANN001
    """Ask each case as ``assistant.ask`` does (standalone question, gather, compose), keeping the
    answer model's raw log-odds beside the calibrated confidence."""
    from tqdm import tqdm

    from assistant.evaluate import holds_answer
    from assistant.query.answerer import clean_question
    from assistant.schema import Answer

    answerer = assistant._answerer  # noqa: SLF001 (the bench reads the raw score, not just the answer)
    records = []
    for case in tqdm(cases, desc=part, unit="q", file=sys.stderr):
        asked = assistant.standalone(case.question, case.history)
        text = clean_question(asked, assistant.settings.max_question_chars)
        found = answerer.gather(text, None, None, case.as_of)
        answer = found if isinstance(found, Answer) else answerer.compose(found)
        records.append(
            Record(
                part,
                case.id,
                half_of(case),
                case.abstain,
                answer.abstained,
                float(answer.confidence or 0.0),
                not answer.abstained and holds_answer(answer.text, case.answers),
                None if isinstance(found, Answer) else found.judged,
                0.0 if isinstance(found, Answer) or not found.ranked else answerer.ranker_logit(found),
            )
        )
    return records


# What a part does with each store and its questions: ``_ask`` makes the bench's Records;
# bench/rank_data.py keeps every ranked candidate instead.
Collect = Callable[[Any, str, list, Callable[[Any], int]], list]


def _open(store: Path, model: str | None, articles: list[dict] | None = None, what: str = ""):  # noqa: ANN202
    """The store's assistant (threshold 0), ingesting ``articles`` first when it is empty."""
    assistant = _assistant(store, model)
    if articles and not assistant.articles():
        print(f"building {what} in {store} (once)...", file=sys.stderr)
        assistant.ingest_records(articles, origin=what)
    return assistant


HELD_OUT = frozenset({0})


def _tag(folds: frozenset[int]) -> str:
    """The store-name tag of a fold set: "fold0" for the held-out fold, "folds1234" for training."""
    return (
        f"fold{''.join(map(str, sorted(folds)))}"
        if len(folds) == 1
        else f"folds{''.join(map(str, sorted(folds)))}"
    )


def squad(
    limit: int | None, model: str | None, folds: frozenset[int] = HELD_OUT, collect: Collect = _ask
) -> list:
    """``collect``'s results for the SQuAD 2.0 questions of the articles in ``folds``."""
    from assistant.evaluate import load_cases
    from training.pairs import fold_of

    source = SHARED / "squad2.0-dev-part.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    held = {"version": data.get("version"), "data": [d for d in data["data"] if fold_of(d["title"]) in folds]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fold.json"
        path.write_text(json.dumps(held), encoding="utf-8")
        cases, articles = load_cases(path)
    title_of = {qa["id"]: d["title"] for d in held["data"] for p in d["paragraphs"] for qa in p["qas"]}
    tag = _tag(folds)
    assistant = _open(OUT / f"squad-{tag}", model, articles, f"{len(articles)} SQuAD 2.0 paragraphs of {tag}")
    if limit:
        cases = random.Random(13).sample(cases, min(limit, len(cases)))
    return collect(assistant, "squad", cases, lambda c: _half(title_of[c.id]))


def news(
    per_year: int | None, model: str | None, folds: frozenset[int] = HELD_OUT, collect: Collect = _ask
) -> list:
    """``collect``'s results for the news questions of the weeks in ``folds``, asked on one store
    per year, and then, on a copy without the evidence, for those no remaining article answers."""
    from assistant.evaluate import Case, removed_evidence_cases
    from training.pairs import news_articles, news_questions

    questions = list(news_questions(set(folds)))
    articles = news_articles()
    by_year: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        by_year[q["question_date"][:4]].append(q)
    if per_year:
        rng = random.Random(13)
        by_year = {y: rng.sample(qs, min(per_year, len(qs))) for y, qs in sorted(by_year.items())}
    records: list = []
    for year, qs in sorted(by_year.items()):
        urls = dict.fromkeys(u for q in qs for u in (*q["evidence_urls"], *q["retrieved_urls"]))
        store = OUT / f"news-{year}-{_tag(folds)}{f'-{per_year}' if per_year else ''}"
        chosen = [articles[u] for u in urls if u in articles]
        assistant = _open(store, model, chosen, f"{len(chosen)} {year} news articles")
        cases = [
            Case(
                id=q["id"],
                question=q["question"],
                answers=tuple(q["answers"]),
                evidence_urls=tuple(q["evidence_urls"]),
                as_of=_date(q["question_date"]),
            )
            for q in qs
        ]
        week = {q["id"]: q["week"] for q in qs}
        records += collect(assistant, "news", cases, lambda c, w=week: _half(w[c.id]))
        with tempfile.TemporaryDirectory(prefix="removed-evidence-") as tmp:
            copy = Path(tmp) / "store"
            shutil.copytree(store, copy)
            assistant = _assistant(copy, model)  # the store's own is still open: a copy has its own lock
            evidence = {u for c in cases for u in c.evidence_urls}
            for article in assistant.articles():
                if article.url in evidence:
                    assistant.delete(article.article_id)
            unanswered = removed_evidence_cases(cases, (a.text for a in assistant.articles()))
            records += collect(assistant, "news-removed", unanswered, lambda c, w=week: _half(w[c.id]))
    return records


def sample(model: str | None, collect: Collect = _ask) -> list:
    """``collect``'s results for the seed and Wikinews questions on the shipped sample."""
    from assistant.evaluate import load_cases

    assistant = _assistant(OUT / "sample", model)
    if not assistant.articles():
        assistant.ingest([ROOT / "data" / "articles"])
    records = []
    for part in ("seed", "wikinews"):
        cases, _ = load_cases(ROOT / "tests" / "data" / f"{part}_qa.jsonl")
        records += collect(assistant, part, cases, lambda c: 0)
    return records


def _date(text: str):  # noqa: ANN202
    from datetime import date

    return date.fromisoformat(text)


def figures(records: list[Record], threshold: float | dict[int, float]) -> dict[str, float]:
    """The table's figures at ``threshold`` (or one threshold for each half)."""

    def answered(r: Record) -> bool:
        t = threshold if isinstance(threshold, float) else threshold[r.half]
        return not r.floor and r.confidence >= t

    out: dict[str, float] = {}
    by_part: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_part[r.part].append(r)
    for part, rs in sorted(by_part.items()):
        has = [r for r in rs if not r.abstain]
        no = [r for r in rs if r.abstain]
        if has:
            out[f"{part} answer in text"] = sum(r.correct and answered(r) for r in has) / len(has)
            out[f"{part} false abstention"] = sum(not answered(r) for r in has) / len(has)
        if no:
            out[f"{part} abstention"] = sum(not answered(r) for r in no) / len(no)
        out[f"{part} questions"] = float(len(rs))
    return out


def ece(records: list[Record], bins: int = 10) -> float:
    """Expected calibration error of the confidence as P(the answer is right), over the answers
    made at threshold 0."""
    made = [r for r in records if not r.floor]
    total = 0.0
    for b in range(bins):
        inside = [r for r in made if min(int(r.confidence * bins), bins - 1) == b]
        if inside:
            accuracy = sum(r.correct for r in inside) / len(inside)
            mean = sum(r.confidence for r in inside) / len(inside)
            total += len(inside) / len(made) * abs(accuracy - mean)
    return total


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Scale and bias of sigmoid(a z + b) fit to labels ``y`` (Newton steps on the log-loss)."""
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * z + b)))
        g = np.asarray([np.sum((p - y) * z), np.sum(p - y)])
        w = p * (1 - p) + 1e-9
        h = np.asarray([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    return float(a), float(b)


def _z(r: Record, weight: float) -> float:
    assert r.logit is not None
    return (r.logit + weight * r.ranker_logit) / (1 + weight)


def calibrated(records: list[Record], weight: float, a: float, b: float) -> list[Record]:
    """``records`` with the confidence the runtime gives them (reader/model.py Calibration)."""
    return [
        replace(r, confidence=float(1 / (1 + np.exp(-(a * _z(r, weight) + b))))) if r.logit is not None else r
        for r in records
    ]


def fit(records: list[Record], weight: float) -> dict:
    """Platt scaling of the averaged log-odds to P(the answer is right), then the highest
    threshold at which SQuAD HasAns false abstention stays <= 0.10 and news false abstention
    <= 0.05."""
    made = [r for r in records if not r.floor and r.logit is not None]
    a, b = _platt(np.asarray([_z(r, weight) for r in made]), np.asarray([float(r.correct) for r in made]))
    scored = calibrated(records, weight, a, b)
    threshold = 0.0
    for t in sorted({round(r.confidence, 4) for r in scored if not r.floor}):
        f = figures(scored, t)
        if (
            f.get("squad false abstention", 0.0) > HASANS_FALSE_ABSTENTION
            or f.get("news false abstention", 0.0) > NEWS_FALSE_ABSTENTION
        ):
            break
        threshold = t
    return {"scale": a, "bias": b, "threshold": threshold, "ranker_weight": weight}


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a sample: --squad 300 --news-per-year 25")
    parser.add_argument("--squad", type=int, help="ask this many SQuAD questions (default: all 1,831)")
    parser.add_argument(
        "--news-per-year", type=int, help="ask this many news questions a year (default: all)"
    )
    parser.add_argument("--parts", default="sample,squad,news")
    parser.add_argument("--model", help="ASSISTANT_ANSWER_MODEL for this run (a folder, or none)")
    parser.add_argument("--records", type=Path, help="write every question's record (JSONL) here")
    parser.add_argument("--fit", type=Path, help="fit calibration and threshold; write them here")
    parser.add_argument(
        "--ranker-weight",
        type=float,
        default=0.5,
        help="weight of the ranker's confidence log-odds averaged with the model's (docs/architecture.md)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if not SHARED.is_dir():
        print(f"{SHARED} is absent: only the sample part runs", file=sys.stderr)
        parts &= {"sample"}
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    records: list[Record] = []
    if "sample" in parts:
        records += sample(args.model)
    if args.quick:
        args.squad, args.news_per_year = args.squad or 300, args.news_per_year or 25
    if "squad" in parts:
        records += squad(args.squad, args.model)
    if "news" in parts:
        records += news(args.news_per_year, args.model)
    if args.records:
        args.records.write_text("".join(json.dumps(r.__dict__) + "\n" for r in records), encoding="utf-8")
    from assistant.config import Settings
    from assistant.query.rank import load_ranker
    from assistant.reader import model as answer_model

    settings = Settings.from_env()
    folder = answer_model.resolve(args.model or settings.answer_model)
    reader = answer_model.load(folder) if folder else None
    answerer_threshold = reader.calibration.threshold if reader else load_ranker().threshold
    print(f"\nanswer model: {reader.folder if reader else 'none'}; threshold {answerer_threshold:.3f}")
    for name, value in figures(records, answerer_threshold).items():
        print(f"{name:<34} {value:8.3f}")
    print(f"{'ECE (answers at threshold 0)':<34} {ece(records):8.3f}")
    if args.fit and reader is not None:
        held = [r for r in records if r.part in {"squad", "news", "news-removed"}]
        print("\nout of fold (each half of fold 0 scored with the other half's fit):")
        scored: list[Record] = []
        thresholds: dict[int, float] = {}
        for half in (0, 1):
            cal = fit([r for r in held if r.half != half], args.ranker_weight)
            print(f"  fit without half {half}: {cal}")
            scored += calibrated(
                [r for r in held if r.half == half], args.ranker_weight, cal["scale"], cal["bias"]
            )
            thresholds[half] = cal["threshold"]
        for name, value in figures(scored, thresholds).items():
            print(f"  {name:<32} {value:8.3f}")
        print(f"  {'ECE':<32} {ece(scored):8.3f}")
        final = fit(held, args.ranker_weight)
        args.fit.write_text(json.dumps(final, indent=1) + "\n", encoding="utf-8")
        print(f"fit on all of fold 0: {final} -> {args.fit}")
        shipped = calibrated(records, args.ranker_weight, final["scale"], final["bias"])
        print("with it (its calibration fitted on these fold-0 questions):")
        for name, value in figures(shipped, final["threshold"]).items():
            print(f"  {name:<32} {value:8.3f}")
        print(f"  {'ECE':<32} {ece(shipped):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
