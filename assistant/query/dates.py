"""Dates in questions and in news sentences, the latter read against the article's publication date.

News writes relative dates: an article published on 2024-03-15 that says "resigned yesterday"
means 14 March, "last month" means February, "on Friday" the Friday before publication. A question
that names a date ("Who resigned on March 14?") can only meet such a sentence once it is resolved.
Hand-written (a few patterns) because the stack's date parser (dateutil) reads absolute dates only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

_MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_M = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_D = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_Y = r"(?P<year>(?:19|20)\d\d)"
_ABSOLUTE = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(rf"\b{_M}\s+{_D}\b(?:,?\s+{_Y})?", re.I),
    re.compile(rf"\b{_D}\s+(?:of\s+)?{_M}(?:,?\s+{_Y})?", re.I),
    re.compile(rf"\b{_M}(?:,?\s+{_Y})\b", re.I),
    re.compile(rf"\b(?:in|during|since|by|early|late|mid-?)\s*{_M}\b", re.I),
]
_RELATIVE = re.compile(
    r"\b(?P<rel>yesterday|today|tonight|this morning|this week|last week|this month|last month|"
    r"this year|last year|(?:on |last |this )?(?P<weekday>monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday))\b",
    re.I,
)


@dataclass(frozen=True)
class DateRef:
    """A date named in a question: month always, day and year when given."""

    month: int
    day: int | None = None
    year: int | None = None
    text: str = field(default="", compare=False)  # as written in the question

    def within(self, first: date, last: date) -> bool:
        """Some day of ``[first, last]`` is this date."""
        if (last - first).days > 400:
            return False
        day = first
        while day <= last:
            if (
                day.month == self.month
                and (self.day is None or day.day == self.day)
                and (self.year is None or day.year == self.year)
            ):
                return True
            day += timedelta(days=1)
        return False


def question_dates(text: str) -> tuple[DateRef, ...]:
    """The calendar dates a question names ("on March 14", "in February 2024", "2024-03-14")."""
    found: list[DateRef] = []
    taken: list[range] = []
    for pattern in _ABSOLUTE:
        for m in pattern.finditer(text):
            if any(m.start() < span.stop and span.start < m.end() for span in taken):
                continue
            ref = _ref(m)
            if ref is not None:
                found.append(replace(ref, text=m.group()))
                taken.append(range(m.start(), m.end()))
    return tuple(dict.fromkeys(found))


# Words that place a question in time relative to when it is asked ("as of"): the period of
# publication they point at, ending at as_of. "Latest" and "so far" ask about the last days.
_QUESTION_PERIOD = re.compile(
    r"\b(?P<rel>this week|last week|this month|last month|this year|yesterday|today|recently|"
    r"recent|latest|so far|lately|currently|now|these days)\b",
    re.I,
)
# "Recently" and its kin: the last two weeks before as_of (news questions about "recent" events
# ask about the current news cycle).
RECENT_DAYS = 14


def question_period(text: str, as_of: date) -> tuple[date, date] | None:
    """The publication days a question's relative time words point at, read against ``as_of``
    ("this week" asked on Thursday 2022-08-18: Monday 15 to 18 August), or None."""
    starts = []
    for m in _QUESTION_PERIOD.finditer(text):
        period = _relative(m.group("rel").lower(), None, as_of)  # None: recently, latest, so far...
        starts.append(period[0] if period else as_of - timedelta(days=RECENT_DAYS))
    # News of a period is reported up to the day of asking ("last week" is still written about).
    return (min(starts), as_of) if starts else None


def sentence_periods(text: str, published: date) -> list[tuple[date, date]]:
    """The days a sentence's dates cover, relative ones read against ``published``."""
    periods: list[tuple[date, date]] = []
    for m in _RELATIVE.finditer(text):
        period = _relative(m.group("rel").lower(), m.group("weekday"), published)
        if period:
            periods.append(period)
    for pattern in _ABSOLUTE[:3]:
        for m in pattern.finditer(text):
            ref = _ref(m)
            if ref is None or ref.day is None:
                continue
            year = ref.year or published.year
            try:
                day = date(year, ref.month, ref.day)
            except ValueError:
                continue
            if ref.year is None and day > published:  # "on Dec 30" in a January article
                day = day.replace(year=year - 1)
            periods.append((day, day))
    return periods


def mentions(refs: tuple[DateRef, ...], text: str, published: str | None) -> bool:
    """The sentence (of an article published on ``published``) speaks of one of ``refs``."""
    if not refs or not published:
        return False
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return False
    return any(ref.within(a, b) for a, b in sentence_periods(text, day) for ref in refs)


def _ref(m: re.Match) -> DateRef | None:
    groups = m.groupdict()
    month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS.get((groups.get("month") or "").lower())
    if not month or month > 12:
        return None
    day = int(groups["day"]) if groups.get("day") else None
    if day is not None and not 1 <= day <= 31:
        return None
    year = int(groups["year"]) if groups.get("year") else None
    return DateRef(month, day, year)


def _relative(rel: str, weekday: str | None, p: date) -> tuple[date, date] | None:
    if rel == "yesterday":
        return p - timedelta(days=1), p - timedelta(days=1)
    if rel in ("today", "tonight", "this morning"):
        return p, p
    monday = p - timedelta(days=p.weekday())
    if rel == "this week":
        return monday, p
    if rel == "last week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first = p.replace(day=1)
    if rel == "this month":
        return first, p
    if rel == "last month":
        last = first - timedelta(days=1)
        return last.replace(day=1), last
    if rel == "this year":
        return p.replace(month=1, day=1), p
    if rel == "last year":
        return date(p.year - 1, 1, 1), date(p.year - 1, 12, 31)
    if weekday:
        # "on Friday" in news is the latest Friday up to the publication day; "last Friday" the one
        # before publication day.
        back = (p.weekday() - _WEEKDAYS.index(weekday.lower())) % 7
        if rel.startswith("last") and back == 0:
            back = 7
        day = p - timedelta(days=back)
        return day, day
    return None
