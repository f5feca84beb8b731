"""Format-specific parsing: each format yields raw documents (text plus whatever metadata it has).

HTML goes through trafilatura (made for extracting the article from a news page), on the page tidied
first (``prepared``), which bench/extraction_quality.py chose over trafilatura's modes; Markdown through
markdown-it's parser. Plain text is taken as is: its cleaning happens in clean.py for all formats.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from markdown_it import MarkdownIt

from assistant.errors import InputError, check_unicode
from assistant.ingest.read import ReadError


@dataclass
class RawDoc:
    """An article as found in the input, before cleaning."""

    text: str
    origin: str
    title: str | None = None
    source: str | None = None
    published: str | None = None  # as written in the input; clean.py normalizes it
    url: str | None = None
    updated: str | None = None  # as written; only when the input says when it was updated
    author: str | None = None  # the byline, so clean.py can tell the author's bio from the story
    # Stored article ids this document supersedes whatever its text (a feed entry's earlier version).
    replaces: tuple[str, ...] = ()


# Field names seen in news exports, first match wins.
_JSON_FIELDS = {
    "text": ("text", "content", "body", "article", "maintext"),
    "title": ("title", "headline"),
    "source": ("source", "publisher", "site", "sitename", "source_domain"),
    "published": ("published", "date", "published_at", "date_publish", "pubdate", "datetime"),
    "url": ("url", "link", "href"),
    "updated": ("updated", "modified", "date_modify", "updated_at", "date_modified"),
}


def parse(path: Path, text: str) -> tuple[list[RawDoc], list[tuple[str, str]]]:
    """Parse decoded ``text`` of ``path`` by its suffix. Returns documents and per-record failures."""
    suffix = path.suffix.lower()
    origin = str(path)
    if suffix == ".jsonl":
        return _parse_jsonl(text, origin)
    if suffix in {".html", ".htm"}:
        return [parse_html(text, origin)], []
    if suffix in {".md", ".markdown"}:
        return [_parse_markdown(text, origin)], []
    return [_parse_text(text, origin)], []


def _parse_text(text: str, origin: str) -> RawDoc:
    """A first line that is short, unpunctuated and followed by a blank line is the headline; a
    short line after it that names a date ("Glasgow Herald, 14 March 2024", "14 March 2024",
    "By Ann Lee | 2024-03-14") gives the date and the source (or author) before it."""
    lines = text.lstrip("\ufeff\n\r ").split("\n")
    first = lines[0].strip()
    rest_starts_blank = len(lines) > 1 and not lines[1].strip()
    if not (_is_headline(first) and rest_starts_blank):
        return RawDoc(text=text, origin=origin)
    doc = RawDoc(text="\n".join(lines[1:]), origin=origin, title=first)
    at = next((i for i in range(1, min(len(lines), 4)) if lines[i].strip()), None)
    if at is not None and _take_dateline(doc, lines[at]):
        doc.text = "\n".join(lines[at + 1 :])
    return doc


def _is_headline(line: str) -> bool:
    """Whether a first line reads as a headline: short, one line, not ending like a sentence."""
    return bool(line) and len(line) <= 150 and "\n" not in line and not re.search(r"[.!?:\"”]$", line)


def _take_dateline(doc: RawDoc, line: str) -> bool:
    """Whether ``line``, the one under the headline, is a dateline (see ``_dateline``); if so its
    date becomes ``doc``'s and the name before it the source, or the author after a "By"."""
    found = _dateline(line)
    if found is None:
        return False
    who, doc.published = found
    if who and re.match(r"(?i)by\s", who):
        doc.author = re.sub(r"(?i)^by\s+", "", who)
    else:
        doc.source = who
    return True


# A line that states a date: a month name with a year, or an ISO or d/m/y date.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)


# What may follow the date on its line: a time and a zone ("10:00 GMT").
_AFTER_DATE = re.compile(
    r"[\s,|·–—-]*(?:\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,5})?)?\s*", re.IGNORECASE
)


def _dateline(line: str) -> tuple[str | None, str] | None:
    """("Glasgow Herald", "14 March 2024") for "Glasgow Herald, 14 March 2024"; None unless the
    line is short and ends with a date (with at most a weekday or time after it)."""
    line = line.strip()
    match = _DATE.search(line)
    if len(line) > 100 or match is None or not _AFTER_DATE.fullmatch(line[match.end() :]):
        return None
    before = line[: match.start()].strip()
    # a weekday before the date belongs to it ("Glasgow Herald, Thursday 14 March 2024")
    before = re.sub(r"(?i)[,\s]*(mon|tues|wednes|thurs|fri|satur|sun)day,?$", "", before).strip()
    who = re.sub(r"[\s,|·–—-]+$", "", before).strip() or None
    if who and (len(who.split()) > 6 or re.search(r"[.!?]$|\b(on|in|at|of|from|since|until)$", who)):
        return None
    return who, match.group()


def _parse_markdown(text: str, origin: str) -> RawDoc:
    """Keep the words, drop the markup. The first level-1 heading is the headline (without one, a
    first paragraph that reads as one, as in a .txt file), and the paragraph right under it, when
    it is a dateline ("*Glasgow Herald*, 14 March 2024"), gives the date and the source or author."""
    title, under = None, 0  # under: the index of the block under the headline
    blocks: list[str] = []
    tokens = MarkdownIt().parse(text)
    for i, tok in enumerate(tokens):
        if tok.type != "inline":
            continue
        words = "".join(c.content for c in (tok.children or []) if c.type in {"text", "code_inline"})
        words = words or tok.content
        opener = tokens[i - 1] if i else None
        if title is None and opener is not None and opener.type == "heading_open" and opener.tag == "h1":
            title, under = words.strip(), len(blocks)
            continue
        blocks.append(words)
    if title is None and len(blocks) > 1 and _is_headline(blocks[0].strip()):
        title = blocks.pop(0).strip()
    doc = RawDoc(text="", origin=origin, title=title)
    if title is not None and under < len(blocks) and _take_dateline(doc, blocks[under]):
        del blocks[under]
    doc.text = "\n\n".join(blocks)
    return doc


def parse_html(html: str, origin: str) -> RawDoc:
    """A news page -> its article; ReadError when the page holds no article text.

    The page is tidied first (``prepared``: publisher furniture out, live-blog posts and gallery
    captions made plain body text), then trafilatura extracts the article from what is left.
    Metadata is read from the untouched page, where bylines and dates still stand."""
    try:
        page = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError("no article text found in this HTML page") from exc
    meta = trafilatura.extract_metadata(copy.deepcopy(page))
    doc = trafilatura.bare_extraction(prepared(page), include_comments=False, include_tables=False)
    text = getattr(doc, "text", None) if doc is not None else None
    not_article = _not_an_article(page)
    if not_article:
        raise ReadError(not_article)
    if not text or not text.strip():
        raise ReadError("no article text found in this HTML page")
    return RawDoc(
        text=text,
        origin=origin,
        title=meta.title or None,
        source=meta.sitename or _publisher(page),
        published=meta.date or None,
        url=meta.url or None,
        author=meta.author or None,
    )


# Pages that are not articles. A web server's directory listing, by its title.
_LISTING = re.compile(r"^\s*(directory listing for|index of)\s+/", re.IGNORECASE)
# An error page, by its title or its first heading: a part of it (the title's parts are split at
# " | ", " - " and the like, the site name being one) that is a status code, an error's name or
# both ("404 Not Found", "Error 500", "Page not found"), or a sentence saying the page is not there.
# A headline that starts with a number ("500 homes flooded") or holds the words ("Missing hiker
# not found") is not one: the part must be nothing else.
_ERROR_NAME = (  # standing alone or after a status code
    r"(?:page|file|article|story)?\s*not\s+found|access\s+denied|(?:internal\s+)?server\s+error|"
    r"service\s+(?:temporarily\s+)?unavailable|bad\s+gateway|page\s+unavailable"
)
_STATUS_NAME = rf"{_ERROR_NAME}|forbidden|gateway\s+time-?out|bad\s+request|unauthori[sz]ed|gone"  # after one
_ERROR_PART = re.compile(
    rf"(?:(?:error|http)\s*)?[45]\d\d(?:\s*(?:error)?\s*[-:–—]?\s*(?:{_STATUS_NAME})?)?(?:\s+error)?|"
    rf"(?:(?:error|oops|sorry)\W*\s*)?(?:{_ERROR_NAME})(?:\s+error)?|error",
    re.IGNORECASE,
)
_THE_PAGE = r"\b(?:that|this|the)\s+page(?:\s+you(?:\s+\w+){1,3}?)?\s+"
_MISSING = re.compile(
    rf"{_THE_PAGE}(?:can(?:no|['’])t\s+be\s+found|could\s*(?:n['’]|no)t\s+be\s+found|"
    rf"does\s*(?:n['’]|no)t\s+exist|no\s+longer\s+exists|is\s+no\s+longer\s+available)|"
    r"\bwe\s+(?:can(?:no|['’])t|could\s*(?:n['’]|no)t)\s+find\s+(?:that|this|the)\s+page\b",
    re.IGNORECASE,
)
_TITLE_PARTS = re.compile(r"\s+[|–—:·-]\s+|\s*::\s*")
# An index page (a section front, a tag page, search results): at least this many links to
# stories (links of four words or more), which with their teasers (each link's surroundings up to
# _CARD_CHARS, no other story link in them) hold this share of the page's text. An article with a
# box of related links is far under it: at most 0.2 on every page of tests/data/extraction.
_INDEX_LINKS = 6
_INDEX_SHARE = 0.5
_CARD_CHARS = 400
# A page that says it is an article (og:type, schema.org type) is never taken for an index page.
_ARTICLE_TYPE = re.compile(r"(?:article|posting|report)$", re.IGNORECASE)


def _not_an_article(page: lxml.html.HtmlElement) -> str | None:
    """Why ``page`` is not an article (a directory listing, an error page, an index page), or None."""
    title = " ".join((page.findtext(".//title") or "").split())
    if _LISTING.match(title):
        return f"this page is a web server's directory listing ({title!r}), not an article"
    heading = page.find(".//h1")
    headline = " ".join(heading.text_content().split()) if heading is not None else ""
    for name in (title, headline):
        parts = [p.strip(" !.") for p in _TITLE_PARTS.split(name)]
        if any(_ERROR_PART.fullmatch(p) for p in parts if p) or _MISSING.search(name):
            return f"this page is an error page ({name!r}), not an article"
    links = _index_links(page)
    if links:
        return (
            f"this page is an index page: {links} links to stories make up most of it, not an "
            "article (add the stories' own pages, or the site's feed)"
        )
    return None


def _words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _index_links(page: lxml.html.HtmlElement) -> int:
    """How many links to stories ``page`` holds when it is an index page (see _INDEX_LINKS), else 0."""
    if _declares_article(page):
        return 0
    page = copy.deepcopy(page)
    for hidden in page.xpath("//script|//style|//noscript|//template"):
        hidden.drop_tree()
    body = page.find("body")
    body = page if body is None else body
    stories = [
        a
        for a in body.iter("a")
        if len(_words(a).split()) >= 4 and not (a.get("href") or "#").startswith(("#", "javascript:"))
    ]
    if len(stories) < _INDEX_LINKS:
        return 0
    story_links = set(stories)
    cards = set()
    for link in stories:  # the link with its teaser: its largest surroundings holding no other story
        card = link
        while (parent := card.getparent()) is not None and parent is not body:
            if len(_words(parent)) > _CARD_CHARS or sum(a in story_links for a in parent.iter("a")) > 1:
                break
            card = parent
        cards.add(card)
    covered = sum(len(_words(card)) for card in cards)
    return len(stories) if covered >= _INDEX_SHARE * max(1, len(_words(body))) else 0


def _declares_article(page: lxml.html.HtmlElement) -> bool:
    """Whether the page's metadata says it is an article: og:type, or a schema.org type (JSON-LD)."""
    if any(_ARTICLE_TYPE.search(v) for v in page.xpath('//meta[@property="og:type"]/@content')):
        return True
    for script in page.xpath('//script[@type="application/ld+json"]'):
        try:
            stack = [json.loads(script.text or "")]
        except ValueError:
            continue
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                kinds = item.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(k, str) and _ARTICLE_TYPE.search(k) for k in kinds):
                    return True
                stack.extend(v for k, v in item.items() if k == "@graph")
    return False


def _publisher(page: lxml.html.HtmlElement) -> str | None:
    """The publisher's name from the page's schema.org data (JSON-LD ``publisher``), when it has
    no site name (og:site_name)."""
    for script in page.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                publisher = item.get("publisher")
                if isinstance(publisher, list) and publisher:
                    publisher = publisher[0]
                name = publisher.get("name") if isinstance(publisher, dict) else publisher
                if isinstance(name, str) and name.strip():
                    return " ".join(name.split())[:100]
                stack.extend(v for k, v in item.items() if k == "@graph")
    return None


# Words of a class or id that mark publisher furniture: share bars, sign-up boxes, adverts, cookie
# banners, related and recommended links, pull quotes (a repeat of the text), embedded posts, photo
# credits and counters, comments. Class names are split at "-" and "_" ("gnt_em__ad",
# "video-player__title"), so "ad" matches a word, never "shadow" or "header".
_FURNITURE_WORDS = frozenset(
    "share sharing social newsletter newsletters signup subscribe promo promotion related recirc "
    "recommended trending popular ad ads advert adverts advertisement adslot sponsored cookie cookies "
    "consent comment comments pullquote breadcrumb breadcrumbs tags byline tweet embed pagination "
    "credit count outbrain taboola standfirst dek kicker rubric".split()
)
_FURNITURE_PAIRS = frozenset(
    {
        ("video", "player"),
        ("video", "resource"),
        ("video", "embed"),
        ("pull", "quote"),
        ("key", "events"),
        ("more", "from"),
        ("sign", "up"),
        ("most", "read"),
        ("instagram", "media"),
        ("ad", "slot"),
        ("visually", "hidden"),  # text for screen readers only ("posted at" before a post's time)
        ("sr", "only"),
        ("screen", "reader"),
    }
)
# Furniture-marked elements of one class holding more than this share of the page's text are the
# article itself (a body wrapper named "article-related", posts' paragraphs of a class naming
# "related-story"): they stay.
_MAX_FURNITURE_SHARE = 0.4
_GALLERY_MIN = 3  # figures with captions, for a page to be read as a gallery
_FEED_MIN = 3  # posts of one class, for their parent to be read as a live blog's feed


def prepared(page: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A copy of ``page`` made easy for trafilatura to read as one article.

    - Furniture elements (by class and id words, see _FURNITURE_WORDS) are removed: trafilatura
      prunes some of them itself, but its fallback extractors don't, and a line of furniture
      inside the body text can't be told from prose later.
    - A live blog's posts, one <article> each, become <div>s: trafilatura reads the first
      <article> as the whole story and kept one post of forty. Links within the page (a post's
      timestamp, a key-events list) become plain text: trafilatura took a run of posts headed by
      permalinks for link lists and cut the blog short.
    - A gallery (several captioned figures, more caption text than prose) has its captions
      turned into paragraphs: they are its story, and trafilatura drops figures."""
    page = copy.deepcopy(page)
    total = len(page.text_content()) or 1
    furniture = [e for e in page.iter(etree.Element) if e.getparent() is not None and _is_furniture(e)]
    by_class: Counter[str | None] = Counter()
    for element in furniture:
        by_class[element.get("class")] += len(element.text_content())
    for element in furniture:
        if by_class[element.get("class")] <= _MAX_FURNITURE_SHARE * total and element.getparent() is not None:
            element.drop_tree()
    figures = page.xpath("//figure[figcaption]")
    captions = sum(len(f.find("figcaption").text_content()) for f in figures)
    prose = sum(len(p.text_content()) for p in page.xpath("//p[not(ancestor::figure)]"))
    if len(figures) >= _GALLERY_MIN and captions > prose:
        for figure in figures:
            paragraph = lxml.html.Element("p")
            paragraph.text = " ".join(figure.find("figcaption").text_content().split())
            paragraph.tail = figure.tail
            figure.getparent().replace(figure, paragraph)
    for post in page.xpath("//li[p or div or article or h2 or h3]"):
        post.tag = "div"  # a list of posts is a feed, not a list: trafilatura kept only their titles
    for permalink in page.xpath("//a[starts-with(@href, '#')]"):
        permalink.drop_tag()
    posts = page.xpath("//article")
    if len(posts) > 1:
        for post in posts:
            post.tag = "div"
    if not page.xpath("//article|//main"):
        _mark_body(page)
    return page


def _mark_body(page: lxml.html.HtmlElement) -> None:
    """Make the article's body an <article>: the element whose own paragraphs hold the most text,
    or a feed (a live blog's posts: several children of one class, each with paragraphs) whose
    posts hold more. On a page with neither <article> nor <main> (nor a class trafilatura knows),
    trafilatura reads paragraphs from anywhere, or one post, and loses subheadings and lists."""
    best, best_len = None, 0
    for element in page.iter(etree.Element):
        paragraphs = [child for child in element if child.tag == "p"]
        length = sum(len(p.text_content()) for p in paragraphs) if len(paragraphs) >= 2 else 0
        classes = Counter(
            child.get("class") for child in element if child.get("class") and child.find(".//p") is not None
        )
        if classes and classes.most_common(1)[0][1] >= _FEED_MIN:
            length = max(length, sum(len(p.text_content()) for p in element.iterfind(".//p")))
        if length > best_len:
            best, best_len = element, length
    if best is not None:
        best.tag = "article"


def _is_furniture(element: lxml.html.HtmlElement) -> bool:
    """Whether the words of the element's class, id or data-component name page furniture."""
    names = " ".join(element.get(attribute, "") for attribute in ("class", "id", "data-component"))
    for name in names.split():
        words = [w for w in re.split(r"[-_]+", name.lower()) if w]
        pairs = zip(words, words[1:], strict=False)
        if _FURNITURE_WORDS.intersection(words) or _FURNITURE_PAIRS.intersection(pairs):
            return True
    return False


def _parse_jsonl(text: str, origin: str) -> tuple[list[RawDoc], list[tuple[str, str]]]:
    docs: list[RawDoc] = []
    failed: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{origin}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            failed.append((where, f"line is not valid JSON ({exc.msg})"))
            continue
        doc = from_record(record, where)
        if isinstance(doc, str):
            failed.append((where, doc))
        else:
            docs.append(doc)
    return docs, failed


def from_record(record: object, origin: str) -> RawDoc | str:
    """A JSON object -> RawDoc, or the reason it can't be one."""
    if not isinstance(record, dict):
        return "line is not a JSON object"
    values: dict[str, Any] = {k: _first_str(record, names) for k, names in _JSON_FIELDS.items()}
    if not values["text"]:
        return f"no article text (expected one of {', '.join(_JSON_FIELDS['text'])})"
    try:
        for field, value in values.items():
            check_unicode(value or "", f"the {field}")
    except InputError as exc:
        return str(exc)
    return RawDoc(origin=origin, **values)


def _first_str(record: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return None
