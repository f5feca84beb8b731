"""Every ranked candidate of many questions, kept: what the answer ranker is fitted on.

Usage: python bench/rank_data.py [--folds 1,2,3,4] [--squad N] [--news-per-year N] [--depth M] [--model DIR]

Asks the questions of bench/answer_quality.py's parts (SQuAD 2.0 articles and news weeks of
``--folds``, each news year its own store, asked as of the question's date, plus removed
evidence) as the assistant does, and keeps for each its Evidence (the ranked candidates and
their ranking features, vectors dropped), which candidates hold an accepted answer (and which of
those stand in an evidence article), and the answer model's log-odds for the ranker's top
``--depth``. Written to bench/out/items-<folds>.pkl; bench/fit_answer.py fits on them.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answer_quality import OUT, _tag, news, sample, squad  # noqa: E402

DEPTH = 16  # the ranker's top candidates the answer model reads


@dataclass
class Item:
    """One question asked on one store."""

    part: str  # "squad" | "news" | "news-removed"
    id: str
    half: int
    abstain: bool  # nothing in the store answers it
    evidence: Any  # query.answerer.Evidence, rows' vectors dropped; None for an empty store
    holds: np.ndarray  # per ranked candidate: its sentence holds an accepted answer
    from_evidence: np.ndarray  # ... and stands in an evidence article (news) / always (SQuAD)
    model: np.ndarray  # the answer model's log-odds of ranked[:depth]


def collect(depth: int):  # noqa: ANN201 (answer_quality.Collect)
    def run(assistant, part: str, cases, half_of) -> list[Item]:  # noqa: ANN001
        from tqdm import tqdm

        from assistant.evaluate import holds_answer
        from assistant.query.answerer import Evidence, clean_question
        from assistant.query.judge import previous_id
        from assistant.reader.text import passage

        answerer = assistant._answerer  # noqa: SLF001 (the bench reads the ranked list)
        reader = answerer.reader
        assert reader is not None, "the answer model must be on (--model)"
        store = assistant._store  # noqa: SLF001
        items = []
        for case in tqdm(cases, desc=part, unit="q", file=sys.stderr):
            text = clean_question(assistant.standalone(case.question, case.history), 2000)
            found = answerer.gather(text, None, None, case.as_of)
            if not isinstance(found, Evidence):
                items.append(Item(part, case.id, half_of(case), case.abstain, None, *(np.zeros(0),) * 3))
                continue
            ranked = found.ranked
            top = ranked[:depth]
            before = answerer.before(top, found.rows)
            titles = store.titles(list({c.row.article_id for c in top}))
            logits = reader.logits(
                text,
                [
                    passage(c.row.text, titles.get(c.row.article_id), before.get(previous_id(c) or ""))
                    for c in top
                ],
            )
            urls = {a: v.url for a, v in store.get(list({c.row.article_id for c in ranked})).items()}
            holds = np.asarray([holds_answer(c.row.text, case.answers) for c in ranked], dtype=bool)
            evidence_urls = set(case.evidence_urls)
            from_evidence = np.asarray(
                [
                    h and (not evidence_urls or urls.get(c.row.article_id) in evidence_urls)
                    for c, h in zip(ranked, holds, strict=True)
                ],
                dtype=bool,
            )
            light = replace(
                found,
                rows=[],
                ranked=[replace(c, row=replace(c.row, vector=[])) for c in ranked],
            )
            items.append(
                Item(part, case.id, half_of(case), case.abstain, light, holds, from_evidence, logits)
            )
        return items

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="1,2,3,4")
    parser.add_argument("--squad", type=int, help="this many SQuAD questions (default: all)")
    parser.add_argument("--news-per-year", type=int, help="this many news questions a year (default: all)")
    parser.add_argument("--depth", type=int, default=DEPTH)
    parser.add_argument("--parts", default="squad,news", help="of squad, news, sample")
    parser.add_argument("--model", default="default", help="answer model folder reading the top --depth")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    folds = frozenset(int(f) for f in args.folds.split(","))
    parts = set(args.parts.split(","))
    run = collect(args.depth)
    OUT.mkdir(parents=True, exist_ok=True)
    for part in ("squad", "news", "sample"):
        if part not in parts:
            continue
        # The sample (seed and Wikinews questions) is in no fold: it is reported, never fitted on.
        target = OUT / f"items-{part}-{'dev' if part == 'sample' else _tag(folds)}.pkl"
        if part == "squad":
            items = squad(args.squad, args.model, folds, run)
        elif part == "news":
            items = news(args.news_per_year, args.model, folds, run)
        else:
            items = sample(args.model, run)
        target.write_bytes(pickle.dumps(items))
        print(f"{len(items)} items -> {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
