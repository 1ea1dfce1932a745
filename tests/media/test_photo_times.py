"""Issue 28, part 7: photo times as examiners read them — DateTimeOriginal (EXIF, then XMP)
before the file's ModifyDate, the offset kept when the file states one, each source named; a C2PA
manifest stored remotely reported as such. Third-party files from ../shared/data/fixtures/c2pa and
hand-made EXIF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from vestige.media import credentials
from vestige.media.images import image_info

C2PA = Path(__file__).resolve().parents[3] / "shared" / "data" / "fixtures" / "c2pa"


def _jpeg(**tags) -> bytes:
    exif = Image.Exif()
    if "modified" in tags:
        exif[0x0132] = tags["modified"]
    sub = exif.get_ifd(0x8769)
    for key, tag in (("original", 0x9003), ("offset", 0x9011), ("digitized", 0x9004)):
        if key in tags:
            sub[tag] = tags[key]
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_date_time_original_before_the_modification_time_with_its_offset():
    info = image_info(_jpeg(modified="2024:01:02 03:04:05", original="2022:09:16 10:42:05", offset="+03:00"))
    assert (info.taken_at, info.taken_at_source, info.taken_at_zone) == (
        "2022-09-16T10:42:05+03:00", "EXIF DateTimeOriginal", "stated")
    assert info.modified_at == "2024-01-02T03:04:05"
    no_zone = image_info(_jpeg(modified="2024:01:02 03:04:05", original="2022:09:16 10:42:05"))
    assert no_zone.taken_at == "2022-09-16T10:42:05" and no_zone.taken_at_zone == "local, zone unknown"
    only_modified = image_info(_jpeg(modified="2024:01:02 03:04:05"))
    assert only_modified.taken_at_source == "EXIF DateTime (the file's modification time)"


def test_xmp_create_date_beats_the_ifd0_modify_date():
    path = C2PA / "cloud.jpg"
    if not path.exists():
        pytest.skip("the C2PA fixtures are not beside the project")
    info = image_info(path.read_bytes())
    # before: 2020-03-26T10:30:06, the IFD0 ModifyDate
    assert (info.taken_at, info.taken_at_source) == ("2005-05-13T13:09:04-05:00", "XMP xmp:CreateDate")
    assert info.modified_at == "2020-03-26T10:30:06"


def test_a_remote_manifest_is_reported_as_such():
    path = C2PA / "cloud.jpg"
    if not path.exists():
        pytest.skip("the C2PA fixtures are not beside the project")
    found = credentials.read(path, "image/jpeg")
    assert found["state"] == "remote" and found["manifest_url"].startswith("https://cai-manifests.adobe.com/")
