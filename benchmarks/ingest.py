"""Evidence intake speed.

1. Large files (1 GB in all): Vestige's ingest (SHA-256 + SHA-1 + MD5, write-once store with
   fsync, database rows, custody events) against `sha256sum` followed by `cp` of the same files
   on the same disk. Target: ≥ 70 % of their throughput.
2. 2,000 JPEG photos with EXIF: EXIF, thumbnail and perceptual hash each. Target ≥ 50/s.
3. Near-duplicate query over 1,000,000 perceptual hashes. Target ≤ 50 ms.
4. Video near-duplicate query against 10,000 videos' frame hashes (60 grid frames each, three
   hashes a frame: media/video.py). Target ≤ 100 ms.
5. Intake with witnessing (issue 24): 300 files of 256 KB, one transaction and one kept head each,
   without witnesses and then with two real witness processes (`vestige witness serve`) and a task
   worker sending every head to them. Target: within 10 % of the speed without.

    python benchmarks/ingest.py [--gb 1] [--photos 2000] [--videos 10000] [--witnessed 300]
                                [--only large|photos|query|video|witnesses]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--photos", type=int, default=2000)
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--witnessed", type=int, default=300, help="files for the witnessing part")
    ap.add_argument("--only", choices=["large", "photos", "query", "video", "witnesses"], help="run one part only")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vestige-ingest-bench-", dir=os.environ.get("BENCH_DIR")))
    os.environ["VESTIGE_HOME"] = str(work / "home")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vestige.settings"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)

    from vestige.accounts.services import create_user
    from vestige.evidence import services
    from vestige.media.index import HashIndex

    actor = create_user("bench", "bench-password-123", "investigator")

    if args.only in (None, "large"):
        large(work, actor, args.gb, services)
    if args.only in (None, "photos"):
        photos_part(work, actor, args.photos, services)
    if args.only in (None, "query"):
        query_part(HashIndex)
    if args.only in (None, "video"):
        video_part(args.videos)
    if args.only in (None, "witnesses"):
        witnesses_part(work, actor, services, args.witnessed)
    shutil.rmtree(work, ignore_errors=True)


def large(work, actor, gb, services) -> None:
    big = work / "big"
    big.mkdir()
    n_files = 4
    size = int(gb * 1024**3 / n_files)
    for i in range(n_files):
        with (big / f"video-{i}.bin").open("wb") as f:
            for _ in range(size // (16 << 20)):
                f.write(os.urandom(16 << 20))
    total = sum(p.stat().st_size for p in big.iterdir())
    dest = work / "copy"
    dest.mkdir()
    t = time.perf_counter()
    for p in sorted(big.iterdir()):
        subprocess.run(["sha256sum", str(p)], check=True, capture_output=True)
        subprocess.run(["cp", str(p), str(dest / p.name)], check=True)
        subprocess.run(["sync", str(dest / p.name)], check=True)
    ref = time.perf_counter() - t
    shutil.rmtree(dest)
    t = time.perf_counter()
    for p in sorted(big.iterdir()):
        with p.open("rb") as fh:
            services.ingest(actor, fh, str(p))
    ours = time.perf_counter() - t
    mb = total / 1024**2
    print(f"large files ({mb:,.0f} MB): sha256sum + cp + sync {mb / ref:7.0f} MB/s; Vestige ingest {mb / ours:7.0f} MB/s "
          f"= {100 * ref / ours:.0f} % (target ≥ 70 %)", flush=True)
    shutil.rmtree(big)


def photos_part(work, actor, count, services) -> None:
    import numpy as np
    from PIL import Image

    photos = work / "photos"
    photos.mkdir()
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, (768, 1024, 3), dtype=np.uint8)
    for i in range(count):
        img = Image.fromarray(np.roll(base, i * 7, axis=1))
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = f"2022:09:{16 + i % 8:02d} 10:42:05"
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (49.0, 10.0, 37.2 + i % 10), "E", (37.0, 14.0, 42.0)
        img.save(photos / f"IMG_{i:05d}.jpg", quality=85, exif=exif)
    t = time.perf_counter()
    results = services.ingest_paths(actor, [photos])
    secs = time.perf_counter() - t
    ok = sum(1 for r in results if r.item and not r.failed_steps)
    print(f"photos ({count:,} JPEG 1024×768 with EXIF): {count / secs:.1f}/s with EXIF, thumbnail and pHash "
          f"({ok:,} complete) (target ≥ 50/s)", flush=True)


def video_part(count: int, frames: int = 60) -> None:
    import numpy as np

    from vestige.media.video import VideoIndex

    rng = np.random.default_rng(1)
    raw = rng.integers(0, 2**63, (count, frames, 3), dtype=np.int64).view(np.uint64)
    # a tenth of the videos are re-encodes of another: each frame's hashes a few bits off
    for v in range(0, count, 10):
        flips = np.uint64(1) << rng.integers(0, 64, (frames, 3)).astype(np.uint64)
        raw[v + 1] = raw[v] ^ flips
    t = time.perf_counter()
    index = VideoIndex.build({v: [tuple(int(x) for x in f) for f in raw[v]] for v in range(count)})
    build = time.perf_counter() - t
    index.query([tuple(int(x) for x in f) for f in raw[0]])  # the columns, once
    times, found = [], 0
    for v in range(0, 250, 10):
        q = [tuple(int(x) for x in f) for f in raw[v]]
        t = time.perf_counter()
        hits = index.query(q, exclude=v)
        times.append((time.perf_counter() - t) * 1000)
        found += any(pk == v + 1 for pk, _s, _m in hits)
    print(f"video near-duplicate query over {count:,} videos ({count * frames:,} frames, 3 hashes each): "
          f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms (target ≤ 100 ms); "
          f"{found}/{len(times)} re-encodes found; index built in {build:.1f} s", flush=True)


def query_part(HashIndex) -> None:  # noqa: N803 - the class, imported after Django is set up
    import numpy as np

    hashes = np.random.default_rng(0).integers(0, 2**63, 1_000_000, dtype=np.int64).view(np.uint64)
    index = HashIndex(np.arange(1_000_000), hashes)
    times = []
    for q in hashes[:25]:
        t = time.perf_counter()
        index.query(int(q), 10, 20)
        times.append((time.perf_counter() - t) * 1000)
    print(f"near-duplicate query over 1,000,000 hashes: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms (target ≤ 50 ms)")


def witnesses_part(work, actor, services, n: int) -> None:
    import io
    import re
    import sys

    from django.conf import settings

    from vestige.evidence import witnessing
    from vestige.evidence.models import HeadCosignature, TreeHeadRecord

    cli = [sys.executable, "-c", "from vestige.cli import run; run()"]
    blobs = [os.urandom(256 * 1024) for _ in range(n)]

    def intake(tag: str) -> float:
        t = time.perf_counter()
        for i, data in enumerate(blobs):
            services.ingest(actor, io.BytesIO(tag.encode() + data), f"{tag}-{i}.bin")
        return time.perf_counter() - t

    intake("warm-up")
    off = intake("off")
    log_vkey = witnessing.log_key().vkey()
    procs, entries = [], []
    for k in (1, 2):
        key, state = work / f"w{k}.key", work / f"w{k}.json"
        name = f"witness{k}.bench/w"
        vkey = subprocess.run([*cli, "witness", "key", "--name", name, "--key", str(key)], capture_output=True,
                              text=True, check=True).stdout.strip()
        proc = subprocess.Popen([*cli, "witness", "serve", "--name", name, "--key", str(key), "--state", str(state),
                                 "--log", log_vkey, "--port", "0", "--quiet"], stderr=subprocess.PIPE, text=True)
        url = re.search(r"http://\S+/add-checkpoint", proc.stderr.readline()).group(0)
        procs.append(proc)
        entries.append(f"{url} {vkey}")
    settings.VESTIGE_WITNESSES = os.environ["VESTIGE_WITNESSES"] = "\n".join(entries)
    settings.VESTIGE_WITNESS_QUORUM = 2
    worker = subprocess.Popen([*cli, "worker", "--quiet", "--interval", "0.2"], env=dict(os.environ))
    try:
        on = intake("on")
        newest = TreeHeadRecord.objects.order_by("-number").first()
        deadline = time.monotonic() + 120
        while HeadCosignature.objects.filter(head__size__gte=newest.size).count() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        witnessed = HeadCosignature.objects.filter(head__size__gte=newest.size).count()
        heads = HeadCosignature.objects.values("head").distinct().count()
    finally:
        worker.terminate()
        for p in procs:
            p.terminate()
            p.wait()
            p.stderr.close()
        worker.wait()
    print(f"intake of {n} files of 256 KB, one head each: {n / off:.1f}/s without witnesses, {n / on:.1f}/s with two "
          f"witnesses and a worker sending heads = {100 * off / on:.0f} % (target ≥ 90 %); the newest head cosigned by "
          f"{witnessed} of 2, {heads} heads cosigned in all (the worker sends the newest head each time)", flush=True)


if __name__ == "__main__":
    main()
