"""The web process: FastAPI with the HTTP API, the Gradio chat at / and the embeddable chat at /widget.

One ``Assistant`` (model and store loaded once) serves every request. The web settings are fields of
``assistant.settings`` (config.py), read from the environment once:

- ``api_token`` (``ASSISTANT_API_TOKEN``) and ``ui_auth`` (``ASSISTANT_UI_AUTH``, ``user:password``,
  Gradio's login): one auth policy for every route (/api, the OpenAI-compatible /v1 of
  web/openai.py, the MCP server at /mcp of web/mcp.py, the Gradio pages), enforced in web/guard.py.
- ``allowed_origins`` (``ASSISTANT_ALLOWED_ORIGINS``): comma list of origins that may embed the
  widget and call the API from a browser (``*`` for any). Unset: only loopback origins.
- ``public_hosts`` (``ASSISTANT_PUBLIC_HOSTS``): with no token, requests must name the app by loopback,
  the bound ``host`` or one of these names, on every route (web/guard.py ``Served``).
- ``max_body_kb`` (``ASSISTANT_MAX_BODY_KB``, 64) and ``max_history`` (``ASSISTANT_MAX_HISTORY``, 50):
  limits on question bodies (/api/ask, /v1/chat/completions, /mcp).
- ``sync_minutes`` (``ASSISTANT_SYNC_MINUTES``, 30): while the app is served, a daemon thread syncs
  the registered feeds this often (0: never).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.middleware.cors import CORSMiddleware  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse, Response  # noqa: E402
from starlette.exceptions import HTTPException as StarletteHTTPException  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.errors import AssistantError, InputError, NotFoundError, StoreError  # noqa: E402
from assistant.web import (  # noqa: E402
    articles,
    ask,
    docs,
    health,
    mcp,
    openai,
    reader,
    sources,
    timeline,
    watches,
)
from assistant.web.chat_html import CSS, HEAD, PAGE_JS  # noqa: E402
from assistant.web.guard import Guard, Served  # noqa: E402
from assistant.web.ui import HEADER_CSS, build_main, build_widget  # noqa: E402
from assistant.web.watches_html import WATCH_CSS  # noqa: E402

log = logging.getLogger(__name__)

LOOPBACK_ORIGINS = r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?"


def create_app(assistant: Assistant, *, mount_ui: bool = True) -> FastAPI:
    """The app for ``assistant``; its ``settings`` carry the web settings (auth, origins, limits).

    Raises ValueError for a malformed ``ASSISTANT_UI_AUTH``."""
    settings = assistant.settings
    origins = list(settings.allowed_origins)
    ui_auth = settings.ui_credentials
    max_ask_body = settings.max_body_kb * 1024
    max_file_bytes = int(settings.max_file_mb * 1024 * 1024)
    # any other body (uploads, Gradio's calls): room for ten files at the size limit
    max_upload_body = max_file_bytes * 10 + 1024 * 1024
    question_paths = {*ask.PATHS, openai.CHAT_PATH, mcp.PATH, watches.PATH}  # ASSISTANT_MAX_BODY_KB applies

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Only while served: building the app (tests, embedding it elsewhere) starts no thread.
        scheduler = assistant.sync_every(settings.sync_minutes) if settings.sync_minutes > 0 else None
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()

    app = FastAPI(
        title="News Assistant API",
        description="Answers questions from loaded news articles, with verified quoted citations.",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from local files, not a CDN
    )
    docs.mount(app)

    # --- errors: 4xx JSON {"error": message}, never a traceback; an id naming nothing is a 404
    @app.exception_handler(AssistantError)
    async def _assistant_error(request: Request, exc: AssistantError):
        status = 503 if isinstance(exc, StoreError) else 404 if isinstance(exc, NotFoundError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        problems, status = [], 422
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            cause = err.get("ctx", {}).get("error")
            if isinstance(cause, InputError):  # input the assistant can't use: 400, as everywhere
                status, message = 400, str(cause)
            else:
                message = err.get("msg", "invalid")
            problems.append(f"{where}: {message}" if where else message)
        return JSONResponse({"error": "invalid request: " + "; ".join(problems)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal error; the server log has the details"}, status_code=500)

    # --- served names, auth and body size (web/guard.py), cross-origin and framing rules
    served = Served.of(settings.host, settings.public_hosts, settings.allowed_origins)
    app.add_middleware(
        Guard,
        served=None if settings.api_token else served,
        token=settings.api_token,
        ui_login=ui_auth is not None,
        body_limit=lambda path: max_ask_body if path in question_paths else max_upload_body,
        shapes={openai.PREFIX: openai.error_body, mcp.PATH: mcp.error_body},
    )

    @app.middleware("http")
    async def _framing(request: Request, call_next):
        path = request.url.path
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

    for routes in (health, ask, articles, sources, timeline, watches, openai):
        app.include_router(routes.router(assistant))
    # the reader is a page: with a UI login it takes the chat's login (the mounted pages' sessions)
    login = reader.LoginCheck() if ui_auth else None
    app.include_router(reader.router(assistant, login))
    mcp.mount(app, assistant)

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
            ).set(
                # the subdued text (a card's source and date, the confidence label) readable in
                # light mode too: gray-400 on the page's near-white read at 2.4:1, gray-600 at 7:1
                body_text_color_subdued="*neutral_600",
                body_text_color_subdued_dark="*neutral_400",
            ),
            css=CSS + HEADER_CSS + WATCH_CSS,
            js=PAGE_JS,
            head=HEAD,
        )
        for path, blocks in (
            ("/widget", build_widget(assistant)),
            ("/", build_main(assistant, settings.max_file_mb)),
        ):
            gr.mount_gradio_app(app, blocks, path=path, **common)
            if login is not None:
                login.apps.append(app.router.routes[-1].app)  # the Gradio app just mounted
            # Gradio refuses a client-sent file path outside its upload folder only once the Blocks
            # "has launched"; mounted Blocks never launch, so without this any server file a request
            # names is copied into Gradio's cache, to be ingested or served back (issue 9).
            blocks.has_launched = True
    return app


def is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or bool(re.fullmatch(r"127(\.\d{1,3}){3}", host))
