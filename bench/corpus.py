"""A deterministic synthetic news corpus for benchmarks (no network, no data files).

Each article reports one event in a city with a count, a date, an official and a quote, in
sentences of realistic length, so chunking, encoding and retrieval do the work they do on news.
"""

from __future__ import annotations

import random

CITIES = [
    "Lagos",
    "Lima",
    "Oslo",
    "Hanoi",
    "Quito",
    "Dakar",
    "Perth",
    "Cork",
    "Graz",
    "Bergen",
    "Tunis",
    "Accra",
    "Kazan",
    "Porto",
    "Malmo",
    "Lyon",
    "Davao",
    "Sucre",
    "Tartu",
    "Aarhus",
]
EVENTS = [
    ("flood", "residents were evacuated"),
    ("strike", "workers walked out"),
    ("fire", "homes were destroyed"),
    ("election", "votes were counted"),
    ("festival", "visitors arrived"),
    ("storm", "trees fell"),
    ("protest", "people marched"),
    ("outbreak", "cases were confirmed"),
]
PEOPLE = [
    "Ana Ruiz",
    "Tomas Berg",
    "Amina Diallo",
    "Kenji Sato",
    "Lena Novak",
    "Omar Haddad",
    "Grace Mensah",
    "Ivan Petrov",
    "Sofia Lund",
    "Rahul Mehta",
]
ROLES = ["mayor", "police chief", "health minister", "union leader", "fire chief", "governor"]
FILLER = [
    "Local officials said more details would be released after an assessment of the damage.",
    "Residents described a tense night as emergency services worked through the early hours.",
    "The regional government has promised to review its response once the situation is stable.",
    "Analysts said the events would weigh on the local economy for several months.",
    "Schools in the affected districts remained closed while inspections were carried out.",
    "Opposition politicians called for an independent inquiry into how the crisis was handled.",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def articles(n: int, seed: int = 7, min_chars: int = 0) -> list[dict]:
    """``n`` articles; with ``min_chars``, each grows by paragraphs of follow-up reporting until it
    is that long (real news runs 5,000-9,000 characters, which is what ingestion must be timed on)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        city, (event, outcome) = rng.choice(CITIES), rng.choice(EVENTS)
        person, role = rng.choice(PEOPLE), rng.choice(ROLES)
        count, day, month, year = (
            rng.randint(3, 9000),
            rng.randint(1, 28),
            rng.choice(MONTHS),
            rng.randint(2015, 2025),
        )
        body = [
            f"{city.upper()}: A {event} hit {city} on {month} {day}, and {count} {outcome}, officials said.",
            f"The {role}, {person}, said the city had not seen a {event} of this scale in a decade.",
            f"“We are doing everything we can to help the people of {city},” {person} told reporters.",
            *rng.sample(FILLER, 3),
            f"Report number {i} notes that the {event} in {city} followed weeks of warnings.",
        ]
        while sum(len(p) + 2 for p in body) < min_chars:
            body.append(
                " ".join(
                    [
                        f"By day {rng.randint(2, 30)}, {rng.randint(10, 5000)} {outcome} across "
                        f"{rng.choice(CITIES)} and {rng.randint(2, 40)} nearby districts.",
                        *rng.sample(FILLER, 2),
                    ]
                )
            )
        out.append(
            {
                "title": f"{event.title()} in {city} ({i})",
                "text": "\n\n".join(body),
                "source": rng.choice(["Daily Ledger", "Morning Post", "City Wire"]),
                "published": f"{year}-{MONTHS.index(month) + 1:02d}-{day:02d}",
                "url": f"https://bench.example/{i}",
            }
        )
    return out


def questions(records: list[dict], n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    templates = [
        "How many people were affected by the {event} in {city}?",
        "Who is the {role} quoted about the {event} in {city}?",
        "When did the {event} hit {city}?",
        "What did officials say about the {event} in {city}?",
    ]
    out = []
    for _ in range(n):
        r = rng.choice(records)
        event, city = r["title"].split(" in ")[0].lower(), r["title"].split(" in ")[1].split(" (")[0]
        out.append(rng.choice(templates).format(event=event, city=city, role=rng.choice(ROLES)))
    return out
