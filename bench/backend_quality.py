"""Answer quality per encoder backend on real news: is a faster backend as good as torch fp32?

Usage: python bench/backend_quality.py [--others N] [--backends torch,onnx-int8]   (default 100)

Builds one store per backend (under bench/out/backend-<name>/, reused by later runs) from a fixed
slice of ../shared/realnews-dev: the evidence articles of all dev questions plus the first N other
articles, asks every question, and counts per backend:

- evidence@1: the first citation comes from one of the question's evidence articles;
- answer-in-text: the gold answer stands in the answer text;
- answer-in-cited-sentence: the gold answer stands in a cited sentence;
- agreement: the first citation is the same sentence as the first backend's.

Skips with one line when the dev set is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "realnews-dev"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[“”\"'‘’.,]", "", text)).strip().lower()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--others", type=int, default=100)
    parser.add_argument("--backends", default="torch,onnx-int8")
    args = parser.parse_args()
    if not (DEV / "dev_qa.jsonl").is_file():
        print(f"skipped: {DEV} is absent")
        return 0

    from assistant import Assistant
    from assistant.config import Settings

    qa = [json.loads(line) for line in (DEV / "dev_qa.jsonl").open(encoding="utf-8")]
    wanted = {u for q in qa for u in q["evidence_urls"]}
    corpus = [json.loads(line) for line in (DEV / "dev_corpus.jsonl").open(encoding="utf-8")]
    others = [r for r in corpus if r["url"] not in wanted][: args.others]
    records = [r for r in corpus if r["url"] in wanted] + others
    firsts: list[tuple[str, int, int] | None] = []
    for backend in args.backends.split(","):
        settings = Settings.from_env(embed_backend=backend)
        assistant = Assistant(store_dir=ROOT / "bench" / "out" / f"backend-{backend}", settings=settings)
        if not assistant.articles():  # built once; ids dedupe, so count may be < len(records)
            t = time.perf_counter()
            assistant.ingest_records(records, origin="realnews-dev")
            took = time.perf_counter() - t
            print(f"{backend}: ingested {len(records)} articles in {took:.0f} s", flush=True)
        hit1 = in_text = in_cited = same = 0
        mine: list[tuple[str, int, int] | None] = []
        for q in qa:
            answer = assistant.ask(q["question"])
            gold = [_norm(a) for a in q["answers"]]
            cites = answer.citations
            first = assistant.article(cites[0].article_id) if cites else None
            hit1 += bool(first and first.url in q["evidence_urls"])
            in_text += any(g in _norm(answer.text) for g in gold)
            in_cited += any(g in _norm(c.quote) for g in gold for c in cites)
            mine.append((cites[0].article_id, cites[0].start, cites[0].end) if cites else None)
        if firsts:
            same = sum(a == b for a, b in zip(firsts, mine, strict=True))
        else:
            firsts, same = mine, len(qa)
        n = len(qa)
        print(
            f"{backend:<10} evidence@1 {hit1 / n:.3f}  answer-in-text {in_text / n:.3f}  "
            f"answer-in-cited-sentence {in_cited / n:.3f}  same first citation {same}/{n}  "
            f"({len(records)} articles, {n} questions)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
