"""Loading and cleaning real inputs: the seed page, HTML, Markdown, JSONL, odd encodings."""

from __future__ import annotations

import json
from dataclasses import replace

from assistant.ingest.clean import clean, iso_date
from assistant.ingest.formats import RawDoc, parse
from assistant.ingest.read import iter_files
from assistant.ingest.sentences import sentence_spans
from tests.conftest import SAMPLE, SEED


def test_seed_article_boilerplate_is_dropped_and_metadata_read():
    docs, failed = parse(SEED, SEED.read_text(encoding="utf-8"))
    assert not failed
    article = clean(docs[0])
    assert article.text.startswith("PARIS: France and Russia carried out air strikes")
    assert article.text.endswith("is the head of the snake.”")
    for junk in ("Published in Dawn", "IMF’s projections", "Hepatitis crisis", "Editorial"):
        assert junk not in article.text
    assert article.source == "Dawn"
    assert article.published == "2015-11-18"
    assert article.dateline == "PARIS"
    assert article.title is None  # the page gives none, and none is invented
    assert "Published in Dawn, November 18th, 2015" in article.note


def test_sentence_spans_are_exact_and_break_at_lines():
    text = clean(parse(SEED, SEED.read_text(encoding="utf-8"))[0][0]).text
    spans = sentence_spans(text)
    pieces = [text[s.start : s.end] for s in spans]
    assert "Paris invokes an EU treaty clause to ask for assistance in operations in Iraq and Syria" in pieces
    assert any(p.startswith("In Moscow, the Kremlin acknowledged") and "224" in p for p in pieces)
    assert all(p == p.strip() and p for p in pieces)


def test_html_article_extracted_with_metadata(tmp_path):
    page = tmp_path / "story.html"
    page.write_text(
        """<html><head><title>Floods hit the valley | Example News</title>
        <meta property="og:site_name" content="Example News">
        <meta property="article:published_time" content="2024-03-05T08:00:00Z">
        <link rel="canonical" href="https://news.example.com/floods"></head>
        <body><nav>Home | World | Sport</nav><article><h1>Floods hit the valley</h1>
        <p>Heavy rain flooded the valley on Monday, forcing 3,000 residents from their homes.</p>
        <p>Officials said the river rose four metres overnight and schools stayed closed.</p>
        </article><footer>Copyright Example News</footer></body></html>""",
        encoding="utf-8",
    )
    doc = parse(page, page.read_text())[0][0]
    article = clean(doc)
    assert "forcing 3,000 residents" in article.text
    assert "Home | World" not in article.text
    assert article.title == "Floods hit the valley"
    assert article.published == "2024-03-05"
    assert article.url == "https://news.example.com/floods"


def test_markdown_heading_becomes_title(tmp_path):
    md = tmp_path / "note.md"
    md.write_text("# Port strike ends\n\nDock workers **returned** to work on [Friday](http://x).\n")
    article = clean(parse(md, md.read_text())[0][0])
    assert article.title == "Port strike ends"
    assert article.text == "Dock workers returned to work on Friday."


def test_jsonl_fields_and_bad_lines(tmp_path):
    path = tmp_path / "feed.jsonl"
    good = {"headline": "Rates held", "body": "The central bank held rates at 5%.", "date": "2023-07-01"}
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"title": "no text"}) + "\n")
    docs, failed = parse(path, path.read_text())
    assert [d.title for d in docs] == ["Rates held"]
    assert iso_date(docs[0].published) == "2023-07-01"
    assert [origin for origin, _ in failed] == [f"{path}:2", f"{path}:3"]
    assert "not valid JSON" in failed[0][1]


def test_iso_date_forms():
    assert iso_date("November 18th, 2015") == "2015-11-18"
    assert iso_date("2015-11-18T10:00:00+05:00") == "2015-11-18"
    assert iso_date("no date here") is None
    assert iso_date(None) is None


def test_wikinews_headline_date_line_captions_and_sources_are_dropped():
    path = SAMPLE / "wikinews-24.jsonl"
    docs, failed = parse(path, path.read_text(encoding="utf-8"))
    assert len(docs) == 24 and not failed
    by_title = {d.title: clean(d) for d in docs}
    afghan = by_title[next(t for t in by_title if t.startswith("After visa snags"))]
    assert afghan.text.startswith("A group of Afghan teenagers was awarded a silver medal")
    assert "Image: United States Navy" not in afghan.text and "Friday, July 21, 2017" not in afghan.text
    assert afghan.published == "2017-07-18"  # the record's date wins over the date line
    assert afghan.note == (
        "dropped the headline repeated atop the text; dropped the date line 'Friday, July 21, 2017'; "
        "dropped 1 photo caption"
    )
    canada = by_title["Sensitive Canadian document found on rainy streets"]
    assert canada.text.endswith("ties to the Hells Angels biker gang.")
    assert canada.note.startswith("dropped 474 characters of page boilerplate from 'Sources' on")
    # the date line run into the first sentence goes, the sentence stays
    flag = by_title["New Zealand begins process to consider changing national flag design"]
    assert flag.text.startswith("On Tuesday, the New Zealand government announced")


def test_folder_walk_passes_over_attribution_and_readme(tmp_path):
    (tmp_path / "a.txt").write_text("An article.")
    for name in ("ATTRIBUTION.md", "README.md", "LICENSE.txt"):
        (tmp_path / name).write_text("# Not an article")
    assert [p.name for _, p, _ in iter_files([tmp_path])] == ["a.txt"]
    named = list(iter_files([tmp_path / "README.md"]))  # named directly, it is read
    assert [p.name for _, p, _ in named] == ["README.md"]
    assert "ATTRIBUTION.md" not in {p.name for _, p, _ in iter_files([SAMPLE])}


# A scraped page in the shape of the real-news dev set: story paragraphs with player widgets, a
# gallery, captions with credits, sign-up boxes and reporter contact lines between them. Story
# lines that merely mention a newsletter, an e-mail address, Twitter or a photo must stay.
STORY = [
    "WASHINGTON — The Senate passed the water bill 68-31 on Tuesday, sending it to the president.",
    "Senator Ada Ruiz said the bill would fund 1,200 new treatment plants over five years.",
    "A road near the river was damaged by flooding Monday.",  # a caption: its credit goes, it stays
    "Residents can e-mail questions to water@example.gov, the agency said in its newsletter.",
    "Ruiz thanked volunteers who signed up to test wells, and posted a photo of them on Twitter.",
    "Follow the money: the bill's cost is $4 billion, officials said.",
    "More: the bill also sets up a board to check the plants, Ruiz said.",
]
FURNITURE = [
    "1. How relevant is this ad to you?",
    "Video player was slow to load content Video content never loaded Ad froze or did not finish loading",
    "JUST WATCHED Flood waters rise Replay More Videos ... MUST WATCH Flood waters rise 02:10",
    "Video Ad Feedback 01:15 - Source: CNN See the flooding",
    "Photos: Floods A house in the water. Hide Caption 1 of 2 Photos: Floods A road. Hide Caption 2 of 2",
    "Get our free weekly newsletter Sign up here to get the news in your inbox.",
    '(You can get "5 Things You Need to Know Today" delivered to your inbox daily. Sign up here .)',
    "Contact Jane Doe at jdoe@example.com or on Twitter @janedoe.",
    "Jane Doe covers the environment for the Courier. She can be reached at jdoe@example.com.",
    "Contributing: The Associated Press",
    "– Jane Doe",
    "This story has been updated with additional developments.",
    "More:Five rivers to see before they run dry",
    "RELATED: How the water bill passed the Senate",
]


def test_page_furniture_lines_are_dropped_and_reported():
    lines = [STORY[0], FURNITURE[0], FURNITURE[1], STORY[1], FURNITURE[2], FURNITURE[3]]
    lines += [STORY[2] + " Matthew Brown/AP", FURNITURE[4], STORY[3], FURNITURE[5], STORY[4]]
    lines += [FURNITURE[6], STORY[5], FURNITURE[12], STORY[6], *FURNITURE[7:12], FURNITURE[13]]
    article = clean(RawDoc(text="\n\n".join(lines), origin="page.jsonl:1"))
    assert article.text == "\n\n".join(STORY)  # every story sentence, in order, nothing else
    kinds = (
        "video player",
        "photo gallery",
        "photo credit",
        "newsletter",
        "byline",
        "page notice",
        "related link",
    )
    for kind in kinds:
        assert f" {kind} line" in article.note, kind
    assert "dropped 4 video player lines such as '1. How relevant is this ad to you?'" in article.note
    assert (
        "dropped 2 related link lines such as 'More:Five rivers to see before they run dry'" in article.note
    )


def test_a_page_of_nothing_but_a_player_form_leaves_no_text():
    page = "1. How relevant is this ad to you?\n\n" + FURNITURE[1]
    assert clean(RawDoc(text=page, origin="x")).text == ""


def test_the_site_name_after_a_headline_is_dropped():
    def title(raw: str, source: str | None = "City Herald") -> str | None:
        return clean(
            RawDoc(text="The bridge reopened on Monday.", origin="x", title=raw, source=source)
        ).title

    assert title("Bridge reopens after repairs - City Herald") == "Bridge reopens after repairs"
    assert title("Bridge reopens | City Herald Business") == "Bridge reopens"
    assert title("Rivals - and friends - meet again") == "Rivals - and friends - meet again"
    assert title("Bridge reopens - City Herald", source=None) == "Bridge reopens - City Herald"
    repeated = RawDoc(
        text="Bridge reopens\nThe bridge reopened.", origin="x", title="Bridge reopens - City Herald"
    )
    assert clean(replace(repeated, source="City Herald")).text == "The bridge reopened."
