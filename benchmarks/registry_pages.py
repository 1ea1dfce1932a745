"""Server time of the registry's busiest pages over 100,000 graves and 100,000 remains.

Prints p50/p95 (ms) for: a filtered, paginated remains list; a site detail page; the dashboard;
the API list endpoint. Target (issue 2): p95 ≤ 300 ms each, on SQLite and on PostgreSQL.

    python benchmarks/registry_pages.py                 # SQLite in a temporary folder
    python benchmarks/registry_pages.py --postgres      # PostgreSQL at 127.0.0.1:5432 (db vestige_bench)
    python benchmarks/registry_pages.py --graves 20000  # smaller

The data are filled with bulk inserts (this measures reading, not the write path); the requests
go through Django's full middleware stack in-process, timed from request to response.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--graves", type=int, default=100_000)
    p.add_argument("--remains", type=int, default=100_000)
    p.add_argument("--sites", type=int, default=20)
    p.add_argument("--repeat", type=int, default=40)
    return p.parse_args()


def setup_env(args):
    if args.postgres:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS vestige_bench")
            c.execute("CREATE DATABASE vestige_bench")
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/vestige_bench"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["VESTIGE_HOME"] = tempfile.mkdtemp(prefix="vestige-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "vestige.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(args):
    from vestige.accounts.services import create_user
    from vestige.registry.models import Grave, Remains, Site

    rng = random.Random(1)
    admin = create_user("bench-admin", "bench-password-123", "administrator")
    sites = Site.objects.bulk_create([
        Site(ref=f"S-{i:03d}", name=f"Site {i}", kind="mass_grave",
             geometry={"type": "Point", "coordinates": [30 + i * 0.1, 48 + i * 0.05]},
             latitude=48 + i * 0.05, longitude=30 + i * 0.1)
        for i in range(args.sites)
    ])
    per_site = args.graves // args.sites
    graves = []
    for s in sites:
        for n in range(1, per_site + 1):
            graves.append(Grave(site=s, label=str(n), label_number=n, marker_type="wooden_cross",
                                latitude=s.latitude + (n // 100) * 1e-4, longitude=s.longitude + (n % 100) * 1e-4,
                                expected_occupants=1, status="exhumed" if n % 3 else "recorded"))
    graves = Grave.objects.bulk_create(graves, batch_size=5000)
    remains = []
    for i in range(args.remains):
        g = graves[i % len(graves)]
        child = rng.random() < 0.02
        age = rng.randint(2, 12) if child else rng.randint(18, 85)
        remains.append(Remains(
            body_number=f"B-{i:07d}", site_id=g.site_id, grave=g,
            sex=rng.choice(("female", "male", "undetermined")), age_min=age, age_max=age + 5,
            stature_min_cm=150, stature_max_cm=170,
            injuries=rng.choice(([], ["gunshot"], ["blast", "shrapnel"])),
            torture_signs=["bound_hands"] if rng.random() < 0.05 else [],
            category=rng.choice(("civilian", "civilian", "serviceman")),
            status=rng.choice(("unidentified", "unidentified", "identified"))))
    Remains.objects.bulk_create(remains, batch_size=5000)
    from django.db import connection
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    return admin


def measure(client, url, repeat, **headers):
    times = []
    for i in range(repeat + 3):
        t = time.perf_counter()
        r = client.get(url, **headers)
        if hasattr(r, "streaming_content"):
            b"".join(r.streaming_content)
        elapsed = (time.perf_counter() - t) * 1000
        if r.status_code != 200:
            sys.exit(f"{url}: HTTP {r.status_code}")
        if i >= 3:  # warm-up excluded
            times.append(elapsed)
    times.sort()
    return statistics.median(times), times[int(round(0.95 * (len(times) - 1)))]


def main():
    args = parse()
    setup_env(args)
    from django.db import connection
    from django.test import Client

    t = time.perf_counter()
    admin = fill(args)
    print(f"database: {connection.vendor}; filled {args.graves:,} graves and {args.remains:,} remains "
          f"in {time.perf_counter() - t:.1f} s", flush=True)
    from vestige.accounts.services import create_token

    client = Client()
    client.force_login(admin)
    _, token = create_token(admin, "bench")
    cases = [
        ("remains list, filtered + paginated", "/remains/?site=S-007&sex=female&torture=no&sort=-age_min&page=3"),
        ("remains list, search", "/remains/?q=B-00123"),
        ("site detail", "/sites/S-007/"),
        ("dashboard", "/"),
        ("API list /api/remains (filtered, 50)", "/api/remains?sex=male&status=identified&limit=50&offset=500"),
    ]
    print(f"{'page':<42}{'p50 ms':>9}{'p95 ms':>9}   target p95 ≤ 300 ms")
    worst = 0.0
    for label, url in cases:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if url.startswith("/api/") else {}
        c = Client() if headers else client
        p50, p95 = measure(c, url, args.repeat, **headers)
        worst = max(worst, p95)
        print(f"{label:<42}{p50:>9.1f}{p95:>9.1f}", flush=True)
    print(f"worst p95: {worst:.1f} ms ({'meets' if worst <= 300 else 'MISSES'} the 300 ms target)")


if __name__ == "__main__":
    main()
