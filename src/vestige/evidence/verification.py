"""Verification of the evidence vault: blobs re-hashed, the custody log checked, each item's rows against
what its newest custody event records, and the witnesses asked."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import NotFound
from vestige.evidence import blobstore, custody, ledger_check, witnessing
from vestige.evidence.facts import differences, facts_of
from vestige.evidence.models import (
    EventKind,
    EvidenceItem,
)


def verify(actor, refs: list[str] | None = None) -> list[str]:
    """Re-hash blobs; check the log (chain, tree, every signed head: :func:`ledger_check.check_ledger`)
    and that each item's rows (hashes, size, type, names, metadata, provenance, links, failed
    steps) are what its newest custody event records.

    Returns every problem found (empty: all good); each checked item has its last verification
    recorded, and gets a ``verified`` custody event only when nothing was found (a log with a
    problem is never appended to or signed by its verification).
    """

    require(actor, Cap.EVIDENCE_READ)
    items = access.scope(EvidenceItem.objects.select_related("blob"), actor)
    if refs:
        items = items.filter(ref__in=refs)
        missing = set(refs) - set(items.values_list("ref", flat=True))
        if missing:
            raise NotFound(_("No evidence item %(r)s.") % {"r": ", ".join(sorted(missing))})
    ledger = ledger_check.check_ledger()
    problems: list[str] = []
    checked = []
    for item in items:
        item_problems = []
        now = blobstore.rehash(item.blob.sha256)
        if now is None:
            item_problems.append(f"{item.ref}: the blob {item.blob.sha256} is missing")
        elif now.sha256 != item.blob.sha256 or now.size != item.blob.size:
            item_problems.append(f"{item.ref}: the blob changed (now {now.sha256}, {now.size} bytes)")
        elif now.md5 != item.blob.md5 or now.sha1 != item.blob.sha1:
            item_problems.append(f"{item.ref}: the database row's MD5 or SHA-1 was edited")
        recorded = ledger.facts.get(item.ref)
        if recorded is None:
            item_problems.append(f"{item.ref}: the custody ledger records no facts for this item")
        else:
            item_problems += [f"{item.ref}: {d} (custody event {recorded[0]})"
                              for d in differences(recorded[1], facts_of(item))]
        problems += item_problems
        checked.append((item, not item_problems))
    if not refs and access.sees_all(actor):
        held = set(EvidenceItem.objects.values_list("ref", flat=True))
        problems += [f"{ref}: the custody ledger records this item; the database has no such row (deleted)"
                     for ref in sorted(set(ledger.facts) - held)]
    problems += ledger.problems
    if not problems and settings.VESTIGE_WITNESSES:
        # Ask the witnesses too: a database rolled back, or a log re-signed with a stolen key,
        # verifies on its own but is refused by a witness that saw the real one.
        problems += [f"witness {o.witness}: {o.detail}" for o in witnessing.publish() if o.status == "refused"]
        problems += witnessing.quorum_problems()
    with transaction.atomic():
        for item, ok in checked:
            EvidenceItem.objects.filter(pk=item.pk).update(last_verified_at=timezone.now(), last_verification_ok=ok and not problems)
            # A log that does not verify is never extended (nor signed) by its own verification:
            # the problems are reported and the log left exactly as found.
            if not problems:
                custody.append(EventKind.VERIFIED, item, custody.actor_name(actor), {"ok": ok})
    return problems
