"""The article reader: ``GET /articles/{id}``, one article as an HTML page (headline, source, date
and link, then the whole clean text), with ``#q=start-end[,start-end...]`` highlighting those
character ranges of the clean text (the offsets a citation carries) and scrolling to the first.

The chat's ``[n]`` markers, citation cards and the Articles list link here, and so do the Sources
of the /v1 and MCP answers, so other tools can open a quote where it stands.

The article is untrusted text: it is escaped, each line a ``<p>`` holding its text exactly (the
offsets count characters of the clean text; the page's script maps them onto the lines), and the
page is served under a Content-Security-Policy that runs only its own script and loads nothing.

Auth is every route's (web/guard.py): with a token and no UI login the bearer token, with a UI login
Gradio's login cookie of the chat (``LoginCheck``) or the token, else open to the served names.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from assistant.api import Assistant
from assistant.errors import InputError
from assistant.schema import Article
from assistant.web.guard import bearer_ok
from assistant.web.present import article_label, display_date, safe_url

PREFIX = "/articles"

_STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #fdfdfc; --line: #e3e3e0;
  --accent: #4338ca; --mark: #ffe88a; --mark-fg: #1d1d1f; --current: #f59e0b; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #ececec; --muted: #a8abb0; --bg: #17181b; --line: #33353a; --accent: #a5b4fc;
    --mark: #5b4a0c; --mark-fg: #fff7d6; --current: #fbbf24; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 1.06rem/1.65 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 42rem; margin: 0 auto; padding: 1rem 1.1rem 4rem; }
a { color: var(--accent); }
.back { font-size: .9rem; margin: 0 0 1.2rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .4rem; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: .92rem; margin: 0 0 1.4rem; padding-bottom: .8rem;
  border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
#text p { margin: 0 0 1em; white-space: pre-wrap; overflow-wrap: anywhere; }
mark.q { background: var(--mark); color: var(--mark-fg); border-radius: 2px; padding: .05em 0; }
mark.q-current { outline: 2px solid var(--current); outline-offset: 1px; }
.status { color: var(--muted); font-size: .85rem; margin: 0 0 1rem; }
@media (max-width: 480px) { body { font-size: 1rem; } h1 { font-size: 1.3rem; } main { padding: .8rem; } }
"""

# Highlights the ranges of the hash (#q=120-180,300-350: code point offsets into the clean text,
# the first is the one scrolled to) inside the lines, each a <p data-start=offset>; builds nodes
# with textContent only, never HTML.
_SCRIPT = """
(function () {
  var lines = Array.prototype.slice.call(document.querySelectorAll("#text p[data-start]"));
  var status = document.getElementById("status");
  function ranges() {
    var found = [], m = /(?:^#|&)q=([0-9,\\-]*)/.exec(location.hash);
    if (!m) return found;
    m[1].split(",").forEach(function (pair) {
      var p = /^(\\d+)-(\\d+)$/.exec(pair);
      if (p && +p[1] < +p[2]) found.push([+p[1], +p[2]]);
    });
    return found;
  }
  function unit(str, cp) {  // the UTF-16 index of code point ``cp`` of ``str``
    var i = 0;
    for (var n = 0; n < cp && i < str.length; n++) {
      var c = str.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    }
    return i;
  }
  function highlight() {
    var wanted = ranges(), shown = 0;
    lines.forEach(function (line) {
      var text = line.textContent;
      line.textContent = text;
      var start = +line.dataset.start, end = start + Array.from(text).length, cuts = [];
      wanted.forEach(function (r, k) {
        var s = Math.max(r[0], start), e = Math.min(r[1], end);
        if (s < e) cuts.push([s - start, e - start, k]);
      });
      if (!cuts.length) return;
      cuts.sort(function (a, b) { return a[0] - b[0]; });
      line.textContent = "";
      var at = 0;
      cuts.forEach(function (cut) {
        var s = Math.max(cut[0], at);
        if (s >= cut[1]) return;
        line.appendChild(document.createTextNode(text.slice(unit(text, at), unit(text, s))));
        var mark = document.createElement("mark");
        mark.className = cut[2] === 0 ? "q q-current" : "q";
        mark.dataset.q = String(cut[2]);
        mark.textContent = text.slice(unit(text, s), unit(text, cut[1]));
        line.appendChild(mark);
        at = cut[1];
        shown++;
      });
      line.appendChild(document.createTextNode(text.slice(unit(text, at))));
    });
    var current = document.querySelector("mark.q-current") || document.querySelector("mark.q");
    if (current) current.scrollIntoView({ block: "center" });
    status.hidden = !wanted.length;
    status.textContent = shown ? (wanted.length === 1 ? "The quote is highlighted below."
      : wanted.length + " quotes are highlighted below; the first is outlined.")
      : "The highlighted passage is not in this article's text (it may have been updated).";
  }
  highlight();
  window.addEventListener("hashchange", highlight);
})();
"""


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# Only the page's own style and script; nothing loaded, no forms, no <base>.
POLICY = (
    f"default-src 'none'; style-src {_sha256(_STYLE)}; script-src {_sha256(_SCRIPT)}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def _page(title: str, body: str, script: bool = False) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)} · News Assistant</title><style>{_STYLE}</style></head>"
        f'<body><main><p class="back"><a href="/">← News Assistant</a></p>{body}</main>'
        + (f"<script>{_SCRIPT}</script>" if script else "")
        + "</body></html>"
    )


def render_reader(article: Article) -> str:
    """The reader page of ``article``: every line of its clean text a ``<p>`` holding the line as
    written (escaped), ``data-start`` its offset in the text."""
    title = article_label(article.title, article.source, article.published, article.text)
    meta = [escape(p) for p in (article.source,) if p]
    day = display_date(article.published)
    if day:
        meta.append(f'<time datetime="{escape(article.published or "", quote=True)}">{escape(day)}</time>')
    link = safe_url(article.url)
    if link:
        meta.append(
            f'<a href="{escape(link, quote=True)}" rel="noopener noreferrer nofollow" target="_blank">'
            f"{escape(urlsplit(link).netloc)} ↗</a>"
        )
    lines, offset = [], 0
    for line in article.text.split("\n"):
        if line.strip():
            lines.append(f'<p data-start="{offset}">{escape(line, quote=False)}</p>')
        offset += len(line) + 1
    body = (
        f'<article data-article="{escape(article.article_id, quote=True)}"><h1>{escape(title)}</h1>'
        f'<p class="meta">{" · ".join(meta) or "Source and date unknown"}</p>'
        f'<p class="status" id="status" hidden></p><div id="text">{"".join(lines)}</div></article>'
    )
    return _page(title, body, script=True)


def _message(title: str, text: str) -> str:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")


@dataclass
class LoginCheck:
    """Whether a request carries the login of a mounted Gradio page (``ASSISTANT_UI_AUTH``): the
    cookie Gradio's login page sets, looked up in that page's own sessions. ``apps`` are the
    mounted Gradio apps (web/app.py adds them once mounted)."""

    apps: list[Any] = field(default_factory=list)

    def __call__(self, request: Request) -> bool:
        for app in self.apps:
            for name in (f"access-token-{app.cookie_id}", f"access-token-unsecure-{app.cookie_id}"):
                token = request.cookies.get(name)
                if token and app.tokens.get(token) is not None:
                    return True
        return False


def router(assistant: Assistant, logged_in: Callable[[Request], bool] | None = None) -> APIRouter:
    """``logged_in``: with a UI login set, whether a request is signed in (``LoginCheck``); None
    when there is no UI login (web/guard.py then decides alone)."""
    router = APIRouter(prefix=PREFIX, tags=["reader"])
    token = assistant.settings.api_token

    @router.get(
        "/{article_id}", response_class=HTMLResponse, responses={404: {"description": "no such article"}}
    )
    async def read_article(article_id: str, request: Request) -> HTMLResponse:
        """One article as a page to read; ``#q=start-end`` (comma-separated for more) highlights
        those offsets of its clean text and scrolls to the first."""
        headers = {"Content-Security-Policy": POLICY, "Cache-Control": "no-store"}
        if logged_in is not None and not (
            logged_in(request) or (token and bearer_ok(request.headers.get("authorization"), token))
        ):
            body = '<h1>Sign in first</h1><p><a href="/">Sign in</a>, then open this link again.</p>'
            return HTMLResponse(_page("Sign in first", body), status_code=401, headers=headers)
        try:
            article = await run_in_threadpool(assistant.article, article_id)
        except InputError:
            page = _message("No such article", "This article is not loaded (it may have been deleted).")
            return HTMLResponse(page, status_code=404, headers=headers)
        return HTMLResponse(render_reader(article), headers=headers)

    return router
