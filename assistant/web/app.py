"""The web process: FastAPI with the HTTP API, the Gradio chat at / and the embeddable chat at /widget.

One ``Assistant`` (model and store loaded once) serves every request. The web settings are fields of
``assistant.settings`` (config.py), read from the environment once:

- ``api_token`` (``ASSISTANT_API_TOKEN``): when set, /api/* needs ``Authorization: Bearer <token>``.
- ``ui_auth`` (``ASSISTANT_UI_AUTH``): ``user:password`` turns on Gradio's login for / and /widget.
- ``allowed_origins`` (``ASSISTANT_ALLOWED_ORIGINS``): comma list of origins that may embed the
  widget and call the API from a browser (``*`` for any). Unset: only loopback origins.
- ``max_body_kb`` (``ASSISTANT_MAX_BODY_KB``, 64) and ``max_history`` (``ASSISTANT_MAX_HISTORY``, 50):
  limits on POST /api/ask.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import Depends, FastAPI, File, Request, UploadFile  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from starlette.exceptions import HTTPException as StarletteHTTPException  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.errors import AssistantError, InputError, StoreError  # noqa: E402
from assistant.schema import Citation, Filters  # noqa: E402
from assistant.web.render import CSS  # noqa: E402
from assistant.web.ui import (  # noqa: E402
    HEADER_CSS,
    build_main,
    build_widget,
    check_suffix,
    ingest_files,
    sanitize_filename,
)

log = logging.getLogger(__name__)

ASK_PATHS = ("/api/ask", "/api/ask/stream")  # question bodies: ASSISTANT_MAX_BODY_KB applies
LOOPBACK_ORIGINS = r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?"


# ------------------------------------------------------------------------------- request models


class FiltersIn(BaseModel):
    source: str | None = Field(None, description="exact source name, e.g. 'Dawn'")
    date_from: date | None = Field(None, description="earliest publication date (inclusive)")
    date_to: date | None = Field(None, description="latest publication date (inclusive)")


class AskIn(BaseModel):
    question: str = Field(..., description="the question", examples=["How many died in the Sinai crash?"])
    history: list[list[str] | str] = Field(
        default_factory=list,
        description="earlier turns, oldest first, as [question, answer] pairs (or bare questions)",
    )
    top_k: int | None = Field(None, ge=1, le=100, description="passages to retrieve (1-100)")
    filters: FiltersIn | None = None
    as_of: date | None = Field(
        None,
        description="the day the question is asked (default today): 'this week', 'recently' are read "
        "against it and articles published after it are not used",
    )


class AnswerOut(BaseModel):
    answer: str
    abstained: bool
    citations: list[Citation]  # the core's dataclass: one definition of a citation's fields
    mode: str = Field(description='"extractive" or "llm" (generated, then checked sentence by sentence)')
    notice: str | None = Field(None, description="one line on how the answer was made, e.g. LLM fallback")
    unverified: list[str] = Field(
        default_factory=list, description="generated sentences no article supports, removed from answer"
    )


class ErrorOut(BaseModel):
    error: str


ERRORS = {
    400: {"model": ErrorOut, "description": "bad input"},
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
}


# ------------------------------------------------------------------------------------ the app


def create_app(assistant: Assistant, *, mount_ui: bool = True) -> FastAPI:
    """The app for ``assistant``; its ``settings`` carry the web settings (auth, origins, limits).

    Raises ValueError for a malformed ``ASSISTANT_UI_AUTH``."""
    settings = assistant.settings
    origins = list(settings.allowed_origins)
    ui_auth = settings.ui_credentials
    max_ask_body = settings.max_body_kb * 1024
    max_file_bytes = int(settings.max_file_mb * 1024 * 1024)
    app = FastAPI(
        title="News Assistant API",
        description="Answers questions from loaded news articles, with verified quoted citations.",
        version="1.0",
    )

    # --- errors: 4xx JSON {"error": message}, never a traceback
    @app.exception_handler(AssistantError)
    async def _assistant_error(request: Request, exc: AssistantError):
        status = 503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
        return JSONResponse({"error": "invalid request: " + "; ".join(problems)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal error; the server log has the details"}, status_code=500)

    # --- body size, cross-origin and framing rules
    @app.middleware("http")
    async def _limits_and_framing(request: Request, call_next):
        path = request.url.path
        if path.startswith("/api/"):
            limit = max_ask_body if path in ASK_PATHS else max_file_bytes * 10 + 1024 * 1024
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > limit:
                return JSONResponse(
                    {"error": f"request body too large ({int(length):,} bytes; limit {limit:,})"},
                    status_code=413,
                )
        response = await call_next(request)
        ancestors = "*" if "*" in origins else " ".join(origins)
        if not origins:
            ancestors = "http://127.0.0.1:* http://localhost:*"
        if path.startswith("/widget"):
            response.headers["Content-Security-Policy"] = f"frame-ancestors 'self' {ancestors}"
        elif not path.startswith(("/api/", "/healthz", "/docs", "/openapi", "/gradio.js")):
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=None if origins else LOOPBACK_ORIGINS,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        allow_credentials="*" not in origins,
    )

    def require_token(request: Request) -> None:
        if not settings.api_token:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(), settings.api_token):
            raise StarletteHTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    auth = [Depends(require_token)]

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Liveness: the model and store are loaded."""
        return {"status": "ok", "articles": len(assistant.articles())}

    def query(body: AskIn) -> dict:
        """The keyword arguments of Assistant.ask/stream for a request body."""
        if len(body.history) > settings.max_history:
            raise InputError(f"history has {len(body.history)} turns; the limit is {settings.max_history}")
        questions = []
        for turn in body.history:
            q = turn if isinstance(turn, str) else (turn[0] if turn else "")
            if q.strip():
                questions.append(q)
        filters = None
        if body.filters is not None:
            filters = Filters(body.filters.source or None, body.filters.date_from, body.filters.date_to)
        return {
            "question": body.question,
            "top_k": body.top_k,
            "filters": filters,
            "history": questions,
            "as_of": body.as_of,
        }

    @app.post("/api/ask", response_model=AnswerOut, responses=ERRORS, dependencies=auth, tags=["ask"])
    def ask(body: AskIn) -> dict:
        """Answer a question; the same JSON as `assistant ask --json`."""
        return assistant.ask(**query(body)).to_dict()

    @app.post(
        "/api/ask/stream",
        responses={
            **ERRORS,
            200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        },
        dependencies=auth,
        tags=["ask"],
    )
    def ask_stream(body: AskIn) -> StreamingResponse:
        """Answer as server-sent events: `draft` events (`{"text": ...}`, the LLM's words as they
        come; none in the extractive mode), then one `answer` event with the JSON of /api/ask,
        checked against the articles. A failure after the stream began is an `error` event."""
        items = assistant.stream(**query(body))
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

    @app.get("/api/articles", dependencies=auth, tags=["articles"])
    def list_articles() -> list[dict]:
        """The loaded articles (without their text)."""
        return [a.to_dict(with_text=False) for a in assistant.articles()]

    @app.get("/api/articles/{article_id}", dependencies=auth, responses=ERRORS, tags=["articles"])
    def get_article(article_id: str) -> dict:
        """One article, with its clean text."""
        try:
            return assistant.article(article_id).to_dict()
        except InputError as exc:
            raise StarletteHTTPException(404, str(exc)) from None

    @app.post("/api/articles", dependencies=auth, responses=ERRORS, tags=["articles"])
    async def add_articles(files: Annotated[list[UploadFile], File(description="article files")]) -> dict:
        """Upload article files (.txt, .md, .html, .jsonl); returns a per-file report."""
        if not files:
            raise InputError("no files were uploaded")
        for f in files:
            try:
                check_suffix(f.filename or "")
            except InputError as exc:
                return JSONResponse({"error": str(exc)}, status_code=415)
        workdir = Path(tempfile.mkdtemp(prefix="assistant-upload-"))
        try:
            saved = []
            for n, f in enumerate(files):
                target = workdir / f"{n:03d}-{sanitize_filename(f.filename or '')}"
                size = 0
                with target.open("wb") as out:
                    while chunk := await f.read(1024 * 1024):
                        size += len(chunk)
                        if size > max_file_bytes:
                            too_big = f"{f.filename} is larger than the {settings.max_file_mb:g} MB limit"
                            return JSONResponse({"error": too_big}, status_code=413)
                        out.write(chunk)
                saved.append((f.filename or target.name, target))
            from starlette.concurrency import run_in_threadpool

            results = await run_in_threadpool(ingest_files, assistant, saved)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        total = {k: [i for r in results for i in getattr(r, k)] for k in ("added", "updated", "skipped")}
        return {"files": [r.to_dict() for r in results], **total}

    @app.delete("/api/articles/{article_id}", dependencies=auth, responses=ERRORS, tags=["articles"])
    def delete_article(article_id: str) -> dict:
        """Delete an article and its chunks."""
        try:
            assistant.delete(article_id)
        except InputError as exc:
            raise StarletteHTTPException(404, str(exc)) from None
        return {"deleted": article_id}

    @app.get("/gradio.js", include_in_schema=False)
    def gradio_js() -> Response:
        """Gradio's web-component loader, served locally so <gradio-app> works offline."""
        path = Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js"
        return FileResponse(path, media_type="text/javascript")

    if mount_ui:
        common = dict(
            footer_links=[],
            auth=ui_auth,
            auth_message="Sign in to the News Assistant." if ui_auth else None,
            ssr_mode=False,
            max_file_size=f"{settings.max_file_mb:g}mb",
            show_error=False,
            # system fonts: the page must not fetch web fonts (offline deployments, privacy)
            theme=gr.themes.Soft(
                primary_hue="indigo",
                font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
                font_mono=["ui-monospace", "SFMono-Regular", "monospace"],
            ),
            css=CSS + HEADER_CSS,
        )
        gr.mount_gradio_app(app, build_widget(assistant), path="/widget", **common)
        gr.mount_gradio_app(app, build_main(assistant, settings.max_file_mb), path="/", **common)
    return app


def is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or bool(re.fullmatch(r"127(\.\d{1,3}){3}", host))


def _event(name: str, data: dict) -> str:
    """One server-sent event; JSON data keeps newlines in the text from ending it early."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
