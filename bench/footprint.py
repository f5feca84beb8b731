"""Store footprint: KB per article, and what each part of the store costs.

Usage: python bench/footprint.py [N_ARTICLES] [STORE_DIR]   (default 200; a temp dir)
Ingests the first N articles of ../shared/realnews-dev/dev_corpus.jsonl (read in place, never
copied) into a new embedded store, or only measures STORE_DIR when it already holds a store.
Prints the total, each collection's vector index files, SQLite by table (Chroma's file and the
bulk file), and the keyword index. A new store is measured closed: its SQLite files' write-ahead
logs folded back, as a store at rest has them.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.store.bulk import FILE_NAME  # noqa: E402

DEV = ROOT.parent / "shared" / "realnews-dev" / "dev_corpus.jsonl"


def measure(store: Path) -> dict[str, int]:
    """Bytes per part: ``hnsw:<collection>``, ``sqlite:<table or index>`` (Chroma's),
    ``bulk:<table or index>`` (texts and sentence vectors of an embedded store), ``keyword``."""
    parts: dict[str, int] = {}
    db = sqlite3.connect(f"file:{store / 'chroma.sqlite3'}?mode=ro", uri=True)
    segments = dict(
        db.execute("SELECT s.id, c.name FROM segments s JOIN collections c ON s.collection = c.id").fetchall()
    )
    for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        parts[f"sqlite:{name}"] = size
    for folder in store.iterdir():
        if folder.is_dir() and folder.name in segments:
            parts[f"hnsw:{segments[folder.name]}"] = sum(f.stat().st_size for f in folder.iterdir())
    if (store / FILE_NAME).exists():
        bulk = sqlite3.connect(f"file:{store / FILE_NAME}?mode=ro", uri=True)
        for name, size in bulk.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            parts[f"bulk:{name}"] = size
    keyword = [p for p in store.glob("keyword*") if p.is_file()] + list(store.glob("keyword_index/**/*"))
    parts["keyword"] = sum(p.stat().st_size for p in keyword if p.is_file())
    return parts


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    store = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="footprint-"))
    if not (store / "chroma.sqlite3").exists():
        if not DEV.exists():
            print(f"skipped: {DEV} not found")
            return
        records = [json.loads(line) for _, line in zip(range(n), DEV.open(encoding="utf-8"), strict=False)]
        assistant = Assistant(store_dir=store, settings=Settings.from_env(env={}))
        t = time.perf_counter()
        assistant.ingest_records(records, origin="footprint")
        assistant.ask("What did the companies announce?")  # builds the keyword index
        print(f"ingested {n} articles in {time.perf_counter() - t:.0f} s")
        articles = assistant.count()
        del assistant
        gc.collect()  # closes the store's SQLite connections
    else:
        db = sqlite3.connect(f"file:{store / 'chroma.sqlite3'}?mode=ro", uri=True)
        articles = db.execute(
            "SELECT COUNT(*) FROM embeddings e JOIN segments s ON e.segment_id = s.id "
            "JOIN collections c ON s.collection = c.id WHERE c.name LIKE '%_articles'"
        ).fetchone()[0]
    parts = measure(store)
    total = sum(p.stat().st_size for p in store.rglob("*") if p.is_file() and p.name != "writer.lock")
    per = total / 1024 / articles
    print(f"store {store}: {articles} articles, {total / 1e6:.1f} MB, {per:.0f} KB per article")
    for name, size in sorted(parts.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {name:45s} {size / 1e6:8.2f} MB  {size / 1024 / articles:7.1f} KB/article")
    print("goal: <= 150 KB per article")


if __name__ == "__main__":
    main()
