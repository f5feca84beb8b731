"""The Gradio pages: the full web chat (chat, filters, examples, an Articles tab, a Watches tab
with its badge in the header) and /widget.

Every handler goes through the one ``Assistant`` of the process. Messages in the chat are HTML built
by ``assistant.web.chat_html``, the Articles tab's by ``library_html``, the Watches tab's
(web/watches_tab.py) by ``watches_html`` (article text escaped there); errors show as a friendly
line in the chat.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import gradio as gr

from assistant.api import Assistant
from assistant.errors import AssistantError, InputError
from assistant.ingest.read import SUPPORTED_SUFFIXES
from assistant.query.question import asks_timeline
from assistant.schema import Answer, Article, Filters, IngestReport
from assistant.web.chat_html import (
    render_answer,
    render_draft,
    render_error,
    render_filter_chips,
    render_note,
    render_pending,
    render_question,
    render_timeline,
)
from assistant.web.followups import follow_ups
from assistant.web.guard import hostname
from assistant.web.library_html import DETECTED_SHOWN, render_articles, render_feeds, render_ingest_report
from assistant.web.present import article_label
from assistant.web.sources import urls_only
from assistant.web.uploads import FileResult, check_suffix, ingest_files, sanitize_filename, uploaded_path
from assistant.web.watches_tab import watches_tab

log = logging.getLogger(__name__)
# Shown until the answer (or, in LLM mode, the model's first words) arrives.
WAITING = {"extractive": "Searching the articles…", "llm": "Searching the articles, then writing the answer…"}

ALL_SOURCES = "All sources"
FOLLOW_UPS = 3  # chips under an answer, at most
WITHOUT_FILTERS = "Ask without filters"
UNDER_FILTERS = f"the filters may be why: “{WITHOUT_FILTERS}” asks it of all the articles."
GENERIC_ERROR = "Something went wrong on our side while answering. Please try again."
# Questions the bundled sample (data/articles/) answers, each with the (source, date) of the
# article that answers it: an example is offered while its article is loaded. tests/test_quality.py
# checks that each is answered, with a citation from that article. Gradio shows only about 60
# characters of an example.
SAMPLE_EXAMPLES = [
    ("How many people were killed in the Mecca crane collapse?", "Wikinews", "2015-09-12"),
    ("Who is Hong Kong's youngest Legislative Council member?", "Wikinews", "2016-09-09"),
    ("Where will Space Shuttle Endeavour go after its retirement?", "Wikinews", "2011-04-13"),
    ("How many people died in the Paris attacks?", "Dawn", "2015-11-18"),
]
# The widget's own, shorter (at most WIDGET_EXAMPLE_CHARS, so each fits one line of a 320 px frame),
# in the same form; tests/test_quality.py checks these too, and tests/test_browser.py the fit.
WIDGET_EXAMPLES = [
    ("How many died in Paris?", "Dawn", "2015-11-18"),
    ("Where will Endeavour retire?", "Wikinews", "2011-04-13"),
    ("How many died at the Mecca crane?", "Wikinews", "2015-09-12"),
]
WIDGET_EXAMPLE_CHARS = 36


def parse_filters(source: str | None, date_from: str | None, date_to: str | None) -> Filters:
    def day(value: str | None, what: str) -> date | None:
        value = (value or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InputError(f"the {what} date {value!r} is not a date like 2015-11-18") from None

    source = None if not source or source == ALL_SOURCES else source
    return Filters(source=source, date_from=day(date_from, "from"), date_to=day(date_to, "to"))


def answer_html(assistant: Assistant, answer: Answer, base: str = "", filters: Filters | None = None) -> str:
    """The answer's HTML, its cards showing the sentences around each quote; ``base``: the root of
    the reader's links ("" within the app); an abstention under ``filters`` says they may be why."""
    filtered = f"{describe_filters(filters)}: {UNDER_FILTERS}" if filters else ""
    return render_answer(answer, _articles_of(assistant, answer), base, filtered)


def _articles_of(assistant: Assistant, answer: Answer) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    for c in answer.citations:
        if c.article_id not in articles:
            # an article deleted meanwhile: the citation shows without its context
            with contextlib.suppress(AssistantError):
                articles[c.article_id] = assistant.article(c.article_id)
    return articles


def describe_filters(filters: Filters) -> str:
    """The active filters in words: "Searched only articles from Dawn published on or after 2015-11-01"."""
    parts = [f"from {filters.source}"] if filters.source else []
    since, until = filters.date_from, filters.date_to
    if since and until:
        parts.append(f"published {since.isoformat()} to {until.isoformat()}")
    elif since or until:
        parts.append(f"published on or {'after' if since else 'before'} {(since or until).isoformat()}")  # type: ignore[union-attr]
    return "Searched only articles " + " ".join(parts) if parts else "No filters"


def _filter_chips(source: str | None, date_from: str | None, date_to: str | None) -> tuple:
    """The line that shows the active filters while their panel is closed, and its Clear button."""
    try:
        chosen = parse_filters(source, date_from, date_to)
    except InputError as exc:
        return render_error(_sentence(str(exc))), gr.update(visible=True)
    if not chosen:
        return "", gr.update(visible=False)
    chips = []
    if chosen.source:
        chips.append(f"Source: {chosen.source}")
    if chosen.date_from:
        chips.append(f"From {chosen.date_from.isoformat()}")
    if chosen.date_to:
        chips.append(f"To {chosen.date_to.isoformat()}")
    return render_filter_chips(chips), gr.update(visible=True)


def link_base(request: gr.Request | None) -> str:
    """The root of the reader's links for the page that sent ``request``: "" (the app's own paths)
    unless the page is another site's (the widget as a web component), then the app's own URL."""
    if request is None:
        return ""
    headers = request.headers
    host, origin = headers.get("host"), headers.get("origin")
    if not host or not origin or hostname(origin) == hostname(host):
        return ""
    scheme = (
        headers.get("x-forwarded-proto")
        or getattr(request.request, "url", None)
        and request.request.url.scheme
    )
    return f"{scheme or 'http'}://{host}"


def example_questions(articles: list[Article]) -> list[str]:
    """Examples for the loaded corpus: the sample's known-good ones whose article is loaded, else
    questions built from the first articles' datelines or titles."""
    examples = _loaded(SAMPLE_EXAMPLES, articles)
    if examples:
        return examples
    for a in articles[:3]:
        if a.dateline:
            examples.append(f"What happened in {a.dateline.title()}?")
        elif a.title:
            examples.append(f"What is known about {a.title.rstrip('.?!')}?")
    return list(dict.fromkeys(examples))


def widget_examples(articles: list[Article]) -> list[str]:
    """The widget's examples, short enough for a small frame: its own (WIDGET_EXAMPLES) whose
    article is loaded, else the two shortest of the page's."""
    return _loaded(WIDGET_EXAMPLES, articles) or sorted(example_questions(articles), key=len)[:2]


def _loaded(examples: list[tuple[str, str, str]], articles: list[Article]) -> list[str]:
    """The questions of ``examples`` whose article, by its (source, date), is loaded."""
    loaded = {(a.source, a.published) for a in articles}
    return [q for q, source, published in examples if (source, published) in loaded]


# ------------------------------------------------------------------------------------------ pages


def _chat_section(assistant: Assistant, page: gr.Blocks, *, compact: bool) -> gr.Dropdown | None:
    """The chat itself: messages, input, send and clear; filters unless ``compact``.

    Returns the source filter (None when compact) so the Articles tab can update its choices.
    """
    articles = assistant.articles()
    chatbot = gr.Chatbot(
        elem_id="chat",
        label="Chat",
        show_label=False,
        # the widget's chat fills its frame (the input stays in view, the messages scroll)
        height="calc(100vh - 170px)" if compact else 560,
        scale=1 if compact else None,
        min_height=120 if compact else None,
        elem_classes=["na-widget-chat"] if compact else None,
        sanitize_html=True,
        latex_delimiters=[],
        feedback_options=None,
        autoscroll=False,  # chat_html.PAGE_JS scrolls a new question to the top instead
        # the answers' own Copy button copies plain text; Gradio's would copy the HTML
        buttons=[],
        examples=[
            {"text": e} for e in (widget_examples(articles) if compact else example_questions(articles))
        ]
        or None,
        placeholder=(
            "<div class='na-placeholder'>Ask a question about the loaded news articles. "
            "Every answer quotes the article it comes from.</div>"
        ),
    )
    standalone = gr.State([])  # the standalone questions asked so far, for follow-ups
    last = gr.State(None)  # the last Answer, for the follow-up chips
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            elem_id="question",
            show_label=False,
            placeholder="Ask about the news…",
            scale=8,
            max_lines=4,
            submit_btn=False,
            autofocus=not compact,
            min_width=120 if compact else 160,  # the widget's row stays one line from 320 px
        )
        button_width = 56 if compact else 80
        send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=button_width)
        clear = gr.Button("New chat", elem_id="clear", variant="secondary", scale=1, min_width=button_width)
    chips: list[gr.Button] = []
    without: gr.Button | None = None  # after an abstention under filters: the question asked again without
    if compact:
        filters: list = []
    else:
        with gr.Row(elem_id="follow-ups", elem_classes="na-chips"):
            without = gr.Button(
                WITHOUT_FILTERS,
                visible=False,
                size="sm",
                variant="primary",
                elem_id="ask-without-filters",
                elem_classes="na-chip",
                min_width=60,
            )
            chips = [
                gr.Button(visible=False, size="sm", variant="secondary", elem_classes="na-chip", min_width=60)
                for _ in range(FOLLOW_UPS)
            ]
        with gr.Row(elem_id="filter-chips", elem_classes="na-chips"):
            shown_filters = gr.HTML(elem_id="active-filters", padding=False)
            reset = gr.Button(
                "Clear filters", visible=False, size="sm", elem_id="clear-filters", min_width=60, scale=0
            )
        sources = sorted({a.source for a in articles if a.source})
        with gr.Accordion("Filters", open=False, elem_id="filters"), gr.Row():
            source = gr.Dropdown([ALL_SOURCES, *sources], value=ALL_SOURCES, label="Source", elem_id="source")
            date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", elem_id="date-from")
            date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", elem_id="date-to")
        filters = [source, date_from, date_to]
        for box in filters:
            box.change(_filter_chips, filters, [shown_filters, reset], api_name=False, show_progress="hidden")
        reset.click(lambda: (ALL_SOURCES, "", ""), None, filters, api_name=False, show_progress="hidden")
    nexts = [*chips, without] if without is not None else []  # what follows an answer
    hidden = [gr.update(visible=False) for _ in nexts]

    def respond(
        message: str,
        messages: list,
        history: list[str],
        source: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        request: gr.Request = None,  # type: ignore[assignment]  # Gradio passes it
    ):
        messages = list(messages or [])
        text = (message or "").strip()
        if not text:
            yield "", messages, history, None, gr.skip(), *hidden
            return
        messages.append({"role": "user", "content": render_question(text)})
        pending = render_pending(WAITING[assistant.mode])
        yield "", [*messages, {"role": "assistant", "content": pending}], history, None, gr.skip(), *hidden
        answer = None
        try:
            chosen = None if compact else parse_filters(source, date_from, date_to)
            if asks_timeline(text):  # how a story developed: its timeline, not an answer
                asked = assistant.standalone(text, history)
                reply = render_timeline(assistant.timeline(asked), link_base(request))
                history = [*history, asked]
            else:
                draft = ""
                for item in assistant.stream(text, filters=chosen, history=history):
                    if isinstance(item, str):  # LLM mode: the draft grows as tokens arrive
                        draft += item
                        shown = [*messages, {"role": "assistant", "content": render_draft(draft)}]
                        yield "", shown, history, None, gr.skip(), *hidden
                    else:
                        answer = item
                        reply = answer_html(assistant, item, link_base(request), chosen)
                        history = [*history, item.question]
        except AssistantError as exc:
            reply = render_error(_sentence(str(exc)))
        except Exception:
            log.exception("answering %r failed", text)
            reply = render_error(GENERIC_ERROR)
        messages.append({"role": "assistant", "content": reply})
        # kept in the browser with the answer itself, so a reload right after it still has it
        yield "", messages, history, answer, _saved(messages, history), *hidden

    def suggest(answer: Answer | None, source=None, date_from=None, date_to=None) -> list:
        """What follows the last answer: the follow-up chips, questions it leads to that are
        answered; after an abstention under filters, the button that asks it without them."""
        if answer is None:
            return hidden
        chosen = None
        try:
            chosen = parse_filters(source, date_from, date_to)
            articles = _articles_of(assistant, answer)
            found = follow_ups(answer, articles, lambda q: assistant.ask(q, filters=chosen), limit=len(chips))
        except Exception:
            log.exception("follow-up questions failed")
            found = []
        shown = [gr.update(value=q, visible=True) for q in found] + hidden[len(found) : len(chips)]
        return [*shown, gr.update(visible=bool(answer.abstained and chosen))]

    def unfiltered(answer: Answer | None) -> tuple:
        """The filters cleared and the last answer's question in the box, to be asked again."""
        return ALL_SOURCES, "", "", answer.question if answer is not None else ""

    # The chat survives a reload: messages and follow-up history kept in the browser's storage
    # (the page's and the widget's apart), restored on load; "New chat" empties it.
    saved = gr.BrowserState({}, storage_key=f"news-assistant-{'widget' if compact else 'chat'}")
    page.load(_restored, saved, [chatbot, standalone], api_name=False, show_progress="hidden")
    inputs = [question, chatbot, standalone, *filters]
    outputs = [question, chatbot, standalone, last, saved, *nexts]

    def asked(event) -> None:
        """After an answer, its follow-up chips (the main page only)."""
        if nexts:
            event.then(suggest, [last, *filters], nexts, api_name=False, show_progress="hidden")

    asked(send.click(respond, inputs, outputs, api_name="ask"))
    asked(question.submit(respond, inputs, outputs, api_name=False))
    # an example in the empty chat, or a follow-up chip, asks itself
    select = chatbot.example_select(_example_text, None, question, api_name=False, show_progress="hidden")
    asked(select.then(respond, inputs, outputs, api_name=False))
    for chip in chips:
        clicked = chip.click(lambda q: q, chip, question, api_name=False, show_progress="hidden")
        asked(clicked.then(respond, inputs, outputs, api_name=False))
    if without is not None:
        cleared = without.click(
            unfiltered, last, [*filters, question], api_name=False, show_progress="hidden"
        )
        asked(cleared.then(respond, inputs, outputs, api_name=False))
    # a card's "Timeline" link (chat_html.PAGE_JS): the story's id through a hidden box and button
    story = gr.Textbox(visible="hidden", elem_id="timeline-story")
    show = gr.Button(visible="hidden", elem_id="timeline-show")
    show.click(
        TimelineLink(assistant).show,
        [story, chatbot, standalone],
        [chatbot, saved],
        js=TIMELINE_JS,
        api_name=False,
        show_progress="hidden",
    )
    clear.click(
        lambda: ([], [], "", None, {}, *hidden),
        None,
        [chatbot, standalone, question, last, saved, *nexts],
        api_name="clear",
    )
    return None if compact else source


# Run in the browser before TimelineLink.show: the story id the clicked link carries (PAGE_JS
# leaves it on window) in place of the hidden box's value, which the click would race.
TIMELINE_JS = "(story, messages, history) => [window.naTimelineStory || story, messages, history]"


@dataclass(frozen=True)
class TimelineLink:
    """The handler behind a citation card's "Timeline" link: a method, so Gradio passes it the
    request (whose page decides the reader's links) as it does to a function."""

    assistant: Assistant

    def show(
        self,
        story: str | None,
        messages: list | None,
        history: list[str] | None,
        request: gr.Request = None,  # type: ignore[assignment]  # Gradio passes it
    ) -> tuple[list, dict]:
        """The chat with the timeline of ``story`` (a story id) added, as a request and its reply,
        and the chat as the browser keeps it. Any other value (the box is the visitor's to fill)
        gets a line saying so, never a traceback: an unknown id, a deleted story, a question."""
        messages, history = list(messages or []), list(history or [])
        asked, reply = "Timeline", ""
        try:
            self.assistant.story(story or "")  # a story id, else InputError: no question is searched
            found = self.assistant.timeline(story or "")
            first = found.entries[0]
            asked = f"Timeline of “{article_label(first.title, first.source, first.published)}”"
            reply = render_timeline(found, link_base(request))
        except AssistantError as exc:
            reply = render_error(_sentence(f"{exc}; it may have been deleted"))
        except Exception:
            log.exception("the timeline of %r failed", story)
            reply = render_error(GENERIC_ERROR)
        messages += [
            {"role": "user", "content": render_question(asked)},
            {"role": "assistant", "content": reply},
        ]
        return messages, _saved(messages, history)


# At most this many messages are kept in the browser's storage (the latest).
KEPT_MESSAGES = 100


def _text_of(content: object) -> str | None:
    """A message's HTML: Gradio hands it back as a string or as content parts ({"type": "text"})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(p for p in parts if isinstance(p, str)) if parts else None
    return None


def _saved(messages: list | None, history: list[str] | None) -> dict:
    kept = [
        {"role": m.get("role"), "content": _text_of(m.get("content"))}
        for m in (messages or [])
        if isinstance(m, dict) and _text_of(m.get("content")) is not None
    ]
    return {"messages": kept[-KEPT_MESSAGES:], "history": list(history or [])[-KEPT_MESSAGES:]}


def _restored(saved: dict | None) -> tuple[list, list[str]]:
    """The chat kept in the browser, as far as it has the shape ``_saved`` writes (the browser's
    storage is the visitor's: anything else is dropped; Gradio sanitizes the HTML it shows)."""
    saved = saved if isinstance(saved, dict) else {}
    messages = [
        {"role": m["role"], "content": m["content"]}
        for m in saved.get("messages") or []
        if isinstance(m, dict)
        and m.get("role") in {"user", "assistant"}
        and isinstance(m.get("content"), str)
    ][-KEPT_MESSAGES:]
    history = [q for q in saved.get("history") or [] if isinstance(q, str)][-KEPT_MESSAGES:]
    return messages, history


def _example_text(selected: gr.SelectData) -> str:
    value = selected.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def _sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return GENERIC_ERROR
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


@dataclass
class ArticlesTab:
    """The Articles tab (upload, fetch, feeds, list, delete) and its handlers.

    Each handler returns named updates, ``{component: value}``, for the components it changes;
    every event lists ``outputs`` (all of them), so Gradio leaves the others as they are."""

    assistant: Assistant
    max_file_mb: float
    report: gr.HTML
    feeds: gr.HTML
    feed_choice: gr.Dropdown
    listing: gr.HTML
    chosen: gr.Dropdown
    status: gr.HTML
    source: gr.Dropdown | None  # the chat's source filter, whose choices follow the loaded articles
    upload_folder: Path = field(default_factory=lambda: Path(gr.utils.get_upload_folder()))

    def outputs(self, first: gr.HTML | None = None) -> list:
        """Every component a handler may update, ``first`` (the event's message) first: it is the
        result gradio_client's callers read as ``[0]``."""
        own = [self.report, self.status, self.listing, self.chosen, self.feeds, self.feed_choice]
        first = first or self.report
        return [
            first,
            *(c for c in own if c is not first),
            *([self.source] if self.source is not None else []),
        ]

    # ------------------------------------------------------------------ what the page shows

    def articles_state(self) -> dict:
        """The loaded articles: the list, the delete choices, the chat's source choices."""
        articles = self.assistant.articles()
        state: dict = {
            self.listing: render_articles(articles),
            self.chosen: gr.update(choices=_article_choices(self.assistant, articles), value=None),
        }
        if self.source is not None:
            sources = sorted({a.source for a in articles if a.source})
            state[self.source] = gr.update(choices=[ALL_SOURCES, *sources])
        return state

    def feeds_state(self) -> dict:
        feeds = self.assistant.feeds_list()
        return {
            self.feeds: render_feeds(f.to_dict() for f in feeds),
            self.feed_choice: gr.update(choices=[f.url for f in feeds], value=None),
        }

    def page_state(self) -> dict:
        """What the page shows of the store: articles, sources, feeds (on page load)."""
        return {**self.articles_state(), **self.feeds_state()}

    def detected(self, results: list[FileResult]) -> dict[str, Article]:
        """The added and updated articles of ``results`` (the first few of each), for the report."""
        found: dict[str, Article] = {}
        for r in results:
            for article_id in [*r.added, *r.updated][:DETECTED_SHOWN]:
                with contextlib.suppress(AssistantError):
                    found[article_id] = self.assistant.article(article_id)
        return found

    # ------------------------------------------------------------------------------ handlers

    def add_files(self, paths: list[str] | None, progress=gr.Progress()) -> dict:  # noqa: B008 (Gradio's idiom)
        if not paths:
            return {self.report: render_note("Choose one or more files first."), **self.articles_state()}
        workdir = Path(tempfile.mkdtemp(prefix="assistant-upload-"))
        try:
            saved: list[tuple[str, Path]] = []
            early: list[FileResult] = []
            for raw in paths:
                result = FileResult(Path(raw).name)
                try:
                    path = uploaded_path(raw, self.upload_folder)
                    check_suffix(path.name)
                    if path.stat().st_size > self.max_file_mb * 1024 * 1024:
                        raise InputError(f"{path.name} is larger than the {self.max_file_mb:g} MB limit")
                except InputError as exc:
                    result.failed.append(_sentence(str(exc)))
                    early.append(result)
                    continue
                target = workdir / f"{len(saved):03d}-{sanitize_filename(path.name)}"
                shutil.copyfile(path, target)
                saved.append((path.name, target))

            def tick(done: int, total: int, name: str) -> None:
                progress((done, total), desc=f"Adding {name}" if name else "Done", unit="files")

            results = early + ingest_files(self.assistant, saved, tick)
            html = render_ingest_report(results, self.detected(results))
        except Exception:
            log.exception("adding uploaded files failed")
            html = render_error("Adding the files failed on our side. Please try again.")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return {self.report: html, **self.articles_state()}

    def add_url(self, url: str | None, follow_feed: bool, progress=gr.Progress()) -> dict:  # noqa: B008
        url = (url or "").strip()
        result = FileResult(url)
        try:
            if not url:
                raise InputError("paste the address of a page or a feed first")
            (url,) = urls_only([url])
            tick = _ticker(progress, "Fetching articles")
            if follow_feed:
                _fill(result, self.assistant.feeds_add(url, progress=tick), url)
            else:
                _fill(result, self.assistant.ingest([url], progress=tick), url)
        except AssistantError as exc:
            result.failed.append(_sentence(str(exc)))
        except Exception:
            log.exception("fetching %s failed", url)
            result.failed.append("Fetching failed on our side. Please try again.")
        return {self.report: render_ingest_report([result], self.detected([result])), **self.page_state()}

    def sync_now(self, progress=gr.Progress()) -> dict:  # noqa: B008 (Gradio's idiom)
        result = FileResult("All followed feeds")
        try:
            _fill(result, self.assistant.sync(progress=_ticker(progress, "Syncing feeds")), "")
        except AssistantError as exc:
            result.failed.append(_sentence(str(exc)))
        except Exception:
            log.exception("syncing feeds failed")
            result.failed.append("Syncing failed on our side. Please try again.")
        return {self.report: render_ingest_report([result], self.detected([result])), **self.page_state()}

    def unfollow(self, url: str | None) -> dict:
        try:
            if not url:
                raise InputError("choose a feed first")
            self.assistant.feeds_remove(url)
            message = render_note(f"Stopped following {url}; its articles stay.")
        except AssistantError as exc:
            message = render_error(_sentence(str(exc)))
        return {self.report: message, **self.feeds_state()}

    def delete(self, article_id: str | None) -> dict:
        if not article_id:
            return {self.status: render_note("Choose an article to delete."), **self.articles_state()}
        try:
            label = next((lbl for lbl, i in _article_choices(self.assistant) if i == article_id), article_id)
            self.assistant.delete(article_id)
            message = render_note(f"Deleted {label}.")
        except AssistantError as exc:
            message = render_error(_sentence(str(exc)))
        except Exception:
            log.exception("deleting %s failed", article_id)
            message = render_error("Deleting failed on our side. Please try again.")
        return {self.status: message, **self.articles_state()}


def _articles_tab(
    assistant: Assistant, max_file_mb: float, source_dropdown: gr.Dropdown | None
) -> ArticlesTab:
    """Lay out the Articles tab and wire its events; the page's load event uses ``page_state``."""
    gr.Markdown("Add news articles as .txt, .md, .html or .jsonl files (one article per JSON line).")
    upload = gr.File(
        label="Article files",
        file_count="multiple",
        file_types=sorted(SUPPORTED_SUFFIXES),
        type="filepath",
        elem_id="upload",
    )
    add = gr.Button("Add articles", variant="primary", elem_id="add")
    gr.Markdown("Or paste the address of a news page or of an RSS/Atom feed.")
    with gr.Row(equal_height=True):
        url_box = gr.Textbox(
            label="Page or feed URL", placeholder="https://…", elem_id="source-url", scale=6, max_lines=1
        )
        follow = gr.Checkbox(label="Follow the feed (keep it in sync)", elem_id="follow", scale=2)
        fetch = gr.Button("Fetch", variant="primary", elem_id="fetch", scale=1, min_width=80)
    report = gr.HTML(elem_id="report")
    gr.Markdown("### Followed feeds")
    feeds_html = gr.HTML(render_feeds(f.to_dict() for f in assistant.feeds_list()), elem_id="feeds")
    with gr.Row(equal_height=True):
        sync = gr.Button("Sync feeds now", elem_id="sync", scale=2, min_width=80)
        feed_choice = gr.Dropdown(
            choices=_feed_choices(assistant), label="Feed to stop following", elem_id="feed-choice", scale=4
        )
        unfollow = gr.Button("Stop following", elem_id="unfollow", scale=1, min_width=80)
    gr.Markdown("### Loaded articles")
    listing = gr.HTML(render_articles(assistant.articles()), elem_id="articles")
    with gr.Row(equal_height=True):
        chosen = gr.Dropdown(
            choices=_article_choices(assistant), label="Article to delete", elem_id="delete-choice", scale=4
        )
        delete = gr.Button("Delete", variant="stop", elem_id="delete", scale=1, min_width=80)
    with gr.Row(equal_height=True, visible=False, elem_id="delete-confirm-row") as confirm_row:
        confirm_text = gr.HTML(elem_id="delete-question")
        confirm = gr.Button("Delete it", variant="stop", elem_id="delete-confirm", scale=0, min_width=100)
        cancel = gr.Button("Keep it", elem_id="delete-cancel", scale=0, min_width=100)
    status = gr.HTML(elem_id="delete-status")

    tab = ArticlesTab(
        assistant, max_file_mb, report, feeds_html, feed_choice, listing, chosen, status, source_dropdown
    )
    outputs = tab.outputs()
    add.click(tab.add_files, [upload], outputs, api_name="add_articles")
    # Delete asks first; "Delete it" deletes (the API's delete_article), "Keep it" does nothing
    delete.click(_confirm_delete(assistant), [chosen], [confirm_row, confirm_text, status], api_name=False)
    confirm.click(lambda: gr.update(visible=False), None, confirm_row, api_name=False, show_progress="hidden")
    confirm.click(tab.delete, [chosen], tab.outputs(status), api_name="delete_article")
    cancel.click(lambda: gr.update(visible=False), None, confirm_row, api_name=False, show_progress="hidden")
    fetch.click(tab.add_url, [url_box, follow], outputs, api_name="add_source")
    url_box.submit(tab.add_url, [url_box, follow], outputs, api_name=False)
    sync.click(tab.sync_now, None, outputs, api_name="sync_feeds")
    unfollow.click(tab.unfollow, [feed_choice], outputs, api_name="unfollow_feed")
    return tab


def _confirm_delete(assistant: Assistant) -> Callable[[str | None], tuple]:
    def ask(article_id: str | None) -> tuple:
        """Show the confirmation for ``article_id`` (nothing is deleted yet)."""
        if not article_id:
            return gr.update(visible=False), "", render_note("Choose an article to delete.")
        label = next((lbl for lbl, i in _article_choices(assistant) if i == article_id), article_id)
        question = render_note(f"Delete {label}? Its text and chunks are removed; this can't be undone.")
        return gr.update(visible=True), question, ""

    return ask


def _ticker(progress: gr.Progress, what: str) -> Callable[[int, int], None]:
    """Progress as "Fetching articles: 3 of 30"."""
    return lambda done, total: progress((done, total), desc=f"{what}: {done} of {total}", unit="entries")


def _feed_choices(assistant: Assistant) -> list[str]:
    return [f.url for f in assistant.feeds_list()]


def _fill(result: FileResult, report: IngestReport, url: str) -> None:
    """One URL's (or sync's) report as a report line; entry failures name their page, and a note or
    failure repeated for many entries is said once, with their count."""
    result.added, result.updated, result.skipped = report.added, report.updated, report.skipped
    result.failed = _collapsed(report.failed, url)
    result.notes = _collapsed(report.notes, url)


def _collapsed(items: list[tuple[str, str]], url: str) -> list[str]:
    """(origin, message) pairs as lines: "origin: message", or "message (30 entries)" when many
    origins share it; the URL's own messages bare."""
    by_message: dict[str, list[str]] = {}
    for origin, message in items:
        by_message.setdefault(message, []).append(origin)
    lines = []
    for message, origins in by_message.items():
        if len(origins) > 1:
            lines.append(f"{message} ({len(origins)} entries)")
        else:
            lines.append(message if origins[0] == url else f"{origins[0]}: {message}")
    return lines


def _article_choices(assistant: Assistant, articles: list[Article] | None = None) -> list[tuple[str, str]]:
    articles = assistant.articles() if articles is None else articles
    return [
        (f"{article_label(a.title, a.source, a.published, a.text)} ({a.article_id})", a.article_id)
        for a in articles
    ]


def build_main(assistant: Assistant, max_file_mb: float = 20.0) -> gr.Blocks:
    """The full web chat: a Chat tab (with filters and examples), an Articles tab and a Watches
    tab, whose count of unseen changes is the header's badge."""
    with gr.Blocks(title="News Assistant", analytics_enabled=False) as demo:
        gr.HTML(
            "<div class='na-header'><h1>News Assistant</h1>"
            "<p>Ask about the news articles loaded here (listed in the Articles tab): each answer is a "
            "sentence or two quoted from them, with its source, or a plain “not covered”. Start with an "
            "example in the chat, or add your own articles.</p></div>"
        )
        badge = gr.HTML(elem_id="watch-badge", padding=False)  # unseen changes of watched questions
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                source = _chat_section(assistant, demo, compact=False)
            with gr.Tab("Articles", id="articles-tab", elem_id="articles-tab"):
                tab = _articles_tab(assistant, max_file_mb, source)
            with gr.Tab("Watches", id="watches-tab", elem_id="watches-tab"):
                watching = watches_tab(assistant, badge)
        # what is loaded may have changed since the page was built (other users, the API)
        demo.load(tab.page_state, None, tab.outputs(), api_name=False, show_progress="hidden")
        demo.load(watching.page_state, None, watching.outputs(), api_name=False, show_progress="hidden")
    demo.queue(default_concurrency_limit=8)
    return demo


def build_widget(assistant: Assistant) -> gr.Blocks:
    """The chat alone, for embedding in other pages (no tabs, filters or header)."""
    with gr.Blocks(title="News Assistant", analytics_enabled=False, fill_height=True) as widget:
        _chat_section(assistant, widget, compact=True)

        def answer(question: str, history: list[str] | None = None) -> dict:
            """Answer ``question`` (earlier questions in ``history``); Answer.to_dict() as JSON."""
            try:
                return assistant.ask(question, history=list(history or [])).to_dict()
            except AssistantError as exc:
                raise gr.Error(_sentence(str(exc)), print_exception=False) from None

        # for gradio_client: Client(".../widget/").predict("...", [], api_name="/answer")
        gr.api(answer, api_name="answer")
    widget.queue(default_concurrency_limit=8)
    return widget


HEADER_CSS = """
.na-header h1 { font-size: 1.5rem; margin: .2rem 0 0 0; }
.na-header p { margin: .1rem 0 .4rem 0; color: var(--body-text-color-subdued); }
footer { display: none !important; }
.main.fillable:has(.na-widget-chat) { padding: 6px 8px !important; }
"""
