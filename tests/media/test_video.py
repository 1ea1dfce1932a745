"""Video near-duplicates by frame pHashes on a time grid (media/video.py): real H.264 and MPEG-4
files made here with PyAV — the original, a re-encode, a trim, two crops — found; unrelated
footage and flat screens not."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from vestige.media.video import MIN_FRAMES, VideoIndex, frame_hashes, match


def scene(seed: int, size=(240, 320)) -> np.ndarray:
    """A scene with the low-frequency structure of real footage: a few soft shapes of colour."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size[0], 0:size[1]]
    img = np.zeros((*size, 3))
    for _ in range(6):
        cy, cx, r = rng.uniform(0, size[0]), rng.uniform(0, size[1]), rng.uniform(25, 90)
        img += rng.uniform(-1, 1, 3) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
    img = (img - img.min()) / (np.ptp(img) or 1) * 255
    return img.astype(np.uint8)


SCENES = [scene(s) for s in range(10)]
OTHER = [scene(100 + s) for s in range(10)]


def footage(i: int, scenes=SCENES) -> np.ndarray:
    """Frame i of 10 fps footage: a scene change every 2 s, the camera panning."""
    return np.roll(scenes[(i // 20) % len(scenes)], i * 2, axis=1)


def write(path, frame_of, n: int, size=(320, 240), codec="libx264", crf=23, rate=10) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": str(crf)}
        for i in range(n):
            img = Image.fromarray(frame_of(i)).resize(size)
            for packet in stream.encode(av.VideoFrame.from_image(img)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def crop(share):
    def f(i):
        a = footage(i)
        dy, dx = int(a.shape[0] * share), int(a.shape[1] * share)
        return a[dy:a.shape[0] - dy, dx:a.shape[1] - dx]
    return f


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    write(d / "original.mp4", footage, 200)
    write(d / "reencoded.mp4", footage, 200, size=(176, 144), codec="mpeg4")
    write(d / "trimmed.mp4", lambda i: footage(i + 73), 60)
    write(d / "crop5.mp4", crop(0.05), 200)
    write(d / "crop10.mp4", crop(0.10), 200)
    write(d / "unrelated.mp4", lambda i: footage(i, OTHER), 200)
    write(d / "black.mp4", lambda i: np.zeros((240, 320, 3), np.uint8), 60)
    return {p.stem: frame_hashes(p)[0] for p in d.glob("*.mp4")}


def test_frames_are_taken_on_a_half_second_grid(videos):
    assert len(videos["original"]) == 40  # 20 s every 0.5 s
    assert len(videos["trimmed"]) == 12  # 6 s
    assert videos["black"] == []  # flat frames are left out


@pytest.mark.parametrize("copy", ["reencoded", "trimmed", "crop5", "crop10"])
def test_copies_of_the_footage_are_found(videos, copy):
    score, matched = match(videos["original"], videos[copy])
    assert score >= 0.5 and matched >= MIN_FRAMES, (copy, score, matched)


@pytest.mark.parametrize("other", ["unrelated", "black"])
def test_other_footage_is_not(videos, other):
    assert match(videos["original"], videos[other])[0] == 0.0


def test_unrelated_videos_do_not_match_each_other():
    rng = np.random.default_rng(5)
    many = [[tuple(int(x) for x in rng.integers(0, 2**63, 3)) for _ in range(40)] for _ in range(30)]
    assert all(match(a, b)[0] == 0.0 for i, a in enumerate(many) for b in many[i + 1:])


def test_the_index_finds_them_all_and_not_the_rest(videos):
    names = sorted(videos)
    index = VideoIndex.build({n: videos[name] for n, name in enumerate(names) if videos[name]})
    found = {names[pk] for pk, _score, _m in index.query(videos["original"], exclude=names.index("original"))}
    assert found == {"reencoded", "trimmed", "crop5", "crop10"}
    # and from the clip, the long video it was cut from
    back = {names[pk] for pk, _s, _m in index.query(videos["trimmed"], exclude=names.index("trimmed"))}
    assert "original" in back and "unrelated" not in back


def test_a_reencoded_copy_is_a_near_duplicate_in_the_vault(videos, users, tmp_path, client):
    from vestige.evidence import services

    inv = users["investigator"]
    write(tmp_path / "a.mp4", footage, 200)
    write(tmp_path / "b.mp4", footage, 200, size=(176, 144), codec="mpeg4")
    write(tmp_path / "c.mp4", lambda i: footage(i, OTHER), 200)
    a, b, c = (services.ingest(inv, io.BytesIO((tmp_path / f"{n}.mp4").read_bytes()), f"{n}.mp4").item for n in "abc")
    assert a.metadata["frame_interval_s"] == 0.5 and len(a.metadata["frame_phashes_c90"]) == 40
    [(found, score, matched)] = services.near_duplicate_videos(a, actor=inv)
    assert found == b and score >= 0.9 and matched >= 36
    client.force_login(inv)
    page = client.get(f"/evidence/{a.ref}/").content.decode()
    assert f">{b.ref}</a>" in page.split('id="near-videos"')[1] and c.ref not in page.split('id="near-videos"')[1]
    from vestige.accounts.models import ApiToken  # noqa: F401  (the API takes a session too)

    rows = client.get(f"/api/evidence/{a.ref}/near-duplicates").json()
    assert {"ref": b.ref, "kind": "video", "score": score, "matched_frames": matched} in rows
