"""LLM servers for tests: the real llama.cpp server (OpenAI-compatible) running the Gemma 3 270M
GGUF from PyPI, and an Ollama stand-in that speaks Ollama's documented /api/chat format (Ollama
itself can't run here), recording each request so tests can check what was sent."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the stub "model" says about the Sinai question: one sentence the seed article supports,
# one it doesn't (the check must remove it).
SINAI_REPLY = (
    "A bomb destroyed a Russian airliner, killing 224 people [1]. Real Madrid won the cup final 3-1 [2]."
)
# A claim no article supports, carrying markup (tests/test_browser_llm.py: it must show as text),
# put before "killing 224" so the draft holds it when the stub stalls there.
MARKUP = "<img src=x onerror=alert(1)>"
MARKUP_QUESTION = "What destroyed the Russian airliner?"
MARKUP_REPLY = (
    f"Witnesses posted {MARKUP} online. A bomb destroyed a Russian airliner, killing 224 people [1]."
)


class LlamaServer:
    """``python -m llama_cpp.server`` on a loopback port; ``url`` is its OpenAI base URL."""

    def __init__(self, model: Path, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}/v1"
        self._log = log.open("w")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--chat_format",
                "gemma",
                "--n_ctx",
                "4096",
                "--verbose",
                "False",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 120.0) -> LlamaServer:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/models", timeout=2).close()
                return self
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"llama.cpp server did not start; see {self._log.name}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()


def scripted(replies: dict[str, str], default: str = SINAI_REPLY) -> Callable[[dict], str]:
    """A reply function for OllamaStub: the reply whose key occurs in the question of an answer
    prompt (prompts/answer.txt), else ``default``."""

    def reply(body: dict) -> str:
        user = body["messages"][-1]["content"]
        question = user.rsplit("Question:", 1)[-1].split("\n", 1)[0]
        return next((text for key, text in replies.items() if key in question), default)

    return reply


class OllamaStub:
    """Answers POST /api/chat as Ollama does when streaming: one JSON object per line, the
    reply's text split over several ``message.content`` pieces, then a ``done: true`` object.
    ``reply(request_json) -> str`` decides the text; ``delay`` seconds pass before each piece, so
    a client can be watched while the reply streams. ``hold()`` stalls every reply after its
    first piece containing ``hold_after`` until ``release()``: a test sees the half-written draft
    for as long as it needs, however slow the machine, instead of racing the stream's end."""

    def __init__(self, reply: Callable[[dict], str], delay: float = 0.0, hold_after: str = "") -> None:
        self.reply = reply
        self.delay = delay
        self.hold_after = hold_after
        self._open = threading.Event()
        self._open.set()
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, **body})
                if self.path != "/api/chat":
                    self.send_error(404)
                    return
                text = stub.reply(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                words = text.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                held = False
                try:
                    for piece in pieces:
                        if stub.delay:
                            time.sleep(stub.delay)
                        self._line({"message": {"role": "assistant", "content": piece}, "done": False})
                        if stub.hold_after and stub.hold_after in piece and not held:
                            held = True
                            stub._open.wait(timeout=600)  # released by the test (or never hangs)
                    self._line(
                        {
                            "message": {"role": "assistant", "content": ""},
                            "done": True,
                            "done_reason": "stop",
                            "eval_count": len(pieces),
                            "prompt_eval_count": 100,
                        }
                    )
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a deadline, or the app stopped): as Ollama, carry on

            def _line(self, extra: dict) -> None:
                line = {"model": "stub-model", "created_at": "2026-11-25T12:00:00Z", **extra}
                self.wfile.write((json.dumps(line) + "\n").encode())
                self.wfile.flush()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def hold(self) -> None:
        """Stall replies after their ``hold_after`` piece from now on, until ``release``."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def stop(self) -> None:
        self._open.set()
        self._server.shutdown()
        self._server.server_close()
