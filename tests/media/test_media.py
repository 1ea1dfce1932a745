"""vestige.media against independent references: published digest vectors, files written by
Pillow and the standard library, and hand-computed coordinates."""

from __future__ import annotations

import io
import wave
import zipfile

import numpy as np
import pytest
from PIL import Image

from vestige.media import detect_type, hamming, hash_stream, image_info, phash, thumbnail
from vestige.media.images import _C, NotAnImage


def test_digest_vectors_and_streaming():
    # FIPS 180-2 and RFC 1321 test vectors for "abc".
    d = hash_stream(io.BytesIO(b"abc"))
    assert d.sha256 == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert d.sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert d.md5 == "900150983cd24fb0d6963f7d28e17f72" and d.size == 3
    # Across chunk boundaries, and the sink sees every byte in order.
    big = bytes(range(256)) * 9000  # 2.3 MB: three chunks
    seen = bytearray()
    d2 = hash_stream(io.BytesIO(big), sink=seen.extend)
    import hashlib
    assert d2.sha256 == "sha256:" + hashlib.sha256(big).hexdigest() and bytes(seen) == big and d2.size == len(big)


def _image_bytes(fmt: str, **kw) -> bytes:
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8))
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


@pytest.mark.parametrize("fmt, mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"),
                                       ("WEBP", "image/webp"), ("TIFF", "image/tiff")])
def test_detects_images_by_content(fmt, mime):
    assert detect_type(_image_bytes(fmt)[:64]) == mime


def test_detects_other_types_by_content():
    wav = io.BytesIO()
    with wave.open(wav, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 100)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "x")
    assert detect_type(wav.getvalue()[:64]) == "audio/wav"
    assert detect_type(z.getvalue()[:64]) == "application/zip"
    assert detect_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3") == "application/pdf"
    assert detect_type(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom") == "video/mp4"
    assert detect_type("Свідчення W-017".encode()) == "text/plain"
    assert detect_type(b"\x00\x01\x02\xfe\xff\x80") == "application/octet-stream"


def test_exif_capture_time_and_gps():
    img = Image.new("RGB", (40, 30), "white")
    exif = Image.Exif()
    exif[0x010F] = "SyntheticCam"  # Make
    exif[0x0110] = "Model 1"  # Model
    exif.get_ifd(0x8769)[0x9003] = "2022:09:16 10:42:05"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (49.0, 10.0, 37.2)  # 49°10'37.2" N = 49 + 10/60 + 37.2/3600 = 49.177
    gps[3], gps[4] = "E", (37.0, 14.0, 42.0)  # 37°14'42" E = 37.245
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    info = image_info(out.getvalue())
    assert (info.width, info.height, info.format) == (40, 30, "JPEG")
    assert info.taken_at == "2022-09-16T10:42:05" and info.camera == "SyntheticCam Model 1"
    assert info.latitude == pytest.approx(49.177, abs=1e-9) and info.longitude == pytest.approx(37.245, abs=1e-9)


def test_southern_and_western_coordinates_are_negative():
    img = Image.new("RGB", (8, 8))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (33.0, 30.0, 0.0), "W", (70.0, 39.0, 36.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    info = image_info(out.getvalue())
    assert info.latitude == pytest.approx(-33.5) and info.longitude == pytest.approx(-70.66)


def test_dct_matrix_is_orthonormal():
    assert np.allclose(_C @ _C.T, np.eye(32), atol=1e-12)


def _photo(seed: int) -> Image.Image:
    """A smooth synthetic scene (gradients and blobs), like a photograph rather than noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:240, 0:320]
    img = np.zeros((240, 320))
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 320), rng.uniform(0, 240), rng.uniform(20, 90)
        img += rng.uniform(-1, 1) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
    img = (img - img.min()) / (np.ptp(img) or 1) * 255
    return Image.fromarray(np.stack([img, img * 0.8, 255 - img], axis=-1).astype(np.uint8))


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def test_phash_survives_reencoding_and_resizing_but_separates_pictures():
    a = _photo(1)
    base = phash(_jpeg(a))
    assert hamming(base, phash(_jpeg(a, quality=35))) <= 6
    assert hamming(base, phash(_jpeg(a.resize((160, 120))))) <= 6
    assert base.bit_length() <= 64
    others = [hamming(base, phash(_jpeg(_photo(s)))) for s in range(2, 8)]
    assert min(others) >= 12, others


def test_thumbnail_is_small_and_upright():
    img = Image.new("RGB", (800, 400), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    thumb = Image.open(io.BytesIO(thumbnail(out.getvalue(), 320)))
    assert thumb.size == (160, 320)  # upright: portrait


def test_not_an_image_is_a_clear_error():
    with pytest.raises(NotAnImage):
        image_info(b"%PDF-1.7 not an image")
