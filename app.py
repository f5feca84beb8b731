"""Start the web chat, the HTTP API and the embeddable widget: ``python app.py [--host H] [--port P]``.

Defaults come from ASSISTANT_HOST / ASSISTANT_PORT (127.0.0.1:7860) and ASSISTANT_STORE_DIR.
See docs/web.md for the API, auth and embedding.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main(argv: list[str] | None = None) -> int:
    from assistant.config import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description="News Assistant web chat and HTTP API")
    parser.add_argument("--host", default=settings.host, help=f"address to bind (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    parser.add_argument("--store-dir", default=None, help="article store folder (ASSISTANT_STORE_DIR)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="app processes (default 1); more than one needs a Chroma server (ASSISTANT_CHROMA_URL)",
    )
    args = parser.parse_args(argv)
    # the app checks requests' Host against the address it is bound to (web/guard.py Served)
    settings = replace(settings, host=args.host, port=args.port)
    if args.workers > 1 and not settings.chroma_url:
        print(
            "error: --workers needs a Chroma server (ASSISTANT_CHROMA_URL): an embedded store has "
            "one writer process, and the app is that writer",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    from assistant.api import Assistant
    from assistant.errors import AssistantError
    from assistant.web.app import create_app, is_loopback

    try:
        ui_login = settings.ui_credentials  # a malformed ASSISTANT_UI_AUTH stops the start here
        assistant = Assistant(store_dir=args.store_dir, settings=settings)
    except (AssistantError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and not (settings.api_token and ui_login):
        logging.warning(
            "binding %s without ASSISTANT_API_TOKEN and ASSISTANT_UI_AUTH: anyone who can reach it can "
            "read, add and delete articles",
            args.host,
        )
    print(f"News Assistant on http://{args.host}:{args.port} (API docs at /docs, widget at /widget)")
    if args.workers > 1:
        # uvicorn starts each worker process from an import string; each builds its own Assistant
        # (model and store client) from the environment. The one built above checked the settings.
        del assistant
        os.environ["ASSISTANT_HOST"] = args.host  # the workers' settings come from the environment
        uvicorn.run(
            "app:worker_app",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="warning",
        )
        return 0
    uvicorn.run(create_app(assistant), host=args.host, port=args.port, log_level="warning")
    return 0


def worker_app():
    """The app of one ``--workers`` process (server mode: the store settings come from the env)."""
    from assistant.api import Assistant
    from assistant.web.app import create_app

    return create_app(Assistant())


if __name__ == "__main__":
    sys.exit(main())
