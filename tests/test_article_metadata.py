"""What an article file or page says about itself (issue 23): a .txt or .md file's headline, source
and date lines, an HTML page's publisher, and pages that are not articles refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.formats import parse, parse_html
from assistant.ingest.read import ReadError

STORY = "GLASGOW: The harbour reopened on Thursday after the storm, the port authority said.\n"
PAGE = (
    "<html><head><title>Ferry line reopens</title>{head}</head><body><article><h1>Ferry line reopens</h1>"
    "<p>BERGEN: The ferry line between Bergen and Stavanger reopened on Monday after a two-week strike, "
    "the operator said.</p><p>The operator said 14 crossings a day would run from Tuesday.</p>"
    "</article></body></html>"
)


def text_doc(text: str):
    (doc,), failed = parse(Path("story.txt"), text)
    assert not failed
    return doc


@pytest.mark.parametrize(
    ("line", "source", "author", "published"),
    [
        ("Glasgow Herald, 14 March 2024", "Glasgow Herald", None, "14 March 2024"),
        ("Glasgow Herald, Thursday 14 March 2024", "Glasgow Herald", None, "14 March 2024"),
        ("14 March 2024", None, None, "14 March 2024"),
        ("By Ann Lee | 2024-03-14 10:30 GMT", None, "Ann Lee", "2024-03-14"),
    ],
)
def test_a_txt_files_first_lines_give_headline_source_and_date(line, source, author, published):
    doc = text_doc(f"Harbour reopens after the storm\n\n{line}\n\n{STORY}")
    assert (doc.title, doc.source, doc.author, doc.published) == (
        "Harbour reopens after the storm",
        source,
        author,
        published,
    )
    assert doc.text.strip() == STORY.strip()  # the date line is metadata, not the story


@pytest.mark.parametrize(
    "line",
    ["The council met on 14 March 2024 to vote.", "The council met on 14 March 2024", "Part 2 of the series"],
)
def test_a_sentence_with_a_date_stays_in_the_story(line):
    doc = text_doc(f"Harbour reopens after the storm\n\n{line}\n\n{STORY}")
    assert doc.published is None and doc.source is None and line in doc.text


def md_doc(text: str):
    (doc,), failed = parse(Path("story.md"), text)
    assert not failed
    return doc


@pytest.mark.parametrize(
    ("head", "source", "author"),
    [
        ("# Harbour reopens after the storm\n\n*Glasgow Herald*, 14 March 2024", "Glasgow Herald", None),
        ("Harbour reopens after the storm\n===\n\n_By Ann Lee | 14 March 2024_", None, "Ann Lee"),
        (
            "Harbour reopens after the storm\n\n[Glasgow Herald](https://example.org), 14 March 2024",
            "Glasgow Herald",
            None,
        ),
    ],
)
def test_a_md_files_first_lines_give_headline_source_and_date(head, source, author):
    """The same rule as a .txt file's, on the words of the Markdown: the first level-1 heading (or
    a first paragraph that reads as a headline), then a dateline under it."""
    doc = md_doc(f"{head}\n\n{STORY}\nThe ferries ran **again** on Friday.\n")
    assert (doc.title, doc.source, doc.author, doc.published) == (
        "Harbour reopens after the storm",
        source,
        author,
        "14 March 2024",
    )
    assert doc.text.split("\n\n") == [STORY.strip(), "The ferries ran again on Friday."]


@pytest.mark.parametrize("line", ["The council met on *14 March 2024* to vote.", "Part 2 of the series"])
def test_a_md_sentence_with_a_date_stays_in_the_story(line):
    doc = md_doc(f"# Harbour reopens after the storm\n\n{line}\n\n{STORY}")
    assert doc.title == "Harbour reopens after the storm"
    assert doc.published is None and doc.source is None and line.replace("*", "") in doc.text


def test_a_md_file_without_a_headline_keeps_all_its_text():
    doc = md_doc(f"{STORY}\n{STORY}")
    assert doc.title is None and doc.text.count("GLASGOW") == 2


def test_an_html_pages_site_name_or_publisher_is_its_source():
    site = '<meta property="og:site_name" content="Bergen Tidende">'
    assert parse_html(PAGE.format(head=site), "p").source == "Bergen Tidende"
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": '
        '"NewsArticle", "publisher": {"@type": "Organization", "name": "BT  Media"}}]}</script>'
    )
    assert parse_html(PAGE.format(head=ld), "p").source == "BT Media"
    assert parse_html(PAGE.format(head=""), "p").source is None


@pytest.mark.parametrize(
    ("title", "why"),
    [
        ("Directory listing for /", "directory listing"),
        ("Index of /files", "directory listing"),
        ("404 Not Found", "error page"),
        ("Page not found", "error page"),
    ],
)
def test_pages_that_are_not_articles_are_refused_with_a_reason(title, why):
    page = PAGE.replace("<title>Ferry line reopens</title>", f"<title>{title}</title>").format(head="")
    with pytest.raises(ReadError, match=why):
        parse_html(page, "p")
