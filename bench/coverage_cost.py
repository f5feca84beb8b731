"""What an answer's coverage (assistant/stories/coverage.py) costs an ask: p50 with it on and off.

Usage: python bench/coverage_cost.py [N_ASKS]   (default 30)

The shipped sample (data/articles/, 25 articles) is ingested into a temporary store; the seed
questions (tests/data/seed_qa.jsonl) are asked in turn, ``N_ASKS`` times in all, by two
assistants on that store, one with ``coverage`` on and one with it off, alternately (so a busy
machine slows both alike). The answer cache is off (``answer_cache=0``): each ask computes its
answer, as the first ask of a question after a write does. Coverage costs the reads of each cited
story (``stories_of`` and ``story_articles``) and, where a story has other reports, the sentence
comparisons; the output says how many answers had other reports to list.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402

SAMPLE = ROOT / "data" / "articles"
QUESTIONS = ROOT / "tests" / "data" / "seed_qa.jsonl"


def main() -> None:
    asks = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env(env={}, store_dir=Path(folder) / "store", answer_cache=0)
        on = Assistant(settings=settings)
        report = on.ingest([SAMPLE])
        off = Assistant(settings=replace(settings, coverage=False), read_only=True)
        stories = [a.story for a in on.articles()]
        shared = sum(1 for s in set(stories) if stories.count(s) > 1)
        print(f"{len(report.added)} articles, {len(set(stories))} stories, {shared} with several reports")
        on.ask(questions[0])  # the first asks load the keyword index and Punkt
        off.ask(questions[0])
        times: dict[str, list[float]] = {"on": [], "off": []}
        covered = 0
        for n in range(asks):
            question = questions[n % len(questions)]
            pair = [("on", on), ("off", off)]
            for name, assistant in pair if n % 2 == 0 else reversed(pair):
                t = time.perf_counter()
                answer = assistant.ask(question)
                times[name].append((time.perf_counter() - t) * 1000)
                if name == "on" and any(c.coverage for c in answer.citations):
                    covered += 1
        for name in ("on", "off"):
            print(f"coverage {name:3}: ask p50 {statistics.median(times[name]):.1f} ms over {asks} asks")
        print(f"answers with other reports listed: {covered} of {asks}")


if __name__ == "__main__":
    main()
