"""An MCP server over the assistant, built with the official ``mcp`` SDK (``MCPServer``), for agents,
IDEs and desktop assistants.

Tools, each with an output schema and structured content:

- ``ask(question, as_of?, source?, date_from?, date_to?)``: the answer and its verified citations;
  the text content is the answer with a "Sources" list, as the OpenAI-compatible API shows it
  (over HTTP each source links to the article reader at its quote, ``/articles/{id}#q=start-end``).
- ``search_articles(query, k, filters)``: retrieved passages with relevance scores, verbatim at
  their offsets, for agents that write their own answers.
- ``get_article(article_id)``: one article with its clean text (what citation offsets point into).
- ``list_sources()``: the sources of the loaded articles, for the ``source`` filters.
- ``timeline(story)``: how a story developed (``Assistant.timeline``): its articles oldest first,
  each with one verbatim sentence, the lede or what it adds to the earlier reports.
- ``watches(unseen?, limit?)``: the watched questions with their latest answers and the recorded
  changes of those answers (``Assistant.watches``, ``watch_changes``): read only, as ``assistant
  mcp`` opens the store (beside the app, its writer); watches are added and changes marked seen
  through the app's /api/watches.

Transports: stdio (``assistant mcp``, for a client that starts the server) and streamable HTTP at
``/mcp`` in the web app (``mount``), behind the API token. A refused call (bad arguments, unknown
tool or article, empty question) is an MCP tool error with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field
from starlette.routing import Route

from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.schema import Article, Citation, Timeline
from assistant.web.markdown import answer_markdown
from assistant.web.models import AnswerOut, FiltersIn

PATH = "/mcp"


class Passages(BaseModel):
    query: str
    passages: list[Citation] = Field(description="best first; quote is the passage, score its relevance")


class Source(BaseModel):
    source: str | None = Field(description="as the source filters take it; null for articles without one")
    articles: int
    first_published: str | None
    last_published: str | None


class Sources(BaseModel):
    sources: list[Source]
    articles: int = Field(description="all loaded articles")


class Watches(BaseModel):
    """The JSON of GET /api/watches and GET /api/watches/changes in one."""

    watches: list[dict[str, Any]] = Field(
        description="oldest first: watch_id, question, webhook (its origin only), created, checked "
        "(when last asked) and answer (its latest, as ask returns it)"
    )
    changes: list[dict[str, Any]] = Field(
        description="newest first: change_id, watch_id, question, at, what (the new facts: kind "
        "figure, name, date or answered, and text), before and after (both answers with their "
        "citations), seen, delivery (the webhook's outcome)"
    )
    unseen: int = Field(description="changes of every watch not yet marked seen")


@contextmanager
def _refusals() -> Iterator[None]:
    """The assistant's one-line refusals (empty question, unknown article, store down) as tool
    errors: the client reads the reason, and the server logs no traceback for bad input."""
    try:
        yield
    except AssistantError as exc:
        raise ToolError(str(exc)) from None


def build_server(assistant: Assistant) -> MCPServer:
    """The MCP server over ``assistant``; transports are added by ``mount`` or ``run_stdio``."""
    server = MCPServer(
        "news-assistant",
        instructions=(
            "Answers questions from a store of news articles with verified quotes, and abstains when "
            "the articles don't hold the answer. Every citation's quote stands verbatim in the "
            "article's text at [start, end)."
        ),
    )

    @server.tool()
    def ask(
        question: str,
        as_of: date | None = None,
        source: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        ctx: Context = None,  # type: ignore[assignment]  # the SDK passes it (not a tool argument)
    ) -> Annotated[CallToolResult, AnswerOut]:
        """Answer a question from the loaded news articles, in a sentence or two, with verified
        quoted citations; abstained is true when the articles don't hold the answer.

        as_of: answer as of this day (ISO date). source: only articles from this source (see
        list_sources). date_from / date_to: only articles published in this range (inclusive)."""
        filters = FiltersIn(source=source, date_from=date_from, date_to=date_to).filters()
        with _refusals():
            answer = assistant.ask(question, filters=filters, as_of=as_of)
        return CallToolResult(
            content=[TextContent(type="text", text=answer_markdown(answer, _server_root(ctx)))],
            structured_content=answer.to_dict(),
        )

    @server.tool()
    def search_articles(
        query: str, k: Annotated[int, Field(ge=1, le=50)] = 5, filters: FiltersIn | None = None
    ) -> Passages:
        """Search the loaded articles: the k passages that best match the query (the same search
        ask answers from), best first, each with its article's title, source, date and url, its
        character offsets in the article and a relevance score (below about 0.5 it likely does not
        answer). For writing your own answer; cite the quotes, they are verbatim."""
        with _refusals():
            found = assistant.search(query, top_k=k, filters=filters.filters() if filters else None)
        return Passages(query=query, passages=found)

    @server.tool()
    def get_article(article_id: str) -> Article:
        """One loaded article with its clean text, which citations' start/end offsets point into."""
        with _refusals():
            return assistant.article(article_id)

    @server.tool()
    def timeline(story: str) -> Timeline:
        """How a news story developed: the articles that report one event, oldest first, each with
        its headline, source, date, url and one sentence quoted verbatim at its offsets: the first
        report's lede, then for each later report the sentence that adds most of what the earlier
        ones lacked (kind "adds", its new words and figures in new).

        story: a story id, an article id (e.g. a citation's article_id: the story it belongs to)
        or a question about the story ("How did the Mecca crane story develop?"), which takes the
        story of the best-matching passage, returned as matched with its relevance score."""
        with _refusals():
            return assistant.timeline(story)

    @server.tool()
    def watches(unseen: bool = False, limit: Annotated[int, Field(ge=1, le=100)] = 20) -> Watches:
        """The questions watched for news (asked again after every ingest and sync), each with
        its latest answer, and the changes of their answers' facts, newest first: a new figure,
        name or date, or an answer where there was none, with both answers and their citations
        (a reworded report of the same facts is no change).

        unseen: only the changes not yet marked seen. limit: at most this many changes."""
        with _refusals():
            found, changes = assistant.watches(), assistant.watch_changes(unseen=unseen)
            count = assistant.watch_unseen()
        return Watches(
            watches=[w.to_dict() for w in found], changes=[c.to_dict() for c in changes[:limit]], unseen=count
        )

    @server.tool()
    def list_sources() -> Sources:
        """The sources (publishers) of the loaded articles, with how many articles each has and
        their publication date range."""
        with _refusals():
            articles = assistant.articles()
        groups: dict[str | None, list[str | None]] = {}
        for a in articles:
            groups.setdefault(a.source, []).append(a.published)
        sources = [
            Source(
                source=name,
                articles=len(days),
                first_published=min((d for d in days if d), default=None),
                last_published=max((d for d in days if d), default=None),
            )
            for name, days in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0] or ""))
        ]
        return Sources(sources=sources, articles=len(articles))

    return server


def _server_root(ctx: Context | None) -> str:
    """The web app's root URL when the call came over HTTP (/mcp), for the Sources' links to the
    article reader; "" over stdio (no server to link to)."""
    try:
        request = ctx.request_context.request if ctx is not None else None
    except ValueError:  # outside a request
        return ""
    base_url = getattr(request, "base_url", None)
    return str(base_url).rstrip("/") if base_url else ""


def run_stdio(assistant: Assistant) -> None:
    """Serve over stdin/stdout until the client closes them (``assistant mcp``)."""
    build_server(assistant).run("stdio")


def error_body(status: int, message: str) -> dict[str, str]:
    """A refusal made in front of /mcp (web/guard.py) in OAuth's shape, as MCP's HTTP
    authorization has it (and as the SDK's own auth answers)."""
    return {"error": "invalid_token" if status == 401 else "invalid_request", "error_description": message}


def mount(app: FastAPI, assistant: Assistant) -> None:
    """Serve the MCP server over streamable HTTP at ``/mcp`` in ``app``.

    Stateless, JSON replies: any app process can answer any request (processes sharing a Chroma
    server). The SDK's own Host/Origin checks stay off: web/guard.py makes the same checks for every
    route of the app, /mcp included (421 for a foreign Host, 403 for a foreign Origin)."""
    settings = assistant.settings
    server = build_server(assistant)
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=settings.max_body_kb * 1024,
        transport_security=security,
    )
    app.router.routes.append(Route(PATH, StreamableHTTPASGIApp(server.session_manager)))
    # The session manager's task group lives for the app's lifetime, next to the app's own lifespan.
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(instance: FastAPI):
        async with server.session_manager.run(), previous(instance) as state:
            yield state

    app.router.lifespan_context = lifespan
