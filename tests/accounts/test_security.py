"""Issue 11, authentication and sessions: the admin brute force, the second factor, the
session scan (no decrypted value and no token is stored anywhere), tokens stored hashed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django_otp.oath import totp

from tests.conftest import PASSWORD
from vestige.accounts.models import ApiToken, LoginFailure


def _login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_admin_login_cannot_be_brute_forced(users, settings):
    """The attack: unlimited guesses on /admin/login/ while the account was locked out on the site."""
    admin = users["administrator"]
    attacker = Client()
    for guess in range(settings.LOGIN_MAX_FAILURES):
        assert _login(attacker, admin.username, f"guess {guess}").status_code == 200
    assert LoginFailure.objects.filter(username=admin.username).count() == settings.LOGIN_MAX_FAILURES
    # Locked out now: even the right password is refused on the site...
    assert _login(attacker, admin.username).status_code == 429
    # ...and /admin/login/ checks no password at all: it sends every attempt to the site's login.
    r = attacker.post("/admin/login/", {"username": admin.username, "password": PASSWORD, "next": "/admin/"})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert attacker.get("/admin/").status_code == 302  # not logged in
    assert "_auth_user_id" not in attacker.session
    assert Client().get("/admin/login/").status_code == 302


def _enrol(client, user):
    """Set up an authenticator the way a user does: read the key from the page, type a code."""
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    key = re.search(r'id="otp-key">([A-Z2-7=]+)<', page.content.decode()).group(1)
    import base64
    secret = base64.b32decode(key)
    assert client.post("/accounts/two-factor/", {"code": "000000" if totp(secret) != 0 else "111111"}).status_code == 200
    r = client.post("/accounts/two-factor/", {"code": f"{totp(secret):06d}"})
    assert r.status_code == 302, r.content.decode()[:500]
    return secret


@pytest.mark.parametrize("role", ["administrator", "dna_analyst", "family_liaison", "investigator"])
def test_second_factor_is_required_for_the_roles_that_need_it(users, settings, role):
    settings.VESTIGE_REQUIRE_2FA = True
    user = users[role]
    c = Client()
    r = _login(c, user.username)
    assert r.status_code == 302 and r["Location"] == "/accounts/two-factor/"
    # Logged in by password only: every page sends them to the set-up, the API refuses the session.
    assert c.get("/sites/")["Location"] == "/accounts/two-factor/"
    assert c.get("/api/sites").status_code == 401
    secret = _enrol(c, user)
    assert c.get("/sites/").status_code == 200 and c.get("/api/sites").status_code == 200
    # The next login asks for the code; a wrong code is a recorded failure, the right one lets in.
    c2 = Client()
    r = _login(c2, user.username)
    assert r["Location"] == "/accounts/login/code/"
    assert c2.get("/sites/").status_code == 302 and "_auth_user_id" not in c2.session
    before = LoginFailure.objects.filter(username=user.username).count()
    wrong = (totp(secret, drift=1) + 1) % 1_000_000
    assert "not right" in c2.post("/accounts/login/code/", {"code": f"{wrong:06d}"}).content.decode()
    assert LoginFailure.objects.filter(username=user.username).count() == before + 1
    import time
    time.sleep(1.1)  # django-otp's throttle: one second after the first wrong code
    # A code is good once (django-otp refuses a replay of the step used at enrolment): the next step's
    # code, within the one-step tolerance for clock drift.
    assert c2.post("/accounts/login/code/", {"code": f"{totp(secret, drift=1):06d}"}).status_code == 302
    assert c2.get("/sites/").status_code == 200


def test_second_factor_is_optional_for_other_roles_and_in_the_demo(users, settings):
    settings.VESTIGE_REQUIRE_2FA = True
    c = Client()
    assert _login(c, users["analyst"].username)["Location"] == "/"
    assert c.get("/sites/").status_code == 200
    settings.VESTIGE_REQUIRE_2FA = False
    c = Client()
    assert _login(c, users["dna_analyst"].username)["Location"] == "/"


def test_otp_codes_share_the_login_rate_limit(users, settings):
    settings.VESTIGE_REQUIRE_2FA = True
    user = users["dna_analyst"]
    c = Client()
    _login(c, user.username)
    _enrol(c, user)
    LoginFailure.objects.bulk_create([LoginFailure(username=user.username) for _ in range(settings.LOGIN_MAX_FAILURES)])
    c2 = Client()
    assert _login(c2, user.username).status_code == 429  # locked out: the password is not even tried


def _everything_stored() -> str:
    """Every text value of every table, and the decoded sessions: what someone with the database sees."""
    out = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out += [str(v) for row in cur.fetchall() for v in row]
    out += [str(s.get_decoded()) for s in Session.objects.all()]
    return "\n".join(out)


def test_the_session_scan_finds_no_decrypted_value_and_no_token(users, db):
    from vestige.claims import services as claims
    from vestige.missing import services as missing

    fam = missing.create_family(users["family_liaison"], "Synthetic family", contact="+380 00 SYNTHETIC 1")
    donor = missing.add_donor(users["family_liaison"], fam, "D1", sex="female", consent_on=dt.date(2024, 1, 1),
                              contact="donor-contact@synthetic.invalid")
    missing.add_reference_profile(users["dna_analyst"], donor, {"D3S1358": ("15", "17"), "TH01": ("6", "9.3")},
                                  lab="Synthetic lab", kit="Synthetic kit")
    w = claims.create_witness(users["investigator"], {"code": "W-900"}, {"full_name": "Synthetic Witness Name"})
    c = Client()
    c.force_login(users["administrator"])  # sees everything
    assert "9.3" in c.post(f"/donors/{donor.code}/show/profile/").content.decode()
    shown = c.post(f"/donors/{donor.code}/show/contact/").content.decode()
    assert "donor-contact@synthetic.invalid" in shown
    assert "Synthetic Witness Name" in c.post(f"/witnesses/{w.code}/identity/").content.decode()
    token = re.search(r'id="new-token">(vst_[^<]+)<',
                      c.post("/accounts/tokens/new/", {"name": "scan"}).content.decode()).group(1)
    stored = _everything_stored()
    for secret in ("donor-contact@synthetic.invalid", "+380 00 SYNTHETIC 1", "Synthetic Witness Name", '"9.3"',
                   token, token[10:]):
        assert secret not in stored, secret
    assert ApiToken.objects.get(name="scan").digest.startswith("sha256:")


def test_a_new_token_is_shown_once_and_never_stored(users):
    c = Client()
    c.force_login(users["analyst"])
    r = c.post("/accounts/tokens/new/", {"name": "laptop"})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token">(vst_[^<]+)<', r.content.decode()).group(1)
    assert token not in c.get("/accounts/profile/").content.decode()
    assert token not in _everything_stored()


def test_an_administrator_resets_a_lost_authenticator(users, settings, capsys):
    from vestige.accounts import otp
    from vestige.cli import main
    settings.VESTIGE_REQUIRE_2FA = True
    user = users["family_liaison"]
    c = Client()
    _login(c, user.username)
    _enrol(c, user)
    assert otp.device_of(user) is not None
    assert main(["user", "otp-reset", user.username, "--as", users["analyst"].username]) == 4
    assert main(["user", "otp-reset", user.username, "--as", users["administrator"].username]) == 0
    assert otp.device_of(user) is None
    assert _login(Client(), user.username)["Location"] == "/accounts/two-factor/"


# --- issue 24: lock-out without denial of service --------------------------------------------

def _login_from(username, ip, password=PASSWORD, xff=None):
    extra = {"REMOTE_ADDR": ip}
    if xff:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return Client().post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(users, settings):
    admin = users["administrator"]
    for guess in range(settings.LOGIN_MAX_FAILURES):
        _login_from(admin.username, "198.51.100.7", f"guess {guess}")
    assert _login_from(admin.username, "198.51.100.7").status_code == 429  # the guesser's address: refused
    assert _login_from(admin.username, "203.0.113.20").status_code == 302  # the administrator, elsewhere: in


def test_behind_a_trusted_proxy_the_forwarded_address_counts(users, settings):
    settings.VESTIGE_TRUSTED_PROXIES = ["127.0.0.1"]
    user = users["investigator"]
    for guess in range(settings.LOGIN_MAX_FAILURES):
        _login_from(user.username, "127.0.0.1", f"guess {guess}", xff="198.51.100.7")
    assert LoginFailure.objects.filter(ip="198.51.100.7").count() == settings.LOGIN_MAX_FAILURES
    assert _login_from(user.username, "127.0.0.1", xff="198.51.100.7").status_code == 429
    # every client behind the proxy used to be 127.0.0.1 (one address for all): no longer
    assert _login_from(user.username, "127.0.0.1", xff="203.0.113.20").status_code == 302
    # a client that is not the proxy cannot choose its address by the header
    settings.VESTIGE_TRUSTED_PROXIES = []
    for guess in range(4 * settings.LOGIN_MAX_FAILURES):
        _login_from(f"nobody-{guess}", "198.51.100.99", "x", xff=f"192.0.2.{guess}")
    assert _login_from(user.username, "198.51.100.99", xff="192.0.2.250").status_code == 429  # throttled address


def test_a_distributed_guess_needs_the_second_factor_or_an_administrator(users, settings, capsys):
    from vestige.cli import main

    analyst = users["analyst"]
    for k in range(10 * settings.LOGIN_MAX_FAILURES):  # one guess from each of fifty addresses
        _login_from(analyst.username, f"198.51.{k // 200}.{k % 200 + 1}", f"guess {k}")
    assert _login_from(analyst.username, "203.0.113.20").status_code == 429  # no second factor: wait
    assert main(["user", "unlock", analyst.username, "--as", users["administrator"].username]) == 0
    assert "no longer counted" in capsys.readouterr().out
    assert _login_from(analyst.username, "203.0.113.20").status_code == 302
    assert LoginFailure.objects.filter(username=analyst.username).count() == 10 * settings.LOGIN_MAX_FAILURES
    # a user with a second factor passes the password step from a clean address (the code follows)
    dna = users["dna_analyst"]
    c = Client()
    c.force_login(dna)
    _enrol(c, dna)
    for k in range(10 * settings.LOGIN_MAX_FAILURES):
        _login_from(dna.username, f"198.51.{k // 200}.{k % 200 + 1}", f"guess {k}")
    r = _login_from(dna.username, "203.0.113.21")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/code/"
    # only an administrator unlocks
    assert main(["user", "unlock", dna.username, "--as", analyst.username]) != 0
