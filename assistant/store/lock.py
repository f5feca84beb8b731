"""One writer process per embedded store: an OS file lock on ``<store>/writer.lock``.

Chroma's embedded store is not process-safe: each process keeps its own in-memory vector index
(HNSW) and writes it back whole, so two writing processes overwrite each other's vectors, and a
process that did not make a write never loads it. The writer (the web app for its whole life, or
an ``assistant ingest``) holds this lock until it exits; readers (``assistant ask``) take none.

Hand-written on ``fcntl.flock`` rather than the ``filelock`` package: the refusal must name the
holder (pid, command), which the holder writes into the lock file while it holds it, and a
bounded wait is a short poll loop. The OS drops the lock when the holder dies, even on kill -9.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import StoreLockedError

# One open lock per store per process: flock conflicts between two descriptors even in one process,
# and stores opened twice in one process share Chroma's in-memory state, so they share the lock too.
_HELD: dict[Path, int] = {}
# The other way to write while a process holds the lock, whatever is written.
SHARED_STORE = "share the store through a Chroma server (ASSISTANT_CHROMA_URL)"


def hold_writer_lock(store_dir: Path, wait: float) -> None:
    """Become the store's writer, waiting up to ``wait`` seconds; StoreLockedError names the holder."""
    path = (store_dir / "writer.lock").resolve()
    if path in _HELD:
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                os.close(fd)
                raise _refusal(store_dir, holder, wait) from None
            time.sleep(0.2)
    record = {
        "pid": os.getpid(),
        "command": " ".join(sys.argv)[:200],
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    _HELD[path] = fd


def _read_holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:  # the holder is between truncating and writing its record
        return {}


def _refusal(store_dir: Path, holder: dict, wait: float) -> StoreLockedError:
    who = f"pid {holder.get('pid', '?')} ({holder.get('command') or 'unknown command'})"
    if holder.get("since"):
        who += f", since {holder['since']}"
    return StoreLockedError(
        f"store at {store_dir} is held by another writer: {who}; waited {wait:g} s",
        f"Add articles through the running app's upload API (POST /api/articles), or {SHARED_STORE}",
    )
