"""A witness's decision on an ``add-checkpoint`` request (``c2sp.org/tlog-witness``).

The request body is ``old <size>``, up to 63 base64 consistency-proof lines, a blank line and
the signed checkpoint. In the order the specification gives: an unknown origin is 404; no valid
signature by the log's key 403; an old size above the checkpoint's 400; an old size that is not
the size this witness last cosigned 409 (the body says its size, ``text/x.tlog.size``); an RFC
6962 consistency proof that fails 422; the same size with another root 409. Only then is the
checkpoint the new state and cosigned (200, the cosignature line). The caller persists
``Answer.seen`` *before* answering, under one lock with the check: a witness never cosigns two
inconsistent checkpoints of a log, nor a smaller tree after a larger one.

Pure: the state comes in and goes out; the HTTP server and the state file live in
:mod:`vestige.witness`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from vestige.ledger.merkle import verify_consistency
from vestige.ledger.note import Checkpoint, NoteError, NoteSigner, Verifier, open_checkpoint

MAX_PROOF = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Seen:
    """The latest checkpoint a witness cosigned for one log."""

    size: int
    root: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    seen: Seen | None = None  # the new state to persist (200 only)
    origin: str = ""
    suspicious: bool = False  # signed by the log but inconsistent: worth keeping as evidence


@dataclass(frozen=True)
class Request:
    old: int
    proof: list[bytes]
    note: bytes

    def encode(self) -> bytes:
        lines = [f"old {self.old}\n"] + [base64.b64encode(p).decode() + "\n" for p in self.proof]
        return "".join(lines).encode() + b"\n" + self.note

    @classmethod
    def parse(cls, body: bytes) -> Request:
        head, sep, note = body.partition(b"\n\n")
        if not sep:
            raise NoteError("no blank line between the old size and proof and the checkpoint")
        lines = head.decode("ascii", "replace").split("\n")
        first = lines[0]
        if not first.startswith("old ") or not first[4:].isdigit() or (first[4:] != "0" and first[4:].startswith("0")):
            raise NoteError(f"the first line must be 'old <size>', not {first[:40]!r}")
        if len(lines) - 1 > MAX_PROOF:
            raise NoteError(f"{len(lines) - 1} consistency proof lines: at most {MAX_PROOF}")
        proof = []
        for line in lines[1:]:
            try:
                digest = base64.b64decode(line, validate=True)
            except binascii.Error:
                digest = b""
            if len(digest) != 32:
                raise NoteError(f"proof line {line[:60]!r} is not a base64 SHA-256 hash")
            proof.append(digest)
        return cls(int(first[4:]), proof, note)


def add_checkpoint(body: bytes, logs: dict[str, Verifier], seen: dict[str, Seen], cosigner: NoteSigner,
                   now: int) -> Answer:
    """The answer to one request, given the logs this witness follows (origin -> log key) and
    what it has cosigned (origin -> Seen)."""
    try:
        request = Request.parse(body)
        text = request.note[:request.note.rfind(b"\n\n") + 1]
        origin = Checkpoint.parse(text).origin
    except (NoteError, UnicodeDecodeError) as e:
        return Answer(400, f"bad request: {e}\n".encode())
    log = logs.get(origin)
    if log is None:
        return Answer(404, f"unknown log {origin!r}\n".encode(), origin=origin)
    try:
        checkpoint, _ = open_checkpoint(request.note, log)
    except NoteError as e:
        return Answer(403, f"the checkpoint is not signed by the log's key: {e}\n".encode(), origin=origin)
    if request.old > checkpoint.size:
        return Answer(400, b"old size is larger than the checkpoint's size\n", origin=origin)
    last = seen.get(origin, Seen(0, b""))
    if request.old != last.size:
        return Answer(409, f"{last.size}\n".encode(), SIZE_TYPE, origin=origin)
    if request.old == checkpoint.size:
        if checkpoint.root != last.root:
            return Answer(409, f"{last.size}\n".encode(), SIZE_TYPE, origin=origin, suspicious=True)
    elif request.old == 0:
        if request.proof:
            return Answer(422, b"the consistency proof from size 0 must be empty\n", origin=origin)
    elif not verify_consistency(request.old, checkpoint.size, request.proof, last.root, checkpoint.root):
        return Answer(422, b"the consistency proof does not verify: the log is not an extension of the "
                           b"checkpoint this witness cosigned\n", origin=origin, suspicious=True)
    line = cosigner.sign(text, now)
    return Answer(200, line.encode(), seen=Seen(checkpoint.size, checkpoint.root), origin=origin)
