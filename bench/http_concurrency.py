"""Concurrent POST /api/ask against the real app on a loopback port; prints p50/p95 latency.

    .venv/bin/python bench/http_concurrency.py [--requests 20] [--url http://127.0.0.1:7860]

Without --url it starts ``app.py`` on a free port with a temp store holding the seed article.
All requests go out at once (one thread each); every answer is checked.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.webapp import WebApp  # noqa: E402

QUESTIONS = [
    ("How many died in the Sinai crash?", "224"),
    ("How many people died in the Paris attacks?", "129"),
    ("How many EU member states agreed to France's request for help?", "28"),
    ("In what year was the Lisbon Treaty that introduced the mutual assistance clause?", "2009"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    args = parser.parse_args()
    app = None if args.url else WebApp().start()
    url = args.url or app.url
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            client.post("/api/ask", json={"question": QUESTIONS[0][0]}).raise_for_status()  # warm

            def one(i: int) -> tuple[float, bool]:
                question, expected = QUESTIONS[i % len(QUESTIONS)]
                start = time.perf_counter()
                response = client.post("/api/ask", json={"question": question})
                elapsed = time.perf_counter() - start
                return elapsed, response.status_code == 200 and expected in response.json()["answer"]

            wall = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.requests) as pool:
                results = list(pool.map(one, range(args.requests)))
            wall = time.perf_counter() - wall
    finally:
        if app:
            app.stop()
    latencies = sorted(r[0] for r in results)
    ok = sum(r[1] for r in results)
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"{args.requests} concurrent /api/ask: {ok}/{args.requests} correct, "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, "
        f"{args.requests / wall:.1f} req/s"
    )
    return 0 if ok == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
