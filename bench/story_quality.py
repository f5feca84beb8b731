"""Story clustering: pairwise precision, recall and F1 on the labelled pairs, and its ingest cost.

Usage: python bench/story_quality.py [--folds K] [--cost N] [--rounds R] [--no-quality] [--json OUT]

Quality: tests/data/story_pairs.jsonl holds article pairs read and labelled by hand (the two URLs
and whether they report one story: one news event with its later developments and reactions;
recurring reports, such as each day's gas prices or each weekend's box office, and roundups of
several stories are not one story), chosen in the same week from ../shared: realnews-dev and each
realtimeqa year (close vectors, shared headline words, or returned by one quiz question's search,
so most negatives are hard), and the Wikinews sample. The texts stay in ../shared; the file holds
URLs only. Every article of a corpus's pairs is ingested through ``Assistant.ingest_records``
into a fresh embedded store of that corpus, in order of publication (as news arrives), with the
clustering the product runs at ingest; then a pair counts as merged when both articles have one
``Article.story``. An article whose clean text is another's (a copy under a second URL) is that
article, in its story.

Out of fold (``--folds K``, 5 by default; 0 skips it): the rule's thresholds were chosen on these
pairs, so the figure above is in-sample. The pairs are split into K folds, the pairs that share
an article in one fold (a story's pairs are not scored on what chose its threshold); for each
fold the thresholds of ``GRID`` that score the best F1 on the other folds among those at
precision ``PRECISION_FLOOR`` or more (precision first; ties: the higher precision) place the
ingested articles' story records again (``stories.cluster.assign``, on the records ingest wrote)
and are scored on that fold's pairs alone; the folds' pairs pooled give the out-of-fold
precision, recall and F1, which a change to the rule must raise.

Cost (``--cost N``): the first N realnews-dev articles (by date: stories to find on every day),
ingested into fresh stores with clustering on (``story_days`` 5) and off (0), interleaved, R
rounds; the median time of each and their ratio. On a shared machine whole ingests vary by more
than clustering costs, so the time spent placing articles in stories (``stories.cluster.place``:
the story records read, the matching, nothing else) is also timed inside the "on" ingests, as a
share of them; the story records' write is in the ratio only.

Skips with a one-line message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.ingest import pipeline  # noqa: E402
from assistant.ingest.clean import clean  # noqa: E402
from assistant.ingest.formats import from_record  # noqa: E402
from assistant.store.records import StoryRecord  # noqa: E402
from assistant.stories.cluster import assign  # noqa: E402
from assistant.stories.match import RULE, Rule  # noqa: E402

SHARED = ROOT.parent / "shared"
PAIRS = ROOT / "tests" / "data" / "story_pairs.jsonl"
DEV = SHARED / "realnews-dev" / "dev_corpus.jsonl"
# The thresholds cross-validation chooses among: the vector tiers' cosines around the product's.
GRID = [
    replace(RULE, embed_cos=embed, strong_cos=strong)
    for embed, strong in itertools.product((0.7, 0.72, 0.75, 0.78, 0.8), (0.82, 0.85, 0.88))
]


def load_pairs() -> list[dict]:
    return [json.loads(line) for line in PAIRS.open(encoding="utf-8")]


def corpus_records(corpus: str, urls: set[str]) -> list[dict]:
    """The records of ``corpus`` (a path under ../shared) whose URL is in ``urls``, by date."""
    with (SHARED / corpus).open(encoding="utf-8") as f:
        records = [r for r in map(json.loads, f) if r.get("url") in urls]
    return sorted(records, key=lambda r: (r.get("published") or "9999", r["url"]))


def article_id(record: dict) -> str:
    """The id ingest gives a record (a hash of its clean text), so copies map to one article."""
    doc = from_record(record, "pair")
    assert not isinstance(doc, str), doc
    return clean(doc).article_id


def scores(merged: list[tuple[bool, bool]]) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of (predicted same, labelled same) pairs."""
    tp = sum(p and y for p, y in merged)
    fp = sum(p and not y for p, y in merged)
    fn = sum(y and not p for p, y in merged)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(merged),
        "same": sum(y for _, y in merged),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "false_merges": fp,
        "missed": fn,
    }


# Precision first: a fold's thresholds are the best F1 among those at this precision on the other
# folds (the highest precision where none reaches it), not the best F1 bought with wrong merges.
PRECISION_FLOOR = 0.9


def folds(pairs: list[dict], k: int) -> list[int]:
    """Each pair's fold, of ``k``: pairs that share an article (of one corpus) are one group, and a
    group's fold is a hash of its first URL, so it is the same on every run and machine."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for p in pairs:
        parent[root((p["corpus"], p["a"]))] = root((p["corpus"], p["b"]))
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for node in list(parent):
        groups[root(node)].append(node)
    fold = {
        top: int(hashlib.sha256(repr(min(nodes)).encode()).hexdigest(), 16) % k
        for top, nodes in groups.items()
    }
    return [fold[root((p["corpus"], p["a"]))] for p in pairs]


def merged_by(
    rule: Rule, records: dict[str, list[StoryRecord]], keys: list[tuple[str, str, str]]
) -> list[bool]:
    """Whether each pair (corpus, article id, article id) is one story when ``rule`` places the
    corpora's story records again, as ingest does (one store per corpus, in order of publication)."""
    story: dict[tuple[str, str], str] = {}
    for corpus, group in records.items():
        fresh = [replace(r, story=r.article_id) for r in group]
        story.update({(corpus, a): s for a, s in assign(fresh, [], {}, 5.0, rule).items()})
    return [story[c, a] == story[c, b] for c, a, b in keys]


def cross_validate(pairs: list[dict], merged: dict[Rule, list[bool]], k: int) -> dict:
    """Out-of-fold scores: each fold's pairs predicted by the rule of ``merged`` (each rule's
    prediction for every pair) that scores best on the other folds."""
    fold = folds(pairs, k)
    labels = [bool(p["same"]) for p in pairs]
    out: list[tuple[bool, bool]] = []
    chosen = []
    for f in range(k):
        train = [i for i, g in enumerate(fold) if g != f]

        def fitness(rule: Rule, train: list[int] = train) -> tuple[bool, float, float]:
            s = scores([(merged[rule][i], labels[i]) for i in train])
            return s["precision"] >= PRECISION_FLOOR, s["f1"], s["precision"]

        best = max(merged, key=fitness)
        chosen.append({name: v for name, v in vars(best).items() if v != getattr(RULE, name)})
        out += [(merged[best][i], labels[i]) for i, g in enumerate(fold) if g == f]
    return {"folds": k, "out_of_fold": scores(out), "chosen": chosen}


def quality(store_dir: Path, k: int) -> dict:
    pairs = load_pairs()
    by_corpus: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        by_corpus[p["corpus"]].append(p)
    # A store per corpus: a page in two corpora (realnews-dev and realtimeqa 2022 share weeks)
    # would otherwise be an update of itself.
    ids: dict[tuple[str, str], str] = {}
    story: dict[tuple[str, str], str | None] = {}
    placed: dict[str, list[StoryRecord]] = {}
    seconds = 0.0
    count = 0
    for n, (corpus, group) in enumerate(by_corpus.items()):
        assistant = Assistant(store_dir=store_dir / str(n), settings=Settings.from_env(env={}))
        records = corpus_records(corpus, {u for p in group for u in (p["a"], p["b"])})
        ids.update({(corpus, r["url"]): article_id(r) for r in records})
        started = time.perf_counter()
        report = assistant.ingest_records(records, origin=corpus)
        seconds += time.perf_counter() - started
        assert not report.failed, report.failed
        count += len(records)
        story.update({(corpus, a.article_id): a.story for a in assistant.articles()})
        days = sorted({date.fromisoformat(r.published) for r in assistant.articles() if r.published})
        placed[corpus] = assistant._store.story_records(days)  # noqa: SLF001 (bench)
        del assistant
    results: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    wrong = []
    for p in pairs:
        c = p["corpus"]
        merged = story[c, ids[c, p["a"]]] == story[c, ids[c, p["b"]]]
        results[p["corpus"]].append((merged, p["same"]))
        results["all"].append((merged, p["same"]))
        if merged != p["same"]:
            wrong.append({"kind": "false merge" if merged else "missed", **p})
    keys = [(p["corpus"], ids[p["corpus"], p["a"]], ids[p["corpus"], p["b"]]) for p in pairs]
    # The product's rule placed again must be what ingest made, or the folds score another thing.
    assert merged_by(RULE, placed, keys) == [m for m, _ in results["all"]]
    return {
        "articles": count,
        "stories": len(set(story.values())),
        "ingest_s": round(seconds, 1),
        "by_corpus": {c: scores(m) for c, m in sorted(results.items(), key=lambda kv: kv[0] == "all")},
        "cv": cross_validate(pairs, {r: merged_by(r, placed, keys) for r in GRID}, k) if k else None,
        "errors": wrong,
    }


def cost(n: int, rounds: int) -> dict:
    with DEV.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    records = sorted(records, key=lambda r: (r.get("published") or "9999", r["url"]))[:n]
    times: dict[str, list[float]] = {"on": [], "off": []}
    placing: list[float] = []
    real_place = pipeline.place

    def timed_place(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_place(*args, **kwargs)
        finally:
            placing[-1] += time.perf_counter() - started

    pipeline.place = timed_place  # type: ignore[assignment]
    warm = Assistant(store_dir=tempfile.mkdtemp(prefix="stories-warm-"), settings=Settings.from_env(env={}))
    placing.append(0.0)
    warm.ingest_records(records[:8])  # load the model and its kernels before timing
    placing.pop()
    for _ in range(rounds):
        for mode, days in (("off", 0.0), ("on", 5.0)):
            settings = Settings.from_env(env={}, story_days=days)
            assistant = Assistant(store_dir=tempfile.mkdtemp(prefix=f"stories-{mode}-"), settings=settings)
            placing.append(0.0)
            started = time.perf_counter()
            assistant.ingest_records(records)
            times[mode].append(time.perf_counter() - started)
            del assistant
            if mode == "off":
                placing.pop()
    pipeline.place = real_place  # type: ignore[assignment]
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    shares = [p / t for p, t in zip(placing, times["on"], strict=True)]
    return {
        "articles": len(records),
        "rounds": rounds,
        "on_s": round(on, 2),
        "off_s": round(off, 2),
        "ratio": round(on / off, 3),
        "per_round_ratio": [round(a / b, 3) for a, b in zip(times["on"], times["off"], strict=True)],
        "placing_s": round(statistics.median(placing), 2),
        "placing_share": round(statistics.median(shares), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5, help="out-of-fold figures over K folds (0: none)")
    parser.add_argument("--cost", type=int, default=0, help="also time ingest of N dev articles, on and off")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-quality", action="store_true", help="only the cost (with --cost)")
    parser.add_argument("--json", type=Path, help="write the figures (and each wrong pair) here")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"{SHARED} absent: skipping the story clustering bench")
        return
    figures: dict[str, dict] = {}
    if not args.no_quality:
        with tempfile.TemporaryDirectory(prefix="stories-") as folder:
            figures["quality"] = q = quality(Path(folder), args.folds)
        print(f"{q['articles']} articles in {q['stories']} stories, ingested in {q['ingest_s']} s")
        print(f"{'corpus':40} {'pairs':>5} {'same':>5} {'P':>6} {'R':>6} {'F1':>6} {'FP':>4} {'FN':>4}")
        for corpus, s in q["by_corpus"].items():
            print(
                f"{corpus:40} {s['pairs']:5} {s['same']:5} {s['precision']:6.3f} {s['recall']:6.3f} "
                f"{s['f1']:6.3f} {s['false_merges']:4} {s['missed']:4}"
            )
        if q["cv"]:
            s = q["cv"]["out_of_fold"]
            print(
                f"out of fold ({q['cv']['folds']} folds, thresholds chosen on the others): "
                f"{s['pairs']} pairs, P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f}; "
                f"chosen {q['cv']['chosen']}"
            )
    if args.cost:
        figures["cost"] = c = cost(args.cost, args.rounds)
        print(
            f"ingest of {c['articles']} dev articles, median of {c['rounds']} rounds: clustering on "
            f"{c['on_s']} s, off {c['off_s']} s, ratio {c['ratio']} (per round {c['per_round_ratio']}); "
            f"placing in stories {c['placing_s']} s, {100 * c['placing_share']:.2f} % of an ingest"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
