"""Metadata steps of the intake pipeline, one small named function per kind of file.

Each step takes the stored blob's path and returns ``(metadata, derivatives)`` where derivatives
are ``(derivation, bytes, media type)``; any exception is recorded by the caller as a failed
step, on the item and in the custody ledger.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from vestige.media import phash, thumbnail
from vestige.media.geo import parse_iso6709
from vestige.media.images import analyse

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/heic", "image/heif",
               "image/avif"}
AV_PREFIXES = ("video/", "audio/")


def image_step(path: Path):
    info, value, thumb = analyse(path.read_bytes())
    meta = {"width": info.width, "height": info.height, "format": info.format, "taken_at": info.taken_at,
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
    """Duration, streams and their codecs, creation time and location tags; video: the pHash of
    frames sampled through the file (for near-duplicates) and a thumbnail of the first."""
    import av

    meta: dict = {"streams": []}
    frames_hashes: list[str] = []
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
        video = next((s for s in container.streams if s.type == "video"), None)
        if video is not None:
            import io

            total = video.frames or 0
            step = max(1, total // 8) if total else 25
            for i, frame in enumerate(container.decode(video)):
                if i % step:
                    continue
                img = frame.to_image()
                buf = io.BytesIO()
                img.save(buf, "PNG")
                frames_hashes.append(f"{phash(buf.getvalue()):016x}")
                if not derivatives:
                    derivatives.append(("thumbnail", thumbnail(buf.getvalue()), "image/jpeg"))
                if len(frames_hashes) >= 8:
                    break
    if frames_hashes:
        meta["frame_phashes"] = frames_hashes
        meta["phash"] = frames_hashes[0]
    return meta, derivatives


def wacz_step(path: Path):
    """A WACZ web archive (stored as one item): its pages, and the check of every file's hash, the
    package digest and its signature (``media.wacz``); an archive that fails is a failed step."""
    from django.conf import settings

    from vestige.media.wacz import INVALID, check_wacz

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


def steps_for(media_type: str, path: Path, name: str) -> list[tuple[str, object]]:
    if media_type in IMAGE_TYPES:
        return [("image", image_step)]
    if media_type == "application/pdf":
        return [("pdf", pdf_step)]
    if media_type.startswith(AV_PREFIXES):
        return [("audio-video", av_step)]
    if media_type == "application/zip" and name.lower().endswith(".wacz"):
        return [("wacz", wacz_step)]
    return []
