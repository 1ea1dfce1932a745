"""Trusted time: kept tree heads timestamped by a real RFC 3161 TSA (OpenSSL's, on 127.0.0.1),
the tokens re-verified with the ledger, carried in bags and checked by the bag's verify.py —
with rfc3161-client, and with OpenSSL when that package is absent."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import pytest
from django.core.management import call_command  # noqa: F401  (keeps Django's import order)

from tests.evidence.test_evidence import _photo
from tests.tsa import LocalTSA
from vestige.evidence import bag, custody, ledger_check, services, timestamps
from vestige.evidence.models import HeadTimestamp


@pytest.fixture
def tsa(settings, tmp_path):
    with LocalTSA() as t:
        roots = tmp_path / "tsa-roots.pem"
        roots.write_bytes(t.root_pem)
        settings.VESTIGE_TSA_URLS = [t.url]
        settings.VESTIGE_TSA_ROOTS = str(roots)
        timestamps._down_until.clear()
        yield t


@pytest.fixture
def item(users):
    return services.ingest(users["investigator"], io.BytesIO(_photo()), "IMG_1.JPG").item


def test_a_kept_head_is_stamped_and_the_token_verifies_with_the_ledger(tsa, item):
    head = custody.keep_head()
    [(url, row, error)] = timestamps.stamp(head)
    assert url == tsa.url and error == "" and row.head == head
    t = dt.datetime.fromisoformat(row.time.replace("Z", "+00:00"))
    assert abs(t - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert "CN=Vestige test TSA" in row.tsa_name
    assert ledger_check.check_ledger().problems == []
    assert timestamps.stamp(head)[0][1] == row and tsa.requests == 1  # stamped once per TSA


def test_heads_are_stamped_as_they_are_kept(tsa, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest(users["investigator"], io.BytesIO(_photo(seed=3)), "IMG_3.JPG")
    newest = custody.keep_head()
    assert newest.timestamps.exists()


def test_an_interval_spares_the_tsa_during_bursts(tsa, users, settings, django_capture_on_commit_callbacks):
    settings.VESTIGE_TSA_INTERVAL_S = 3600
    with django_capture_on_commit_callbacks(execute=True):
        for seed in range(3):
            services.ingest(users["investigator"], io.BytesIO(_photo(seed=10 + seed)), f"IMG_{seed}.JPG")
    assert HeadTimestamp.objects.count() == 1


def test_an_altered_token_or_another_root_is_named(tsa, item, settings, tmp_path):
    head = custody.keep_head()
    timestamps.stamp(head)
    row = HeadTimestamp.objects.get()
    token = bytearray(row.token)
    token[-40] ^= 0xFF  # inside the TSA's signature
    HeadTimestamp.objects.filter(pk=row.pk).update(token=bytes(token))
    [problem] = ledger_check.check_ledger().problems
    assert problem.startswith(f"tree head {head.number}: timestamp from {tsa.url}:")
    HeadTimestamp.objects.filter(pk=row.pk).update(token=row.token)
    assert ledger_check.check_ledger().problems == []

    other = tmp_path / "other.pem"
    other.write_bytes(LocalTSA("Another TSA").root_pem)
    settings.VESTIGE_TSA_ROOTS = str(other)
    [problem] = ledger_check.check_ledger().problems
    assert "does not verify against the trusted TSA roots" in problem


def test_a_tsa_time_before_the_heads_own_time_is_named(tsa, item, settings):
    timestamps.stamp(custody.keep_head())
    settings.VESTIGE_TSA_MAX_SKEW_S = -3600  # as if the TSA had seen the head an hour before its own time
    [problem] = ledger_check.check_ledger().problems
    assert "before the head's own time" in problem


def test_a_tsa_that_is_down_loses_nothing_and_is_retried(tsa, item, users, django_capture_on_commit_callbacks):
    tsa.fail = True
    with django_capture_on_commit_callbacks(execute=True):
        second = services.ingest(users["investigator"], io.BytesIO(_photo(seed=5)), "IMG_5.JPG")
    assert second.created and HeadTimestamp.objects.count() == 0  # the evidence is in, the stamp is not
    [(_url, row, error)] = timestamps.stamp(custody.keep_head(), force=False)
    assert row is None and error.startswith("skipped")
    tsa.fail = False
    [(_url, row, error)] = timestamps.stamp(custody.keep_head())
    assert row is not None and error == ""


def test_without_roots_no_token_is_asked_for(tsa, item, settings):
    settings.VESTIGE_TSA_ROOTS = ""
    from vestige.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="VESTIGE_TSA_ROOTS is not set"):
        timestamps.stamp(custody.keep_head())
    assert tsa.requests == 0


def _run_verify(out, *args, env=None):
    return subprocess.run([sys.executable, str(out / "data" / "verify.py"), str(out), *args],
                          capture_output=True, text=True, env=env)


def test_a_bag_carries_the_heads_timestamp_and_its_verify_py_checks_it(tsa, item, users, tmp_path):
    out = bag.export(users["administrator"], [item], tmp_path / "bag")
    assert "Vestige-Timestamps: 1" in (out / "bag-info.txt").read_text()
    run = _run_verify(out)
    assert run.returncode == 0, run.stdout
    assert "NOTE data/custody/timestamps/1.tsr: head" in run.stdout and "existed no later than" in run.stdout
    assert "TSA roots tsa-roots.pem: SHA-256" in run.stdout

    other = tmp_path / "other.pem"
    other.write_bytes(LocalTSA("Another TSA").root_pem)
    run = _run_verify(out, "--tsa-roots", str(other))
    assert run.returncode == 1 and "FAIL data/custody/timestamps/1.tsr: the timestamp does not verify" in run.stdout


def test_verify_py_falls_back_to_openssl(tsa, item, users, tmp_path):
    out = bag.export(users["administrator"], [item], tmp_path / "bag")
    blocker = tmp_path / "no-rfc3161" / "rfc3161_client"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('hidden for this test')\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(blocker.parent)}
    run = _run_verify(out, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "existed no later than" in run.stdout and "GMT" in run.stdout  # OpenSSL's own date format
    other = tmp_path / "other.pem"
    other.write_bytes(LocalTSA("Another TSA").root_pem)
    run = _run_verify(out, "--tsa-roots", str(other), env=env)
    assert run.returncode == 1 and "OpenSSL" in run.stdout


def test_a_bag_whose_timestamped_head_was_swapped_fails(tsa, item, users, tmp_path):
    out = bag.export(users["administrator"], [item], tmp_path / "bag")
    stamped = out / "data" / "custody" / "timestamps" / "tree-head.json"
    stamped.chmod(0o644)
    stamped.write_bytes(stamped.read_bytes().replace(b'"number":', b'"number": '))
    run = _run_verify(out)
    assert run.returncode == 1
    assert "not the exact bytes of data/custody/tree-head.json" in run.stdout


def test_the_timestamp_command(tsa, item, capsys):
    from vestige.cli import main

    assert main(["evidence", "timestamp"]) == 0
    assert "CN=Vestige test TSA" in capsys.readouterr().out
    tsa.fail = True
    custody.append("viewed", item, "tester")
    custody.keep_head()
    assert main(["evidence", "timestamp"]) == 6
    assert "Internal Server Error" in capsys.readouterr().err
