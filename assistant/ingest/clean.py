"""Cleaning scraped news text: cut page boilerplate, pull metadata out of the text, derive the id.

Scraped pages carry a sign-off ("Published in Dawn, November 18th, 2015") followed by page junk
(teasers of unrelated stories, share buttons). The sign-off names the source and date; everything
from it on is dropped and reported, so the user can see what was left out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from dateutil import parser as dateparser

from assistant.ingest.formats import RawDoc

# A sign-off line that ends the article body, with the publication and date when it names them.
_SIGN_OFF = re.compile(
    r"^\s*(?:Published|First published|Originally published|This article (?:first )?appeared)"
    r"\s+(?:in|on|by)\s+(?P<source>[^,\n]+?)\s*(?:,\s*(?P<date>[^\n]+?))?\s*\.?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Lines that begin page furniture after an article; only honoured past _MIN_BODY characters so a
# stray "Related" near the top can't swallow the article.
_FURNITURE = re.compile(
    r"^\s*(?:Related (?:articles|stories|coverage)|Read more:?|More from|Most (?:read|popular)|"
    r"Follow us on|Share this (?:article|story)|Copyright ©|© \d{4}|All rights reserved)\b.*$"
    r"|^\s*Sources:?\s*$",  # a wiki's list of sources (and its categories) closes the article
    re.IGNORECASE | re.MULTILINE,
)
_MIN_BODY = 200
# "Friday, July 21, 2017" opening the body, on its own line or run into the first sentence.
_DATE_LINE = re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, [A-Z][a-z]+ \d{1,2}, \d{4}\s+")
# A paragraph that ends with a media credit is a caption: "... Image: Nick Moreau."
_CAPTION = re.compile(r"^[^\n]*\b(?:Image|Photo|Video|Audio): [^\n]{1,60}?$\n*", re.MULTILINE)
# "PARIS:", "NEW YORK —", "ISLAMABAD, Nov 17:" at the start of the body.
_DATELINE = re.compile(r"^\s*(?P<place>[A-Z][A-Z.'\- ]{1,40}?)(?:,[^:\n—–]{1,30})?\s*(?::|—|–|--)\s")


@dataclass(frozen=True)
class Cleaned:
    article_id: str
    text: str
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    dateline: str | None
    note: str | None
    updated: str | None = None  # what was dropped, for the ingest report


def clean(raw: RawDoc) -> Cleaned:
    """Normalize whitespace, cut the sign-off and what follows, drop a repeated headline, date line
    and photo captions, and collect metadata."""
    text = _normalize(raw.text)
    source, published = raw.source, raw.published
    notes = []
    cut = None
    sign_off = next((m for m in _SIGN_OFF.finditer(text) if m.start() >= _MIN_BODY), None)
    if sign_off:
        cut = sign_off.start()
        source = source or sign_off.group("source").strip()
        published = published or sign_off.group("date")
    furniture = next((m for m in _FURNITURE.finditer(text) if m.start() >= _MIN_BODY), None)
    if furniture and (cut is None or furniture.start() < cut):
        cut = furniture.start()
    if cut is not None:
        dropped = text[cut:].strip()
        first_line = dropped.splitlines()[0][:80]
        notes.append(f"dropped {len(dropped):,} characters of page boilerplate from {first_line!r} on")
        text = text[:cut].rstrip()
    head, _, rest = text.partition("\n")
    if raw.title and rest and head.strip() == raw.title.strip():
        text = rest.lstrip()
        notes.append("dropped the headline repeated atop the text")
    date_line = _DATE_LINE.match(text)
    if date_line:
        published = published or date_line.group()
        notes.append(f"dropped the date line {date_line.group().strip()!r}")
        text = text[date_line.end() :]
    captions = len(_CAPTION.findall(text))
    if captions:
        notes.append(f"dropped {captions} photo caption{'s' if captions > 1 else ''}")
        text = _CAPTION.sub("", text).rstrip()
    dateline = _DATELINE.match(text)
    return Cleaned(
        article_id=article_id(text),
        text=text,
        title=raw.title,
        source=source,
        published=iso_date(published),
        url=raw.url,
        dateline=dateline.group("place").strip() if dateline else None,
        note="; ".join(notes) or None,
        updated=iso_date(raw.updated),
    )


def article_id(text: str) -> str:
    """Content address: the same clean text always gets the same id, so re-ingest is a no-op."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def iso_date(value: str | None) -> str | None:
    """'November 18th, 2015' or '2015-11-18T10:00Z' -> '2015-11-18'; unparseable -> None."""
    if not value:
        return None
    try:
        parsed = dateparser.parse(value, fuzzy=True, default=None)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or not (1900 <= parsed.year <= date.today().year + 1):
        return None
    return parsed.date().isoformat()


def _normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
