"""``GET /healthz``: what load balancers poll, so it must answer even while the store stalls."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future, ThreadPoolExecutor

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.api import Assistant
from assistant.errors import AssistantError


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(tags=["health"])
    timeout = assistant.settings.store_timeout
    # The article count runs on a thread of its own, never a request worker, and is awaited at most
    # ASSISTANT_STORE_TIMEOUT: /healthz answers while the store stalls or every worker is busy.
    # Concurrent polls share the one check in flight instead of piling up threads on a dead store.
    health_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
    health_check: list[tuple[Future, float]] = []  # the check in flight and when it began

    @router.get("/healthz", responses={503: {"description": "the store does not answer"}})
    async def healthz() -> JSONResponse:
        """Liveness and store reachability, answered within ASSISTANT_STORE_TIMEOUT."""
        if not health_check or health_check[0][0].done():
            health_check[:] = [(health_thread.submit(assistant.count), time.monotonic())]
        check, began = health_check[0]
        left = max(0.0, began + timeout - time.monotonic())
        try:
            count = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(check)), left)
        except TimeoutError:
            problem = f"the store did not answer within {timeout:g} s"
        except AssistantError as exc:
            problem = str(exc)
        else:
            return JSONResponse({"status": "ok", "articles": count})
        return JSONResponse({"status": "unavailable", "error": problem}, status_code=503)

    return router
