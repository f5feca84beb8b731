"""An archive-sized store: ask latency, memory, open time and write-to-answer time.

Usage: python bench/archive.py [N_ARTICLES] [N_QUESTIONS]   (defaults 100000, 100)

Builds (once, under bench/out/archive-N/) a store of N generated articles (bench/corpus.py). The
model would take hours on 2 cores for the bulk, so all but the last 200 articles get random unit
vectors for chunks and sentences (a bench-only stand-in for the embedder): Chroma, the HNSW graph,
the keyword index and the ranker do the same work on them. The last 200 and everything measured
after the build go through the real model. Then, in a new process state:
- open: a new Assistant on the store (model load excluded: it is the same at any size),
  and its first answer (the keyword index opened from its file, or caught up);
- ask p50/p95 over questions about the generated articles;
- ingest 10 new articles and time until the first answer that cites one of them;
- process RSS (current and peak).
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.embed import load_embedder  # noqa: E402
from assistant.ingest.pipeline import Indexer  # noqa: E402
from bench.corpus import articles, questions  # noqa: E402

REAL_TAIL = 200
BULK_BATCH = 2000


class RandomVectors:
    """Stands in for the embedder while bulk-loading filler: random unit vectors, same shapes."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._rng = np.random.default_rng(3)

    def _unit(self, n: int) -> np.ndarray:
        v = self._rng.normal(size=(n, self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def chunks_and_sentences(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._unit(len(texts)), [self._unit(len(s)) for s in spans]


def rss_mb() -> tuple[float, float]:
    """Current and peak resident memory of this process, MB."""
    status = Path("/proc/self/status").read_text().splitlines()
    current = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return current / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _p(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return statistics.median(ordered) if q == 50 else ordered[max(0, int(q / 100 * len(ordered)) - 1)]


def build(store: Path, records: list[dict], settings: Settings) -> None:
    assistant = Assistant(store_dir=store, settings=settings)
    have = assistant.count()
    bulk = records[:-REAL_TAIL]
    if have < len(bulk):
        filler = Indexer(assistant.settings, RandomVectors(assistant._embedder.dim), assistant._store)
        t = time.perf_counter()
        for i in range(have, len(bulk), BULK_BATCH):
            filler.ingest_records(bulk[i : i + BULK_BATCH], origin="bench-filler")
            done = min(i + BULK_BATCH, len(bulk))
            print(f"  {done} filler articles, {done / (time.perf_counter() - t):.0f}/s", flush=True)
    if assistant.count() < len(records):
        t = time.perf_counter()
        assistant.ingest_records(records[-REAL_TAIL:], origin="bench")
        print(f"  {REAL_TAIL} articles with the model in {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    assistant.ask("What happened in Lima?")  # keyword index built once, saved beside the store
    print(f"  keyword index built in {time.perf_counter() - t:.1f} s")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    n_questions = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    records = articles(n + 10)
    store = ROOT / "bench" / "out" / f"archive-{n}"
    settings = Settings.from_env(env={})
    t = time.perf_counter()
    build(store, records[:n], settings)
    print(f"store of {n} articles ready in {time.perf_counter() - t:.0f} s")
    size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
    print(f"store size {size / 1e9:.2f} GB, {size / 1024 / n:.0f} KB per article")

    embedder = load_embedder(settings.embed_model, settings.embed_batch_size)  # warm the model cache
    del embedder
    t = time.perf_counter()
    assistant = Assistant(store_dir=store, settings=settings)
    opened = time.perf_counter() - t
    t = time.perf_counter()
    assistant.ask("How many residents were evacuated in Oslo?")
    print(f"open {opened:.2f} s (model already loaded), first answer {time.perf_counter() - t:.2f} s")

    times = []
    for q in questions(records[:n], n_questions):
        t = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    encode = []
    for q in questions(records[:n], n_questions):
        t = time.perf_counter()
        assistant._embedder.question(q)
        encode.append((time.perf_counter() - t) * 1000)
    print(f"ask p50 {_p(times, 50):.0f} ms, p95 {_p(times, 95):.0f} ms over {len(times)} questions")
    enc = f"p50 {_p(encode, 50):.0f} ms, p95 {_p(encode, 95):.0f} ms"
    print(f"  of which question encoding ({settings.embed_backend}): {enc}")

    new, run = records[n:], int(time.time())  # new articles on every run: a re-run adds them too
    judges = [f"Ilse Marrow{run % 100_000}x{i}" for i in range(len(new))]  # a fact no other article holds
    for r, judge in zip(new, judges, strict=True):
        r["title"] = r["title"].replace(" in ", " in New ") + f" (run {run})"  # unique, as the judge
        r["url"] += f"-{run}"
        r["text"] += f"\n\nThe inquiry into the {r['title']} was led by judge {judge}."
    t = time.perf_counter()
    assistant.ingest_records(new, origin="bench-new")
    ingested = time.perf_counter() - t
    answer = assistant.ask(f"Who led the inquiry into the {new[3]['title']}?")
    total = time.perf_counter() - t
    found = judges[3] in answer.text
    print(f"10-article ingest {ingested:.2f} s, to first answer {total:.2f} s (answered from it: {found})")
    current, peak = rss_mb()
    print(f"process RSS {current:.0f} MB (peak {peak:.0f} MB)")
    print("goals: ask p50 <= 100 ms, p95 <= 250 ms at 100,000; first answer after a 10-article ingest <= 2 s")


if __name__ == "__main__":
    main()
