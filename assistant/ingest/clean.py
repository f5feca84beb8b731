"""Cleaning scraped news text: cut page boilerplate, pull metadata out of the text, derive the id.

Scraped pages carry a sign-off ("Published in Dawn, November 18th, 2015") followed by page junk
(teasers of unrelated stories, share buttons). The sign-off names the source and date; everything
from it on is dropped and reported, so the user can see what was left out.

Pages also carry furniture inside the body, one line each: video-player feedback forms, photo
gallery captions and credits, newsletter sign-ups, reporters' contact lines. Those lines are
dropped wherever they stand (and counted in the report). Every pattern was read off real scraped
news (USA Today, CNN, The Week) and matches a whole line, so a sentence of the story that merely
mentions a newsletter or an e-mail address stays.
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
    r"^\s*(?:Related (?:articles|stories|coverage)|Read more:?\s*$|More from|Most (?:read|popular)|"
    r"Follow us on|Share this (?:article|story)|Copyright ©|© \d{4}|All rights reserved)\b.*$"
    r"|^\s*Sources:?\s*$",  # a wiki's list of sources (and its categories) closes the article
    re.IGNORECASE | re.MULTILINE,
)
_MIN_BODY = 200
# "Friday, July 21, 2017" opening the body, on its own line or run into the first sentence.
_DATE_LINE = re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, [A-Z][a-z]+ \d{1,2}, \d{4}\s+")
# A paragraph that ends with a media credit is a caption: "... Image: Nick Moreau."
_CAPTION = re.compile(r"^[^\n]*\b(?:Image|Photo|Video|Audio): [^\n]{1,60}?$\n*", re.MULTILINE)
_EMAIL = r"[\w.+-]++@[\w-]+(?:\.[\w-]+)+"  # possessive: no backtracking on long lines
# A photo credit: a photographer's name, then "/Agency" parts ending in a wire or photo agency
# ("Jacob W. Frank/National Park Service/AP"), or "(Photo by ...)" / "(AP Photo/...)".
_AGENCY = r"(?:Getty Images|AP|AFP|Reuters|NurPhoto|Bloomberg|Shutterstock|Sipa USA|USA TODAY(?: NETWORK)?)"
# Capitalised words or initials ("Michael M. Santiago"), so the caption's last word ("Monday.") is
# never taken for part of the name.
_NAME = r"\b[A-Z](?:\.|[\w'’-]*)(?: [A-Z](?:\.|[\w'’-]*)){0,4}"
_CREDIT = (
    rf"(?:{_NAME}(?:/[\w.'’ -]+?)*/{_AGENCY}\b|\((?:AP Photo|Photo by|(?:Photo|Image|Photograph)s?:)[^)]*\))"
)
# Credits are cut from a caption, the caption stays: it is the newsroom's own text, and sometimes
# the only place an article names what it shows.
_CREDIT_AT_END = re.compile(rf"(?:\s*{_CREDIT})+\s*$")
_CREDIT_AT_START = re.compile(rf"^{_CREDIT}\s+(?=[A-Z])")
# Whole lines of in-body page furniture, by kind (the kind names the line in the ingest report).
# Lines longer than _MAX_JUNK_LINE are dropped only as photo galleries (a scraped gallery is one long
# line ending in "Hide Caption 49 of 49" or "Prev Next"); other furniture is short, paragraphs are not.
_JUNK_LINES: dict[str, re.Pattern[str]] = {
    "photo gallery": re.compile(r"\bHide Caption \d+ of \d+$|\bPrev Next$"),
    "video player": re.compile(
        r"^(?:\d+\.\s*)?How relevant is this ad to you\?$|^Video player was slow to load content\b|"
        r"^(?:Video )?Ad Feedback\b|^JUST WATCHED\b.*\bReplay More Videos\b"
    ),
    "newsletter": re.compile(
        r"(?i)\bsign(?:ing)?[ -]?up\b.*\b(?:newsletters?|inbox(?:es)?|here|texts?|briefing)\b|"
        r"\bnewsletter\b.*\b(?:subscribe|inbox)\b|\bsubscribe to the newsletter\b|"
        r"^A version of this (?:story|article) (?:first )?appear(?:s|ed) in\b|"
        r"^This story is part of .{0,60}\bnewsletter\b|^Would you like to receive .{0,60}newsletter|"
        r"\bnewsletter provides you with\b|^We will use the (?:details|information) you have shared\b|"
        r"^If you wish to object to the use of your data\b|^'We' includes The Week\b|"
        r"^(?:Thank you for supporting our journalism|Support local journalism|"
        r"A subscription makes work like this possible|Support reporters who follow your government)\b"
    ),
    "byline": re.compile(
        rf"(?i:^(?:Contact|Reach|E-?mail|Follow)\b.*(?:{_EMAIL}|@\w+|\bon Twitter\b))|"
        rf"^(?:or )?{_EMAIL}\s*[;.]?$|"
        rf"(?i:^(?=.*{_EMAIL}).*\b(?:(?:can|may) be (?:reached|contacted|emailed)|reach (?:him|her|them)|"
        r"contact (?:him|her|them)|is on Twitter)\b)|"
        r"^Contributing(?: writers?)?:|^[–—-]{1,2}\s*(?:The )?[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){1,3}$|"
        # a wire story's credits: "Reporting by ...; Editing by ..."
        r"^(?:Additional )?(?:Reporting|Writing|Editing|Edited|Compiled|Produced) by\b|"
        # a byline alone on its line: "By Tom Garside", "By Ana Ruiz and Li Wei, Broadcast News"
        r"^By (?:[A-Z][\w.'’-]*\s?){1,6}(?:(?:,| and) (?:[A-Z][\w.'’-]*\s?){1,4})*$|"
        r"^Follow (?:us|[A-Z][\w ]{0,40}?) on "
        r"(?:X|Twitter|Facebook|Instagram|Threads|Bluesky|TikTok|YouTube)\b.{0,80}$|"
        r"^Sources?: [\w ,&]{0,60}\b(?:news agencies|agencies|wire services)\.?$|"
        # a dated byline line: "Posted 2025-05-20 by Staff reporter", "Updated at 03.47 BST"
        r"^(?:Posted|Published|Updated|Last updated)(?: on| at)?:?\s+(?!in\b)(?=[^\n]*\d)"
        r"(?:[^.!?]|\.(?=\d)){0,80}$"
    ),
    # A post's time on its own line (a live blog's "03.41 BST", "11:48 p.m. ET"; a video's "02:14").
    "timestamp": re.compile(r"^\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?$"),
    "page notice": re.compile(
        r"^Read More$|^Story continues below\.?$|^This (?:story|article)(?: and headline)? ha(?:s|ve) been "
        r"updated\b.{0,60}$|\bis a USA TODAY content partner offering\b|^Our fact[- ]check (?:work is "
        r"supported\b|sources:?$)|\bRecommendations are independently chosen by\b|"
        r"^Prices were accurate at the time\b|^More AP [\w ]+:.*https?://|"
        r"^Our Standards: |^The (?:views|opinions) expressed (?:in|here)\b|^Do you have an opinion on\b|"
        r"\bfor publication in our letters\b|^This editorial (?:reflects|represents)\b|"
        r"\bis not (?:investment|financial) advice\b|^(?:Copyright|©)\b.{0,120}\bAll rights reserved\b|"
        r"\bmay not be published, broadcast, rewritten,? or redistributed\b|"
        r"^Need a (?:news )?break\?|(?i:\bdownload (?:the|our) [\w ]{0,40}\bapp\b)"
    ),
    # A link to another story, its headline after a label glued to it ("More:What does it take to
    # become a 401(k) millionaire?", "RELATED: Here's how to get tickets"): not this article's text.
    "related link": re.compile(
        r"^(?i:more|related|read more|read also|see also|opinion|closer look|also):(?=\S)|"
        r"^(?:MORE|RELATED|READ MORE|READ ALSO|SEE ALSO|ALSO):\s|"
        r"^(?i:read more|read also|see also|related(?: article| story| video)?|watch):\s|"
        # a promo under a capitals label ("FOLLOW THE PLAYOFFS: Scores, brackets ..."): short, so a
        # dateline opening a paragraph ("NEW YORK: The city ...") stays
        r"^(?=.{0,120}$)[A-Z][A-Z'’&-]+(?: [A-Z][A-Z'’&-]+)+:\s"
    ),
}
_MAX_JUNK_LINE = 400
# A repeated headline is looked for in the first lines, under labels of a few words at most.
_MAX_HEAD_LINES = 8
_MAX_LABEL_WORDS = 4
_MAX_BIO = 300  # an author's bio is a line or two
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
    """Normalize whitespace, drop in-body page furniture and photo credits, cut the sign-off and what
    follows, drop a repeated headline, date line and photo captions, and collect metadata."""
    text, notes = _drop_junk_lines(_normalize(raw.text))
    source, published = raw.source, raw.published
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
    title = headline(raw.title, source)
    text, dropped_head = _without_headline(text, {raw.title.strip(), title} if raw.title else set())
    if dropped_head is not None:
        notes.append(f"dropped the headline repeated atop the text{dropped_head}")
    text, bio = _without_author_bio(text, raw.author)
    if bio:
        notes.append(f"dropped the author's bio {bio[:80]!r}")
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
        title=title,
        source=source,
        published=iso_date(published),
        url=raw.url,
        dateline=dateline.group("place").strip() if dateline else None,
        note="; ".join(notes) or None,
        updated=iso_date(raw.updated),
    )


def _without_headline(text: str, titles: set[str | None]) -> tuple[str, str | None]:
    """``text`` without a repeated headline in its first lines, and with it the labels above it
    (a section name, "In pictures", a menu's "Home | Local"): what a reader sees before the
    headline is page chrome. Returns the text and None, or "" / " and the N lines above it"."""
    lines = text.split("\n")
    for i, line in enumerate(lines[: _MAX_HEAD_LINES + 1]):
        if line.strip() and line.strip() in titles:
            if i and not all(len(above.split()) <= _MAX_LABEL_WORDS for above in lines[:i]):
                break
            rest = "\n".join(lines[i + 1 :]).lstrip()
            if not rest:
                break
            above = sum(bool(x.strip()) for x in lines[:i])
            return rest, f" and the {above} line{'s' * (above > 1)} above it" if above else ""
    return text, None


def _without_author_bio(text: str, author: str | None) -> tuple[str, str | None]:
    """``text`` without a closing paragraph about its author ("Ruth Abernathy is a former council
    officer ..."), which an opinion page prints after the piece: the byline names whom to look
    for, so a story that quotes its author's name elsewhere keeps those lines."""
    if not author:
        return text, None
    body, _, last = text.rpartition("\n")
    bio = re.match(rf"{re.escape(author.strip())} (?:is|was|writes|has been|teaches|works)\b", last.strip())
    if body.strip() and bio and len(last) <= _MAX_BIO:
        return body.rstrip(), last.strip()
    return text, None


def headline(title: str | None, source: str | None) -> str | None:
    """``title`` without the site name a scraped page title ends with ("... - CNN", "... | CNN
    Business", "... | The Week UK"): answers open with the headline (query/answerer.py)."""
    if not title or not source:
        return title
    name = re.sub(r"\W", "", source).lower()
    for separator in (" | ", " - ", " – ", " — "):
        head, found, tail = title.rpartition(separator)
        if found and head.strip() and re.sub(r"\W", "", tail).lower().startswith(name):
            return head.strip()
    return title


def junk_kind(line: str) -> str | None:
    """The kind of page furniture ``line`` is (a key of _JUNK_LINES), or None for article text."""
    line = line.strip()
    if not line:
        return None
    kinds = _JUNK_LINES if len(line) <= _MAX_JUNK_LINE else {"photo gallery": _JUNK_LINES["photo gallery"]}
    return next((kind for kind, pattern in kinds.items() if pattern.search(line)), None)


def without_credit(line: str) -> tuple[str, list[str]]:
    """``line`` without the photo credits a caption ends (or a gallery caption starts) with, and
    the credits."""
    credits = []
    for pattern in (_CREDIT_AT_END, _CREDIT_AT_START):
        found = pattern.search(line)
        if found:
            credits.append(found.group().strip())
            line = line[: found.start()] + line[found.end() :]
    return line, credits


def _drop_junk_lines(text: str) -> tuple[str, list[str]]:
    """``text`` without its furniture lines and photo credits, and a note per kind dropped (count
    and an example)."""
    kept: list[str] = []
    dropped: dict[str, list[str]] = {}
    for line in text.split("\n"):
        kind = junk_kind(line)
        if kind is not None:
            dropped.setdefault(kind, []).append(line.strip())
            continue
        bare, credits = without_credit(line)
        dropped.setdefault("photo credit", []).extend(credits)
        kept.append(bare)
    notes = [
        f"dropped {len(lines)} {kind} line{'s' * (len(lines) > 1)} such as {lines[0][:80]!r}"
        for kind, lines in dropped.items()
        if lines
    ]
    if not notes:
        return text, []
    return _normalize("\n".join(kept)), notes


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
