"""The one bearer token (``ASSISTANT_API_TOKEN``) that every programmatic surface of the app checks:
/api/*, the OpenAI-compatible /v1/* and the MCP endpoint /mcp.

Kept apart from web/app.py so each router (and the MCP mount, which is plain ASGI) uses the same
check; ``create_app`` puts the settings on ``app.state.settings``.
"""

from __future__ import annotations

import secrets

from fastapi import Request
from starlette.exceptions import HTTPException


def require_token(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries ``Authorization: Bearer <token>``
    (nothing to check while no token is set)."""
    expected = request.app.state.settings.api_token
    if not expected:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    # bytes: compare_digest refuses str with non-ASCII characters (a 500 instead of a 401)
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
