"""HEIC/HEIF photos (the iPhone's default) read like JPEG: type from the ftyp brand, EXIF time,
GPS and orientation, an upright thumbnail and a pHash. The GPS values are the test's own
(49° 10′ 37.2″ N = 49 + 10/60 + 37.2/3600 = 49.177; 37° 14′ 42″ E = 37.245), and, where exiftool
is installed, Vestige's reading is compared with exiftool's by tools/exif_corpus.py."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from vestige.media import detect_type, hamming, phash
from vestige.media.images import analyse


def _picture() -> Image.Image:
    y, x = np.mgrid[0:240, 0:320]
    img = (np.sin(x / 23.0) + np.cos(y / 17.0) + (x > 160)) * 60 + 60
    return Image.fromarray(np.stack([img, img[::-1], 255 - img], -1).clip(0, 255).astype(np.uint8))


def _exif(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Apple", "iPhone 14", orientation
    exif.get_ifd(0x8769)[0x9003] = "2022:09:16 10:42:05"
    g = exif.get_ifd(0x8825)
    g[1], g[2], g[3], g[4] = "N", (49.0, 10.0, 37.2), "E", (37.0, 14.0, 42.0)
    return exif.tobytes()


def heic(orientation: int = 6, quality: int = 80) -> bytes:
    out = io.BytesIO()
    _picture().save(out, "HEIF", exif=_exif(orientation), quality=quality)
    return out.getvalue()


def test_heic_time_gps_orientation_thumbnail_and_phash():
    data = heic()
    assert detect_type(data[:64]) == "image/heic"
    info, value, thumb = analyse(data)
    assert info.format == "HEIF" and info.taken_at == "2022-09-16T10:42:05" and info.camera == "Apple iPhone 14"
    assert info.latitude == pytest.approx(49.177, abs=1e-9) and info.longitude == pytest.approx(37.245, abs=1e-9)
    assert info.orientation == 6  # as the file says; the decoder turned the pixels upright
    t = Image.open(io.BytesIO(thumb))
    assert t.format == "JPEG" and t.size == (240, 320)  # upright: a 320 × 240 picture turned a quarter
    jpeg = io.BytesIO()
    _picture().rotate(-90, expand=True).save(jpeg, "JPEG", quality=90)
    assert hamming(value, phash(jpeg.getvalue())) <= 8  # the same picture, another codec


def test_the_brands_of_the_iso_base_media_family():
    def box(brand: bytes) -> bytes:
        return b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 52

    assert detect_type(box(b"heic")) == "image/heic" and detect_type(box(b"mif1")) == "image/heif"
    assert detect_type(box(b"avif")) == "image/avif" and detect_type(box(b"isom")) == "video/mp4"


def test_a_heic_is_ingested_with_its_position(users):
    from vestige.evidence import services

    item = services.ingest(users["investigator"], io.BytesIO(heic()), "IMG_0042.HEIC").item
    assert item.media_type == "image/heic" and item.failed_steps == []
    assert item.metadata["latitude"] == pytest.approx(49.177) and item.metadata["orientation"] == 6
    assert item.derivatives.get(derivation="thumbnail").media_type == "image/jpeg"


@pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool is not installed (Debian: libimage-exiftool-perl)")
def test_the_corpus_tool_agrees_with_exiftool(tmp_path):
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[2] / "tools"))
    from exif_corpus import compare

    for n, orientation in enumerate((1, 3, 6, 8)):
        (tmp_path / f"IMG_{n}.HEIC").write_bytes(heic(orientation))
    jpeg = io.BytesIO()
    _picture().save(jpeg, "JPEG", exif=_exif(1))
    (tmp_path / "IMG_9.JPG").write_bytes(jpeg.getvalue())
    result = compare(tmp_path)
    assert result["photos"] == 5 and result["gps"] == 5 and result["gps_matched"] == 5
    assert result["differences"] == []
