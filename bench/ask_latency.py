"""ask() latency p50/p95 over >= 200 questions on a store of >= 2,000 articles.

Usage: python bench/ask_latency.py [N_ARTICLES] [N_QUESTIONS]   (defaults 2000, 200)
The store is built once under bench/out/ and reused by later runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from bench.corpus import articles, questions  # noqa: E402


def main() -> None:
    n_articles = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_questions = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    records = articles(n_articles)
    store = ROOT / "bench" / "out" / f"store-{n_articles}"
    assistant = Assistant(store_dir=store, settings=Settings.from_env(env={}))
    if len(assistant.articles()) < n_articles:
        t = time.perf_counter()
        assistant.ingest_records(records, origin="bench")
        print(f"built store of {n_articles} articles in {time.perf_counter() - t:.0f} s")
    qs = questions(records, n_questions)
    assistant.ask(qs[0])  # first call builds or loads the keyword index
    times = []
    for q in qs:
        t = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(0.95 * len(times)) - 1]
    print(f"articles {len(assistant.articles())}, questions {len(times)}")
    print(f"ask() latency p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    print("goal: p50 <= 100 ms, p95 <= 250 ms")


if __name__ == "__main__":
    main()
