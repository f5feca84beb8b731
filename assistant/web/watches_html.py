"""HTML of the Watches tab and its badge: the watched questions, the changes of their answers
(what is new, both answers with their sources), and the count of unseen changes. Answers and
citations hold article text anyone can upload: all of it goes through ``present.text``, links
only for http(s) URLs and the app's own reader."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from assistant.store.watches import Watch, WatchChange
from assistant.web.chat_html import render_note
from assistant.web.present import display_date, reader_href, safe_url, text

WATCH_CSS = """
.na-badge { display: inline-block; min-width: 1.4em; padding: 0 .45em; border-radius: 999px;
  background: var(--color-accent); color: white; font-weight: 600; text-align: center; }
.na-badge-none { background: var(--neutral-400); }
.na-watch-line { margin: .5rem 0 .2rem 0; }
.na-change { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .5rem .75rem; margin: .5rem 0; }
.na-change.na-unseen { border-color: var(--color-accent); }
.na-change p { margin: .25rem 0; }
.na-new { font-weight: 600; }
"""
# A change without a phrase (NewFact.kind), in words.
_SAID = {"answered": "answered now (there was no answer before)", "unanswered": "no longer answered"}
SHOWN_CHANGES = 50  # the newest; the rest stay in the store (GET /api/watches/changes)


def render_badge(unseen: int) -> str:
    """The count of unseen changes, for the page's header (the Watches tab lists them)."""
    words = f"{unseen} new change{'s' if unseen != 1 else ''} to watched questions"
    css = "na-badge" if unseen else "na-badge na-badge-none"
    pill = f'<span class="{css}" title="{text(words)}" aria-label="{text(words)}">{int(unseen)}</span>'
    return f'<p class="na-watch-line">Changes to watched questions (Watches tab): {pill}</p>'


def render_watches(watches: Iterable[Watch]) -> str:
    rows = []
    for w in watches:
        answer = _answer_text(w.answer) if w.answer else "—"
        hook = text(w.to_dict()["webhook"]) if w.webhook else "—"
        rows.append(
            f'<tr><td>{text(w.question)}<br><span class="na-id">{text(w.watch_id)}</span></td>'
            f"<td>{text(_when(w.checked))}</td><td>{text(answer)}</td><td>{hook}</td></tr>"
        )
    if not rows:
        return render_note("No questions are watched yet. Add one above: it is asked again after every sync.")
    return (
        '<div class="na-list"><table class="na-table"><thead><tr><th>Question</th><th>Last asked</th>'
        f"<th>Latest answer</th><th>Webhook</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_changes(changes: Iterable[WatchChange]) -> str:
    """The changes newest first: when, the question, what is new, then the answer before and
    after, each with its sources (a link to the reader at the quote)."""
    items = []
    for c in list(changes)[:SHOWN_CHANGES]:
        new = "; ".join(f"new {f.kind} “{f.text}”" if f.text else _SAID[f.kind] for f in c.what)
        delivery = f'<p class="na-byline">Webhook: {text(c.delivery)}</p>' if c.delivery else ""
        unseen = " na-unseen" if not c.seen else ""
        items.append(
            f'<div class="na-change{unseen}"><p class="na-byline">{text(_when(c.at))}'
            f"{' · not yet seen' if not c.seen else ''}</p>"
            f'<p><strong>{text(c.question)}</strong></p><p class="na-new">{text(new)}</p>'
            f"<p>Before: {_answer_html(c.before)}</p><p>Now: {_answer_html(c.after)}</p>{delivery}</div>"
        )
    if not items:
        return render_note("No changes yet: a watched question's answer has not changed in its facts.")
    return f'<div class="na-changes">{"".join(items)}</div>'


def _answer_html(answer: Mapping[str, Any] | None) -> str:
    if not answer:
        return "no answer yet"
    sources = []
    for n, c in enumerate(answer.get("citations", []), start=1):
        label = " · ".join(
            x for x in (c.get("title"), c.get("source"), display_date(c.get("published"))) if x
        )
        href = text(reader_href(str(c["article_id"]), [(int(c["start"]), int(c["end"]))]))
        shown = f'[{n}] <a href="{href}" target="_blank" rel="noopener">{text(label or c["article_id"])}</a>'
        url = safe_url(c.get("url"))
        link = f' (<a href="{text(url)}" target="_blank" rel="noopener noreferrer">link</a>)' if url else ""
        sources.append(shown + link)
    cited = f'<br><span class="na-byline">{"; ".join(sources)}</span>' if sources else ""
    return f"{text(_answer_text(answer))}{cited}"


def _answer_text(answer: Mapping[str, Any]) -> str:
    words = " ".join(str(answer.get("answer", "")).split())
    return words if len(words) <= 400 else words[:399] + "…"


def _when(at: str | None) -> str:
    return at.replace("T", " ").split(".")[0].replace("+00:00", "") + " UTC" if at else "never"
