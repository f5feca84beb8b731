"""Answer quality on real news: the dev set of ../shared/realnews-dev, every figure in one run.

Usage: python bench/realnews_quality.py [--store DIR] [--json]

Prints what cleaning drops from the dev corpus (and whether an answer went with it), then
`assistant eval` on dev_qa.jsonl three ways: the answers (answer-in-text, evidence@1/@k by URL,
false abstention, latency), retrieval recall at k = 8, 16, 32, and the removed-evidence run
(abstention once the evidence articles are deleted, on a copy of the store). The store defaults to
ASSISTANT_STORE_DIR, else bench/out/realnews; it is built from dev_corpus.jsonl when empty
(15-30 minutes on a laptop CPU). The data is copyrighted news: it is read from ../shared only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEV = ROOT.parent / "shared" / "realnews-dev"


def cleaning_counts(corpus: Path, qa: Path) -> dict[str, int]:
    """Lines (and photo credits) cleaning drops from the corpus, by kind, and how many answers of
    the QA file stood in an evidence article before cleaning but not after (should be 0)."""
    from assistant.ingest.clean import junk_kind, without_credit

    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter[str] = Counter()
    kept_text = {}
    for record in records:
        kept = []
        for line in record["text"].split("\n"):
            kind = junk_kind(line)
            if kind:
                counts[kind] += 1
                continue
            bare, credits = without_credit(line)
            counts["photo credit"] += len(credits)
            kept.append(bare)
        kept_text[record.get("url")] = (record["text"], "\n".join(kept))
    lost = 0
    for line in qa.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        for url in case.get("evidence_urls", []):
            before, after = kept_text.get(url, ("", ""))
            lost += any(a in before and a not in after for a in case["answers"])
    return {**dict(counts.most_common()), "answers_lost_from_evidence": lost}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="store (default: ASSISTANT_STORE_DIR, else bench/out/realnews)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (DEV / "dev_qa.jsonl").is_file():
        print(f"skipped: {DEV} is absent (the real-news dev set is not shipped with the project)")
        return 0
    from assistant import Assistant
    from assistant.evaluate import load_cases, run

    store = args.store or os.environ.get("ASSISTANT_STORE_DIR") or ROOT / "bench" / "out" / "realnews"
    cleaning = cleaning_counts(DEV / "dev_corpus.jsonl", DEV / "dev_qa.jsonl")
    assistant = Assistant(store_dir=store)
    if not assistant.articles():
        print(f"building the dev store in {store} (once; 15-30 minutes)...", file=sys.stderr)
        assistant.ingest([DEV / "dev_corpus.jsonl"])
    cases, _ = load_cases(DEV / "dev_qa.jsonl")
    results = run(assistant, cases, recall=True, removed_evidence=True)
    if args.json:
        out = {name: r.metrics for name, r in results.items()}
        print(json.dumps({"store": str(store), "cleaning": cleaning, **out}, indent=2))
        return 0
    print(f"store {store}: {len(assistant.articles())} articles; {len(cases)} questions")
    print("cleaning dropped: " + ", ".join(f"{k} {v}" for k, v in cleaning.items()))
    for name, report in results.items():
        print(f"\n== {name}\n{report.table()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
