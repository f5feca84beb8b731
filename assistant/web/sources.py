"""HTTP routes for article URLs and feeds: ``/api/sources``. Included by ``create_app``; web/guard.py
checks the bearer token in front of it, as for the rest of /api/*; every fetch goes through the SSRF guard of
ingest/fetch.py, so a caller can't make the server reach private addresses unless allowed."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import Assistant
from assistant.errors import InputError
from assistant.schema import IngestReport

MAX_URLS = 100


class SourcesIn(BaseModel):
    urls: list[str] = Field(
        ..., min_length=1, max_length=MAX_URLS, description="article pages or RSS/Atom feeds (http/https)"
    )
    follow: bool = Field(
        False, description="register the URLs as feeds and keep them in sync (else ingest them once)"
    )


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
