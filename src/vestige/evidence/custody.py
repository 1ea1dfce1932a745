"""The custody ledger: append events, keep signed tree heads, prove inclusion, verify everything.

Trust lies in the log, not in the database. Every append, in the same transaction, extends the
Merkle frontier kept in :class:`LedgerState` and signs the new *live* head (size, root, time and
the number it will be kept under); when the transaction commits, that head is kept as the next
numbered :class:`TreeHeadRecord` (one per transaction: batched). So no committed event is ever
outside a signed head, and someone with write access to the database but not the key cannot
add, alter, remove or reorder an event, nor delete a kept head, without :func:`verify_ledger`
saying so. Someone who also holds the key can rewrite everything; they are caught by anyone who
kept an earlier head outside the system (:func:`verify_since`, RFC 9162 consistency).

The signing key: ``VESTIGE_LEDGER_KEY`` (a file) or ``VESTIGE_LEDGER_KEY_PEM`` (the PEM itself,
from a secret store). In production one of them is required and the file must lie outside
``$VESTIGE_HOME`` (a backup of the data must not carry the key that vouches for it); otherwise
a key is created at ``$VESTIGE_HOME/keys/ledger.key``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from vestige.errors import ConfigurationError, InvalidInput
from vestige.evidence.models import CustodyEvent, EvidenceItem, LedgerState, TreeHeadRecord
from vestige.ledger import (
    Frontier,
    ProofTree,
    Signer,
    TreeHead,
    consistency_proof,
    leaf_hash,
    make_entry,
    verify_chain,
    verify_consistency,
    verify_tree_head,
)
from vestige.ledger.chain import GENESIS, Entry


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the key ---------------------------------------------------------------------------------

def key_source() -> tuple[str, str]:
    """("pem", text) or ("file", path) of the ledger's signing key, checked for production."""
    pem = os.environ.get("VESTIGE_LEDGER_KEY_PEM", "")
    path = settings.VESTIGE_LEDGER_KEY
    if pem:
        return "pem", pem
    home = Path(settings.VESTIGE_HOME).resolve()
    if path:
        p = Path(path).expanduser().resolve()
        if settings.PRODUCTION and (p == home or home in p.parents):
            raise ConfigurationError(f"VESTIGE_LEDGER_KEY={p} lies inside VESTIGE_HOME ({home}); keep the ledger "
                                     "key apart from the data it vouches for", field="VESTIGE_LEDGER_KEY")
        if not p.exists():
            raise ConfigurationError(f"VESTIGE_LEDGER_KEY={p}: no such file (create one with `vestige keys "
                                     "new-ledger-key --out PATH`)", field="VESTIGE_LEDGER_KEY")
        return "file", str(p)
    if settings.PRODUCTION:
        raise ConfigurationError("VESTIGE_PRODUCTION is on but neither VESTIGE_LEDGER_KEY (a file outside "
                                 "VESTIGE_HOME) nor VESTIGE_LEDGER_KEY_PEM is set; the custody ledger will not "
                                 "sign with a key created beside the database", field="VESTIGE_LEDGER_KEY")
    return "auto", str(home / "keys" / "ledger.key")


@lru_cache(maxsize=4)
def _signer(kind: str, value: str) -> Signer:
    try:
        if kind == "pem":
            return Signer.from_pem(value.encode(), "VESTIGE_LEDGER_KEY_PEM")
        if kind == "file":
            return Signer.load(value)
        return Signer.load_or_create(value)
    except ValueError as e:
        raise ConfigurationError(str(e), field="VESTIGE_LEDGER_KEY") from None


def signer() -> Signer:
    return _signer(*key_source())


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


def _newest_kept() -> int:
    return TreeHeadRecord.objects.aggregate(n=Max("number"))["n"] or 0


def _sign_live(state: LedgerState, frontier: Frontier) -> None:
    head = signer().sign(frontier.size, frontier.root().hex(), now(), _newest_kept() + 1)
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
                from vestige.errors import IntegrityFailure

                raise IntegrityFailure("custody batch: an event's item was rolled back under it; the batch is undone")
            CustodyEvent.objects.bulk_create(_batch.rows, batch_size=500)
        finally:
            _batch.state = _batch.frontier = _batch.rows = None
        written = CustodyEvent.objects.filter(index__gte=start).count()
        if written != state.size - start:
            from vestige.errors import IntegrityFailure

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
        from vestige.evidence.facts import facts_of
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


def _keep_on_commit() -> None:
    record = keep_head()
    from vestige.evidence import timestamps

    timestamps.on_kept(record)


@transaction.atomic
def keep_head() -> TreeHeadRecord | None:
    """Keep the live head as the next numbered head, unless it is kept already; the newest head.
    Inside :func:`batch` nothing is kept until the batch ends (its head is signed then)."""
    if getattr(_batch, "state", None) is not None:
        return TreeHeadRecord.objects.order_by("-number").first()
    state = _state()
    newest = TreeHeadRecord.objects.order_by("-number").first()
    if state.size == 0:
        return newest
    if newest is not None and newest.size == state.size and newest.root == state.head_root:
        return newest
    if (not state.head_signature or state.head_size != state.size
            or state.head_number != (newest.number if newest else 0) + 1):
        _sign_live(state, Frontier.load(state.size, state.frontier))  # a state from before live heads
        state.save()
    return TreeHeadRecord.objects.create(number=state.head_number, size=state.head_size, root=state.head_root,
                                         time=state.head_time, signature=state.head_signature)


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


def proof_for(index: int, size: int, all_leaves: list[bytes] | None = None) -> list[str]:
    all_leaves = all_leaves if all_leaves is not None else leaves()
    return [p.hex() for p in ProofTree(all_leaves[:size]).inclusion_proof(index)]


# --- verifying -------------------------------------------------------------------------------

@dataclass
class LedgerCheck:
    problems: list[str] = field(default_factory=list)
    facts: dict[str, tuple[int, dict]] = field(default_factory=dict)  # ref → (index, facts) of its newest facts event
    size: int = 0
    heads: int = 0


def check_ledger() -> LedgerCheck:
    """Every problem in the log, with no trust in the database: the chain, the leaf hashes, the
    indexes, every kept head (its signature, its number, its root against the entries: a head is
    a prefix of today's log or the log was rewritten), the live head covering the newest event;
    and, in passing, each item's newest recorded facts."""
    out = LedgerCheck()
    problems = out.problems
    rows = list(CustodyEvent.objects.order_by("index").values_list("index", "data", "leaf_hash", "item__ref"))
    entries, leaves_ = [], []
    gap_seen = False
    for position, (index, data, stored_leaf, item_ref) in enumerate(rows):
        try:
            body = json.loads(data)
        except ValueError:
            problems.append(f"custody ledger: entry {index}: not JSON (altered)")
            body = {}
        entries.append(Entry(body, data.encode()))
        leaf = leaf_hash(data.encode())
        leaves_.append(leaf)
        if leaf.hex() != stored_leaf:
            problems.append(f"custody ledger: entry {index}: leaf hash does not match the entry")
        if index != position and not gap_seen:
            gap_seen = True
            problems.append(f"custody ledger: entry {position} is missing (next index {index})")
        if body.get("ref") != item_ref:
            problems.append(f"custody ledger: entry {index}: recorded for {body.get('ref')!r}, "
                            f"but the database row points at {item_ref!r}")
        facts = (body.get("details") or {}).get("facts") if isinstance(body.get("details"), dict) else None
        if facts is not None and body.get("ref"):
            out.facts[body["ref"]] = (index, facts)
    problems += [f"custody ledger: {p}" for p in verify_chain(entries)]
    out.size = n = len(leaves_)
    public = signer().public_key

    records = list(TreeHeadRecord.objects.order_by("number", "id"))
    out.heads = len(records)
    by_size: dict[int, list[TreeHeadRecord]] = {}
    expected = 1
    previous: TreeHeadRecord | None = None
    for rec in records:
        if rec.number != expected:
            gap = f"{expected}" if rec.number == expected + 1 else f"{expected}–{rec.number - 1}"
            problems.append(f"tree head {gap}: missing (deleted); heads are numbered without gaps")
        expected = rec.number + 1
        if not verify_tree_head(public, head_of(rec)):
            problems.append(f"tree head {rec.number} (size {rec.size}): the signature does not verify")
        if previous is not None and rec.size < previous.size:
            problems.append(f"tree head {rec.number}: size {rec.size} after {previous.size}: the log shrank")
        if rec.size > n:
            problems.append(f"tree head {rec.number}: signed {rec.size} entries, the ledger now has only {n} "
                            "(entries removed)")
        else:
            by_size.setdefault(rec.size, []).append(rec)
        previous = rec
    frontier = Frontier()
    roots = {0: frontier.root().hex()} if 0 in by_size else {}
    for i, leaf in enumerate(leaves_, 1):
        frontier.append(leaf)
        if i in by_size:
            roots[i] = frontier.root().hex()
    for size, recs in by_size.items():
        for rec in recs:
            if roots.get(size) != rec.root:
                problems.append(f"tree head {rec.number} (size {size}): the entries no longer have the signed root "
                                "(an entry was altered, inserted or removed)")

    state = LedgerState.objects.filter(pk=1).first()
    newest = records[-1].number if records else 0
    if n:
        live = TreeHead(state.head_size, state.head_root, state.head_time, state.head_signature,
                        state.head_number) if state and state.head_signature else None
        if live is None or not verify_tree_head(public, live):
            kept = records[-1].size if records else 0
            if kept < n:
                problems.append(f"custody ledger: entries {kept}–{n - 1} are covered by no signed tree head")
        else:
            if live.size != n:
                problems.append(f"custody ledger: the newest signed head covers {live.size} entries, the ledger has "
                                f"{n} (entries {min(live.size, n)}–{max(live.size, n) - 1} "
                                f"{'added without a head' if n > live.size else 'removed'})")
            elif frontier.root().hex() != live.root:
                problems.append("custody ledger: the entries no longer have the newest signed root (rewritten)")
            if live.number > newest + 1:
                missing = f"{newest + 1}" if live.number == newest + 2 else f"{newest + 1}–{live.number - 1}"
                problems.append(f"tree head {missing}: missing (deleted); the newest signed head is number {live.number}")
            elif live.number < newest:
                problems.append(f"custody ledger: the live head is number {live.number}, older than kept head {newest}")
            last_time = entries[-1].body.get("time", "") if entries else ""
            if live.size == n and last_time > live.time:
                problems.append("custody ledger: the newest event is later than the newest signed head")
    from vestige.evidence import timestamps

    problems += timestamps.problems()
    return out


def verify_ledger() -> list[str]:
    return check_ledger().problems


def verify_since(head_json: str | dict) -> tuple[TreeHead, TreeHead, list[str]]:
    """Prove, with an RFC 9162 consistency proof, that today's log extends ``head_json`` (a head
    kept outside the system); (old head, newest head, problems)."""
    try:
        old = TreeHead.from_dict(json.loads(head_json) if isinstance(head_json, str) else head_json)
    except (ValueError, AttributeError) as e:
        raise InvalidInput(f"not a signed tree head ({e})", field="since_head") from None
    new = newest_head()
    problems: list[str] = []
    if not verify_tree_head(signer().public_key, old):
        problems.append(f"the kept head {old.number} (size {old.size}) is not signed by this ledger's key "
                        f"({fingerprint()}): a different ledger, or the key was replaced")
    if new is None or old.size > new.size:
        problems.append(f"the kept head covered {old.size} entries; the ledger now has {new.size if new else 0}: "
                        "entries were removed")
        return old, new, problems
    if old.size == 0:
        return old, new, problems
    all_leaves = leaves()[: new.size]
    proof = consistency_proof(old.size, all_leaves)
    if not verify_consistency(old.size, new.size, proof, bytes.fromhex(old.root), bytes.fromhex(new.root)):
        problems.append(f"the log of {new.size} entries does not extend the kept head of {old.size} entries: "
                        "history was rewritten")
    if not verify_tree_head(signer().public_key, new):
        problems.append("the newest head's signature does not verify")
    return old, new, problems
