"""Bag exports, verifications, web captures and the intake of large uploads started from the
pages, run as tasks by a worker process (vestige/tasks.py).

A job records what was asked, beats a heartbeat while it works and ends ``done`` with its result
(the bag, as one zip to download, with the ledger key's fingerprint; the problems a verification
found; the items received) or ``failed`` with the reason. A job silent for ``VESTIGE_RUN_STALE_S``
(its worker died) is marked failed with that reason when anyone next looks, and can be started
again (:func:`retry`): an upload waits, staged, until its intake is done, so a retry needs no new
upload and intake is idempotent (content-addressed, the metadata steps resume).
"""

from __future__ import annotations

import os
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from vestige import access, tasks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import InvalidInput, NotFound, VestigeError
from vestige.evidence import bag, capture, custody, services
from vestige.evidence.models import EvidenceItem, EvidenceJob, JobKind, JobStatus
from vestige.registry.models import Site


def exports_dir() -> Path:
    return Path(settings.VESTIGE_HOME) / "exports"


def clean_failed_exports() -> list[tuple[Path, int]]:
    """Remove what a killed or failed bag export left in ``exports/`` (its job failed — a dead
    worker's job is failed by the reaper — or no longer exists): (path, bytes) of each."""
    removed = []
    root = exports_dir()
    if not root.is_dir():
        return removed
    live = dict(EvidenceJob.objects.filter(kind=JobKind.EXPORT).values_list("pk", "status"))
    for folder in sorted(root.glob("job-*")):
        try:
            pk = int(folder.name.removeprefix("job-"))
        except ValueError:
            continue
        if live.get(pk) not in (None, JobStatus.FAILED):
            continue
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        removed.append((folder, size))
    return removed


def staged_dir() -> Path:
    """Uploads waiting for their intake job (not the blob store's tmp/, which is swept at start)."""
    return Path(settings.VESTIGE_HOME) / "staged"


def _selection(actor, params: dict):
    qs = access.scope(EvidenceItem.objects.select_related("blob"), actor)
    if params.get("site"):
        if not access.scope(Site.objects.filter(ref=params["site"]), actor).exists():
            raise InvalidInput(_("No site %(s)r.") % {"s": params["site"]}, field="site")
        qs = qs.filter(links__site__ref=params["site"]).distinct()
    elif params.get("items"):
        refs = params["items"]
        qs = qs.filter(ref__in=refs)
        missing = sorted(set(refs) - set(qs.values_list("ref", flat=True)))
        if missing:
            raise InvalidInput(_("No evidence item %(r)s.") % {"r": ", ".join(missing)}, field="items")
    elif not params.get("all"):
        raise InvalidInput(_("Choose a site, some items or all items."), field="items")
    return qs.order_by("ref")


def _params(site: str = "", items: str | list[str] = "", everything: bool = False) -> dict:
    if isinstance(items, str):
        items = [r.strip() for r in items.replace(",", " ").split() if r.strip()]
    return {"site": (site or "").strip(), "items": sorted(set(items)), "all": bool(everything)}


def start(actor, kind: str, *, site: str = "", items: str | list[str] = "", everything: bool = False,
          urls: str | list[str] = "") -> EvidenceJob:
    """Check the request now (so that a mistake is said at once), then run it in the background."""
    if kind not in JobKind.values:
        raise InvalidInput(_("Unknown job %(k)r.") % {"k": kind}, field="kind")
    if kind == JobKind.CAPTURE:

        require(actor, Cap.EVIDENCE_WRITE)
        if isinstance(urls, str):
            urls = urls.split()
        params = {"urls": capture.check_urls(urls), "site": (site or "").strip()}
        if params["site"]:
            services.resolve_links({"site": params["site"]}, actor)
        message = _("%(n)d address(es) to capture.") % {"n": len(params["urls"])}
    else:
        require(actor, Cap.EVIDENCE_EXPORT if kind == JobKind.EXPORT else Cap.EVIDENCE_READ)
        params = _params(site, items, everything)
        if kind == JobKind.VERIFY and not (params["site"] or params["items"]):
            params["all"] = True  # verifying checks the whole ledger in any case
        count = _selection(actor, params).count()
        if kind == JobKind.EXPORT and not count:
            raise InvalidInput(_("Nothing to export: no evidence item is in that selection."), field="items")
        message = _("%(n)d item(s) to do.") % {"n": count}
    return _enqueue(EvidenceJob.objects.create(kind=kind, params=params, requested_by=actor,
                                               heartbeat_at=timezone.now(), message=message))


def _enqueue(job: EvidenceJob) -> EvidenceJob:
    job.task_id = tasks.enqueue(evidence_job, job.pk)
    if job.task_id:
        EvidenceJob.objects.filter(pk=job.pk).update(task_id=job.task_id)
    return job


def start_ingest(actor, upload_path: str | Path, name: str, *, provenance: dict, links: dict, case: str | None,
                 graphic: bool) -> EvidenceJob:
    """Stage an uploaded file (moved, not copied, where the file system allows) and hand its intake
    to a worker. What can be checked now is checked now: the provenance fields, the links, the
    case."""

    require(actor, Cap.EVIDENCE_WRITE)
    provenance = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in provenance.items()
                  if v not in (None, "")}
    unknown = set(provenance) - set(services.PROVENANCE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown provenance field(s): %(f)s") % {"f": ", ".join(sorted(unknown))},
                           field=sorted(unknown)[0])
    links = {k: v for k, v in links.items() if v}
    targets = services.resolve_links(links, actor)
    access.case_for_new(actor, case, parent=next(iter(targets[0].values())) if targets else None)
    folder = staged_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    job = EvidenceJob.objects.create(kind=JobKind.INGEST, requested_by=actor, heartbeat_at=timezone.now(),
                                     params={"name": name, "provenance": provenance, "links": links, "case": case,
                                             "graphic": bool(graphic)},
                                     message=_("Uploaded; waiting for a task worker to receive it."))
    staged = folder / f"job-{job.pk}"
    shutil.move(str(upload_path), staged)
    os.chmod(staged, 0o400)
    job.params["file"] = staged.name
    EvidenceJob.objects.filter(pk=job.pk).update(params=job.params)
    return _enqueue(job)


def retry(actor, job: EvidenceJob) -> EvidenceJob:
    """Start a failed job again as it was asked, as ``actor`` (whose role is checked again and who
    is recorded as its requester): a new job; an upload's intake from its staged file."""
    if job.status != JobStatus.FAILED:
        raise InvalidInput(_("Only a failed job can be started again."), field="job")
    if job.kind == JobKind.INGEST:
        require(actor, Cap.EVIDENCE_WRITE)
        staged = staged_dir() / job.params.get("file", "")
        if not job.params.get("file") or not staged.exists():
            raise InvalidInput(_("The uploaded file is no longer on the server; upload it again."), field="job")
        again = EvidenceJob.objects.create(kind=job.kind, params=job.params, requested_by=actor,
                                           heartbeat_at=timezone.now(), message=_("Started again (job #%(n)d).")
                                           % {"n": job.pk})
        moved = staged_dir() / f"job-{again.pk}"
        try:
            os.replace(staged, moved)
        except FileNotFoundError:  # someone started it again a moment earlier
            again.delete()
            raise InvalidInput(_("The uploaded file is no longer on the server; upload it again."),
                               field="job") from None
        again.params = {**job.params, "file": moved.name}
        EvidenceJob.objects.filter(pk=again.pk).update(params=again.params)
        return _enqueue(again)
    if job.kind == JobKind.CAPTURE:
        return start(actor, job.kind, urls=job.params.get("urls", []), site=job.params.get("site", ""))
    return start(actor, job.kind, site=job.params.get("site", ""), items=job.params.get("items", []),
                 everything=job.params.get("all", False))


def _beat(job_id: int, percent: int, message: str = "") -> None:
    fields = {"heartbeat_at": timezone.now(), "progress": percent, "status": JobStatus.RUNNING}
    if message:
        fields["message"] = message
    EvidenceJob.objects.filter(pk=job_id).update(**fields)


@task()
def evidence_job(job_id: int) -> str:
    """The task a worker runs for a queued job (once: a job done, failed or taken is left alone)."""
    if not EvidenceJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).exists():
        return "not queued"
    with tasks.heartbeat(EvidenceJob, job_id):
        execute(job_id)
    return EvidenceJob.objects.get(pk=job_id).status


def execute(job_id: int) -> None:
    job = EvidenceJob.objects.select_related("requested_by").get(pk=job_id)
    actor = job.requested_by
    try:
        if job.kind in (JobKind.CAPTURE, JobKind.INGEST):
            result = _capture(job, actor) if job.kind == JobKind.CAPTURE else _ingest(job, actor)
            EvidenceJob.objects.filter(pk=job.pk).update(
                status=JobStatus.DONE, progress=100, result=result, finished_at=timezone.now(), heartbeat_at=timezone.now(),
                message=_("Done.") if not result["problems"] else _("Done, with problems."))
            return
        _beat(job.pk, 5, _("Selecting the items."))
        items = list(_selection(actor, job.params))
        if job.kind == JobKind.EXPORT:
            result = _export(job, actor, items)
        else:
            result = _verify(job, actor, items)
        EvidenceJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress=100, result=result,
                                                     finished_at=timezone.now(), heartbeat_at=timezone.now(),
                                                     message=_("Done."))
    except VestigeError as e:
        _failed(job.pk, e.message)
    except Exception as e:  # noqa: BLE001 - recorded on the job, never silent
        _failed(job.pk, f"{type(e).__name__}: {e}")


def _failed(job_id: int, why: str) -> None:
    EvidenceJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, finished_at=timezone.now(), message=why[:2000])


def _export(job, actor, items) -> dict:

    folder = exports_dir() / f"job-{job.pk}"
    if folder.exists():
        shutil.rmtree(folder)
    _beat(job.pk, 15, _("Writing the bag (%(n)d items).") % {"n": len(items)})
    written = bag.write_bag(actor, items, folder / f"vestige-bag-{job.pk}")
    out = written.path
    _beat(job.pk, 70, _("Checking the bag as a court would (its own verify.py)."))
    problems = bag.verify(out)
    _beat(job.pk, 85, _("Packing the bag into one zip file."))
    archive = folder / f"vestige-bag-{job.pk}.zip"
    partial = archive.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder).as_posix())
    partial.replace(archive)  # complete, or not there at all
    shutil.rmtree(out)
    bag.record_export(actor, written, archive.name)  # only now: the bag exists, whole
    return {"items": [i.ref for i in items], "file": archive.name, "size": archive.stat().st_size,
            "fingerprint": custody.fingerprint(), "problems": problems}


def _capture(job, actor) -> dict:

    _beat(job.pk, 2, _("Starting the browser."))
    results = capture.capture_many(actor, job.params["urls"], site=job.params.get("site", ""),
                                   progress=lambda p, m: _beat(job.pk, max(2, min(99, p)), m[:500]))
    return {"items": [i.ref for r in results for i in r.items],
            "captures": [{"url": r.url, "items": [{"ref": i.ref, "type": i.media_type, "derivation": i.derivation}
                                                  for i in r.items],
                          "final_url": r.record.get("final_url"), "error": r.error} for r in results],
            "problems": [f"{r.url}: {r.error}" for r in results if r.error]}


def _ingest(job, actor) -> dict:

    path = staged_dir() / job.params.get("file", "")
    if not job.params.get("file") or not path.exists():
        raise NotFound(_("The uploaded file is no longer on the server; upload it again."))
    _beat(job.pk, 5, _("Hashing and storing %(name)s (%(size)s bytes), then its metadata steps.")
          % {"name": job.params["name"], "size": f"{path.stat().st_size:,}"})
    try:
        provenance = dict(job.params.get("provenance") or {})
        if provenance.get("acquired_at"):
            provenance["acquired_at"] = services.acquired(provenance["acquired_at"])
        with path.open("rb") as f:
            r = services.ingest(actor, f, job.params["name"], provenance=provenance,
                                links=job.params.get("links") or {}, case=job.params.get("case") or None,
                                graphic=job.params.get("graphic", True))
        custody.sign_head()
    except VestigeError:
        path.unlink(missing_ok=True)  # the upload itself is wrong: a retry would fail the same way
        raise
    path.unlink(missing_ok=True)
    problems = [_("The hash given by the source does not match the file; recorded as a failed step, check the "
                  "source.")] if r.source_hash_ok is False else []
    problems += [_("Step failed: %(s)s") % {"s": s} for s in r.failed_steps]
    return {"items": [r.item.ref], "created": r.created, "failed_steps": r.failed_steps, "problems": problems,
            "fingerprint": custody.fingerprint()}


def _verify(job, actor, items) -> dict:

    _beat(job.pk, 15, _("Re-hashing %(n)d blob(s) and checking the custody ledger.") % {"n": len(items)})
    refs = None if job.params.get("all") else [i.ref for i in items]
    problems = services.verify(actor, refs)
    return {"items": [i.ref for i in items], "problems": problems, "fingerprint": custody.fingerprint()}


def reap_stale() -> int:
    """Fail every running job whose worker has been silent too long (and its task), and every
    queued job whose task failed before the job could start. A queued job waits for a worker."""

    cutoff = timezone.now() - timedelta(seconds=settings.VESTIGE_RUN_STALE_S)
    n = 0
    for job in EvidenceJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff):
        why = (_("The worker stopped: no sign of life since %(t)s (after %(p)d %%). Start it again.")
               % {"t": job.heartbeat_at.strftime("%Y-%m-%d %H:%M:%S"), "p": job.progress})
        n += tasks.fail(EvidenceJob, job, why, was=JobStatus.RUNNING)
    return n + tasks.fail_queued(EvidenceJob)


def visible(actor):
    """The jobs ``actor`` may see: their own; every job for administrators and auditors."""
    reap_stale()
    qs = EvidenceJob.objects.select_related("requested_by")
    return qs if access.sees_all(actor) else qs.filter(requested_by=actor)


def get(actor, pk: int) -> EvidenceJob:
    require(actor, Cap.EVIDENCE_READ)
    job = visible(actor).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("No such job."))
    return job


def bag_file(actor, job: EvidenceJob) -> Path:
    if job.kind != JobKind.EXPORT or job.status != JobStatus.DONE:
        raise NotFound(_("This job has no bag to download."))
    path = exports_dir() / f"job-{job.pk}" / job.result["file"]
    if not path.exists():
        raise NotFound(_("The bag file is no longer on the server; export again."))
    return path
