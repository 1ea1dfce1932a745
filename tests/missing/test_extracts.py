"""Register extracts (issue 31, part 2): issued as a numbered, dated PDF with a QR code; checked by
anyone on a public page that says only genuine-or-not, the date and whether it was revoked;
issue and revocation are recorded events."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from vestige.errors import Conflict, InvalidInput, PermissionDenied
from vestige.history.services import history_of
from vestige.missing import extracts
from vestige.missing import services as missing
from vestige.missing.models import RegisterExtract


@pytest.fixture
def person(users):
    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Family Kovalenko", contact="+380 00 000 0000")
    return missing.create_missing_person(liaison, fam, {
        "family_name": "Коваленко", "given_name": "Олена", "patronymic": "Петрівна", "sex": "female",
        "birth_date": dt.date(1979, 4, 2), "last_seen_on": dt.date(2022, 4, 10), "last_seen_place": "Ізюм",
        "circumstances": "під час обстрілу"}, member="X", father=None, mother=None)


def test_issue_print_verify_and_revoke(users, person, client):
    liaison = users["family_liaison"]
    client.force_login(liaison)
    resp = client.post(f"/missing/{person.ref}/extracts/")
    x = RegisterExtract.objects.get()
    assert resp.status_code == 302 and resp["Location"].endswith(f"/extracts/{x.number}.pdf")
    assert x.number == f"EX-{dt.date.today().year}-000001" and len(x.check_code) == 10
    pdf = client.get(f"/extracts/{x.number}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert x.number in text and "Коваленко" in text and x.check_code in text and "1979-04-02" in text
    events = [h.changes.get("register extract") for h in history_of(person)]
    assert [None, f"{x.number} issued"] in events and [None, f"{x.number} printed"] in events
    second = extracts.issue_extract(liaison, person.ref)
    assert second.number == f"EX-{dt.date.today().year}-000002"

    client.logout()  # the public check: no login, nothing about the person
    ok = client.get(f"/verify/extract/{x.number}/?c={x.check_code}")
    page = ok.content.decode()
    assert ok.status_code == 200 and "genuine" in page and x.number in page
    assert "Коваленко" not in page and "Олена" not in page and "Ізюм" not in page
    wrong = client.get(f"/verify/extract/{x.number}/?c=AAAAAAAAAA")
    unknown = client.get("/verify/extract/EX-1999-000001/?c=AAAAAAAAAA")
    assert wrong.status_code == unknown.status_code == 404
    assert "genuine" not in wrong.content.decode()

    with pytest.raises(InvalidInput):
        extracts.revoke_extract(liaison, x.number, "  ")
    extracts.revoke_extract(liaison, x.number, "issued with a wrong birth date")
    with pytest.raises(Conflict):
        extracts.revoke_extract(liaison, x.number, "again")
    assert [f"{x.number} issued", f"{x.number} revoked: issued with a wrong birth date"] in [
        h.changes.get("register extract") for h in history_of(person)]
    revoked = client.get(f"/verify/extract/{x.number}/?c={x.check_code}").content.decode()
    assert "revoked" in revoked and "no longer valid" in revoked


def test_who_may_issue_and_read(users, person, client):
    with pytest.raises(PermissionDenied):
        extracts.issue_extract(users["dna_analyst"], person.ref)
    x = extracts.issue_extract(users["family_liaison"], person.ref)
    client.force_login(users["family_liaison"])
    assert 'id="issue-extract"' in client.get(person.get_absolute_url()).content.decode()
    client.force_login(users["auditor"])
    assert client.post(f"/missing/{person.ref}/extracts/").status_code == 403
    assert RegisterExtract.objects.count() == 1 and x.revoked_at is None
