"""The family's own access to its case (issue 31, part 1), and the attacks on it: another family's
case, a revoked or expired access, a guessed link, a staff session, the data of a family that chose
"this organisation only" in a later exchange, and a withdrawn consent in a later matching run."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from vestige.errors import Conflict, InvalidInput, PermissionDenied
from vestige.history.services import history_of
from vestige.missing import family_access
from vestige.missing import services as missing
from vestige.missing.models import Donor, FamilyAccess, FamilyAccessEvent, FamilyMessage

GENOTYPES = {"D3S1358": ("15", "16"), "VWA": ("17", "18"), "FGA": ("21", "22")}


@pytest.fixture
def families(users):
    liaison = users["family_liaison"]
    out = {}
    for surname, given in (("Коваленко", "Олена"), ("Шевчук", "Андрій")):
        fam = missing.create_family(liaison, f"Родина {surname}", contact="+380 00 000 0000")
        missing.add_member(liaison, fam, "F", "male", label="father")
        missing.add_member(liaison, fam, "M", "female", label="mother")
        person = missing.create_missing_person(liaison, fam, {"family_name": surname, "given_name": given},
                                               member="X", father="F", mother="M")
        donor = missing.add_donor(liaison, fam, "M", consent_on=dt.date(2023, 1, 5), contact="+380 11 111 1111")
        missing.add_reference_profile(users["dna_analyst"], donor, GENOTYPES, lab="Lab", kit="Kit")
        out[surname] = (fam, person, donor)
    return out


def _open(secret: str) -> Client:
    c = Client()
    r = c.get(f"/family/access/{secret}/")
    assert r.status_code == 302 and r["Location"] == "/family/"
    return c


def test_a_family_sees_its_own_case_and_nothing_else(users, families):
    fam, person, donor = families["Коваленко"]
    grant, secret = family_access.grant(users["family_liaison"], fam, "Ірина, сестра")
    assert grant.token_hash != secret and secret not in str(FamilyAccess.objects.values_list())  # only a hash kept
    c = _open(secret)
    page = c.get("/family/").content.decode()
    assert "Коваленко" in page and "Олена" in page
    assert "Шевчук" not in page and "Андрій" not in page  # another family
    for secret_thing in (donor.code, "D3S1358", "+380", person.ref, fam.ref):  # no DNA, no codes, no contacts
        assert secret_thing not in page, secret_thing
    assert "Повідомлено про зникнення" in page or "Reported missing" in page
    assert "Зразок від родича" in page  # Ukrainian first, with no language chosen
    assert FamilyAccessEvent.objects.filter(access=grant, what="viewed").count() == 1  # every read recorded
    # the family session is not a staff login
    assert c.get("/missing/").status_code == 302 and c.get(f"/families/{fam.ref}/").status_code == 302
    assert c.get("/api/missing-persons").status_code in (401, 403)


def test_a_guessed_expired_or_ended_link_opens_nothing(users, families):
    fam, _p, _d = families["Коваленко"]
    liaison = users["family_liaison"]
    c = Client()
    assert c.get("/family/access/" + "A" * 43 + "/").status_code == 404
    assert c.get("/family/").status_code == 403
    grant, secret = family_access.grant(liaison, fam, "Ірина")
    session = _open(secret)
    FamilyAccess.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(f"/family/access/{secret}/").status_code == 404
    assert session.get("/family/").status_code == 403  # an open session ends with its access
    grant2, secret2 = family_access.grant(liaison, fam, "Петро")
    session2 = _open(secret2)
    family_access.revoke(liaison, grant2, "lost phone")
    assert session2.get("/family/").status_code == 403
    assert session2.post("/family/messages/", {"text": "hello"}).status_code == 403
    assert Client().get(f"/family/access/{secret2}/").status_code == 404
    with pytest.raises(Conflict):
        family_access.revoke(liaison, grant2)
    with pytest.raises(InvalidInput):
        family_access.grant(liaison, fam, "x", days=0)
    with pytest.raises(PermissionDenied):
        family_access.grant(users["dna_analyst"], fam, "x")


def test_staff_cannot_use_the_portal(users, families, client):
    client.force_login(users["family_liaison"])
    assert client.get("/family/").status_code == 403
    assert client.post("/family/sharing/", {"sharing": "state"}).status_code == 403


def test_the_sharing_choice_is_recorded_and_honoured_by_the_exchange(users, families):
    from vestige.dvi.exchange import export
    from vestige.dvi.services import save_chart

    fam, person, _d = families["Коваленко"]
    other_fam, other, _d2 = families["Шевчук"]
    for p in (person, other):  # both have dental data: both would be exported
        save_chart(users["family_liaison"], p, {"16": {"state": "sound"}}, source="dentist")
    refs = {a["ref"] for a in export(users["administrator"])["ante_mortem"]}
    assert {person.ref, other.ref} <= refs
    grant, secret = family_access.grant(users["family_liaison"], fam, "Ірина")
    c = _open(secret)
    assert c.post("/family/sharing/", {"sharing": "organisation"}).status_code == 302
    fam.refresh_from_db()
    assert fam.sharing == "organisation"
    assert any(h.changes.get("sharing") == ["partners", "organisation"] for h in history_of(fam))
    refs = {a["ref"] for a in export(users["administrator"])["ante_mortem"]}
    assert person.ref not in refs and other.ref in refs
    assert c.post("/family/sharing/", {"sharing": "everyone"}).status_code == 302  # refused, said
    fam.refresh_from_db()
    assert fam.sharing == "organisation"


def test_a_withdrawn_consent_leaves_the_next_matching_run(users, families):
    fam, _p, donor = families["Коваленко"]
    assert donor.pk in {d.pk for d in Donor.objects.filter(profiles__isnull=False)}
    assert donor.pk in missing.profiles_for_matching()
    grant, secret = family_access.grant(users["family_liaison"], fam, "Ірина")
    c = _open(secret)
    assert c.post("/family/consent/", {"reason": ""}).status_code == 302  # a reason is needed: nothing changed
    assert Donor.objects.get(pk=donor.pk).consent_active
    assert c.post("/family/consent/", {"reason": "we changed our mind"}).status_code == 302
    d = Donor.objects.get(pk=donor.pk)
    assert not d.consent_active and "(Ірина): we changed our mind" in d.consent_withdrawn_reason
    assert donor.pk not in missing.profiles_for_matching()  # out of every later run


def test_messages_both_ways_encrypted_at_rest(users, families, client):
    fam, _p, _d = families["Коваленко"]
    liaison = users["family_liaison"]
    client.force_login(liaison)
    assert client.post(f"/families/{fam.ref}/messages/", {"text": "Зразок отримано лабораторією."}).status_code == 302
    grant, secret = family_access.grant(liaison, fam, "Ірина")
    c = _open(secret)
    assert "Зразок отримано лабораторією." in c.get("/family/").content.decode()
    assert c.post("/family/messages/", {"text": "Дякуємо. Коли будуть результати?"}).status_code == 302
    with connection.cursor() as cur:
        cur.execute("SELECT text_encrypted FROM missing_familymessage")
        stored = " ".join(r[0] for r in cur.fetchall())
    assert "Зразок" not in stored and "Дякуємо" not in stored and FamilyMessage.objects.count() == 2
    page = client.get(f"/families/{fam.ref}/").content.decode()
    assert "Дякуємо. Коли будуть результати?" in page and "Ірина" in page
    assert client.post(f"/families/{fam.ref}/messages/", {"text": " "}).status_code == 302  # refused, said
    assert FamilyMessage.objects.count() == 2


def test_the_family_can_end_its_access(users, families):
    fam, _p, _d = families["Коваленко"]
    grant, secret = family_access.grant(users["family_liaison"], fam, "Ірина")
    c = _open(secret)
    assert c.post("/family/leave/").status_code == 200
    assert c.get("/family/").status_code == 403
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by is None
    assert FamilyAccessEvent.objects.filter(access=grant, what="ended").exists()


def test_the_liaison_grants_and_ends_on_the_family_page(users, families, client):
    fam, _p, _d = families["Коваленко"]
    client.force_login(users["family_liaison"])
    r = client.post(f"/families/{fam.ref}/access/", {"label": "Ірина, сестра", "days": "14"})
    assert r.status_code == 200
    link = re.search(r'value="(http[^"]+/family/access/[^"]+/)"', r.content.decode()).group(1)
    grant = FamilyAccess.objects.get()
    assert (grant.expires_at - timezone.now()).days in (13, 14)
    c = Client()
    assert c.get(link.split("testserver")[1]).status_code == 302
    page = client.get(f"/families/{fam.ref}/").content.decode()
    assert "Ірина, сестра" in page and 'id="family-access"' in page
    assert "opened" in page  # the family's use of its link, on the liaison's page
    assert client.post(f"/families/{fam.ref}/access/{grant.pk}/revoke/", {"reason": "r"}).status_code == 302
    assert c.get("/family/").status_code == 403
    assert client.post(f"/families/{fam.ref}/sharing/", {"sharing": "state", "reason": "by phone"}).status_code == 302
    fam.refresh_from_db()
    assert fam.sharing == "state"
