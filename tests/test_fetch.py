"""Fetch bounds and the address guard (ingest/fetch.py, the FetchPool of ingest/feeds.py), against
real HTTP servers on loopback: a server that trickles its response headers is cut off at the
fetch's deadline, the per-host limit counts every spelling of an address as one host, fetches held
by such servers leave the running app answering questions, and IPv6 forms of private IPv4
addresses are refused.

Deadlines are set far above what the work takes on any machine, and the assertions are on events
(the server saw the client hang up, the answer came while the fetches were still held), not on
how long things took."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.ingest.fetch import Fetcher, FetchError, address_allowed, allowed_networks, embedded_ipv4
from tests.newsserver import NewsServer
from tests.webapp import WebApp

PAGE = b"<html><head><title>Held</title></head><body><p>Short.</p></body></html>"
WAIT_S = 120  # for an event that takes well under a second


class TrickleServer:
    """An HTTP server on ``host`` that answers each request with a status line and then one
    header line every ``interval`` seconds, until ``release`` is set (or ``hold`` seconds have
    passed): then it ends the headers and sends a short page. It counts connections open at once
    and those the client hung up on while they still trickled."""

    def __init__(self, host: str = "127.0.0.1", interval: float = 0.2, hold: float | None = None) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self._interval, self._hold = interval, hold
        self.release = threading.Event()
        self._changed = threading.Condition()
        self.accepted = self.open = self.most_open = self.hung_up = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._sock.close()

    def wait_for(self, condition: Callable[[TrickleServer], bool]) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: condition(self), WAIT_S), vars(self)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed by __exit__
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _count(self, **deltas: int) -> None:
        with self._changed:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)
            self.most_open = max(self.most_open, self.open)
            self._changed.notify_all()

    def _answer(self, conn: socket.socket) -> None:
        self._count(accepted=1, open=1)
        until = None if self._hold is None else time.monotonic() + self._hold
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            line = 0
            while not self.release.is_set() and (until is None or time.monotonic() < until):
                conn.sendall(f"X-Trickle-{line}: still coming\r\n".encode())
                line += 1
                self.release.wait(self._interval)
            conn.sendall(
                b"Content-Type: text/html\r\nConnection: close\r\n"
                + f"Content-Length: {len(PAGE)}\r\n\r\n".encode()
                + PAGE
            )
        except OSError:  # the client hung up mid-headers
            self._count(hung_up=1)
        finally:
            conn.close()
            self._count(open=-1)


def fetcher(**overrides) -> Fetcher:
    return Fetcher(Settings.from_env(env={"ASSISTANT_FETCH_ALLOW_PRIVATE": "1"}, **overrides))


# ----- one deadline per fetch ---------------------------------------------------------------------


def test_headers_sent_a_line_at_a_time_are_cut_off_at_the_deadline():
    # Each header line comes well within any read timeout; only a deadline on the whole fetch ends it.
    with TrickleServer(interval=0.2) as server:
        failed: list[str] = []

        def fetch() -> None:
            try:
                fetcher(fetch_timeout=3.0).get(f"http://127.0.0.1:{server.port}/slow")
            except FetchError as exc:
                failed.append(str(exc))

        thread = threading.Thread(target=fetch, daemon=True)
        thread.start()
        thread.join(WAIT_S)  # the server would trickle until the test ends
        assert not thread.is_alive(), "the fetch was still running after the server kept trickling"
        assert failed and failed[0].startswith("timed out after 3 s"), failed
        server.wait_for(lambda s: s.hung_up == 1)  # the client closed it; the server never stopped


def test_a_normal_fetch_through_the_deadline_backend_still_works():
    with NewsServer() as site:
        site.set("/page.html", "<html><body><p>Hello.</p></body></html>")
        client = fetcher(fetch_timeout=60.0)
        for _ in range(3):  # the second and third reuse the kept-alive connection
            page = client.get(site.url("/page.html"))
            assert page.status == 200 and b"Hello." in page.body
        assert site.hits["/page.html"] == 3


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_every_spelling_of_one_ipv6_address_shares_its_per_host_limit():
    # Each answer is held half a second: fetches keyed apart would overlap on the server.
    with TrickleServer(host="::1", hold=0.5) as server:
        client = fetcher(fetch_timeout=60.0, fetch_per_host=1)
        urls = [f"http://[{spelling}]:{server.port}/" for spelling in ("::1", "0::1", "::0:1")]
        with ThreadPoolExecutor(3) as pool:
            pages = list(pool.map(client.get, urls))
        assert [p.body for p in pages] == [PAGE] * 3
        assert server.accepted == 3 and server.most_open == 1


# ----- fetches held by slow servers leave the app answering ------------------------------------


@pytest.mark.server
@pytest.mark.model
def test_fetches_held_by_a_trickling_server_do_not_starve_asks():
    jobs = 4  # ASSISTANT_FETCH_JOBS: 4 running, 4 waiting, the rest refused as busy
    env = {
        "ASSISTANT_FETCH_ALLOW_PRIVATE": "1",
        "ASSISTANT_FETCH_TIMEOUT": "600",  # the fetches stay held until the test releases them
        "ASSISTANT_FETCH_JOBS": str(jobs),
        "ASSISTANT_SYNC_MINUTES": "0",
    }
    with TrickleServer() as server:
        app = WebApp(env=env).start()
        try:
            with httpx.Client(base_url=app.url, timeout=WAIT_S) as client, ThreadPoolExecutor(44) as pool:
                url = f"http://127.0.0.1:{server.port}/held"
                posts = [
                    pool.submit(client.post, "/api/sources", json={"urls": [f"{url}{n}"]}) for n in range(44)
                ]
                server.wait_for(lambda s: s.open == jobs)  # every fetch thread held by the server
                busy = [f for f in posts if f.done()]
                deadline = time.monotonic() + WAIT_S
                while len(busy) < 44 - 2 * jobs and time.monotonic() < deadline:
                    time.sleep(0.1)
                    busy = [f for f in posts if f.done()]
                assert len(busy) == 44 - 2 * jobs
                for done in busy:
                    assert done.result().status_code == 200
                    [line] = done.result().json()["failed"]
                    assert line["reason"].startswith("busy: 8 fetch jobs are running or waiting")

                asked = client.post("/api/ask", json={"question": "Who carried out the air strikes?"})
                listed = client.get("/api/articles")
                assert asked.status_code == 200 and listed.status_code == 200, (asked.text, listed.text)
                assert server.open == jobs and not server.release.is_set()  # answered while held

                server.release.set()
                held = [f.result() for f in posts if f not in busy]
            assert len(held) == 2 * jobs and all(r.status_code == 200 for r in held)
            assert server.accepted == 2 * jobs and server.hung_up == 0
        finally:
            app.stop()


# ----- IPv6 forms of private IPv4 addresses -------------------------------------------------------

LOOPBACK_FORMS = {
    "::ffff:127.0.0.1": "IPv4-mapped",
    "::127.0.0.1": "IPv4-compatible",
    "64:ff9b::7f00:1": "NAT64",
    "64:ff9b:1::7f00:1": "local-use NAT64, /96 layout",
    "64:ff9b:1:0:7f:0:100:0": "local-use NAT64, /64 layout",
    "2002:7f00:1::": "6to4",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "Teredo (client 127.0.0.1, bits inverted)",
}


@pytest.mark.parametrize("form", LOOPBACK_FORMS, ids=LOOPBACK_FORMS.values())
def test_ipv6_forms_of_loopback_carry_127_0_0_1_and_are_refused(form):
    address = ipaddress.ip_address(form)
    assert ipaddress.ip_address("127.0.0.1") in embedded_ipv4(address)
    assert not address_allowed(address, allowed_networks(()))
    # judged as its IPv4 address; a local-use NAT64 one has other readings, not allowed by this
    local_use = address in ipaddress.ip_network("64:ff9b:1::/48")
    assert address_allowed(address, allowed_networks(("127.0.0.0/8",))) != local_use
    assert address_allowed(address, allowed_networks(("1",)))


@pytest.mark.parametrize(
    ("form", "inside"),
    [
        ("64:ff9b::808:808", "8.8.8.8"),
        ("2002:808:808::", "8.8.8.8"),
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "8.8.8.8"),
    ],
)
def test_ipv6_forms_of_a_public_ipv4_address_are_allowed(form, inside):
    address = ipaddress.ip_address(form)
    assert embedded_ipv4(address) == [ipaddress.ip_address(inside)]
    assert address_allowed(address, allowed_networks(()))


@pytest.mark.parametrize("form", ["::1", "::", "2606:4700:4700::1111", "fe80::1", "fd00::1"])
def test_plain_ipv6_addresses_carry_no_ipv4_and_keep_their_own_verdict(form):
    address = ipaddress.ip_address(form)
    assert embedded_ipv4(address) == []
    assert address_allowed(address, allowed_networks(())) == (form == "2606:4700:4700::1111")


def test_a_local_use_nat64_prefix_can_be_allowed_as_itself():
    address = ipaddress.ip_address("64:ff9b:1::808:808")
    assert not address_allowed(address, allowed_networks(()))  # one reading is 0.0.0.0
    assert address_allowed(address, allowed_networks(("64:ff9b:1::/48",)))


@pytest.mark.model
@pytest.mark.parametrize("form", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"])
def test_fetching_an_ipv6_form_of_loopback_is_refused_before_connecting(form, tmp_path):
    assistant = Assistant(store_dir=tmp_path / "store", settings=Settings.from_env(env={}))
    url = f"http://[{form}]:8080/feed.xml"
    report = assistant.ingest([url])
    [(origin, reason)] = report.failed
    assert origin == url and "private or reserved address" in reason and "refused" in reason


def test_an_ipv4_mapped_url_is_fetched_when_its_ipv4_address_is_allowed():
    with NewsServer() as site:
        site.set("/page.html", "<html><body><p>Mapped.</p></body></html>")
        allowed = Fetcher(Settings.from_env(env={"ASSISTANT_FETCH_ALLOW_PRIVATE": "127.0.0.1/32"}))
        page = allowed.get(f"http://[::ffff:127.0.0.1]:{site.port}/page.html")
        assert b"Mapped." in page.body
        with pytest.raises(FetchError, match="private or reserved address"):
            Fetcher(Settings.from_env(env={})).get(f"http://[::ffff:127.0.0.1]:{site.port}/page.html")
