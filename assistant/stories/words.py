"""The words a story match compares: a headline's significant words, and the names in a lede.

Vectors alone merge too much: two reports of different events of one kind (two shootings, two
storms, two rate decisions) in the same week embed close, since the model reads what kind of
event a text tells. What tells them apart is who and where: the names. And a headline says in a
few words which event a report is about, so two headlines sharing most of their significant words
(NewsBlur's clustering rule) are one story even when the texts are written differently.

Words are lower-cased and Snowball-stemmed ("killed" and "killing" are one word); figures are left
out, since a story's figures change from report to report ("at least 107 killed", then "111").
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# Function words, and the words headlines use for any story ("says", "live updates", "what to
# know"): shared by unrelated headlines, they would count as overlap.
_STOP = frozenset(
    """a an the of in on at to for from by with about as and or but if is are was were be been
    being do does did done has have had having it its this that these those there their they them
    he she his her him we our you your i me my what which who whom whose when where why how many
    much not no any some all so than then too very can could would should will shall may might must
    into over under after before during between against up down out off again once also just only
    own same such both each few more most other here now new says said say report reports reported
    amid via vs latest live update updates news know need want get gets got make makes made take
    takes year years day days week weeks month today tonight yesterday first last next one two three
    least video photos watch see look here's what's it's""".split()
)
# Capitalised words that name no one: days, months, words that open or title anything.
_NOT_NAMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december the a an i it he she we they this that
    these those there here his her their our its in on at of for to by with from as and or but if
    when while after before mr mrs ms dr sen rep gov pres st cnn ap afp reuters usa today""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z]")
# The tokens a sentence's terms are read from (stories/timeline.py, stories/coverage.py): figures
# ("1,200", "3.5") and words as headlines' are read.
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z]")
FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
# A capitalised word (or an acronym such as "U.S." or "NATO") not opening a sentence or line.
_NAME = re.compile(r"(?<![.!?\n—–-] )(?<![.!?\n])(?<!^)\b[A-Z][A-Za-z'’.-]*[A-Za-z]", re.MULTILINE)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _stem(words: list[str]) -> list[str]:
    """Lower-cased, possessive cut, stemmed."""
    plain = [re.sub(r"['’]s$", "", w.lower()).replace(".", "") for w in words]
    return _stemmer().stemWords([w for w in plain if w])


def title_words(title: str | None) -> frozenset[str]:
    """A headline's significant words (stems), without function words, headline filler and
    figures."""
    if not title:
        return frozenset()
    words = [w for w in _WORD.findall(title) if w.lower().replace("’", "'") not in _STOP]
    return frozenset(s for s in _stem(words) if len(s) > 1 and s not in _STOP)


def names(text: str) -> frozenset[str]:
    """The names a text mentions (stems of its capitalised words that open no sentence), such as
    the people, places and bodies of a lede."""
    return frozenset(name_words(text))


def name_words(text: str) -> dict[str, str]:
    """The names of ``names``, each with the word that first writes it in ``text``: what a
    watched question's change shows a reader ("Kovar", not its stem "kovar")."""
    found = [w for w in _NAME.findall(text) if w.lower().rstrip("'’s") not in _NOT_NAMES]
    written: dict[str, str] = {}
    for word, stem in zip(found, _stem(found), strict=True):  # _stem keeps every word: none is empty
        if len(stem) > 1 and stem not in _NOT_NAMES:
            written.setdefault(stem, word)
    return written


def overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, int]:
    """The share of the shorter set found in the other, and how many words are shared."""
    shared = len(a & b)
    return (shared / min(len(a), len(b)) if a and b else 0.0), shared


@lru_cache(maxsize=65536)
def term(token: str) -> str | None:
    """A token's term: a figure without its thousands commas ("#1200"), a content word's stem, or
    None for a function word (``title_words``' stop list). A timeline and an answer's coverage
    read a sentence's facts by these terms alike: "killed" and "killing" are one."""
    if FIGURE.fullmatch(token):
        return "#" + token.replace(",", "")
    return next(iter(title_words(token)), None)
