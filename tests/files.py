"""Small synthetic files the tests upload and read back: a JPEG of noise, the text of a PDF."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from pypdf import PdfReader


def jpeg(seed: int) -> bytes:
    """A 80 × 64 JPEG of random pixels (a different file for each seed)."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF, as pypdf extracts it."""
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
