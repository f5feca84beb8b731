"""``GET /healthz``: what load balancers poll."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api import Assistant


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    def healthz() -> dict:
        """Liveness: the model and store are loaded."""
        return {"status": "ok", "articles": len(assistant.articles())}

    return router
