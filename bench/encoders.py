"""Encoder backends side by side: speed (interleaved, medians) and agreement with torch fp32.

Usage: python bench/encoders.py [N_CHUNKS] [--rounds R] [--backends torch,onnx,onnx-int8]
       (defaults 1,500 chunks, 5 rounds)

Chunks are cut by the ingest pipeline's own chunker from ../shared/realnews-dev when present
(generated 5,000-character articles otherwise). Each round times every backend's ``Embedder.texts``
on the same chunks, in a rotating order, in one process: on a shared machine the load shifts
between runs, so only interleaved medians compare. Agreement: cosine of chunk vectors and of the
sentence vectors pooled inside them (``chunks_and_sentences``) to torch's, mean and minimum.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.embed import load_embedder  # noqa: E402
from assistant.ingest.chunk import plan_chunks  # noqa: E402
from assistant.ingest.sentences import sentence_spans  # noqa: E402
from bench.ingest_throughput import load_records  # noqa: E402


def chunks(n: int, chunk_tokens: int) -> tuple[list[str], list[list[tuple[int, int]]]]:
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    records, _ = load_records(max(1, n // 10))
    for record in records:
        text = record["text"]
        sentences = sentence_spans(text)
        for plan in plan_chunks(text, sentences, chunk_tokens):
            lo = plan.span.start
            texts.append(text[lo : plan.span.end])
            spans.append([(sentences[i].start - lo, sentences[i].end - lo) for i in plan.sentences])
    return texts[:n], spans[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    args = parser.parse_args()
    settings = Settings.from_env()
    texts, spans = chunks(args.n, settings.chunk_tokens)
    names = args.backends.split(",")
    embedders = {
        b: load_embedder(settings.embed_model, settings.embed_batch_size, b, settings.embed_cache_dir)
        for b in names
    }
    for e in embedders.values():
        e.texts(texts[:16])  # warm up
    rates: dict[str, list[float]] = {b: [] for b in names}
    for r in range(args.rounds):
        for b in names[r % len(names) :] + names[: r % len(names)]:
            t = time.perf_counter()
            embedders[b].texts(texts)
            rates[b].append(len(texts) / (time.perf_counter() - t))
        print(f"round {r + 1}: " + ", ".join(f"{b} {rates[b][-1]:.1f}/s" for b in names), flush=True)
    reference = embedders.get("torch")
    ref = reference.chunks_and_sentences(texts, spans) if reference else None
    print(f"\n{len(texts)} chunks, batch {settings.embed_batch_size}, medians of {args.rounds} rounds")
    print("backend    chunks/s  vs torch (median of per-round ratios)  cosine to torch:")
    print("                                                            chunks mean/min, sentences mean/min")
    for b in names:
        line = f"{b:<10} {statistics.median(rates[b]):8.1f}"
        if reference:
            ratios = [x / t for x, t in zip(rates[b], rates["torch"], strict=True)]
            line += f"  {statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})"
            got = embedders[b].chunks_and_sentences(texts, spans)
            c = np.sum(got[0] * ref[0], axis=1)
            s = np.concatenate([np.sum(x * y, axis=1) for x, y in zip(got[1], ref[1], strict=True)])
            line += f"  {c.mean():.4f} / {c.min():.4f}, {s.mean():.4f} / {s.min():.4f}"
        print(line)


if __name__ == "__main__":
    main()
