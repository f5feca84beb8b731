"""HTML of the chat: questions, answers with their citations, drafts, notes and errors, and the
stylesheet of every fragment here and in library_html.py.

Every piece of article text goes through ``present.text`` (escaped). Each fragment is one line of
HTML that opens with a block tag: the chat's Markdown renderer passes such a block through as it
is, so Markdown or LaTeX characters in an article (``*``, ``_``, ``$``) show as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from assistant.schema import Answer, Article, Citation
from assistant.web.present import MARKER, article_label, confidence_label, display_date, safe_url, text

# How much of the paragraph around a quote to show, at most, on either side of it.
_CONTEXT_CHARS = 600

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
    parts = [text(p) for p in (source, display_date(published)) if p] if with_source else []
    link = safe_url(url)
    if link:
        host = urlsplit(link).netloc
        parts.append(
            f'<a href="{escape(link, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">'
            f"{text(host)} ↗</a>"
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
        f'<span class="na-title">{text(label)}</span>'
        + (f'<span class="na-byline">{byline}</span>' if byline else "")
        + f'<span class="na-quote">“{text(citation.quote)}”'
        + ('<span class="na-more"> Show in context</span>' if article else "")
        + "</span></span></summary>"
    )
    context = ""
    if article is not None and article.text[citation.start : citation.end] == citation.quote:
        before, quote, after = paragraph_around(article.text, citation.start, citation.end)
        context = f'<div class="na-context">{text(before)} <mark>{text(quote)}</mark> {text(after)}</div>'
    return f'<details class="na-source" data-article="{text(citation.article_id)}">{head}{context}</details>'


def render_answer(answer: Answer, articles: Mapping[str, Article] | None = None) -> str:
    """An answer with numbered markers and, below it, its sources (expandable to the paragraph).

    Generated sentences that failed the check against the articles are shown struck through
    under a warning, never as part of the answer; the notice says how the answer was made."""
    notice = f'<p class="na-notice">{text(answer.notice)}</p>' if answer.notice else ""
    unverified = ""
    if answer.unverified:
        items = "".join(f"<li>{text(claim)}</li>" for claim in answer.unverified)
        unverified = (
            '<div class="na-unverified"><div class="na-unverified-title">Not in the articles, '
            f"removed from the answer</div><ul>{items}</ul></div>"
        )
    if answer.abstained and not answer.citations:
        return f'<div class="na-note">{notice}{text(answer.text)}{unverified}</div>'
    articles = articles or {}
    body = MARKER.sub(
        lambda m: (
            f'<sup class="na-ref">[{m.group(1)}]</sup>'
            if 1 <= int(m.group(1)) <= len(answer.citations)
            else m.group(0)
        ),
        text(answer.text),
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


def render_note(message: str) -> str:
    """A plain note, e.g. an abstention: the loaded articles don't cover the question."""
    return f'<div class="na-note">{text(message)}</div>'


def render_error(message: str) -> str:
    return f'<div class="na-error">{text(message)}</div>'


def render_pending(message: str) -> str:
    return f'<div class="na-pending">{text(message)}</div>'


def render_draft(draft: str) -> str:
    """What the language model has written so far, labelled: it is checked only once complete."""
    return (
        '<div class="na-draft"><div class="na-draft-label">Draft, checked against the articles '
        f"when complete</div>{text(draft)}</div>"
    )


def render_question(question: str) -> str:
    return f'<div class="na-q">{text(question)}</div>'
