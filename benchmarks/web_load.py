"""Load on the production web server: `vestige serve --production` (gunicorn) over 100,000 graves
and 100,000 remains, 16 connections for 20 s per page over loopback, from wrk when it is installed
(`make wrk`: Debian's) or else a bounded Python client (one thread and one keep-alive connection
per client, which takes a good share of the two cores from the server).

Prints requests/s, p50 and p99 for: the dashboard, a filtered remains list, `/api/remains`.
Target (issue 12): ≥ 100 requests/s with p99 ≤ 500 ms each, on SQLite and on PostgreSQL.

    python benchmarks/web_load.py [--postgres] [--remains 100000] [--seconds 20] [--connections 16]

The client shares this machine's two cores with the server, so the figures are a floor.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import registry_pages  # noqa: E402  (the same data as the in-process page benchmark)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(port: int, path: str, headers: dict, seconds: float, connections: int) -> tuple[float, float, float, int]:
    stop = time.perf_counter() + seconds
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - t) * 1000)
        conn.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    times.sort()
    p99 = times[int(round(0.99 * (len(times) - 1)))] if times else float("nan")
    return len(times) / wall, statistics.median(times) if times else float("nan"), p99, errors[0]


def load_wrk(port: int, path: str, headers: dict, seconds: float, connections: int) -> tuple[float, float, float, int]:
    """The same measure from wrk (C, 2 threads): requests/s, p50 and p99 in ms, failed responses."""
    import re

    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "--timeout", "10s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errs:
        errors += sum(int(x) for x in errs.groups())
    return rps, ms("50"), ms("99"), errors


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--graves", type=int, default=100_000)
    p.add_argument("--remains", type=int, default=100_000)
    p.add_argument("--sites", type=int, default=20)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--python-client", action="store_true", help="the Python client even where wrk is installed")
    args = p.parse_args()
    registry_pages.setup_env(args)
    t = time.perf_counter()
    admin = registry_pages.fill(args)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    print(f"database: {connection.vendor}; filled {args.graves:,} graves and {args.remains:,} remains in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    from vestige.accounts.services import create_token

    c = Client()
    c.force_login(admin)
    session = c.cookies[settings.SESSION_COOKIE_NAME].value
    _, token = create_token(admin, "load")
    connection.close()
    port = _port()
    env = {**os.environ}
    server = subprocess.Popen([sys.executable, "-m", "vestige.cli", "serve", "--production", "--port", str(port),
                               "--task-workers", "0"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
        cases = [("dashboard", "/", cookie),
                 ("remains list, filtered", "/remains/?site=S-007&sex=female&torture=no&sort=-age_min&page=3", cookie),
                 ("API /api/remains (filtered, 50)", "/api/remains?sex=male&status=identified&limit=50&offset=500",
                  {"Authorization": f"Bearer {token}"})]
        workers = settings.VESTIGE_WEB_WORKERS
        import shutil

        measure = load_wrk if shutil.which("wrk") and not args.python_client else load
        print(f"gunicorn {workers} workers × {settings.VESTIGE_WEB_THREADS} threads; {args.connections} connections, "
              f"{args.seconds:.0f} s each, load from {'wrk' if measure is load_wrk else 'the Python client'}; "
              f"load average before: {os.getloadavg()[0]:.2f}")
        print(f"{'page':<34}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}   target ≥ 100 req/s, p99 ≤ 500 ms")
        for label, path, headers in cases:
            load(port, path, headers, 2, 4)  # warm-up
            rps, p50, p99, errors = measure(port, path, headers, args.seconds, args.connections)
            verdict = "meets" if rps >= 100 and p99 <= 500 and not errors else "MISSES"
            print(f"{label:<34}{rps:>8.1f}{p50:>9.1f}{p99:>9.1f}{errors:>8}   {verdict}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
