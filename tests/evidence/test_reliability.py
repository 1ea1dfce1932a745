"""Killing an ingest at any moment leaves no half item and no unreferenced blob counted as
evidence; re-running completes it; two concurrent ingests of one file give one item.
Real subprocesses of the `vestige` command against a real SQLite file."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VESTIGE_", "DJANGO_", "DATABASE_URL"))}
    env["VESTIGE_HOME"] = str(home)
    return env


def _vestige(home: Path, *args, **kw):
    return subprocess.run([sys.executable, "-m", "vestige.cli", *args], env=_env(home), capture_output=True, text=True, **kw)


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "vestige-home"  # its own home, not the suite's
    h.mkdir()
    assert _vestige(h, "manage", "migrate", "-v0").returncode == 0
    r = subprocess.run([sys.executable, "-m", "vestige.cli", "user", "create", "inv", "--role", "investigator",
                        "--password-stdin"], input="a long password 123\n", env=_env(h), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return h


def _rows(home: Path):
    db = sqlite3.connect(home / "vestige.sqlite3")
    try:
        items = db.execute("SELECT i.ref, b.sha256 FROM evidence_evidenceitem i JOIN evidence_blob b ON b.id = i.blob_id "
                           "WHERE i.derived_from_id IS NULL").fetchall()
        blobs = db.execute("SELECT sha256 FROM evidence_blob").fetchall()
    finally:
        db.close()
    return items, [b[0] for b in blobs]


def test_sigkill_at_any_moment_then_rerun(home, tmp_path):
    big = tmp_path / "video.bin"
    big.write_bytes(os.urandom(60 * 1024 * 1024))  # long enough to be killed mid-copy
    rng = random.Random(4)
    for _trial in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "vestige.cli", "evidence", "ingest", str(big), "--as", "inv"],
                                env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        items, blobs = _rows(home)
        # Every row points at a complete blob; no half blob sits under a final name.
        for sha in blobs:
            p = home / "blobs" / "sha256" / sha[7:9] / sha[9:11] / sha[7:]
            assert p.exists()
        for p in (home / "blobs" / "sha256").rglob("*") if (home / "blobs" / "sha256").exists() else []:
            if p.is_file():
                import hashlib
                assert "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() == f"sha256:{p.name}"
        assert len(items) <= 1
    done = _vestige(home, "evidence", "ingest", str(big), "--as", "inv")
    assert done.returncode == 0, done.stderr
    items, _ = _rows(home)
    assert len(items) == 1
    check = _vestige(home, "evidence", "verify", "--all", "--as", "inv")
    assert check.returncode == 0 and check.stdout.startswith("OK"), check.stdout + check.stderr


def test_two_concurrent_ingests_of_one_file_give_one_item(home, tmp_path):
    f = tmp_path / "same.bin"
    f.write_bytes(os.urandom(8 * 1024 * 1024))
    procs = [subprocess.Popen([sys.executable, "-m", "vestige.cli", "evidence", "ingest", str(f), "--source", f"s{i}",
                               "--as", "inv"], env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    items, _ = _rows(home)
    assert len(items) == 1
    db = sqlite3.connect(home / "vestige.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM evidence_provenance").fetchone()[0] == 2
    db.close()
