"""Opening Chroma: an embedded PersistentClient in the store dir, or an HttpClient to a server."""

from __future__ import annotations

from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings
from assistant.errors import StoreError


def _chroma_settings() -> ChromaSettings:
    """A new object per client: chromadb's client constructors write into the settings they are
    given, so one shared instance turns a later embedded client into an HTTP one."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(settings: Settings) -> ClientAPI:
    """Connect to the configured store, turning every failure into a one-line StoreError."""
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise StoreError(
                f"ASSISTANT_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}"
            )
        timeout = httpx.Timeout(settings.store_timeout)
        try:
            # HttpClient's constructor already talks to the server with no timeout: a bounded
            # heartbeat first keeps a stalled server from hanging the start.
            httpx.get(f"{settings.chroma_url.rstrip('/')}/api/v2/heartbeat", timeout=timeout)
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=_chroma_settings(),
            )
            # chromadb 1.5.9 builds its httpx session with timeout=None and has no setting for it
            # (chromadb/api/fastapi.py), so the timeout is set on that session here.
            client._server._session.timeout = timeout  # type: ignore[attr-defined]
            client.heartbeat()
        except Exception as exc:  # chromadb raises several transport types; all mean "down"
            raise StoreError(
                f"Chroma server at {settings.chroma_url} is not reachable ({brief(exc)})"
            ) from exc
        return client
    try:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=_chroma_settings())
    except Exception as exc:
        raise StoreError(f"store at {settings.store_dir} can't be opened ({brief(exc)})") from exc


def brief(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
