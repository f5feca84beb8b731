"""``/api/articles``: list, read, upload and delete articles."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import Assistant
from assistant.errors import InputError
from assistant.web.models import ERRORS
from assistant.web.uploads import check_suffix, ingest_files, sanitize_filename


def router(assistant: Assistant) -> APIRouter:
    router = APIRouter(prefix="/api/articles", tags=["articles"])
    max_file_bytes = int(assistant.settings.max_file_mb * 1024 * 1024)

    @router.get("")
    def list_articles() -> list[dict]:
        """The loaded articles (without their text)."""
        return [a.to_dict(with_text=False) for a in assistant.articles()]

    @router.get("/{article_id}", responses=ERRORS)
    def get_article(article_id: str) -> dict:
        """One article, with its clean text."""
        try:
            return assistant.article(article_id).to_dict()
        except InputError as exc:
            raise StarletteHTTPException(404, str(exc)) from None

    @router.post("", responses=ERRORS)
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
                            too_big = (
                                f"{f.filename} is larger than the {assistant.settings.max_file_mb:g} MB limit"
                            )
                            return JSONResponse({"error": too_big}, status_code=413)
                        out.write(chunk)
                saved.append((f.filename or target.name, target))
            results = await run_in_threadpool(ingest_files, assistant, saved)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        total = {k: [i for r in results for i in getattr(r, k)] for k in ("added", "updated", "skipped")}
        return {"files": [r.to_dict() for r in results], **total}

    @router.delete("/{article_id}", responses=ERRORS)
    def delete_article(article_id: str) -> dict:
        """Delete an article and its chunks."""
        try:
            assistant.delete(article_id)
        except InputError as exc:
            raise StarletteHTTPException(404, str(exc)) from None
        return {"deleted": article_id}

    return router
