"""Concurrent POST /api/ask against the real app on a loopback port: throughput, p50 and p95.

    .venv/bin/python bench/http_concurrency.py [--levels 20,100,200] [--articles 300] [--url URL]
        [--only repeated|distinct]

Without --url it starts ``app.py`` on a free port over a store of the seed article plus
``--articles`` synthetic ones (bench/corpus.py), built once under bench/out/ and reused (a copy is
served, so every run starts from the same files). At each level that many requests go out at once
(one thread each); every answer is checked: the seed article's questions and "how many" questions
about synthetic events whose answer (a count) stands in one article only. A first pass asks each
question once, alone; the levels use those answered right then (a wrong one is a ranking matter,
not a load one), so "all correct" means load changed no answer.

Two workloads, each on an app of its own:

- ``repeated``: the app as configured; the levels cycle through the 50 questions of the first
  pass, so each is asked many times (popular questions) and, with the answer cache
  (assistant/query/answer_cache.py), served from it.
- ``distinct``: the app with ``ASSISTANT_ANSWER_CACHE=0`` (no answer kept) and each synthetic
  question in six wordings, so no two requests of a level ask the same text (none is coalesced
  with another) and every answer is computed: the cost of questions nobody asked before.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.corpus import articles  # noqa: E402
from tests.webapp import SEED, WebApp  # noqa: E402

SEED_QUESTIONS = [
    ("How many died in the Sinai crash?", "224"),
    ("How many people died in the Paris attacks?", "129"),
    ("How many EU member states agreed to France's request for help?", "28"),
    ("In what year was the Lisbon Treaty that introduced the mutual assistance clause?", "2009"),
]


# Wordings of a synthetic event's question; the first is the one of the repeated workload.
WORDINGS = [
    "How many people were affected by the {event} in {city}?",
    "How many people did the {event} in {city} affect?",
    "In {city}, how many people were affected by the {event}?",
    "How many were affected by the {event} in {city}?",
    "What number of people were affected by the {event} in {city}?",
    "How many people were affected by the {city} {event}?",
]


def questions(records: list[dict], wordings: int = 1) -> list[tuple[str, str]]:
    """The seed questions, then one per synthetic event that only one article reports (in the
    first ``wordings`` of WORDINGS each)."""
    titles = [r["title"].split(" (")[0].split(" in ") for r in records]
    events = [(event.lower(), city) for event, city in titles]
    counts = Counter(events)
    reported = [
        (event, city, record["text"].split(", and ", 1)[1].split(" ", 1)[0])
        for record, (event, city) in zip(records, events, strict=True)
        if counts[event, city] == 1
    ]
    out = list(SEED_QUESTIONS)
    for wording in WORDINGS[:wordings]:
        out += [(wording.format(event=event, city=city), count) for event, city, count in reported]
    return out


def build_store(n_articles: int, records: list[dict]) -> Path:
    """bench/out/http-store-N: the seed article and ``records``, ingested once by the CLI."""
    store = ROOT / "bench" / "out" / f"http-store-{n_articles}"
    if not (store / "complete").exists():
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir(parents=True)
        corpus = store.parent / f"http-corpus-{n_articles}.jsonl"
        corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
        env = {**os.environ, "ASSISTANT_STORE_DIR": str(store)}
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "ingest", str(SEED), str(corpus)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (store / "complete").touch()
        print(f"built {store.name} in {time.perf_counter() - started:.0f} s")
    return store


def run_level(client: httpx.Client, qs: list[tuple[str, str]], n: int, offset: int) -> str:
    def one(i: int) -> tuple[float, bool]:
        question, expected = qs[(offset + i) % len(qs)]
        start = time.perf_counter()
        response = client.post("/api/ask", json={"question": question})
        elapsed = time.perf_counter() - start
        return elapsed, _correct(response, expected)

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - wall
    latencies = sorted(r[0] for r in results)
    ok = sum(r[1] for r in results)
    p95 = latencies[min(n - 1, round(0.95 * (n - 1)))]
    line = (
        f"{n:>4} concurrent /api/ask: {ok}/{n} correct, {n / wall:5.1f} questions/s, "
        f"p50 {statistics.median(latencies) * 1000:6.0f} ms, p95 {p95 * 1000:6.0f} ms"
    )
    return line if ok == n else line + "  WRONG ANSWERS"


def _correct(response: httpx.Response, expected: str) -> bool:
    return response.status_code == 200 and expected in response.json()["answer"]


WORKLOADS = {
    # name: (wordings, app environment)
    "repeated": (1, {}),
    "distinct": (len(WORDINGS), {"ASSISTANT_ANSWER_CACHE": "0"}),
}


def run_workload(name: str, url: str, qs: list[tuple[str, str]], levels: list[int]) -> tuple[list[str], bool]:
    """The first pass and the levels of one workload against the app at ``url``."""
    failed = False
    # A connection per request, as from separate users; kept-alive ones raced uvicorn's idle
    # close between levels ("Bad file descriptor").
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    with httpx.Client(base_url=url, timeout=300, limits=limits) as client:
        alone = [(q, e) for q, e in qs if _correct(client.post("/api/ask", json={"question": q}), e)]
        print(f"{name}: {len(alone)} of {len(qs)} questions answered right alone; the levels ask those")
        lines, offset = [], 0
        for n in levels:
            line = f"{name:>8} " + run_level(client, alone, n, offset)
            offset += n
            failed |= line.endswith("WRONG ANSWERS")
            print(line, flush=True)
            lines.append(line)
    return lines, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="20,100,200", help="concurrency levels, comma-separated")
    parser.add_argument("--articles", type=int, default=300, help="synthetic articles in the store")
    parser.add_argument("--url", default=None, help="a running server over that store (default: start one)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the started app")
    parser.add_argument("--only", choices=sorted(WORKLOADS), help="one workload (default: both)")
    args = parser.parse_args()
    records = articles(args.articles)
    levels = [int(x) for x in args.levels.split(",")]
    failed = False
    lines: list[str] = []
    for name, (wordings, workload_env) in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        qs = questions(records, wordings)
        if args.url:  # the server's own settings decide whether answers are kept
            found, bad = run_workload(name, args.url, qs, levels)
        else:
            served = Path(tempfile.mkdtemp(prefix="bench-http-")) / "store"
            shutil.copytree(build_store(args.articles, records), served)
            env = {**workload_env, **dict(item.split("=", 1) for item in args.env)}
            app = WebApp(env=env, store=served).start()
            try:
                found, bad = run_workload(name, app.url, qs, levels)
            finally:
                app.stop()
                shutil.rmtree(served.parent, ignore_errors=True)
        lines += found
        failed |= bad
    print("\n".join(["", *lines]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
