"""The custody ledger: append events, sign tree heads, prove inclusion, verify everything."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from vestige.evidence.models import CustodyEvent, EvidenceItem, LedgerState, TreeHeadRecord
from vestige.ledger import (
    Signer,
    TreeHead,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    make_entry,
    root_hash,
    verify_chain,
    verify_consistency,
    verify_tree_head,
)
from vestige.ledger.chain import GENESIS, Entry


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signer() -> Signer:
    return Signer.load_or_create(Path(settings.VESTIGE_HOME) / "keys" / "ledger.key")


@transaction.atomic
def append(kind: str, item: EvidenceItem | None, actor: str, details: dict | None = None) -> CustodyEvent:
    """Append one event (actor, UTC time, item hash, details), chained to the previous one."""
    state, _created = LedgerState.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
    event = {"kind": kind, "actor": actor, "time": now(), "item": item.blob.sha256 if item else None,
             "ref": item.ref if item else None, "details": details or {}}
    entry = make_entry(state.size, state.last_hash, event)
    row = CustodyEvent.objects.create(index=state.size, kind=kind, item=item, data=entry.data.decode(),
                                      entry_hash=entry.hash, leaf_hash=leaf_hash(entry.data).hex())
    state.size += 1
    state.last_hash = entry.hash
    state.save(update_fields=["size", "last_hash"])
    return row


def leaves() -> list[bytes]:
    return [bytes.fromhex(h) for h in CustodyEvent.objects.order_by("index").values_list("leaf_hash", flat=True)]


@transaction.atomic
def sign_head() -> TreeHeadRecord:
    """Sign the current tree head (size and Merkle root of all events)."""
    LedgerState.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
    all_leaves = leaves()
    head = signer().sign(len(all_leaves), root_hash(all_leaves).hex(), now())
    return TreeHeadRecord.objects.create(size=head.size, root=head.root, time=head.time, signature=head.signature)


def head_of(record: TreeHeadRecord) -> TreeHead:
    return TreeHead(record.size, record.root, record.time, record.signature)


def proof_for(index: int, size: int, all_leaves: list[bytes] | None = None) -> list[str]:
    all_leaves = all_leaves if all_leaves is not None else leaves()
    return [p.hex() for p in inclusion_proof(index, all_leaves[:size])]


def verify_ledger() -> list[str]:
    """Every problem in the ledger: a broken chain, leaf hashes that do not match the entries,
    signed heads whose signature or root no longer fits the events (an entry altered or removed)."""
    problems: list[str] = []
    rows = list(CustodyEvent.objects.order_by("index"))
    entries = [Entry(json.loads(r.data), r.data.encode()) for r in rows]
    problems += [f"custody ledger: {p}" for p in verify_chain(entries)]
    for r in rows:
        if leaf_hash(r.data.encode()).hex() != r.leaf_hash:
            problems.append(f"custody ledger: entry {r.index}: leaf hash does not match the entry")
    for i, r in enumerate(rows):
        if r.index != i:
            problems.append(f"custody ledger: entry {i} is missing (next index {r.index})")
            break
    all_leaves = [leaf_hash(r.data.encode()) for r in rows]
    public = signer().public_key
    for rec in TreeHeadRecord.objects.order_by("size", "id"):
        head = head_of(rec)
        if not verify_tree_head(public, head):
            problems.append(f"tree head of size {rec.size}: the signature does not verify")
            continue
        if rec.size > len(all_leaves):
            problems.append(f"tree head of size {rec.size}: the ledger now has only {len(all_leaves)} entries")
        elif root_hash(all_leaves[:rec.size]).hex() != rec.root:
            problems.append(f"tree head of size {rec.size}: the events no longer have the signed root "
                            "(an entry was altered, inserted or removed)")
        elif rec.size and len(all_leaves) > rec.size:
            proof = consistency_proof(rec.size, all_leaves)
            if not verify_consistency(rec.size, len(all_leaves), proof, bytes.fromhex(rec.root), root_hash(all_leaves)):
                problems.append(f"tree head of size {rec.size}: not consistent with the current ledger")
    return problems
