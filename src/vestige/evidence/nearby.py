"""The near-duplicate index of every stored item's perceptual hash, cached per process and
rebuilt when items were added (see :class:`vestige.media.index.HashIndex`)."""

from __future__ import annotations

import threading

import numpy as np

from vestige.evidence.models import EvidenceItem
from vestige.media.index import HashIndex

_lock = threading.Lock()
_cache: tuple[int, HashIndex] | None = None


def index() -> HashIndex:
    global _cache
    stamp = EvidenceItem.objects.filter(phash__isnull=False).count()
    with _lock:
        if _cache is None or _cache[0] != stamp:
            rows = np.array(list(EvidenceItem.objects.filter(phash__isnull=False).values_list("pk", "phash")),
                            dtype=np.int64).reshape(-1, 2)
            _cache = (stamp, HashIndex(rows[:, 0], rows[:, 1].view(np.uint64)))
        return _cache[1]
