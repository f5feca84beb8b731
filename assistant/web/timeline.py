"""``GET /api/timeline``: how a story developed (``Assistant.timeline``). Included by
``create_app``; web/guard.py checks the bearer token and the served host in front of it, as for
the rest of /api/*."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from assistant.api import Assistant
from assistant.schema import Timeline
from assistant.web.models import ERRORS, ErrorOut, Text

PATH = "/api/timeline"


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(tags=["stories"])
    responses = {**ERRORS, 404: {"model": ErrorOut, "description": "no story or article with that id"}}

    @router.get(PATH, response_model=Timeline, responses=responses)
    def timeline(
        q: Annotated[
            Text,
            Query(
                description="a story id, an article id (its story) or a question about the story",
                examples=["How did the Mecca crane story develop?"],
            ),
        ],
    ) -> dict:
        """A story's articles oldest first, each with its headline, source, date, url and one
        sentence verbatim at its offsets: the first report's lede, then for each later report
        the sentence that adds most of what earlier reports lacked. The same JSON as
        `assistant timeline --json`."""
        return assistant.timeline(q).to_dict()  # NotFoundError: a 404 (create_app)

    return router
