"""The chat page's Watches tab and the header's badge: watch a question, see the changes of the
watched questions' answers (both answers with their sources), mark them seen, stop watching.

The badge shows how many changes are not yet seen; it is refreshed when the page loads, every
``BADGE_SECONDS`` (a sync in the background or another user's upload records changes), and by the
tab's own actions. HTML by web/watches_html.py, where article text is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.web.chat_html import render_note
from assistant.web.watches_html import render_badge, render_changes, render_watches

BADGE_SECONDS = 30


@dataclass
class WatchesTab:
    """The tab's components; each handler returns named updates for those it changes."""

    assistant: Assistant
    badge: gr.HTML
    question: gr.Textbox
    status: gr.HTML
    listing: gr.HTML
    chosen: gr.Dropdown
    changes: gr.HTML

    def outputs(self) -> list:
        return [self.status, self.badge, self.question, self.listing, self.chosen, self.changes]

    def badge_state(self) -> dict:
        return {self.badge: render_badge(self.assistant.watch_unseen())}

    def page_state(self) -> dict:
        """The watches, their changes and the badge, as the store holds them now."""
        watches = self.assistant.watches()
        return {
            **self.badge_state(),
            self.listing: render_watches(watches),
            self.chosen: gr.update(choices=[(w.question, w.watch_id) for w in watches], value=None),
            self.changes: render_changes(self.assistant.watch_changes()),
        }

    def add(self, question: str | None) -> dict:
        try:
            watch = self.assistant.watch_add(question or "")
        except AssistantError as exc:  # an empty or oversized question, too many watches
            return {self.status: render_note(str(exc)), **self.page_state()}
        shown = "no answer yet" if not watch.answer or watch.answer["abstained"] else "answered"
        message = f"Watching “{watch.question}” ({shown}): it is asked again after every sync and upload."
        return {self.status: render_note(message), self.question: "", **self.page_state()}

    def remove(self, watch_id: str | None) -> dict:
        if not watch_id:
            return {self.status: render_note("Choose a watched question first."), **self.page_state()}
        try:
            self.assistant.watch_remove(watch_id)
        except AssistantError as exc:  # removed meanwhile (another user, the API)
            return {self.status: render_note(str(exc)), **self.page_state()}
        return {
            self.status: render_note("No longer watched; its changes are forgotten."),
            **self.page_state(),
        }

    def seen(self) -> dict:
        marked = self.assistant.watch_seen()
        message = f"Marked {marked} change{'s' if marked != 1 else ''} seen."
        return {self.status: render_note(message), **self.page_state()}


def watches_tab(assistant: Assistant, badge: gr.HTML) -> WatchesTab:
    """The tab's components and events (inside a ``gr.Tab``); ``badge`` is the header's."""
    gr.Markdown(
        "Watch a question: it is asked again after every sync and upload, and when its answer's "
        "facts change (a new figure, name or date, or an answer where there was none) the change "
        "is listed here. A reworded report of the same figure is no change."
    )
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            label="Question to watch",
            placeholder="What is the death toll of …?",
            elem_id="watch-question",
            scale=6,
            max_lines=1,
        )
        add = gr.Button("Watch", variant="primary", elem_id="watch-add", scale=1, min_width=80)
    status = gr.HTML(elem_id="watch-status")
    gr.Markdown("### Changes")
    seen = gr.Button("Mark all seen", elem_id="watch-seen", size="sm")
    changes = gr.HTML(elem_id="watch-changes")
    gr.Markdown("### Watched questions")
    listing = gr.HTML(elem_id="watches")
    with gr.Row(equal_height=True):
        chosen = gr.Dropdown(choices=[], label="Question to stop watching", elem_id="watch-choice", scale=4)
        remove = gr.Button("Stop watching", elem_id="watch-remove", scale=1, min_width=80)
    tab = WatchesTab(assistant, badge, question, status, listing, chosen, changes)
    outputs = tab.outputs()
    add.click(tab.add, [question], outputs, api_name="watch_add")
    question.submit(tab.add, [question], outputs, api_name=False)
    remove.click(tab.remove, [chosen], outputs, api_name="watch_remove")
    seen.click(tab.seen, None, outputs, api_name="watch_seen")
    gr.Timer(BADGE_SECONDS).tick(tab.badge_state, None, [badge], api_name=False, show_progress="hidden")
    return tab
