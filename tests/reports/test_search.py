"""The search over the whole register (issue 29, part 4): by code, name in either script and
number; each kind only for a role that reads it; never another case's record."""

from __future__ import annotations

import pytest

from vestige.accounts import services as accounts
from vestige.missing import services as missing
from vestige.reports.search import global_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(users):
    fam = missing.create_family(users["family_liaison"], "Гнатюк")
    return missing.create_missing_person(users["family_liaison"], fam, {"family_name": "Гнатюк", "given_name": "Ілля",
                                                                       "sex": "male"})


def _kinds(found) -> dict[str, list[str]]:
    return {g.kind: [str(getattr(o, "ref", "") or getattr(o, "body_number", "") or o.label) for o in g.items]
            for g in found}


def test_a_name_in_latin_finds_the_person_written_in_cyrillic(users, person):
    found = _kinds(global_search(users["family_liaison"], "Hnatiuk"))
    assert found["missing"] == [person.ref]
    assert _kinds(global_search(users["family_liaison"], person.ref))["missing"] == [person.ref]


def test_bodies_graves_and_sites_by_number_code_and_name(users, remains):
    admin = users["administrator"]
    assert _kinds(global_search(admin, "TST-0001"))["remains"] == ["TST-0001"]
    assert _kinds(global_search(admin, "TST-SITE#319"))["graves"] == ["319"]
    assert "TST-SITE" in _kinds(global_search(admin, "burial site"))["sites"]


def test_each_kind_only_for_a_role_that_reads_it(users, person, remains):
    # an analyst reads the registry, not the missing-persons register (roles.py)
    kinds = {g.kind for g in global_search(users["analyst"], "Гнатюк")} | {
        g.kind for g in global_search(users["analyst"], "TST-0001")}
    assert "missing" not in kinds and "families" not in kinds and "remains" in kinds


def test_another_cases_records_are_not_found(users, site, remains):
    accounts.create_case(users["administrator"], "CASE-B", "Another region")
    stranger = accounts.create_user("b-investigator", "correct horse battery staple", "investigator", cases=["CASE-B"])
    assert global_search(stranger, "TST-") == []  # TST-SITE and its body belong to a case not theirs
    assert _kinds(global_search(users["investigator"], "TST-"))["sites"] == ["TST-SITE"]


def test_the_page_answers_every_role_and_a_short_query_says_so(login, users, remains):
    r = login(users["analyst"]).get("/search/?q=TST-0001")
    assert r.status_code == 200 and "TST-0001" in r.content.decode()
    assert "at least two characters" in login(users["analyst"]).get("/search/?q=T").content.decode()
