"""Witnessed heads: every kept head published as a C2SP checkpoint and cosigned by independent
witnesses (``c2sp.org/tlog-checkpoint``, ``tlog-witness``, ``tlog-cosignature``).

The checkpoint of a head is ``origin / size / base64 root``, signed by the ledger's key (a
signed-note Ed25519 signature under the origin). After each commit that keeps a head a task sends
the newest head to each witness of ``VESTIGE_WITNESSES`` with an RFC 6962 consistency proof from
the size that witness last cosigned; the witness checks it and cosigns. Intake never waits on a
witness: the task runs in a worker (inline only with ``VESTIGE_TASKS_INLINE``), one at a time,
and one that found a witness down is queued again a minute later.

What this catches: a witness never cosigns a checkpoint that does not extend the last one it
cosigned. A log rewritten in the database, rolled back to a backup, or re-signed from scratch with
a stolen key is refused by every witness (409 with a larger size: rolled back; 422: rewritten),
and :func:`problems` finds the cosignatures already kept no longer verifying over the heads.
"""

from __future__ import annotations

import logging
import time as _time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from vestige.errors import ConfigurationError
from vestige.evidence import custody
from vestige.evidence.models import HeadCosignature, TreeHeadRecord
from vestige.ledger import consistency_proof
from vestige.ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    NoteError,
    NoteSigner,
    Verifier,
    cosignatures,
    signed_checkpoint,
    split,
)
from vestige.ledger.witness import SIZE_TYPE, Request

log = logging.getLogger("vestige.evidence.witnessing")
MAX_ANSWER = 64 * 1024
RETRY_S = 60
TASK_PATH = "vestige.evidence.witnessing.send_heads"
_down_until: dict[str, float] = {}


@dataclass(frozen=True)
class Witness:
    url: str  # its add-checkpoint URL
    key: Verifier  # type 0x04

    @property
    def name(self) -> str:
        return self.key.name


@dataclass(frozen=True)
class Outcome:
    witness: str
    status: str  # cosigned | already | down | refused
    detail: str = ""


def parse_witnesses(text: str) -> list[Witness]:
    """``URL VKEY`` entries separated by newlines or ``;`` (blank entries and ``#`` comments skipped)."""
    out = []
    for n, entry in enumerate(text.replace(";", "\n").splitlines(), 1):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        parts = entry.split()
        if len(parts) != 2 or not parts[0].startswith(("http://", "https://")):
            raise ConfigurationError(f"VESTIGE_WITNESSES entry {n} ({entry[:80]!r}): expected 'URL VKEY', the "
                                     "witness's add-checkpoint URL and its verifier key", field="VESTIGE_WITNESSES")
        try:
            key = Verifier.parse(parts[1])
        except NoteError as e:
            raise ConfigurationError(f"VESTIGE_WITNESSES entry {n}: {e}", field="VESTIGE_WITNESSES") from None
        if key.sig_type != COSIGNATURE_V1:
            raise ConfigurationError(f"VESTIGE_WITNESSES entry {n}: {key.name} is not a witness key (type 0x04; "
                                     "print it with `vestige witness key`)", field="VESTIGE_WITNESSES")
        url = parts[0] if parts[0].rstrip("/").endswith("/add-checkpoint") else parts[0].rstrip("/") + "/add-checkpoint"
        out.append(Witness(url, key))
    if len({w.name for w in out}) != len(out):
        raise ConfigurationError("VESTIGE_WITNESSES names one witness twice", field="VESTIGE_WITNESSES")
    return out


def witnesses() -> list[Witness]:
    return parse_witnesses(settings.VESTIGE_WITNESSES)


def quorum() -> int:
    n = len(witnesses())
    q = settings.VESTIGE_WITNESS_QUORUM
    if n and not 1 <= q <= n:
        raise ConfigurationError(f"VESTIGE_WITNESS_QUORUM={q}: must be between 1 and the {n} witnesses configured",
                                 field="VESTIGE_WITNESS_QUORUM")
    return q


def origin() -> str:
    """The log's name in its checkpoints: VESTIGE_LOG_ORIGIN, else one derived from its key."""
    if settings.VESTIGE_LOG_ORIGIN:
        return settings.VESTIGE_LOG_ORIGIN
    return "vestige.invalid/custody/" + custody.fingerprint().removeprefix("SHA256:").replace(":", "")[:16]


def log_signer() -> NoteSigner:
    return NoteSigner(origin(), ED25519, custody.signer().key)


def log_key() -> Verifier:
    """The verifier key a witness operator gives ``vestige witness serve --log``."""
    try:
        return log_signer().verifier
    except NoteError as e:
        raise ConfigurationError(f"VESTIGE_LOG_ORIGIN: {e}", field="VESTIGE_LOG_ORIGIN") from None


def checkpoint_of(record: TreeHeadRecord) -> Checkpoint:
    return Checkpoint(origin(), record.size, bytes.fromhex(record.root))


def note_of(record: TreeHeadRecord) -> bytes:
    """The head as a signed checkpoint, with every cosignature kept for it."""
    lines = "".join(c.line for c in record.cosignatures.order_by("witness"))
    return signed_checkpoint(checkpoint_of(record), log_signer()) + lines.encode()


def _post(url: str, body: bytes) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(req, timeout=settings.VESTIGE_WITNESS_TIMEOUT_S) as resp:  # noqa: S310 - the operator's witness
            return resp.status, resp.headers.get("Content-Type", ""), resp.read(MAX_ANSWER)
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read(MAX_ANSWER)


def _last_cosigned_size(witness: Witness) -> int:
    row = (HeadCosignature.objects.filter(witness=witness.name, key_id=witness.key.key_id.hex())
           .order_by("-head__number").select_related("head").first())
    return row.head.size if row else 0


def send(witness: Witness, record: TreeHeadRecord, leaves: list[bytes] | None = None) -> Outcome:
    """Ask ``witness`` to cosign ``record``; the cosignature is kept when it verifies."""
    if record.cosignatures.filter(witness=witness.name, key_id=witness.key.key_id.hex()).exists():
        return Outcome(witness.name, "already")
    note = signed_checkpoint(checkpoint_of(record), log_signer())
    text = note[:note.rfind(b"\n\n") + 1]
    old = _last_cosigned_size(witness)
    for _attempt in range(3):
        if old > record.size:
            return Outcome(witness.name, "refused", f"the witness has cosigned {old} entries of this log, it now holds "
                                                    f"{record.size}: the database was rolled back or the log forked")
        if 0 < old < record.size:
            leaves = leaves if leaves is not None else custody.leaves()
            proof = consistency_proof(old, leaves[:record.size])
        else:
            proof = []
        try:
            status, ctype, body = _post(witness.url, Request(old, proof, note).encode())
        except (urllib.error.URLError, OSError, ValueError) as e:
            _down_until[witness.name] = _time.monotonic() + RETRY_S
            return Outcome(witness.name, "down", str(getattr(e, "reason", e)))
        _down_until.pop(witness.name, None)
        if status == 409 and ctype.startswith(SIZE_TYPE):
            theirs = int(body.decode().strip() or 0) if body.decode().strip().isdigit() else -1
            if theirs == old:  # same size, another root: the log at that size is not what it cosigned
                return Outcome(witness.name, "refused", f"the witness cosigned another root at size {old}: the log was "
                                                        "rewritten")
            old = theirs
            continue
        if status != 200:
            detail = body.decode("utf-8", "replace").strip()[:300]
            if status == 422:
                detail = (f"the witness refuses: the log is not an extension of the {old} entries it cosigned (the log "
                          f"was rewritten or re-signed) — {detail}")
            return Outcome(witness.name, "refused", f"HTTP {status}: {detail}")
        return _keep(witness, record, text, body)
    return Outcome(witness.name, "refused", "the witness's size kept changing; try again")


def _keep(witness: Witness, record: TreeHeadRecord, text: bytes, answer: bytes) -> Outcome:
    try:
        _, sigs = split(text + b"\n" + answer)
        got = cosignatures(text, sigs, [witness.key])
    except NoteError as e:
        return Outcome(witness.name, "refused", f"its answer is not a valid cosignature: {e}")
    if witness.name not in got:
        return Outcome(witness.name, "refused", "its answer holds no cosignature by its configured key")
    line = next(s.line for s in sigs if s.name == witness.name and s.key_id == witness.key.key_id)
    try:
        with transaction.atomic():
            HeadCosignature.objects.create(head=record, witness=witness.name, key_id=witness.key.key_id.hex(),
                                           timestamp=got[witness.name], line=line)
    except IntegrityError:  # another sender kept it meanwhile
        pass
    return Outcome(witness.name, "cosigned", f"head {record.number} at {got[witness.name]}")


def publish(record: TreeHeadRecord | None = None, *, force: bool = True) -> list[Outcome]:
    """Send ``record`` (default: the newest kept head) to every witness that has not cosigned it.
    ``force=False`` skips a witness found down in the last minute."""
    record = record or custody.keep_head()
    if record is None:
        return []
    out, leaves = [], None
    for witness in witnesses():
        if not force and _down_until.get(witness.name, 0) > _time.monotonic():
            out.append(Outcome(witness.name, "down", "skipped: unreachable in the last minute"))
            continue
        outcome = send(witness, record, leaves)
        if outcome.status == "refused":
            log.error("witness %s refused head %s: %s", witness.name, record.number, outcome.detail)
        elif outcome.status == "down":
            log.warning("witness %s unreachable for head %s: %s", witness.name, record.number, outcome.detail)
        out.append(outcome)
    return out


@task()
def send_heads() -> str:
    """The task: the newest head to every witness; queued again in a minute if one was down."""
    try:
        outcomes = publish(force=True)
    except ConfigurationError as e:
        log.error("heads not witnessed: %s", e)
        return "misconfigured"
    if any(o.status == "down" for o in outcomes):
        _queue(delay_s=RETRY_S)
    return ", ".join(f"{o.witness}: {o.status}" for o in outcomes)


def _queue(delay_s: int = 0) -> None:
    from django_tasks_db.models import (
        DBTaskResult,  # the database backend's own table: is one already waiting?
    )

    if DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists():
        return
    if delay_s:
        send_heads.using(run_after=timezone.now() + timedelta(seconds=delay_s)).enqueue()
    else:
        send_heads.enqueue()


def on_kept(record: TreeHeadRecord | None) -> None:
    """After a head is kept: have it witnessed, without making the committer wait."""
    if record is None or not settings.VESTIGE_WITNESSES:
        return
    try:
        if settings.VESTIGE_TASKS_INLINE:
            publish(record, force=False)
        else:
            _queue()
    except ConfigurationError as e:
        log.error("tree head %s not witnessed: %s", record.number, e)


def problems(keys: list[Verifier] | None = None, need: int = 0) -> list[str]:
    """Every kept cosignature re-verified over its head's checkpoint (the heads' roots are checked
    against the re-hashed log by the ledger check), by ``keys`` (the witnesses' verifier keys the
    user trusts; default the configured ones); with ``need``, some head must have been cosigned by
    that many of them (:func:`quorum_problems`)."""
    if keys is None:
        keys = [w.key for w in witnesses()]
    found: list[str] = []
    rows = list(HeadCosignature.objects.select_related("head").order_by("head__number", "witness"))
    if not keys:
        return found
    good_heads: dict[int, set[str]] = {}
    for row in rows:
        key = next((k for k in keys if k.name == row.witness and k.key_id.hex() == row.key_id), None)
        if key is None:
            continue
        where = f"tree head {row.head.number}: cosignature of {row.witness}"
        try:
            text = checkpoint_of(row.head).text()
            _, sigs = split(text + b"\n" + row.line.encode())
            got = cosignatures(text, sigs, [key])
        except NoteError as e:
            found.append(f"{where} does not verify over the head's size and root ({e}): the log or the head was "
                         "rewritten after the witness saw it")
            continue
        if got.get(row.witness) != row.timestamp:
            found.append(f"{where}: the database's time {row.timestamp} is not the cosignature's")
        good_heads.setdefault(row.head.number, set()).add(row.witness)
    witnessed = [n for n, names in good_heads.items() if len(names) >= need]
    if need and not witnessed and TreeHeadRecord.objects.exists():
        found.append(f"no tree head is cosigned by {need} of the {len(keys)} witnesses named: the log's "
                     "history is vouched for by the log alone")
    return found


def quorum_problems() -> list[str]:
    """With witnesses configured: is some kept head cosigned by VESTIGE_WITNESS_QUORUM of them?"""
    keys = [w.key for w in witnesses()]
    if not keys:
        return []
    return [p for p in problems(keys, quorum()) if p.startswith("no tree head is cosigned")]


def status_lines() -> list[str]:
    """One line per configured witness: the newest head it cosigned."""
    out = []
    for w in witnesses():
        row = (HeadCosignature.objects.filter(witness=w.name, key_id=w.key.key_id.hex())
               .order_by("-head__number").select_related("head").first())
        out.append(f"{w.name}\t{w.url}\t" + (f"head {row.head.number} ({row.head.size} entries) at "
                                             f"{datetime.fromtimestamp(row.timestamp, tz=UTC).isoformat()}"
                                             if row else "nothing cosigned yet"))
    return out
