"""Whether a watched question's answer changed in its facts, not its wording.

A watch (``Assistant.watch_add``) asks its question again after each write. Answers move between
reports of one story as they arrive: another outlet's reworded sentence of the same figure, a
neighbour sentence naming the same town. None of that is news, so an answer is compared with what
is *known*, not with the last answer's words. What is known grows with each answer: the facts of
its quotes (every citation, so also a "Reports differ" note's other report) and of the whole texts
of the articles it cites, since a figure or name the cited reports already gave is no change when
another sentence of them is quoted. A new answer changed when:

- it answers and the earlier one abstained ("answered"), or the reverse ("unanswered");
- one of its quotes gives a figure, a number with what it counts (stories/coverage.py ``fact``:
  "at least 107 people were killed", a date "on September 12"), that nothing known gives with a
  unit sharing a word with it (a figure whose unit is empty, "(2015)", is known by its value
  alone), and that is not the day of the quote's own report (``coverage.is_day``);
- one of its quotes names someone or somewhere (stories/words.py ``names``) whose stem is none of
  the known terms (the stems of every word, not only the names: a name that opens a sentence is
  not read as one, and must still count as known).

So a reworded report of the same figure is no change, "111" after "107" is one, and once it is
known, later answers that state it again (or switch back to the report of "107") are none: a
watch fires once per new fact. Pure functions; the facade (api.py) asks, reads the articles and
keeps ``Facts`` in the watch's record (store/watches.py) as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.schema import Answer, NewFact
from assistant.stories.coverage import fact, is_day
from assistant.stories.words import TOKEN, name_words, term


@dataclass(frozen=True)
class Facts:
    """What a watch's answers have said: figures as (value, unit terms), and terms (content-word
    stems, names among them)."""

    figures: frozenset[tuple[float, frozenset[str]]] = frozenset()
    terms: frozenset[str] = frozenset()

    def __or__(self, other: Facts) -> Facts:
        return Facts(self.figures | other.figures, self.terms | other.terms)

    def gives(self, value: float, unit: frozenset[str]) -> bool:
        """Whether a known figure states ``value`` for a thing ``unit`` shares a word with."""
        return any(v == value and (not unit or not u or unit & u) for v, u in self.figures)

    def to_json(self) -> dict:
        figures = sorted([v, sorted(u)] for v, u in self.figures)
        return {"figures": figures, "terms": sorted(self.terms)}

    @classmethod
    def from_json(cls, data: dict) -> Facts:
        figures = frozenset((float(v), frozenset(u)) for v, u in data.get("figures", []))
        return cls(figures, frozenset(data.get("terms", [])))


def facts(texts: Iterable[str]) -> Facts:
    """The figures and terms of ``texts`` (quotes, or whole article texts)."""
    figures: set[tuple[float, frozenset[str]]] = set()
    terms: set[str] = set()
    for text in texts:
        figures |= {(f.value, f.unit) for f in fact(text).figures}
        terms |= {t for t in map(term, TOKEN.findall(text)) if t is not None}
    return Facts(frozenset(figures), frozenset(terms))


def learnt(known: Facts, answer: Answer, cited_texts: Iterable[str]) -> Facts:
    """``known`` with what ``answer`` says: its quotes and the texts of the articles it cites.
    An abstention adds nothing (its closest passage is not an answer)."""
    if answer.abstained:
        return known
    return known | facts([*(c.quote for c in answer.citations), *cited_texts])


def news(answered_before: bool, known: Facts, answer: Answer) -> list[NewFact]:
    """What ``answer`` says that is not ``known`` (see the module's docstring), in the order its
    quotes say it; empty when its facts did not change. ``answered_before``: whether the earlier
    answer answered (False for an abstention)."""
    if answer.abstained or not answered_before:
        if answer.abstained == (not answered_before):
            return []
        return [NewFact("unanswered" if answer.abstained else "answered")]
    found: list[NewFact] = []
    for c in answer.citations:
        said = fact(c.quote)
        for f in said.figures:
            if not known.gives(f.value, f.unit) and not is_day(f, c.published):
                found.append(NewFact("figure", c.quote[f.start : f.end]))
        found += [
            NewFact("name", word) for stem, word in name_words(c.quote).items() if stem not in known.terms
        ]
    return list(dict.fromkeys(found))  # a phrase two quotes share once
