"""Evidence: the app's one entry (views, API, CLI and jobs call here). Every act is a custody event.

Intake is here; links are :mod:`~vestige.evidence.links`, verification
:mod:`~vestige.evidence.verification`, both re-exported.

Intake: the blob is written first (write-once, :mod:`vestige.evidence.blobstore`); then one
transaction creates the rows and the received/stored/hashed events; then each metadata step
runs and is recorded (done, or failed with its error). A file already held (same SHA-256) is the
same item: the new provenance is added. Re-running an interrupted intake completes it: steps not
yet done are run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.evidence import blobstore, custody, intake
from vestige.evidence.facts import facts_new
from vestige.evidence.links import add_links, link, resolve_links, unlink  # noqa: F401 - the service API
from vestige.evidence.models import (
    Blob,
    EventKind,
    EvidenceItem,
    Provenance,
)
from vestige.evidence.nearby import frames_of, index, video_index
from vestige.evidence.verification import verify  # noqa: F401 - the service API
from vestige.history.services import next_reference
from vestige.media import detect_type

BATCH = 32  # files recorded in one transaction by ingest_paths
PROVENANCE_FIELDS = ("source", "source_url", "collected_by", "method", "acquired_at", "original_name", "source_hash")


def _signed(value: int) -> int:
    """A 64-bit pHash as a signed integer (the database's bigint)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _next_ref() -> str:
    return next_reference(EvidenceItem, "ref", "EV-", 6)


def _derived_ref(parent: EvidenceItem, derivation: str) -> str:
    """A derivative (thumbnail, extracted frame) is named after its original, ``EV-000012-T1``:
    it takes no number of the register, whose sequence then has no gaps that look like deletions."""
    letter = (derivation[:1] or "D").upper() if derivation[:1].isalpha() else "D"
    n = 1
    while EvidenceItem.objects.filter(ref=f"{parent.ref}-{letter}{n}").exists():
        n += 1
    return f"{parent.ref}-{letter}{n}"


@dataclass
class IngestResult:
    name: str
    item: EvidenceItem | None = None
    created: bool = False
    error: str = ""
    failed_steps: list[str] = field(default_factory=list)
    path: Path | None = None
    source_hash_ok: bool | None = None  # None: the source gave no hash
    computing: object = None  # the future of its metadata steps, while they run


def ingest(actor, stream: BinaryIO, name: str, *, provenance: dict | None = None, links: dict | None = None,
           graphic: bool = True, derived_from: EvidenceItem | None = None, derivation: str = "",
           run_steps: bool = True, case=None) -> IngestResult:
    """Ingest one file; see the module docstring. With ``run_steps=False`` the metadata steps are
    left to the caller (:func:`run_steps_batch`). The item goes into the case of what it is linked
    to (or derived from), else ``case``, else the actor's only case."""
    require(actor, Cap.EVIDENCE_WRITE)
    provenance = {k: v for k, v in (provenance or {}).items() if v not in (None, "")}
    unknown = set(provenance) - set(PROVENANCE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown provenance field(s): %(f)s") % {"f": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
    targets = resolve_links(links, actor)
    parent = derived_from or (next(iter(targets[0].values())) if targets else None)
    if derived_from is not None and derived_from.case_id:  # a derivative the caller just made of its item
        case = derived_from.case_id
    else:
        case = access.case_for_new(actor, case, parent=parent)
    digests, path = blobstore.put(stream)
    with path.open("rb") as f:
        media_type = detect_type(f.read(64))
    provenance.setdefault("original_name", name)
    try:
        item, created = _record(actor, digests, media_type, name, provenance, graphic, derived_from, derivation, case)
    except IntegrityError:  # a concurrent intake of the same file won the race: it is a duplicate
        item, created = _record(actor, digests, media_type, name, provenance, graphic, derived_from, derivation, case)
    given = provenance.get("source_hash", "")
    result = IngestResult(name, item, created, source_hash_ok=None if not given else source_hash_matches(given, digests))
    for kind_target in targets:
        link(actor, item, **kind_target)
    result.path = path
    if run_steps and derivation != "thumbnail":  # a thumbnail has no thumbnail; a capture's files have steps
        _run_steps(actor, item, path, name, result)
    return result


@transaction.atomic
def _record(actor, digests, media_type, name, provenance, graphic, derived_from, derivation, case=None):
    custody._state()  # the ledger's lock (the batch's, inside one): one intake of a file at a time
    existing = EvidenceItem.objects.filter(blob__sha256=digests.sha256).first()
    if existing is not None and not access.visible(actor, existing):
        raise Conflict(_("This file is already held in a case you are not a member of; ask an administrator."))
    if existing is not None:
        Provenance.objects.create(item=existing, added_by=actor, **provenance)
        custody.append(EventKind.PROVENANCE, existing, custody.actor_name(actor), {"duplicate of": existing.ref, **_plain(provenance)},
                       facts=True)
        _check_source_hash(actor, existing, provenance, digests, again=True)
        return existing, False
    blob = Blob.objects.create(sha256=digests.sha256, sha1=digests.sha1, md5=digests.md5, size=digests.size)
    ref = _derived_ref(derived_from, derivation) if derived_from is not None else _next_ref()
    item = EvidenceItem.objects.create(ref=ref, blob=blob, **({"case_id": case} if isinstance(case, int) else {"case": case}),
                                       media_type=media_type, original_name=name[:500],
                                       title=Path(name).name[:300], graphic=graphic, created_by=actor,
                                       derived_from=derived_from, derivation=derivation, metadata={"steps": []})
    first = Provenance.objects.create(item=item, added_by=actor, **provenance)
    who = custody.actor_name(actor)
    custody.append(EventKind.RECEIVED, item, who, {"name": name, **_plain(provenance)},
                   facts=facts_new(item, blob, first))
    custody.append(EventKind.STORED, item, who, blobstore.record_store().describe(digests.sha256))
    custody.append(EventKind.HASHED, item, who, {"sha256": digests.sha256, "sha1": digests.sha1, "md5": digests.md5,
                                                 "size": digests.size, "type": media_type})
    _check_source_hash(actor, item, provenance, digests)
    if derived_from is not None:
        custody.append(EventKind.DERIVED, derived_from, who, {"derivative": item.ref, "derivation": derivation})
    return item, True


def source_hash_matches(given: str, digests) -> bool:
    """Whether a hash the source gave (SHA-256, SHA-1 or MD5, hex, optionally ``sha256:``) is the file's."""
    value = given.strip().lower().removeprefix("sha256:").removeprefix("sha1:").removeprefix("md5:")
    return value in (digests.sha256.removeprefix("sha256:"), digests.sha1, digests.md5)


def _check_source_hash(actor, item: EvidenceItem, provenance: dict, digests, *, again: bool = False) -> bool:
    """A source hash that is not the file's is a failed step on the item, whether the file is new
    or already held (a second source vouching wrongly for a held file is as telling)."""
    given = provenance.get("source_hash", "")
    if given and not source_hash_matches(given, digests):
        who = provenance.get("source") or provenance.get("submitted_by") or "a source"
        _fail(actor, item, "source hash", f"{who} gave {given}{' (re-submitted file)' if again else ''}; "
                                          "the file's hashes differ")
        return False
    return True


def _plain(d: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}


def _fail(actor, item: EvidenceItem, step: str, error: str) -> None:
    item.failed_steps = [*item.failed_steps, {"step": step, "error": error[:500]}]
    item.save(update_fields=["failed_steps"])
    custody.append(EventKind.STEP_FAILED, item, custody.actor_name(actor), {"step": step, "error": error[:500]}, facts=True)


def _pending_steps(item: EvidenceItem, path: Path, name: str):
    done = set(item.metadata.get("steps", []))
    return [(n, fn) for n, fn in intake.steps_for(item.media_type, path, name) if n not in done]


def _compute(steps, path: Path):
    """Run the steps' pure part: (name, (metadata, derivatives) or the exception)."""
    out = []
    for step_name, step in steps:
        try:
            out.append((step_name, step(path)))
        except Exception as e:  # handed to _apply, which records it
            out.append((step_name, e))
    return out


def _apply(actor, item: EvidenceItem, computed, result: IngestResult) -> None:
    """Record each step's outcome: metadata and derivatives, or the failure (never only logged)."""
    for step_name, outcome in computed:
        if isinstance(outcome, Exception):
            with transaction.atomic(savepoint=False):
                _fail(actor, item, step_name, f"{type(outcome).__name__}: {outcome}")
            result.failed_steps.append(step_name)
            continue
        meta, derivatives = outcome
        failure = meta.pop("failure", None)  # a step that read the file and found it wanting
        failed_step = meta.pop("failure_step", None) or step_name
        with transaction.atomic(savepoint=False):
            item.refresh_from_db(fields=["metadata"])
            item.metadata = {**item.metadata, **meta, "steps": [*item.metadata.get("steps", []), step_name]}
            if meta.get("phash"):
                item.phash = _signed(int(meta["phash"], 16))
            item.save(update_fields=["metadata", "phash"])
            custody.append(EventKind.METADATA, item, custody.actor_name(actor), {"step": step_name}, facts=True)
            if failure:
                _fail(actor, item, failed_step, failure)
        if failure:
            result.failed_steps.append(failed_step)
        for derivation, data, _mime in derivatives:
            if not item.derivatives.filter(derivation=derivation).exists():
                ingest(actor, io.BytesIO(data), f"{item.ref}-{derivation}.jpg", derived_from=item,
                       derivation=derivation, graphic=item.graphic, provenance={"method": f"derived: {derivation}"})


def _run_steps(actor, item: EvidenceItem, path: Path, name: str, result: IngestResult) -> None:
    _apply(actor, item, _compute(_pending_steps(item, path, name), path), result)


def run_steps_batch(actor, results: list[IngestResult], pool=None) -> None:
    """The metadata steps of many new items: computed two at a time (decoding releases the GIL),
    recorded in order on this thread (one writer). A result whose steps were started early
    (``result.computing``, see :func:`ingest_paths`) is not computed again."""
    from concurrent.futures import ThreadPoolExecutor

    own = pool is None
    pool = pool or ThreadPoolExecutor(max_workers=2, thread_name_prefix="intake")
    try:
        for r in results:
            if r.computing is None:
                _start_steps(r, pool)
        for r in results:
            if r.computing is not None:
                computed, r.computing = r.computing.result(), None
                _apply(actor, r.item, computed, r)
    finally:
        if own:
            pool.shutdown()


def _start_steps(r: IngestResult, pool) -> None:
    if r.item is None or r.path is None or r.computing is not None:
        return
    steps = _pending_steps(r.item, r.path, r.name)
    if steps:
        r.computing = pool.submit(_compute, steps, r.path)


@transaction.atomic
def annotate(actor, item: EvidenceItem, values: dict, why: str) -> EvidenceItem:
    """Add keys to an item's metadata (e.g. what an archiver recorded), as a custody event."""
    require(actor, Cap.EVIDENCE_WRITE)
    item.refresh_from_db()
    item.metadata = {**item.metadata, **values}
    item.save(update_fields=["metadata"])
    custody.append(EventKind.METADATA, item, custody.actor_name(actor), {"step": why, "keys": sorted(values)}, facts=True)
    return item


# --- files, folders, zip archives -------------------------------------------------------------

def ingest_paths(actor, paths: list[str | Path], progress=None, **kwargs) -> list[IngestResult]:
    """Files, folders (recursively, sorted) and zip archives (members one by one, safely)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.is_file())
        elif p.is_file():
            files.append(p)
        else:
            raise NotFound(_("%(p)s: no such file or folder") % {"p": p})
    results: list[IngestResult] = []
    batch: list[IngestResult] = []
    # A batch of files is one custody batch (one transaction, the ledger state locked once, one
    # head signed and kept), not a commit, a signature and a state write per event; the blobs'
    # folders are synced once each before that commit. Bounded: a crash loses at most a batch,
    # whose blobs are already stored and which a re-run records (the same files, the same hashes).
    from concurrent.futures import ThreadPoolExecutor

    def open_batch() -> contextlib.ExitStack:
        stack = contextlib.ExitStack()  # on the way out: the blobs' folders synced, then the commit
        stack.enter_context(custody.batch())
        stack.enter_context(blobstore.deferred_dir_sync())
        return stack

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="intake") as pool:
        pending = open_batch()
        with contextlib.ExitStack() as outer:
            outer.push(lambda *exc: pending.__exit__(*exc))  # an error rolls the open batch back
            outer.callback(lambda: pool.shutdown(cancel_futures=True))
            for n, f in enumerate(files, 1):
                with f.open("rb") as fh:
                    head = fh.read(64)
                if head[:4] == b"PK\x03\x04" and not f.name.lower().endswith(".wacz"):
                    found = ingest_zip(actor, f, run_steps=False, **kwargs)
                else:
                    with f.open("rb") as fh:
                        found = [ingest(actor, fh, str(f), run_steps=False, **kwargs)]
                for r in found:  # its pixels are decoded on the other core while the next file is recorded
                    _start_steps(r, pool)
                results += found
                batch += found
                if len(batch) >= BATCH:
                    run_steps_batch(actor, batch, pool)
                    batch = []
                    pending.close()  # committed; a failure here leaves nothing open (closing twice is a no-op)
                    pending = open_batch()
                if progress:
                    progress(n, len(files))
            run_steps_batch(actor, batch, pool)
    if results:
        custody.sign_head()
    return results


def ingest_zip(actor, path: Path, **kwargs) -> list[IngestResult]:
    """Members are streamed straight into the store (nothing is extracted to disk). Refused with a
    reason: absolute or ``..`` paths, more than ``VESTIGE_ZIP_MAX_MEMBERS`` members, a member
    expanding more than ``VESTIGE_ZIP_MAX_RATIO`` times, or a total beyond ``VESTIGE_ZIP_MAX_BYTES``."""
    results = []
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        return [IngestResult(str(path), error=f"not a readable zip archive: {e}")]
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > settings.VESTIGE_ZIP_MAX_MEMBERS:
            return [IngestResult(str(path), error=f"{len(members)} members; the limit is {settings.VESTIGE_ZIP_MAX_MEMBERS}")]
        total = 0
        for m in members:
            label = f"{path}!{m.filename}"
            parts = Path(m.filename).parts
            if m.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                results.append(IngestResult(label, error="unsafe path in the archive (absolute or '..'); skipped"))
                continue
            if m.compress_size and m.file_size / m.compress_size > settings.VESTIGE_ZIP_MAX_RATIO:
                results.append(IngestResult(label, error=f"expands {m.file_size / m.compress_size:.0f} times (zip bomb?); skipped"))
                continue
            total += m.file_size
            if total > settings.VESTIGE_ZIP_MAX_BYTES:
                results.append(IngestResult(label, error="the archive expands beyond the size limit; the rest skipped"))
                break
            try:
                with zf.open(m) as fh:
                    results.append(ingest(actor, _Limited(fh, m.file_size), label, **kwargs))
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
                # a damaged member (bad CRC, truncated, an unknown compression): nothing of it was
                # stored (the blob is written to a temporary file, renamed only when whole, and the
                # item's rows are written after), the other members are kept
                results.append(IngestResult(label, error=f"damaged member of the archive ({e}); skipped, the "
                                            "other files kept"))
    return results


class _Limited:
    """Read at most ``limit`` bytes (a member's declared size): a lying header cannot inflate it."""

    def __init__(self, stream, limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n < 0 else min(n, self.left)
        data = self.stream.read(n)
        self.left -= len(data)
        return data


# --- reading ---------------------------------------------------------------------------------

def get(ref: str, actor=None) -> EvidenceItem:
    """The item ``ref`` (among those ``actor`` may see, when given)."""
    qs = EvidenceItem.objects.select_related("blob")
    if actor is not None:
        qs = access.scope(qs, actor)
    try:
        return qs.get(ref=ref)
    except EvidenceItem.DoesNotExist:
        raise NotFound(_("No evidence item %(r)r.") % {"r": ref}) from None


def record_view(actor, item: EvidenceItem, kind: str = EventKind.VIEWED, details: dict | None = None) -> None:
    require(actor, Cap.EVIDENCE_READ)
    access.check(actor, item)
    custody.append(kind, item, custody.actor_name(actor), details or {})


def near_duplicates(item: EvidenceItem, max_distance: int = 10, limit: int = 20, *,
                    actor=None) -> list[tuple[EvidenceItem, int]]:
    """Items whose perceptual hash is within ``max_distance`` bits (Hamming) of this one's (among
    those ``actor`` may see, when given)."""
    if item.phash is None:
        return []
    found = [(pk, d) for pk, d in index().query(item.phash, max_distance, limit) if pk != item.pk]
    qs = EvidenceItem.objects.filter(pk__in=[pk for pk, _d in found])
    shown = {i.pk: i for i in (access.scope(qs, actor) if actor is not None else qs)}
    return [(shown[pk], d) for pk, d in found if pk in shown]


def near_duplicate_videos(item: EvidenceItem, limit: int = 20, *, actor=None) -> list[tuple[EvidenceItem, float, int]]:
    """Videos that are near-duplicates of this video (re-encoded, trimmed, cropped: the rule of
    :mod:`vestige.media.video`): (item, share of frames matched, frames matched), best first."""
    if not item.media_type.startswith("video/"):
        return []
    frames = frames_of(item.metadata)
    if not frames:
        return []
    found = video_index().query(frames, limit, exclude=item.pk)
    qs = EvidenceItem.objects.filter(pk__in=[pk for pk, _s, _m in found])
    shown = {i.pk: i for i in (access.scope(qs, actor) if actor is not None else qs)}
    return [(shown[pk], score, matched) for pk, score, matched in found if pk in shown]


# --- verification ----------------------------------------------------------------------------


def acquired(value: str | None):
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(_("acquired-at %(v)r is not an ISO 8601 time") % {"v": value}, field="acquired_at") from None
    # a time without an offset is the user's local time (the site's time zone), stored with its offset
    return parsed if parsed.tzinfo else timezone.make_aware(parsed, timezone.get_current_timezone())


def size_ok(size: int) -> bool:
    return size <= settings.VESTIGE_MAX_EVIDENCE_BYTES

