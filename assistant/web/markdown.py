"""The Markdown text of an answer, for the chat protocols (the OpenAI-compatible API, MCP): the
answer with its [n] markers, then a "Sources" list. Article text is untrusted: the characters that
make Markdown active are backslash-escaped, and links are kept only for http(s) URLs."""

from __future__ import annotations

import re

from assistant.schema import Answer
from assistant.web.present import MARKER, safe_url

# Characters that make Markdown active (links, images, raw HTML, emphasis, code): escaped in article
# text so a chat client renders a title like "![x](http://tracker/)" as written, fetching nothing.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>])")


def _md(value: object) -> str:
    """Untrusted text for Markdown: active characters backslash-escaped."""
    return _MD_ACTIVE.sub(r"\\\1", str(value))


def answer_markdown(answer: Answer) -> str:
    """The answer as chat clients show it: the text with its [n] markers, then a "Sources" list
    (quote, title, source, date, url). Sentences that failed the check are left out (never shown as
    fact); the notice, when there is one, comes first."""
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
            lines.append(f"- [{n}] “{_md(' '.join(c.quote.split()))}” — {where}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
