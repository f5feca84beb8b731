"""The gate in front of every route: one auth policy and request-body limits counted as bytes arrive.

Auth, one policy for every surface of the process:

- ``ASSISTANT_API_TOKEN`` set: every route needs ``Authorization: Bearer <token>``, except
  ``/healthz`` (load balancers), the API docs and ``/gradio.js`` (static, no data). The Gradio pages
  and their API (``/gradio_api/*``, ``/widget/gradio_api/*``: call, queue, upload, file) included;
  a browser can't send the header, so without a UI login the pages answer a 401 that says so.
- ``ASSISTANT_UI_AUTH`` set: Gradio's login guards the pages and their API (its ``login_check``);
  the programmatic routes (``/api/*``, the OpenAI-compatible ``/v1/*``, ``/mcp``) still take only
  the token, and answer 401 when no token is set. A browser login cookie is never accepted there:
  a page on another site could otherwise post articles or delete them with the visitor's cookie
  (cross-site request forgery).

Served names, with no token set (DNS rebinding): a page on another site can point its own name at
127.0.0.1 and then drive the app from the visitor's browser as a same-origin page. Its requests
still carry that name in ``Host``, so every route answers 421 unless ``Host`` names the app as it
is served (``Served``: loopback, the bound address, ``ASSISTANT_PUBLIC_HOSTS``), and a
state-changing request whose ``Origin`` is another site's (not served, not in
``ASSISTANT_ALLOWED_ORIGINS``) gets a 403. With a token set the token decides, as for /mcp.

Refusals are JSON ``{"error": message}``, or the protocol's own error shape where a route prefix has
one (``shapes``: OpenAI's for ``/v1``, OAuth's for ``/mcp``), so each client reads them natively.

Body limits: a declared Content-Length over the limit is refused at once; a chunked body is counted
as it streams and cut at the limit, so nothing reads (or spools to /tmp) more than the limit.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Served to anyone even when a token is set: liveness, the API's own docs, Gradio's static loader.
OPEN_PATHS = frozenset({"/healthz", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/gradio.js"})
OPEN_PREFIXES = ("/docs/assets/",)  # the docs page's own script and style (web/docs.py)
WRONG_TOKEN = "missing or wrong bearer token"
# Routes for programs, not browsers: the bearer token is their only credential.
PROGRAMMATIC = ("/api/", "/v1/", "/mcp")
API_NEEDS_TOKEN = "the HTTP API needs ASSISTANT_API_TOKEN set on the server when a UI login is set"
BROWSER_NEEDS_LOGIN = (
    "this server requires a bearer token (ASSISTANT_API_TOKEN), which a browser can't send; "
    "to use the chat in a browser, the server must also set ASSISTANT_UI_AUTH (a login)"
)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_ANY_ADDRESS = {"", "0.0.0.0", "::"}  # a bind address that names no one host
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# A route prefix's error body for (status, message), e.g. OpenAI's {"error": {"message", "type", ...}}.
Shape = Callable[[int, str], dict]


def bearer_ok(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header carries ``token`` (compared in constant time)."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), token.encode())


def hostname(authority: str | None) -> str | None:
    """The host a ``Host`` header ("[::1]:7860"), an origin ("http://localhost:3000") or a setting
    names: lowercased, without port or brackets, an IP address in its canonical form (so "[0::1]" is
    "::1"); None when it names none or is malformed."""
    if not authority:
        return None
    try:
        parsed = urlsplit(authority if "://" in authority else f"//{authority}")
        parsed.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError:
        return None
    host = parsed.hostname
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


@dataclass(frozen=True)
class Served:
    """The names the app is served as, and the origins allowed to send it state-changing requests
    besides its own names' (``"*"``: any)."""

    hosts: frozenset[str]
    origins: frozenset[str] = frozenset()

    @classmethod
    def of(cls, bind: str, public_hosts: tuple[str, ...], allowed_origins: tuple[str, ...]) -> Served:
        """Loopback, the bound address unless it is a wildcard, and the configured public names."""
        named = {hostname(h) for h in (*public_hosts, *([] if bind in _ANY_ADDRESS else [bind]))}
        return cls(LOOPBACK_HOSTS | {h for h in named if h}, frozenset(allowed_origins))

    def refusal(self, method: str, headers: Headers) -> tuple[int, str] | None:
        """(status, why) for a request naming another host or sent by another site's page, or None."""
        host = headers.get("host")
        if hostname(host) not in self.hosts:
            named = f"is not served as {host!r}" if host else "needs a Host header"
            return 421, (
                f"this server {named} (DNS-rebinding protection): name it as 127.0.0.1, localhost or "
                "[::1], or list the names it is reached by in ASSISTANT_PUBLIC_HOSTS"
            )
        origin = headers.get("origin")
        if origin is None or method in SAFE_METHODS or self.origin_ok(origin):
            return None
        return 403, f"cross-origin request from {origin!r} refused (not in ASSISTANT_ALLOWED_ORIGINS)"

    def origin_ok(self, origin: str) -> bool:
        """A page of the app itself (any port of a served name) or of an allowed origin."""
        return "*" in self.origins or origin.rstrip("/") in self.origins or hostname(origin) in self.hosts


class Guard:
    """Pure ASGI middleware (not ``@app.middleware``): only at this level can the request body be
    counted while it streams, before FastAPI or Gradio read it whole."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        ui_login: bool,
        body_limit: Callable[[str], int],
        shapes: Mapping[str, Shape] | None = None,
        served: Served | None = None,
    ) -> None:
        """``served``: the names to check Host and Origin against; None when a token guards."""
        self.app = app
        self.served = served
        self.token = token
        self.ui_login = ui_login
        self.body_limit = body_limit
        self.shapes = dict(shapes or {})

    def error(self, path: str, status: int, message: str, headers: dict[str, str]) -> JSONResponse:
        """The refusal in the shape of the route's protocol (``{"error": message}`` by default)."""
        shape = next((s for prefix, s in self.shapes.items() if path.startswith(prefix)), None)
        body = shape(status, message) if shape else {"error": message}
        return JSONResponse(body, status, headers)

    def refusal(self, path: str, headers: Headers) -> str | None:
        """Why this request may not pass, or None."""
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return None
        if path.startswith(PROGRAMMATIC):
            if self.token:
                return None if bearer_ok(headers.get("authorization"), self.token) else WRONG_TOKEN
            return API_NEEDS_TOKEN if self.ui_login else None
        if self.ui_login or not self.token:
            return None  # Gradio's login guards its pages and API; or no auth at all
        return None if bearer_ok(headers.get("authorization"), self.token) else BROWSER_NEEDS_LOGIN

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, headers = scope["path"], Headers(scope=scope)
        misdirected = self.served and self.served.refusal(scope["method"], headers)
        if misdirected:
            await self.error(path, *misdirected, {})(scope, receive, send)
            return
        problem = self.refusal(path, headers)
        if problem:
            await self.error(path, 401, problem, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        limit = self.body_limit(path)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self._too_large(path, int(length), limit)(scope, receive, send)
            return

        received = 0
        refused = False  # the 413 went out: what the app sends afterwards is dropped
        started = False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._too_large(path, None, limit)(scope, receive, send)
                    # the app sees a client that went away, and stops reading
                    return {"type": "http.disconnect"}
            return message

        async def sent(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, sent)

    def _too_large(self, path: str, size: int | None, limit: int) -> JSONResponse:
        said = f"{size:,} bytes" if size is not None else "more than that"
        message = f"request body too large ({said}; limit {limit:,} bytes)"
        # "Connection: close" makes the server drop the connection after the 413 instead of draining
        # the rest of the body to reach a next request on it
        return self.error(path, 413, message, {"Connection": "close"})
