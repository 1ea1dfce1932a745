"""The custody ledger: append events, keep signed tree heads, prove inclusion, verify everything.

Trust lies in the log, not in the database. Every append, in the same transaction, extends the
Merkle frontier kept in :class:`LedgerState` and signs the new *live* head (size, root, time and
the number it will be kept under); when the transaction commits, that head is kept as the next
numbered :class:`TreeHeadRecord` (one per transaction: batched). So no committed event is ever
outside a signed head, and someone with write access to the database but not the key cannot
add, alter, remove or reorder an event, nor delete a kept head, without :func:`~vestige.evidence.ledger_check.verify_ledger`
saying so. Someone who also holds the key can rewrite everything; they are caught by anyone who
kept an earlier head outside the system (:func:`~vestige.evidence.ledger_check.verify_since`, RFC 9162 consistency).

**Never sign what does not verify.** Every kept head is also appended to the head journal, a file
outside the database (:mod:`vestige.ledger.journal`, ``VESTIGE_HEAD_JOURNAL``). Before any head is
signed — the live head of an append, a kept head — the entries since the journal's newest head are
re-hashed and chained onto it (its frontier checked against its signed root), so the new head
extends it by construction (RFC 9162 consistency); the database's newest kept head must be that
same head. A log rewritten in the database, heads deleted or a database rolled back to an older
copy make signing fail with :class:`~vestige.errors.IntegrityFailure`: the forgery is reported,
never re-signed.

The signing key: ``VESTIGE_LEDGER_KEY`` (a file) or ``VESTIGE_LEDGER_KEY_PEM`` (the PEM itself,
from a secret store). In production one of them is required and the file must lie outside
``$VESTIGE_HOME`` (a backup of the data must not carry the key that vouches for it); otherwise
a key is created at ``$VESTIGE_HOME/keys/ledger.key`` — only while the ledger is still empty: a
key file that disappears from under a non-empty ledger is an error, never silently replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from vestige import crypto
from vestige.errors import ConfigurationError, IntegrityFailure
from vestige.evidence.facts import facts_of
from vestige.evidence.models import CustodyEvent, EvidenceItem, LedgerState, TreeHeadRecord
from vestige.ledger import (
    Frontier,
    Signer,
    TreeHead,
    leaf_hash,
    make_entry,
    verify_tree_head,
)
from vestige.ledger.chain import GENESIS, digest
from vestige.ledger.journal import (
    Journal,
    JournalError,
    JournalLine,
    event_record,
)


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the key ---------------------------------------------------------------------------------

LEDGER_KEY = crypto.Secret(
    inline=("VESTIGE_LEDGER_KEY_PEM",), file_variable="VESTIGE_LEDGER_KEY", auto="ledger.key",
    keep_apart="the ledger key apart from the data it vouches for",
    make="create one with `vestige keys new-ledger-key --out PATH`",
    unset="VESTIGE_PRODUCTION is on but neither VESTIGE_LEDGER_KEY (a file outside VESTIGE_HOME) nor "
          "VESTIGE_LEDGER_KEY_PEM is set; the custody ledger will not sign with a key created beside the database",
    field="VESTIGE_LEDGER_KEY")


def key_source() -> tuple[str, str]:
    """("inline", PEM text), ("file", path) or ("auto", path) of the ledger's signing key: the
    kernel's one secret source (:func:`vestige.crypto.secret_source`)."""
    return crypto.secret_source(LEDGER_KEY, file_path=settings.VESTIGE_LEDGER_KEY)


@lru_cache(maxsize=4)
def _signer(kind: str, value: str) -> Signer:
    try:
        if kind == "inline":
            return Signer.from_pem(value.encode(), "VESTIGE_LEDGER_KEY_PEM")
        if kind == "file":
            return Signer.load(value)
        if not Path(value).exists() and _ledger_in_use():
            raise ConfigurationError(
                f"the ledger's signing key {value} is missing, but the custody ledger already holds signed "
                "events: restore the key file (a new key would vouch for history it never saw)",
                field="VESTIGE_LEDGER_KEY")
        return Signer.load_or_create(value)
    except ValueError as e:
        raise ConfigurationError(str(e), field="VESTIGE_LEDGER_KEY") from None


def _ledger_in_use() -> bool:
    """Has any head been signed yet (kept, journalled, or live in the state)?"""
    return (TreeHeadRecord.objects.exists() or journal().exists()
            or LedgerState.objects.exclude(head_signature="").exists())


def signer() -> Signer:
    kind, value = key_source()
    if kind == "auto" and not Path(value).exists():
        _signer.cache_clear()  # the file went away since it was cached: decide afresh
    return _signer(kind, value)


# --- the head journal ------------------------------------------------------------------------

def journal() -> Journal:
    """The head journal: ``VESTIGE_HEAD_JOURNAL``, else ``$VESTIGE_HOME/ledger/heads.journal``."""
    path = getattr(settings, "VESTIGE_HEAD_JOURNAL", "") or Path(settings.VESTIGE_HOME) / "ledger" / "heads.journal"
    return Journal(path)


@dataclass
class Extension:
    """The log since the journal's newest head, re-hashed and checked: what a new head may sign."""

    base: JournalLine | None  # the journal's newest line (None: nothing kept yet)
    frontier: Frontier  # at the database's size, built on the base's verified frontier
    last_hash: str  # entry hash of the newest entry
    events: list = field(default_factory=list)  # journal records of the entries after the base
    first: int = 0  # index of the first of them


def _journal_base() -> JournalLine | None:
    """The journal's newest line, after checking it against the key and the database's heads."""
    try:
        base = journal().last()
    except JournalError as e:
        raise IntegrityFailure(f"head journal: {e}") from None
    newest = TreeHeadRecord.objects.order_by("-number").first()
    if base is None:
        if newest is not None:
            raise IntegrityFailure(
                f"the head journal {journal().path} is missing or empty, but the database holds signed heads "
                f"up to {newest.number}: restore the journal (or, for a log kept before journals, run "
                "`vestige evidence journal adopt` after a full verify); nothing is signed until then")
        return None
    if not verify_tree_head(signer().public_key, base.head):
        raise IntegrityFailure(f"head journal: head {base.head.number} is not signed by this ledger's key")
    if base.frontier_obj().root().hex() != base.head.root:
        raise IntegrityFailure(f"head journal: head {base.head.number}'s frontier does not fold to its signed root")
    if newest is None or (newest.number, newest.size, newest.root) != (base.head.number, base.head.size,
                                                                         base.head.root):
        have = f"head {newest.number} (size {newest.size})" if newest else "no head"
        raise IntegrityFailure(
            f"the database's newest kept head is {have}, the head journal's is head {base.head.number} "
            f"(size {base.head.size}): heads were deleted or the database rolled back; nothing is signed")
    return base


_extension_cache = threading.local()


def _extension() -> Extension:
    """Re-hash and chain the entries after the journal's newest head; raise IntegrityFailure on any
    break. Within one transaction's appends the entries already checked are not read again (the
    newest checked entry is re-read and must still hash the same)."""
    base = _journal_base()
    start = base.head.size if base else 0
    frontier = base.frontier_obj() if base else Frontier()
    last = base.last if base else GENESIS
    events: list = []
    cached = getattr(_extension_cache, "value", None)
    if cached is not None and cached[0] == (base.digest if base else None):
        _key, size, c_frontier, c_last, c_events = cached
        row = CustodyEvent.objects.filter(index=size - 1).values_list("data", flat=True).first() if size > start else None
        if size == start or (row is not None and digest(row.encode()) == c_last):
            frontier, last, events = Frontier(c_frontier.size, list(c_frontier.nodes)), c_last, list(c_events)
    if base is not None and start and not events:
        row = CustodyEvent.objects.filter(index=start - 1).values_list("data", flat=True).first()
        if row is None or digest(row.encode()) != base.last:
            raise IntegrityFailure(f"custody entry {start - 1}, the last one signed in head {base.head.number}, "
                                   "is missing or rewritten; nothing is signed")
    index = frontier.size
    for i, data in CustodyEvent.objects.filter(index__gte=index).order_by("index").values_list("index", "data"):
        if i != index:
            raise IntegrityFailure(f"custody entry {index} is missing (next index {i}); nothing is signed")
        raw = data.encode()
        try:
            body = json.loads(data)
        except ValueError:
            raise IntegrityFailure(f"custody entry {i} is not JSON (altered); nothing is signed") from None
        if body.get("index") != i or body.get("prev") != last:
            raise IntegrityFailure(f"custody entry {i} does not follow the entry before it; nothing is signed")
        leaf = leaf_hash(raw)
        frontier.append(leaf)
        events.append(event_record(leaf, body))
        last = digest(raw)
        index += 1
    _extension_cache.value = ((base.digest if base else None), frontier.size,
                              Frontier(frontier.size, list(frontier.nodes)), last, list(events))
    return Extension(base, frontier, last, events, start)


def fingerprint() -> str:
    return signer().fingerprint()


# --- appending -------------------------------------------------------------------------------

def _state() -> LedgerState:
    """The locked ledger state; its frontier rebuilt from the leaves if it predates frontiers
    (inside :func:`batch`, the batch's state, ahead of the database's)."""
    if getattr(_batch, "state", None) is not None:
        return _batch.state
    state, _created = LedgerState.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
    if state.size and not state.frontier:
        state.frontier = Frontier.of(leaves()[: state.size]).dump()
    return state


def _sign_live(state: LedgerState, frontier: Frontier) -> None:
    """Sign the live head over ``frontier`` — only once the log since the journal's newest head has
    been re-hashed and found to give exactly this frontier (:func:`_extension`)."""
    checked = _extension()
    if checked.frontier.size != frontier.size or checked.frontier.root() != frontier.root():
        raise IntegrityFailure(
            f"the ledger state's frontier ({frontier.size} entries) is not what the entries give "
            f"({checked.frontier.size}): the state or the entries were edited; nothing is signed")
    head = signer().sign(frontier.size, frontier.root().hex(), now(),
                         (checked.base.head.number if checked.base else 0) + 1)
    state.head_number, state.head_size, state.head_root, state.head_time, state.head_signature = (
        head.number, head.size, head.root, head.time, head.signature)


_batch = threading.local()


@contextlib.contextmanager
def batch():
    """Many appends in one transaction with the ledger state locked once: the frontier is extended
    in memory and the live head signed once, at the end (bulk intake: one head per batch, not a
    signature and a state write per event; the event rows written together at the end). An event
    whose item a rolled-back savepoint removed undoes the whole batch (checked before the write,
    whatever the database's foreign-key timing): nothing half-recorded is ever committed. Nested
    batches are one."""
    if getattr(_batch, "state", None) is not None:
        yield
        return
    with transaction.atomic():
        state = _state()
        _batch.state, _batch.frontier, _batch.rows = state, Frontier.load(state.size, state.frontier), []
        start = state.size
        try:
            yield
            items = {r.item_id for r in _batch.rows if r.item_id is not None}
            if EvidenceItem.objects.filter(pk__in=items).count() != len(items):

                raise IntegrityFailure("custody batch: an event's item was rolled back under it; the batch is undone")
            CustodyEvent.objects.bulk_create(_batch.rows, batch_size=500)
        finally:
            _batch.state = _batch.frontier = _batch.rows = None
        written = CustodyEvent.objects.filter(index__gte=start).count()
        if written != state.size - start:

            raise IntegrityFailure(f"custody batch: {state.size - start} events counted, {written} written; undone")
        if state.size != start:
            frontier = Frontier.load(state.size, state.frontier)
            _sign_live(state, frontier)
            state.save()
            transaction.on_commit(_keep_on_commit)


def append(kind: str, item: EvidenceItem | None, actor: str, details: dict | None = None, *,
           facts: bool | dict = False) -> CustodyEvent:
    """Append one event (actor, UTC time, item hash, details), chained to the previous one, and
    sign the new live head. With ``facts``, the event carries the item's facts after the change
    the caller just made (in the same transaction)."""
    batched = getattr(_batch, "state", None)
    with transaction.atomic(savepoint=batched is None):  # in a batch: no savepoint per event
        return _append(batched, kind, item, actor, details, facts)


def _append(batched, kind, item, actor, details, facts) -> CustodyEvent:
    state = batched if batched is not None else _state()
    details = dict(details or {})
    if isinstance(facts, dict):  # the caller's, for a record it has just written (facts.facts_new)
        details["facts"] = facts
    elif facts and item is not None:
        details["facts"] = facts_of(item)
    event = {"kind": kind, "actor": actor, "time": now(), "item": item.blob.sha256 if item else None,
             "ref": item.ref if item else None, "details": details}
    entry = make_entry(state.size, state.last_hash, event)
    leaf = leaf_hash(entry.data)
    row = CustodyEvent(index=state.size, kind=kind, item=item, data=entry.data.decode(), entry_hash=entry.hash,
                       leaf_hash=leaf.hex())
    if batched is not None:
        _batch.rows.append(row)
        frontier = _batch.frontier
        frontier.append(leaf)
        state.size, state.last_hash, state.frontier = frontier.size, entry.hash, frontier.dump()
        return row
    row.save(force_insert=True)
    frontier = Frontier.load(state.size, state.frontier)
    frontier.append(leaf)
    state.size, state.last_hash, state.frontier = frontier.size, entry.hash, frontier.dump()
    _sign_live(state, frontier)
    state.save()
    transaction.on_commit(_keep_on_commit)  # idempotent: the first to run keeps the head, the rest see it kept
    return row


_kept_listeners: list[Callable[[TreeHeadRecord | None], None]] = []


def on_head_kept(listener: Callable[[TreeHeadRecord | None], None]) -> None:
    """Call ``listener(record)`` after each commit that kept a head (the timestamping authorities
    and the witnesses subscribe in the app's ``ready``; the ledger knows neither)."""
    if listener not in _kept_listeners:
        _kept_listeners.append(listener)


def _keep_on_commit() -> None:
    record = keep_head()
    for listener in _kept_listeners:
        listener(record)


@transaction.atomic
def keep_head() -> TreeHeadRecord | None:
    """Keep the live head as the next numbered head, unless it is kept already; the newest head.
    The head is kept in the database and appended to the head journal, only after the log since
    the journal's newest head verifies (:func:`_extension`); a problem raises IntegrityFailure and
    nothing is kept or signed. Inside :func:`batch` nothing is kept until the batch ends."""
    if getattr(_batch, "state", None) is not None:
        return TreeHeadRecord.objects.order_by("-number").first()
    state = _state()
    _heal_unrecorded_head(state)
    checked = _extension()
    newest = TreeHeadRecord.objects.order_by("-number").first()
    if state.size == 0 or checked.frontier.size == (checked.base.head.size if checked.base else 0):
        return newest
    if state.size != checked.frontier.size:
        raise IntegrityFailure(f"the ledger state counts {state.size} entries, the log has {checked.frontier.size}: "
                               "the state was edited; nothing is signed")
    live = TreeHead(state.head_size, state.head_root, state.head_time, state.head_signature, state.head_number)
    number = (checked.base.head.number if checked.base else 0) + 1
    if (live.number, live.size, live.root) != (number, checked.frontier.size, checked.frontier.root().hex()) \
            or not verify_tree_head(signer().public_key, live):
        _sign_live(state, checked.frontier)  # a state from before live heads, or a live head not ours
        state.save()
        live = TreeHead(state.head_size, state.head_root, state.head_time, state.head_signature, state.head_number)
    record = TreeHeadRecord.objects.create(number=live.number, size=live.size, root=live.root, time=live.time,
                                           signature=live.signature)
    try:
        journal().append(live, checked.frontier, checked.last_hash, checked.events, checked.first)
    except OSError as e:  # the head row is rolled back with this transaction: nothing kept half
        raise IntegrityFailure(f"head journal {journal().path}: {e.strerror or e}; the head was not kept") from None
    _extension_cache.value = None
    return record


def forget_checked() -> None:
    """Drop what :func:`_extension` remembers of this thread's checked entries (after the journal
    was written by someone else than :func:`keep_head`)."""
    _extension_cache.value = None


def _heal_unrecorded_head(state: LedgerState) -> None:
    """A head appended to the journal whose database transaction then failed to commit: the
    journal is one head ahead and that head is exactly the live head still in the state. Record
    it in the database (the journal is the authority); anything else is left for the checks."""
    try:
        base = journal().last()
    except JournalError:
        return
    newest = TreeHeadRecord.objects.order_by("-number").first()
    if base is None or (newest.number if newest else 0) != base.head.number - 1:
        return
    live = TreeHead(state.head_size, state.head_root, state.head_time, state.head_signature, state.head_number)
    if live == base.head and verify_tree_head(signer().public_key, live) \
            and (newest is None or newest.size <= live.size):
        TreeHeadRecord.objects.create(number=live.number, size=live.size, root=live.root, time=live.time,
                                      signature=live.signature)


def sign_head() -> TreeHeadRecord | None:
    """The newest kept head, covering every event committed so far."""
    return keep_head()


def leaves() -> list[bytes]:
    return [bytes.fromhex(h) for h in CustodyEvent.objects.order_by("index").values_list("leaf_hash", flat=True)]


def head_of(record: TreeHeadRecord) -> TreeHead:
    return TreeHead(record.size, record.root, record.time, record.signature, record.number)


def newest_head() -> TreeHead | None:
    record = keep_head()
    return head_of(record) if record else None


def actor_name(user) -> str:
    """How a custody event names who acted: the username (stable, and what the audit shows)."""
    return user.username
