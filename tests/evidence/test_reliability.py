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


def _job(home: Path):
    db = sqlite3.connect(home / "vestige.sqlite3")
    try:
        return db.execute("SELECT j.id, j.status, j.message, j.progress, t.status FROM evidence_evidencejob j "
                          "LEFT JOIN django_tasks_database_dbtaskresult t ON t.id = replace(j.task_id, '-', '') ORDER BY j.id DESC").fetchall()
    finally:
        db.close()


def test_a_worker_killed_during_a_large_intake_leaves_a_failed_job_that_a_retry_completes(home, tmp_path):
    """The upload is staged and queued as the web page does it; a real `vestige worker` process
    takes it and is killed -9 mid-intake; the next worker finds the job dead and fails it with
    the reason; "start it again" completes it from the staged file, once."""
    big = tmp_path / "upload.tmp"  # 300 MB in the suite; VESTIGE_KILL_TEST_MB=1024 for the 1 GB
    with big.open("wb") as f:
        for _ in range(int(os.environ.get("VESTIGE_KILL_TEST_MB", "300")) // 50):
            f.write(os.urandom(50 * 1024 * 1024))
    env = {**_env(home), "VESTIGE_HEARTBEAT_S": "1", "VESTIGE_RUN_STALE_S": "3"}
    stage = ("from vestige.accounts.models import User; from vestige.evidence import jobs; "
             f"print(jobs.start_ingest(User.objects.get(username='inv'), {str(big)!r}, 'video.bin', "
             "provenance={'source': 'a witness'}, links={}, case=None, graphic=False).pk)")
    r = subprocess.run([sys.executable, "-m", "vestige.cli", "manage", "shell", "-c", stage], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not big.exists() and _job(home)[0][1] == "queued"
    worker = subprocess.Popen([sys.executable, "-m", "vestige.cli", "worker", "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _job(home)[0][1] != "running":
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    job = _job(home)[0]
    assert job[1] == "running" and job[4] == "RUNNING"  # what a killed worker leaves: nobody says it died
    items, blobs = _rows(home)
    assert len(items) <= 1
    for sha in blobs:  # every blob row is a whole blob, under its own hash
        assert (home / "blobs" / "sha256" / sha[7:9] / sha[9:11] / sha[7:]).exists()
    time.sleep(3.5)
    nxt = subprocess.run([sys.executable, "-m", "vestige.cli", "worker", "--batch", "--quiet"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert nxt.returncode == 0, nxt.stderr
    job = _job(home)[0]
    assert job[1] == "failed" and "no sign of life" in job[2] and job[4] == "FAILED", job
    again = ("from vestige.accounts.models import User; from vestige.evidence import jobs; "
             "from vestige.evidence.models import EvidenceJob; "
             f"print(jobs.retry(User.objects.get(username='inv'), EvidenceJob.objects.get(pk={job[0]})).pk)")
    r = subprocess.run([sys.executable, "-m", "vestige.cli", "manage", "shell", "-c", again], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nxt = subprocess.run([sys.executable, "-m", "vestige.cli", "worker", "--batch", "--quiet"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert nxt.returncode == 0, nxt.stderr
    done = _job(home)[0]
    assert done[1] == "done" and done[4] == "SUCCESSFUL", done
    items, _ = _rows(home)
    assert len(items) == 1
    assert not any((home / "staged").iterdir())
    check = _vestige(home, "evidence", "verify", "--all", "--as", "inv")
    assert check.returncode == 0 and check.stdout.startswith("OK"), check.stdout + check.stderr
