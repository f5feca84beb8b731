"""Hostile requests against the real app (``python app.py``) on a free loopback port: Gradio's own
endpoints under the one auth policy, server files through the add-articles endpoint, chunked bodies
over the limits, lone surrogates. Each probe is a request from issue 9 or 20, sent as a client would."""

from __future__ import annotations

import json
import secrets
import uuid

import httpx
import pytest
from starlette.datastructures import Headers

from assistant.web.guard import BROWSER_NEEDS_LOGIN, Guard, Served
from tests.conftest import API_TOKEN, LOGIN
from tests.webapp import WebApp

SINAI = "How many died in the Sinai crash?"
TOKEN = API_TOKEN  # the session's api_app has it; login_app too (tests/conftest.py)
SERVER_FILE = "/usr/lib/python3.11/LICENSE.txt"  # any readable file outside the upload folder
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def file_data(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def gradio_call(client: httpx.Client, prefix: str, api_name: str, data: list) -> tuple[str, object]:
    """Gradio's two-step HTTP call: POST the inputs, then read the result's server-sent events.
    Returns (last event name, its data); raises for a refused POST."""
    posted = client.post(f"{prefix}/gradio_api/call/{api_name}", json={"data": data})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    text = client.get(f"{prefix}/gradio_api/call/{api_name}/{event_id}", timeout=120).text
    blocks = [b for b in text.split("\n\n") if b.strip()]
    fields = dict(line.split(": ", 1) for line in blocks[-1].splitlines())
    return fields["event"], json.loads(fields["data"])


@pytest.fixture(scope="module")
def token_app(api_app):
    """The session's app with the token and no UI login, and a 1 MB file limit (tests/conftest.py)."""
    assert api_app.env["ASSISTANT_MAX_FILE_MB"] == "1" and "ASSISTANT_UI_AUTH" not in api_app.env
    return api_app


@pytest.fixture
def bearer(token_app):
    with httpx.Client(base_url=token_app.url, headers=BEARER, timeout=60) as client:
        yield client


@pytest.fixture
def logged_in(login_app):
    """A client holding Gradio's login cookie for / (as a browser does after the login page)."""
    with httpx.Client(base_url=login_app.url, timeout=60) as client:
        response = client.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]})
        assert response.status_code == 200, response.text
        yield client


def article_count(app: WebApp) -> int:
    return len(httpx.get(f"{app.url}/api/articles", headers=BEARER).json())


# ---------------------------------------------------------------------- 1. the auth policy


# The requests of the issue (and Gradio's other data routes), sent without credentials.
GRADIO_PROBES = [
    ("POST", "/gradio_api/call/ask", {"data": [SINAI, [], [], "All sources", "", ""]}),
    ("POST", "/widget/gradio_api/call/answer", {"data": [SINAI, []]}),
    ("POST", "/gradio_api/call/delete_article", {"data": [None]}),
    ("POST", "/gradio_api/call/add_articles", {"data": [[file_data(SERVER_FILE)]]}),
    ("POST", "/gradio_api/queue/join", {"data": [SINAI], "fn_index": 0, "session_hash": "x"}),
    ("POST", "/gradio_api/upload", None),
    ("GET", f"/gradio_api/file={SERVER_FILE}", None),
    ("GET", "/config", None),
    ("GET", "/widget/config", None),
    ("GET", "/gradio_api/info", None),
]


@pytest.mark.parametrize(("method", "path", "body"), GRADIO_PROBES)
def test_gradio_routes_need_the_token(token_app, method, path, body):
    before = article_count(token_app)
    files = {"files": ("a.txt", b"hello", "text/plain")} if path.endswith("/upload") else None
    response = httpx.request(method, f"{token_app.url}{path}", json=body, files=files, timeout=30)
    assert response.status_code == 401, (path, response.text)
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = httpx.request(method, f"{token_app.url}{path}", json=body, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401
    assert article_count(token_app) == before


# ------------------------------------- 1. every endpoint and route, found in the app itself


def gradio_endpoints(app: WebApp) -> list[tuple[str, dict]]:
    """Every event handler of both Blocks (/ and /widget/) as the running app's config lists them
    (read with the token): a button's, a box's, a timer's or ``gr.api``'s, named or not
    (``api_name=False`` is listed as "false", "false_1"... and private), as (prefix, dependency).
    A handler added later is found here without being listed by hand."""
    found = []
    for prefix in ("", "/widget"):
        config = httpx.get(f"{app.url}{prefix}/config", headers=BEARER, timeout=60).json()
        found += [(prefix, d) for d in config["dependencies"] if d["backend_fn"]]
    return found


def endpoint_probes(prefix: str, dependency: dict) -> list[tuple[str, dict]]:
    """How a client triggers ``dependency``: the queue as the page does (by its index, with its
    trigger) and the two-step call by its name, each with one empty input per input."""
    data = [None] * len(dependency["inputs"])
    trigger = dependency["targets"][0][0] if dependency["targets"] else None
    join = {"data": data, "fn_index": dependency["id"], "trigger_id": trigger, "session_hash": "probe"}
    return [
        (f"{prefix}/gradio_api/queue/join", join),
        (f"{prefix}/gradio_api/call/{dependency['api_name']}", {"data": data}),
    ]


def test_discovery_finds_every_kind_of_gradio_endpoint(token_app):
    """The probes below are only as good as the discovery: it finds the named endpoints of every
    tab (the Watches tab's too), the widget's ``gr.api``, the chat's hidden Timeline button
    (api_name=False) and the badge's timer."""
    endpoints = gradio_endpoints(token_app)
    names = {(prefix, d["api_name"]) for prefix, d in endpoints}
    named = {"ask", "clear", "add_articles", "delete_article", "add_source", "sync_feeds", "unfollow_feed"}
    assert {("", n) for n in named | {"watch_add", "watch_remove", "watch_seen"}} <= names
    assert ("/widget", "answer") in names
    config = httpx.get(f"{token_app.url}/config", headers=BEARER, timeout=60).json()
    ids = {c["props"].get("elem_id"): c["id"] for c in config["components"]}
    targets = {tuple(t) for prefix, d in endpoints if prefix == "" for t in d["targets"]}
    assert (ids["timeline-show"], "click") in targets
    assert any(event == "tick" for _, event in targets)


def test_every_gradio_endpoint_needs_the_token(token_app):
    before = article_count(token_app), len(watch_list(token_app))
    for prefix, dependency in gradio_endpoints(token_app):
        for path, body in endpoint_probes(prefix, dependency):
            for headers in ({}, {"Authorization": "Bearer x"}):
                response = httpx.post(f"{token_app.url}{path}", json=body, headers=headers, timeout=30)
                assert response.status_code == 401, (path, dependency["api_name"], response.text)
                assert response.headers["www-authenticate"] == "Bearer"
    assert (article_count(token_app), len(watch_list(token_app))) == before


def test_every_gradio_endpoint_needs_the_ui_login(token_app, login_app):
    """The same Blocks behind a UI login (the handlers are found on the token app: same code)."""
    before = len(watch_list(login_app))
    for prefix, dependency in gradio_endpoints(token_app):
        for path, body in endpoint_probes(prefix, dependency):
            response = httpx.post(f"{login_app.url}{path}", json=body, timeout=30)
            assert response.status_code in {401, 403}, (path, dependency["api_name"], response.text)
    assert len(watch_list(login_app)) == before


def watch_list(app: WebApp) -> list[dict]:
    return httpx.get(f"{app.url}/api/watches", headers=BEARER, timeout=30).json()["watches"]


def test_every_http_route_needs_the_token(token_app):
    """Every route of the API's own schema (/api/*, /v1/*, the reader: the watches' too) and /mcp,
    by every method it takes, refuses a request without the token or with a wrong one; only the
    open paths (liveness, the docs) answer."""
    from assistant.web.guard import OPEN_PATHS

    spec = httpx.get(f"{token_app.url}/openapi.json", timeout=30).json()
    routes = [(m.upper(), path) for path, methods in spec["paths"].items() for m in methods]
    routes.append(("POST", "/mcp"))
    assert {("GET", "/api/watches"), ("POST", "/api/watches/changes/seen")} <= set(routes)
    before = article_count(token_app), len(watch_list(token_app))
    for method, template in routes:
        path = template.replace("{", "").replace("}", "")  # a path parameter as its own name
        for headers in ({}, {"Authorization": "Bearer x"}):
            response = httpx.request(method, f"{token_app.url}{path}", json={}, headers=headers, timeout=30)
            expected = 200 if template in OPEN_PATHS else 401
            assert response.status_code == expected, (method, template, response.text)
    assert (article_count(token_app), len(watch_list(token_app))) == before


def test_token_only_pages_say_why_and_open_routes_stay_open(token_app):
    for page in ("/", "/widget/", "/assets/index.js"):
        response = httpx.get(f"{token_app.url}{page}")
        assert response.status_code == 401 and response.json()["error"] == BROWSER_NEEDS_LOGIN
    assert httpx.get(f"{token_app.url}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{token_app.url}/gradio.js").status_code == 200
    assert httpx.get(f"{token_app.url}/api/articles").status_code == 401


def test_widget_answer_api_takes_the_token(token_app):
    """The widget's /answer is not public when a token is set: gradio_client passes the token."""
    from gradio_client import Client

    body = Client(f"{token_app.url}/widget/", headers=BEARER, verbose=False).predict(
        SINAI, [], api_name="/answer"
    )
    assert "224" in body["answer"]


@pytest.mark.parametrize(("method", "path", "body"), GRADIO_PROBES)
def test_gradio_routes_need_the_ui_login(login_app, method, path, body):
    files = {"files": ("a.txt", b"hello", "text/plain")} if path.endswith("/upload") else None
    response = httpx.request(method, f"{login_app.url}{path}", json=body, files=files, timeout=30)
    assert response.status_code in {401, 403}, (path, response.text)
    assert "224" not in response.text


def test_ui_login_opens_the_ui_not_the_api(login_app, logged_in):
    from gradio_client import Client

    assert "News Assistant" in logged_in.get("/").text
    widget = Client(f"{login_app.url}/widget/", auth=LOGIN, verbose=False)
    assert "224" in widget.predict(SINAI, [], api_name="/answer")["answer"]
    # the login cookie is not a credential for /api/*: a page on another site could ride on it
    assert logged_in.post("/api/ask", json={"question": SINAI}).status_code == 401
    ok = logged_in.post("/api/ask", json={"question": SINAI}, headers=BEARER)
    assert ok.status_code == 200 and "224" in ok.json()["answer"]


@pytest.mark.parametrize(
    ("token", "ui_login", "path", "authorization", "refused"),
    [
        ("", False, "/api/ask", None, False),  # no auth configured: loopback development
        ("", False, "/gradio_api/call/ask", None, False),
        (TOKEN, False, "/api/ask", f"Bearer {TOKEN}", False),
        (TOKEN, False, "/api/ask", "bearer " + TOKEN, False),
        (TOKEN, False, "/api/ask", f"Basic {TOKEN}", True),
        (TOKEN, False, "/", None, True),
        (TOKEN, False, "/widget/gradio_api/call/answer", f"Bearer {TOKEN}x", True),
        (TOKEN, False, "/healthz", None, False),
        (TOKEN, True, "/gradio_api/call/ask", None, False),  # Gradio's login decides
        (TOKEN, True, "/api/ask", None, True),
        ("", True, "/api/articles", None, True),  # a UI login alone never opens the API
        ("", True, "/", None, False),
    ],
)
def test_one_policy_for_every_surface(token, ui_login, path, authorization, refused):
    guard = Guard(None, token=token, ui_login=ui_login, body_limit=lambda _: 0)
    headers = Headers({"authorization": authorization} if authorization else {})
    assert (guard.refusal(path, headers) is not None) == refused


def seed_article_id(app: WebApp) -> str:
    (article,) = httpx.get(f"{app.url}/api/articles", headers=BEARER, timeout=30).json()
    return article["article_id"]


def test_reader_takes_the_token_and_no_browser_cookie_opens_it(token_app):
    """With a token and no UI login the reader, a page, takes the token like the chat's pages."""
    path = f"{token_app.url}/articles/{seed_article_id(token_app)}"
    refused = httpx.get(path)
    assert refused.status_code == 401 and refused.json()["error"] == BROWSER_NEEDS_LOGIN
    assert httpx.get(path, headers={"Authorization": "Bearer x"}).status_code == 401
    ok = httpx.get(path, headers=BEARER)
    assert ok.status_code == 200 and "killing 224 people" in ok.text


def test_reader_takes_the_ui_login(login_app, logged_in):
    """With a UI login, Gradio's login cookie of the chat (or the token) opens the reader; no cookie,
    or a made-up one, gets the sign-in page and none of the article."""
    path = f"/articles/{seed_article_id(login_app)}"
    for cookies in ({}, {name: "forged" for name in logged_in.cookies}):
        page = httpx.get(f"{login_app.url}{path}", cookies=cookies)
        assert page.status_code == 401 and "Sign in" in page.text and "224" not in page.text
    assert "killing 224 people" in logged_in.get(path).text
    assert "killing 224 people" in httpx.get(f"{login_app.url}{path}", headers=BEARER).text


def test_reader_escapes_the_article_and_runs_only_its_own_script(bearer):
    """Article text is untrusted: the reader shows it as text, under a policy that runs no other script."""
    xss = (
        "<script>alert(1)</script> Harbour\n\n"
        'VALLETTA: The harbour <img src=x onerror=alert(2)> handled "31" ships </p><p data-start="0">.\n'
    )
    added = bearer.post("/api/articles", files=[("files", ("xss.txt", xss.encode(), "text/plain"))]).json()
    (article_id,) = added["added"]
    try:
        page = bearer.get(f"/articles/{article_id}")
        assert page.status_code == 200
        html = page.text
        assert "<img" not in html and "<script>alert" not in html and "onerror=alert(2)&gt;" in html
        assert "&lt;/p&gt;&lt;p data-start=&quot;0&quot;&gt;" not in html  # text content: quotes as is
        assert '&lt;/p&gt;&lt;p data-start="0"&gt;' in html
        assert html.count("<script>") == 1  # the page's own
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
        assert "unsafe-inline" not in policy
        # the title is escaped too (the first line is the headline)
        assert "<title>&lt;script&gt;" in html
    finally:
        bearer.delete(f"/api/articles/{article_id}")


def test_a_bare_host_is_read_as_https_and_paths_still_are_not():
    from assistant.errors import InputError
    from assistant.web.sources import urls_only

    assert urls_only([" dawn.com ", "www.dawn.com/news/1", "example.org:8080/feed"]) == [
        "https://dawn.com",
        "https://www.dawn.com/news/1",
        "https://example.org:8080/feed",
    ]
    for path in ("notes.txt", "articles.jsonl", "/etc/passwd", "./dawn.com", "~/dawn.com", "localhost"):
        with pytest.raises(InputError, match="is not an http"):
            urls_only([path])


# ------------------------------------------------------------------------ 1. server-file read


def assert_server_file_refused(client: httpx.Client, app: WebApp) -> None:
    import gradio.utils

    before = article_count(app)
    climbing = f"{gradio.utils.get_upload_folder()}/../../{SERVER_FILE.lstrip('/')}"
    for path in (SERVER_FILE, climbing):
        event, data = gradio_call(client, "", "add_articles", [[file_data(path)]])
        # Gradio refuses it (an error event), or our handler does (a failed line in the report)
        assert event == "error" or "was not uploaded through this page" in data[0], data
    assert article_count(app) == before
    question = {"question": "What does the PSF license agreement grant?"}
    assert "Python Software Foundation" not in client.post("/api/ask", json=question, headers=BEARER).text
    # a file named inside a chat message is not copied into Gradio's cache to be served back
    messages = [{"role": "user", "content": file_data(SERVER_FILE)}]
    event, data = gradio_call(client, "", "ask", [SINAI, messages, [], "All sources", "", ""])
    assert event == "error" and "LICENSE" not in json.dumps(data)


def test_add_articles_refuses_server_files_with_the_token(token_app, bearer):
    assert_server_file_refused(bearer, token_app)


def test_add_articles_refuses_server_files_when_logged_in(login_app, logged_in):
    assert_server_file_refused(logged_in, login_app)


def test_add_articles_takes_a_real_upload(bearer):
    text = b"Harbour figures\n\nVALLETTA: The harbour of Valletta handled 31 cruise ships in March.\n"
    uploaded = bearer.post("/gradio_api/upload", files={"files": ("valletta.txt", text, "text/plain")})
    assert uploaded.status_code == 200, uploaded.text
    (path,) = uploaded.json()
    event, data = gradio_call(bearer, "", "add_articles", [[file_data(path)]])
    assert event == "complete" and "added 1" in data[0], data
    added = [a for a in bearer.get("/api/articles").json() if a["title"] == "Harbour figures"]
    bearer.delete(f"/api/articles/{added[0]['article_id']}")


# ----------------------------------------------------------------- 6. limits counted as bytes stream


def chunked(first: bytes, total: int, sent: list[int], last: bytes = b""):
    """A generator body (httpx sends it chunked, no Content-Length) of ``total`` bytes; ``sent``
    counts what the server let us write."""
    yield first
    sent[0] += len(first)
    block = secrets.token_bytes(64 * 1024)
    for _ in range(total // len(block)):
        yield block
        sent[0] += len(block)
    yield last


def post_chunked(url: str, body, content_type: str) -> httpx.Response | None:
    """The response, or None when the server cut the connection before we could read it."""
    try:
        return httpx.post(url, content=body, headers={**BEARER, "Content-Type": content_type}, timeout=60)
    except (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError):
        return None


def test_chunked_ask_body_is_cut_at_the_limit(token_app):
    sent = [0]
    body = chunked(b'{"question": "', 500 * 1024 * 1024, sent, b'"}')
    response = post_chunked(f"{token_app.url}/api/ask", body, "application/json")
    print(f"\nchunked 500 MB /api/ask: {sent[0]:,} bytes sent, {response and response.status_code}")
    assert sent[0] < 50 * 1024 * 1024, f"the server read {sent[0]:,} bytes of a 500 MB body"
    if response is not None:
        assert response.status_code == 413 and "too large" in response.json()["error"]
    assert httpx.get(f"{token_app.url}/healthz").status_code == 200


def test_chunked_upload_is_cut_at_the_limit(token_app, tmp_path):
    boundary = "probe" + uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    sent = [0]
    body = chunked(head, 1500 * 1024 * 1024, sent, f"\r\n--{boundary}--\r\n".encode())
    response = post_chunked(
        f"{token_app.url}/api/articles", body, f"multipart/form-data; boundary={boundary}"
    )
    print(f"\nchunked 1.5 GB upload: {sent[0]:,} bytes sent, {response and response.status_code}")
    # the limit is 10 files at 1 MB + 1 MB: the server stops reading (and spooling to /tmp) there
    assert sent[0] < 100 * 1024 * 1024, f"the server read {sent[0]:,} bytes of a 1.5 GB upload"
    if response is not None:
        assert response.status_code == 413 and "too large" in response.json()["error"]
    assert httpx.get(f"{token_app.url}/healthz").status_code == 200


def test_small_chunked_ask_still_answers(bearer):
    body = iter([b'{"question": ', json.dumps(SINAI).encode(), b"}"])
    response = bearer.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and "224" in response.json()["answer"]


# ----------------------------------------------------------------------------- 7. lone surrogates


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/ask", rb'{"question": "\ud800"}'),
        ("/api/ask", rb'{"question": "How many died? \udfff"}'),
        ("/api/ask/stream", rb'{"question": "\ud800"}'),
        ("/api/ask", rb'{"question": "How many died?", "history": ["\ud800"]}'),
        ("/api/ask", rb'{"question": "How many died?", "history": [["Sinai?", "\ud800"]]}'),
        ("/api/ask", rb'{"question": "How many died?", "filters": {"source": "\ud800"}}'),
    ],
)
def test_lone_surrogate_is_a_clear_400(bearer, path, raw):
    response = bearer.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "invalid Unicode (a lone surrogate" in response.json()["error"]


def test_jsonl_upload_with_a_lone_surrogate_keeps_the_good_lines(bearer):
    lines = [
        r'{"title": "Oslo harbour", "text": "OSLO: The harbour of Oslo reopened on Monday after 40 days."}',
        r'{"title": "Bergen", "text": "BERGEN: The port \ud800 closed on Friday."}',
        r'{"title": "Broken \udc00 title", "text": "TROMSO: The bridge in Tromso opened on Sunday."}',
        r'{"title": "Trondheim harbour", "text": "TRONDHEIM: The harbour will grow by 12 berths, it said."}',
    ]
    files = [("files", ("mixed.jsonl", "\n".join(lines).encode(), "application/jsonl"))]
    report = bearer.post("/api/articles", files=files).json()["files"][0]
    assert len(report["added"]) == 2, report
    assert len(report["failed"]) == 2 and all("lone surrogate" in r for r in report["failed"])
    for article_id in report["added"]:
        bearer.delete(f"/api/articles/{article_id}")


# ------------------------------------------- issue 20, 1. /api/sources and Fetch take URLs only

# A made-up note standing for a private file on the server.
NOTE = "Budget memo\n\nOSLO: The quarterly budget for the Lindqvist harbour project is 41 million kroner.\n"
NOTE_QUESTION = {"question": "What is the budget for the Lindqvist harbour project?"}
PUBLIC_HOST = "news.internal.example"


@pytest.fixture(scope="module")
def site():
    """A news page on 127.0.0.1 for the URL that must still be fetched."""
    from tests.newsserver import NewsServer

    with NewsServer() as server:
        server.set(
            "/news/ferry.html",
            "<html><head><title>Ferry line reopens</title></head><body><article><h1>Ferry line reopens"
            "</h1><p>BERGEN: The ferry line between Bergen and Stavanger reopened on Monday after a "
            "two-week strike, the operator said.</p><p>The operator said 14 crossings a day would "
            "run from Tuesday.</p></article></body></html>",
        )
        yield server


@pytest.fixture(scope="module")
def open_app():
    """No token, no login (the loopback default); private fetches allowed for the local site."""
    env = {"ASSISTANT_FETCH_ALLOW_PRIVATE": "1", "ASSISTANT_PUBLIC_HOSTS": PUBLIC_HOST}
    app = WebApp(env=env).start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def server_files(tmp_path_factory):
    """A readable file and a folder of them on the server, as a caller might name them."""
    folder = tmp_path_factory.mktemp("server-notes")
    (folder / "notes.txt").write_text(NOTE)
    (folder / "more.md").write_text(NOTE.replace("41", "42"))
    return folder


def server_paths(folder) -> list[str]:
    note = str(folder / "notes.txt")
    return [note, str(folder), "/etc/passwd", "/proc/self/environ", f" {note}", f"file://{note}"]


def test_api_sources_refuses_server_paths(open_app, server_files):
    before = article_count(open_app)
    for follow in (False, True):
        for path in server_paths(server_files):
            response = httpx.post(
                f"{open_app.url}/api/sources", json={"urls": [path], "follow": follow}, timeout=60
            )
            assert response.status_code == 400, (path, response.text)
            assert "is not an http(s) URL" in response.json()["error"], response.text
        # one path among URLs: the whole request is refused, nothing fetched or read
        mixed = httpx.post(
            f"{open_app.url}/api/sources", json={"urls": ["http://a.example/", str(server_files)]}
        )
        assert mixed.status_code == 400
    assert article_count(open_app) == before
    assert httpx.get(f"{open_app.url}/api/sources").json() == []
    answer = httpx.post(f"{open_app.url}/api/ask", json=NOTE_QUESTION, timeout=60).json()
    assert "41 million" not in answer["answer"] and "Lindqvist" not in json.dumps(answer["citations"])


def test_fetch_box_refuses_server_paths(open_app, server_files):
    before = article_count(open_app)
    with httpx.Client(base_url=open_app.url, timeout=60) as client:
        for path in server_paths(server_files):
            for follow in (False, True):
                event, data = gradio_call(client, "", "add_source", [path, follow])
                assert event == "complete" and "is not an http(s) URL" in data[0], (path, data)
    assert article_count(open_app) == before


def test_a_url_with_spaces_around_is_fetched_as_a_url(open_app, site):
    url = site.url("/news/ferry.html")
    response = httpx.post(f"{open_app.url}/api/sources", json={"urls": [f"  {url}\n"]}, timeout=120)
    assert response.status_code == 200, response.text
    (article_id,) = response.json()["added"]
    assert httpx.get(f"{open_app.url}/api/articles/{article_id}").json()["url"] == url
    httpx.delete(f"{open_app.url}/api/articles/{article_id}")
    with httpx.Client(base_url=open_app.url, timeout=120) as client:
        event, data = gradio_call(client, "", "add_source", [f" {url}", False])
        assert event == "complete" and "added 1" in data[0], data
    (added,) = [a for a in httpx.get(f"{open_app.url}/api/articles").json() if a["url"] == url]
    httpx.delete(f"{open_app.url}/api/articles/{added['article_id']}")


# ----------------------------------------------- issue 20, 2. DNS rebinding with no token set

# Every kind of route: the API, the UI pages and their Gradio API, /v1, /mcp, the docs, liveness.
ROUTES = [
    ("GET", "/api/articles", None),
    ("POST", "/api/ask", {"question": SINAI}),
    ("POST", "/api/sources", {"urls": ["http://127.0.0.1:9/"]}),
    ("DELETE", "/api/articles/abc", None),
    ("GET", "/api/watches", None),
    ("DELETE", "/api/watches/abc", None),
    ("POST", "/api/watches/changes/seen", {}),
    ("GET", "/", None),
    ("GET", "/widget/", None),
    ("GET", "/config", None),
    ("POST", "/gradio_api/call/ask", {"data": [SINAI, [], [], "All sources", "", ""]}),
    ("POST", "/widget/gradio_api/call/answer", {"data": [SINAI, []]}),
    ("GET", "/v1/models", None),
    ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    ("GET", "/docs", None),
    ("GET", "/openapi.json", None),
    ("GET", "/healthz", None),
    ("GET", "/gradio.js", None),
    ("GET", "/articles/abc", None),
]


def send(app: WebApp, method: str, path: str, body, **headers: str) -> httpx.Response:
    headers.setdefault("Accept", "application/json, text/event-stream")  # what /mcp asks for
    return httpx.request(method, f"{app.url}{path}", json=body, headers=headers, timeout=60)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_a_rebound_host_is_refused_on_every_route(open_app, method, path, body):
    before = article_count(open_app)
    for host in (
        f"attacker.example:{open_app.port}",
        "attacker.example",
        f"127.0.0.1.nip.io:{open_app.port}",
    ):
        response = send(open_app, method, path, body, Host=host)
        assert response.status_code == 421, (host, response.text)
        assert "DNS-rebinding" in json.dumps(response.json())
    assert article_count(open_app) == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_the_names_the_app_is_served_as_are_accepted(open_app, method, path, body):
    for host in (
        f"127.0.0.1:{open_app.port}",
        f"localhost:{open_app.port}",
        f"[::1]:{open_app.port}",
        PUBLIC_HOST,
    ):
        response = send(open_app, method, path, body, Host=host)
        assert response.status_code not in {403, 421}, (host, response.text)


STATE_CHANGING = [r for r in ROUTES if r[0] != "GET"]


@pytest.mark.parametrize(("method", "path", "body"), STATE_CHANGING)
def test_a_foreign_origin_may_not_change_anything(open_app, method, path, body):
    before = article_count(open_app)
    for origin in ("https://attacker.example", "null", f"http://attacker.example:{open_app.port}"):
        response = send(open_app, method, path, body, Origin=origin)
        assert response.status_code == 403, (origin, response.text)
        assert "cross-origin request" in json.dumps(response.json())
    for origin in (open_app.url, f"http://localhost:{open_app.port}", f"https://{PUBLIC_HOST}"):
        assert send(open_app, method, path, body, Origin=origin).status_code != 403, origin
    assert article_count(open_app) == before


def test_with_a_token_the_token_decides(token_app):
    host = {"Host": "attacker.example"}
    assert httpx.get(f"{token_app.url}/api/articles", headers=host).status_code == 401
    assert httpx.get(f"{token_app.url}/api/articles", headers={**host, **BEARER}).status_code == 200


@pytest.mark.parametrize(
    ("bind", "host", "served"),
    [
        ("127.0.0.1", "[0::1]:7860", True),  # one address, however it is written
        ("127.0.0.1", "LocalHost:7860", True),
        ("192.168.1.20", "192.168.1.20:7860", True),  # the address bound
        ("0.0.0.0", "0.0.0.0:7860", False),  # a wildcard names no host
        ("127.0.0.1", "localhost.:7860", False),
        ("127.0.0.1", "localhost:port", False),  # malformed
        ("127.0.0.1", "", False),
    ],
)
def test_served_names(bind, host, served):
    names = Served.of(bind, (), ())
    assert (names.refusal("GET", Headers({"host": host} if host else {})) is None) == served
