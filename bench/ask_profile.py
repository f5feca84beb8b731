"""Where the time of one process's ``ask`` goes, alone and under concurrent load.

    .venv/bin/python bench/ask_profile.py [--threads 1,40] [--questions 200] [--cprofile]

Runs the questions of bench/http_concurrency.py against that bench's 300-article store (built if
missing) in this process, on ``--threads`` threads (40 is the size of the threadpool uvicorn runs
sync routes on), and sums wall time per step of the query path. With one thread the sums are each
step's cost; with many, a step's time also holds its waits for the GIL and the CPU.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import assistant.query.answerer as answerer_module  # noqa: E402
from assistant import Assistant  # noqa: E402
from bench.corpus import articles  # noqa: E402
from bench.http_concurrency import build_store, questions  # noqa: E402

_spent: dict[str, float] = defaultdict(float)
_lock = threading.Lock()


def _timed(name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with _lock:
                _spent[name] += time.perf_counter() - start

    return wrapper


def instrument(assistant: Assistant) -> None:
    """Wrap each step of the query path (instance attributes and the answerer's imported names)."""
    store, answerer = assistant._store, assistant._answerer
    store.revision = _timed("store revision check", store.revision)
    store.query_chunks = _timed("dense chunk query (Chroma)", store.query_chunks)
    store.sentences = _timed("sentence fetch (Chroma)", store.sentences)
    store.get = _timed("article fetch (Chroma)", store.get)
    assistant._keyword.search = _timed("BM25", assistant._keyword.search)
    answerer._embedder.question = _timed("question encode", answerer._embedder.question)
    answerer_module.rank = _timed("sentence ranking", answerer_module.rank)
    answerer_module.judge = _timed("answer model (query/judge.py)", answerer_module.judge)
    answerer_module.analyse = _timed("question analysis", answerer_module.analyse)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,40")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top 25 (one thread)")
    args = parser.parse_args()
    records = articles(300)
    qs = [q for q, _ in questions(records)]
    assistant = Assistant(store_dir=build_store(300, records), read_only=True)
    instrument(assistant)
    assistant.ask(qs[0])
    batch = [qs[i % len(qs)] for i in range(args.questions)]
    for threads in (int(t) for t in args.threads.split(",")):
        _spent.clear()
        profile = cProfile.Profile() if args.cprofile and threads == 1 else None
        wall = time.perf_counter()
        if profile:
            profile.enable()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(assistant.ask, batch))
        if profile:
            profile.disable()
        wall = time.perf_counter() - wall
        rate = len(batch) / wall
        print(f"\n{threads} thread(s): {len(batch)} questions in {wall:.1f} s, {rate:.1f} questions/s")
        total = sum(_spent.values())
        for name, spent in sorted(_spent.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<28} {spent / len(batch) * 1000:7.1f} ms/question  {spent / total:5.1%}")
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
