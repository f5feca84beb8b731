"""An answer's coverage (assistant/stories/coverage.py): each citation's other reports of its
story ("also reported by"), the sentence of each that states the cited fact, and a note citing
both sides where reports differ on a figure.

The pure logic on hand-made sentences and ``Article`` objects (fast): same-fact matching by
figures and terms, not wording; a figure disagreement, and a reworded report of the same figure
being none. Then the real parts on one invented event (a ferry capsizing on an invented lake,
reported by three outlets over two days, one with a higher toll) and an unrelated report sharing
its town, lake and a figure: the Python API on a real store, and the HTTP API, /v1 and the MCP
ask tool on the session's web app (tests/conftest.py ``api_app``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from assistant import Assistant
from assistant.config import Settings
from assistant.schema import Answer, Article, Citation
from assistant.stories.coverage import compare, cover, fact, report
from assistant.web.markdown import answer_markdown
from tests.conftest import API_TOKEN, citation_problems, uploaded

# ----- pure logic (fast) --------------------------------------------------------------------------
CITED = (
    "At least 107 people were killed when a crane collapsed onto the Grand Mosque in Mecca, officials said."
)
HIGHER = "The crane collapse at the Grand Mosque in Mecca killed 111 people, the civil defence said."
REWORDED = "The collapse of a crane at Mecca's Grand Mosque killed 107 people, the authorities said."
OTHER_FACT = "A crane was used to repair the roof of the Grand Mosque in Mecca last year."


def differs(cited: str, other: str) -> list[tuple[str, str]] | None:
    """None when ``other`` states another fact; else the figures on which it differs, each as
    its phrase in either sentence."""
    found = compare(fact(cited), fact(other))
    if found is None:
        return None
    return [(cited[f.start : f.end], other[g.start : g.end]) for f, g in found[1]]


def test_the_same_counted_thing_with_another_number_is_a_disagreement():
    assert differs(CITED, HIGHER) == [("At least 107 people were killed", "killed 111 people")]
    assert differs("At least 107 killed in Mecca crane collapse.", "111 killed in Mecca crane collapse.") == [
        ("At least 107 killed", "111 killed")
    ]


def test_a_reworded_report_of_the_same_figure_is_the_same_fact_and_no_disagreement():
    assert differs(CITED, REWORDED) == []
    # words for figures, scale words and thousands commas are read as the number they write
    assert differs("Twelve people were hurt in the Kelby fire.", "The Kelby fire hurt 12 people.") == []
    assert (
        differs("The storm did 1.2 million euros of damage in Kelby.", "Kelby storm damage: 1,200,000 euros.")
        == []
    )


def test_different_counted_things_and_other_facts_do_not_disagree():
    # the injured are not the killed: no unit in common, so 238 is not compared with 107
    assert (
        differs(CITED, "In Mecca 238 people were injured when the crane collapsed onto the Grand Mosque.")
        == []
    )
    # names alone (every report of the story has them) do not make one fact
    assert differs(CITED, OTHER_FACT) is None
    # nor do the same words about other places: two counts of one story, not a disagreement
    assert (
        differs("The storm killed 12 people in Texas on Monday.", "The storm killed 3 people in Oklahoma.")
        is None
    )
    texas = "The storm killed 12 people in Texas on Monday, officials said."
    assert differs(texas, "In Texas the storm killed 14 people on Monday, officials said.") == [
        ("killed 12 people", "killed 14 people")
    ]
    # a count and its unit in common, and nothing else said of it: two facts
    assert (
        differs(
            "Mauna Loa lava was 3.6 miles away from Saddle Road.", "Kilauea is 21 miles away from Mauna Loa."
        )
        == []
    )
    # a figure of one clause is not the next clause's: "killed and 238 were injured"
    found = fact("At least 107 people were killed and 238 were injured in Mecca.")
    assert [(f.value, sorted(f.unit)) for f in found.figures] == [(107, ["kill", "peopl"]), (238, ["injur"])]


def test_a_date_is_a_figure_of_its_month():
    assert differs(
        "The Kelby bridge will reopen on September 12, the council said.",
        "The council said the Kelby bridge would reopen on September 14.",
    ) == [("September 12", "September 14")]


def article(n: int, text: str, published: str, source: str) -> Article:
    return Article(
        article_id=f"a{n}",
        title=f"Headline {n}",
        source=source,
        published=published,
        url=f"https://example.org/{n}",
        dateline=None,
        text=text,
        story="a1",
    )


STORY = [
    article(1, f"Crane falls in Mecca. {CITED} Pilgrims were moved.", "2015-09-11", "Wire A"),
    article(3, f"Pilgrims returned. {HIGHER}", "2015-09-13", "Daily C"),
    article(2, f"{OTHER_FACT} {REWORDED}", "2015-09-12", "Paper B"),
]


def cited(n: int = 1, quote: str = CITED) -> Citation:
    a = next(a for a in STORY if a.article_id == f"a{n}")
    start = a.text.index(quote)
    return Citation(
        quote, a.article_id, a.title, a.source, a.published, a.url, start, start + len(quote), 0.9
    )


def test_each_citation_lists_its_storys_other_reports_oldest_first_quoting_the_same_fact():
    answer = Answer(text=f"{CITED} [1]", abstained=False, citations=[cited()])
    covered = cover(answer, {"a1": "a1"}, {"a1": STORY})
    coverage = covered.citations[0].coverage
    assert coverage is not None and coverage.story == "a1"
    b, c = coverage.reports
    assert (b.article_id, b.source, b.published, b.url) == (
        "a2",
        "Paper B",
        "2015-09-12",
        "https://example.org/2",
    )
    assert b.quote == REWORDED and b.differs == []  # not the roof sentence before it
    assert c.article_id == "a3" and c.quote == HIGHER
    assert [(d.cited, d.reported) for d in c.differs] == [
        ("At least 107 people were killed", "killed 111 people")
    ]
    texts = {a.article_id: a.text for a in STORY}
    for r in coverage.reports:
        assert r.quote and r.start is not None and texts[r.article_id][r.start : r.end] == r.quote
    assert covered.citations[0].to_dict()["coverage"]["reports"][0]["article_id"] == "a2"


def test_a_disagreement_is_said_and_both_are_cited_with_their_dates():
    answer = Answer(text=f"{CITED} [1]", abstained=False, citations=[cited()])
    covered = cover(answer, {"a1": "a1"}, {"a1": STORY})
    assert covered.text == (
        f"{CITED} [1] Reports differ: “At least 107 people were killed” (Wire A, 2015-09-11) [1]; "
        "“killed 111 people” (Daily C, 2015-09-13) [2]."
    )
    first, second = covered.citations
    assert (second.article_id, second.quote, second.published) == ("a3", HIGHER, "2015-09-13")
    assert STORY[1].text[second.start : second.end] == HIGHER and second.score == first.score

    # both sides cited already: their numbers are used, each side named once in one line; [2]
    # also differs from Paper B's 107, which is cited too
    both = Answer(text=f"{CITED} [1] {HIGHER} [2]", abstained=False, citations=[cited(), cited(3, HIGHER)])
    noted = cover(both, {"a1": "a1", "a3": "a1"}, {"a1": STORY})
    assert [c.article_id for c in noted.citations] == ["a1", "a3", "a2"]
    assert noted.text.endswith(
        "[2] Reports differ: “At least 107 people were killed” (Wire A, 2015-09-11) [1]; “killed 111 people” "
        "(Daily C, 2015-09-13) [2]; “killed 107 people” (Paper B, 2015-09-12) [3]."
    )


def test_an_abstention_lists_the_reports_without_a_note_and_a_lone_article_has_no_coverage():
    closest = Answer(text=f"Closest: {CITED} [1]", abstained=True, citations=[cited()])
    covered = cover(closest, {"a1": "a1"}, {"a1": STORY})
    assert covered.text == closest.text and len(covered.citations) == 1
    assert covered.citations[0].coverage is not None

    alone = cover(closest, {"a1": "a1"}, {"a1": STORY[:1]}).citations[0]
    assert alone.coverage is None and "coverage" not in alone.to_dict()


def test_a_report_without_the_fact_is_listed_without_a_quote():
    other = replace(STORY[0], article_id="a9", text="Pilgrims prayed in the heat on Thursday.")
    found = report(other, CITED)
    assert (found.article_id, found.quote, found.start, found.differs) == ("a9", None, None, [])


def test_the_sources_text_lists_the_other_reports():
    answer = cover(
        Answer(text=f"{CITED} [1]", abstained=False, citations=[cited()]), {"a1": "a1"}, {"a1": STORY}
    )
    text = answer_markdown(answer, "http://127.0.0.1:7860")
    assert "Reports differ" in text
    assert (
        f"  - also reported by Headline 2, Paper B, 2015-09-12, <https://example.org/2>: “{REWORDED}”" in text
    )
    assert "  - also reported by Headline 3, Daily C, 2015-09-13, <https://example.org/3>: “" in text


# ----- the real parts: a store, the HTTP API, /v1, the MCP tool -----------------------------------
FERRY = [
    {
        "title": "Ferry capsizes on Lake Orvan, at least 23 dead",
        "source": "Brellin Courier",
        "published": "2024-06-03",
        "url": "https://courier.example.org/lake-orvan-ferry",
        "text": (
            "BRELLIN - At least 23 people were killed when the ferry Mira Star capsized on Lake Orvan "
            "on Sunday evening, the Brellin district police said. The ferry was carrying about 90 "
            "passengers from Brellin to the island of Sennet when it overturned in strong winds. "
            "Rescue boats from Brellin and Kovar searched the lake through the night."
        ),
    },
    {
        "title": "Mira Star ferry capsized near Brellin, rescuers say",
        "source": "Orvan Wire",
        "published": "2024-06-04",
        "url": "https://wire.example.net/mira-star-ferry",
        "text": (
            "Rescuers on Lake Orvan said the capsizing of the ferry Mira Star near Brellin on Sunday "
            "killed 23 people. Survivors said the ferry overturned in strong winds on its way to the "
            "island of Sennet. Divers from Kovar were searching the wreck on Monday."
        ),
    },
    {
        "title": "Lake Orvan ferry toll rises as divers find more bodies",
        "source": "Sennet Daily",
        "published": "2024-06-04",
        "url": "https://daily.example.com/orvan-ferry-toll",
        "text": (
            "Divers from Kovar found four more bodies in the wreck of the Mira Star on Monday. "
            "The police in Brellin said 27 people were killed when the ferry capsized on Lake Orvan. "
            "The ferry was carrying about 90 passengers to the island of Sennet."
        ),
    },
]
UNRELATED = {
    "title": "Brellin council approves budget for Lake Orvan summer festival",
    "source": "Brellin Courier",
    "published": "2024-06-04",
    "url": "https://courier.example.org/lake-orvan-festival",
    "text": (
        "The Brellin town council on Tuesday approved a budget of 23,000 euros for the summer music "
        "festival on the shore of Lake Orvan. Councillors said the festival would run for two "
        "weekends in August, and the town's hotels welcomed the vote."
    ),
}
QUESTION = "How many people were killed when the Mira Star ferry capsized on Lake Orvan?"


def _check_covered(answer: dict, ids: dict[str, str]) -> None:
    """The answer as JSON (the shape every surface gives): cited from the ferry's story, each
    citation listing the story's other reports with headline, source, date, url and id, and the
    answer saying that the reports differ (23 against 27), citing both with their dates."""
    ferry = {ids[r["url"]]: r for r in FERRY}
    first = answer["citations"][0]
    assert first["article_id"] in ferry, answer
    reports = first["coverage"]["reports"]
    assert first["coverage"]["story"] == ids[FERRY[0]["url"]]
    assert {r["article_id"] for r in reports} == set(ferry) - {first["article_id"]}
    assert ids[UNRELATED["url"]] not in {r["article_id"] for r in reports}
    for r in reports:
        source = ferry[r["article_id"]]
        assert (r["title"], r["source"], r["published"], r["url"]) == (
            source["title"],
            source["source"],
            source["published"],
            source["url"],
        )
        assert r["quote"] and source["text"][r["start"] : r["end"]] == r["quote"]  # verbatim
        assert ("23" in r["quote"]) or ("27" in r["quote"]), r
        assert bool(r["differs"]) == (("23" in first["quote"]) != ("23" in r["quote"])), r
    assert [r["published"] for r in reports] == sorted(r["published"] for r in reports)
    # the answer says the reports differ, citing both sides, each with its date
    assert "Reports differ" in answer["answer"], answer["answer"]
    note = answer["answer"][answer["answer"].index("Reports differ") :]
    assert "23" in note and "27" in note and "(Sennet Daily, 2024-06-04)" in note, note
    cited = {c["article_id"] for c in answer["citations"]}
    assert ids[FERRY[2]["url"]] in cited and len(cited & {ids[FERRY[0]["url"]], ids[FERRY[1]["url"]]}) >= 1


@pytest.fixture(scope="module")
def ferry(tmp_path_factory) -> Assistant:
    """A real embedded store of the ferry's reports and the unrelated one, ingested as a user
    would (``Assistant.ingest`` of a .jsonl file)."""
    folder = tmp_path_factory.mktemp("coverage")
    news = folder / "news.jsonl"
    news.write_text("".join(json.dumps(r) + "\n" for r in [*FERRY, UNRELATED]), encoding="utf-8")
    assistant = Assistant(store_dir=folder / "store", settings=Settings.from_env(env={}))
    report = assistant.ingest([news])
    assert len(report.added) == 4 and not report.failed, report
    return assistant


def _ids(assistant: Assistant) -> dict[str, str]:
    return {a.url or "": a.article_id for a in assistant.articles()}


@pytest.mark.model
def test_python_api_also_reported_by_and_the_disagreement(ferry):
    ids = _ids(ferry)
    story = ferry.article(ids[FERRY[0]["url"]]).story
    assert {ferry.article(ids[r["url"]]).story for r in FERRY} == {story}
    assert ferry.article(ids[UNRELATED["url"]]).story != story

    answer = ferry.ask(QUESTION)
    assert not answer.abstained, answer
    _check_covered(answer.to_dict(), ids)
    assert not citation_problems(ferry, [answer])  # every marker cited, every quote at its offsets
    first = answer.citations[0]
    assert first.coverage is not None and all(
        r.article_id != first.article_id for r in first.coverage.reports
    )
    for r in first.coverage.reports:  # verbatim in the article as the store holds it
        assert r.start is not None and ferry.article(r.article_id).text[r.start : r.end] == r.quote

    off = Assistant(settings=replace(ferry.settings, coverage=False), read_only=True)
    plain = off.ask(QUESTION)
    assert "Reports differ" not in plain.text and all(c.coverage is None for c in plain.citations)
    assert plain.citations[0].quote == first.quote


def test_http_api_openai_and_mcp(api_app):
    """On the session's app (the seed store, a token): the ferry's reports uploaded, the answer's
    coverage from /api/ask, /v1 (as data and in the Sources text) and the MCP ask tool, then the
    uploads deleted again."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    with (
        httpx.Client(base_url=api_app.url, headers=headers, timeout=300) as client,
        uploaded(client, "ferry.jsonl", [*FERRY, UNRELATED]) as ids,
    ):
        asked = client.post("/api/ask", json={"question": QUESTION})
        assert asked.status_code == 200, asked.text
        _check_covered(asked.json(), ids)

        chat = client.post(
            "/v1/chat/completions",
            json={"model": "news-assistant", "messages": [{"role": "user", "content": QUESTION}]},
        )
        assert chat.status_code == 200, chat.text
        message = chat.json()["choices"][0]["message"]
        _check_covered({"answer": message["content"], "citations": message["citations"]}, ids)
        assert "Sources:" in message["content"] and "  - also reported by " in message["content"]

        async def mcp() -> None:
            async with (
                httpx2.AsyncClient(headers=headers, timeout=120) as http,
                Client(streamable_http_client(f"{api_app.url}/mcp", http_client=http)) as session,
            ):
                result = await session.call_tool("ask", {"question": QUESTION})
                assert not result.is_error, result
                _check_covered(result.structured_content, ids)
                assert "also reported by" in result.content[0].text

        asyncio.run(mcp())
