"""An OpenAI-compatible chat API: ``POST /v1/chat/completions`` (plain and streamed) and
``GET /v1/models``, so the openai SDKs, Open WebUI and other chat front-ends can ask the assistant.

- The last user message is the question; the user messages before it are the history, for
  follow-ups (the last ``ASSISTANT_MAX_HISTORY`` of them: chat clients resend the whole chat).
  System, assistant and tool messages are accepted and not used: answers come from the articles.
- ``content`` is Markdown (``answer_markdown``): the answer with its [n] markers and a "Sources"
  list, each source linked to the article reader at its quote (``/articles/{id}#q=start-end``).
  The verified citations also come as data, in ``choices[0].message.citations`` and, when
  streamed, in the last chunk's ``choices[0].delta.citations``.
- Streamed, the answer is sent once it is checked against the articles. An LLM's draft is not
  sent: a client shows content as it arrives and can't take back a sentence the check removes.
- Errors have OpenAI's shape ``{"error": {"message", "type", "param", "code"}}`` (``OpenAIRoute``).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from assistant.api import Assistant
from assistant.errors import AssistantError, StoreError
from assistant.schema import Answer
from assistant.web.markdown import answer_markdown

log = logging.getLogger(__name__)

MODEL = "news-assistant"
PREFIX = "/v1"
CHAT_PATH = f"{PREFIX}/chat/completions"
_CREATED = int(time.time())  # /v1/models' "created": when this process started serving the model


class OpenAIError(Exception):
    """An error reply in OpenAI's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code

    def payload(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.payload(), status_code=self.status, headers=headers)


def error_body(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error JSON for a refusal made in front of the routes (web/guard.py: token, size)."""
    if status == 401:
        return OpenAIError(status, message, "authentication_error", code="invalid_api_key").payload()
    code = "request_too_large" if status == 413 else None
    return OpenAIError(status, message, code=code).payload()


class OpenAIRoute(APIRoute):
    """Turns every error of a /v1 route (bad body, refused question, store down,
    anything unexpected) into OpenAI's error JSON, leaving the app's own {"error": "..."} shape to
    /api/*. An APIRoute subclass because FastAPI's exception handlers are app-wide."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except OpenAIError as exc:
                return exc.response()
            except RequestValidationError as exc:
                err = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or None
                message = f"invalid request: {where + ': ' if where else ''}{err.get('msg', 'invalid')}"
                return OpenAIError(400, message, param=where).response()
            except HTTPException as exc:
                return OpenAIError(exc.status_code, str(exc.detail)).response(exc.headers)
            except StoreError as exc:
                return OpenAIError(503, str(exc), "server_error").response()
            except AssistantError as exc:  # InputError: an empty or oversized question
                return OpenAIError(400, str(exc), param="messages").response()
            except Exception:
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                return OpenAIError(
                    500, "internal error; the server log has the details", "server_error"
                ).response()

        return route


# ------------------------------------------------------------------------------- request models


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted, not used
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: accepted, not used
    model: str = Field(..., examples=[MODEL])
    messages: list[Message]
    stream: bool = False


# ------------------------------------------------------------------------------------ the router


def router(assistant: Assistant) -> APIRouter:
    """The /v1 routes over ``assistant``; web/guard.py checks the API token in front of them."""
    max_history = assistant.settings.max_history
    api = APIRouter(prefix=PREFIX, route_class=OpenAIRoute, tags=["openai"])

    @api.get("/models")
    def models() -> dict:
        """The one model: the assistant."""
        entry = {"id": MODEL, "object": "model", "created": _CREATED, "owned_by": "news-assistant"}
        return {"object": "list", "data": [entry]}

    @api.post("/chat/completions", response_model=None)
    def chat_completions(body: ChatRequest, request: Request) -> dict | StreamingResponse:
        """Answer the last user message; see the module docstring for the reply."""
        if body.model != MODEL:
            raise OpenAIError(
                404,
                f"the model {body.model!r} does not exist; use {MODEL!r}",
                param="model",
                code="model_not_found",
            )
        if not body.messages:
            raise OpenAIError(400, "messages is empty: send at least one user message", param="messages")
        questions = [_text(m, i) for i, m in enumerate(body.messages) if m.role == "user"]
        if not questions:
            raise OpenAIError(400, "messages hold no user message: nothing to answer", param="messages")
        *history, question = questions
        history = [q for q in history if q.strip()][-max_history:] if max_history else []
        reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        root = str(request.base_url).rstrip("/")  # the Sources link to the article reader here
        if not body.stream:
            answer = assistant.ask(question, history=history)
            message = {
                "role": "assistant",
                "content": answer_markdown(answer, root),
                "citations": _citations(answer),
            }
            return {
                "id": reply_id,
                "object": "chat.completion",
                "created": created,
                "model": MODEL,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            }

        items = assistant.stream(question, history=history)
        first = next(items)  # a refused question fails here, before any byte is sent: a plain error

        def chunk(delta: dict, finish_reason: str | None = None) -> str:
            data = {
                "id": reply_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
            }
            return _sse(data)

        def chunks() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                *_, answer = (i for i in itertools.chain([first], items) if isinstance(i, Answer))
                yield chunk({"content": answer_markdown(answer, root)})
                yield chunk({"citations": _citations(answer)}, finish_reason="stop")
            except AssistantError as exc:  # the store failed mid-answer: the client's stream raises it
                yield _sse(OpenAIError(503, str(exc), "server_error").payload())
            except Exception:
                log.exception("streamed chat completion failed")
                yield _sse(
                    OpenAIError(500, "something went wrong; the error was logged", "server_error").payload()
                )
            yield "data: [DONE]\n\n"

        return StreamingResponse(
            chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return api


def _text(message: Message, index: int) -> str:
    """A message's text; a non-text part (an image, audio, a file) is refused, not dropped."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for part in message.content:
        if part.type != "text" or part.text is None:
            raise OpenAIError(
                400,
                f"messages[{index}] has a {part.type!r} content part; only text is supported",
                param=f"messages.{index}.content",
                code="unsupported_content",
            )
        texts.append(part.text)
    return "\n".join(texts)


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [] if answer.abstained else [c.to_dict() for c in answer.citations]


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
