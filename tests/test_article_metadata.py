"""What an article file or page says about itself (issue 23): a .txt or .md file's headline, source
and date lines, an HTML page's publisher, and pages that are not articles refused with a reason."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.ingest.formats import parse, parse_html
from assistant.ingest.read import ReadError
from tests.newsserver import NewsServer

EXTRACTION = Path(__file__).parent / "data" / "extraction"
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
        ("404 - Page Not Found | The Harbour Times", "error page"),
        ("Error 500", "error page"),
        ("503 Service Unavailable", "error page"),
        ("Oops! That page can’t be found. – The Harbour Times", "error page"),
    ],
)
def test_pages_that_are_not_articles_are_refused_with_a_reason(title, why):
    page = PAGE.replace("<title>Ferry line reopens</title>", f"<title>{title}</title>").format(head="")
    with pytest.raises(ReadError, match=why):
        parse_html(page, "p")


@pytest.mark.parametrize(
    "heading",
    ["Page not found", "Sorry, we couldn't find that page", "The page you requested does not exist"],
)
def test_an_error_page_titled_with_the_site_name_is_refused_by_its_heading(heading):
    page = PAGE.replace("Ferry line reopens</h1>", f"{heading}</h1>").replace("Ferry line reopens", "Bergen")
    with pytest.raises(ReadError, match="error page"):
        parse_html(page.format(head=""), "p")


@pytest.mark.parametrize(
    "headline",
    [
        "500 homes flooded in the valley",
        "404 days since the flood",
        "Missing hiker not found after three days",
        "Server error blamed for outage at the bank",
        "Why the missing page of the diary can't be found",
    ],
)
def test_a_headline_with_a_status_code_or_error_words_is_an_article(headline):
    page = PAGE.replace("Ferry line reopens", headline).format(head="")
    assert parse_html(page, "p").title == headline


STORIES = [
    (
        "Harbour bridge reopens after eight months of repairs",
        "The bridge reopened on Thursday; it cost 14 million.",
    ),
    (
        "National library extends its opening hours to 10 pm",
        "Visits rose by 18 percent last year, the director said.",
    ),
    (
        "Councillors approve a new tram line to the airport",
        "The 6.4 kilometre line will have nine stops by 2027.",
    ),
    (
        "Ferry strike ends after two weeks of talks",
        "Crossings to Helsinki resume on Monday, the operator said.",
    ),
    ("Port handles record number of cruise ships in March", "Thirty-one ships called at the old harbour."),
    (
        "City plans 400 new homes on the old shipyard site",
        "Building is due to start next spring if approved.",
    ),
    ("Heavy snow closes schools across the northern hills", "Another 20 centimetres are expected by Friday."),
    (
        "Museum returns carved altar to its village church",
        "The altar had been on loan to the museum since 1962.",
    ),
]
NAV = (
    '<header><a href="/">The Harbour Times</a>'
    '<nav><a href="/world">World</a> <a href="/sport">Sport</a></nav></header>'
)
FOOTER = (
    "<footer><p>Copyright 2024 The Harbour Times, published by Harbour Media Ltd in Tallinn.</p></footer>"
)


def section_page(teasers: bool = True, head: str = "") -> str:
    """A section front: each story's headline linked, with its teaser (or only the headlines: a tag page)."""
    cards = "".join(
        f'<article class="card"><h2><a href="/news/{i}.html">{title}</a></h2>'
        + (f"<p>{teaser}</p>" if teasers else "")
        + "<time>14 March 2024</time></article>"
        for i, (title, teaser) in enumerate(STORIES)
    )
    return (
        f"<html><head><title>World news | The Harbour Times</title>{head}</head><body>{NAV}"
        f"<main><h1>World</h1>{cards}</main>{FOOTER}</body></html>"
    )


@pytest.mark.parametrize("teasers", [True, False])
def test_an_index_page_is_refused_with_a_reason(teasers):
    with pytest.raises(ReadError, match="index page: 8 links to stories"):
        parse_html(section_page(teasers), "p")


def test_a_page_that_says_it_is_an_article_is_never_an_index_page():
    doc = parse_html(section_page(head='<meta property="og:type" content="article">'), "p")
    assert "Harbour bridge reopens" in doc.text


@pytest.mark.parametrize("path", sorted(EXTRACTION.rglob("*.html")), ids=lambda p: p.name)
def test_no_article_page_of_the_extraction_set_is_refused(path):
    """Real-shaped news pages (navigation, related-story boxes, galleries, live blogs) stay articles."""
    assert parse_html(path.read_text(encoding="utf-8"), str(path)).text


@pytest.mark.model
def test_fetched_pages_that_are_not_articles_are_refused_and_the_article_is_kept(tmp_path):
    """Through the real fetch, from real HTTP servers on loopback: a web server's own directory
    listing (http.server's), a section front, a tag page, an error page sent with status 200, and
    pages answered with 404 and 500 are each refused with its reason; nothing of them is stored,
    and the article among them is."""
    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("harbour-2024-03.txt", "library-hours.txt", "tram-line.txt"):
        (folder / name).write_text(STORY)
    handler = functools.partial(QuietFiles, directory=str(folder))
    listing = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=listing.serve_forever, daemon=True).start()
    soft_404 = PAGE.replace("Ferry line reopens</h1>", "Sorry, we couldn't find that page</h1>").replace(
        "Ferry line reopens", "The Harbour Times"
    )
    try:
        with NewsServer() as site:
            site.set("/news/ferry.html", PAGE.format(head=""))
            site.set("/world", section_page())
            site.set("/tag/harbour", section_page(teasers=False))
            site.set("/news/old-story.html", soft_404.format(head=""))
            site.set("/news/broken.html", PAGE.format(head=""), status=500)
            refused = {
                f"http://127.0.0.1:{listing.server_address[1]}/": "web server's directory listing",
                site.url("/world"): "index page: 8 links to stories",
                site.url("/tag/harbour"): "index page: 8 links to stories",
                site.url("/news/old-story.html"): 'error page ("Sorry, we couldn\'t find that page")',
                site.url("/news/missing.html"): "HTTP 404 Not Found",
                site.url("/news/broken.html"): "HTTP 500 Internal Server Error",
            }
            settings = Settings.from_env(env={"ASSISTANT_FETCH_ALLOW_PRIVATE": "1"})
            assistant = Assistant(store_dir=tmp_path / "store", settings=settings)
            report = assistant.ingest([site.url("/news/ferry.html"), *refused])
    finally:
        listing.shutdown()
        listing.server_close()
    reasons = dict(report.failed)
    assert set(reasons) == set(refused), report
    for url, why in refused.items():
        assert why in reasons[url], (url, reasons[url])
    (article,) = assistant.articles()
    assert article.title == "Ferry line reopens" and article.url == site.url("/news/ferry.html")


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
