"""Ingestion throughput on real-length articles, against raw encoding and the plain llama-index pipeline.

Usage: python bench/ingest_throughput.py [N_ARTICLES] [--rounds R] [--backend B]
       (defaults 100 articles, 3 rounds, the backend of ASSISTANT_EMBED_BACKEND / Settings)

Articles: the first N of ../shared/realnews-dev/dev_corpus.jsonl when present (about 9,000
characters each), else N generated articles of 5,000 characters. Each round, in one process and
interleaved (the machine is shared and noisy, so every figure is the median over rounds):

- ours: ``Assistant.ingest_records`` into a fresh embedded store (clean, split, one encoder pass
  for chunk and sentence vectors, three Chroma collections);
- raw encode of the same backend: ``Embedder.texts`` on exactly the chunk texts we stored;
- raw torch encode: sentence-transformers' ``encode`` on those texts (batch as configured);
- the plain pipeline: ``VectorStoreIndex`` + ``SentenceSplitter(chunk_size=256, chunk_overlap=0)``
  (the window the model reads, each token embedded once as in ours; the default 1,024 would embed
  a quarter of each chunk) with ``HuggingFaceEmbedding`` of the same model into a fresh embedded
  Chroma, as bench/compare_baseline.py builds it.

KB per article is the store folder's size on disk after the ingest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.embed import load_embedder, resolve_model  # noqa: E402
from bench.corpus import articles  # noqa: E402

REALNEWS = ROOT.parent / "shared" / "realnews-dev" / "dev_corpus.jsonl"


def load_records(n: int) -> tuple[list[dict], str]:
    if REALNEWS.is_file():
        with REALNEWS.open(encoding="utf-8") as f:
            records = [json.loads(line) for _, line in zip(range(n), f, strict=False)]
        return records, f"realnews-dev (first {len(records)})"
    print(f"{REALNEWS} absent: using generated 5,000-character articles")
    return articles(n, min_chars=5000), "generated, 5,000 characters each"


def folder_kb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default=None, help="torch | onnx | onnx-int8")
    args = parser.parse_args()

    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from sentence_transformers import SentenceTransformer

    from bench.compare_baseline import Baseline

    settings = Settings.from_env(embed_backend=args.backend)
    records, origin = load_records(args.n)
    chars = sum(len(r.get("text") or "") for r in records)
    embedder = load_embedder(
        settings.embed_model, settings.embed_batch_size, settings.embed_backend, settings.embed_cache_dir
    )
    path = resolve_model(settings.embed_model)
    torch_model = SentenceTransformer(path, device="cpu")
    plain_embed = HuggingFaceEmbedding(model_name=path, embed_batch_size=settings.embed_batch_size)
    splitter = SentenceSplitter(chunk_size=256, chunk_overlap=0)
    embedder.texts([r["text"][:2000] for r in records[:8]])  # load kernels before timing
    torch_model.encode([r["text"][:2000] for r in records[:8]])

    figures: dict[str, list[float]] = {k: [] for k in ("ours", "raw", "raw_torch", "plain", "kb")}
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
            store = Path(tmp) / "ours"
            assistant = Assistant(store_dir=store, settings=settings)
            t = time.perf_counter()
            report = assistant.ingest_records(records, origin="bench")
            ours = time.perf_counter() - t
            figures["kb"].append(folder_kb(store) / max(1, len(report.added)))
            stored = assistant.articles()
            chunk_texts = [n.text for n in assistant._store.iter_chunks()]  # noqa: SLF001 (bench)
            t = time.perf_counter()
            embedder.texts(chunk_texts)
            raw = time.perf_counter() - t
            t = time.perf_counter()
            torch_model.encode(chunk_texts, batch_size=settings.embed_batch_size)
            raw_torch = time.perf_counter() - t
            t = time.perf_counter()
            Baseline(stored, path, 1, Path(tmp) / "plain", embed_model=plain_embed, splitter=splitter)
            plain = time.perf_counter() - t
        n_articles, n_chunks = len(report.added), len(chunk_texts)
        figures["ours"].append(n_chunks / ours)
        figures["raw"].append(n_chunks / raw)
        figures["raw_torch"].append(n_chunks / raw_torch)
        figures["plain"].append(n_articles / plain)
        print(
            f"round {r + 1}: ours {n_articles / ours:.2f} articles/s ({n_chunks / ours:.1f} chunks/s), "
            f"raw {n_chunks / raw:.1f}, raw torch {n_chunks / raw_torch:.1f} chunks/s, "
            f"plain pipeline {n_articles / plain:.2f} articles/s",
            flush=True,
        )

    med = {k: statistics.median(v) for k, v in figures.items()}
    per_article = n_chunks / n_articles
    backend, batch = settings.embed_backend, settings.embed_batch_size
    print(f"\narticles              {n_articles} ({origin}; {chars / len(records):,.0f} characters each)")
    print(f"backend               {backend}, batch {batch}, medians of {args.rounds} rounds")
    print(f"chunks                {n_chunks} ({per_article:.1f} per article, sentence vectors in that pass)")
    print(f"ingestion             {med['ours'] / per_article:.2f} articles/s = {med['ours']:.1f} chunks/s")
    print(f"vs raw encode, same backend   {med['ours'] / med['raw']:.2f}  (raw {med['raw']:.1f} chunks/s)")
    raw_torch = med["raw_torch"]
    print(f"vs raw torch encode           {med['ours'] / raw_torch:.2f}  (raw {raw_torch:.1f} chunks/s)")
    print(
        f"vs plain llama-index pipeline {med['ours'] / per_article / med['plain']:.2f}  "
        f"(plain {med['plain']:.2f} articles/s)"
    )
    print(f"store size            {med['kb']:.0f} KB per article")


if __name__ == "__main__":
    main()
