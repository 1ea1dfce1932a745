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

from vestige.evidence.models import EvidenceItem, EvidenceLink, Provenance
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


ITEM_VALUES = ("blob__sha256", "blob__sha1", "blob__md5", "blob__size", "media_type", "original_name",
               "derived_from__ref", "derivation", "metadata", "failed_steps")
PROVENANCE_VALUES = ("source", "source_url", "collected_by", "method", "acquired_at", "original_name", "source_hash",
                     "added_by__username", "added_at")


def _link_label(site_ref, grave_site_ref, grave_label, body_number) -> str:
    if site_ref is not None:
        return f"site:{site_ref}"
    if grave_label is not None:
        return f"grave:{grave_site_ref}#{grave_label}"
    return f"remains:{body_number}"


def facts_of(item) -> dict:
    """The item's facts as the database holds them now (read fresh, not from cached relations;
    plain values, no model instances: this runs for every facts event of a bulk intake)."""

    row = EvidenceItem.objects.filter(pk=item.pk).values_list(*ITEM_VALUES).get()
    sha256, sha1, md5, size, media_type, original_name, derived_ref, derivation, metadata, failed = row
    provenance = []
    for (source, source_url, collected_by, method, acquired_at, name, source_hash, added_by,
         added_at) in Provenance.objects.filter(item_id=item.pk).order_by("id").values_list(*PROVENANCE_VALUES):
        provenance.append({"source": source, "source_url": source_url, "collected_by": collected_by, "method": method,
                           "acquired_at": _utc(acquired_at), "original_name": name, "source_hash": source_hash,
                           "added_by": added_by, "added_at": _utc(added_at)})
    links = EvidenceLink.objects.filter(item_id=item.pk).values_list("site__ref", "grave__site__ref", "grave__label",
                                                                     "remains__body_number")
    return {
        "sha256": sha256, "sha1": sha1, "md5": md5, "size": size, "media_type": media_type,
        "original_name": original_name, "derived_from": derived_ref, "derivation": derivation,
        "metadata_sha256": digest(metadata), "provenance": provenance,
        "links": sorted(_link_label(*link) for link in links), "failed_steps": normal(list(failed)),
    }


def facts_new(item, blob, provenance) -> dict:
    """The facts of an item just created with its blob and first provenance, in this transaction
    and with no link yet: what :func:`facts_of` would read back, without reading (bulk intake).
    The tests hold the two equal."""
    p = provenance
    return {
        "sha256": blob.sha256, "sha1": blob.sha1, "md5": blob.md5, "size": blob.size, "media_type": item.media_type,
        "original_name": item.original_name, "derived_from": item.derived_from.ref if item.derived_from_id else None,
        "derivation": item.derivation, "metadata_sha256": digest(item.metadata),
        "provenance": [{"source": p.source, "source_url": p.source_url, "collected_by": p.collected_by,
                        "method": p.method, "acquired_at": _utc(p.acquired_at), "original_name": p.original_name,
                        "source_hash": p.source_hash, "added_by": p.added_by.username, "added_at": _utc(p.added_at)}],
        "links": [], "failed_steps": normal(list(item.failed_steps)),
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
