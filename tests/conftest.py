"""Shared fixtures: one user per role, a small registry built through the services, clients.

Records are created through the service layer (never ``objects.create``) so that fixtures obey
the same rules and history as users do.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from vestige.accounts.roles import Role

os.environ.setdefault("VESTIGE_HOME", "/tmp/vestige-test-home")

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, settings):
    # Fast hashing in tests only: the real hasher costs ~0.3 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VESTIGE_HOME = tmp_path / "home"
    settings.VESTIGE_HOME.mkdir()
    from django.core.cache import cache

    cache.clear()  # a rolled-back test's ids come back in the next one: no figures cached across tests
    yield
    # A request in Ukrainian leaves the language active in this thread (LocaleMiddleware does not
    # reset it); the next test starts in the default language, as a new request would.
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    # A task worker run in the test process (django-tasks' db_worker) installs its SIGINT/SIGTERM/
    # SIGQUIT handlers and leaves them; a process forked by a later test would inherit them and
    # ignore the SIGTERM that ends it (a multiprocessing pool's terminate then waits forever).
    import signal

    names = [n for n in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, n)]
    before = {n: signal.getsignal(getattr(signal, n)) for n in names}
    yield
    for n, handler in before.items():
        if signal.getsignal(getattr(signal, n)) is not handler and handler is not None:
            signal.signal(getattr(signal, n), handler)


@pytest.fixture
def make_user(db):
    from vestige.accounts.services import create_user

    def make(role: str, username: str | None = None):
        return create_user(username or f"u-{role}", PASSWORD, role)

    return make


@pytest.fixture
def users(make_user):
    """One user per role, keyed by role value."""
    return {role: make_user(role) for role in Role.values}


@pytest.fixture
def admin(users):
    return users[Role.ADMINISTRATOR]


@pytest.fixture
def examiner(users):
    return users[Role.FORENSIC_EXAMINER]


@pytest.fixture
def site(admin):
    from vestige.registry import services
    from vestige.registry.models import Site

    return services.create(admin, Site, {
        "ref": "TST-SITE", "name": "Test burial site", "kind": "burial_site",
        "geometry": {"type": "Polygon", "coordinates": [[[37.0, 49.0], [37.01, 49.0], [37.01, 49.01], [37.0, 49.01], [37.0, 49.0]]]},
        "discovered_on": dt.date(2022, 9, 15),
    })


@pytest.fixture
def other_site(admin):
    from vestige.registry import services
    from vestige.registry.models import Site

    return services.create(admin, Site, {
        "ref": "TST-OTHER", "name": "Other site", "kind": "mass_grave",
        "geometry": {"type": "Point", "coordinates": [30.21, 50.54]},
    })


@pytest.fixture
def grave(admin, site):
    from vestige.registry import services
    from vestige.registry.models import Grave

    return services.create(admin, Grave, {"site": site, "label": "319", "marker_type": "wooden_cross",
                                          "latitude": 49.005, "longitude": 37.005, "expected_occupants": 1})


@pytest.fixture
def exhumation(admin, site):
    from vestige.registry import services
    from vestige.registry.models import Exhumation

    return services.create(admin, Exhumation, {
        "reference": "EXH-TST-1", "site": site, "team": "Team A", "authority": "Prosecutor",
        "started_on": dt.date(2022, 9, 16), "ended_on": dt.date(2022, 9, 23)})


@pytest.fixture
def remains(admin, site, grave, exhumation):
    from vestige.registry import services
    from vestige.registry.models import Remains

    return services.create(admin, Remains, {
        "body_number": "TST-0001", "site": site, "grave": grave, "exhumation": exhumation,
        "sex": "female", "age_min": 30, "age_max": 45, "stature_min_cm": 155, "stature_max_cm": 165,
        "injuries": ["gunshot"], "torture_signs": ["bound_hands"], "category": "civilian"})


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user


@pytest.fixture
def api_token():
    from vestige.accounts.services import create_token

    def make(user):
        return create_token(user, "test")[1]
    return make
