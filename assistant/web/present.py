"""What every surface shows of an article or an answer, as plain or escaped text: the escape for
untrusted text, the http(s)-only link check, dates, an article's label, the confidence in words and
the reader's address for a quote.

Article text, titles, sources and URLs come from files anyone can upload: every HTML fragment built
from them goes through ``text`` (``html.escape``), and links are kept only for http(s) URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from html import escape
from urllib.parse import quote, urlsplit

from assistant.query.answerer import CLOSEST
from assistant.schema import Answer

# An answer's citation markers: "[1]" ... "[99]".
MARKER = re.compile(r"\[(\d{1,2})\]")


def text(value: object) -> str:
    """Escape untrusted text for HTML content and attributes; newlines become spaces."""
    return escape(" ".join(str(value).split()), quote=True)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None (no javascript:, data: ...)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def display_date(published: str | None) -> str | None:
    """'2015-11-18' -> '18 Nov 2015'; anything else as written (or None)."""
    if not published:
        return None
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{day.day} {day:%b %Y}"


def article_label(title: str | None, source: str | None, published: str | None, text: str = "") -> str:
    """What to call an article: its title, else source and date, else its first words (plain text)."""
    if title and title.strip():
        return " ".join(title.split())
    parts = [p for p in (source, display_date(published)) if p]
    if parts:
        return " · ".join(parts)
    words = text.split()
    if words:
        return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return "Untitled article"


# The bands of Answer.confidence, the calibrated probability that the answer is right
# (docs/web.md, "Confidence"): (lowest probability, label).
BANDS = ((0.7, "High"), (0.4, "Medium"), (0.0, "Low"))


def confidence_label(answer: Answer) -> str:
    """Answer.confidence in plain words: its band (BANDS); an abstention showing the closest
    passage is low, whatever threshold it fell under."""
    if answer.abstained:
        return "Low confidence"
    band = next(label for floor, label in BANDS if answer.confidence >= floor)
    return f"{band} confidence"


def confidence_note(answer: Answer) -> str:
    """What the label means, for its tooltip."""
    if answer.abstained:
        return "The articles may not answer this: the closest passage is shown, not an answer."
    return (
        f"The calibrated chance that this answer is right: {answer.confidence:.0%} "
        "(high: 70% or more, medium: 40 to 70%, low: under 40%)."
    )


# The headline an extractive answer opens with ("From “Title”: quote [1]"); the card names it.
_HEADLINE = re.compile(r"From “[^”\n]{1,300}”: ")


def answer_body(answer: Answer) -> str:
    """``answer.text`` without the headline it opens with (after "The closest passage...:" too),
    when it has citations: their card names the article, once."""
    found = _HEADLINE.search(answer.text) if answer.citations else None
    if found is None:
        return answer.text
    lead = answer.text[: found.start()]
    if lead.strip() not in {"", CLOSEST}:
        return answer.text
    return lead + answer.text[found.end() :]


def reader_href(article_id: str, ranges: Iterable[tuple[int, int]] = (), base: str = "") -> str:
    """The reader's address for an article (web/reader.py), ``#q=start-end,...`` highlighting those
    character ranges of its clean text, the first scrolled to; ``base`` is the server's root URL
    ("http://host:7860"), "" for a link within the app."""
    spans = ",".join(f"{int(s)}-{int(e)}" for s, e in ranges)
    return f"{base.rstrip('/')}/articles/{quote(article_id, safe='')}" + (f"#q={spans}" if spans else "")
