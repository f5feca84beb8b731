"""Ingestion throughput (chunks/s) next to the model's raw encode rate on the same chunk texts.

Usage: python bench/ingest_throughput.py [N_ARTICLES]   (default 300)
The raw rate is sentence-transformers' encode() alone on exactly the chunk texts the pipeline
stored, in the same process, so the ratio shows what the pipeline costs beyond the model.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from bench.corpus import articles  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    records = articles(n)
    assistant = Assistant(store_dir=tempfile.mkdtemp(), settings=Settings.from_env(env={}))
    assistant.ingest_records(articles(5, seed=99), origin="warmup")  # load kernels before timing
    started = time.perf_counter()
    report = assistant.ingest_records(records, origin="bench")
    elapsed = time.perf_counter() - started
    stored = [a for a in assistant.articles() if a.article_id in set(report.added)]
    chunks = sum(a.chunks for a in stored)
    chunk_texts = [n.text for n in assistant._store.iter_chunk_nodes()]  # noqa: SLF001 (bench only)
    model = assistant._embedder._model._model  # noqa: SLF001 the SentenceTransformer itself
    t0 = time.perf_counter()
    model.encode(chunk_texts, batch_size=assistant.settings.embed_batch_size)
    raw = len(chunk_texts) / (time.perf_counter() - t0)
    rate = chunks / elapsed
    print(f"articles ingested     {len(report.added)}")
    print(f"chunks                {chunks}  (sentence vectors pooled from the same pass)")
    print(f"ingestion             {elapsed:.1f} s = {rate:.1f} chunks/s")
    batch = assistant.settings.embed_batch_size
    print(f"raw encode, same text {raw:.1f} chunks/s (SentenceTransformer.encode, batch {batch})")
    print(f"ratio                 {rate / raw:.2f}  (goal >= 0.8)")


if __name__ == "__main__":
    main()
