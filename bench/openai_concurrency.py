"""Concurrent streaming chat completions through the official openai client against the real app;
prints p50/p95 time to the first chunk and to the end.

    .venv/bin/python bench/openai_concurrency.py [--requests 20] [--url http://127.0.0.1:7860 --token T]

Without --url it starts ``app.py`` on a free port with a temp store holding the seed article. All
requests go out at once (one thread each); every streamed answer is checked on its content (the
expected figure and a Sources list) and on the citations of its last chunk.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.http_concurrency import SEED_QUESTIONS as QUESTIONS  # noqa: E402
from tests.webapp import WebApp  # noqa: E402

MODEL = "news-assistant"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    parser.add_argument("--token", default="bench-token", help="its ASSISTANT_API_TOKEN")
    args = parser.parse_args()
    app = None if args.url else WebApp(env={"ASSISTANT_API_TOKEN": args.token}).start()
    url = args.url or app.url
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=args.token, max_retries=0, timeout=120)

    def one(i: int) -> tuple[float, float, bool]:
        question, expected = QUESTIONS[i % len(QUESTIONS)]
        start = time.perf_counter()
        first = None
        content, citations = [], None
        for chunk in client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": question}], stream=True
        ):
            first = first or time.perf_counter() - start
            delta = chunk.choices[0].delta
            content.append(delta.content or "")
            citations = (delta.model_extra or {}).get("citations", citations)
        text = "".join(content)
        ok = expected in text and "Sources:" in text and bool(citations) and expected in citations[0]["quote"]
        return first, time.perf_counter() - start, ok

    try:
        one(0)  # warm
        wall = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.requests) as pool:
            results = list(pool.map(one, range(args.requests)))
        wall = time.perf_counter() - wall
    finally:
        client.close()
        if app:
            app.stop()
    ok = sum(r[2] for r in results)
    first, end = ([r[n] * 1000 for r in results] for n in (0, 1))
    print(
        f"{args.requests} concurrent streamed chat completions: {ok}/{args.requests} correct; "
        f"first chunk p50 {statistics.median(first):.0f} ms, p95 {percentile(first, 0.95):.0f} ms; "
        f"end p50 {statistics.median(end):.0f} ms, p95 {percentile(end, 0.95):.0f} ms; "
        f"{args.requests / wall:.1f} req/s"
    )
    return 0 if ok == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
