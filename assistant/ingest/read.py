"""Finding input files and decoding them to text, with clear reasons when that is impossible."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from charset_normalizer import from_bytes

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}
# Files that document a folder of articles rather than being one (data/articles/ATTRIBUTION.md):
# passed over in a folder walk, ingested only when named directly.
_FOLDER_DOCS = {"readme", "attribution", "license", "licence", "notice", "copying"}


class ReadError(Exception):
    """A file that can't be read as an article; the message says why, for the ingest report."""


def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[str, Path | None, str | None]]:
    """Yield ``(origin, path, None)`` for each supported file, or ``(origin, None, reason)``.

    Folders are walked recursively in sorted order; unsupported files inside a folder are passed
    over silently (a folder of scraped pages holds images and such), and so are README,
    ATTRIBUTION, LICENSE and the like; a file named directly with an unsupported suffix is reported.
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            yield str(raw), None, "no such file or folder"
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if (
                    child.suffix.lower() in SUPPORTED_SUFFIXES
                    and not child.name.startswith(".")
                    and child.stem.lower() not in _FOLDER_DOCS
                ):
                    yield str(child), child, None
        elif path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield str(path), path, None
        else:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            yield str(path), None, f"unsupported file type {path.suffix or '(none)'!r}; use {supported}"


def read_text(path: Path, max_bytes: int) -> str:
    """Read and decode ``path``; refuse files over ``max_bytes``, binaries and undecodable bytes."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ReadError(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
            "(raise ASSISTANT_MAX_FILE_MB to allow it)"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("file is empty")
    return decode(data)


def decode(data: bytes) -> str:
    """UTF-8 first (it is strict, so a success is almost surely right), else the best detected
    charset. Text with NUL bytes or no plausible charset is treated as binary."""
    if b"\x00" in data[:8192]:
        raise ReadError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(data[:1_000_000]))
    if not matches:
        raise ReadError("binary or undecodable file, not text")
    best = matches[0]
    # Short Western text fits several code pages equally well; among equals take windows-1252,
    # the legacy default of the web (WHATWG encoding standard), which also covers Latin-1.
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    western = next((m for m in tied if "cp1252" in m.could_be_from_charset), None)
    return data.decode((western or best).encoding, errors="replace")
