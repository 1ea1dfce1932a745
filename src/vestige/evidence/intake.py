"""Metadata steps of the intake pipeline, one small named function per kind of file.

Each step takes the stored blob's path and returns ``(metadata, derivatives)`` where derivatives
are ``(derivation, bytes, media type)``; any exception is recorded by the caller as a failed
step, on the item and in the custody ledger.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from vestige.media import credentials, thumbnail
from vestige.media.geo import parse_iso6709
from vestige.media.images import analyse
from vestige.media.video import frame_hashes
from vestige.media.wacz import INVALID, check_wacz

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/heic", "image/heif",
               "image/avif"}
AV_PREFIXES = ("video/", "audio/")


def image_step(path: Path):
    info, value, thumb = analyse(path.read_bytes())
    meta = {"width": info.width, "height": info.height, "format": info.format, "taken_at": info.taken_at,
            "taken_at_source": info.taken_at_source, "taken_at_zone": info.taken_at_zone,
            "modified_at": info.modified_at,
            "latitude": info.latitude, "longitude": info.longitude, "camera": info.camera, "orientation": info.orientation,
            "exif": info.exif,
            "phash": f"{value:016x}"}
    return meta, [("thumbnail", thumb, "image/jpeg")]


def pdf_step(path: Path):
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    info = reader.metadata or {}
    return {"pages": len(reader.pages),
            "document": {str(k).lstrip("/"): str(v)[:300] for k, v in dict(info).items()}}, []


def av_step(path: Path):
    """Duration, streams and their codecs, creation time and location tags; video: the pHashes of
    frames on a time grid (``media.video``: for near-duplicates) and a thumbnail of the first."""
    import av

    meta: dict = {"streams": []}
    derivatives = []
    with av.open(str(path)) as container:
        meta["duration_s"] = round(container.duration / 1_000_000, 3) if container.duration else None
        tags = dict(container.metadata or {})
        meta["creation_time"] = tags.get("creation_time")
        meta["location"] = tags.get("location") or tags.get("location-eng") or tags.get("com.apple.quicktime.location.ISO6709")
        point = parse_iso6709(meta["location"])  # the raw tag is kept as the file gave it
        if point is not None:
            meta["latitude"], meta["longitude"] = point
        for s in container.streams:
            meta["streams"].append({"type": s.type, "codec": s.codec_context.name if s.codec_context else None,
                                    **({"width": s.codec_context.width, "height": s.codec_context.height}
                                       if s.type == "video" else {})})
    if any(st["type"] == "video" for st in meta["streams"]):
        import io


        hashes, interval, first = frame_hashes(path, meta.get("duration_s"))
        if first is not None:
            buf = io.BytesIO()
            first.save(buf, "PNG")
            derivatives.append(("thumbnail", thumbnail(buf.getvalue()), "image/jpeg"))
        if hashes:
            meta["frame_phashes"] = [f"{h[0]:016x}" for h in hashes]
            meta["frame_phashes_c90"] = [f"{h[1]:016x}" for h in hashes]
            meta["frame_phashes_c80"] = [f"{h[2]:016x}" for h in hashes]
            meta["frame_interval_s"] = round(interval, 3)
            meta["phash"] = meta["frame_phashes"][0]
    return meta, derivatives


def wacz_step(path: Path):
    """A WACZ web archive (stored as one item): its pages, and the check of every file's hash, the
    package digest and its signature (``media.wacz``); an archive that fails is a failed step."""
    from django.conf import settings


    check = check_wacz(path, trusted_roots=settings.VESTIGE_WACZ_TRUSTED_ROOTS,
                       trusted_tsa_roots=settings.VESTIGE_WACZ_TRUSTED_TSA_ROOTS)
    if check.state == INVALID and any(p.startswith(("not a ZIP", "datapackage.json is missing")) for p in check.problems):
        return {"wacz": True, "wacz_check": check.as_dict(), "failure": "; ".join(check.problems)}, []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        meta: dict = {"wacz": True, "pages": []}
        if "datapackage.json" in names:
            meta["datapackage"] = json.loads(z.read("datapackage.json"))
        for name in ("pages/pages.jsonl", "pages/extraPages.jsonl"):
            if name in names:
                for line in z.read(name).decode("utf-8", "replace").splitlines()[1:]:
                    if line.strip():
                        page = json.loads(line)
                        meta["pages"].append({"url": page.get("url"), "title": page.get("title"), "ts": page.get("ts")})
    meta["wacz_check"] = check.as_dict()
    if check.state == INVALID:
        meta["failure"] = "; ".join(check.problems)[:1000]
    return meta, []


def credentials_of(path: Path, media_type: str) -> dict:
    """C2PA content credentials (``media.credentials``), merged into the metadata of the file's
    own step (one step, one custody event): recorded when present; a manifest that does not
    validate (the file changed after it was signed) is a failed step named "content credentials"."""

    try:
        found = credentials.read(path, media_type)
    except Exception as e:  # noqa: BLE001 - the SDK's own failure is recorded, never the file's step
        return {"failure": f"the C2PA reader failed: {type(e).__name__}: {e}"[:900], "failure_step": "content credentials"}
    if found is None:
        return {}
    meta: dict = {"c2pa": found}
    if found["state"] == "Invalid":
        meta["failure"] = "content credentials do not validate: " + ("; ".join(found["problems"]) or "invalid")[:900]
        meta["failure_step"] = "content credentials"
    return meta


def _with_credentials(media_type: str, steps: list) -> list:

    if not credentials.supported(media_type):
        return steps

    def wrap(step):
        def run(path: Path):
            meta, derivatives = step(path)
            return {**meta, **credentials_of(path, media_type)}, derivatives
        return run

    return [(name, wrap(step)) for name, step in steps]


def steps_for(media_type: str, path: Path, name: str) -> list[tuple[str, object]]:
    if media_type in IMAGE_TYPES:
        return _with_credentials(media_type, [("image", image_step)])
    if media_type == "application/pdf":
        return _with_credentials(media_type, [("pdf", pdf_step)])
    if media_type.startswith(AV_PREFIXES):
        return _with_credentials(media_type, [("audio-video", av_step)])
    if media_type == "application/zip" and name.lower().endswith(".wacz"):
        return [("wacz", wacz_step)]
    return []
