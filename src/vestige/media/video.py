"""Video near-duplicates: frame pHashes on a time grid and a documented matching rule.

**Hashing.** A frame every ``interval`` seconds (0.5 s, or the duration / 240 for videos longer
than two minutes: at most 240 frames), each reduced to three 64-bit DCT pHashes of images
(:mod:`vestige.media.images`): of the whole frame, of its central 90 % and of its central 80 %
(a copy cropped by 5 or 10 % on each side looks, whole, like the original's centre). Frames that are nearly flat (pixel standard deviation < 4: a black
or white screen, a fade) are left out: they would match every video with a fade. Frames are taken
on the time grid, not at key frames, so a re-encoded copy (another GOP) samples the same moments.

**Matching rule.** For two videos, let S be the one with fewer hashed frames and L the other. A
frame of S *matches* when some frame of L is within ``FRAME_BITS`` (12) bits of it, comparing
whole with whole, and whole with either centre in both directions (either may be the crop). The pair is a
near-duplicate when at least ``MIN_FRAMES`` (3) frames of S match and they are at least
``MIN_SHARE`` (50 %) of S's frames; the score is that share. This finds:

- a re-encode (another codec, bitrate, resolution): frames a few bits apart;
- a trim (a clip cut from a longer video): S is the clip, all of it inside L, whatever the cut's
  offset (the grid is at most half an interval off, 0.25 s on average);
- a crop of up to about 10 % a side: the cropped copy's whole frame is close to the original's
  centre.

Not found: a copy under a large bright overlay (a logo box, a caption bar on a low-contrast
scene moves the low frequencies pHash keeps by some 20 bits) or mirrored or rotated copies;
those need a learned or transform-invariant hash (TMK+PDQF's temporal features do better).

Two unrelated videos: a random pair of 64-bit hashes is within 12 bits with probability
Σ_{k≤12} C(64,k)/2^64 ≈ 1.3 × 10⁻⁷, so with 240 × 240 frame pairs a frame of S matches by chance
with probability ≈ 3 × 10⁻⁵; 3 such frames (and half of S) essentially never happen by chance.
Real footage is less random than that (similar scenes), which the 50 % share guards against.
This is frame-level pHash with a set-overlap rule, in the spirit of vPDQ (Meta's video PDQ: frame
hashes, a per-frame distance threshold, and the percentage of matching frames in each direction).

**Index.** :class:`VideoIndex` holds every video's frames as one uint64 array. A query first
screens with up to 24 evenly spaced frames of the query against all frames (XOR + popcount, as
the image index does), keeps every video one of them hits, and scores those exactly with all
frames. Querying from a clip always finds the longer video it was cut from; querying from the
long video finds a clip that covers at least about 1/24 of it (a screening frame falls in it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vestige.media.images import phash_of

FRAME_BITS = 12
MIN_FRAMES = 3
MIN_SHARE = 0.5
SCREEN_FRAMES = 24
MAX_FRAMES = 240
FLAT_STD = 4.0


def grid_interval(duration_s: float | None) -> float:
    if not duration_s or duration_s <= 120:
        return 0.5
    return duration_s / MAX_FRAMES


def _centre(img, share: float):
    w, h = img.size
    dx, dy = int(w * (1 - share) / 2), int(h * (1 - share) / 2)
    return img.crop((dx, dy, w - dx, h - dy))


def frame_hashes(path, duration_s: float | None = None) -> tuple[list[tuple[int, int, int]], float, object]:
    """(each grid frame's (whole, centre 90 %, centre 80 %) pHashes, the interval, the first frame
    as a PIL image)."""
    import av


    hashes: list[tuple[int, int, int]] = []
    first = None
    with av.open(str(path)) as container:
        video = next((s for s in container.streams if s.type == "video"), None)
        if video is None:
            return [], 0.0, None
        if duration_s is None and container.duration:
            duration_s = container.duration / 1_000_000
        interval = grid_interval(duration_s)
        seek = bool(duration_s and duration_s > 120)
        video.thread_type = "AUTO"
        target = 0.0
        start = float(video.start_time * video.time_base) if video.start_time is not None else 0.0
        while len(hashes) < MAX_FRAMES:
            if seek and target > 0:
                container.seek(int((start + target) / video.time_base), stream=video, backward=True, any_frame=False)
            frame = None
            for candidate in container.decode(video):
                t = (candidate.time or 0.0) - start
                if t + 1e-6 >= target:
                    frame = candidate
                    break
            if frame is None:
                break
            img = frame.to_image()
            if first is None:
                first = img
            grey = np.asarray(img.convert("L").resize((64, 64)), dtype=np.float32)
            if grey.std() >= FLAT_STD:
                hashes.append((phash_of(img), phash_of(_centre(img, 0.9)), phash_of(_centre(img, 0.8))))
            t = (frame.time or 0.0) - start
            target = (int(t / interval + 1e-9) + 1) * interval
    return hashes, interval, first


def _to_u64(values) -> np.ndarray:
    """Frames as an (n, 3) uint64 array (whole, centre 90 %, centre 80 %)."""
    if isinstance(values, np.ndarray) and values.dtype == np.uint64:
        return values.reshape(-1, 3)
    arr = np.array([[v & ((1 << 64) - 1) for v in f] for f in values], dtype=np.uint64)
    return arr.reshape(-1, 3)


def _distances(q: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """(len(q), len(frames)) least Hamming distance over the allowed pairs: whole–whole, and
    whole–centre both ways."""
    pairs = [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]
    return np.min([np.bitwise_count(q[:, a, None] ^ frames[None, :, b]) for a, b in pairs], axis=0)


def match(a, b) -> tuple[float, int]:
    """(score, matched frames) of two videos' frames (lists of (whole, c90, c80) hashes) under the
    rule above (score 0 when they are not near-duplicates)."""
    if not len(a) or not len(b):
        return 0.0, 0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    s, big = _to_u64(small), _to_u64(large)
    dist = _distances(s, big).min(axis=1)
    matched = int((dist <= FRAME_BITS).sum())
    share = matched / len(small)
    return (round(share, 3), matched) if matched >= MIN_FRAMES and share >= MIN_SHARE else (0.0, matched)


@dataclass
class VideoIndex:
    """Every video's frames: ``owners[i]`` is the video (its pk) of frame ``frames[i]`` (whole,
    centre 90 %, centre 80 %)."""

    owners: np.ndarray  # int64, (n,)
    frames: np.ndarray  # uint64, (n, 3)

    @classmethod
    def build(cls, videos: dict[int, list]) -> VideoIndex:
        owners = np.concatenate([np.full(len(h), pk, dtype=np.int64) for pk, h in videos.items()] or
                                [np.empty(0, np.int64)])
        frames = np.concatenate([_to_u64(h) for h in videos.values()] or [np.empty((0, 3), np.uint64)])
        order = np.argsort(owners, kind="stable")
        return cls(owners[order], frames[order])

    def _columns(self):
        if getattr(self, "_cols", None) is None:
            self._cols = tuple(np.ascontiguousarray(self.frames[:, i]) for i in range(3))
        return self._cols

    def query(self, hashes, limit: int = 20, exclude: int | None = None) -> list[tuple[int, float, int]]:
        """Up to ``limit`` (pk, score, matched frames), best first."""
        if not len(hashes) or not len(self.frames):
            return []
        q = _to_u64(hashes)
        screen = q[np.linspace(0, len(q) - 1, min(SCREEN_FRAMES, len(q))).round().astype(int)]
        near = np.zeros(len(self.frames), dtype=bool)
        whole, c90s, c80s = self._columns()
        buf = np.empty(len(whole), dtype=np.uint64)
        for w, c90, c80 in screen:  # one frame at a time, into one buffer: memory stays flat
            for column, value in ((whole, w), (c90s, w), (c80s, w), (whole, c90), (whole, c80)):
                np.bitwise_xor(column, value, out=buf)
                near |= np.bitwise_count(buf) <= FRAME_BITS
        candidates = [int(o) for o in np.unique(self.owners[near]) if o != exclude]
        out = []
        for pk in candidates:
            lo, hi = np.searchsorted(self.owners, [pk, pk + 1])
            score, matched = match(q, self.frames[lo:hi])
            if score:
                out.append((pk, score, matched))
        out.sort(key=lambda r: (-r[1], -r[2], r[0]))
        return out[:limit]
