"""Streaming digests and content-type detection.

Evidence files can be many gigabytes: they are read once, in 1 MiB chunks, and every digest is
updated from the same buffer (SHA-256 for identity, ``sha256:<hex>``; SHA-1 and MD5 for
interoperability with forensic tools). The type comes from the file's first bytes, never from
its name.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class Digests:
    sha256: str  # "sha256:<hex>"
    sha1: str
    md5: str
    size: int


def _update(digests, chunk: bytes) -> None:
    for d in digests:
        d.update(chunk)


def hash_stream(stream: BinaryIO, sink=None) -> Digests:
    """Digest ``stream`` to its end; each chunk is also passed to ``sink(chunk)`` when given
    (so a file can be hashed while it is copied, in one read).

    SHA-1 and MD5 are computed in a second thread while this one computes SHA-256 and writes:
    hashlib releases the GIL on large buffers, so on two cores the three digests cost about
    what SHA-256 alone does.
    """
    s256, s1, m5 = hashlib.sha256(), hashlib.sha1(), hashlib.md5()  # noqa: S324 (interoperability, not security)
    size = 0
    chunk = stream.read(CHUNK)
    if len(chunk) < CHUNK:  # small files: no thread
        for d in (s256, s1, m5):
            d.update(chunk)
        if sink is not None and chunk:
            sink(chunk)
        size = len(chunk)
        while more := stream.read(CHUNK):  # a stream may return short reads
            _update((s256, s1, m5), more)
            if sink is not None:
                sink(more)
            size += len(more)
        return Digests("sha256:" + s256.hexdigest(), s1.hexdigest(), m5.hexdigest(), size)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest") as pool:
        pending = None
        while chunk:
            job = pool.submit(_update, (s1, m5), chunk)
            s256.update(chunk)
            if sink is not None:
                sink(chunk)
            size += len(chunk)
            if pending is not None:
                pending.result()
            pending = job
            chunk = stream.read(CHUNK)
        if pending is not None:
            pending.result()
    return Digests("sha256:" + s256.hexdigest(), s1.hexdigest(), m5.hexdigest(), size)


_SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x1aE\xdf\xa3", "video/webm"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"\x1f\x8b", "application/gzip"),
]


def detect_type(head: bytes) -> str:
    """MIME type from a file's first bytes (at least 64 are needed for all checks)."""
    for offset, magic, mime in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"qt  ",):
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"):
            return "image/heic"
        if brand in (b"mif1", b"msf1"):
            return "image/heif"
        if brand in (b"avif", b"avis"):
            return "image/avif"
        return "video/mp4"
    if head[:4] == b"PK\x03\x04":
        return "application/zip"
    if head[:1] == b"\xff" and len(head) > 1 and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return "text/plain"
