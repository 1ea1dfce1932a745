"""Image metadata, thumbnails and perceptual hashes (Pillow + numpy).

pHash (Zauner 2010, "Implementation and benchmarking of perceptual image hash functions"): the
image reduced to 32×32 greyscale, its 2-D DCT-II, the 8×8 lowest frequencies without the DC term
compared with their median → 64 bits. Re-encoding, resizing or mild edits move few bits; a
different picture moves about half. Near-duplicates are found by Hamming distance.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF (the iPhone's photos) and AVIF through libheif: Pillow then opens them like JPEG
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a dependency; without it HEIC is "not an image"
    pass

_N = 32
# Orthonormal DCT-II matrix: C[k, n] = s_k cos(π (2n + 1) k / 2N).
_K = np.arange(_N)[:, None]
_C = np.cos(np.pi * (2 * np.arange(_N)[None, :] + 1) * _K / (2 * _N)) * np.sqrt(2 / _N)
_C[0] /= np.sqrt(2)


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can read."""


@dataclass
class ImageInfo:
    width: int
    height: int
    format: str
    taken_at: str | None = None  # ISO 8601 as recorded by the camera, with its UTC offset when the file states one
    taken_at_source: str = ""  # where it was read: "EXIF DateTimeOriginal", "XMP xmp:CreateDate", ...
    taken_at_zone: str = ""  # "stated" (an offset in the file) or "local, zone unknown"
    modified_at: str | None = None  # IFD0 DateTime: when the file was last written, not when it was taken
    latitude: float | None = None
    longitude: float | None = None
    camera: str = ""
    orientation: int | None = None  # EXIF 1-8 as the file says (the thumbnail and pHash are upright)
    exif: dict = field(default_factory=dict)


def _open(data: bytes | BinaryIO, *, load: bool = True, draft: int | None = None) -> Image.Image:
    """Open an image; ``draft`` lets JPEG decode at a reduced scale (DCT scaling: 1/2 to 1/8) when
    only a small version is needed, which is several times faster than a full decode."""
    try:
        img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        if draft:
            img.draft("RGB", (draft, draft))
        if load:
            img.load()
        return img
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as e:
        raise NotAnImage(str(e)) from None


def phash_of(img: Image.Image) -> int:
    pixels = np.asarray(img.convert("L").resize((_N, _N), Image.Resampling.LANCZOS), dtype=np.float64)
    dct = _C @ pixels @ _C.T
    low = dct[:8, :8].flatten()[1:]  # 63 coefficients, DC term dropped
    bits = np.concatenate([[0], low > np.median(low)])
    return int("".join("1" if b else "0" for b in bits), 2)


def phash(data: bytes | BinaryIO) -> int:
    """64-bit perceptual hash of an image (as an unsigned int)."""
    return phash_of(ImageOps.exif_transpose(_open(data, draft=256)))


def analyse(data: bytes, thumb_size: int = 320) -> tuple[ImageInfo, int, bytes]:
    """EXIF information, pHash and thumbnail with one decode of the pixels (at reduced scale)."""
    info = image_info(data)
    img = ImageOps.exif_transpose(_open(data, draft=max(thumb_size, 256))).convert("RGB")
    value = phash_of(img)
    img.thumbnail((thumb_size, thumb_size))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return info, value, out.getvalue()


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _ratio(value) -> float:
    try:
        return float(value)
    except (TypeError, ZeroDivisionError, ValueError):
        num, den = value
        return num / den


def _dms(values, ref: str) -> float | None:
    try:
        deg, minutes, seconds = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    decimal = deg + minutes / 60 + seconds / 3600
    return -decimal if ref in ("S", "W") else decimal


_OFFSET = re.compile(r"^[+-]\d\d:\d\d$")
_XMP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$")


def _has_offset(iso: str) -> bool:
    return iso.endswith("Z") or bool(re.search(r"[+-]\d\d:\d\d$", iso))


def _exif_time(value, offset=None) -> str | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (trailing NULs and spaces dropped) as ISO 8601, with the
    OffsetTime tag's ``±HH:MM`` when there is one."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.strptime(value.strip(" \x00"), "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "replace")
    if isinstance(offset, str) and _OFFSET.match(offset.strip(" \x00")):
        when += offset.strip(" \x00")
    return when


def _xmp_times(xmp) -> list[tuple[str, str, None]]:
    """(source, ISO time) from the XMP packet, in the order examiners trust them: the original
    capture (exif:DateTimeOriginal, photoshop:DateCreated), then xmp:CreateDate."""
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "replace")
    if not isinstance(xmp, str):
        return []
    out = []
    for tag in ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"):
        m = re.search(re.escape(tag) + r'(?:="([^"]+)"|>([^<]+)<)', xmp)
        value = (m.group(1) or m.group(2)).strip() if m else ""
        if value and _XMP_TIME.match(value):
            out.append((f"XMP {tag}", value, None))
    return out


def image_info(data: bytes | BinaryIO) -> ImageInfo:
    """Size, format, capture time, GPS position and camera from an image's EXIF (no pixel decode)."""
    img = _open(data, load=False)
    info = ImageInfo(img.width, img.height, img.format or "")
    # HEIF: libheif turns the picture upright (irot/imir) and pillow-heif then resets the EXIF
    # orientation, keeping what the file said as ``original_orientation``.
    if isinstance(img.info.get("original_orientation"), int):
        info.orientation = img.info["original_orientation"]
    exif = img.getexif()
    if not exif:
        return info
    named = {ExifTags.TAGS.get(k, str(k)): v for k, v in exif.items()}
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    named.update({ExifTags.TAGS.get(k, str(k)): v for k, v in sub.items()})
    ifd0_time = _exif_time(exif.get(0x0132))  # DateTime (ModifyDate): IFD0 only, the sub-IFD's keys shadow names
    info.modified_at = ifd0_time
    for source, value, offset in (("EXIF DateTimeOriginal", sub.get(0x9003), sub.get(0x9011)),
                                  *_xmp_times(img.info.get("xmp")),
                                  ("EXIF DateTimeDigitized", sub.get(0x9004), sub.get(0x9012))):
        when = _exif_time(value, offset) if source.startswith("EXIF") else value
        if when:
            info.taken_at, info.taken_at_source = when, source
            info.taken_at_zone = "stated" if _has_offset(when) else "local, zone unknown"
            break
    else:
        if ifd0_time:  # the last resort, named for what it is
            info.taken_at, info.taken_at_source = ifd0_time, "EXIF DateTime (the file's modification time)"
            info.taken_at_zone = "local, zone unknown"
    info.camera = " ".join(str(named.get(k, "")).strip() for k in ("Make", "Model")).strip()
    if info.orientation is None and isinstance(named.get("Orientation"), int):
        info.orientation = named["Orientation"]
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        g = {ExifTags.GPSTAGS.get(k, str(k)): v for k, v in gps.items()}
        if "GPSLatitude" in g and "GPSLongitude" in g:
            info.latitude = _dms(g["GPSLatitude"], str(g.get("GPSLatitudeRef", "N")))
            info.longitude = _dms(g["GPSLongitude"], str(g.get("GPSLongitudeRef", "E")))
    info.exif = {k: str(v)[:200] for k, v in named.items() if isinstance(k, str) and not isinstance(v, bytes)}
    return info


def thumbnail(data: bytes | BinaryIO, size: int = 320) -> bytes:
    """A JPEG no larger than ``size`` pixels on its long side, upright (EXIF orientation applied)."""
    img = ImageOps.exif_transpose(_open(data, draft=size)).convert("RGB")
    img.thumbnail((size, size))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()
