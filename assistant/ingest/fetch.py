"""One HTTP client for every fetch of a feed or an article page, and every webhook a watch posts
(ingest/notify.py): polite and safe by default.

Polite: a User-Agent naming the assistant, a size limit counted while the body streams in
(decompressed bytes, so a gzip bomb stops early too), at most ``fetch_per_host`` requests in flight
to one host (keyed by its address, so ``[::1]`` and ``[0::1]`` are one host), and conditional GETs
(ETag / Last-Modified).

Bounded: one deadline per fetch, ``fetch_timeout`` seconds from the first connect to the last byte,
redirects included. httpx's own timeouts are per socket operation, so a server sending its headers
a line at a time, each within the read timeout, could hold a fetch forever; here every connect,
TLS handshake, read and write of the fetch's socket waits at most what is left of its deadline
(``_DeadlineBackend``), and one past the deadline fails at once.

Safe: only http and https, and no private, loopback, link-local, reserved or multicast address
unless ``ASSISTANT_FETCH_ALLOW_PRIVATE`` allows it (SSRF). Redirects are followed here, hop by hop,
rather than by httpx, so every hop's host is resolved and checked; each request then connects to
the address that was checked (the URL carries the IP, the Host header and TLS SNI the name), so a
second DNS answer can't swap in a private address between the check and the connect (rebinding).
An IPv6 address that carries an IPv4 one (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is
judged by the IPv4 address inside: ``[64:ff9b::7f00:1]`` is 127.0.0.1 (``embedded_ipv4``).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from assistant.config import Settings
from assistant.ingest.read import decode

USER_AGENT = "NewsAssistant/0.1 (feed reader of a news question-answering assistant)"
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# When the fetch running in this thread must be done (time.monotonic()); None outside a fetch.
_deadline: ContextVar[float | None] = ContextVar("fetch_deadline", default=None)


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
        transport = httpx.HTTPTransport(trust_env=False)
        # httpx has no public way to give its connection pool a network backend; this pool is the
        # one HTTPTransport makes (HTTP/1.1, no proxy) but with every socket wait deadline-bounded.
        transport._pool = httpcore.ConnectionPool(  # noqa: SLF001
            ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=_DeadlineBackend()
        )
        # trust_env=False: a proxy from the environment would receive the pinned IP URLs.
        self._client = httpx.Client(
            transport=transport,
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
        """GET ``url``, following up to MAX_REDIRECTS redirects, all within one deadline of
        ``fetch_timeout`` seconds; FetchError says why it failed."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with self._fetch():
            for _ in range(MAX_REDIRECTS + 1):
                with self._exchange("GET", url, headers) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code == 304:
                        return self._page(url, response, b"")
                    if response.status_code >= 400:
                        raise FetchError(_status(response))
                    return self._page(url, response, self._read(response))
            raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def post(self, url: str, body: bytes, content_type: str) -> int:
        """POST ``body`` to ``url`` (a webhook) under the same guard and deadline as a GET; its
        HTTP status. A redirect is a FetchError, not followed: the body would go to an address
        the caller never named."""
        with self._fetch(), self._exchange("POST", url, {"Content-Type": content_type}, body) as response:
            if response.status_code >= 300:
                raise FetchError(_status(response))
            return response.status_code

    @contextmanager
    def _fetch(self) -> Iterator[None]:
        """One fetch: its deadline (set by ``_exchange`` once a slot is had), httpx's failures
        as FetchError lines."""
        token = _deadline.set(None)
        try:
            yield
        except httpx.TimeoutException:
            raise FetchError(
                f"timed out after {self._timeout:g} s (ASSISTANT_FETCH_TIMEOUT, for the whole request)"
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(_transport_problem(exc)) from None
        finally:
            _deadline.reset(token)

    @contextmanager
    def _exchange(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None = None
    ) -> Iterator[httpx.Response]:
        """One request of a fetch, to the checked address of ``url``'s host (pinned), in one of
        the host's slots."""
        target = _parse(url)
        address = self._resolve(target)
        name = target.raw_host.decode("ascii")  # IDNA-encoded: what DNS, Host and SNI carry
        pinned = target.copy_with(host=str(address))
        with self._slot(address):
            # The clock starts once a slot is had: waiting behind this host's other fetches is
            # not the server being slow.
            if _deadline.get() is None:
                _deadline.set(time.monotonic() + self._timeout)
            with self._client.stream(
                method,
                pinned,
                headers={**headers, "Host": target.netloc.decode("ascii")},
                content=body,
                extensions={"sni_hostname": name},
            ) as response:
                yield response

    def _resolve(self, target: httpx.URL) -> _Address:
        """The host's first address, after checking all of them: a name resolving to a public
        and a private address is refused, since the connect could reach either."""
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(target.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
            raise FetchError(f"can't resolve host {target.host!r} (DNS: {reason})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        for address in addresses:
            if not address_allowed(address, self._allowed):
                raise FetchError(
                    f"{target.host} resolves to the private or reserved address {address}; refused "
                    "(set ASSISTANT_FETCH_ALLOW_PRIVATE=1 to allow intranet addresses)"
                )
        return addresses[0]

    @contextmanager
    def _slot(self, address: _Address) -> Iterator[None]:
        """One of the ``fetch_per_host`` slots of the host at ``address``: keyed by the address,
        which ``ipaddress`` writes one way however the URL spelled it, and by the IPv4 address
        inside an IPv6 form of one, since that is the host the request reaches."""
        key = str(next(iter(embedded_ipv4(address)), address))
        with self._slots_lock:
            slot = self._slots.setdefault(key, threading.BoundedSemaphore(self._per_host))
        with slot:
            yield

    def _read(self, response: httpx.Response) -> bytes:
        limit = f"over the {self._max_bytes / 1e6:g} MB size limit (ASSISTANT_MAX_FILE_MB)"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(f"{int(declared) / 1e6:.1f} MB, {limit}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise FetchError(limit)
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


def allowed_networks(values: tuple[str, ...]) -> list[_Network] | None:
    """``ASSISTANT_FETCH_ALLOW_PRIVATE`` -> None (every address allowed) or allowed networks."""
    if any(v.lower() in {"1", "true", "yes", "on"} for v in values):
        return None
    try:
        return [ipaddress.ip_network(v, strict=False) for v in values if v.lower() not in {"0", "false"}]
    except ValueError as exc:
        raise ValueError(f"ASSISTANT_FETCH_ALLOW_PRIVATE: {exc}") from None


def address_allowed(address: _Address, allowed: Iterable[_Network] | None) -> bool:
    """Whether a fetch may connect to ``address``: one in ``allowed`` (None: any), else a global
    unicast address. An IPv6 address carrying IPv4 ones is judged by those: each must pass."""
    if allowed is None or any(address in net for net in allowed):
        return True
    inner = embedded_ipv4(address)
    if inner:
        return all(address_allowed(ipv4, allowed) for ipv4 in inner)
    return address.is_global and not address.is_multicast


_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix
# Where RFC 6052 puts the IPv4 address for each prefix length a local-use NAT64 may choose within
# 64:ff9b:1::/48: bit ranges (counted from the left) of its first and, past the reserved bits
# 64-71, its second part.
_NAT64_LAYOUTS = {48: ((48, 64), (72, 88)), 56: ((56, 64), (72, 96)), 64: ((72, 104), None)}


def embedded_ipv4(address: _Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for, which is what a connect to it reaches:
    IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
    ``2002::/16`` (bits 16-47) and Teredo ``2001::/32`` (the client: the low 32 bits inverted).
    In ``64:ff9b:1::/48`` the operator picks the prefix length (and may ignore the suffix bits),
    so every RFC 6052 reading is returned and each must pass; an intranet that uses one allows its
    prefix with ASSISTANT_FETCH_ALLOW_PRIVATE. Empty for any other address (``::`` and ``::1`` included)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    value = int(address)
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address in _IPV4_COMPATIBLE:
        return [] if value <= 1 else [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    if address in _NAT64:
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    if address in _NAT64_LOCAL:
        readings = [ipaddress.IPv4Address(value & 0xFFFFFFFF)]  # a /96 prefix
        for first, second in _NAT64_LAYOUTS.values():
            bits = _bits(value, *first)
            if second:
                bits = bits << (second[1] - second[0]) | _bits(value, *second)
            readings.append(ipaddress.IPv4Address(bits))
        return list(dict.fromkeys(readings))
    if address.sixtofour:
        return [address.sixtofour]
    if address.teredo:
        return [address.teredo[1]]
    return []


def _bits(value: int, start: int, end: int) -> int:
    """Bits ``start`` to ``end`` (exclusive, counted from the left) of a 128-bit ``value``."""
    return (value >> (128 - end)) & ((1 << (end - start)) - 1)


def is_url(value: object) -> bool:
    """A string naming a resource by scheme (http://, ftp://, ...), as opposed to a file path."""
    return isinstance(value, str) and "://" in value and value.split("://", 1)[0].isalpha()


def is_web_url(value: str) -> bool:
    """An http(s) URL naming a host: what a request may name to be fetched or posted to (its
    address is checked when it is, since a name can resolve elsewhere by then)."""
    try:
        parts = urlsplit(value)
        named = bool(parts.hostname)
    except ValueError:  # a malformed [IPv6] host or port
        return False
    return named and is_url(value) and parts.scheme.lower() in {"http", "https"}


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


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _transport_problem(exc: httpx.HTTPError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return f"TLS error ({getattr(cause, 'reason', None) or cause})"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"connection failed ({text[:200]})"


def _bounded(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` cut to what is left of this thread's fetch deadline; ``expired`` once it passed."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the fetch's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every wait ends by the deadline of the fetch using it (a kept-alive
    connection serves several fetches, so the deadline is read at each call, not at connect)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's blocking sockets, each wrapped in a _DeadlineStream."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))
