"""CLI for users and tokens; settings refuse unsafe production configuration."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from vestige.accounts.models import ApiToken, User
from vestige.cli import main


def test_user_and_token_lifecycle_from_the_cli(db, capsys, monkeypatch, client):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["user", "create", "field1", "--role", "investigator", "--password-stdin"]) == 0
    assert User.objects.get(username="field1").role == "investigator"
    assert main(["user", "create", "x", "--role", "wizard"]) == 2
    assert "Unknown role 'wizard'" in capsys.readouterr().err
    assert main(["token", "create", "--name", "laptop", "--as", "field1", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {created['token']}").status_code == 200
    assert main(["token", "list", "--as", "field1"]) == 0
    listed = capsys.readouterr().out
    assert "laptop" in listed and created["token"] not in listed  # only the prefix is ever shown again
    assert main(["token", "revoke", str(created["id"]), "--as", "field1"]) == 0
    assert not ApiToken.objects.get(pk=created["id"]).active
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {created['token']}").status_code == 401
    assert main(["token", "revoke", "999", "--as", "field1"]) == 3
    assert main(["token", "list", "--as", "nobody"]) == 3


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='vestige.settings'; django.setup(); print('ok')"
    full = {k: v for k, v in os.environ.items() if not k.startswith("VESTIGE_")} | env
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)


def test_production_refuses_the_development_secret(tmp_path):
    r = _settings_in_subprocess({"VESTIGE_PRODUCTION": "1", "VESTIGE_HOME": str(tmp_path)})
    assert r.returncode != 0 and "VESTIGE_SECRET_KEY" in r.stderr
    for weak in (" " * 40, "k" * 50, "ab" * 30, "short-but-random-Zq8", " padded-" + "x1y2z3w4v5u6" * 3):
        r = _settings_in_subprocess({"VESTIGE_PRODUCTION": "1", "VESTIGE_HOME": str(tmp_path),
                                     "VESTIGE_SECRET_KEY": weak})
        assert r.returncode != 0 and "VESTIGE_SECRET_KEY" in r.stderr, weak
    import secrets
    r = _settings_in_subprocess({"VESTIGE_PRODUCTION": "1", "VESTIGE_HOME": str(tmp_path),
                                 "VESTIGE_SECRET_KEY": secrets.token_urlsafe(50)})
    assert r.returncode == 0 and r.stdout.strip() == "ok"


def test_bad_setting_values_are_named(tmp_path):
    r = _settings_in_subprocess({"VESTIGE_PAGE_SIZE": "many", "VESTIGE_HOME": str(tmp_path)})
    assert r.returncode != 0 and "VESTIGE_PAGE_SIZE='many' is not an integer" in r.stderr


def test_sqlite_runs_in_wal_mode(db):
    from django.db import connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode")
        mode = c.fetchone()[0]
    # The in-memory test database cannot use WAL; the setting is what we can check here.
    assert mode in ("wal", "memory")
    assert "journal_mode=WAL" in connection.settings_dict["OPTIONS"]["init_command"]


# --- issue 24, part 8: the task worker beside the server ---------------------------------------

def test_the_worker_ignores_a_stray_module_in_the_current_folder(tmp_path):
    """A `concurrent.py` in the folder `vestige serve` was started from killed its worker at import
    (the folder was first on sys.path): the worker is started with -P."""
    import subprocess
    import sys

    from vestige.cli import WORKER_COMMAND

    (tmp_path / "concurrent.py").write_text("raise SystemExit('the stray module was imported')\n")
    assert "-P" in WORKER_COMMAND
    probe = [WORKER_COMMAND[0], "-P", "-c", "import concurrent.futures, vestige.cli; print('ok')"]
    done = subprocess.run(probe, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    bare = subprocess.run([sys.executable, "-c", "import concurrent.futures"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert bare.returncode != 0  # without -P the stray module wins: the failure the issue saw


def test_a_dead_worker_is_restarted_with_back_off(capsys):
    import sys

    from vestige.cli import WorkerSupervisor

    sup = WorkerSupervisor(1, [sys.executable, "-c", "import sys; sys.exit(3)"], max_backoff=0.0)
    sup.backoff = [0.0]
    sup.start()
    try:
        for _ in range(3):
            sup.procs[0].wait(timeout=60)
            sup.check()  # notes the death and, its back-off passed, starts it again
        assert sup.restarts == 3
        assert "exited with status 3; restarting" in capsys.readouterr().err
        sup.procs[0].wait(timeout=60)
        sup.stopping = True
        sup.check()
        assert sup.restarts == 3  # never restarted once stopping
    finally:
        sup.stop()
