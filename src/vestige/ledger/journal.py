"""The head journal: every kept tree head, appended to a file outside the database.

A database can be edited or rolled back by whoever can write to it; the signing key only proves
that *some* head was signed, not that it is the newest. So every head the log keeps is also
appended here, one canonical-JSON line each, fsynced, each line carrying the SHA-256 of the line
before it (a hash chain, like the log's own entries). The log refuses to sign a new head unless
the database extends the journal's newest head, and a verifier compares the database's heads and
entries with the journal: heads deleted, a database restored from an older backup, or an entry
rewritten after it was signed are then named, even when every hash in the database was
recomputed.

A line records, besides the signed head (:class:`~vestige.ledger.signing.TreeHead`):

- ``frontier``: the Merkle frontier at the head's size (checked to fold to the signed root, so
  it is as trustworthy as the signature; the next head extends it without re-reading old leaves);
- ``last``: the hash of the head's last entry (so the next entry's ``prev`` is checked too);
- ``events``: for each entry the head added, ``[leaf hash, item ref, kind, {field: digest}]``,
  where a field digest is the first 16 hex digits of SHA-256 over the field's canonical JSON
  (``details.<key>`` for each detail). A rewritten entry is then named with the fields that
  changed; the values themselves never leave the database.

Put the journal on storage the database's administrators cannot rewrite (another volume, a
file system with append-only attributes, a copy shipped off the machine): it is only as
independent as its storage. Witnesses (C2SP tlog-witness) are the stronger check.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from vestige.ledger.chain import canonical_json
from vestige.ledger.merkle import Frontier
from vestige.ledger.signing import TreeHead

__all__ = ["Journal", "JournalError", "JournalLine", "event_record", "field_digests"]

GENESIS_LINE = "sha256:" + "0" * 64


class JournalError(ValueError):
    """The journal file is unreadable, malformed, or its chain is broken."""


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def field_digests(body: dict) -> dict[str, str]:
    """{field: first 16 hex digits of SHA-256(canonical JSON of its value)} of an entry's body,
    with each key of ``details`` as ``details.<key>`` (``index`` and ``prev`` are the ledger's)."""
    out = {}
    for k, v in body.items():
        if k in ("index", "prev"):
            continue
        if k == "details" and isinstance(v, dict):
            for dk, dv in v.items():
                out[f"details.{dk}"] = hashlib.sha256(canonical_json(dv)).hexdigest()[:16]
            continue
        out[k] = hashlib.sha256(canonical_json(v)).hexdigest()[:16]
    return out


def event_record(leaf: bytes, body: dict) -> list:
    """What the journal keeps of one entry: [leaf hex, item ref, kind, field digests]."""
    return [leaf.hex(), body.get("ref"), body.get("kind"), field_digests(body)]


@dataclass(frozen=True)
class JournalLine:
    head: TreeHead
    frontier: str  # Frontier.dump() at head.size
    last: str  # entry hash of entry head.size - 1 (GENESIS for an empty log)
    events: list = field(default_factory=list)  # event_record() of entries [first, head.size)
    first: int = 0  # index of the first entry in events
    prev: str = GENESIS_LINE  # digest of the previous line's bytes
    raw: bytes = b""  # this line's bytes, as written

    @property
    def digest(self) -> str:
        return _digest(self.raw)

    def frontier_obj(self) -> Frontier:
        return Frontier.load(self.head.size, self.frontier)


class Journal:
    """An append-only file of :class:`JournalLine`; ``path`` need not exist yet."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def lines(self) -> list[JournalLine]:
        """Every line, parsed; a malformed line raises :class:`JournalError` naming it."""
        if not self.path.exists():
            return []
        try:
            data = self.path.read_bytes()
        except OSError as e:
            raise JournalError(f"{self.path}: {e.strerror}") from None
        out = []
        for n, raw in enumerate(data.split(b"\n"), 1):
            if not raw:
                continue
            out.append(self._parse(raw, n))
        return out

    def last(self) -> JournalLine | None:
        """The newest line, read from the file's end (the file may hold millions of heads)."""
        if not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                end = f.tell()
                chunk, pos, buf = 1 << 16, end, b""
                while pos > 0:
                    step = min(chunk, pos)
                    pos -= step
                    f.seek(pos)
                    buf = f.read(step) + buf
                    stripped = buf.rstrip(b"\n")
                    if b"\n" in stripped or pos == 0:
                        break
                stripped = buf.rstrip(b"\n")
                if not stripped:
                    return None
                return self._parse(stripped.rsplit(b"\n", 1)[-1], None)
        except OSError as e:
            raise JournalError(f"{self.path}: {e.strerror}") from None

    def _parse(self, raw: bytes, line_no: int | None) -> JournalLine:
        where = f"{self.path}, line {line_no}" if line_no else f"{self.path}, last line"
        try:
            d = json.loads(raw)
            head = TreeHead.from_dict(d["head"])
            line = JournalLine(head, str(d["frontier"]), str(d["last"]), list(d.get("events") or []),
                               int(d.get("first", 0)), str(d["prev"]), raw)
            line.frontier_obj()  # the node count must fit the size
        except (ValueError, KeyError, TypeError) as e:
            raise JournalError(f"{where}: not a journal line ({e})") from None
        return line

    def append(self, head: TreeHead, frontier: Frontier, last: str, events: list, first: int) -> JournalLine:
        """Append one line (under an exclusive lock, fsynced, the folder's entry too) and return
        it. The caller has checked that ``head`` extends the newest line."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            previous = self.last()
            prev = previous.digest if previous else GENESIS_LINE
            raw = canonical_json({"head": head.as_dict(), "frontier": frontier.dump(), "last": last,
                                  "events": events, "first": first, "prev": prev})
            os.write(fd, raw + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:  # some file systems cannot fsync a folder; the file itself is synced
            pass
        return JournalLine(head, frontier.dump(), last, events, first, prev, raw)


def check_lines(lines: list[JournalLine], verify_head) -> list[str]:
    """Every problem of the journal itself: the chain of lines, consecutive numbers, sizes that
    never shrink, each head's signature (``verify_head(TreeHead) -> bool``), each frontier folding
    to its head's root, and each line's events continuing the previous line's."""
    problems = []
    prev, previous = GENESIS_LINE, None
    for n, line in enumerate(lines, 1):
        where = f"head journal line {n} (head {line.head.number})"
        if line.prev != prev:
            problems.append(f"{where}: does not follow the line before it (edited, removed or reordered)")
        if line.head.number != (previous.head.number + 1 if previous else 1):
            problems.append(f"{where}: number {line.head.number} after "
                            f"{previous.head.number if previous else 'none'} (a head is missing)")
        if previous is not None and line.head.size < previous.head.size:
            problems.append(f"{where}: size {line.head.size} after {previous.head.size}: the log shrank")
        if not verify_head(line.head):
            problems.append(f"{where}: the signature does not verify with this ledger's key")
        if line.frontier_obj().root().hex() != line.head.root:
            problems.append(f"{where}: its frontier does not fold to the signed root")
        expected_first = previous.head.size if previous else 0
        if line.first != expected_first or line.first + len(line.events) != line.head.size:
            problems.append(f"{where}: records entries {line.first}–{line.first + len(line.events) - 1}, "
                            f"expected {expected_first}–{line.head.size - 1}")
        prev, previous = line.digest, line
    return problems
