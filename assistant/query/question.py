"""What a question asks for: its answer type and its content terms.

Hand-written because no library in the stack classifies questions; the cues are the classic ones of
extractive QA (a "how many" question wants a count, "when" a date, "who" a name, "why" a
reason), and each is measured on the seed question set (tests/data/seed_qa.jsonl).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import Stemmer

from assistant.query.dates import DateRef, question_dates, question_period

_STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as and or but if is are was were be been
    being do does did done has have had having it its this that these those there their they
    them he she his her him we our you your i me my what which who whom whose when where why how
    many much not no any some all so than then too very can could would should will shall may
    might must into over under after before during between against up down out off again further
    once also just only own same such both each few more most other tell say said says according
    article""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,.]*")

# Words that mean the same thing in news reports of casualties and attacks. Without them "died"
# never meets "killing", and the sentence with the death toll loses to one that repeats the
# question's words. Kept small: each group was needed by a question in the seed set.
# Groups of Snowball stems.
_SYNONYMS = [
    {"die", "dead", "death", "kill", "toll", "live", "fatal", "perish"},
    {"injur", "wound", "hurt"},
    {"crash", "down", "destroy", "bomb", "airlin", "plane", "jet", "aircraft"},
    {"strike", "raid", "airstrik"},
    {"headquart", "base", "stronghold"},
    # Country and demonym: "French prime minister" answers "France's prime minister".
    {"franc", "french"},
    {"britain", "british", "uk"},
    {"russia", "russian"},
    {"america", "american", "us"},
    {"syria", "syrian"},
]
_CANONICAL = {stem: min(group) for group in _SYNONYMS for stem in group}

_TYPES = [
    ("number", re.compile(r"\bhow (many|much)\b|\bnumber of\b|\b(death )?toll\b|\bhow old\b", re.I)),
    ("date", re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|day|month)\b", re.I)),
    ("person", re.compile(r"\bwho(m|se)?\b|\bwhich (minister|president|official|leader)\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\bwhich (city|country|town|place|region)\b", re.I)),
    ("reason", re.compile(r"\bwhy\b|\bwhat (caused|led to|prompted)\b|\bfor what reason\b", re.I)),
]
# News questions that ask for the newest report ("the latest death toll") or the first one; the
# answer then comes from the newest (or oldest) of the articles that answer equally well.
_LATEST = re.compile(r"\b(?:latest|most recent|newest|current|updated|so far|now)\b", re.I)
_EARLIEST = re.compile(r"\b(?:earliest|initial|initially|first reported|originally|at first)\b", re.I)
# A name is a capitalised word that doesn't open the question; a number is any figure.
_KEY_WORD = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][\w'’\-]*|\b\d[\d,.]*\d\b|\b\d\b")
# Questions that ask how a story developed rather than for a fact of it: "How did the Mecca crane
# story develop?", "How has the strike unfolded?", "the timeline of the Paris attacks". Surfaces
# answer them with the story's timeline (Assistant.timeline). A timeline "for" something is left to
# the answer ("What is the timeline for the bridge's reopening?" asks for a date).
_DEVELOPED = re.compile(
    r"\bhow\s+(?:did|has|have|had|is|are|was|were)\b(?!\s+(?:many|much)\b)[^?.!]{1,150}?"
    r"\b(?:develop(?:ed|ing)?|unfold(?:ed|ing)?|evolv(?:e|ed|ing)|progress(?:ed|ing)?|play(?:ed|ing)?\s+out)\b"
    r"(?!\s+(?:the|a|an|its|their|his|her|this|that|these|those|new)\b)"  # "develop the vaccine": a fact
    r"|\b(?:time\s?line|chronology)\s+of\b|^\W*(?:show|give|see)\b[^?.!]{0,40}\btime\s?line\b",
    re.I,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"“‘'])")
_AGGREGATE_WORDS = re.compile(r"\b(together|combined|in total|altogether|total|in all|both)\b", re.I)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # number | date | person | place | reason | other
    terms: tuple[str, ...]  # stemmed content terms
    wants_total: bool  # asks for a combined figure ("together", "in total")
    recency: str | None = None  # "latest" | "earliest": prefer the newest | oldest article
    dates: tuple[DateRef, ...] = ()  # calendar dates the question names
    # Stems of the names and numbers the question asks about ("Patriot Front", "31"): an answer
    # that holds none of them, nor has them next to it, is about something else.
    key_terms: tuple[str, ...] = ()
    # Publication days its relative time words point at ("this week", "recently"), read against
    # the day it is asked; articles of that period are preferred.
    period: tuple[date, date] | None = None
    asked_on: date | None = None  # the day it is asked (as_of), None for today


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def stems(text: str) -> list[str]:
    """Stemmed content words of ``text``, synonyms folded onto one representative."""
    words = [re.sub(r"['’]s$", "", w.lower()).strip("'’-.,") for w in _WORD.findall(text)]
    words = [w for w in words if w and w not in _STOPWORDS]
    return [_CANONICAL.get(s, s) for s in _stemmer().stemWords(words)]


def analyse(text: str, as_of: date | None = None) -> Question:
    """What ``text`` asks for; ``as_of`` (default today) is the day it is asked."""
    clause = asking_clause(text)
    kind = next((name for name, pattern in _TYPES if pattern.search(clause)), "other")
    return Question(
        text=text,
        kind=kind,
        terms=tuple(dict.fromkeys(stems(text))),
        wants_total=bool(_AGGREGATE_WORDS.search(text)),
        recency="latest" if _LATEST.search(text) else "earliest" if _EARLIEST.search(text) else None,
        dates=question_dates(text),
        key_terms=tuple(dict.fromkeys(stems(" ".join(names_and_numbers(text))))),
        period=question_period(text, as_of or date.today()),
        asked_on=as_of,
    )


def asking_clause(text: str) -> str:
    """The sentence of ``text`` that asks (its last one ending in "?"), else all of it.

    News quizzes set the scene before they ask: "Rents rose in a growing number of cities this
    year. Where are renters moving?" The answer type comes from the asking sentence only,
    or the scene's "number of" would make a "where" question a "how many" one."""
    asking = [s for s in _SENTENCE_BREAK.split(text.strip()) if s.rstrip().endswith("?")]
    return asking[-1] if asking else text


def names_and_numbers(text: str) -> list[str]:
    """The capitalised words (not opening a sentence) and figures of ``text``, as written."""
    return _KEY_WORD.findall(text)


def asks_timeline(text: str) -> bool:
    """Whether the asking sentence of ``text`` asks how a story developed (its timeline), not for
    a fact of it: "How did the Mecca crane story develop?", "Timeline of the Paris attacks"."""
    return bool(_DEVELOPED.search(asking_clause(text)))
