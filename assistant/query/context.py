"""Which neighbouring sentence makes an extractive answer self-contained.

An extractive answer quotes the sentence that matches the question best, and in news that sentence
often leaves out what was asked: it refers back to a name given just before ("The veteran striker
signed a two-year deal..." after "Ana Lopes is staying at Porto."; "the hit Danish drama" after
"Harbor Lights is coming back."), or it restates the question (a lede the quiz was written from)
and the answer follows it. So the answer adds the sentence before a sentence that refers back, and
the sentence after one that restates the question; and an answer under a section heading (a
daily digest's topic line) opens with that heading (query/answerer.py). Hand-written cues, since
no library in the stack resolves coreference offline; measured on the real-news dev set
(``bench/realnews_quality.py``): the answer held the quiz's answer for 0.65 of the questions
before, 0.73 after, with one sentence more in 25 of 86.
"""

from __future__ import annotations

import re

from assistant.query.question import Question, stems

# A sentence that opens (after a conjunction or a short time phrase: "But", "On Monday,") with a
# pronoun, a demonstrative or "The" speaks of something named before it.
_OPENS_WITH_REFERENCE = re.compile(
    r"^[\"“‘']?(?:(?:But|And|So|Yet|Still|Now|Instead|However|Meanwhile)\b,?\s+)?"
    r"(?:(?:On|In|By|Since|After|Before|Last|This|Earlier|Later)\b[^,]{0,30},\s*)?"
    r"(?i:he|she|it|they|this|that|these|those|its|their|his|her|the)\b"
)
# A restatement: this share of the sentence's content words are the question's.
_ECHO_SHARE = 0.7
# A neighbour shorter than this many words is page furniture ("CNN —"), not context.
_MIN_WORDS = 4
# A section heading (a daily digest's topic line): a line of at most this many words that doesn't
# end as a sentence or a dateline ("CNN —") does.
_HEADING_WORDS = 8
_NOT_HEADING_END = '.!?:;,"”’)—–-'


def refers_back(sentence: str, question: Question) -> bool:
    """``sentence`` speaks of what was asked about without naming it: it opens with a reference,
    or calls it "the ... <word of the question's which-phrase>" ("Which show" / "the show")."""
    if _OPENS_WITH_REFERENCE.match(sentence):
        return True
    if not question.asks_for:
        return False
    nouns = "|".join(re.escape(w) for w in question.asks_for)
    return bool(
        re.search(rf"\b(?:the|this|that|these|those)\s+(?:[\w-]+\s+){{0,4}}(?:{nouns})s?\b", sentence, re.I)
    )


def restates(sentence: str, question: Question) -> bool:
    """``sentence`` mostly repeats the question's words, so it holds no answer of its own."""
    words = stems(sentence)
    asked = set(question.terms)
    return bool(words) and sum(w in asked for w in words) / len(words) >= _ECHO_SHARE


def usable(sentence: str) -> bool:
    """Long enough to be article text rather than a dateline or a credit."""
    return len(sentence.split()) >= _MIN_WORDS


def section_heading(text: str, start: int) -> str | None:
    """The line right above the paragraph that opens at ``start``, when it is a heading: at most
    _HEADING_WORDS words, capitalised, not ending as a sentence does nor in a dateline's dash
    ("CNN —"). On realnews-dev 2 of 86 answers open a digest's section; none of the seed's or
    Wikinews'."""
    before = text[:start]
    if not before.rstrip(" \t").endswith("\n"):
        return None
    line = before.rstrip().rsplit("\n", 1)[-1].strip()
    if (
        line
        and len(line.split()) <= _HEADING_WORDS
        and line[0].isupper()
        and line[-1] not in _NOT_HEADING_END
    ):
        return line
    return None
