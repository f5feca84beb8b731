"""QA files: our JSONL format and SQuAD v2 as teams already hold it."""

from __future__ import annotations

import json

from assistant.evaluate import load_cases
from tests.conftest import QA_FILE


def test_seed_qa_file_loads_with_history_and_abstain_cases():
    cases, articles = load_cases(QA_FILE)
    assert articles == []
    assert any(c.history for c in cases)
    assert sum(c.abstain for c in cases) >= 10 and all(c.answers for c in cases if not c.abstain)


def test_squad_v2_contexts_become_articles_and_impossible_questions_abstain(tmp_path):
    squad = {
        "version": "v2.0",
        "data": [
            {
                "title": "Harbour",
                "paragraphs": [
                    {
                        "context": "The harbour in Oslo reopened in May after two years of work.",
                        "qas": [
                            {
                                "id": "a",
                                "question": "When did the harbour reopen?",
                                "is_impossible": False,
                                "answers": [{"text": "in May", "answer_start": 30}],
                            },
                            {"id": "b", "question": "Who paid for it?", "is_impossible": True, "answers": []},
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad))
    cases, articles = load_cases(path)
    assert [a["text"] for a in articles] == [squad["data"][0]["paragraphs"][0]["context"]]
    assert articles[0]["title"] == "Harbour"
    by_id = {c.id: c for c in cases}
    assert by_id["a"].answers == ("in May",) and not by_id["a"].abstain
    assert by_id["b"].abstain and by_id["b"].answers == ()
