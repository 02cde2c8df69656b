"""Find an API key in bytes, text and files: raw, URL-encoded, base64 (any alignment), UTF-16."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus


def leak_forms(key: str) -> dict[str, bytes]:
    """Byte strings whose presence means ``key`` leaked, named by encoding.

    Base64 of a key embedded in a longer text depends on the key's offset modulo 3, so each of
    the three alignments contributes the characters that only the key's bytes determine.
    """
    raw = key.encode()
    forms = {
        "raw": raw,
        "url-encoded": quote(key, safe="").encode(),
        "form-encoded": quote_plus(key).encode(),
        "utf-16-le": key.encode("utf-16-le"),
    }
    for shift in range(3):
        tail = raw[shift:]
        whole = len(tail) // 3 * 3
        forms[f"base64+{shift}"] = base64.b64encode(tail[:whole])
        forms[f"urlsafe-base64+{shift}"] = base64.urlsafe_b64encode(tail[:whole])
    return forms


def find_in_bytes(data: bytes, key: str) -> list[str]:
    """Names of the leak forms of ``key`` present in ``data``."""
    return [name for name, needle in leak_forms(key).items() if needle in data]


def find_in_texts(texts: Iterable[str], key: str) -> list[tuple[int, str]]:
    """``(index, form)`` for each text that contains ``key`` in some form."""
    return [
        (i, form)
        for i, text in enumerate(texts)
        for form in find_in_bytes(text.encode("utf-8", "surrogatepass"), key)
    ]


def files_under(*roots: Path) -> list[Path]:
    """Every regular file under ``roots``."""
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def find_in_files(roots: Iterable[Path], key: str) -> dict[str, list[str]]:
    """``{path: forms}`` for every file under ``roots`` holding ``key`` in some form."""
    hits = {}
    for path in files_under(*roots):
        found = find_in_bytes(path.read_bytes(), key)
        if found:
            hits[str(path)] = found
    return hits
