"""The near-duplicate indexes, cached per process and rebuilt when items were added: every item's
perceptual hash (:class:`vestige.media.index.HashIndex`) and every video's frame hashes
(:class:`vestige.media.video.VideoIndex`)."""

from __future__ import annotations

import threading

import numpy as np

from vestige.evidence.models import EvidenceItem
from vestige.media.index import HashIndex
from vestige.media.video import VideoIndex

_lock = threading.Lock()
_cache: tuple[tuple, HashIndex] | None = None
_video_cache: tuple[tuple, VideoIndex] | None = None


def index() -> HashIndex:
    global _cache
    from django.db.models import Count, Max

    stamp = tuple(EvidenceItem.objects.filter(phash__isnull=False).aggregate(
        n=Count("pk"), m=Max("pk"), t=Max("created_at")).values())  # a rolled-back row's pk may come back
    with _lock:
        if _cache is None or _cache[0] != stamp:
            rows = np.array(list(EvidenceItem.objects.filter(phash__isnull=False).values_list("pk", "phash")),
                            dtype=np.int64).reshape(-1, 2)
            _cache = (stamp, HashIndex(rows[:, 0], rows[:, 1].view(np.uint64)))
        return _cache[1]


def frames_of(metadata: dict) -> list[tuple[int, int, int]]:
    """A video item's (whole, centre 90 %, centre 80 %) frame hashes from its metadata."""
    whole = metadata.get("frame_phashes") or []
    c90 = metadata.get("frame_phashes_c90") or whole
    c80 = metadata.get("frame_phashes_c80") or whole
    if not (len(whole) == len(c90) == len(c80)):
        return []
    return [(int(a, 16), int(b, 16), int(c, 16)) for a, b, c in zip(whole, c90, c80, strict=True)]


def video_index() -> VideoIndex:
    global _video_cache
    videos = EvidenceItem.objects.filter(media_type__startswith="video/", phash__isnull=False)
    from django.db.models import Count, Max

    stamp = tuple(videos.aggregate(
        n=Count("pk"), m=Max("pk"), t=Max("created_at")).values())  # a rolled-back row's pk may come back
    with _lock:
        if _video_cache is None or _video_cache[0] != stamp:
            frames = {pk: frames_of(meta) for pk, meta in videos.values_list("pk", "metadata").iterator()}
            _video_cache = (stamp, VideoIndex.build({pk: f for pk, f in frames.items() if f}))
        return _video_cache[1]
