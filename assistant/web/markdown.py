"""An answer as text: Markdown for the chat protocols (the OpenAI-compatible API, MCP), the answer
with its [n] markers, then a "Sources" list, each linked to the article reader at its quote when
the server's address is known; and plain text, what the chat's Copy button copies.

Article text is untrusted: in Markdown the characters that make it active are backslash-escaped,
and links are kept only for http(s) URLs."""

from __future__ import annotations

import re

from assistant.schema import Answer, Citation
from assistant.web.present import MARKER, answer_body, display_date, reader_href, safe_url

# Characters that make Markdown active (links, images, raw HTML, emphasis, code): escaped in article
# text so a chat client renders a title like "![x](http://tracker/)" as written, fetching nothing.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>])")


def _md(value: object) -> str:
    """Untrusted text for Markdown: active characters backslash-escaped."""
    return _MD_ACTIVE.sub(r"\\\1", str(value))


def answer_markdown(answer: Answer, base: str = "") -> str:
    """The answer as chat clients show it: the text with its [n] markers, then a "Sources" list
    (quote, title, source, date, url and, with ``base``, the server's root URL, a link to the
    article reader at the quote), each with the other reports of its story under it. Sentences
    that failed the check are left out (never shown as fact); the notice, when there is one,
    comes first."""
    parts = [f"_{_md(' '.join(answer.notice.split()))}_"] if answer.notice else []
    body = []
    for i, piece in enumerate(MARKER.split(" ".join(answer.text.split()))):  # text, number, text, ...
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
            if base:
                others = [
                    (o.start, o.end) for o in answer.citations if o.article_id == c.article_id and o is not c
                ]
                where += (
                    f", [read it in context]({reader_href(c.article_id, [(c.start, c.end), *others], base)})"
                )
            lines.append(f"- [{n}] “{_md(' '.join(c.quote.split()))}” — {where}")
            lines += [f"  - {also}" for also in also_reported(c)]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def also_reported(citation: Citation) -> list[str]:
    """A citation's other reports of its story (stories/coverage.py) as Markdown lines: "also
    reported by" headline, source, date and link, and the report's sentence stating the cited
    fact when it has one (untrusted article text, escaped as every quote is)."""
    found = []
    for r in citation.coverage.reports if citation.coverage else []:
        details = [" ".join(d.split()) for d in (r.title, r.source, r.published) if d and d.strip()]
        line = "also reported by " + (", ".join(_md(d) for d in details) or "an untitled article")
        link = safe_url(r.url)
        if link and not re.search(r"[\s<>]", link):
            line += f", <{link}>"
        if r.quote:
            line += f": “{_md(' '.join(r.quote.split()))}”"
        found.append(line)
    return found


def answer_plain(answer: Answer, base: str = "") -> str:
    """The answer as plain text, what Copy gives: the text with its [n] markers (the headline left
    to the sources), then "Sources:", one line each: number, headline, source, date, the article's
    URL and the reader's (with ``base``); a quote the text does not say is added under its line."""
    body = " ".join(answer_body(answer).split())
    lines = [*([" ".join(answer.notice.split())] if answer.notice else []), body]
    if answer.citations:
        lines += ["", "Sources:"]
        for n, c in enumerate(answer.citations, start=1):
            details = [" ".join(d.split()) for d in (c.title, c.source, display_date(c.published)) if d]
            line = f"[{n}] " + (
                " — ".join(details[:1] + [", ".join(details[1:])] if details[1:] else details)
            )
            link = safe_url(c.url)
            if link:
                line += f" {link}"
            if base:
                line += f" (in context: {reader_href(c.article_id, [(c.start, c.end)], base)})"
            lines.append(line or f"[{n}] Untitled article")
            quote = " ".join(c.quote.split())
            if quote not in body:
                lines.append(f"    “{quote}”")
    return "\n".join(lines)
