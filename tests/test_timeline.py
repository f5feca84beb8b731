"""A story's timeline (assistant/stories/timeline.py, ``Assistant.timeline``).

The pure logic on hand-made ``Article`` objects (fast): the order of publication, the first
report's lede, each later report's sentence that adds what earlier ones lacked, quotes verbatim
at their offsets. Then the real parts on one invented story (a harbour fire in an invented town,
three reports over four days) and an unrelated report from the same town and days: the Python API
on a real store, the CLI (in this process, and as a subprocess), the HTTP API and the MCP tool on
the session's web app (tests/conftest.py ``api_app``).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from assistant import Assistant, InputError, NotFoundError, cli
from assistant.config import Settings
from assistant.schema import Article, Timeline
from assistant.stories.timeline import adds, terms, timeline
from tests.conftest import API_TOKEN, defaults_env, uploaded


def article(n: int, text: str, published: str | None, title: str | None = None) -> Article:
    return Article(
        article_id=f"a{n}",
        title=title or f"Report {n}",
        source=f"Source {n}",
        published=published,
        url=f"https://example.org/{n}",
        dateline=None,
        text=text,
    )


def verbatim(found: Timeline, articles: dict[str, Article]) -> None:
    for e in found.entries:
        assert e.quote and articles[e.article_id].text[e.start : e.end] == e.quote, e


# ----- pure logic (fast) --------------------------------------------------------------------------
FIRST = (
    "Dam breach floods Arnsvale\n\nTuesday, 2 April 2024\n\n"
    "Flood water from the Arnsvale dam covered the lower town on Tuesday, the district office said. "
    "Residents were moved to the school hall overnight."
)
SECOND = (
    "Residents of Arnsvale spent a second night in the school hall after the dam flooded the lower "
    "town. Engineer Tomas Reyl of the Velder Water Board said 340 homes were damaged and the breach "
    "was 12 metres wide. The district office said the school hall would stay open."
)
THIRD = (
    "The district office said residents of the lower town of Arnsvale were moved to the school hall "
    "after the dam flooded it."
)


def test_reports_are_ordered_by_publication_whatever_order_they_come_in():
    reports = [
        article(3, THIRD, "2024-04-04"),
        article(1, FIRST, "2024-04-02", title="Dam breach floods Arnsvale"),
        article(2, SECOND, "2024-04-03", title="B"),
        article(4, SECOND.replace("340", "350"), "2024-04-03", title="A"),  # same day: by headline
    ]
    found = timeline("a1", reports)
    assert found.story == "a1" and found.question is None and found.matched is None
    assert [e.article_id for e in found.entries] == ["a1", "a4", "a2", "a3"]
    assert [e.published for e in found.entries] == ["2024-04-02", "2024-04-03", "2024-04-03", "2024-04-04"]
    verbatim(found, {a.article_id: a for a in reports})


def test_the_first_report_is_shown_by_its_lede_not_its_headline_or_dateline():
    first = article(1, FIRST, "2024-04-02", title="Dam breach floods Arnsvale")
    (entry,) = timeline("a1", [first]).entries
    assert entry.kind == "lede" and entry.new == []
    assert entry.quote.startswith("Flood water from the Arnsvale dam") and entry.quote.endswith("said.")
    assert (entry.title, entry.source, entry.url) == (
        "Dam breach floods Arnsvale",
        "Source 1",
        "https://example.org/1",
    )


def test_a_short_text_is_shown_by_its_first_sentence():
    (entry,) = timeline("a1", [article(1, "Dam holds. Town dry.", "2024-04-02")]).entries
    assert (entry.quote, entry.start, entry.end) == ("Dam holds.", 0, 10)


def test_a_later_report_is_shown_by_what_it_adds():
    reports = [article(1, FIRST, "2024-04-02"), article(2, SECOND, "2024-04-03")]
    first, second = timeline("a1", reports).entries
    assert first.kind == "lede"
    # Its opening sentence rewords the first report; the second brings a name and two figures.
    assert second.kind == "adds" and second.quote.startswith("Engineer Tomas Reyl")
    assert {"Tomas", "Reyl", "Velder", "340", "12"} <= set(second.new)
    assert "Arnsvale" not in second.new and "school" not in second.new  # seen in the first report
    verbatim(Timeline("a1", [first, second]), {a.article_id: a for a in reports})


def test_a_report_that_adds_nothing_is_shown_by_its_lede():
    reports = [
        article(1, FIRST, "2024-04-02"),
        article(2, SECOND, "2024-04-03"),
        article(3, THIRD, "2024-04-04"),
    ]
    third = timeline("a1", reports).entries[2]
    assert third.kind == "lede" and third.new == [] and third.quote == THIRD


def test_new_figures_and_names_outweigh_new_common_words():
    seen = terms("The storm hit the coast on Monday and 40 boats sank.")
    gain, words = adds("Fishermen repaired nets as gulls circled.", seen)
    assert words == ["Fishermen", "repaired", "nets", "gulls", "circled"] and gain == 5
    gain, facts = adds("The toll rose to 41 in Kelby.", seen)
    assert facts == ["toll", "rose", "41", "Kelby"] and gain == 6  # the figure and the name twice
    assert adds("The storm sank 40 boats on the coast.", seen) == (0, [])


def test_a_reworded_or_inflected_word_adds_nothing():
    seen = terms("Twelve people were killed when the bridge collapsed; 1,200 were evacuated.")
    assert adds("Killing twelve, the bridge's collapse evacuated 1200 people.", seen) == (0, [])


# ----- the real parts: a store, the CLI, the HTTP API, the MCP tool ---------------------------------
_OWNER = "Harbour master Ines Okafor said the warehouses of Marlow Shipping held timber and paint"
FIRE = [
    {
        "title": "Fire destroys warehouses at Port Velin harbour",
        "source": "Velin Herald",
        "published": "2024-05-10",
        "url": "https://herald.example.org/port-velin-harbour-fire",
        "text": (
            "PORT VELIN - A fire destroyed three warehouses at the Port Velin harbour on Friday "
            "night, the regional fire service said. Firefighters from Port Velin and Kellan Bay "
            f"fought the blaze for six hours. {_OWNER}. The cause of the fire is not yet known, "
            "and the quay is closed."
        ),
    },
    {
        "title": "Two workers missing after Port Velin harbour fire",
        "source": "Coastal Times",
        "published": "2024-05-11",
        "url": "https://times.example.net/velin-fire-missing",
        "text": (
            "Firefighters were still at the Port Velin harbour on Saturday, a day after the fire "
            f"that destroyed three warehouses there. {_OWNER}. Police said two night guards "
            "employed by Brenner Security, Omar Haddad and Lena Voss, had been missing since the "
            "fire. The quay remains closed."
        ),
    },
    {
        "title": "Port Velin harbour fire: damage put at 40 million",
        "source": "Velin Herald",
        "published": "2024-05-13",
        "url": "https://herald.example.org/port-velin-fire-damage",
        "text": (
            "The fire that destroyed three warehouses at the Port Velin harbour on Friday did "
            f"damage worth 40 million euros, Marlow Shipping said on Monday. {_OWNER}. "
            "The two missing night guards were found safe at a hospital in Kellan Bay. "
            "The quay is to reopen on Wednesday."
        ),
    },
]
UNRELATED = {
    "title": "Port Velin council approves budget for summer festival",
    "source": "Velin Herald",
    "published": "2024-05-11",
    "url": "https://herald.example.org/port-velin-festival-budget",
    "text": (
        "The Port Velin town council on Saturday approved a budget of 300,000 euros for the summer "
        "music festival in the old market square. Councillors said the festival would run for "
        "three weekends in July, and the town's hotels welcomed the vote."
    ),
}
QUESTION = "How did the Port Velin harbour fire story develop?"


@pytest.fixture(scope="module")
def fire(tmp_path_factory) -> tuple[Assistant, Path]:
    """A real embedded store of the fire's reports and the unrelated one, ingested as a user
    would (``Assistant.ingest`` of a .jsonl file)."""
    folder = tmp_path_factory.mktemp("timeline")
    news = folder / "news.jsonl"
    news.write_text("".join(json.dumps(r) + "\n" for r in [UNRELATED, *reversed(FIRE)]), encoding="utf-8")
    store = folder / "store"
    assistant = Assistant(store_dir=store, settings=Settings.from_env(env={}))
    report = assistant.ingest([news])
    assert len(report.added) == 4 and not report.failed, report
    return assistant, store


def _ids(assistant: Assistant) -> dict[str, str]:
    return {a.url or "": a.article_id for a in assistant.articles()}


def _check_fire(found: dict, ids: dict[str, str], story: str) -> None:
    """The fire's timeline as JSON (the shape every surface gives): the three reports oldest
    first, the first by its lede, the later ones by what they add."""
    assert found["story"] == story
    entries = found["entries"]
    assert [e["url"] for e in entries] == [r["url"] for r in FIRE]
    assert [e["article_id"] for e in entries] == [ids[r["url"]] for r in FIRE]
    assert [e["kind"] for e in entries] == ["lede", "adds", "adds"]
    assert [(e["title"], e["source"], e["published"]) for e in entries] == [
        (r["title"], r["source"], r["published"]) for r in FIRE
    ]
    first, second, third = (e["quote"] for e in entries)
    assert first.startswith("PORT VELIN - A fire destroyed three warehouses")
    assert second.startswith("Police said two night guards") and "Omar Haddad" in second
    assert third.startswith("The fire that destroyed") and "40" in entries[2]["new"]
    for e, r in zip(entries, FIRE, strict=True):
        assert r["text"][e["start"] : e["end"]] == e["quote"]


@pytest.mark.model
def test_python_api_by_story_article_and_question(fire):
    assistant, _ = fire
    ids = _ids(assistant)
    story = ids[FIRE[0]["url"]]  # a story is named by its first report
    assert assistant.article(ids[UNRELATED["url"]]).story != story

    by_story = assistant.timeline(story)
    assert by_story.question is None and by_story.matched is None
    _check_fire(by_story.to_dict(), ids, story)
    for e in by_story.entries:  # verbatim in the article as the store holds it
        assert assistant.article(e.article_id).text[e.start : e.end] == e.quote

    by_article = assistant.timeline(ids[FIRE[2]["url"]])  # a citation's "Timeline"
    assert by_article == by_story

    by_question = assistant.timeline(QUESTION)
    assert by_question.question == QUESTION and by_question.matched is not None
    assert by_question.matched.article_id in {ids[r["url"]] for r in FIRE}
    assert by_question.entries == by_story.entries

    with pytest.raises(NotFoundError, match="no story or article"):
        assistant.timeline("0123456789abcdef")
    with pytest.raises(InputError, match="empty"):
        assistant.timeline("   ")


@pytest.mark.model
def test_cli(fire, capsys):
    """The text output in this process (the same code), the JSON of a question in a real one."""
    assistant, store = fire
    ids = _ids(assistant)
    story = ids[FIRE[0]["url"]]
    assert cli.main(["--store", str(store), "timeline", story]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"story {story}\n")
    assert out.index("2024-05-10  Velin Herald") < out.index("2024-05-11  Coastal Times")
    assert "  lede: PORT VELIN - A fire destroyed" in out and "  adds: Police said two night guards" in out
    assert cli.main(["--store", str(store), "timeline", "0123456789abcdef"]) == 1
    assert "error: no story or article with id" in capsys.readouterr().err

    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--store", str(store), "timeline", QUESTION, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=defaults_env(),
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["question"] == QUESTION and found["matched"]["article_id"] in {ids[r["url"]] for r in FIRE}
    _check_fire(found, ids, story)


def test_http_api_and_mcp_tool(api_app, tmp_path):
    """On the session's app (the seed store, a token): the fire's reports uploaded, the timeline
    over HTTP and through the official MCP client at /mcp, then the uploads deleted again."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    with (
        httpx.Client(base_url=api_app.url, headers=headers, timeout=300) as client,
        uploaded(client, "fire.jsonl", [*FIRE, UNRELATED]) as ids,
    ):
        story = ids[FIRE[0]["url"]]
        by_story = client.get("/api/timeline", params={"q": story})
        assert by_story.status_code == 200, by_story.text
        _check_fire(by_story.json(), ids, story)
        by_question = client.get("/api/timeline", params={"q": QUESTION}).json()
        assert by_question["question"] == QUESTION
        _check_fire(by_question, ids, story)

        unknown = client.get("/api/timeline", params={"q": "0123456789abcdef"})
        assert unknown.status_code == 404 and "no story or article" in unknown.json()["error"]
        empty = client.get("/api/timeline", params={"q": " "})
        assert empty.status_code == 400 and "empty" in empty.json()["error"]
        no_token = httpx.get(f"{api_app.url}/api/timeline", params={"q": story}, timeout=60)
        assert no_token.status_code == 401

        async def mcp() -> None:
            async with (
                httpx2.AsyncClient(headers=headers, timeout=120) as http,
                Client(streamable_http_client(f"{api_app.url}/mcp", http_client=http)) as session,
            ):
                tools = {t.name: t for t in (await session.list_tools()).tools}
                assert tools["timeline"].output_schema and tools["timeline"].input_schema["required"] == [
                    "story"
                ]
                result = await session.call_tool("timeline", {"story": QUESTION})
                assert not result.is_error, result
                _check_fire(result.structured_content, ids, story)
                refused = await session.call_tool("timeline", {"story": "0123456789abcdef"})
                assert refused.is_error and "no story or article" in refused.content[0].text

        asyncio.run(mcp())
