"""Start the web chat, the HTTP API and the embeddable widget: ``python app.py [--host H] [--port P]``.

Defaults come from ASSISTANT_HOST / ASSISTANT_PORT (127.0.0.1:7860) and ASSISTANT_STORE_DIR.
See docs/web.md for the API, auth and embedding.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main(argv: list[str] | None = None) -> int:
    from assistant.config import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description="News Assistant web chat and HTTP API")
    parser.add_argument("--host", default=settings.host, help=f"address to bind (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    parser.add_argument("--store-dir", default=None, help="article store folder (ASSISTANT_STORE_DIR)")
    args = parser.parse_args(argv)
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
    app = create_app(assistant)
    print(f"News Assistant on http://{args.host}:{args.port} (API docs at /docs, widget at /widget)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
