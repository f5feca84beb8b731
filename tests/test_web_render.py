"""The chat's and the reader's HTML and the answer's text forms, as pure functions (fast tier):
each thing said once, cards grouped by article with real context, the reader's lines at their
offsets, plain text for Copy."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from assistant.query.answerer import CLOSEST
from assistant.query.question import asks_timeline
from assistant.schema import (
    Answer,
    Article,
    Citation,
    Coverage,
    FigureDifference,
    Report,
    Timeline,
    TimelineEntry,
)
from assistant.web.chat_html import render_answer, render_timeline
from assistant.web.followups import candidates, follow_ups, names
from assistant.web.markdown import answer_markdown, answer_plain
from assistant.web.present import answer_body, reader_href
from assistant.web.reader import render_reader
from assistant.web.snippets import windows

TEXT = (
    "HARBOUR TOWN: The ferry left at dawn on Monday. It carried 212 passengers.\n\n"
    "Storm warning issued\n\n"
    "The coastguard said the sea was calm. Officials praised the crew.\n"
    "A second ferry will sail on Friday."
)
ARTICLE = Article("a1", "Ferry sails", "Gazette", "2024-03-04", "https://example.org/f", None, TEXT)


def cite(quote: str, article: Article = ARTICLE) -> Citation:
    start = article.text.index(quote)
    return Citation(
        quote, article.article_id, article.title, article.source, article.published, article.url,
        start, start + len(quote), 0.9,
    )  # fmt: skip


def visible(fragment: str) -> str:
    """The text a reader sees: tags dropped, hidden .na-plain dropped."""
    fragment = re.sub(r'<div class="na-plain">.*?</div>', "", fragment)
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?…])\s+", " ".join(text.split())) if len(s.strip()) > 15]


def test_card_context_is_the_neighbouring_sentences_across_paragraphs_and_headings():
    quote = "The coastguard said the sea was calm."
    start = TEXT.index(quote)
    (passage,) = windows(TEXT, [(start, start + len(quote))])
    # the sentence before lies two paragraphs up, past the "Storm warning issued" sub-head
    assert [(p.text, p.quote) for p in passage] == [
        ("It carried 212 passengers.", None),
        (quote, 0),
        ("Officials praised the crew.", None),
    ]


def test_quotes_side_by_side_share_one_passage_and_far_ones_do_not():
    near = [TEXT.index(q) for q in ("It carried 212", "The coastguard")]
    spans = [(near[0], near[0] + 26), (near[1], near[1] + 37)]
    (passage,) = windows(TEXT, spans)
    assert [p.quote for p in passage] == [None, 0, 1, None]
    far_text = " ".join(f"Sentence number {n} is here." for n in range(12))
    a, b = far_text.index("number 1 "), far_text.index("number 9 ")
    assert len(windows(far_text, [(a, a + 10), (b, b + 10)])) == 2


def test_answer_says_each_thing_once_and_groups_an_article_into_one_card():
    first, second = cite("It carried 212 passengers."), cite("Officials praised the crew.")
    answer = Answer(
        text=f"From “Ferry sails”: {first.quote} [1] {second.quote} [2]",
        abstained=False,
        citations=[first, second],
        confidence=0.8,
    )
    fragment = render_answer(answer, {"a1": ARTICLE})
    shown = visible(fragment)
    said = sentences(shown)
    assert said and len(said) == len(set(said)), said
    assert "From “" not in shown and shown.count("Ferry sails") == 1  # the headline on the card only
    assert fragment.count('class="na-source"') == 1  # one article, one card
    assert "The ferry left at dawn on Monday." in shown  # real context around the quotes
    # each marker opens the reader at its own quote first, the other quote highlighted too
    one = reader_href("a1", [(first.start, first.end), (second.start, second.end)])
    two = reader_href("a1", [(second.start, second.end), (first.start, first.end)])
    assert f'href="{html.escape(one)}"' in fragment and f'href="{html.escape(two)}"' in fragment


def test_an_llm_quote_not_in_the_answer_is_shown_whole_in_the_card():
    quote = cite("It carried 212 passengers.")
    answer = Answer(text="Over two hundred people were aboard [1].", abstained=False, citations=[quote])
    assert "<mark>It carried 212 passengers.</mark>" in render_answer(answer, {"a1": ARTICLE})


def test_answer_body_drops_only_the_leading_headline():
    quote = cite("It carried 212 passengers.")
    lead = Answer(text=f"From “Ferry sails”: {quote.quote} [1]", abstained=False, citations=[quote])
    assert answer_body(lead) == f"{quote.quote} [1]"
    inside = Answer(text="He said: From “x”: y [1]", abstained=False, citations=[quote])
    assert answer_body(inside) == inside.text
    assert answer_body(Answer(text="From “x”: y", abstained=True)) == "From “x”: y"  # no citation
    closest = Answer(
        text=f"{CLOSEST} From “Ferry sails”: {quote.quote} [1]", abstained=True, citations=[quote]
    )
    assert answer_body(closest) == f"{CLOSEST} {quote.quote} [1]"


def test_plain_text_and_markdown_carry_the_sources_and_the_reader_link():
    quote = cite("It carried 212 passengers.")
    answer = Answer(text=f"From “Ferry sails”: {quote.quote} [1]", abstained=False, citations=[quote])
    plain = answer_plain(answer, "http://host:7860")
    assert plain.splitlines()[:3] == [f"{quote.quote} [1]", "", "Sources:"]
    assert plain.splitlines()[3].startswith("[1] Ferry sails — Gazette, 4 Mar 2024 https://example.org/f")
    assert f"http://host:7860/articles/a1#q={quote.start}-{quote.end}" in plain
    markdown = answer_markdown(answer, "http://host:7860")
    assert f"(http://host:7860/articles/a1#q={quote.start}-{quote.end})" in markdown
    assert "/articles/" not in answer_markdown(answer)  # no server address: no link


def test_reader_lines_hold_the_text_at_their_offsets_escaped():
    text = "<b>Bold</b> & “quoted”\n\nSecond line 🙂 with an emoji.\nThird."
    page = render_reader(Article("x<1>", None, None, None, "javascript:alert(1)", None, text))
    lines = re.findall(r'<p data-start="(\d+)">(.*?)</p>', page)
    assert [(int(s), html.unescape(t)) for s, t in lines] == [
        (0, "<b>Bold</b> & “quoted”"),
        (text.index("Second"), "Second line 🙂 with an emoji."),
        (text.index("Third"), "Third."),
    ]
    assert "<b>" not in page and "javascript:" not in page and 'data-article="x&lt;1&gt;"' in page


def test_follow_up_candidates_are_the_names_near_the_quotes():
    text = (
        "President Vladimir Putin vowed to hunt down those responsible. "
        "In Moscow, the Kremlin acknowledged that a bomb destroyed the airliner. "
        "The European Union accepted the request on Tuesday."
    )
    article = Article("m", "Strikes", "Dawn", "2015-11-18", None, None, text)
    quote = cite("In Moscow, the Kremlin acknowledged that a bomb destroyed the airliner.", article)
    answer = Answer(f"{quote.quote} [1]", False, [quote], question="What did the Kremlin say?")
    assert names("Secretary of State John Kerry met President Vladimir Putin on Monday.") == [
        "John Kerry",
        "Vladimir Putin",
    ]
    assert candidates(answer, {"m": article}) == [
        "What is known about the European Union?",
        "What did Vladimir Putin say?",
    ]

    def ask(question: str) -> Answer:  # the first is answered with the quote already shown
        said = quote if "Union" in question else cite("President Vladimir Putin vowed", article)
        return Answer("...", False, [said])

    assert follow_ups(answer, {"m": article}, ask) == ["What did Vladimir Putin say?"]
    assert follow_ups(Answer("not covered", True), {"m": article}, ask) == []


def test_confidence_label_is_the_calibrated_band():
    quote = cite("It carried 212 passengers.")
    for confidence, label in ((0.91, "High"), (0.7, "High"), (0.55, "Medium"), (0.39, "Low")):
        answer = Answer("x [1]", False, [quote], confidence=confidence)
        fragment = render_answer(answer, {"a1": ARTICLE})
        assert f">{label} confidence<" in fragment and f"{confidence:.0%}" in fragment
    closest = Answer("closest [1]", True, [quote], confidence=0.95)
    assert ">Low confidence<" in render_answer(closest, {"a1": ARTICLE})


def test_a_note_repeated_for_many_feed_entries_is_said_once_with_its_count():
    from assistant.web.ui import _collapsed

    notes = [(f"https://f.example/{n}", "dropped page boilerplate") for n in range(30)]
    notes += [("https://f.example/x", "undated"), ("https://f.example/feed", "feed title missing")]
    assert _collapsed(notes, "https://f.example/feed") == [
        "dropped page boilerplate (30 entries)",
        "https://f.example/x: undated",
        "feed title missing",
    ]


# ----- a story's other reports on the card, and its timeline -----------------------------------
STORY = "0123456789abcdef"
AGREES = "The ferry carried 212 passengers, the port said."
HIGHER = "It carried 230 <b>passengers</b>, the coastguard said."


def covered() -> Answer:
    """An answer citing the ferry, whose story two other outlets reported: one states the cited
    fact with the same figure, one with another (its sentence, and its headline, hold markup);
    the note "Reports differ" has cited the second as [2]."""
    quote = cite("It carried 212 passengers.")
    same = Report("b2", "Ferry sails on time", "Herald", "2024-03-04", "https://herald.example/f",
                  AGREES, 0, len(AGREES))  # fmt: skip
    other = Report("c3", "<img src=x onerror=alert(1)> Ferry full", "Wire", "2024-03-05",
                   "javascript:alert(1)", HIGHER, 10, 10 + len(HIGHER),
                   [FigureDifference("carried 212 passengers", "carried 230 <b>passengers")])  # fmt: skip
    first = replace(quote, coverage=Coverage(STORY, [same, other]))
    second = Citation(HIGHER, "c3", other.title, "Wire", "2024-03-05", None, 10, 10 + len(HIGHER), 0.9)
    text = f"{quote.quote} [1] Reports differ: “carried 212 passengers” (Gazette, 2024-03-04) [1]; "
    text += "“carried 230 <b>passengers” (Wire, 2024-03-05) [2]."
    return Answer(text=text, abstained=False, citations=[first, second], confidence=0.8)


def test_a_card_lists_its_storys_other_reports_with_their_figures_and_dates():
    fragment = render_answer(covered(), {"a1": ARTICLE})
    card = fragment[: fragment.index('class="na-source" data-article="c3"')]
    also = visible(card[card.index('class="na-also"') :])
    assert "Also reported by" in also and also.index("Ferry sails on time") < also.index("Ferry full")
    assert f"“{AGREES}”" in " ".join(also.split())  # the other report's sentence stating the fact
    assert "Herald · 4 Mar 2024 · herald.example ↗" in " ".join(also.split())
    # the report the answer cites is named by its number, not quoted again; its figure and date shown
    assert "Cited as [2]" in " ".join(also.split()) and also.count("230") == 1
    assert "Differs: carried 230 <b>passengers (5 Mar 2024) against “carried 212 passengers” [1]" in " ".join(
        also.split()
    )
    # each report's headline opens the reader at its sentence; the Timeline link names the story
    assert f'href="{html.escape(reader_href("b2", [(0, len(AGREES))]))}"' in card
    assert f'class="na-timeline" href="#timeline={STORY}"' in card
    # article text is untrusted: escaped, and no link but http(s)
    assert "<img" not in fragment and "<b>" not in fragment and "javascript:" not in fragment
    assert fragment.count('class="na-also"') == 1  # the cited report's own card has no coverage


def test_a_report_not_cited_shows_its_sentence_with_the_other_figure_marked():
    answer = covered()
    alone = replace(answer, text=answer.text.split(" Reports differ")[0], citations=answer.citations[:1])
    also = render_answer(alone, {"a1": ARTICLE}).split('class="na-also"')[1]
    marked = '<mark class="na-figure">carried 230 &lt;b&gt;passengers</mark>&lt;/b&gt;, the coastguard'
    assert f"“It {marked} said.”" in also  # the space before the marked phrase kept


def test_a_card_without_coverage_has_no_reports_or_timeline_link():
    fragment = render_answer(Answer("x [1]", False, [cite("It carried 212 passengers.")]), {"a1": ARTICLE})
    assert "na-also" not in fragment and "na-timeline" not in fragment


def entry(
    n: int, quote: str, kind: str, new: list[str] | None = None, title: str | None = None
) -> TimelineEntry:
    return TimelineEntry(f"a{n}", title or f"Report {n}", f"Outlet {n}", f"2024-03-0{n}",
                         f"https://example.org/{n}", quote, 5, 5 + len(quote), kind, new or [])  # fmt: skip


def test_a_timeline_shows_the_reports_in_order_with_what_each_adds():
    found = Timeline(
        STORY,
        [
            entry(1, "The ferry left Harbour Town with 212 passengers on Monday.", "lede"),
            entry(
                2,
                "Divers found the <script>wreck</script> near Kellan on Tuesday.",
                "adds",
                ["Divers", "<script>wreck</script>", "Kellan"],
            ),
            entry(3, "The ferry left Harbour Town with 212 passengers.", "lede", title="<i>Third</i>"),
        ],
    )
    fragment = render_timeline(found, "http://host:7860")
    shown = " ".join(visible(fragment).split())
    assert "How the story developed: 3 reports, 1 Mar 2024 to 3 Mar 2024, oldest first." in shown
    assert shown.index("Report 1") < shown.index("Report 2") < shown.index("<i>Third</i>")
    assert "First report" in shown and "What it adds" in shown and "Adds nothing new" in shown
    assert "<mark>Divers</mark>" in fragment and "<mark>Kellan</mark>" in fragment
    assert "<script>" not in fragment and "<i>" not in fragment
    second = found.entries[1]  # its headline opens the reader at its sentence
    assert (
        f'href="{html.escape(reader_href("a2", [(second.start, second.end)], "http://host:7860"))}"'
        in fragment
    )
    assert "Outlet 2 · 2 Mar 2024 · example.org ↗" in shown
    assert "na-matched" not in fragment  # asked by id: no passage to name

    matched = Citation("q", "a1", "Report 1", "Outlet 1", "2024-03-01", None, 0, 1, 0.5)
    asked = render_timeline(replace(found, question="How did it develop?", matched=matched))
    assert "The story of “Report 1”, the article that best matches the question." in visible(asked)


def test_questions_that_ask_how_a_story_developed_are_told_apart_from_questions_of_fact():
    for question in (
        "How did the Mecca crane story develop?",
        "How has the strike unfolded since Monday?",
        "how did events play out in Paris?",
        "What is the timeline of the Paris attacks?",
        "Show me the timeline of the ferry disaster",
        "The ferry sank on Monday. How did the story evolve?",
    ):
        assert asks_timeline(question), question
    for question in (
        "How many people were killed in the Mecca crane collapse?",
        "How did the crane fall?",
        "How did the researchers develop the vaccine?",
        "What is the timeline for the bridge's reopening?",
        "Who developed the app?",
        "How did the story develop? How many died?",  # the asking sentence is the last
    ):
        assert not asks_timeline(question), question
