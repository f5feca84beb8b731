"""The records that cross room boundaries: articles, their spans, answers and reports.

Plain frozen dataclasses so every surface (Python API, CLI JSON, HTTP, UI) shares one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Article:
    """A cleaned article. ``text`` is the clean text that every citation offset points into."""

    article_id: str
    title: str | None
    source: str | None
    published: str | None  # ISO 8601 date, e.g. "2015-11-18"
    url: str | None
    dateline: str | None  # place of the dateline ("PARIS"), when the text opens with one
    text: str
    origin: str | None = None  # the file (and line) it was loaded from
    chunks: int = 0
    updated: str | None = None  # ISO date of the last update, when the feed or page says so
    # The story it reports (assistant/stories/): the id of the story's first article, shared by
    # every article of the same event; its own id when it is alone in its story.
    story: str | None = None

    def order_key(self) -> tuple[str, str, str]:
        """A story's order: oldest first, then headline and id (reports carry dates, not times,
        so two of one day keep a fixed order); an undated article (alone in its story: an
        undated article matches none, stories/match.py) sorts first."""
        return (self.published or "", self.title or "", self.article_id)

    def to_dict(self, with_text: bool = True) -> dict:
        data = asdict(self)
        if not with_text:
            data.pop("text")
        return data


@dataclass(frozen=True)
class Span:
    """A ``[start, end)`` character range in an article's clean text."""

    start: int
    end: int


@dataclass(frozen=True)
class Filters:
    """Optional metadata filters on retrieval: exact source, published date range (inclusive)."""

    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return any((self.source, self.date_from, self.date_to))

    def admits(self, chunk: Mapping[str, Any]) -> bool:
        """Whether a chunk with this metadata (``source``, ``published_int`` such as 20220617)
        passes, as Chroma's metadata filter decides: an undated chunk fails any date bound."""
        if self.source and chunk.get("source") != self.source:
            return False
        day = chunk.get("published_int")
        if self.date_from and (day is None or int(day) < day_int(self.date_from)):
            return False
        return not (self.date_to and (day is None or int(day) > day_int(self.date_to)))


def day_int(day: date) -> int:
    """``day`` as chunk metadata stores it (``published_int``): 2022-06-17 -> 20220617."""
    return int(day.strftime("%Y%m%d"))


@dataclass(frozen=True)
class FigureDifference:
    """A figure on which another report of the story disagrees with a cited quote: the same
    counted thing with another number ("at least 107 people were killed" against "killing 111
    people"). Each side is the phrase as its own sentence writes it, verbatim."""

    cited: str
    reported: str


@dataclass(frozen=True)
class Report:
    """Another report of a cited article's story (assistant/stories/coverage.py): its headline,
    source, date and link, and, when one of its sentences states the fact the citation quotes,
    that sentence, verbatim at its offsets as a citation's quote is (``quote`` None otherwise).
    ``differs`` lists the figures on which that sentence disagrees with the cited quote."""

    article_id: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    quote: str | None = None
    start: int | None = None
    end: int | None = None
    differs: list[FigureDifference] = field(default_factory=list)


@dataclass(frozen=True)
class Coverage:
    """Who else reported a citation's story: the story's id (``Assistant.story``,
    ``Assistant.timeline``) and its other reports, oldest first."""

    story: str
    reports: list[Report] = field(default_factory=list)


@dataclass(frozen=True)
class Citation:
    """A verbatim quote: ``article.text[start:end] == quote`` is checked before it is returned.

    ``coverage``: the other reports of the cited article's story ("also reported by"), None when
    it has none (or ``Settings.coverage`` is off); left out of ``to_dict`` then."""

    quote: str
    article_id: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    start: int
    end: int
    score: float
    coverage: Coverage | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.coverage is None:
            data.pop("coverage")
        return data


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    question: str = ""  # the standalone question that was answered (after follow-up resolution)
    # A one-line message for the user about how the answer was made, e.g. that the language model
    # was unreachable and this is the extractive answer.
    notice: str | None = None
    # Sentences the language model wrote that no article supports: removed from ``text``, listed
    # here so a surface can show them, clearly marked, or not at all.
    unverified: list[str] = field(default_factory=list)
    mode: str = "extractive"  # or "llm": how ``text`` was written
    # Calibrated probability that the answer is right (query/answerer.py). Below the fitted
    # threshold the assistant abstains (``abstained``), showing at most the closest passage.
    confidence: float = 0.0

    def to_dict(self) -> dict:
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
            "mode": self.mode,
            "notice": self.notice,
            "unverified": self.unverified,
        }


@dataclass(frozen=True)
class TimelineEntry:
    """One report in a story's timeline, shown by one sentence of it, verbatim as a citation's
    quote is: ``article.text[start:end] == quote``.

    ``kind`` says why that sentence: "lede" (the report's opening sentence: the first report's,
    or a later one's that adds nothing) or "adds" (the sentence with the most that the story's
    earlier reports lacked; ``new`` lists those words and figures, as the sentence writes them)."""

    article_id: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    quote: str
    start: int
    end: int
    kind: str
    new: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Timeline:
    """How a story developed: its reports oldest first (assistant/stories/timeline.py).

    Asked by a question, ``question`` is its clean text and ``matched`` the passage retrieval
    found first, whose article's story this is: a caller can see (and judge by its score) what
    the question was taken to be about."""

    story: str
    entries: list[TimelineEntry]
    question: str | None = None
    matched: Citation | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.matched is not None:  # a citation's JSON, as every surface writes one
            data["matched"] = self.matched.to_dict()
        return data


@dataclass(frozen=True)
class NewFact:
    """What a watched question's new answer says that its earlier answers and their articles did
    not (assistant/stories/changes.py): ``kind`` "figure" (a number with what it counts, a date),
    "name" (a person, place or body), "answered" (an abstention turned into an answer) or
    "unanswered" (the reverse); ``text`` the phrase as the new answer's quote writes it ("killing
    27 people", "Kovar"; empty for the last two)."""

    kind: str
    text: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestReport:
    """What one ``ingest`` call did. Ids for articles; ``failed`` holds ``(origin, reason)``."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    # (origin, note): things done to the input the user should be able to see, such as dropped
    # page boilerplate.
    notes: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": [{"origin": o, "reason": r} for o, r in self.failed],
            "notes": [{"origin": o, "note": n} for o, n in self.notes],
        }
