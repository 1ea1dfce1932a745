"""The facts of an evidence item that a court relies on, as the custody ledger records them.

Every event that changes one of them (intake, a metadata step, a failed step, added provenance,
a link) carries the item's whole ``facts`` after the change, so the newest such event of an
item *is* its record; the database rows are a cache that :func:`differences` checks against it.
The same function, copied into each bag's ``verify.py``, checks a bag's metadata files.

Numbers are normalised (a float with an integral value is written as an integer) because
PostgreSQL's jsonb keeps ``1e20`` as ``100000000000000000000``: without it, a metadata digest
would depend on the database that stored it.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from vestige.ledger import canonical_json

FIELDS = ("sha256", "sha1", "md5", "size", "media_type", "original_name", "derived_from", "derivation",
          "metadata_sha256", "provenance", "links", "failed_steps")
PROVENANCE = ("source", "source_url", "collected_by", "method", "acquired_at", "original_name", "source_hash",
              "added_by", "added_at")


def normal(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    return value


def digest(value) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(normal(value))).hexdigest()


def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def link_label(link) -> str:
    if link.site_id:
        return f"site:{link.site.ref}"
    if link.grave_id:
        return f"grave:{link.grave.site.ref}#{link.grave.label}"
    return f"remains:{link.remains.body_number}"


def provenance_entry(p) -> dict:
    return {"source": p.source, "source_url": p.source_url, "collected_by": p.collected_by, "method": p.method,
            "acquired_at": _utc(p.acquired_at), "original_name": p.original_name, "source_hash": p.source_hash,
            "added_by": p.added_by.username, "added_at": _utc(p.added_at)}


def facts_of(item) -> dict:
    """The item's facts as the database holds them now (read fresh, not from cached relations)."""
    from vestige.evidence.models import EvidenceItem

    item = EvidenceItem.objects.select_related("blob", "derived_from").get(pk=item.pk)
    return {
        "sha256": item.blob.sha256, "sha1": item.blob.sha1, "md5": item.blob.md5, "size": item.blob.size,
        "media_type": item.media_type, "original_name": item.original_name,
        "derived_from": item.derived_from.ref if item.derived_from else None, "derivation": item.derivation,
        "metadata_sha256": digest(item.metadata),
        "provenance": [provenance_entry(p) for p in item.provenance.select_related("added_by").order_by("id")],
        "links": sorted(link_label(link) for link in item.links.select_related("site", "grave__site", "remains")),
        "failed_steps": normal(list(item.failed_steps)),
    }


def differences(recorded: dict, current: dict) -> list[str]:
    """Each fact that differs, as ``field: ledger …, database …`` (empty when all agree)."""
    out = []
    for name in FIELDS:
        a, b = recorded.get(name), current.get(name)
        if a == b:
            continue
        if name == "provenance" and isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"provenance: the ledger records {len(a)} entries, the database has {len(b)}")
            for i, (pa, pb) in enumerate(zip(a, b, strict=False)):
                for f in PROVENANCE:
                    if pa.get(f) != pb.get(f):
                        out.append(f"provenance entry {i + 1} {f}: ledger {pa.get(f)!r}, database {pb.get(f)!r}")
        else:
            out.append(f"{name}: ledger {_short(a)}, database {_short(b)}")
    return out


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
