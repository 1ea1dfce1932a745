"""`vestige serve --production` runs gunicorn (not Django's development server): pages and static
files answer over a real socket from several worker processes, and a missing gunicorn is said."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_production_server_serves_pages_and_static_files(tmp_path):
    pytest.importorskip("gunicorn")
    env = {**os.environ, "VESTIGE_HOME": str(tmp_path / "home"), "VESTIGE_WEB_WORKERS": "2"}
    env.pop("DATABASE_URL", None)
    vestige = [sys.executable, "-m", "vestige.cli"]
    subprocess.run([*vestige, "manage", "migrate", "-v0"], env=env, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([*vestige, "serve", "--production", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(base + "/accounts/login/", timeout=5) as page:
            assert page.status == 200 and page.headers["Server"].startswith("gunicorn")
        with urllib.request.urlopen(base + "/static/vestige/vestige.css", timeout=5) as css:
            assert css.status == 200 and "text/css" in css.headers["Content-Type"]
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/static/vestige/no-such-file.css", timeout=5)
        assert e.value.code == 404
        e.value.close()
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "gunicorn, 2 workers" in out and "Booting worker" in out


def test_the_demo_serves_with_the_development_server(db, monkeypatch):
    """`vestige demo` hands its own arguments (no --production) to serve: the development server."""
    import argparse

    from django.core import management

    from vestige import cli

    calls = []
    monkeypatch.setattr(management, "call_command", lambda *a, **k: calls.append(a))
    # no task workers beside it: a supervised `vestige worker` started here would outlive the test and
    # print its restarts into whichever test this process runs next (it did, in CI's log)
    assert cli.cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, task_workers=0)) == 0
    assert calls == [("runserver", "127.0.0.1:8000")]
