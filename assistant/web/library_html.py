"""HTML of the Articles tab: the loaded articles, the followed feeds and what adding files or URLs
did. Untrusted text goes through ``present.text``; links only for http(s) URLs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from assistant.schema import Article
from assistant.web.chat_html import render_note
from assistant.web.present import article_label, display_date, reader_href, safe_url, text
from assistant.web.uploads import FileResult


def render_articles(articles: Iterable[Article]) -> str:
    rows = [
        "<tr>"
        f'<td><a class="na-article" href="{text(reader_href(a.article_id))}" target="_blank" rel="noopener">'
        f"{text(article_label(a.title, a.source, a.published, a.text))}</a>"
        f'<br><span class="na-id">{text(a.article_id)}</span></td>'
        f"<td>{text(a.source or '—')}</td><td>{text(display_date(a.published) or '—')}</td>"
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
            parts.append(f'<span class="na-fail">failed</span>: {text("; ".join(r.failed))}')
        if not parts:
            parts.append('<span class="na-skip">nothing to add</span>')
        notes = f'<br><span class="na-byline">{text("; ".join(r.notes))}</span>' if r.notes else ""
        items.append(f"<li><strong>{text(r.file)}</strong>: {', '.join(parts)}{notes}</li>")
    if not items:
        return render_note("Choose one or more files first.")
    return f'<div class="na-report"><ul>{"".join(items)}</ul></div>'


def render_feeds(feeds: Iterable[Mapping]) -> str:
    """The registered feeds (``FeedState.to_dict()``): last sync time, outcome, article count."""
    rows = []
    for f in feeds:
        link = safe_url(f["url"])
        name = text(f.get("title") or f["url"])
        label = (
            f'<a href="{text(link)}" target="_blank" rel="noopener noreferrer">{name}</a>' if link else name
        )
        synced = (
            text(f["last_sync"].replace("T", " ").replace("+00:00", " UTC")) if f["last_sync"] else "never"
        )
        errors = "".join(f'<br><span class="na-byline">{text(e)}</span>' for e in f["errors"][:3])
        css = "na-fail" if (f["outcome"] or "").startswith("failed") else "na-ok"
        rows.append(
            f'<tr><td>{label}<br><span class="na-id">{text(f["url"])}</span></td><td>{synced}</td>'
            f'<td><span class="{css}">{text(f["outcome"] or "—")}</span>{errors}</td>'
            f"<td>{int(f['articles'])}</td></tr>"
        )
    if not rows:
        return render_note("No feeds are followed yet. Paste a feed's address above and tick 'Follow'.")
    return (
        '<div class="na-list"><table class="na-table"><thead><tr><th>Feed</th><th>Last sync</th>'
        f"<th>Outcome</th><th>Articles</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
