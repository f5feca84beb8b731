"""One HTTP client for every fetch of a feed or an article page: polite and safe by default.

Polite: a User-Agent naming the assistant, a timeout on the whole request, a size limit counted
while the body streams in (decompressed bytes, so a gzip bomb stops early too), at most
``fetch_per_host`` requests in flight to one host, and conditional GETs (ETag / Last-Modified).

Safe: only http and https, and no private, loopback, link-local, reserved or multicast address
unless ``ASSISTANT_FETCH_ALLOW_PRIVATE`` allows it (SSRF). Redirects are followed here, hop by hop,
rather than by httpx, so every hop's host is resolved and checked; each request then connects to
the address that was checked (the URL carries the IP, the Host header and TLS SNI the name), so a
second DNS answer can't swap in a private address between the check and the connect (rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from assistant.config import Settings
from assistant.ingest.read import decode

USER_AGENT = "NewsAssistant/0.1 (feed reader of a news question-answering assistant)"
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A URL that can't be had; the message is one line for the ingest or sync report."""


@dataclass(frozen=True)
class Page:
    """A fetched resource. ``status`` 304: unchanged since the validators sent (``body`` empty)."""

    url: str  # after redirects
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    def text(self) -> str:
        """The body decoded (UTF-8, else the detected charset); ReadError when it is binary."""
        return decode(self.body)


class Fetcher:
    """Thread-safe: one instance (and one connection pool) serves a whole sync's worker threads."""

    def __init__(self, settings: Settings) -> None:
        self._timeout = settings.fetch_timeout
        self._max_bytes = int(settings.max_file_mb * 1_000_000)
        self._per_host = max(1, settings.fetch_per_host)
        self._allowed = allowed_networks(settings.fetch_allow_private)
        # trust_env=False: a proxy from the environment would receive the pinned IP URLs.
        self._client = httpx.Client(
            timeout=settings.fetch_timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
        )
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Page:
        """GET ``url``, following up to MAX_REDIRECTS redirects; FetchError says why it failed."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self._timeout
        for _ in range(MAX_REDIRECTS + 1):
            target = _parse(url)
            address = self._resolve(target)
            name = target.raw_host.decode("ascii")  # IDNA-encoded: what DNS, Host and SNI carry
            pinned = target.copy_with(host=str(address))
            try:
                with (
                    self._slot(name),
                    self._client.stream(
                        "GET",
                        pinned,
                        headers={**headers, "Host": target.netloc.decode("ascii")},
                        extensions={"sni_hostname": name},
                    ) as response,
                ):
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code == 304:
                        return self._page(url, response, b"")
                    if response.status_code >= 400:
                        raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                    return self._page(url, response, self._read(response, deadline))
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self._timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(_transport_problem(exc)) from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _resolve(self, target: httpx.URL) -> _Address:
        """The host's first address, after checking all of them: a name resolving to a public
        and a private address is refused, since the connect could reach either."""
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(target.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
            raise FetchError(f"can't resolve host {target.host!r} (DNS: {reason})") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for address in addresses:
            if not self._may_connect(address):
                raise FetchError(
                    f"{target.host} resolves to the private or reserved address {address}; refused "
                    "(set ASSISTANT_FETCH_ALLOW_PRIVATE=1 to allow intranet addresses)"
                )
        return addresses[0]

    def _may_connect(self, address: _Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_global and not address.is_multicast:
            return True
        return self._allowed is None or any(address in net for net in self._allowed)

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        with self._slots_lock:
            slot = self._slots.setdefault(host, threading.BoundedSemaphore(self._per_host))
        with slot:
            yield

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        limit = f"over the {self._max_bytes / 1e6:g} MB size limit (ASSISTANT_MAX_FILE_MB)"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(f"{int(declared) / 1e6:.1f} MB, {limit}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise FetchError(limit)
            if time.monotonic() > deadline:  # httpx's timeout is per read; this one is per request
                raise FetchError(f"timed out after {self._timeout:g} s")
        return bytes(body)

    @staticmethod
    def _page(url: str, response: httpx.Response, body: bytes) -> Page:
        return Page(
            url=url,
            status=response.status_code,
            body=body,
            content_type=response.headers.get("content-type", ""),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )


def allowed_networks(
    values: tuple[str, ...],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """``ASSISTANT_FETCH_ALLOW_PRIVATE`` -> None (every address allowed) or allowed networks."""
    if any(v.lower() in {"1", "true", "yes", "on"} for v in values):
        return None
    try:
        return [ipaddress.ip_network(v, strict=False) for v in values if v.lower() not in {"0", "false"}]
    except ValueError as exc:
        raise ValueError(f"ASSISTANT_FETCH_ALLOW_PRIVATE: {exc}") from None


def is_url(value: object) -> bool:
    """A string naming a resource by scheme (http://, ftp://, ...), as opposed to a file path."""
    return isinstance(value, str) and "://" in value and value.split("://", 1)[0].isalpha()


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"not a valid URL ({exc})") from None
    if parsed.scheme not in {"http", "https"}:
        raise FetchError(f"only http and https URLs can be fetched, not {parsed.scheme or 'none'}:")
    if not parsed.host:
        raise FetchError("the URL names no host")
    return parsed


def _transport_problem(exc: httpx.HTTPError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return f"TLS error ({getattr(cause, 'reason', None) or cause})"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"connection failed ({text[:200]})"
