"""HTML of the chat: questions, answers with their citations, drafts, notes and errors, and the
stylesheet of every fragment here and in library_html.py.

Every piece of article text goes through ``present.text`` (escaped). Each fragment is one line of
HTML that opens with a block tag: the chat's Markdown renderer passes such a block through as it
is, so Markdown or LaTeX characters in an article (``*``, ``_``, ``$``) show as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from assistant.schema import Answer, Article, Citation, Report, Timeline, TimelineEntry
from assistant.web.markdown import answer_plain
from assistant.web.present import (
    MARKER,
    answer_body,
    article_label,
    confidence_label,
    confidence_note,
    display_date,
    reader_href,
    safe_url,
    text,
)
from assistant.web.snippets import windows

CSS = """
.na-answer, .na-note, .na-error, .na-q { line-height: 1.55; }
.na-answer .na-text, .na-note .na-text { font-size: 1.02rem; margin: 0 0 .5rem 0; }
.na-ref-sup { line-height: 0; }
a.na-ref { font-size: .72em; font-weight: 600; color: var(--color-accent); padding: 0 .1em;
  text-decoration: none; }
a.na-ref:hover, a.na-title:hover { text-decoration: underline; }
.na-sources { border-top: 1px solid var(--border-color-primary); padding-top: .4rem; margin-top: .2rem; }
.na-sources-title { font-size: .72rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--body-text-color-subdued); margin-bottom: .25rem; }
.na-source { position: relative; margin: .3rem 0 .5rem 0; padding: .4rem .6rem; border-radius: 8px;
  background: var(--background-fill-secondary); }
.na-source:hover { outline: 1px solid var(--color-accent); }
.na-head { display: flex; gap: .35rem; align-items: baseline; flex-wrap: wrap; }
a.na-num { flex: none; font-size: .72rem; font-weight: 700; color: var(--color-accent);
  text-decoration: none; border: 1px solid var(--color-accent); border-radius: 999px; padding: 0 .45em;
  position: relative; z-index: 1; }
a.na-title { font-weight: 600; color: var(--body-text-color); text-decoration: none; }
a.na-title::after { content: ""; position: absolute; inset: 0; }  /* the whole card opens the reader */
.na-byline { font-size: .8rem; color: var(--body-text-color-subdued); }
a.na-out { position: relative; z-index: 1; }
.na-context { margin: .25rem 0 0 0; font-size: .88rem; color: var(--body-text-color); }
.na-context mark, .na-plain mark { background: #fff1a6; color: #1f2328; padding: 0 .1em; border-radius: 2px; }
.dark .na-context mark { background: #5b4a0c; color: #fff7d6; }
.na-foot { display: flex; gap: .6rem; align-items: center; margin-top: .2rem; }
.na-confidence { font-size: .75rem; color: var(--body-text-color-subdued); }
button.na-copy { font-size: .75rem; color: var(--body-text-color-subdued); background: none; cursor: pointer;
  border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .05rem .5rem; }
button.na-copy:hover { color: var(--color-accent); border-color: var(--color-accent); }
.na-plain { display: none; }
.na-filtered { font-size: .88rem; margin: .3rem 0 0 0; }
.na-chips { gap: .4rem !important; flex-wrap: wrap; align-items: center; }
.na-chip { flex: 0 1 auto !important; }
.na-filters { display: flex; gap: .35rem; align-items: center; flex-wrap: wrap; font-size: .85rem; }
.na-filters-label { color: var(--body-text-color-subdued); }
/* the chip's text in the body colour: the accent colour on white reads at 4.3:1, under WCAG's 4.5 */
.na-filter { border: 1px solid var(--color-accent); color: var(--body-text-color); border-radius: 999px;
  padding: 0 .6em; }
.na-note { border-left: 3px solid #d9a400; padding: .2rem 0 .2rem .7rem; }
.na-error { border-left: 3px solid #c0392b; padding: .2rem 0 .2rem .7rem; }
.na-placeholder { color: var(--body-text-color-subdued); text-align: center; padding: 2rem 1rem; }
.na-pending { color: var(--body-text-color-subdued); font-style: italic; }
.na-draft { color: var(--body-text-color-subdued); white-space: pre-wrap; }
.na-draft-label, .na-unverified-title { font-size: .78rem; text-transform: uppercase; letter-spacing: .06em;
  color: #b9770e; }
.na-notice { font-size: .85rem; color: #b9770e; margin: 0 0 .4rem 0; }
.na-unverified { border-left: 3px solid #d9a400; padding: .2rem 0 .2rem .7rem; margin: .2rem 0 .6rem 0; }
.na-unverified li { text-decoration: line-through; color: var(--body-text-color-subdued); }
.na-table { width: 100%; border-collapse: collapse; font-size: .9rem; }
.na-table th, .na-table td { text-align: left; padding: .35rem .5rem;
  border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
.na-table th { font-weight: 600; color: var(--body-text-color-subdued); }
.na-id { font-family: var(--font-mono); font-size: .78rem; color: var(--body-text-color-subdued); }
.na-report li { margin: .2rem 0; }
.na-detected { font-size: .85rem; margin: .1rem 0 .3rem 0; color: var(--body-text-color-subdued); }
.na-ok { color: #1e8449; font-weight: 600; }
/* a card's other reports of its story: above the card's link to the reader, so its links work */
.na-also { position: relative; z-index: 1; margin: .35rem 0 0 0; padding-top: .3rem;
  border-top: 1px dashed var(--border-color-primary); font-size: .85rem; }
.na-also-head { display: flex; gap: .5rem; align-items: baseline; flex-wrap: wrap; }
.na-also-title { font-size: .72rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--body-text-color-subdued); }
a.na-timeline { font-size: .78rem; font-weight: 600; color: var(--body-text-color); text-decoration: none;
  border: 1px solid var(--color-accent); border-radius: 999px; padding: 0 .55em; }
a.na-timeline:hover { text-decoration: underline; }
.na-reports { list-style: none; margin: .15rem 0 0 0; padding: 0; }
.na-reports li { margin: .25rem 0; }
a.na-report-title, a.na-step-title { font-weight: 600; color: var(--body-text-color); }
.na-report-quote { display: block; margin: .1rem 0 0 0; color: var(--body-text-color); }
.na-differs { display: block; margin: .1rem 0 0 0; color: var(--body-text-color); }
.na-differs-label { font-weight: 600; color: #b9770e; }
.dark .na-differs-label { color: #f0b64e; }
.na-figure { background: #fde2c4; color: #1f2328; padding: 0 .1em; border-radius: 2px; }
.dark .na-figure { background: #6b3d0c; color: #fff1e0; }
.na-timeline-msg { line-height: 1.55; }
.na-timeline-msg .na-text { font-size: 1.02rem; margin: 0 0 .4rem 0; }
.na-matched { font-size: .85rem; color: var(--body-text-color-subdued); margin: 0 0 .4rem 0; }
.na-steps { list-style: none; margin: 0; padding: 0 0 0 .9rem; border-left: 2px solid var(--color-accent); }
.na-step { margin: 0 0 .7rem 0; }
.na-kind { font-size: .72rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--body-text-color-subdued); }
.na-step mark { background: #fff1a6; color: #1f2328; padding: 0 .1em; border-radius: 2px; }
.dark .na-step mark { background: #5b4a0c; color: #fff7d6; }
.na-skip { color: #7f8c8d; font-weight: 600; }
.na-fail { color: #c0392b; font-weight: 600; }
"""

# In the pages' <head>, before Gradio renders (web/app.py): where the browser denies the page its
# localStorage (the widget in a frame of another site, with third-party storage blocked: Safari,
# Firefox's strict mode, Chromium's third-party cookie blocking), reading it throws, and Gradio's
# BrowserState reads it unguarded; the throw leaves the widget at "Loading..." for good. A storage
# in memory stands in: the chat works, it just does not survive a reload there.
HEAD = """<script>
(function () {
  try { window.localStorage.getItem("news-assistant"); return; } catch (e) {}
  var items = new Map();
  var memory = {
    getItem: function (k) { return items.has(String(k)) ? items.get(String(k)) : null; },
    setItem: function (k, v) { items.set(String(k), String(v)); },
    removeItem: function (k) { items.delete(String(k)); },
    clear: function () { items.clear(); },
    key: function (i) { return Array.from(items.keys())[i] || null; },
    get length() { return items.size; },
  };
  try { Object.defineProperty(window, "localStorage", { value: memory, configurable: true }); } catch (e) {}
})();
</script>"""

# Run by the Gradio pages on load (web/app.py): a new question is scrolled to the top of the chat
# (Gradio's autoscroll is off: it would show the end of the answer); the answers' Copy buttons copy
# the answer's plain text (its hidden .na-plain), not the HTML (the clipboard API in a secure
# context, else a hidden textarea).
PAGE_JS = """
() => {
  // A new question scrolls to the top of the chat, its answer below it (not to the bottom of a
  // long answer, which would push the question out of view).
  let questions = 0;
  new MutationObserver(() => {
    const asked = document.querySelectorAll("#chat .na-q");
    if (asked.length > questions) {
      const last = asked[asked.length - 1];
      const scrolls = (el) =>
        el.scrollHeight > el.clientHeight && /auto|scroll/.test(getComputedStyle(el).overflowY);
      let box = last.parentElement;
      while (box && !scrolls(box)) box = box.parentElement;
      if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    }
    questions = asked.length;
  }).observe(document.body, { childList: true, subtree: true });
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button.na-copy");
    const plain = button && button.closest(".na-answer, .na-note")?.querySelector(".na-plain");
    if (!plain) return;
    const text = plain.textContent;
    const done = () => {
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    };
    const fallback = () => {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    };
    if (!navigator.clipboard || !window.isSecureContext) return fallback();
    navigator.clipboard.writeText(text).then(done, fallback);
  });
  // A card's "Timeline" link (#timeline=<story id>) asks the chat for that story's timeline: the
  // id for the hidden #timeline-show event (ui.py TIMELINE_JS reads it), which adds the timeline
  // to the chat. Only the page's own chat: the card's chat, in the widget's web component too.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.na-timeline");
    if (!link) return;
    event.preventDefault();
    const found = /^#timeline=([0-9a-f]{16})$/.exec(link.getAttribute("href") || "");
    const root = link.closest("gradio-app") || document;
    const show = root.querySelector("#timeline-show");
    if (!found || !show) return;
    window.naTimelineStory = found[1];
    show.click();
  });
}
"""


def _byline(source: str | None, published: str | None, url: str | None, with_source: bool = True) -> str:
    parts = [text(p) for p in (source, display_date(published)) if p] if with_source else []
    link = safe_url(url)
    if link:
        host = urlsplit(link).netloc
        parts.append(
            f'<a class="na-out" href="{escape(link, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer nofollow">{text(host)} ↗</a>'
        )
    return " · ".join(parts)


def _link(href: str, inner: str, css: str) -> str:
    return f'<a class="{css}" href="{escape(href, quote=True)}" target="_blank" rel="noopener">{inner}</a>'


def _stub(quote: str, number: int) -> str:
    """The quote in its card when the answer already says it: its number and first words."""
    words = quote.split()
    return f"[{number}] " + " ".join(words[:7]) + ("…" if len(words) > 7 else "")


def render_card(
    numbered: list[tuple[int, Citation]],
    article: Article | None,
    body: str,
    base: str = "",
    cited: Mapping[tuple[str, int, int], int] | None = None,
) -> str:
    """One card for the citations of one article: its numbers, headline (a link to the reader at
    the first quote), source, date and link, then the sentences around each quote with the quote
    marked; a quote the answer ``body`` already says is marked by its number and first words.
    Under them, the other reports of its story ("also reported by", ``render_also``; ``cited``:
    the answer's citation numbers by article id and span)."""
    first = numbered[0][1]
    spans = [(c.start, c.end) for _, c in numbered]
    label = article_label(first.title, first.source, first.published, article.text if article else "")
    byline = _byline(first.source, first.published, first.url, with_source=bool(first.title))
    numbers = "".join(
        _link(
            reader_href(c.article_id, [(c.start, c.end), *(s for s in spans if s != (c.start, c.end))], base),
            str(n),
            "na-num",
        )
        for n, c in numbered
    )
    title = _link(reader_href(first.article_id, spans, base), text(label), "na-title")
    head = f'<div class="na-head">{numbers}{title}</div>' + (
        f'<div class="na-byline">{byline}</div>' if byline else ""
    )
    said = " ".join(body.split())

    def quote_html(n: int, quote: str) -> str:
        shown = _stub(quote, n) if " ".join(quote.split()) in said else quote
        return f"<mark>{text(shown)}</mark>"

    checked = [
        (n, c) for n, c in numbered if article is not None and article.text[c.start : c.end] == c.quote
    ]
    passages = []
    if checked and article is not None:
        for passage in windows(article.text, [(c.start, c.end) for _, c in checked]):
            passages.append(
                " ".join(
                    quote_html(checked[p.quote][0], p.text) if p.quote is not None else text(p.text)
                    for p in passage
                )
            )
    else:  # the article is gone or changed: the quotes alone, unless the answer says them
        passages = [quote_html(n, c.quote) for n, c in numbered if " ".join(c.quote.split()) not in said]
    context = "".join(f'<p class="na-context">{p}</p>' for p in passages)
    also = render_also(numbered, cited or {}, base)
    return f'<div class="na-source" data-article="{text(first.article_id)}">{head}{context}{also}</div>'


def render_also(
    numbered: list[tuple[int, Citation]], cited: Mapping[tuple[str, int, int], int], base: str = ""
) -> str:
    """The other reports of the story of a card's citations (``Citation.coverage``), oldest first,
    each once: headline (a link to the reader at its sentence), source, date and link, then its
    sentence that states the cited fact, and where that sentence gives another figure, both
    figures, the other report's marked in its sentence. A sentence the answer cites (``cited``:
    the note "Reports differ" adds it) is named by its number, not quoted again: its own card shows
    it. A "Timeline" link asks the chat for the story's timeline. Empty without coverage."""
    stories = [c.coverage.story for _, c in numbered if c.coverage]
    if not stories:
        return ""
    reports: dict[str, list[tuple[int, Report]]] = {}  # article id -> (citation number, report)
    for n, c in numbered:
        for r in c.coverage.reports if c.coverage else []:
            shown = reports.setdefault(r.article_id, [])
            if all((r.start, r.end) != (o.start, o.end) for _, o in shown):
                shown.append((n, r))
    items = "".join(_report_item(said, cited, base) for said in reports.values())
    timeline = (
        f'<a class="na-timeline" href="#timeline={url_quote(stories[0], safe="")}" '
        'title="How this story developed: its reports in order">Timeline</a>'
    )
    return (
        f'<div class="na-also"><div class="na-also-head"><span class="na-also-title">Also reported by'
        f'</span>{timeline}</div><ul class="na-reports">{items}</ul></div>'
    )


def _report_item(said: list[tuple[int, Report]], cited: Mapping[tuple[str, int, int], int], base: str) -> str:
    """One other report of the story: its head, then each of its sentences stating a cited fact
    (with the figures it differs on), or its number when the answer cites that sentence."""
    first = said[0][1]
    spans = [(r.start, r.end) for _, r in said if r.start is not None and r.end is not None]
    label = article_label(first.title, first.source, first.published)
    title = _link(reader_href(first.article_id, spans, base), text(label), "na-report-title")
    byline = _byline(first.source, first.published, first.url, with_source=bool(first.title))
    parts = [title + (f' <span class="na-byline">{byline}</span>' if byline else "")]
    for n, r in said:
        if r.quote is None or r.start is None or r.end is None:
            continue
        number = cited.get((r.article_id, r.start, r.end))
        if number is not None:
            href = reader_href(r.article_id, [(r.start, r.end)], base)
            parts.append(
                f'<span class="na-report-quote">Cited as {_link(href, f"[{number}]", "na-ref")}</span>'
            )
        else:
            parts.append(
                f'<span class="na-report-quote">“{_marked(r.quote, [d.reported for d in r.differs])}”</span>'
            )
        if r.differs:
            when = display_date(r.published) or "undated"
            sides = "; ".join(
                f'<mark class="na-figure">{text(d.reported)}</mark> ({text(when)}) against '
                f"“{text(d.cited)}” [{n}]"
                for d in r.differs
            )
            parts.append(
                f'<span class="na-differs"><span class="na-differs-label">Differs:</span> {sides}</span>'
            )
    return f"<li>{''.join(parts)}</li>"


def _marked(sentence: str, phrases: list[str]) -> str:
    """``sentence`` escaped, the first occurrence of each of ``phrases`` (verbatim parts of it)
    marked as a figure."""
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        at = sentence.find(phrase) if phrase else -1
        if at >= 0 and all(at >= e or at + len(phrase) <= s for s, e in spans):
            spans.append((at, at + len(phrase)))
    out, at = [], 0
    for start, end in sorted(spans):
        out.append(
            f'{_escaped(sentence[at:start])}<mark class="na-figure">{_escaped(sentence[start:end])}</mark>'
        )
        at = end
    out.append(_escaped(sentence[at:]))
    return "".join(out).strip()


def _escaped(piece: str) -> str:
    """A piece of a sentence escaped, its runs of white space one space (kept at its ends, where
    ``text`` would drop them: the piece is joined to its neighbours)."""
    return escape(_SPACE.sub(" ", piece), quote=True)


_SPACE = re.compile(r"\s+")


def render_answer(
    answer: Answer, articles: Mapping[str, Article] | None = None, base: str = "", filtered: str = ""
) -> str:
    """An answer with its [n] markers (each a link to the reader at its quote), a Copy button (the
    answer as plain text) and, below, one card per cited article.

    Each thing is said once: the headline only on the card, the quote in the answer and marked
    in its context on the card. Generated sentences that failed the check against the articles
    are shown struck through under a warning, never as part of the answer; the notice says how
    the answer was made. ``base``: the server's root URL for the reader's links ("" within the app).
    ``filtered``: for an abstention under filters, the line that says so (``na-filtered``).
    """
    notice = f'<p class="na-notice">{text(answer.notice)}</p>' if answer.notice else ""
    unverified = ""
    if answer.unverified:
        items = "".join(f"<li>{text(claim)}</li>" for claim in answer.unverified)
        unverified = (
            '<div class="na-unverified"><div class="na-unverified-title">Not in the articles, '
            f"removed from the answer</div><ul>{items}</ul></div>"
        )
    # newlines as character references: the chat's Markdown renderer sees one line, textContent has them
    plain = escape(answer_plain(answer, base)).replace("\n", "&#10;")
    copy = (
        '<button class="na-copy" type="button" title="Copy the answer as plain text, with its sources">'
        f'Copy</button><div class="na-plain">{plain}</div>'
    )
    below = f'<p class="na-filtered">{text(filtered)}</p>' if filtered and answer.abstained else ""
    if answer.abstained and not answer.citations:
        return f'<div class="na-note">{notice}{text(answer.text)}{below}{unverified}</div>'
    articles = articles or {}
    cited = answer.citations
    said = answer_body(answer)

    def marker(m) -> str:
        n = int(m.group(1))
        if not 1 <= n <= len(cited):
            return m.group(0)
        c = cited[n - 1]
        others = [(o.start, o.end) for o in cited if o.article_id == c.article_id and o is not c]
        href = reader_href(c.article_id, [(c.start, c.end), *others], base)
        return f'<sup class="na-ref-sup">{_link(href, f"[{n}]", "na-ref")}</sup>'

    body = MARKER.sub(marker, text(said))
    groups: dict[str, list[tuple[int, Citation]]] = {}
    for n, c in enumerate(cited, start=1):
        groups.setdefault(c.article_id, []).append((n, c))
    numbers = {(c.article_id, c.start, c.end): n for n, c in enumerate(cited, start=1)}
    cards = "".join(render_card(g, articles.get(a), said, base, numbers) for a, g in groups.items())
    heading = "Source" if len(groups) == 1 else "Sources"
    # An abstention with a citation shows the closest passage; its text says it may not answer.
    kind = "na-note" if answer.abstained else "na-answer"
    label, note = confidence_label(answer), text(confidence_note(answer))
    confidence = f'<span class="na-confidence" title="{note}">{label}</span>'
    return (
        f'<div class="{kind}">{notice}<p class="na-text">{body}</p>{below}{unverified}'
        f'<div class="na-sources"><div class="na-sources-title">{heading}</div>{cards}</div>'
        f'<div class="na-foot">{confidence}{copy}</div></div>'
    )


# Why a later report of a timeline is shown by its sentence (TimelineEntry.kind; the first report
# is shown by its lede).
_KINDS = {"adds": "What it adds", "lede": "Adds nothing new; its opening"}


def render_timeline(timeline: Timeline, base: str = "") -> str:
    """How a story developed, as a chat message: its reports oldest first, each with its headline
    (a link to the reader at the sentence shown), source, date and link, and its sentence, the
    words new to the story marked. Asked by a question, the passage it was taken from is named,
    so the reader can judge whether this is the story they meant."""
    entries = timeline.entries
    days = [d for d in (display_date(e.published) for e in entries) if d]
    span = f", {days[0]} to {days[-1]}" if days and days[0] != days[-1] else f", {days[0]}" if days else ""
    count = f"{len(entries)} report{'s' if len(entries) != 1 else ''}"
    summary = f"How the story developed: {count}{span}, oldest first."
    matched = ""
    if timeline.matched is not None:
        m = timeline.matched
        named = article_label(m.title, m.source, m.published)
        matched = (
            f'<p class="na-matched">The story of “{text(named)}”, the article that best matches the '
            "question.</p>"
        )
    steps = "".join(_step(e, first=i == 0, base=base) for i, e in enumerate(entries))
    return (
        '<div class="na-timeline-msg"><p class="na-text">'
        f'{text(summary)}</p>{matched}<ol class="na-steps">{steps}</ol></div>'
    )


def _step(entry: TimelineEntry, first: bool, base: str) -> str:
    """One report of a timeline: its head, why its sentence was chosen, the sentence."""
    label = article_label(entry.title, entry.source, entry.published)
    href = reader_href(entry.article_id, [(entry.start, entry.end)], base)
    title = _link(href, text(label), "na-step-title")
    byline = _byline(entry.source, entry.published, entry.url, with_source=bool(entry.title))
    kind = "First report" if first else _KINDS.get(entry.kind, "")
    sentence = _new_marked(entry.quote, entry.new) if entry.kind == "adds" else _escaped(entry.quote).strip()
    return (
        f'<li class="na-step"><div class="na-head">{title}</div>'
        + (f'<div class="na-byline">{byline}</div>' if byline else "")
        + (f'<div class="na-kind">{text(kind)}</div>' if kind else "")
        + f'<p class="na-context">{sentence}</p></li>'
    )


def _new_marked(sentence: str, new: list[str]) -> str:
    """``sentence`` escaped, each word of ``new`` (as the sentence writes it) marked where it stands."""
    if not new:
        return _escaped(sentence).strip()
    words = re.compile(
        r"(?<![\w'’.-])(" + "|".join(map(re.escape, sorted(new, key=len, reverse=True))) + r")(?![\w'’-])"
    )
    out, at = [], 0
    for found in words.finditer(sentence):
        out.append(f"{_escaped(sentence[at : found.start()])}<mark>{_escaped(found.group())}</mark>")
        at = found.end()
    out.append(_escaped(sentence[at:]))
    return "".join(out).strip()


def render_note(message: str) -> str:
    """A plain note, e.g. an abstention: the loaded articles don't cover the question."""
    return f'<div class="na-note">{text(message)}</div>'


def render_filter_chips(chips: list[str]) -> str:
    """The active filters, one chip each (shown beside the closed filter panel)."""
    inner = "".join(f'<span class="na-filter">{text(c)}</span>' for c in chips)
    return f'<div class="na-filters"><span class="na-filters-label">Filtered:</span>{inner}</div>'


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
