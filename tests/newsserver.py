"""A real news site on 127.0.0.1 for the feed tests and bench: RSS 2.0 and Atom feeds, article
pages shaped like real ones (cookie banner, navigation, related links, footer around the body),
ETag / Last-Modified with 304 answers, redirects, slow and missing paths, and a request counter;
and a receiver of POSTs (a watch's webhook: ``posts``), answered as the path's resource says."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

SITE = "The Harbour Times"


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0  # seconds before answering
    headers: dict[str, str] = field(default_factory=dict)
    modified: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Story:
    """A news story: its feed entry and its page."""

    slug: str
    title: str
    summary: str  # the feed's teaser, shorter than the article
    paragraphs: list[str]
    published: datetime
    updated: datetime | None = None
    guid: str | None = None  # default: "urn:story:<slug>"
    site: str = SITE  # the outlet its page names (og:site_name, the title's suffix)


class NewsServer:
    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.hits: Counter[str] = Counter()  # path -> requests
        self.not_modified: Counter[str] = Counter()  # path -> 304 answers
        self.posts: list[tuple[str, dict[str, str], bytes]] = []  # (path, headers, body) received
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server._serve(self)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server._lock:
                    server.posts.append((self.path, dict(self.headers.items()), body))
                server._serve(self)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> NewsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: str | bytes, **options) -> Resource:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            old = self.resources.get(path)
            resource = Resource(data, **options)
            if old is not None and old.body == data:
                resource.modified = old.modified
            self.resources[path] = resource
        return resource

    def publish(self, path: str, title: str, stories: list[Story], kind: str = "rss", **options) -> None:
        """Serve the stories' pages under /news/<slug>.html and a feed of them at ``path``."""
        for story in stories:
            self.set(f"/news/{story.slug}.html", article_page(self, story), **options)
        body = rss(self, title, stories) if kind == "rss" else atom(self, title, stories)
        ctype = "application/rss+xml" if kind == "rss" else "application/atom+xml"
        self.set(path, body, content_type=f"{ctype}; charset=utf-8")

    def requests(self, prefix: str = "/news/") -> int:
        """Full (non-304) answers served under ``prefix``."""
        return sum(n for p, n in self.hits.items() if p.startswith(prefix)) - sum(
            n for p, n in self.not_modified.items() if p.startswith(prefix)
        )

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        with self._lock:
            self.hits[path] += 1
            resource = self.resources.get(path)
        if resource is None:
            request.send_error(404, "Not Found")
            return
        if resource.delay:
            time.sleep(resource.delay)
        if resource.status == 200 and _fresh(request, resource):
            with self._lock:
                self.not_modified[path] += 1
            request.send_response(304)
            request.send_header("ETag", resource.etag)
            request.end_headers()
            return
        request.send_response(resource.status)
        request.send_header("Content-Type", resource.content_type)
        request.send_header("Content-Length", str(len(resource.body)))
        request.send_header("ETag", resource.etag)
        request.send_header("Last-Modified", format_datetime(resource.modified, usegmt=True))
        for name, value in resource.headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(resource.body)


def _fresh(request: BaseHTTPRequestHandler, resource: Resource) -> bool:
    etag = request.headers.get("If-None-Match")
    if etag is not None:
        return etag == resource.etag
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return resource.modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def article_page(server: NewsServer, story: Story) -> str:
    url = server.url(f"/news/{story.slug}.html")
    modified = (
        f'<meta property="article:modified_time" content="{story.updated.isoformat()}">'
        if story.updated
        else ""
    )
    body = "\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(story.title)} | {escape(story.site)}</title>
<meta property="og:site_name" content="{escape(story.site)}">
<meta property="og:title" content="{escape(story.title)}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{story.published.isoformat()}">
{modified}
<link rel="canonical" href="{url}">
</head><body>
<div id="cookie-banner" class="cookie-consent" role="dialog">
  <p>We use cookies to personalise content and ads and to analyse our traffic. By continuing to
  browse you agree to our use of cookies.</p>
  <button>Accept all cookies</button> <button>Manage preferences</button>
</div>
<header class="site-header"><a class="logo" href="/">{SITE}</a>
  <nav><ul><li><a href="/world">World</a></li><li><a href="/business">Business</a></li>
  <li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li>
  <li><a href="/subscribe">Subscribe for 1 euro a week</a></li></ul></nav>
</header>
<main>
<article>
  <h1>{escape(story.title)}</h1>
  <p class="byline">By Staff Reporter, <time datetime="{story.published.isoformat()}">
  {story.published:%d %B %Y}</time></p>
  {body}
</article>
<aside class="related"><h2>Related stories</h2><ul>
  <li><a href="/news/markets.html">Markets close higher as bank holds interest rates steady</a></li>
  <li><a href="/news/weather.html">Forecasters warn of heavy snow across the northern hills</a></li>
  <li><a href="/news/football.html">City beat United two nil in a tense cup final</a></li>
</ul></aside>
</main>
<footer><p>Copyright 2024 {SITE}. All rights reserved.</p>
  <a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></footer>
</body></html>"""


def rss(server: NewsServer, title: str, stories: list[Story]) -> str:
    items = []
    for s in stories:
        updated = f"<atom:updated>{s.updated.isoformat()}</atom:updated>" if s.updated else ""
        items.append(
            f"""<item><title>{xml_escape(s.title)}</title>
<link>{server.url(f"/news/{s.slug}.html")}</link>
<guid isPermaLink="false">{xml_escape(s.guid or f"urn:story:{s.slug}")}</guid>
<pubDate>{format_datetime(s.published, usegmt=True)}</pubDate>{updated}
<description>{xml_escape(s.summary)}</description></item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>{xml_escape(title)}</title><link>{server.url("/")}</link>
<description>Latest news</description>
{"".join(items)}
</channel></rss>"""


def atom(server: NewsServer, title: str, stories: list[Story]) -> str:
    entries = []
    for s in stories:
        entries.append(
            f"""<entry><title>{xml_escape(s.title)}</title>
<link rel="alternate" href="{server.url(f"/news/{s.slug}.html")}"/>
<id>{xml_escape(s.guid or f"urn:story:{s.slug}")}</id>
<published>{s.published.isoformat()}</published>
<updated>{(s.updated or s.published).isoformat()}</updated>
<summary>{xml_escape(s.summary)}</summary></entry>"""
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{xml_escape(title)}</title>
<id>{server.url("/atom")}</id><updated>{datetime.now(UTC).isoformat()}</updated>
{"".join(entries)}
</feed>"""
