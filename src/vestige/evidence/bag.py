"""Export evidence as a BagIt bag (RFC 8493) that a court can verify alone, without Vestige.

    data/originals/<REF>-<sha256 prefix><ext>   the files as received
    data/metadata/<REF>.json                    the item's facts (hashes, size, type, names,
                                                provenance, links, failed steps) and metadata
    data/custody/events.jsonl                   every custody event of the items, with its
                                                inclusion proof to the signed head
    data/custody/tree-head.json                 the signed, numbered tree head
    data/custody/public-key.pem                 the ledger's Ed25519 public key
    data/custody/checkpoint.txt                 the head as a C2SP checkpoint with the witnesses'
                                                cosignatures (when witnesses are configured)
    data/custody/timestamps/                    RFC 3161 tokens over the head (when TSAs are set):
                                                tree-head.json (the exact bytes stamped), 1.tsr,
                                                2.tsr ... and tsa-roots.pem (the roots they chain to)
    data/verify.py                              the verifier (Python standard library + cryptography)
    bagit.txt                                   BagIt-Version 1.0 (RFC 8493)
    bag-info.txt                                with the key's fingerprint and the bag's identifier
    bag-signature.json                          the ledger key's signature over bagit.txt, bag-info.txt
                                                and the payload manifest; listed in the tag manifest

The facts in each metadata file must equal those of the item's newest facts event; each item's
metadata lists the indexes of all its events under the head (signed with the bag), so a dropped
event is missed; the ``exported`` events are appended to the log only once the bag is complete; the tag manifest covers the payload manifest and
bag-info, and the signature covers the tag manifest: editing any file fails and names it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import bagit
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, IntegrityFailure, InvalidInput
from vestige.evidence import blobstore, custody, ledger_check, timestamps, witnessing
from vestige.evidence.bag_verify import BAG_CONTEXT_V2, SIGNED, signed_statement, verify_bag
from vestige.evidence.facts import differences, facts_of
from vestige.evidence.models import CustodyEvent, EventKind, EvidenceItem
from vestige.ledger import ProofTree
from vestige.media.hashing import hash_stream

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "image/tiff": ".tif", "application/pdf": ".pdf", "video/mp4": ".mp4", "video/quicktime": ".mov",
              "video/webm": ".webm", "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/ogg": ".ogg",
              "text/plain": ".txt", "text/html": ".html", "application/zip": ".zip", "image/heic": ".heic",
              "image/heif": ".heif", "image/avif": ".avif", "application/wacz": ".wacz"}


def extension(item: EvidenceItem) -> str:
    """The file's true extension in a bag: a WACZ is a zip named .wacz, HEIC/AVIF keep theirs."""
    if item.original_name.lower().endswith(".wacz") or item.metadata.get("wacz"):
        return ".wacz"
    return EXTENSIONS.get(item.media_type, "")


def _checked_facts(items: list[EvidenceItem]) -> dict[str, dict]:
    """Each item's facts, refused if any item's rows differ from its custody record (the bag
    would carry the tampered values) or the log does not verify."""
    ledger = ledger_check.check_ledger()
    if ledger.problems:
        raise IntegrityFailure(_("The custody ledger does not verify (%(p)s); export stopped.") % {"p": ledger.problems[0]})
    facts = {}
    for item in items:
        recorded = ledger.facts.get(item.ref)
        now = facts_of(item)
        bad = differences(recorded[1], now) if recorded else ["no facts recorded"]
        if bad:
            raise IntegrityFailure(_("%(ref)s: the database differs from the custody record (%(d)s); export "
                                     "stopped. Run `vestige evidence verify`.") % {"ref": item.ref, "d": bad[0]})
        facts[item.ref] = now
    return facts


@dataclass(frozen=True)
class WrittenBag:
    """A complete bag on disk whose export is not yet recorded in the custody ledger."""

    path: Path
    items: list[EvidenceItem]
    bag_id: str
    listing: dict[str, list[int]]  # ref -> the indexes of its events in the bag
    tag_manifest_sha256: str


def write_bag(actor, items: list[EvidenceItem], out: str | Path) -> WrittenBag:
    """Write the bag of ``items`` to the empty folder ``out``: every file, each item's events up
    to the newest head with their inclusion proofs, and in each item's metadata the list of its
    events (signed with the bag): a dropped event is missed. Nothing is recorded in the custody
    ledger: :func:`record_export` does that once the bag is delivered, so an export that dies
    half-way leaves no "exported" event for a bag that never existed."""
    require(actor, Cap.EVIDENCE_EXPORT)
    items = [access.check(actor, item) for item in items]
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise Conflict(_("%(d)s exists and is not empty; choose a new folder.") % {"d": out})
    if not items:
        raise InvalidInput(_("Nothing to export."), field="items")
    bag_id = f"urn:uuid:{uuid.uuid4()}"
    facts = _checked_facts(items)
    head = custody.keep_head()
    listing = {item.ref: list(item.events.filter(index__lt=head.size).order_by("index").values_list("index", flat=True))
               for item in items}
    stamp_errors = []
    if timestamps.configured():
        stamp_errors = [f"{url}: {err}" for url, _row, err in timestamps.stamp(head) if err]
    if settings.VESTIGE_WITNESSES:
        stamp_errors += [f"witness {o.witness}: {o.detail}" for o in witnessing.publish(head)
                         if o.status in ("down", "refused")]
    out.mkdir(parents=True, exist_ok=True)
    try:
        _write(items, facts, head, out, {"bag": bag_id, "to": out.name, "of": len(items)}, listing, stamp_errors)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return WrittenBag(out, items, bag_id, listing, hashlib.sha256((out / "tagmanifest-sha256.txt").read_bytes()).hexdigest())


@transaction.atomic
def record_export(actor, written: WrittenBag, delivered_as: str) -> None:
    """One ``exported`` event per item, after the bag is complete: where it went, the bag's
    identifier and tag manifest's SHA-256 (which the bag signature covers), and the events it carries."""
    for item in written.items:
        custody.append(EventKind.EXPORTED, item, actor.username,
                       {"to": delivered_as, "bag": written.bag_id, "events": written.listing[item.ref],
                        "of": len(written.items), "tag_manifest_sha256": written.tag_manifest_sha256})


def export(actor, items: list[EvidenceItem], out: str | Path) -> Path:
    """Write the bag to ``out`` and record its export (the folder is what is delivered)."""
    written = write_bag(actor, items, out)
    record_export(actor, written, written.path.name)
    return written.path


def _write_timestamps(head, folder: Path) -> int:
    rows = list(head.timestamps.order_by("tsa_url"))
    if not rows:
        return 0
    folder.mkdir()
    (folder / "tree-head.json").write_bytes(timestamps.message(head))
    for n, row in enumerate(rows, 1):
        (folder / f"{n}.tsr").write_bytes(bytes(row.token))
    shutil.copyfile(settings.VESTIGE_TSA_ROOTS, folder / "tsa-roots.pem")
    return len(rows)


def _write(items, facts, head, out: Path, export: dict, listing: dict, stamp_errors=()) -> None:  # noqa: PLR0913
    bag_id = export["bag"]
    tree = ProofTree(custody.leaves()[: head.size])
    for sub in ("originals", "metadata", "custody"):
        (out / sub).mkdir()
    for item in items:
        src = blobstore.local(item.blob.sha256)
        name = f"originals/{item.ref}-{item.blob.sha256[7:19]}{extension(item)}"
        with src.open("rb") as fin, (out / name).open("wb") as fout:
            digests = hash_stream(fin, sink=fout.write)
        if digests.sha256 != item.blob.sha256:
            raise IntegrityFailure(_("%(ref)s: the stored blob no longer has its hash; export stopped") % {"ref": item.ref})
        meta = {"ref": item.ref, "file": name, "title": item.title, "facts": facts[item.ref], "metadata": item.metadata,
                "export": {**export, "events": listing[item.ref]}}
        (out / "metadata" / f"{item.ref}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    with (out / "custody" / "events.jsonl").open("w", encoding="utf-8") as f:
        events = CustodyEvent.objects.filter(item__in=items, index__lt=head.size).order_by("index")
        for ev in events.iterator():
            f.write(json.dumps({"index": ev.index, "entry": ev.data, "leaf_hash": ev.leaf_hash,
                                "proof": [p.hex() for p in tree.inclusion_proof(ev.index)]}, ensure_ascii=False) + "\n")
    (out / "custody" / "tree-head.json").write_text(json.dumps(custody.head_of(head).as_dict(), indent=1))
    signer = custody.signer()
    (out / "custody" / "public-key.pem").write_bytes(signer.public_pem())
    stamped = _write_timestamps(head, out / "custody" / "timestamps")
    if settings.VESTIGE_WITNESSES or head.cosignatures.exists():
        (out / "custody" / "checkpoint.txt").write_bytes(witnessing.note_of(head))
    shutil.copyfile(Path(__file__).with_name("bag_verify.py"), out / "verify.py")
    verifier = hashlib.sha256((out / "verify.py").read_bytes()).hexdigest()
    extra = {"Vestige-Timestamps": str(stamped),
             "Vestige-Cosignatures": str(head.cosignatures.count()),
             # the same verifier, obtained independently of this bag: never run the bag's own copy
             "Vestige-Verifier-SHA256": verifier,
             "Vestige-Verifier-Source": "the vestige-verify package, built from the Vestige repository "
                                        "(pip install ./verifier; vestige-verify BAG --fingerprint SHA256:...)"}
    if stamp_errors:
        extra["Vestige-Timestamp-Failures"] = "; ".join(stamp_errors)[:900]  # TSAs and witnesses not reached
    bagit.make_bag(str(out), {**extra, "Source-Organization": "Vestige", "External-Identifier": bag_id,
                              "External-Description": f"{len(items)} evidence items with their custody events and "
                                                      f"signed tree head {head.number}",
                              "Vestige-Ledger-Key-Fingerprint": signer.fingerprint()},
                   checksums=["sha256"])
    # BagIt 1.0 (RFC 8493); the signature covers the tag files the tag manifest covered (bagit.txt,
    # bag-info.txt — the key's fingerprint, the verifier's hash — and the payload manifest) and is
    # itself a tag file the tag manifest lists: every file of the bag under a manifest, nothing circular.
    (out / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
    (out / "bag-signature.json").write_text(json.dumps({
        "signs": list(SIGNED), "algorithm": "Ed25519", "context": BAG_CONTEXT_V2.decode().strip(),
        "key_fingerprint": signer.fingerprint(),
        "signature": signer.sign_raw(signed_statement(out))}, indent=1))
    _write_tag_manifest(out)


def _write_tag_manifest(out: Path) -> None:
    """tagmanifest-sha256.txt over every tag file (bag-signature.json included)."""
    names = sorted(p.name for p in out.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-"))
    (out / "tagmanifest-sha256.txt").write_text(
        "".join(f"{hashlib.sha256((out / n).read_bytes()).hexdigest()} {n}\n" for n in names), encoding="utf-8")


def verify(path: str | Path, fingerprint: str = "", notes: list[str] | None = None, tsa_roots: str = "",  # noqa: PLR0913
           witnesses: list[str] | None = None, quorum: int | None = None) -> list[str]:
    """The bag's own checks (as data/verify.py runs them) plus bagit-python's validation."""
    try:
        problems = verify_bag(path, fingerprint, notes, tsa_roots, witnesses, quorum)
    except ValueError as e:
        raise InvalidInput(str(e), field="witness") from None
    try:
        bagit.Bag(str(path)).validate()
    except (bagit.BagError, bagit.BagValidationError) as e:
        problems.append(f"BagIt validation: {e}")
    return problems
