"""Story clustering at ingest: each new article joins the story of the closest article of its
days that reports the same event (stories/match.py), or starts a story of its own.

- Only stories' articles of the same days are read (``CorpusStore.story_records``: the days
  within the window of any article of the batch), so the cost follows the batch, not the store.
- A batch's articles are placed in order of publication, each seeing the ones placed before it,
  so the same articles give the same stories in one batch or many.
- An article joins the story of the one article it matches best (single link, the highest
  cosine), and a story's id is its first article's id. Stories are never merged afterwards:
  renaming another story's articles would rewrite records a reader may hold, and a merge is
  the wrong merge precision-first clustering avoids.
- An update (a new text under a stored article's URL) and a re-embedded article keep the story
  of the article they replace (``inherited``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from assistant.store.corpus import CorpusStore
from assistant.store.records import Entry, StoryRecord
from assistant.stories.match import RULE, Profile, Rule, score
from assistant.stories.words import names

# The lede: the names a report puts first are its event's (people, places, bodies); further down
# a long article names the background, which other events share.
LEDE_CHUNKS = 1


def place(
    entries: list[Entry], store: CorpusStore, inherited: Mapping[str, str], window: float
) -> list[Entry]:
    """``entries`` with their story set: ``inherited`` (by article id) where given, else the story
    of the best-matching article of their days (stories/match.py), else a story of their own."""
    records = {e.article.article_id: record(e, e.article.article_id) for e in entries}
    around = {
        date.fromisoformat(p) + timedelta(days=d)
        for p in {r.published for r in records.values() if r.published}
        for d in range(-int(window) - RULE.extra_days, int(window) + RULE.extra_days + 1)
    }
    known = [r for r in store.story_records(sorted(around)) if r.article_id not in records]
    stories = assign(list(records.values()), known, inherited, window)
    return [
        replace(
            e,
            article=replace(e.article, story=stories[e.article.article_id]),
            story=replace(records[e.article.article_id], story=stories[e.article.article_id]),
        )
        for e in entries
    ]


def assign(
    new: list[StoryRecord],
    known: list[StoryRecord],
    inherited: Mapping[str, str],
    window: float,
    rule: Rule = RULE,
) -> dict[str, str]:
    """The story of each of ``new`` (by article id), placed in order of publication after the
    ``known`` articles of their days, by ``rule`` (another one only in the bench's
    cross-validation)."""
    placed = [Profile.of(r) for r in known]
    # Cosines of a new article to all placed ones in one product; the rule runs only where the
    # cosine can pass it.
    stories: dict[str, str] = {}
    for rec in sorted(new, key=lambda r: (r.published or "9999", r.article_id)):
        story = inherited.get(rec.article_id)
        if story is None:
            profile = Profile.of(rec)
            cosines = np.array([p.vector for p in placed]) @ profile.vector if placed else np.empty(0)
            best, story = -1.0, rec.article_id
            for k in np.flatnonzero(cosines >= rule.floor):
                found = score(profile, placed[k], window, rule)
                if found is not None and found > best:
                    best, story = found, placed[k].story
        stories[rec.article_id] = story
        placed.append(Profile.of(replace(rec, story=story)))
    return stories


def record(entry: Entry, story: str) -> StoryRecord:
    """An entry's story record: its mean chunk vector (unit length) and the names of its lede."""
    article = entry.article
    mean = np.mean([c.vector for c in entry.chunks], axis=0).astype(np.float32)
    lede = article.text[: entry.chunks[min(LEDE_CHUNKS, len(entry.chunks)) - 1].end]
    return StoryRecord(
        article_id=article.article_id,
        story=story,
        published=article.published,
        title=article.title,
        names=" ".join(sorted(names(lede))),
        vector=mean / max(float(np.linalg.norm(mean)), 1e-12),
    )
