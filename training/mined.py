"""News pairs mined from the ranker's own candidates: what the answer model judges at ask time.

``training.pairs.news`` picks news sentences by word overlap over the articles the quiz's search
returned. At ask time the model reads something else: the ranker's top sentences of a store
full of other news (query/judge.py), and on the held-out weeks the sentence that holds the
answer is first 0.40 of the time but in the top 16 0.79 of the time (bench/answer_quality.py's
news part): choosing among those is the model's job. So these pairs are those candidates, for
the training folds' questions as the assistant asks them (bench/rank_data.py: each year's store,
as of the question's date, and again with the evidence articles deleted):

- an answerable question: each of its top ``DEPTH`` sentences that holds an accepted answer and
  stands in an evidence article (positive), and its ``NEGATIVES`` best-ranked sentences that hold
  none (negative); a sentence holding an answer outside the evidence is left out, since a bare
  name can stand in a story by chance;
- a removed-evidence question (no stored article answers it): its ``REMOVED`` best-ranked
  sentences, all negative, which is what abstaining on news is learnt from.

Each pair is read as the model reads it at ask time (reader/text.py): the sentence, its headline
and the sentence before, from the same store.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from assistant.query.judge import previous_id
from assistant.reader.text import passage
from training.pairs import Pair, news_questions

DEPTH = 16  # the ranker's top sentences a positive may come from (bench/rank_data.py keeps these)
NEGATIVES = 5
REMOVED = 4


def mined_news(folds: set[int], stores: Path) -> list[Pair]:
    """The pairs of bench/rank_data.py's news items of ``folds`` (``stores``: its bench/out)."""
    from bench.answer_quality import _assistant, _tag
    from bench.fit_answer import load

    dates = {q["id"]: q["question_date"] for q in news_questions(folds)}
    by_year = defaultdict(list)
    for item in load(_tag(frozenset(folds))):
        if item.part.startswith("news") and item.evidence is not None and item.id in dates:
            by_year[dates[item.id][:4]].append(item)
    pairs: list[Pair] = []
    for year, items in sorted(by_year.items()):
        # rank_data.py names a year's store news-<year>-<folds>[-<questions a year>]
        found = sorted(stores.glob(f"news-{year}-{_tag(frozenset(folds))}*"))
        if len(found) != 1:
            raise FileNotFoundError(f"want one {year} store of bench/rank_data.py in {stores}, found {found}")
        assistant = _assistant(found[0], "none")
        answerer, store = assistant._answerer, assistant._store  # noqa: SLF001 (the store's sentences)
        for item in items:
            ranked = item.evidence.ranked[:DEPTH]
            if item.abstain:
                chosen = [(c, 0) for c in ranked[:REMOVED]]
            else:
                positives = [(c, 1) for c, e in zip(ranked, item.from_evidence, strict=False) if e]
                if not positives:
                    continue
                negatives = [(c, 0) for c, h in zip(ranked, item.holds, strict=False) if not h]
                chosen = positives + negatives[:NEGATIVES]
            candidates = [c for c, _ in chosen]
            before = answerer.before(candidates, [])
            titles = store.titles(list({c.row.article_id for c in candidates}))
            pairs.extend(_pair(item, c, label, titles, before) for c, label in chosen)
    return pairs


def _pair(item, candidate, label: int, titles: dict[str, str], before: dict[str, str]) -> Pair:  # noqa: ANN001
    text = passage(
        candidate.row.text,
        titles.get(candidate.row.article_id),
        before.get(previous_id(candidate) or ""),
    )
    return Pair(item.evidence.question, text, label, "news", item.id)
