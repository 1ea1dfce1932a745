"""Ledger entries: canonical JSON, each carrying the hash of the one before it.

Canonical JSON (the subset of RFC 8785 that our values need): UTF-8, object keys sorted, no
insignificant whitespace, no NaN or infinities; so an entry has exactly one byte form and one
hash, whoever writes it. An entry's hash is ``sha256:<hex>`` of those bytes; its Merkle leaf is
the same bytes (leaf hash = SHA-256(0x00 || bytes)).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "sha256:" + "0" * 64


class ChainError(ValueError):
    """An entry is malformed, or the chain is broken (an entry altered, removed or reordered)."""


def canonical_json(value) -> bytes:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise ChainError(f"not canonical-JSON serialisable: {e}") from None


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One ledger entry: ``body`` (a dict with ``index`` and ``prev``) and its canonical bytes."""

    body: dict
    data: bytes

    @property
    def index(self) -> int:
        return self.body["index"]

    @property
    def hash(self) -> str:
        return digest(self.data)


def make_entry(index: int, prev: str, event: dict) -> Entry:
    """The entry at ``index`` after the entry whose hash is ``prev`` (GENESIS for the first)."""
    if "index" in event or "prev" in event:
        raise ChainError("'index' and 'prev' are set by the ledger, not by the event")
    body = {**event, "index": index, "prev": prev}
    return Entry(body, canonical_json(body))


def verify_chain(entries: list[Entry]) -> list[str]:
    """Every break in the chain, as sentences naming the entry (empty when the chain holds)."""
    problems = []
    prev = GENESIS
    for position, entry in enumerate(entries):
        if canonical_json(entry.body) != entry.data:
            problems.append(f"entry {position}: stored bytes differ from its content")
        if entry.body.get("index") != position:
            problems.append(f"entry {position}: index {entry.body.get('index')} (an entry was removed or reordered)")
        if entry.body.get("prev") != prev:
            problems.append(f"entry {position}: does not follow the entry before it (prev hash differs)")
        prev = entry.hash
    return problems
