"""An answer's coverage: for each citation, the other reports of its story ("also reported by"),
each with the sentence of it that states the cited fact, and the figures on which the reports
disagree, so a reader sees who else reported it and is told when they differ instead of being
given one figure silently.

Whether a report's sentence states the cited fact is decided by the facts the two sentences hold,
not by their wording:

- A sentence's terms are its content words' stems (stories/words.py ``term``, as a timeline reads
  them: "killed" and "killing" are one term, function words are dropped), figures aside.
- A figure is a number in digits ("1,200", "3.5") or in words ("twelve"), with a scale word after
  it ("41 million") and a qualifier before it ("at least", "more than", "nearly"; kept in the
  phrase shown, not in the number). What it counts, its unit, is the content word right before
  it (past a qualifier; not a name) and up to ``UNIT_AFTER`` content words after it (a second only
  across an auxiliary: "people were killed"), within its clause (up to a comma, semicolon, colon,
  bracket, dash or another figure): "killing 111 people" counts {kill, peopl}, "at least 107
  people were killed" {peopl, kill}, "111 killed" {kill}, "on September 12" {septemb}. Two
  figures count one thing when the terms of one's unit are all in the other's: {kill} and
  {peopl, kill} do, {peopl, kill} and {peopl, injur} (the injured) do not.
- Two sentences state one fact when the shorter one's terms are at least ``SAME_SHARE`` found in
  the other, ``MIN_SHARED`` terms are shared and ``MIN_SAID`` of those are not names: every report
  of a story names its people and places, so names alone do not tell which of its facts a
  sentence states ("A crane was used to repair the mosque in Mecca" shares them with the collapse
  and states another fact). Or when they hold one number of one unit and share
  ``MIN_SHARED_FIGURE`` terms. Not when each names someone or somewhere and they share no name:
  "the storm killed 12 people in Texas" and "the storm killed 3 people in Oklahoma" are two facts
  of one story, not a disagreement. A sentence of fewer than ``MIN_SHARED`` terms (a dateline, a
  byline) states no fact to compare.
- They disagree on a figure when they state one fact and count one thing with different numbers,
  neither sentence holding the other's number for it, and besides the counted thing they share
  ``MIN_SAID`` words that are not names (what is said of the count: "21 miles away from Mauna Loa"
  and "3.6 miles away from Saddle Road" share only the unit and a name, and are two facts): "at
  least 107 people were killed" against "the collapse killed 111 people". A reworded report of
  the same number ("The collapse killed 107 people") states the same fact and is no disagreement.
- Of each other report, the sentence with the highest share is quoted (on a tie, one that agrees,
  then the earliest); a report none of whose sentences states the fact is listed without a quote.

Not figures: a time ("1:36 p.m.") and an ordinal ("87th"). Not a difference: a day that is its
report's own date ("Updated March 31" on a page of March 31: when it was written, not what it
says; ``is_day``). A number the other sentence also gives for a thing its unit shares a word with
is stated by both ("18.4 cents per gallon", "18.4 cents total per gallon"). Not compared: a figure
whose counted thing is worded differently ("a toll of 111" against "107 people were killed": the
units do not meet), and a day named by its weekday ("on Friday").

When reports disagree, the answer says so: its text gains the line "Reports differ: “at least 107
people were killed” (Wire, 2026-03-02) [1]; “killing 111 people” (Daily, 2026-03-03) [3].", one
line for each group of citations and reports set against each other, each side once. The other
report's sentence becomes a citation of the answer (its number reused when it is cited already),
verbatim at its offsets as every citation is, with its date; its score is the score of the
citation it is compared with, whose fact it states. At most ``MAX_NOTED`` other reports are
added per citation. An abstention (its closest passage is no answer) gains the reports, no line.

Pure functions over ``Article`` objects and the answer's citations: the store reads are the
facade's (api.py), which applies this to an answer once it is computed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from assistant.schema import Answer, Article, Citation, Coverage, FigureDifference, Report
from assistant.stories.words import names, term

SAME_SHARE = 0.5
MIN_SHARED = 3
MIN_SAID = 2
MIN_SHARED_FIGURE = 2
UNIT_AFTER = 2
MAX_NOTED = 3

# A sentence read as pieces: a number, a word, a clause break, or a currency or percent sign.
_PIECE = re.compile(
    r"(?P<other>\d{1,2}:\d{2}(?:\s*[ap]\.?m\b\.?)?|\d+(?:st|nd|rd|th)\b)"  # a time, an ordinal: no count
    r"|(?P<num>\d+(?:[.,]\d+)*)|(?P<word>[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z])"
    r"|(?P<cut>[,;:()\[\]!?—–]|\.(?=\s|$)|(?<=\s)-(?=\s))|(?P<sign>[%$€£])"
)
# "one" is left out: "one of the guards" counts nothing.
_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "_ _ two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
    if n >= 2
} | {
    w: 10 * n for n, w in enumerate("_ _ _ thirty forty fifty sixty seventy eighty ninety".split()) if n >= 3
}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# Words before a number that qualify it ("at least 107", "more than 100"): part of its phrase.
_QUALIFIERS = frozenset(
    """at least more than over nearly almost about around some roughly approximately up to
    fewer less under as many much estimated an a""".split()
)
_SIGNS = {"%": "percent", "$": "dollar", "€": "euro", "£": "pound"}
# How far back and ahead (in pieces) the unit's terms are looked for.
_BEFORE = 3
_AFTER = 4
# Between the unit's two terms after a number: "107 people were killed", "18 cents per gallon".
_AUXILIARIES = frozenset("were was are is be been being have has had per".split())
_MONTHS = frozenset(
    term(m)
    for m in "january february march april may june july august september october november december".split()
)


@dataclass(frozen=True)
class Figure:
    """A number in a sentence, what it counts, and its phrase (``start``/``end`` in the
    sentence: qualifier, number, scale, and the unit's words)."""

    value: float
    unit: frozenset[str]
    start: int
    end: int


@dataclass(frozen=True)
class Fact:
    """What a sentence states, as it is compared: its terms (figures aside), the names among
    them, and its figures."""

    terms: frozenset[str]
    named: frozenset[str]
    figures: tuple[Figure, ...]


@lru_cache(maxsize=8192)
def fact(sentence: str) -> Fact:
    """The fact ``sentence`` states (see the module's docstring)."""
    pieces = list(_PIECE.finditer(sentence))
    named = names(sentence)  # stems, as terms are; months and weekdays are no names
    figures: list[Figure] = []
    used: set[int] = set()  # pieces that are part of a number (its digits, words, scale)
    i = 0
    while i < len(pieces):
        value = _number(pieces[i])
        if value is None:
            i += 1
            continue
        first = last = i
        while last + 1 < len(pieces) and pieces[last + 1].group().lower() in _SCALES:
            last += 1
            value *= _SCALES[pieces[last].group().lower()]
        used.update(range(first, last + 1))
        unit: set[str] = set()
        start, end = pieces[first].start(), pieces[last].end()
        if first > 0 and pieces[first - 1].group() in _SIGNS:  # "$40 million"
            unit.add(_SIGNS[pieces[first - 1].group()])
            start = pieces[first - 1].start()
        after = 0
        for piece in pieces[last + 1 : last + 1 + _AFTER]:
            word = piece.group().lower()
            if piece.lastgroup in {"cut", "num"} or _number(piece) is not None or after == UNIT_AFTER:
                break
            found = _SIGNS.get(word) or (term(word) if piece.lastgroup == "word" else None)
            if found:
                unit.add(found)
                after += 1
                end = piece.end()
            elif after and word not in _AUXILIARIES:  # "238 injured in the crane": not the crane
                break
        for j in range(first - 1, max(-1, first - 1 - _BEFORE), -1):
            piece = pieces[j]
            word = piece.group().lower()
            if piece.lastgroup != "word" or _number(piece) is not None:
                break
            start = piece.start() if word in _QUALIFIERS else start
            if word in _QUALIFIERS:
                continue
            found = term(word)
            if found and found not in named:  # "police in Brellin said 27": not what it counts
                unit.add(found)
                start = piece.start()
            break
        figures.append(Figure(value, frozenset(unit), start, end))
        i = last + 1
    words = [p.group() for k, p in enumerate(pieces) if p.lastgroup == "word" and k not in used]
    terms = frozenset(t for t in map(term, words) if t is not None)
    return Fact(terms=terms, named=named & terms, figures=tuple(figures))


def _number(piece: re.Match[str]) -> float | None:
    """The number a piece writes ("1,200" -> 1200.0, "twelve" -> 12.0), else None."""
    if piece.lastgroup == "num":
        try:
            return float(piece.group().replace(",", ""))
        except ValueError:  # "1.2.3": a version or a date, not a number
            return None
    found = _NUMBER_WORDS.get(piece.group().lower()) if piece.lastgroup == "word" else None
    return float(found) if found is not None else None


def one_unit(a: Figure, b: Figure) -> bool:
    """Whether two figures count one thing: the terms of one's unit are all in the other's."""
    return bool(a.unit and b.unit) and (a.unit <= b.unit or b.unit <= a.unit)


def share(a: Fact, b: Fact) -> tuple[float, int, int]:
    """How much of the shorter fact's terms the other holds, how many terms they share, and how
    many of those are not names."""
    shared = a.terms & b.terms
    small = min(len(a.terms), len(b.terms))
    return (len(shared) / small if small else 0.0), len(shared), len(shared - a.named - b.named)


def compare(cited: Fact, other: Fact) -> tuple[float, list[tuple[Figure, Figure]]] | None:
    """None unless ``other`` states the fact ``cited`` states; else their share and the figures
    they disagree on, as (cited figure, other figure) pairs."""
    if min(len(cited.terms), len(other.terms)) < MIN_SHARED:
        return None
    if cited.named and other.named and not cited.named & other.named:
        return None  # of other people or places: "12 killed in Texas", "3 killed in Oklahoma"
    part, shared, said = share(cited, other)
    same_number = any(f.value == g.value and one_unit(f, g) for f in cited.figures for g in other.figures)
    one_fact = part >= SAME_SHARE and shared >= MIN_SHARED and said >= MIN_SAID
    if not (one_fact or (same_number and shared >= MIN_SHARED_FIGURE)):
        return None
    differs = []
    said_of = (cited.terms & other.terms) - cited.named - other.named  # shared, not names
    for f in cited.figures:
        if any(g.value == f.value and f.unit & g.unit for g in other.figures):
            continue  # the other states this number too
        for g in other.figures:
            if (
                one_unit(f, g)
                and len(said_of - f.unit - g.unit) >= MIN_SAID  # said of the count, beyond its unit
                and not any(h.value == g.value and h.unit & g.unit for h in cited.figures)
            ):
                differs.append((f, g))
                break
    return part, differs


def is_day(figure: Figure, published: str | None) -> bool:
    """Whether ``figure`` is the day ``published`` (an ISO date) names, with its month ("Updated
    March 31", "the news from Monday, June 9" on a page of that day): when a report was written,
    not a fact of the story that another report could state otherwise."""
    if not published or len(published) < 10 or not figure.unit & _MONTHS:
        return False
    month = term(date.fromisoformat(published[:10]).strftime("%B"))
    return month in figure.unit and figure.value == int(published[8:10])


def report(article: Article, cited: str, cited_published: str | None = None) -> Report:
    """``article`` as another report of the story of the quote ``cited`` (of a report published
    on ``cited_published``): with its sentence that states the quote's fact, when one does
    (verbatim at its offsets), and the figures on which that sentence differs; a day that is
    either report's own date is no difference (``is_day``)."""
    facts = fact(cited)
    best: tuple[tuple[float, bool], int, int, list[tuple[Figure, Figure]]] | None = None
    for start, end in _sentences(article.text):
        found = compare(facts, fact(article.text[start:end]))
        if found is None:
            continue
        pairs = [
            (f, g) for f, g in found[1] if not is_day(f, cited_published) and not is_day(g, article.published)
        ]
        key = (found[0], not pairs)  # the higher share, then agreeing
        if best is None or key > best[0]:  # strictly: the earlier sentence keeps a tie
            best = (key, start, end, pairs)
    base = Report(
        article_id=article.article_id,
        title=article.title,
        source=article.source,
        published=article.published,
        url=article.url,
    )
    if best is None:
        return base
    _, start, end, pairs = best
    quote = article.text[start:end]
    differs = [FigureDifference(cited[f.start : f.end], quote[g.start : g.end]) for f, g in pairs]
    return replace(base, quote=quote, start=start, end=end, differs=differs)


@lru_cache(maxsize=512)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """The sentence spans of an article's text, as ingest splits it (ingest/sentences.py),
    imported here on first use: it loads NLTK's Punkt, which a cold ``assistant ask`` otherwise
    never needs until a cited story has another report."""
    from assistant.ingest.sentences import sentence_spans

    return tuple((s.start, s.end) for s in sentence_spans(text))


def coverage(citation: Citation, story: str, articles: Sequence[Article]) -> Coverage | None:
    """The coverage of ``citation`` from its story's ``articles`` (in any order; the cited one is
    left out): the other reports oldest first, None when there are none."""
    others = sorted((a for a in articles if a.article_id != citation.article_id), key=Article.order_key)
    if not others:
        return None
    return Coverage(story=story, reports=[report(a, citation.quote, citation.published) for a in others])


def cover(answer: Answer, stories: Mapping[str, str], articles: Mapping[str, Sequence[Article]]) -> Answer:
    """``answer`` with each citation's coverage, from the story of each cited article
    (``stories``, by article id) and the articles of each story (``articles``, by story id);
    an answer (not an abstention) whose reports differ on a figure also says so, citing both."""
    citations = []
    for c in answer.citations:
        story = stories.get(c.article_id)
        found = coverage(c, story, articles.get(story, ())) if story else None
        citations.append(replace(c, coverage=found))
    answer = replace(answer, citations=citations)
    return answer if answer.abstained else _noted(answer)


def _noted(answer: Answer) -> Answer:
    """``answer`` with a "Reports differ" line for each group of citations and reports that
    disagree on a figure: each side once, in number order, by its phrase, source and date, and
    cited (a report's sentence appended to the citations, or its number when it is cited)."""
    citations = list(answer.citations)
    phrases: dict[int, list[str]] = {}  # citation number -> its phrases of the differing figures
    group: dict[int, int] = {}  # citation number -> the lowest number it differs with, transitively
    for n, c in enumerate(answer.citations, start=1):
        added = 0
        for r in c.coverage.reports if c.coverage else []:
            if not r.differs or r.quote is None or r.start is None or r.end is None:
                continue
            m = _number_of(citations, r.article_id, r.start, r.end)
            if m is None:
                if added == MAX_NOTED:
                    continue
                added += 1
                citations.append(
                    Citation(
                        r.quote, r.article_id, r.title, r.source, r.published, r.url, r.start, r.end, c.score
                    )
                )
                m = len(citations)
            for k, said in ((n, [d.cited for d in r.differs]), (m, [d.reported for d in r.differs])):
                phrases.setdefault(k, [])
                phrases[k] += [p for p in said if p not in phrases[k]]
            low = min(_root(group, n), _root(group, m))
            group[_root(group, n)] = group[_root(group, m)] = low
    lines = []
    for root in sorted({_root(group, k) for k in phrases}):
        sides = [k for k in sorted(phrases) if _root(group, k) == root]
        said = [f"“{'”, “'.join(phrases[k])}” ({_who(citations[k - 1])}) [{k}]" for k in sides]
        lines.append(f"Reports differ: {'; '.join(said)}.")
    if not lines:
        return answer
    return replace(answer, text=" ".join([answer.text.rstrip(), *lines]), citations=citations)


def _root(group: dict[int, int], k: int) -> int:
    """The lowest citation number ``k`` is set against, following ``group`` (union-find)."""
    while group.get(k, k) != k:
        k = group[k]
    return k


def _number_of(citations: list[Citation], article_id: str, start: int, end: int) -> int | None:
    """The number ([n]) of the citation of that span, when the answer cites it."""
    for n, c in enumerate(citations, start=1):
        if (c.article_id, c.start, c.end) == (article_id, start, end):
            return n
    return None


def _who(citation: Citation) -> str:
    """A citation as a note names it: its source (else its headline) and its date."""
    name = " ".join((citation.source or citation.title or "another report").split())
    return f"{name}, {citation.published or 'undated'}"
