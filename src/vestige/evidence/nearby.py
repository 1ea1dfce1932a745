"""Near-duplicate search over perceptual hashes: all hashes in one numpy array, Hamming
distances by XOR and a byte-wise popcount table. 10^6 hashes are scanned in a few ms."""

from __future__ import annotations

import threading

import numpy as np

from vestige.evidence.models import EvidenceItem

_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class HashIndex:
    def __init__(self, pks: np.ndarray, hashes: np.ndarray) -> None:
        self.pks = pks
        self.hashes = hashes.astype(np.uint64)

    def query(self, value: int, max_distance: int, limit: int) -> list[tuple[int, int]]:
        x = np.bitwise_xor(self.hashes, np.uint64(value & ((1 << 64) - 1)))
        dist = _POP[x.view(np.uint8).reshape(-1, 8)].sum(axis=1)
        hits = np.nonzero(dist <= max_distance)[0]
        order = hits[np.argsort(dist[hits], kind="stable")][:limit]
        return [(int(self.pks[i]), int(dist[i])) for i in order]


_lock = threading.Lock()
_cache: tuple[int, HashIndex] | None = None


def index() -> HashIndex:
    """The index of every item's pHash, rebuilt when items were added."""
    global _cache
    stamp = EvidenceItem.objects.filter(phash__isnull=False).count()
    with _lock:
        if _cache is None or _cache[0] != stamp:
            rows = np.array(list(EvidenceItem.objects.filter(phash__isnull=False).values_list("pk", "phash")),
                            dtype=np.int64).reshape(-1, 2)
            _cache = (stamp, HashIndex(rows[:, 0], rows[:, 1].view(np.uint64)))
        return _cache[1]
