"""``/api/watches``: questions asked again after every ingest and sync, and the changes of their
answers (``Assistant.watch_add`` and the rest). Included by ``create_app``; web/guard.py checks
the bearer token and the served host in front of it, as for the rest of /api/*, and the body
limit of a question (``ASSISTANT_MAX_BODY_KB``) applies to a new watch. A webhook is posted to
through the feeds' SSRF guard (ingest/notify.py), so a caller can't make the server reach a
private address unless ``ASSISTANT_FETCH_ALLOW_PRIVATE`` allows it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from assistant.api import Assistant
from assistant.web.models import ERRORS, ErrorOut, Text

PATH = "/api/watches"
MAX_SEEN = 1000


class WatchIn(BaseModel):
    question: Text = Field(
        ...,
        description="the question to watch",
        examples=["How many people were killed in the Mecca crane collapse?"],
    )
    webhook: Text | None = Field(None, description="an http(s) URL each change is POSTed to as JSON")


class SeenIn(BaseModel):
    ids: list[Text] | None = Field(
        None, max_length=MAX_SEEN, description="the changes to mark seen (default: every unseen one)"
    )


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(prefix=PATH, tags=["watches"])
    missing = {**ERRORS, 404: {"model": ErrorOut, "description": "no watch with that id"}}

    @router.get("", responses=ERRORS)
    def list_watches() -> dict:
        """The watched questions, oldest first, each with its latest answer, and how many
        changes are not yet seen."""
        return {"watches": [w.to_dict() for w in assistant.watches()], "unseen": assistant.watch_unseen()}

    @router.post("", responses=ERRORS)
    def add_watch(body: WatchIn) -> dict:
        """Watch a question: asked now and again after every ingest, sync and delete; a change of
        its answer's facts (a new figure, name or date, an abstention turning into an answer) is
        recorded and posted to ``webhook``. The watch with its first answer."""
        return assistant.watch_add(body.question, body.webhook).to_dict()

    @router.delete("/{watch_id}", responses=missing)
    def remove_watch(watch_id: str) -> dict:
        """Stop watching; its changes are forgotten."""
        assistant.watch_remove(watch_id)  # NotFoundError: a 404 (create_app)
        return {"removed": watch_id}

    @router.get("/changes", responses=missing)
    def changes(
        watch: Annotated[str | None, Query(description="only this watch's changes")] = None,
        unseen: Annotated[bool, Query(description="only the changes not yet marked seen")] = False,
    ) -> dict:
        """Changes newest first, each with what is new and both answers with their citations,
        and the webhook's outcome; ``unseen``: how many are not yet seen (of every watch)."""
        found = assistant.watch_changes(watch, unseen)  # NotFoundError: a 404 (create_app)
        return {"changes": [c.to_dict() for c in found], "unseen": assistant.watch_unseen()}

    @router.post("/changes/seen", responses=ERRORS)
    def seen(body: SeenIn | None = None) -> dict:
        """Mark changes seen (all, without ``ids``): the badge's count goes down."""
        marked = assistant.watch_seen(body.ids if body else None)
        return {"marked": marked, "unseen": assistant.watch_unseen()}

    return router
