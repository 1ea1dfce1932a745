"""Export evidence as a BagIt bag (RFC 8493) that anyone can verify without Vestige.

    data/originals/<REF>-<sha256 prefix><ext>   the files as received
    data/metadata/<REF>.json                    hashes, provenance, links, metadata
    data/custody/events.jsonl                   the items' custody events with inclusion proofs
    data/custody/tree-head.json                 the signed tree head the proofs lead to
    data/custody/public-key.pem                 the ledger's Ed25519 public key
    data/verify.py                              the verifier (stdlib + cryptography)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bagit
from django.utils.translation import gettext as _

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, IntegrityFailure, InvalidInput
from vestige.evidence import blobstore, custody
from vestige.evidence.bag_verify import verify_bag
from vestige.evidence.models import CustodyEvent, EventKind, EvidenceItem
from vestige.media.hashing import hash_stream

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "image/tiff": ".tif", "application/pdf": ".pdf", "video/mp4": ".mp4", "video/quicktime": ".mov",
              "video/webm": ".webm", "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/ogg": ".ogg",
              "text/plain": ".txt", "text/html": ".html", "application/zip": ".zip"}


def export(actor, items: list[EvidenceItem], out: str | Path) -> Path:
    require(actor, Cap.EVIDENCE_EXPORT)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise Conflict(_("%(d)s exists and is not empty; choose a new folder.") % {"d": out})
    if not items:
        raise InvalidInput(_("Nothing to export."), field="items")
    out.mkdir(parents=True, exist_ok=True)
    for item in items:  # the export itself is an event, and is in the signed head below
        custody.append(EventKind.EXPORTED, item, actor.username, {"to": out.name})
    head = custody.sign_head()
    all_leaves = custody.leaves()[: head.size]
    (out / "originals").mkdir()
    (out / "metadata").mkdir()
    (out / "custody").mkdir()
    for item in items:
        src = blobstore.path_for(item.blob.sha256)
        name = f"originals/{item.ref}-{item.blob.sha256[7:19]}{EXTENSIONS.get(item.media_type, '')}"
        with src.open("rb") as fin, (out / name).open("wb") as fout:
            digests = hash_stream(fin, sink=fout.write)
        if digests.sha256 != item.blob.sha256:
            shutil.rmtree(out)
            raise IntegrityFailure(_("%(ref)s: the stored blob no longer has its hash; export stopped") % {"ref": item.ref})
        meta = {"ref": item.ref, "file": name, "sha256": item.blob.sha256, "sha1": item.blob.sha1, "md5": item.blob.md5,
                "size": item.blob.size, "media_type": item.media_type, "title": item.title,
                "original_name": item.original_name, "derived_from": item.derived_from.ref if item.derived_from else None,
                "derivation": item.derivation, "metadata": item.metadata,
                "provenance": [{"source": p.source, "source_url": p.source_url, "collected_by": p.collected_by,
                                "method": p.method, "acquired_at": p.acquired_at.isoformat() if p.acquired_at else None,
                                "original_name": p.original_name, "source_hash": p.source_hash,
                                "added_by": p.added_by.username, "added_at": p.added_at.isoformat()}
                               for p in item.provenance.all()],
                "links": [str(link.target) for link in item.links.all()]}
        (out / "metadata" / f"{item.ref}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    with (out / "custody" / "events.jsonl").open("w", encoding="utf-8") as f:
        events = CustodyEvent.objects.filter(item__in=items, index__lt=head.size).order_by("index")
        for ev in events:
            f.write(json.dumps({"index": ev.index, "entry": ev.data, "leaf_hash": ev.leaf_hash,
                                "proof": custody.proof_for(ev.index, head.size, all_leaves)}, ensure_ascii=False) + "\n")
    (out / "custody" / "tree-head.json").write_text(json.dumps(custody.head_of(head).as_dict(), indent=1))
    (out / "custody" / "public-key.pem").write_bytes(custody.signer().public_pem())
    shutil.copyfile(Path(__file__).with_name("bag_verify.py"), out / "verify.py")
    bagit.make_bag(str(out), {"Source-Organization": "Vestige", "External-Description":
                              f"{len(items)} evidence items with custody events and a signed tree head"},
                   checksums=["sha256"])
    return out


def verify(path: str | Path) -> list[str]:
    """The bag's own checks (as data/verify.py runs them) plus bagit-python's validation."""
    problems = verify_bag(path)
    try:
        bagit.Bag(str(path)).validate()
    except (bagit.BagError, bagit.BagValidationError) as e:
        problems.append(f"BagIt validation: {e}")
    return problems
