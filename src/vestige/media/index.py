"""Near-duplicate search over 64-bit perceptual hashes: XOR against every stored hash and a
popcount (numpy's hardware ``bitwise_count`` when available, else a byte table)."""

from __future__ import annotations

import numpy as np

_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class HashIndex:
    """``pks`` (int64) and their ``hashes`` (uint64), queried by Hamming distance."""

    def __init__(self, pks: np.ndarray, hashes: np.ndarray) -> None:
        self.pks = pks
        self.hashes = hashes.astype(np.uint64)

    def query(self, value: int, max_distance: int, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` (pk, distance) pairs within ``max_distance`` bits, nearest first."""
        x = np.bitwise_xor(self.hashes, np.uint64(value & ((1 << 64) - 1)))
        if hasattr(np, "bitwise_count"):
            dist = np.bitwise_count(x)
        else:
            dist = _POP[x.view(np.uint8).reshape(-1, 8)].sum(axis=1)
        hits = np.nonzero(dist <= max_distance)[0]
        order = hits[np.argsort(dist[hits], kind="stable")][:limit]
        return [(int(self.pks[i]), int(dist[i])) for i in order]
