"""vestige.media — what a file is and how to recognise it again (pure: Pillow and numpy only).

- :mod:`~vestige.media.hashing`: SHA-256, SHA-1 and MD5 in one streaming pass; type from content;
- :mod:`~vestige.media.images`: EXIF capture time and GPS position, thumbnails, and a 64-bit
  DCT perceptual hash (pHash) with Hamming distance for near-duplicates.

Groundwork for the evidence vault (issue 4); this package knows nothing of it.
"""

from vestige.media.hashing import Digests, detect_type, hash_stream
from vestige.media.images import ImageInfo, hamming, image_info, phash, thumbnail

__all__ = ["Digests", "ImageInfo", "detect_type", "hamming", "hash_stream", "image_info", "phash", "thumbnail"]
