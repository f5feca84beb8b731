"""Format-specific parsing: each format yields raw documents (text plus whatever metadata it has).

HTML goes through trafilatura (made for extracting the article from a news page); Markdown through
markdown-it's parser. Plain text is taken as is: its cleaning happens in clean.py for all formats.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import trafilatura
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
    """A first line that is short, unpunctuated and followed by a blank line is the headline."""
    lines = text.lstrip("\ufeff\n\r ").split("\n")
    first = lines[0].strip()
    rest_starts_blank = len(lines) > 1 and not lines[1].strip()
    if first and len(first) <= 150 and rest_starts_blank and not re.search(r"[.!?:\"”]$", first):
        return RawDoc(text="\n".join(lines[1:]), origin=origin, title=first)
    return RawDoc(text=text, origin=origin)


def _parse_markdown(text: str, origin: str) -> RawDoc:
    """Keep the words, drop the markup; the first level-1 heading becomes the title."""
    title = None
    blocks: list[str] = []
    tokens = MarkdownIt().parse(text)
    for i, tok in enumerate(tokens):
        if tok.type != "inline":
            continue
        words = "".join(c.content for c in (tok.children or []) if c.type in {"text", "code_inline"})
        words = words or tok.content
        opener = tokens[i - 1] if i else None
        if title is None and opener is not None and opener.type == "heading_open" and opener.tag == "h1":
            title = words.strip()
            continue
        blocks.append(words)
    return RawDoc(text="\n\n".join(blocks), origin=origin, title=title)


def parse_html(html: str, origin: str) -> RawDoc:
    """A news page -> its article (trafilatura); ReadError when the page holds no article text."""
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise ReadError("no article text found in this HTML page")
    return RawDoc(
        text=text,
        origin=origin,
        title=doc.title or None,
        source=doc.sitename or None,
        published=doc.date or None,
        url=doc.url or None,
    )


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
    values = {k: _first_str(record, names) for k, names in _JSON_FIELDS.items()}
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
