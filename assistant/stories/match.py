"""Whether two articles report one story: the matching rule.

Measured on the labelled pairs of tests/data/story_pairs.jsonl (bench/story_quality.py), where
"one story" is one news event with its later developments and reactions, and reports of
recurring things (each day's gas prices, each weekend's box office, each of a war's strikes) or
roundups of several stories are different stories. Precision comes first: a wrong merge shows a
reader another event's coverage as this one's.

Two articles are one story when both are dated within ``window`` days of each other and

- their vectors (the mean of each article's chunk vectors, which ingest computes anyway) are
  close, ``embed_cos``, and the words agree: the headlines share ``embed_title_words``
  significant words or the texts' ledes ``embed_names`` names. Vectors alone merge reports of
  two events of one kind (two strikes on Kyiv in a week embed as close as two reports of one);
  headline words and names are what differ;
- or the vectors are very close, ``strong_cos``, and the words agree at all (one headline word or
  two names): a report and its follow-up often headline different sides of one event;
- or the headlines share most of their significant words (NewsBlur's title rule: ``title_share``
  of the shorter one's, at least ``title_words`` words) and the vectors are not far apart,
  ``title_cos``: two daily roundups share their template's words and nothing else.

Up to ``extra_days`` beyond the window only a strong match counts (``strong_cos``, two headline
words and three names): a week-long story (a trip, a manhunt, a moon mission) stays whole while
next week's report of a recurring kind (the second weekend's box office) does not join it.

A roundup (a "5 things to know", a week in photos, a newsletter of the day's news) is of no one
story: it reports several, and joining it to one would show its other items as that story's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from assistant.store.records import StoryRecord
from assistant.stories.words import overlap, title_words

# Headlines of roundups, read off the realnews-dev and realtimeqa corpora (CNN's and USA Today's
# daily "5 things", USA Today's "It's Wednesday's news", AP's "LEADING OFF", CNN's weekly photos,
# The Week's "Ten Things You Need to Know Today").
_ROUNDUP = re.compile(
    r"\bthings (?:to|you need to|you should) know\b|\bit'?s \w+day'?s news\b|^leading off\b"
    r"|\bstart your week smart\b|^photos this week\b|^the week in\b|\bthis date in\b"
    r"|\b5 things podcast\b|\b(?:morning|daily) (?:briefing|report)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Rule:
    """The rule's thresholds (the module docstring's names in lower case). A value, not
    constants, so the bench can choose one on some labelled pairs and score it on the others
    (bench/story_quality.py --cv): the product runs ``RULE``."""

    embed_cos: float = 0.75
    embed_title_words: int = 2
    embed_names: int = 3
    strong_cos: float = 0.85
    extra_days: int = 2
    title_share: float = 0.6
    title_words: int = 3
    title_cos: float = 0.6

    @property
    def floor(self) -> float:
        """The lowest cosine any tier accepts: below it no pair needs the words read."""
        return min(self.embed_cos, self.title_cos)


RULE = Rule()


@dataclass(frozen=True)
class Profile:
    """An article as the rule reads it, from its story record."""

    article_id: str
    story: str
    day: int | None  # the publication date's ordinal
    vector: np.ndarray
    words: frozenset[str]  # the headline's significant words
    names: frozenset[str]
    roundup: bool

    @classmethod
    def of(cls, record: StoryRecord) -> Profile:
        return cls(
            article_id=record.article_id,
            story=record.story,
            day=date.fromisoformat(record.published).toordinal() if record.published else None,
            vector=record.vector,
            words=title_words(record.title),
            names=frozenset(record.names.split()),
            roundup=is_roundup(record.title),
        )


def is_roundup(title: str | None) -> bool:
    """Whether a headline is a roundup's (several stories in one article)."""
    return bool(title and _ROUNDUP.search(title.replace("’", "'")))


def score(a: Profile, b: Profile, window: float, rule: Rule = RULE) -> float | None:
    """How close two articles are (the cosine of their vectors) when the rule makes them one
    story, else None. An undated article matches nothing: without a date there is no week to
    find its story in."""
    if a.day is None or b.day is None or a.roundup or b.roundup:
        return None
    days = abs(a.day - b.day)
    if days > window + rule.extra_days:
        return None
    cos = float(a.vector @ b.vector)
    share, shared = overlap(a.words, b.words)
    names = len(a.names & b.names)
    if days > window:
        strong = cos >= rule.strong_cos and shared >= rule.embed_title_words and names >= rule.embed_names
        return cos if strong else None
    if share >= rule.title_share and shared >= rule.title_words and cos >= rule.title_cos:
        return cos
    if cos >= rule.strong_cos and (shared or names >= 2):
        return cos
    if cos >= rule.embed_cos and (shared >= rule.embed_title_words or names >= rule.embed_names):
        return cos
    return None
