"""Issue 11, encryption keys: ciphertexts bound to their record (a swap fails), rotation with
MultiFernet, production refusing the key beside the database, private files, crash leftovers."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time

import pytest
from cryptography.fernet import Fernet

from vestige import crypto, keys
from vestige.errors import ConfigurationError, IntegrityFailure, PermissionDenied
from vestige.missing import services as missing
from vestige.missing.models import Donor, ReferenceProfile


@pytest.fixture(autouse=True)
def _fresh_keys(monkeypatch):
    for name in ("VESTIGE_FIELD_KEYS", "VESTIGE_FIELD_KEY", "VESTIGE_FIELD_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    crypto._keys.cache_clear()
    yield
    crypto._keys.cache_clear()


@pytest.fixture
def two_donors(users):
    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Synthetic family")
    out = []
    for code, allele in (("D1", "15"), ("D2", "18")):
        d = missing.add_donor(liaison, fam, code, sex="female", consent_on=dt.date(2024, 1, 1), contact=f"{code}@x.invalid")
        missing.add_reference_profile(users["dna_analyst"], d, {"D3S1358": (allele, allele)}, lab="L", kit="K")
        out.append(d)
    return out


def test_swapped_profiles_fail_to_decrypt(users, two_donors):
    a, b = two_donors
    pa, pb = ReferenceProfile.objects.get(donor=a), ReferenceProfile.objects.get(donor=b)
    ReferenceProfile.objects.filter(pk=pa.pk).update(profile_encrypted=pb.profile_encrypted)
    ReferenceProfile.objects.filter(pk=pb.pk).update(profile_encrypted=pa.profile_encrypted)
    with pytest.raises(IntegrityFailure, match="belongs to reference.profile:"):
        missing.read_profile(users["dna_analyst"], ReferenceProfile.objects.get(donor=a).profile_encrypted, a)
    with pytest.raises(IntegrityFailure):
        missing.profiles_for_matching()  # the engine refuses too: it never matches a swapped profile
    Donor.objects.filter(pk=b.pk).update(contact_encrypted=Donor.objects.get(pk=a.pk).contact_encrypted)
    with pytest.raises(IntegrityFailure, match="moved or swapped"):
        missing.read_contact(users["family_liaison"], Donor.objects.get(pk=b.pk))


def test_rotation_re_encrypts_everything_under_a_new_key(users, two_donors, settings):
    a, b = two_donors
    key_file = settings.VESTIGE_HOME / "keys" / "field.key"
    old = key_file.read_text().split()
    assert len(old) == 1
    before = ReferenceProfile.objects.get(donor=a).profile_encrypted
    with pytest.raises(PermissionDenied):
        keys.rotate(users["dna_analyst"])
    counts = keys.rotate(users["administrator"])
    assert counts["missing.ReferenceProfile.profile_encrypted"] == 2 and counts["missing.Donor.contact_encrypted"] == 2
    now = key_file.read_text().split()
    assert len(now) == 2 and now[1] == old[0] and oct(key_file.stat().st_mode & 0o777) == "0o600"
    after = ReferenceProfile.objects.get(donor=a).profile_encrypted
    assert after != before
    # The old key can go: everything reads under the new one alone.
    key_file.write_text(now[0] + "\n")
    assert missing.read_profile(users["dna_analyst"], after, a) == {"D3S1358": ["15", "15"]}
    assert missing.read_contact(users["family_liaison"], Donor.objects.get(pk=b.pk)) == "D2@x.invalid"
    from cryptography.fernet import InvalidToken
    with pytest.raises(InvalidToken):  # the old key no longer opens anything
        Fernet(old[0].encode()).decrypt(after.encode())


def test_rotation_from_the_environment_and_legacy_values_bound(users, two_donors, monkeypatch, settings):
    a, _b = two_donors
    old = (settings.VESTIGE_HOME / "keys" / "field.key").read_text().strip()
    legacy = Fernet(old.encode()).encrypt(b'{"TH01": ["6", "9.3"]}').decode()  # written before binding
    ReferenceProfile.objects.filter(donor=a).update(profile_encrypted=legacy)
    with pytest.raises(IntegrityFailure, match="not bound"):
        missing.read_profile(users["dna_analyst"], legacy, a)
    new = keys.new_field_key()
    monkeypatch.setenv("VESTIGE_FIELD_KEYS", f"{new},{old}")
    with pytest.raises(ConfigurationError, match="reencrypt-only"):
        keys.rotate(users["administrator"])
    keys.rotate(users["administrator"], new_key=False)
    monkeypatch.setenv("VESTIGE_FIELD_KEYS", new)
    row = ReferenceProfile.objects.get(donor=a)
    assert missing.read_profile(users["dna_analyst"], row.profile_encrypted, a) == {"TH01": ["6", "9.3"]}


def test_production_refuses_the_key_beside_the_database(settings, tmp_path, monkeypatch):
    settings.PRODUCTION = True
    with pytest.raises(ConfigurationError, match="development only"):
        crypto.encrypt("x", "k:1")
    inside = settings.VESTIGE_HOME / "keys" / "f.key"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text(Fernet.generate_key().decode())
    monkeypatch.setenv("VESTIGE_FIELD_KEY_FILE", str(inside))
    with pytest.raises(ConfigurationError, match="inside VESTIGE_HOME"):
        crypto.encrypt("x", "k:1")
    outside = tmp_path / "secrets" / "f.key"
    outside.parent.mkdir()
    outside.write_text("not a key")
    monkeypatch.setenv("VESTIGE_FIELD_KEY_FILE", str(outside))
    with pytest.raises(ConfigurationError, match="key 1 is not a Fernet key"):
        crypto.encrypt("x", "k:1")
    outside.write_text(Fernet.generate_key().decode())
    assert crypto.decrypt(crypto.encrypt("x", "k:1"), "k:1") == "x"


def _write_key(args):
    from vestige.ledger import write_secret
    path, n = args
    return write_secret(path, f"key of process {n}".encode())


def test_two_processes_starting_together_end_with_one_key(tmp_path):
    path = str(tmp_path / "keys" / "field.key")
    import signal

    # each process ends on the pool's SIGTERM whatever handler this process has (see conftest)
    with multiprocessing.get_context("fork").Pool(6, initializer=signal.signal,
                                                   initargs=(signal.SIGTERM, signal.SIG_DFL)) as pool:
        got = pool.map(_write_key, [(path, n) for n in range(24)])
    from pathlib import Path
    assert len(set(got)) == 1 and Path(path).read_bytes() == got[0]
    assert not [p for p in os.listdir(tmp_path / "keys") if p.startswith(".tmp")]


def test_files_and_folders_are_private(users, settings, tmp_path):
    crypto.encrypt("x", "k:1")
    assert os.umask(0o077) == 0o077  # set by the settings for the whole process
    key = settings.VESTIGE_HOME / "keys" / "field.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600" and oct(key.parent.stat().st_mode & 0o777) == "0o700"
    import sqlite3
    db = tmp_path / "probe.sqlite3"
    sqlite3.connect(db).execute("create table t (x)").connection.commit()
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_crash_leftovers_are_removed_and_reported(settings, capsys, caplog, db):  # cleanup reads the jobs
    from vestige.cli import main
    from vestige.housekeeping import clean_at_start
    tmp = settings.VESTIGE_HOME / "blobs" / "tmp"
    tmp.mkdir(parents=True)
    old, fresh = tmp / "incoming-abc", tmp / "incoming-def"
    old.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")
    an_hour_ago = time.time() - 2 * 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    with caplog.at_level("WARNING", logger="vestige"):
        clean_at_start()
    assert not old.exists() and fresh.exists()  # an intake still writing keeps its file
    assert "removed 1 temporary file(s)" in caplog.text and "incoming-abc" in caplog.text
    assert main(["evidence", "cleanup", "--max-age", "0"]) == 0
    assert not fresh.exists() and "incoming-def" in capsys.readouterr().out


def test_cleanup_takes_killed_uploads_and_failed_exports(settings, users, capsys):
    """Issue 24: a killed upload left its temporary file in the system's temp folder, and a killed
    export its folder and zip; `evidence cleanup` now finds both (a done export is kept)."""
    from vestige.cli import main
    from vestige.evidence.jobs import exports_dir
    from vestige.evidence.models import EvidenceJob, JobKind, JobStatus

    assert settings.FILE_UPLOAD_TEMP_DIR.endswith("tmp/uploads")  # under the home, not the system's /tmp
    uploads = settings.VESTIGE_HOME / "tmp" / "uploads"
    uploads.mkdir(parents=True)
    stale = uploads / "tmpabc.upload.mp4"
    stale.write_bytes(b"x" * 300)
    two_hours_ago = time.time() - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    admin = users["administrator"]
    failed = EvidenceJob.objects.create(kind=JobKind.EXPORT, requested_by=admin, status=JobStatus.FAILED)
    done = EvidenceJob.objects.create(kind=JobKind.EXPORT, requested_by=admin, status=JobStatus.DONE)
    for job in (failed, done):
        folder = exports_dir() / f"job-{job.pk}"
        (folder / f"vestige-bag-{job.pk}").mkdir(parents=True)
        (folder / f"vestige-bag-{job.pk}.zip").write_bytes(b"PK partial")
    assert main(["evidence", "cleanup"]) == 0
    out = capsys.readouterr().out
    assert not stale.exists() and "tmpabc.upload.mp4" in out
    assert not (exports_dir() / f"job-{failed.pk}").exists() and f"job-{failed.pk}" in out
    assert (exports_dir() / f"job-{done.pk}" / f"vestige-bag-{done.pk}.zip").exists()
