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


# Articles listed with what was detected for them, per report line; the rest are counted.
DETECTED_SHOWN = 10


def _detected(article: Article) -> str:
    """What ingest found for an article: its headline, source and date (or that it found none)."""
    title = article.title or "no headline found"
    parts = [f"“{title}”" if article.title else title]
    parts.append(article.source or "no source found")
    parts.append(display_date(article.published) or "no date found")
    link = text(reader_href(article.article_id))
    return (
        f'<li><a href="{link}" target="_blank" rel="noopener">{text(parts[0])}</a> · '
        f"{text(' · '.join(parts[1:]))}</li>"
    )


def render_ingest_report(results: Iterable[FileResult], articles: Mapping[str, Article] | None = None) -> str:
    """One line per file or URL: what was added, updated, skipped or failed, its notes, and for
    the articles in ``articles`` (the added and updated ones) what was detected."""
    items = []
    articles = articles or {}
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
        new = [articles[i] for i in (*r.added, *r.updated) if i in articles]
        detected = "".join(_detected(a) for a in new[:DETECTED_SHOWN])
        if len(new) > DETECTED_SHOWN:
            detected += f"<li>and {len(new) - DETECTED_SHOWN} more (listed below)</li>"
        detected = f'<ul class="na-detected">{detected}</ul>' if detected else ""
        items.append(f"<li><strong>{text(r.file)}</strong>: {', '.join(parts)}{notes}{detected}</li>")
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
