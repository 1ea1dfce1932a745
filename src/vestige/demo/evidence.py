"""Synthetic evidence for the Izium demo: generated pictures (never real photographs of the
dead), with EXIF time and GPS at the site, a re-encoded near-duplicate, the same file received
twice from two sources, an iPhone-style HEIC photo, a synthetic pan over the site as video with a
re-encoded, trimmed copy "as posted online" (found as the same footage), and a short synthetic
document; all linked to the site."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from vestige.evidence import custody, services
from vestige.evidence.models import EvidenceItem


def _picture(seed: int, label: str, quality: int = 88) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:480, 0:640]
    # Each view differs in light, horizon and tree line, as photographs of different spots do.
    tilt = rng.uniform(-0.6, 0.6)
    sky = np.clip(120 + 100 * (1 - y / 480) + 60 * tilt * (x / 640 - 0.5) + rng.normal(0, 3, y.shape), 0, 255)
    tint = rng.uniform(0.45, 0.95, 3)
    img = Image.fromarray(np.stack([sky * tint[0], sky * tint[1], sky * tint[2]], axis=-1).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    horizon = int(rng.integers(200, 380))
    for _ in range(int(rng.integers(3, 9))):  # trees
        tx = int(rng.integers(0, 640))
        draw.ellipse([tx - 40, horizon - 160, tx + 40, horizon - 20], fill=(30, int(rng.integers(50, 90)), 30))
    draw.rectangle([0, horizon, 640, 480], fill=(int(rng.integers(50, 110)), int(rng.integers(70, 110)), 40))
    for i in range(int(rng.integers(6, 12))):  # wooden crosses, drawn
        cx, base = 40 + i * 55 + int(rng.integers(-8, 8)), horizon + 30 + int(rng.integers(0, 60))
        draw.rectangle([cx - 3, base - 60, cx + 3, base], fill=(110, 80, 50))
        draw.rectangle([cx - 16, base - 46, cx + 16, base - 40], fill=(110, 80, 50))
    draw.text((10, 10), f"SYNTHETIC DEMO IMAGE — {label}", fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Demo", "Synthetic"
    exif.get_ifd(0x8769)[0x9003] = f"2022:09:{15 + seed % 2:02d} 1{seed % 10}:20:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (49.0, 10.0, 44.0 + seed % 5), "E", (37.0, 14.0, 40.0 + seed % 7)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _video(seed: int, *, start: int = 0, frames: int = 120, size=(320, 240), codec: str = "libx264") -> bytes:
    """A slow pan across a synthetic view of the site (10 frames a second), as an MP4."""
    from fractions import Fraction

    import av

    wide = Image.open(io.BytesIO(_picture(seed, "video"))).convert("RGB").resize((960, 480))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.time_base = Fraction(1, 10)
        for i in range(start, start + frames):
            x = int(i * (960 - 480) / 240)
            frame = av.VideoFrame.from_image(wide.crop((x, 0, x + 480, 360)).resize(size))
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _heic(seed: int) -> bytes:
    img = Image.open(io.BytesIO(_picture(seed, "iPhone")))
    out = io.BytesIO()
    img.save(out, "HEIF", exif=img.getexif().tobytes(), quality=80)
    return out.getvalue()


def load_evidence(investigator) -> int:
    if EvidenceItem.objects.exists():
        return 0
    link = {"site": "IZM-PISH"}
    for seed in range(1, 5):
        services.ingest(investigator, io.BytesIO(_picture(seed, f"view {seed}")), f"IMG_20220915_{seed:04d}.jpg",
                        provenance={"source": "Forensic team camera (synthetic)", "collected_by": "investigator",
                                    "method": "photographed on site"}, links=link)
    # The same picture as posted online: re-encoded (a near-duplicate) ...
    services.ingest(investigator, io.BytesIO(_picture(1, "view 1", quality=45)), "telegram_post_photo.jpg",
                    provenance={"source": "Public channel (synthetic)", "source_url": "https://example.org/post/1",
                                "method": "downloaded"}, links=link)
    # ... and the original received a second time, from a witness (one item, two provenances).
    services.ingest(investigator, io.BytesIO(_picture(2, "view 2")), "from_witness.jpg",
                    provenance={"source": "Witness W-001 (synthetic)", "method": "handed over"}, links=link)
    services.ingest(investigator, io.BytesIO(_heic(3)), "IMG_4021.HEIC",
                    provenance={"source": "Volunteer's phone (synthetic)", "method": "handed over"}, links=link)
    services.ingest(investigator, io.BytesIO(_video(4)), "DJI_0007.MP4",
                    provenance={"source": "Forensic team drone (synthetic)", "method": "filmed on site"}, links=link)
    services.ingest(investigator, io.BytesIO(_video(4, start=40, frames=60, size=(256, 192), codec="mpeg4")),
                    "channel_repost.mp4", provenance={"source": "Public channel (synthetic)", "method": "downloaded",
                                                      "source_url": "https://example.org/post/7"}, links=link)
    services.ingest(investigator, io.BytesIO("Exhumation log, 16–23 Sept 2022 (synthetic demonstration text).\n".encode()),
                    "exhumation-log.txt", provenance={"source": "Forensic team (synthetic)"}, links=link, graphic=False)
    custody.sign_head()
    return EvidenceItem.objects.filter(derived_from__isnull=True).count()
