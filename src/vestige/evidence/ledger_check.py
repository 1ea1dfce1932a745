"""Checking the custody ledger with no trust in the database: the chain, the leaves, every kept
head against the entries and against the head journal outside the database; a kept head's
RFC 9162 consistency with today's log; adopting a journal for a log kept before journals.

Read-only but for :func:`adopt_journal` (which writes the journal, never the database).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from vestige.errors import IntegrityFailure, InvalidInput
from vestige.evidence import custody, timestamps, witnessing
from vestige.evidence.models import CustodyEvent, LedgerState, TreeHeadRecord
from vestige.ledger import (
    Frontier,
    ProofTree,
    TreeHead,
    consistency_proof,
    leaf_hash,
    verify_chain,
    verify_consistency,
    verify_tree_head,
)
from vestige.ledger.chain import GENESIS, Entry, digest
from vestige.ledger.journal import JournalError, check_lines, event_record, field_digests

__all__ = ["LedgerCheck", "adopt_journal", "check_ledger", "journal_problems", "verify_ledger", "verify_since"]


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
    public = custody.signer().public_key

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
        if not verify_tree_head(public, custody.head_of(rec)):
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
    problems += journal_problems(records, entries, leaves_)
    problems += timestamps.problems()
    problems += witnessing.problems()
    return out


def _describe(record: list) -> str:
    return f"item {record[1]}, {record[2]}" if record[1] else f"{record[2]}"


def journal_problems(records: list[TreeHeadRecord], entries: list[Entry], leaves_: list[bytes]) -> list[str]:
    """The database's heads and entries against the head journal (outside the database): a head
    missing on either side or different, an entry the journal recorded that is gone or rewritten —
    named by its index, its item and its kind, with the fields that no longer hash as signed."""
    j = custody.journal()
    try:
        lines = j.lines()
    except JournalError as e:
        return [f"head journal: {e}"]
    if not lines:
        return ([f"head journal {j.path}: missing or empty, but the database holds {len(records)} signed heads "
                 "(deleted, or a log kept before journals: `vestige evidence journal adopt`)"] if records else [])
    public = custody.signer().public_key
    problems = check_lines(lines, lambda h: verify_tree_head(public, h))
    db = {r.number: r for r in records}
    for line in lines:
        h, rec = line.head, db.pop(line.head.number, None)
        if rec is None:
            problems.append(f"tree head {h.number} (size {h.size}): in the head journal, missing from the database "
                            "(deleted, or the database was rolled back)")
        elif (rec.size, rec.root, rec.time, rec.signature) != (h.size, h.root, h.time, h.signature):
            problems.append(f"tree head {h.number}: the database's copy differs from the head journal's")
    for number in sorted(db):
        problems.append(f"tree head {number}: in the database but not in the head journal (never kept by this "
                        "log: forged, or the journal was truncated)")
    recorded = [(line.first + k, rec) for line in lines for k, rec in enumerate(line.events)]
    shown = 0
    for index, rec in recorded:
        if shown >= 20:
            problems.append("head journal: further entries differ (first 20 shown)")
            break
        if index >= len(entries):
            problems.append(f"custody event {index} ({_describe(rec)}): signed in the head journal, now deleted "
                            "from the database")
            shown += 1
            continue
        if leaves_[index].hex() == rec[0]:
            continue
        body = entries[index].body
        now_fields = field_digests(body) if isinstance(body, dict) else {}
        following = recorded[index + 1][1] if index + 1 < len(recorded) else None
        if following is not None and now_fields == following[3]:
            problems.append(f"custody event {index} ({_describe(rec)}): deleted (the events after it were "
                            "renumbered and re-chained)")
            shown += 1
            break  # every later entry is shifted: one sentence says it
        changed = sorted(k for k in set(rec[3]) | set(now_fields) if rec[3].get(k) != now_fields.get(k))
        what = ", ".join(changed) if changed else "index or chain only"
        problems.append(f"custody event {index} ({_describe(rec)}): rewritten after it was signed; changed: {what}")
        shown += 1
    return problems


def verify_ledger() -> list[str]:
    return check_ledger().problems


def verify_since(head_json: str | dict) -> tuple[TreeHead, TreeHead, list[str]]:
    """Prove, with an RFC 9162 consistency proof, that today's log extends ``head_json`` (a head
    kept outside the system); (old head, newest head, problems). Read-only: the entries are
    re-hashed from their stored bytes (the leaf-hash column is not trusted) and nothing is kept
    or signed; the newest head is the newest kept one (or the live head, when it covers more)."""
    try:
        old = TreeHead.from_dict(json.loads(head_json) if isinstance(head_json, str) else head_json)
    except (ValueError, AttributeError) as e:
        raise InvalidInput(f"not a signed tree head ({e})", field="since_head") from None
    public = custody.signer().public_key
    record = TreeHeadRecord.objects.order_by("-number").first()
    new = custody.head_of(record) if record else None
    state = LedgerState.objects.filter(pk=1).first()
    if state is not None and state.head_signature and (new is None or state.head_size > new.size):
        new = TreeHead(state.head_size, state.head_root, state.head_time, state.head_signature, state.head_number)
    problems: list[str] = []
    if not verify_tree_head(public, old):
        problems.append(f"the kept head {old.number} (size {old.size}) is not signed by this ledger's key "
                        f"({custody.fingerprint()}): a different ledger, or the key was replaced")
    if new is None or old.size > new.size:
        problems.append(f"the kept head covered {old.size} entries; the ledger now has {new.size if new else 0}: "
                        "entries were removed")
        return old, new, problems
    if not verify_tree_head(public, new):
        problems.append("the newest head's signature does not verify")
    all_leaves = [leaf_hash(d.encode()) for d in
                  CustodyEvent.objects.filter(index__lt=new.size).order_by("index").values_list("data", flat=True)]
    if len(all_leaves) != new.size or ProofTree(all_leaves).root().hex() != new.root:
        problems.append(f"the entries no longer give the newest head's root (head {new.number}, {new.size} "
                        "entries): an entry was altered, inserted or removed")
        return old, new, problems
    if old.size == 0:
        return old, new, problems
    proof = consistency_proof(old.size, all_leaves)
    if not verify_consistency(old.size, new.size, proof, bytes.fromhex(old.root), bytes.fromhex(new.root)):
        problems.append(f"the log of {new.size} entries does not extend the kept head of {old.size} entries: "
                        "history was rewritten")
    return old, new, problems


def adopt_journal() -> int:
    """Write the database's kept heads into an empty head journal — for a log kept before
    journals — only after the whole ledger verifies without one; the number of heads written."""
    j = custody.journal()
    if j.exists():
        raise IntegrityFailure(f"the head journal {j.path} already exists: it is the record, never rewritten")
    check = check_ledger()
    problems = [p for p in check.problems if not p.startswith("head journal ")]
    if problems:
        raise IntegrityFailure("the ledger does not verify, so its heads are not adopted: " + "; ".join(problems[:5]))
    rows = list(CustodyEvent.objects.order_by("index").values_list("data", flat=True))
    frontier, last, written, start = Frontier(), GENESIS, 0, 0
    records: list = []
    for rec in TreeHeadRecord.objects.order_by("number"):
        for data in rows[start:rec.size]:
            leaf = leaf_hash(data.encode())
            frontier.append(leaf)
            records.append(event_record(leaf, json.loads(data)))
            last = digest(data.encode())
        j.append(custody.head_of(rec), frontier, last, records, start)
        start, records, written = rec.size, [], written + 1
    custody.forget_checked()
    return written
