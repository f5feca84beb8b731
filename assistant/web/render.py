"""HTML for the web chat: answers with their citations, ingest reports and the article list; and
the Markdown text of an answer for the chat protocols (OpenAI-compatible API, MCP).

Article text, titles, sources and URLs come from files anyone can upload, so every piece of it goes
through ``html.escape`` here, and links are kept only for http(s) URLs. Each fragment is one line
of HTML that opens with a block tag: the chat's Markdown renderer passes such a block through as it
is, so Markdown or LaTeX characters in an article (``*``, ``_``, ``$``) show as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from html import escape
from urllib.parse import urlsplit

from assistant.schema import Answer, Article, Citation

# How much of the paragraph around a quote to show, at most, on either side of it.
_CONTEXT_CHARS = 600
_MARKER = re.compile(r"\[(\d{1,2})\]")
# Characters that make Markdown active (links, images, raw HTML, emphasis, code): escaped in article
# text so a chat client renders a title like "![x](http://tracker/)" as written, fetching nothing.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>])")

CSS = """
.na-answer, .na-note, .na-error, .na-q { line-height: 1.55; }
.na-answer .na-text { font-size: 1.02rem; margin: 0 0 .6rem 0; }
.na-ref { font-size: .72em; font-weight: 600; color: var(--color-accent); padding: 0 .1em; }
.na-sources { border-top: 1px solid var(--border-color-primary); padding-top: .5rem; margin-top: .3rem; }
.na-sources-title { font-size: .78rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--body-text-color-subdued); margin-bottom: .35rem; }
.na-source { margin: .35rem 0 .55rem 0; }
.na-source summary { cursor: pointer; list-style: none; display: flex; gap: .5rem; align-items: baseline; }
.na-source summary::-webkit-details-marker { display: none; }
.na-num { flex: none; font-size: .75rem; font-weight: 700; color: var(--color-accent);
  border: 1px solid var(--color-accent); border-radius: 999px; padding: 0 .45em; }
.na-meta { display: flex; flex-direction: column; gap: .1rem; min-width: 0; }
.na-title { font-weight: 600; }
.na-byline { font-size: .82rem; color: var(--body-text-color-subdued); }
.na-quote { display: block; margin: .25rem 0 0 0; font-size: .9rem; color: var(--body-text-color);
  border-left: 3px solid var(--color-accent); padding-left: .6rem; }
.na-context { margin: .4rem 0 0 1.9rem; font-size: .9rem; padding: .5rem .7rem; border-radius: 6px;
  background: var(--background-fill-secondary); }
.na-context mark { background: #fff3a8; color: inherit; padding: 0 .1em; border-radius: 2px; }
.na-more { font-size: .78rem; color: var(--color-accent); margin-left: .1rem; }
.na-source[open] .na-more { display: none; }
.na-note { border-left: 3px solid #d9a400; padding: .2rem 0 .2rem .7rem; }
.na-error { border-left: 3px solid #c0392b; padding: .2rem 0 .2rem .7rem; }
.na-placeholder { color: var(--body-text-color-subdued); text-align: center; padding: 2rem 1rem; }
.na-pending { color: var(--body-text-color-subdued); font-style: italic; }
.na-draft { color: var(--body-text-color-subdued); white-space: pre-wrap; }
.na-draft-label, .na-unverified-title { font-size: .78rem; text-transform: uppercase; letter-spacing: .06em;
  color: #b9770e; }
.na-confidence { font-size: .78rem; color: var(--body-text-color-subdued); margin: 0 0 .3rem 0; }
.na-notice { font-size: .85rem; color: #b9770e; margin: 0 0 .4rem 0; }
.na-unverified { border-left: 3px solid #d9a400; padding: .2rem 0 .2rem .7rem; margin: .2rem 0 .6rem 0; }
.na-unverified li { text-decoration: line-through; color: var(--body-text-color-subdued); }
.na-table { width: 100%; border-collapse: collapse; font-size: .9rem; }
.na-table th, .na-table td { text-align: left; padding: .35rem .5rem;
  border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
.na-table th { font-weight: 600; color: var(--body-text-color-subdued); }
.na-id { font-family: var(--font-mono); font-size: .78rem; color: var(--body-text-color-subdued); }
.na-report li { margin: .2rem 0; }
.na-ok { color: #1e8449; font-weight: 600; }
.na-skip { color: #7f8c8d; font-weight: 600; }
.na-fail { color: #c0392b; font-weight: 600; }
"""


def _text(value: object) -> str:
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


def paragraph_around(text: str, start: int, end: int) -> tuple[str, str, str]:
    """The paragraph holding ``text[start:end]``, split into (before, quote, after)."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end == -1 else para_end
    before = text[max(para_start, start - _CONTEXT_CHARS) : start]
    after = text[end : min(para_end, end + _CONTEXT_CHARS)]
    if para_start < start - _CONTEXT_CHARS:
        before = "…" + before
    if para_end > end + _CONTEXT_CHARS:
        after = after + "…"
    return before, text[start:end], after


def _byline(source: str | None, published: str | None, url: str | None, with_source: bool = True) -> str:
    parts = [_text(p) for p in (source, display_date(published)) if p] if with_source else []
    link = safe_url(url)
    if link:
        host = urlsplit(link).netloc
        parts.append(
            f'<a href="{escape(link, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">'
            f"{_text(host)} ↗</a>"
        )
    return " · ".join(parts)


def render_citation(number: int, citation: Citation, article: Article | None) -> str:
    label = article_label(
        citation.title, citation.source, citation.published, article.text if article else ""
    )
    # without a title the label already is "source · date"
    byline = _byline(citation.source, citation.published, citation.url, with_source=bool(citation.title))
    head = (
        f'<summary><span class="na-num">{number}</span><span class="na-meta">'
        f'<span class="na-title">{_text(label)}</span>'
        + (f'<span class="na-byline">{byline}</span>' if byline else "")
        + f'<span class="na-quote">“{_text(citation.quote)}”'
        + ('<span class="na-more"> Show in context</span>' if article else "")
        + "</span></span></summary>"
    )
    context = ""
    if article is not None and article.text[citation.start : citation.end] == citation.quote:
        before, quote, after = paragraph_around(article.text, citation.start, citation.end)
        context = f'<div class="na-context">{_text(before)} <mark>{_text(quote)}</mark> {_text(after)}</div>'
    return f'<details class="na-source" data-article="{_text(citation.article_id)}">{head}{context}</details>'


def render_answer(answer: Answer, articles: Mapping[str, Article] | None = None) -> str:
    """An answer with numbered markers and, below it, its sources (expandable to the paragraph).

    Generated sentences that failed the check against the articles are shown struck through
    under a warning, never as part of the answer; the notice says how the answer was made."""
    notice = f'<p class="na-notice">{_text(answer.notice)}</p>' if answer.notice else ""
    unverified = ""
    if answer.unverified:
        items = "".join(f"<li>{_text(claim)}</li>" for claim in answer.unverified)
        unverified = (
            '<div class="na-unverified"><div class="na-unverified-title">Not in the articles, '
            f"removed from the answer</div><ul>{items}</ul></div>"
        )
    if answer.abstained and not answer.citations:
        return f'<div class="na-note">{notice}{_text(answer.text)}{unverified}</div>'
    articles = articles or {}
    body = _MARKER.sub(
        lambda m: (
            f'<sup class="na-ref">[{m.group(1)}]</sup>'
            if 1 <= int(m.group(1)) <= len(answer.citations)
            else m.group(0)
        ),
        _text(answer.text),
    )
    sources = "".join(
        render_citation(n, c, articles.get(c.article_id)) for n, c in enumerate(answer.citations, start=1)
    )
    heading = "Source" if len(answer.citations) == 1 else "Sources"
    # An abstention with a citation shows the closest passage; its text says it may not answer.
    kind = "na-note" if answer.abstained else "na-answer"
    confidence = f'<p class="na-confidence">{confidence_label(answer)}</p>'
    return (
        f'<div class="{kind}">{notice}{confidence}<p class="na-text">{body}</p>{unverified}'
        f'<div class="na-sources"><div class="na-sources-title">{heading}</div>{sources}</div></div>'
    )


def _md(value: object) -> str:
    """Untrusted text for Markdown: active characters backslash-escaped."""
    return _MD_ACTIVE.sub(r"\\\1", str(value))


def answer_markdown(answer: Answer) -> str:
    """The answer as chat clients show it: the text with its [n] markers, then a "Sources" list
    (quote, title, source, date, url). Sentences that failed the check are left out (never shown as
    fact); the notice, when there is one, comes first."""
    parts = [f"_{_md(' '.join(answer.notice.split()))}_"] if answer.notice else []
    body = []
    for i, piece in enumerate(_MARKER.split(" ".join(answer.text.split()))):  # text, number, text, ...
        ours = i % 2 == 1 and 1 <= int(piece) <= len(answer.citations)
        body.append(f"[{piece}]" if ours else _md(f"[{piece}]" if i % 2 else piece))
    parts.append("".join(body))
    if answer.citations and not answer.abstained:
        lines = ["Sources:"]
        for n, c in enumerate(answer.citations, start=1):
            details = [" ".join(d.split()) for d in (c.title, c.source, c.published) if d and d.strip()]
            where = ", ".join(_md(d) for d in details) or "Untitled article"
            link = safe_url(c.url)
            if link and not re.search(r"[\s<>]", link):
                where += f", <{link}>"
            lines.append(f"- [{n}] “{_md(' '.join(c.quote.split()))}” — {where}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def confidence_label(answer: Answer) -> str:
    """Answer.confidence in plain words: the probability that the answer is right, in three bands
    (an abstention showing the closest passage is low, whatever threshold it fell under)."""
    if answer.abstained:
        return "Low confidence"
    if answer.confidence >= 0.7:
        return "High confidence"
    if answer.confidence >= 0.4:
        return "Medium confidence"
    return "Low confidence"


def render_note(message: str) -> str:
    """A plain note, e.g. an abstention: the loaded articles don't cover the question."""
    return f'<div class="na-note">{_text(message)}</div>'


def render_error(message: str) -> str:
    return f'<div class="na-error">{_text(message)}</div>'


def render_pending(message: str) -> str:
    return f'<div class="na-pending">{_text(message)}</div>'


def render_draft(draft: str) -> str:
    """What the language model has written so far, labelled: it is checked only once complete."""
    return (
        '<div class="na-draft"><div class="na-draft-label">Draft, checked against the articles '
        f"when complete</div>{_text(draft)}</div>"
    )


def render_question(question: str) -> str:
    return f'<div class="na-q">{_text(question)}</div>'


def render_articles(articles: Iterable[Article]) -> str:
    rows = [
        "<tr>"
        f"<td>{_text(article_label(a.title, a.source, a.published, a.text))}"
        f'<br><span class="na-id">{_text(a.article_id)}</span></td>'
        f"<td>{_text(a.source or '—')}</td><td>{_text(display_date(a.published) or '—')}</td>"
        f"<td>{a.chunks}</td></tr>"
        for a in articles
    ]
    if not rows:
        return render_note("No articles are loaded yet. Add some above.")
    return (
        f'<div class="na-list"><p>{len(rows)} article{"s" if len(rows) != 1 else ""} loaded.</p>'
        '<table class="na-table"><thead><tr><th>Article</th><th>Source</th><th>Date</th><th>Chunks</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


@dataclass
class FileResult:
    """What adding one uploaded file did."""

    file: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # reasons
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.failed and not (self.added or self.updated or self.skipped):
            return "failed"
        if self.added or self.updated:
            return "added"
        return "skipped" if self.skipped else "failed"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "notes": self.notes,
        }


def render_ingest_report(results: Iterable[FileResult]) -> str:
    items = []
    for r in results:
        parts = []
        if r.added:
            parts.append(f'<span class="na-ok">added {len(r.added)}</span>')
        if r.updated:
            parts.append(f'<span class="na-ok">updated {len(r.updated)}</span>')
        if r.skipped:
            parts.append(f'<span class="na-skip">skipped {len(r.skipped)} (already loaded)</span>')
        if r.failed:
            parts.append(f'<span class="na-fail">failed</span>: {_text("; ".join(r.failed))}')
        if not parts:
            parts.append('<span class="na-skip">nothing to add</span>')
        notes = f'<br><span class="na-byline">{_text("; ".join(r.notes))}</span>' if r.notes else ""
        items.append(f"<li><strong>{_text(r.file)}</strong>: {', '.join(parts)}{notes}</li>")
    if not items:
        return render_note("Choose one or more files first.")
    return f'<div class="na-report"><ul>{"".join(items)}</ul></div>'


def render_feeds(feeds: Iterable[Mapping]) -> str:
    """The registered feeds (``FeedState.to_dict()``): last sync time, outcome, article count."""
    rows = []
    for f in feeds:
        link = safe_url(f["url"])
        name = _text(f.get("title") or f["url"])
        label = (
            f'<a href="{_text(link)}" target="_blank" rel="noopener noreferrer">{name}</a>' if link else name
        )
        synced = (
            _text(f["last_sync"].replace("T", " ").replace("+00:00", " UTC")) if f["last_sync"] else "never"
        )
        errors = "".join(f'<br><span class="na-byline">{_text(e)}</span>' for e in f["errors"][:3])
        css = "na-fail" if (f["outcome"] or "").startswith("failed") else "na-ok"
        rows.append(
            f'<tr><td>{label}<br><span class="na-id">{_text(f["url"])}</span></td><td>{synced}</td>'
            f'<td><span class="{css}">{_text(f["outcome"] or "—")}</span>{errors}</td>'
            f"<td>{int(f['articles'])}</td></tr>"
        )
    if not rows:
        return render_note("No feeds are followed yet. Paste a feed's address above and tick 'Follow'.")
    return (
        '<div class="na-list"><table class="na-table"><thead><tr><th>Feed</th><th>Last sync</th>'
        f"<th>Outcome</th><th>Articles</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
