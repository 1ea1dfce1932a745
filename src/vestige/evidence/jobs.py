"""Bag exports, verifications and web captures started from the pages, run in the background.

A job records what was asked, beats a heartbeat while it works and ends ``done`` with its result
(the bag, as one zip to download, with the ledger key's fingerprint; or the problems a
verification found) or ``failed`` with the reason. A job silent for ``VESTIGE_RUN_STALE_S`` (its
worker died) is marked failed with that reason when anyone next looks, and can be started again.
"""

from __future__ import annotations

import shutil
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import InvalidInput, NotFound, VestigeError
from vestige.evidence.models import EvidenceItem, EvidenceJob, JobKind, JobStatus


def exports_dir() -> Path:
    return Path(settings.VESTIGE_HOME) / "exports"


def _selection(actor, params: dict):
    qs = access.scope(EvidenceItem.objects.select_related("blob"), actor)
    if params.get("site"):
        from vestige.registry.models import Site
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
        from vestige.evidence import capture, services

        require(actor, Cap.EVIDENCE_WRITE)
        if isinstance(urls, str):
            urls = urls.split()
        params = {"urls": capture.check_urls(urls), "site": (site or "").strip()}
        if params["site"]:
            services._resolve_links({"site": params["site"]}, actor)
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
    job = EvidenceJob.objects.create(kind=kind, params=params, requested_by=actor, heartbeat_at=timezone.now(),
                                     message=message)
    if settings.VESTIGE_TASKS_INLINE:
        execute(job.pk)
    else:
        threading.Thread(target=_in_thread, args=(job.pk,), daemon=True, name=f"evidence-job-{job.pk}").start()
    return job


def _in_thread(job_id: int) -> None:
    try:
        execute(job_id)
    finally:
        from django.db import connection
        connection.close()


def _beat(job_id: int, percent: int, message: str = "") -> None:
    fields = {"heartbeat_at": timezone.now(), "progress": percent, "status": JobStatus.RUNNING}
    if message:
        fields["message"] = message
    EvidenceJob.objects.filter(pk=job_id).update(**fields)


def execute(job_id: int) -> None:
    job = EvidenceJob.objects.select_related("requested_by").get(pk=job_id)
    actor = job.requested_by
    try:
        if job.kind == JobKind.CAPTURE:
            result = _capture(job, actor)
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
    from vestige.evidence import bag, custody

    folder = exports_dir() / f"job-{job.pk}"
    if folder.exists():
        shutil.rmtree(folder)
    _beat(job.pk, 15, _("Writing the bag (%(n)d items), recording the export in the custody ledger.") % {"n": len(items)})
    out = bag.export(actor, items, folder / f"vestige-bag-{job.pk}")
    _beat(job.pk, 70, _("Checking the bag as a court would (its own verify.py)."))
    problems = bag.verify(out)
    _beat(job.pk, 85, _("Packing the bag into one zip file."))
    archive = folder / f"vestige-bag-{job.pk}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder).as_posix())
    shutil.rmtree(out)
    return {"items": [i.ref for i in items], "file": archive.name, "size": archive.stat().st_size,
            "fingerprint": custody.fingerprint(), "problems": problems}


def _capture(job, actor) -> dict:
    from vestige.evidence import capture

    _beat(job.pk, 2, _("Starting the browser."))
    results = capture.capture_many(actor, job.params["urls"], site=job.params.get("site", ""),
                                   progress=lambda p, m: _beat(job.pk, max(2, min(99, p)), m[:500]))
    return {"items": [i.ref for r in results for i in r.items],
            "captures": [{"url": r.url, "items": [{"ref": i.ref, "type": i.media_type, "derivation": i.derivation}
                                                  for i in r.items],
                          "final_url": r.record.get("final_url"), "error": r.error} for r in results],
            "problems": [f"{r.url}: {r.error}" for r in results if r.error]}


def _verify(job, actor, items) -> dict:
    from vestige.evidence import custody, services

    _beat(job.pk, 15, _("Re-hashing %(n)d blob(s) and checking the custody ledger.") % {"n": len(items)})
    refs = None if job.params.get("all") else [i.ref for i in items]
    problems = services.verify(actor, refs)
    return {"items": [i.ref for i in items], "problems": problems, "fingerprint": custody.fingerprint()}


def reap_stale() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.VESTIGE_RUN_STALE_S)
    stale = EvidenceJob.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING], heartbeat_at__lt=cutoff)
    n = 0
    for job in stale:
        _failed(job.pk, _("The worker stopped: no sign of life since %(t)s (after %(p)d %%). Start it again.")
                % {"t": job.heartbeat_at.strftime("%Y-%m-%d %H:%M:%S"), "p": job.progress})
        n += 1
    return n


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
