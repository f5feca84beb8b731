"""HTTP routes for article URLs and feeds: ``/api/sources``. Included by ``create_app``; web/guard.py
checks the bearer token in front of it, as for the rest of /api/*; every fetch goes through the SSRF guard of
ingest/fetch.py, so a caller can't make the server reach private addresses unless allowed.

Sources given over the web (this route, the Articles tab's Fetch box) are http(s) URLs only
(``urls_only``): ``Assistant.ingest`` also reads paths, which is right for the CLI and Python
callers, who run with their own rights, but over the web it would let any caller read the server's
files (issue 20)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import Assistant
from assistant.errors import InputError
from assistant.ingest.fetch import is_web_url
from assistant.schema import IngestReport

MAX_URLS = 100


# A bare host with an optional port and path ("dawn.com", "www.dawn.com/news/1"): read as https.
_BARE_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})\.)+[A-Za-z]{2,63}(?::\d{1,5})?(?:/\S*)?")
# ... unless the last label is a file type: "notes.txt" names a file, not a site.
_FILE_SUFFIX = re.compile(r"\.(txt|md|markdown|html?|jsonl?|xml|csv|pdf)$", re.IGNORECASE)


def as_url(value: str) -> str:
    """``value`` trimmed; a bare host ("dawn.com", "www.dawn.com/news/1") as its https URL."""
    url = value.strip()
    if _BARE_HOST.fullmatch(url) and not _FILE_SUFFIX.search(url.split("/", 1)[0]):
        return f"https://{url}"
    return url


def urls_only(values: Iterable[str]) -> list[str]:
    """``values`` trimmed, each an http or https URL naming a host (a bare host is read as https);
    InputError for the first that is not (a path, another scheme), so nothing is ingested from a
    request naming a server file."""
    urls = []
    for value in values:
        url = as_url(value)
        if not is_web_url(url):
            raise InputError(
                f"{url[:200]!r} is not an http(s) URL: pages and feeds are fetched by URL, and files "
                "on the server can't be named here (upload files instead)"
            )
        urls.append(url)
    return urls


class SourcesIn(BaseModel):
    urls: list[str] = Field(
        ..., min_length=1, max_length=MAX_URLS, description="article pages or RSS/Atom feeds (http/https)"
    )
    follow: bool = Field(
        False, description="register the URLs as feeds and keep them in sync (else ingest them once)"
    )

    @field_validator("urls")
    @classmethod
    def _urls_only(cls, urls: list[str]) -> list[str]:
        return urls_only(urls)


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(prefix="/api/sources", tags=["sources"])

    @router.post("")
    def add_sources(body: SourcesIn) -> dict:
        """Ingest pages and feeds once, or (``follow``) register feeds and sync them now. Returns
        the ingest report (each failure one ``{"origin", "reason"}``) and the registered feeds."""
        if not body.follow:
            report = assistant.ingest(body.urls)
        else:
            report = IngestReport()
            for url in body.urls:
                try:
                    _merge(report, assistant.feeds_add(url))
                except InputError as exc:
                    report.failed.append((url, str(exc).removeprefix(f"{url}: ")))
        return {**report.to_dict(), "feeds": _feeds(assistant)}

    @router.get("")
    def list_sources() -> list[dict]:
        """The registered feeds: URL, title, last sync time, outcome, article count, errors."""
        return _feeds(assistant)

    @router.delete("")
    def remove_source(url: str = Query(..., description="the feed's URL")) -> dict:
        """Stop following a feed; its articles stay."""
        try:
            assistant.feeds_remove(url)
        except InputError as exc:
            raise StarletteHTTPException(404, str(exc)) from None
        return {"removed": url}

    @router.post("/sync")
    def sync_sources() -> dict:
        """Sync every registered feed now; the report, and the feeds with their new state."""
        return {**assistant.sync().to_dict(), "feeds": _feeds(assistant)}

    return router


def _feeds(assistant: Assistant) -> list[dict]:
    return [f.to_dict() for f in assistant.feeds_list()]


def _merge(into: IngestReport, report: IngestReport) -> None:
    for name in ("added", "updated", "skipped", "failed", "notes"):
        getattr(into, name).extend(getattr(report, name))
