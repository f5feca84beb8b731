"""``POST /api/ask`` and ``POST /api/ask/stream``: questions in, checked answers out."""

from __future__ import annotations

import itertools
import json
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from assistant.api import Assistant
from assistant.errors import AssistantError, InputError
from assistant.web.models import ERRORS, AnswerOut, AskIn

log = logging.getLogger(__name__)

PATHS = ("/api/ask", "/api/ask/stream")  # question bodies: ASSISTANT_MAX_BODY_KB applies


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(tags=["ask"])
    max_history = assistant.settings.max_history

    @router.post("/api/ask", response_model=AnswerOut, responses=ERRORS)
    def ask(body: AskIn) -> JSONResponse:
        """Answer a question; the same JSON as `assistant ask --json`."""
        # As is, not re-serialised through AnswerOut (which documents it): that would write
        # "coverage": null into every citation whose story has no other report, where the
        # answer's JSON on every other surface leaves the field out.
        return JSONResponse(assistant.ask(**_arguments(body, max_history)).to_dict())

    @router.post(
        "/api/ask/stream",
        responses={
            **ERRORS,
            200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        },
    )
    def ask_stream(body: AskIn) -> StreamingResponse:
        """Answer as server-sent events: `draft` events (`{"text": ...}`, the LLM's words as they
        come; none in the extractive mode), then one `answer` event with the JSON of /api/ask,
        checked against the articles. A failure after the stream began is an `error` event."""
        items = assistant.stream(**_arguments(body, max_history))
        first = next(items)  # bad input fails here, before any byte is sent: a plain 4xx

        def events():
            try:
                for item in itertools.chain([first], items):
                    if isinstance(item, str):
                        yield _event("draft", {"text": item})
                    else:
                        yield _event("answer", item.to_dict())
            except AssistantError as exc:
                yield _event("error", {"error": str(exc)})
            except Exception:
                log.exception("streamed answer failed")
                yield _event("error", {"error": "something went wrong; the error was logged"})

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return router


def _arguments(body: AskIn, max_history: int) -> dict:
    """The keyword arguments of Assistant.ask/stream for a request body."""
    if len(body.history) > max_history:
        raise InputError(f"history has {len(body.history)} turns; the limit is {max_history}")
    questions = []
    for turn in body.history:
        q = turn if isinstance(turn, str) else (turn[0] if turn else "")
        if q.strip():
            questions.append(q)
    filters = body.filters.filters() if body.filters is not None else None
    return {
        "question": body.question,
        "top_k": body.top_k,
        "filters": filters,
        "history": questions,
        "as_of": body.as_of,
    }


def _event(name: str, data: dict) -> str:
    """One server-sent event; JSON data keeps newlines in the text from ending it early."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
