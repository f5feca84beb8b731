"""Uploaded article files, shared by the HTTP API (web/articles.py) and the web chat (web/ui.py):
safe names, supported types, the upload-folder check, ingesting one file at a time, and the record
of what adding one file (or URL) did (``FileResult``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.api import Assistant
from assistant.errors import AssistantError, InputError
from assistant.ingest.read import SUPPORTED_SUFFIXES

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class FileResult:
    """What adding one uploaded file did."""

    file: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # reasons
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.failed and not (self.added or self.updated or self.skipped):
            return "failed"
        if self.added or self.updated:
            return "added"
        return "skipped" if self.skipped else "failed"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "notes": self.notes,
        }


def sanitize_filename(name: str) -> str:
    """A safe base name for an uploaded file: no folders, no '..', only [A-Za-z0-9._-]."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE_NAME.sub("_", stem).strip("._")[:80] or "upload"
    suffix = _UNSAFE_NAME.sub("", suffix)[:10]
    return f"{stem}.{suffix}" if suffix else stem


def check_suffix(name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(f"{name}: unsupported file type {suffix or '(none)'!r}; use {supported}")


def uploaded_path(raw: str, upload_folder: Path) -> Path:
    """The uploaded file ``raw`` names, only if it lies in ``upload_folder`` (symlinks followed).

    The path comes from the client. Gradio checks it too (web/app.py makes sure it does), but what
    is ingested is decided here, whatever a Gradio version does."""
    try:
        path = Path(raw).resolve()
        inside = path.is_relative_to(upload_folder.resolve()) and path.is_file()
    except (OSError, ValueError):  # a NUL byte, a loop of links
        inside = False
    if not inside:
        raise InputError(f"{Path(raw).name or raw} was not uploaded through this page")
    return path


def ingest_files(
    assistant: Assistant,
    files: Iterable[tuple[str, Path]],
    progress: Callable[[int, int, str], None] | None = None,
) -> list[FileResult]:
    """Ingest saved uploads one file at a time, so each gets its own report line.

    ``files`` holds (name shown to the user, saved path). ``progress(done, total, name)``.
    """
    files = list(files)
    results = []
    for n, (name, path) in enumerate(files):
        if progress:
            progress(n, len(files), name)
        result = FileResult(name)
        try:
            report = assistant.ingest([path])
        except AssistantError as exc:
            result.failed.append(str(exc))
        else:
            result.added, result.updated, result.skipped = report.added, report.updated, report.skipped
            result.failed = [reason for _, reason in report.failed]
            result.notes = [note for _, note in report.notes]
        results.append(result)
    if progress:
        progress(len(files), len(files), "")
    return results
