"""The evidence vault: intake, duplicates, failures recorded, safe zips, tamper detection by
verify, court bags that verify without Vestige, pages and API, roles."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vestige.errors import PermissionDenied
from vestige.evidence import bag, blobstore, services
from vestige.evidence.models import EvidenceItem
from vestige.media import hamming
from vestige.media.index import HashIndex


def _photo(seed=1, size=(320, 240), quality=90, gps=True) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size[1], 0:size[0]]
    img = np.zeros(size[::-1])
    for _ in range(5):
        cx, cy, r = rng.uniform(0, size[0]), rng.uniform(0, size[1]), rng.uniform(20, 90)
        img += rng.uniform(-1, 1) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
    img = ((img - img.min()) / (np.ptp(img) or 1) * 255).astype(np.uint8)
    pic = Image.fromarray(np.stack([img, img, 255 - img], axis=-1))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2022:09:16 10:42:05"
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (49.0, 10.0, 37.2), "E", (37.0, 14.0, 42.0)
    out = io.BytesIO()
    pic.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


@pytest.fixture
def inv(users):
    return users["investigator"]


def test_image_intake_with_metadata_thumbnail_and_custody(inv, site, settings):
    r = services.ingest(inv, io.BytesIO(_photo()), "IMG_0001.JPG", provenance={"source": "field team"}, links={"site": site.ref})
    item = r.item
    assert r.created and item.media_type == "image/jpeg" and item.blob.sha256.startswith("sha256:")
    assert item.metadata["taken_at"] == "2022-09-16T10:42:05" and item.metadata["latitude"] == pytest.approx(49.177)
    thumb = item.derivatives.get(derivation="thumbnail")
    assert thumb.derived_from == item and thumb.media_type == "image/jpeg"
    path = blobstore.path_for(item.blob.sha256)
    hexd = item.blob.sha256[7:]
    assert path == Path(settings.VESTIGE_HOME) / "blobs" / "sha256" / hexd[:2] / hexd[2:4] / hexd
    assert oct(path.stat().st_mode & 0o777) == "0o400"  # written once, read-only, owner only
    kinds = list(item.events.order_by("index").values_list("kind", flat=True))
    assert kinds[:3] == ["received", "stored", "hashed"] and "metadata" in kinds and "linked" in kinds and "derived" in kinds
    assert services.verify(inv) == []


def test_same_file_is_the_same_item_with_added_provenance(inv):
    data = _photo(2)
    first = services.ingest(inv, io.BytesIO(data), "a.jpg", provenance={"source": "Telegram channel (synthetic)"})
    again = services.ingest(inv, io.BytesIO(data), "b.jpg", provenance={"source": "witness phone", "collected_by": "W-017"})
    assert not again.created and again.item == first.item
    assert [p.source for p in first.item.provenance.all()] == ["Telegram channel (synthetic)", "witness phone"]
    assert first.item.events.filter(kind="provenance").count() == 1
    assert EvidenceItem.objects.filter(derived_from__isnull=True).count() == 1


def test_failures_are_recorded_on_the_item_and_in_the_ledger(inv):
    broken = b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10
    r = services.ingest(inv, io.BytesIO(broken), "broken.jpg", provenance={"source_hash": "sha256:" + "0" * 64})
    steps = {f["step"] for f in r.item.failed_steps}
    assert steps == {"image", "source hash"}
    assert r.item.events.filter(kind="step_failed").count() == 2
    assert "NotAnImage" in json.dumps(r.item.failed_steps)


def test_source_hash_that_matches_is_accepted(inv):
    data = b"synthetic document"
    import hashlib
    r = services.ingest(inv, io.BytesIO(data), "doc.txt", provenance={"source_hash": hashlib.md5(data).hexdigest()})  # noqa: S324
    assert r.item.failed_steps == [] and r.item.media_type == "text/plain"


def test_zip_intake_is_safe(inv, tmp_path):
    z = tmp_path / "upload.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("photos/one.jpg", _photo(3))
        zf.writestr("../../etc/evil.txt", "escape")
        zf.writestr("/abs/evil.txt", "absolute")
        zf.writestr("bomb.txt", b"\x00" * 20_000_000)  # deflates ~1000x
    results = services.ingest_paths(inv, [z])
    by = {Path(r.name.split("!")[-1]).name: r for r in results}
    assert by["one.jpg"].item is not None and by["one.jpg"].created
    assert "unsafe path" in by["evil.txt"].error
    assert "zip bomb" in by["bomb.txt"].error
    assert not list(tmp_path.parent.rglob("evil.txt"))


def test_a_damaged_zip_member_is_named_and_the_others_kept(inv, tmp_path):
    """Issue 24: a member with a bad CRC raised out of the intake (a traceback) and lost the batch."""
    from vestige.evidence import blobstore as store
    from vestige.evidence.models import EvidenceItem

    z = tmp_path / "batch.zip"
    good, bad = b"the first statement, intact", b"the second statement, to be damaged in the archive"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.txt", good)
        zf.writestr("b.txt", bad)
        zf.writestr("c.txt", b"the third statement, intact")
    data = z.read_bytes()
    at = data.index(bad)
    z.write_bytes(data[:at] + b"X" + data[at + 1:])  # one byte of b.txt changed: its CRC-32 no longer holds
    results = services.ingest_paths(inv, [z])
    by = {r.name.split("!")[-1]: r for r in results}
    assert by["a.txt"].item is not None and by["c.txt"].item is not None
    assert by["b.txt"].item is None and "damaged member" in by["b.txt"].error and "CRC" in by["b.txt"].error
    assert EvidenceItem.objects.count() == 2
    assert not list((store.root() / "tmp").glob("incoming-*"))  # nothing half-written left behind
    assert services.verify(inv) == []


@pytest.mark.parametrize("tamper, expected", [
    ("blob", "the blob changed"),
    ("missing", "is missing"),
    ("row", "MD5 or SHA-1 was edited"),
    ("entry", "leaf hash does not match"),
    ("removed", "removed"),
])
def test_verify_names_every_kind_of_tampering(inv, tamper, expected):
    r = services.ingest(inv, io.BytesIO(b"evidence one"), "one.txt")
    services.ingest(inv, io.BytesIO(b"evidence two"), "two.txt")
    from vestige.evidence import custody
    custody.sign_head()
    assert services.verify(inv) == []
    path = blobstore.path_for(r.item.blob.sha256)
    from django.db import connection
    if tamper == "blob":
        path.chmod(0o640)
        path.write_bytes(b"evidence ONE")
    elif tamper == "missing":
        path.unlink()
    elif tamper == "row":
        r.item.blob.md5 = "0" * 32
        r.item.blob.save()
    elif tamper == "entry":
        with connection.cursor() as c:
            c.execute("UPDATE evidence_custodyevent SET data = REPLACE(data, 'one.txt', 'six.txt') WHERE "
                      + connection.ops.quote_name("index") + " = 0")
    elif tamper == "removed":
        with connection.cursor() as c:
            c.execute("DELETE FROM evidence_custodyevent WHERE " + connection.ops.quote_name("index") + " = 3")
    problems = services.verify(inv)
    assert problems and any(expected in p for p in problems), problems


def test_bag_export_verifies_without_vestige_and_catches_tampering(inv, site, tmp_path):
    a = services.ingest(inv, io.BytesIO(_photo(4)), "a.jpg", links={"site": site.ref}).item
    b = services.ingest(inv, io.BytesIO(b"%PDF-1.4 synthetic"), "b.pdf").item
    out = bag.export(inv, [a, b], tmp_path / "bag")
    assert bag.verify(out) == []
    import bagit
    bagit.Bag(str(out)).validate()
    # The verifier needs only the standard library and cryptography; rfc3161-client is optional
    # (imported under ``except ImportError``, with OpenSSL as the fallback for timestamps):
    tree = ast.parse((out / "data" / "verify.py").read_text())
    optional = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try)
                and any(isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in t.handlers)
                for n in ast.walk(t)}
    imported = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) and id(n) not in optional} | {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and id(n) not in optional}
    assert imported <= {"argparse", "base64", "hashlib", "json", "sys", "pathlib", "shutil", "subprocess", "cryptography"}
    assert "rfc3161_client" not in imported
    run = subprocess.run([sys.executable, "-I", str(out / "data" / "verify.py"), str(out)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.startswith("OK")
    meta = json.loads((out / "data" / "metadata" / f"{a.ref}.json").read_text())["facts"]
    assert meta["sha256"] == a.blob.sha256 and meta["provenance"][0]["added_by"] == inv.username
    assert a.events.filter(kind="exported").exists()
    # Tamper with one custody event line: the proof no longer reaches the signed root.
    events = out / "data" / "custody" / "events.jsonl"
    lines = events.read_text().splitlines()
    first = json.loads(lines[0])
    first["entry"] = first["entry"].replace(inv.username, "someone-else")
    events.write_text("\n".join([json.dumps(first)] + lines[1:]) + "\n")
    run = subprocess.run([sys.executable, "-I", str(out / "data" / "verify.py"), str(out)], capture_output=True, text=True)
    assert run.returncode == 1 and "event 0: the entry was altered" in run.stdout
    assert "manifest" in run.stdout


def test_near_duplicates_by_hamming_distance(inv):
    a = services.ingest(inv, io.BytesIO(_photo(5)), "a.jpg").item
    recompressed = services.ingest(inv, io.BytesIO(_photo(5, quality=40, gps=False)), "a-small.jpg").item
    other = services.ingest(inv, io.BytesIO(_photo(9)), "other.jpg").item
    near = [(i.ref, d) for i, d in services.near_duplicates(a)]
    assert recompressed.ref in [r for r, _d in near] and other.ref not in [r for r, _d in near]
    assert all(d <= 10 for _r, d in near)


def test_hash_index_matches_brute_force():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 5000, dtype=np.int64).view(np.uint64) ^ np.uint64(1 << 63)
    idx = HashIndex(np.arange(5000), hashes)
    q = int(hashes[17]) ^ 0b1011
    got = idx.query(q, 12, 50)
    brute = sorted(((i, hamming(int(h), q)) for i, h in enumerate(hashes) if hamming(int(h), q) <= 12), key=lambda t: t[1])
    assert got[0] == (17, 3) and [d for _i, d in got] == [d for _i, d in brute[:len(got)]]


def test_roles(users):
    with pytest.raises(PermissionDenied):
        services.ingest(users["analyst"], io.BytesIO(b"x"), "x.txt")
    r = services.ingest(users["forensic_examiner"], io.BytesIO(b"autopsy photo"), "x.txt")
    with pytest.raises(PermissionDenied):
        bag.export(users["forensic_examiner"], [r.item], "/tmp/never")
    services.record_view(users["auditor"], r.item)  # every role reads; the view is recorded
    assert r.item.events.filter(kind="viewed").count() == 1


def test_pages_and_api(client, inv, users, api_token):
    from django.core.files.uploadedfile import SimpleUploadedFile
    client.force_login(inv)
    resp = client.post("/evidence/upload/", {"files": [SimpleUploadedFile("p.jpg", _photo(6))], "source": "upload test",
                                            "site": ""}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 200, resp.content
    ref = resp.json()["results"][0]["ref"]
    item = EvidenceItem.objects.get(ref=ref)
    page = client.get(f"/evidence/{ref}/").content.decode()
    assert item.blob.sha256 in page and "Custody" in page
    assert item.events.filter(kind="viewed").count() == 1
    download = client.get(f"/evidence/{ref}/download/")
    # Consuming the stream lets the test client close it (an explicit close() would fire
    # request_finished outside the client's guard and close the database connection).
    assert download.status_code == 200 and b"".join(download.streaming_content) == blobstore.path_for(item.blob.sha256).read_bytes()
    assert item.events.filter(kind="downloaded").count() == 1
    # Graphic by default: greyscale, muted and no thumbnail in lists, until the person chooses colour
    listing = client.get("/evidence/").content.decode()
    assert "graphic-placeholder" in listing and 'class="graphic sensitive"' not in listing
    assert 'class="graphic-muted"' in listing
    assert client.post("/accounts/profile/media/", {"graphic_in_colour": "on"}).status_code == 302
    listing = client.get("/evidence/").content.decode()
    assert 'class="graphic sensitive"' in listing and "graphic-placeholder" not in listing
    assert 'class="graphic-muted"' not in listing
    inv.refresh_from_db()
    assert inv.graphic_in_colour
    client.post("/accounts/profile/media/", {})  # back to the default
    thumb = client.get(f"/evidence/{ref}/thumbnail.jpg")
    assert thumb["Content-Type"] == "image/jpeg" and b"".join(thumb.streaming_content).startswith(b"\xff\xd8")
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(inv)}"}
    r1 = client.post("/api/evidence", {"file": SimpleUploadedFile("q.jpg", _photo(7)), "source": "api"}, **h)
    r2 = client.post("/api/evidence", {"file": SimpleUploadedFile("q2.jpg", _photo(7))}, **h)
    assert (r1.status_code, r2.status_code) == (201, 200) and r1.json()["sha256"] == r2.json()["sha256"]
    # The digests the API reports are those hashlib computes over the bytes sent.
    sent = _photo(7)
    assert {k: r1.json()[k] for k in ("sha256", "sha1", "md5", "size")} == {
        "sha256": "sha256:" + hashlib.sha256(sent).hexdigest(), "sha1": hashlib.sha1(sent).hexdigest(),
        "md5": hashlib.md5(sent).hexdigest(), "size": len(sent)}
    assert client.get(f"/api/evidence/{ref}/near-duplicates", **h).status_code == 200
    ha = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['analyst'])}"}
    assert client.post("/api/evidence", {"file": SimpleUploadedFile("z.txt", b"z")}, **ha).status_code == 403


def test_the_api_upload_keeps_the_size_limit(inv, api_token, client, settings):
    """Issue 24: POST /api/evidence ignored VESTIGE_MAX_EVIDENCE_MB (the page and the CLI kept it)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vestige.evidence.models import EvidenceItem

    settings.VESTIGE_MAX_EVIDENCE_BYTES = 1000
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(inv)}"}
    r = client.post("/api/evidence", {"file": SimpleUploadedFile("big.bin", b"x" * 1001)}, **h)
    assert r.status_code == 413 and r.json()["error"]["type"] == "TooLarge"
    assert r.json()["error"]["message"].startswith("big.bin is 1,001 bytes; the limit is 1,000 bytes")
    assert not EvidenceItem.objects.exists()
    assert client.post("/api/evidence", {"file": SimpleUploadedFile("ok.bin", b"x" * 1000)}, **h).status_code == 201


def test_auto_archiver_import_checks_recorded_hashes(inv, tmp_path):
    import hashlib

    from vestige.evidence.archiver import import_archive
    folder = tmp_path / "archive"
    folder.mkdir()
    good, bad = _photo(11), b"tampered after archiving"
    (folder / "good.jpg").write_bytes(good)
    (folder / "bad.txt").write_bytes(bad)
    (folder / "metadata.json").write_text(json.dumps([
        {"status": "telethon: success", "metadata": {"url": "https://t.me/example/1", "title": "Post 1",
                                                      "timestamp": "2022-09-15T08:00:00+00:00"},
         "media": [{"filename": "/home/archiver/tmp/good.jpg", "urls": ["https://cdn.example/good.jpg"],
                    "properties": {"hash": "SHA-256:" + hashlib.sha256(good).hexdigest()}}]},
        {"status": "success", "metadata": {"url": "https://example.org/2"},
         "media": [{"filename": "bad.txt", "properties": {"hash": "SHA3-512:" + hashlib.sha3_512(b"original").hexdigest()}},
                   {"filename": "gone.mp4", "properties": {}}]},
    ]))
    results = {Path(r.name.split()[-1]).name: r for r in import_archive(inv, folder)}
    ok = results["good.jpg"]
    assert ok.item and ok.failed_steps == [] and ok.item.provenance.get().source_url == "https://cdn.example/good.jpg"
    assert ok.item.provenance.get().acquired_at.isoformat() == "2022-09-15T08:00:00+00:00"
    assert results["bad.txt"].failed_steps == ["auto-archiver hash"]
    assert "auto-archiver hash" in {f["step"] for f in results["bad.txt"].item.failed_steps}
    assert "not found" in results["gone.mp4"].error


def test_wacz_is_one_item_with_its_pages(inv, tmp_path):
    wacz = tmp_path / "capture.wacz"
    with zipfile.ZipFile(wacz, "w") as z:
        z.writestr("datapackage.json", json.dumps({"profile": "data-package", "resources": []}))
        z.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0"}\n'
                   '{"url": "https://example.org/izium", "title": "Report (synthetic)", "ts": "2022-09-15T10:00:00Z"}\n')
        z.writestr("archive/data.warc.gz", b"\x1f\x8b" + b"\x00" * 20)
    results = services.ingest_paths(inv, [wacz])
    assert len(results) == 1 and results[0].item.media_type == "application/zip"
    assert results[0].item.metadata["pages"] == [{"url": "https://example.org/izium", "title": "Report (synthetic)",
                                                  "ts": "2022-09-15T10:00:00Z"}]


def _mp4(path: Path) -> None:
    """A 3-second MPEG-4 clip with creation time and ISO 6709 location tags, made with PyAV."""
    import av
    out = av.open(str(path), "w")
    stream = out.add_stream("mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    out.metadata["creation_time"] = "2022-09-16T10:00:00.000000Z"
    out.metadata["location"] = "+49.1770+037.2450/"
    for i in range(30):
        arr = np.zeros((48, 64, 3), np.uint8)
        arr[:, :, 0] = (i * 8) % 255
        arr[10:30, 10 + i:30 + i, 1] = 200
        for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


def test_video_metadata_frames_and_thumbnail(inv, tmp_path):
    clip = tmp_path / "clip.mp4"
    _mp4(clip)
    with clip.open("rb") as fh:
        item = services.ingest(inv, fh, "clip.mp4").item
    m = item.metadata
    assert item.media_type == "video/mp4" and m["duration_s"] == pytest.approx(3.0, abs=0.2)
    assert m["creation_time"].startswith("2022-09-16T10:00:00") and m["location"] == "+49.1770+037.2450/"
    assert m["streams"] == [{"type": "video", "codec": "mpeg4", "width": 64, "height": 48}]
    assert len(m["frame_phashes"]) == 6 and m["frame_interval_s"] == 0.5 and item.phash is not None  # 3 s, every 0.5 s
    assert item.derivatives.get().derivation == "thumbnail"


def test_audio_duration(inv, tmp_path):
    import wave
    path = tmp_path / "call.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x10" * 8000 * 2)  # two seconds
    with path.open("rb") as fh:
        item = services.ingest(inv, fh, "call.wav").item
    assert item.media_type == "audio/wav" and item.metadata["duration_s"] == pytest.approx(2.0, abs=0.05)
    assert item.metadata["streams"][0]["type"] == "audio"


def test_public_key_is_exportable(inv, capsys, tmp_path):
    from vestige.cli import main
    services.ingest(inv, io.BytesIO(b"x"), "x.txt")
    assert main(["evidence", "public-key"]) == 0
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    from vestige.evidence import custody
    from vestige.ledger import verify_tree_head
    head = custody.head_of(custody.sign_head())
    assert verify_tree_head(pem.encode(), head)
