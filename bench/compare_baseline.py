"""Ours against the plain llama-index pipeline a user would otherwise write, on one QA file.

Usage:
    python bench/compare_baseline.py [QA_FILE] [--corpus PATH] [--limit N]
                                     [--baseline-threshold X|auto] [--json OUT.json]

Defaults: tests/data/seed_qa.jsonl with corpus data/articles (a SQuAD v2 file brings its own
articles). Both systems are scored by ``assistant.evaluate.evaluate`` on the same cases.

The baseline is what the llama-index docs lead to: a ``VectorStoreIndex`` over its own collection
in a temporary embedded Chroma (``ChromaVectorStore``), the same embedding model through
llama-index's ``HuggingFaceEmbedding`` loaded from the same local path, the default
``SentenceSplitter()``, top-k similarity retrieval with k = ``Settings().top_k``, and as the answer
the sentence of the top chunk most similar to the question (llama-index's own Punkt sentence
tokenizer, the same embedding model). It has no abstention unless given a similarity threshold on
that sentence (``--baseline-threshold``; ``auto`` calibrates it the way ours was: just under the
lowest top similarity of the answerable questions). It has no follow-up condensing: a case with
history gets the raw question.

Same text for both: the articles are read once through our ingest path (clean text, the text every
citation offset points into) and the baseline indexes those texts as llama-index Documents, so a
baseline citation is a verbatim quote at its offsets in the same article text ours cites.
Sentence vectors of a chunk are computed once and cached, the baseline's best case for latency.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.embed import resolve_model  # noqa: E402  (sets HF_HUB_OFFLINE before llama-index loads models)
from assistant.evaluate import Case, Report, evaluate, load_cases  # noqa: E402
from assistant.query.answerer import citation  # noqa: E402
from assistant.schema import Answer, Article  # noqa: E402

DEFAULT_QA = ROOT / "tests" / "data" / "seed_qa.jsonl"
DEFAULT_CORPUS = ROOT / "data" / "articles"
NOT_COVERED = "The loaded articles don't cover this question."
# Metrics where higher is better, and where lower is better; the rest are reported only.
HIGHER = ("answer_accuracy", "evidence_hit@1", "evidence_hit@k", "evidence_mrr", "citation_validity")
HIGHER_ABSTAIN = ("abstain_precision", "abstain_recall", "abstain_f1")
LOWER = ("latency_p50_ms", "latency_p95_ms")


class Baseline:
    """The plain pipeline: VectorStoreIndex + SentenceSplitter() + top-k + top sentence of top chunk."""

    def __init__(
        self,
        articles: Sequence[Article],
        model_path: str,
        top_k: int,
        chroma_dir: Path,
        threshold: float | None = None,
        embed_model=None,
        splitter=None,
    ) -> None:
        import chromadb
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.core.utils import globals_helper
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.threshold = threshold
        self.articles = {a.article_id: a for a in articles}
        self._embed = embed_model or HuggingFaceEmbedding(model_name=model_path)
        client = chromadb.PersistentClient(path=str(chroma_dir))
        collection = client.get_or_create_collection("baseline")
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        documents = [
            Document(
                text=a.text,
                id_=a.article_id,
                metadata={"title": a.title or "", "source": a.source or "", "published": a.published or ""},
            )
            for a in articles
        ]
        self.index = VectorStoreIndex.from_documents(
            documents,
            storage_context=storage,
            embed_model=self._embed,
            transformations=[splitter or SentenceSplitter()],
        )
        self._retriever = self.index.as_retriever(similarity_top_k=top_k)
        self._punkt = globals_helper.punkt_tokenizer
        self._sentences: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}

    def top_sentence(self, question: str) -> tuple[Article, int, int, float] | None:
        """The top chunk's sentence most similar to ``question``: (article, start, end, cosine)."""
        hits = self._retriever.retrieve(question)
        if not hits:
            return None
        node = hits[0].node
        article = self.articles[node.ref_doc_id]
        spans, vectors = self._chunk_sentences(node)
        q = np.asarray(self._embed.get_query_embedding(question), dtype=np.float32)
        sims = vectors @ q
        best = int(np.argmax(sims))
        start, end = spans[best]
        return article, start, end, float(sims[best])

    def ask(self, question: str) -> Answer:
        found = self.top_sentence(question)
        if found is None or (self.threshold is not None and found[3] < self.threshold):
            return Answer(text=NOT_COVERED, abstained=True, question=question)
        article, start, end, score = found
        quoted = citation(article, start, end, score)
        return Answer(text=f"{quoted.quote} [1]", abstained=False, citations=[quoted], question=question)

    def _chunk_sentences(self, node) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Sentence spans (article offsets) of a chunk and their vectors, computed once per chunk."""
        if node.node_id not in self._sentences:
            text = self.articles[node.ref_doc_id].text
            base = node.start_char_idx
            if base is None or text[base : base + len(node.text)] != node.text:
                base = text.find(node.text)  # SentenceSplitter sets the offset by the same search
            spans = []
            for start, end in self._punkt.span_tokenize(node.text):
                piece = node.text[start:end]
                lead = len(piece) - len(piece.lstrip())
                trail = len(piece.rstrip())
                if piece.strip():
                    spans.append((base + start + lead, base + start + trail))
            vectors = self._embed.get_text_embedding_batch([text[a:b] for a, b in spans])
            self._sentences[node.node_id] = (spans, np.asarray(vectors, dtype=np.float32))
        return self._sentences[node.node_id]


@dataclass
class Comparison:
    baseline: Report
    ours: Report
    baseline_abstention: str
    wins: dict[str, bool]

    @property
    def verdict(self) -> bool:
        return all(self.wins.values())

    def table(self) -> str:
        names = list(self.ours.metrics)
        lines = [f"{'metric':<22} | {'baseline':>9} | {'ours':>9}", f"{'-' * 22}-+-{'-' * 9}-+-{'-' * 9}"]
        for name in names:
            lines.append(
                f"{name:<22} | {self.baseline.metrics[name]:>9.3f} | {self.ours.metrics[name]:>9.3f}"
            )
        lines.append(f"baseline abstention: {self.baseline_abstention}")
        checks = ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in self.wins.items())
        lines.append(f"verdict: {'OURS WINS' if self.verdict else 'OURS DOES NOT WIN'} ({checks})")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "baseline": self.baseline.metrics,
            "ours": self.ours.metrics,
            "baseline_abstention": self.baseline_abstention,
            "wins": self.wins,
            "verdict": self.verdict,
            "baseline_failures": self.baseline.failures,
            "ours_failures": self.ours.failures,
        }


def _with_f1(report: Report) -> Report:
    p, r = report.metrics["abstain_precision"], report.metrics["abstain_recall"]
    metrics = dict(report.metrics)
    metrics["abstain_f1"] = 2 * p * r / (p + r) if p + r else 0.0
    order = [k for k in metrics if not k.startswith("latency")] + [
        k for k in metrics if k.startswith("latency")
    ]
    return replace(report, metrics={k: metrics[k] for k in order})


def _wins(base: dict[str, float], ours: dict[str, float]) -> dict[str, bool]:
    return {
        "accuracy": ours["answer_accuracy"] > base["answer_accuracy"],
        "hit@1": ours["evidence_hit@1"] > base["evidence_hit@1"],
        "abstention(F1)": ours["abstain_f1"] > base["abstain_f1"],
        "latency<=2x": ours["latency_p50_ms"] <= 2 * base["latency_p50_ms"]
        and ours["latency_p95_ms"] <= 2 * base["latency_p95_ms"],
    }


def compare(
    cases: list[Case],
    assistant,
    work_dir: Path,
    baseline_threshold: float | str | None = None,
    embed_model=None,
) -> Comparison:
    """Score ``assistant`` (already holding the corpus) and the baseline built over the same
    articles on ``cases``."""
    articles = assistant.articles()
    baseline = Baseline(
        articles,
        resolve_model(assistant.settings.embed_model),
        assistant.settings.top_k,
        work_dir / "baseline-chroma",
        embed_model=embed_model,
    )
    if baseline_threshold == "auto":
        tops = [baseline.top_sentence(c.question) for c in cases if not c.abstain]
        lowest = min((t[3] for t in tops if t is not None), default=0.0)
        baseline.threshold = np.floor(lowest / 0.05) * 0.05  # just under, as ours was calibrated
        abstention = (
            f"similarity threshold {baseline.threshold:.2f} on the top sentence "
            f"(auto: under the lowest answerable top, {lowest:.3f})"
        )
    elif baseline_threshold is not None:
        baseline.threshold = float(baseline_threshold)
        abstention = f"similarity threshold {baseline.threshold:.2f} on the top sentence"
    else:
        abstention = "none (never abstains)"
    baseline.ask(cases[0].question)  # warm up both, so neither pays a first-query cost in the numbers
    assistant.ask(cases[0].question)
    base_report = _with_f1(evaluate(cases, lambda c: baseline.ask(c.question), assistant.article))
    ours_report = _with_f1(
        evaluate(
            cases, lambda c: assistant.ask(c.question, history=c.history, as_of=c.as_of), assistant.article
        )
    )
    return Comparison(base_report, ours_report, abstention, _wins(base_report.metrics, ours_report.metrics))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("qa_file", nargs="?", default=str(DEFAULT_QA))
    parser.add_argument(
        "--corpus", default=None, help="articles to ingest (default data/articles for the seed set)"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases")
    parser.add_argument("--baseline-threshold", default=None, help="a cosine threshold, or 'auto'")
    parser.add_argument("--json", default=None, help="write both reports as JSON to this file")
    args = parser.parse_args(argv)

    from assistant import Assistant
    from assistant.config import Settings

    cases, records = load_cases(args.qa_file)
    cases = cases[: args.limit] if args.limit else cases
    corpus = args.corpus or (str(DEFAULT_CORPUS) if Path(args.qa_file) == DEFAULT_QA else None)
    threshold = args.baseline_threshold
    if threshold not in (None, "auto"):
        threshold = float(threshold)
    with tempfile.TemporaryDirectory(prefix="compare-baseline-") as tmp:
        work = Path(tmp)
        assistant = Assistant(store_dir=work / "ours", settings=Settings.from_env())
        t = time.perf_counter()
        if corpus:
            assistant.ingest([corpus])
        if records:
            assistant.ingest_records(records)
        took = time.perf_counter() - t
        print(f"{len(assistant.articles())} articles, {len(cases)} cases (ingest {took:.1f} s)")
        result = compare(cases, assistant, work, threshold)
    print(result.table())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    return 0 if result.verdict else 1


if __name__ == "__main__":
    raise SystemExit(main())
