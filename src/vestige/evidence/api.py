"""JSON API for evidence: list, get, upload, near-duplicates (viewing an item is recorded)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.api_types import Limit, Offset
from vestige.errors import TooLarge
from vestige.evidence import custody, jobs, services
from vestige.evidence.models import EvidenceItem, JobKind

router = Router(tags=["evidence"])


class ItemOut(Schema):
    ref: str
    sha256: str = Field(alias="blob.sha256")
    sha1: str = Field(alias="blob.sha1")
    md5: str = Field(alias="blob.md5")
    size: int = Field(alias="blob.size")
    media_type: str
    original_name: str
    derived_from: str | None
    metadata: dict
    failed_steps: list
    last_verified_at: dt.datetime | None

    @staticmethod
    def resolve_derived_from(obj):
        return obj.derived_from.ref if obj.derived_from_id else None


class UploadIn(Schema):
    source: str = ""
    source_url: str = ""
    collected_by: str = ""
    method: str = ""
    acquired_at: str = ""
    source_hash: str = ""
    site: str = ""
    grave: str = ""
    remains: str = ""
    case: str = ""


@router.get("/evidence", response=list[ItemOut], url_name="evidence-list")
def list_items(request, limit: Limit = 50, offset: Offset = 0):
    require(request.user, Cap.EVIDENCE_READ)
    qs = access.scope(EvidenceItem.objects.select_related("blob", "derived_from"), request.user)
    return list(qs.order_by("-id")[offset:offset + limit])


class CaptureIn(Schema):
    urls: list[str]
    site: str = ""


class JobOut(Schema):
    id: int
    kind: str
    status: str
    progress: int
    message: str
    params: dict
    result: dict
    created_at: dt.datetime
    finished_at: dt.datetime | None


@router.post("/evidence/captures", response={202: JobOut}, url_name="evidence-capture")
def capture(request, body: CaptureIn):
    """Capture web pages (WACZ, screenshot, text, media) in the background; poll the job."""

    return Status(202, jobs.start(request.user, JobKind.CAPTURE, urls=body.urls, site=body.site))


@router.get("/evidence/jobs/{pk}", response=JobOut, url_name="evidence-job")
def job(request, pk: int):
    """A background job (export, verification, capture): its state, progress and result."""

    return jobs.get(request.user, pk)


@router.post("/evidence/jobs/{pk}/retry", response={202: JobOut}, url_name="evidence-job-retry")
def job_retry(request, pk: int):
    """Start a failed job again (a new job, the same request; an upload from its staged file)."""

    return Status(202, jobs.retry(request.user, jobs.get(request.user, pk)))


@router.get("/evidence/{ref}", response=ItemOut, url_name="evidence-get")
def get_item(request, ref: str):
    item = services.get(ref, request.user)
    services.record_view(request.user, item)
    return item


@router.post("/evidence", response={201: ItemOut, 200: ItemOut}, url_name="evidence-upload")
def upload(request, file: UploadedFile = File(...), meta: UploadIn = Form(...)):  # noqa: B008 (ninja's idiom)
    """Upload one file (multipart). 201 for a new item; 200 when the file is already held."""
    if not services.size_ok(file.size or 0):  # the same limit as the upload page and the CLI
        raise TooLarge(_("%(name)s is %(size)s bytes; the limit is %(limit)s bytes (VESTIGE_MAX_EVIDENCE_MB).")
                       % {"name": file.name or "upload", "size": f"{file.size or 0:,}",
                          "limit": f"{settings.VESTIGE_MAX_EVIDENCE_BYTES:,}"})
    data = meta.dict()
    links = {k: data.pop(k) for k in ("site", "grave", "remains")}
    case = data.pop("case") or None
    data["acquired_at"] = services.acquired(data["acquired_at"])
    result = services.ingest(request.user, file, file.name or "upload", provenance=data, links=links, case=case)
    custody.sign_head()
    return Status(201 if result.created else 200, result.item)


@router.get("/evidence/{ref}/near-duplicates", url_name="evidence-near")
def near(request, ref: str, max_distance: int = 10):
    """Items whose perceptual hash is within ``max_distance`` bits (Hamming distance); for a
    video, also the videos of the same footage (re-encoded, trimmed, cropped) with the share of
    the shorter one's frames that match (``kind: "video"``)."""
    require(request.user, Cap.EVIDENCE_READ)
    item = services.get(ref, request.user)
    out = [{"ref": other.ref, "kind": "image", "distance": d}
           for other, d in services.near_duplicates(item, max_distance, actor=request.user)]
    out += [{"ref": other.ref, "kind": "video", "score": score, "matched_frames": frames}
            for other, score, frames in services.near_duplicate_videos(item, actor=request.user)]
    return out

