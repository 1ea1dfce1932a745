"""From a family's report to a confirmed identification: register, pedigree, consent, DNA,
matching run, review, two-person decision, notification; protection of DNA and contacts."""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest

from vestige.errors import Conflict, ImportRejected, InvalidInput, PermissionDenied
from vestige.history.models import ChangeRecord
from vestige.identification import services as ident
from vestige.identification.models import Candidate, Identification, MatchingRun
from vestige.kinship.io import FrequencyTable
from vestige.kinship.mutation import MutationModel
from vestige.kinship.simulate import Drawer
from vestige.linkage.names import name_key, transliterate
from vestige.missing import services as missing
from vestige.missing.models import MissingPerson, ReferenceProfile
from vestige.registry import services as registry
from vestige.registry.models import Remains

MARKERS = ["D3S1358", "VWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441", "D19S433",
           "TH01", "FGA", "D22S1045", "D5S818", "D13S317", "D7S820", "SE33", "D10S1248", "D1S1656", "D12S391", "D2S1338"]


@pytest.fixture(autouse=True)
def _inline_tasks(settings):
    settings.VESTIGE_TASKS_INLINE = True


# --- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cyrillic, latin", [
    # Examples from the KMU 2010 resolution's table.
    ("Згурський", "Zghurskyi"), ("Юрій", "Yurii"), ("Костянтин", "Kostiantyn"), ("Їжакевич", "Yizhakevych"),
    ("Знам'янка", "Znamianka"), ("Щербухи", "Shcherbukhy"), ("Гадяч", "Hadiach"), ("Ґалаґан", "Galagan"),
    ("Єнакієве", "Yenakiieve"), ("Яготин", "Yahotyn"), ("Олексій", "Oleksii"),
])
def test_kmu_2010_transliteration(cyrillic, latin):
    assert transliterate(cyrillic) == latin


@pytest.mark.parametrize("a, b", [("Шевченко", "Shevchenko"), ("Шевченко", "Ševčenko"), ("Харченко", "Harchenko"),
                                  ("Юрій", "Yuriy"), ("Олексій", "Oleksiy"), ("Ярошенко", "Iaroshenko")])
def test_spelling_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.fixture
def family(users):
    return missing.create_family(users["family_liaison"], "Коваленко", contact="+380 00 000 0000 (test)")


def test_name_search_and_duplicates_are_shown_never_merged(users, family):
    liaison = users["family_liaison"]
    a = missing.create_missing_person(liaison, family, {"family_name": "Коваленко", "given_name": "Оксана",
                                                        "sex": "female", "birth_date": dt.date(1961, 5, 12)})
    other = missing.create_family(liaison, "Kovalenko")
    b = missing.create_missing_person(liaison, other, {"family_name": "Kovalenko", "given_name": "Oksana",
                                                       "sex": "female", "birth_date": dt.date(1961, 1, 1)})
    qs = MissingPerson.objects.all()
    assert set(missing.search_names(qs, "kovalenko")) == {a, b}
    assert set(missing.search_names(qs, "Оксана Коваленко")) == {a, b}
    dups = missing.possible_duplicates(a)
    assert [d.ref for d, _score in dups] == [b.ref]
    assert MissingPerson.objects.filter(withdrawn_at__isnull=True).count() == 2  # not merged by itself
    missing.merge(liaison, b, a, "same person, reported twice")
    b.refresh_from_db()
    assert b.withdrawn and a.ref in b.withdrawal_reason


def test_duplicates_side_by_side_then_merged_from_there(users, family, client):
    # Issue 29, part 4: the duplicate's page links a side-by-side comparison, whose buttons merge
    # either way without typing the other code.
    liaison = users["family_liaison"]
    a = missing.create_missing_person(liaison, family, {"family_name": "Коваленко", "given_name": "Оксана",
                                                        "sex": "female", "birth_date": dt.date(1961, 5, 12)})
    b = missing.create_missing_person(liaison, missing.create_family(liaison, "Kovalenko"),
                                      {"family_name": "Kovalenko", "given_name": "Oksana", "sex": "female",
                                       "birth_date": dt.date(1961, 1, 1)})
    client.force_login(liaison)
    assert f"/missing/{a.ref}/compare/{b.ref}/" in client.get(f"/missing/{a.ref}/").content.decode()
    page = client.get(f"/missing/{a.ref}/compare/{b.ref}/").content.decode()
    assert 'id="compare"' in page and "1961-05-12" in page and "1961-01-01" in page
    assert page.count('class="differ"') >= 3  # family, surname (scripts), given name, birth date
    assert 'id="merge-a-into-b"' in page and 'id="merge-b-into-a"' in page
    # the second button: B merged into A (the button's kept value comes last, as a form sends it)
    r = client.post(f"/missing/{b.ref}/merge/", {"kept": [b.ref, a.ref], "reason": "one person"})
    assert r.status_code == 302 and r["Location"] == a.get_absolute_url()
    b.refresh_from_db()
    assert b.withdrawn and a.ref in b.withdrawal_reason
    assert client.get(f"/missing/{a.ref}/compare/NO-SUCH/").status_code == 404


def test_pedigree_follows_the_kinship_rules(users, family):
    liaison = users["family_liaison"]
    missing.add_member(liaison, family, "F", "male")
    missing.add_member(liaison, family, "M", "female")
    with pytest.raises(InvalidInput, match="one parent"):
        missing.add_member(liaison, family, "C", "male", father="F")
    with pytest.raises(InvalidInput, match="a father must be male"):
        missing.add_member(liaison, family, "C", "male", father="M", mother="M")
    with pytest.raises(InvalidInput, match="not in this family"):
        missing.add_member(liaison, family, "C", "male", father="X", mother="M")
    assert family.members.count() == 2


# --- a small world: families simulated through their pedigrees --------------------------------

@pytest.fixture
def world(users, admin, site):
    from vestige.kinship import read_frequencies
    full = read_frequencies(ident.frequencies_path())
    table = FrequencyTable({m: full.alleles[m] for m in MARKERS}, {m: full.freqs[m] for m in MARKERS})
    rng = np.random.default_rng(5)
    drawer = Drawer(table, MARKERS, MutationModel(), rng)
    liaison, dna = users["family_liaison"], users["dna_analyst"]

    def geno(g):
        return {m: (table.alleles[m][g[i, 0]], table.alleles[m][g[i, 1]]) for i, m in enumerate(MARKERS)}

    people = []
    for k in range(4):
        fam = missing.create_family(liaison, f"Family {k}", contact=f"contact {k}")
        fg, mg = drawer.founder(), drawer.founder()
        child = np.stack([drawer.transmit(fg, "male"), drawer.transmit(mg, "female")], axis=1)
        mp = missing.create_missing_person(liaison, fam, {
            "family_name": ["Бойко", "Мельник", "Шевчук", "Лисенко"][k], "given_name": "Іван", "sex": "male", "birth_date": dt.date(1980, 1, 1),
            "height_cm": 175, "last_seen_on": dt.date(2022, 3, 10), "last_seen_latitude": 49.0,
            "last_seen_longitude": 37.0}, member="X", father=None, mother=None)
        for code, sex, g in (("F", "male", fg), ("M", "female", mg)):
            d = missing.add_donor(liaison, fam, code, consent_on=dt.date(2022, 10, 1), sex=sex)
            missing.add_reference_profile(dna, d, geno(g), lab="Lab", kit="GlobalFiler")
        # Place X under F and M now that they exist.
        node = mp.member
        node.father, node.mother = fam.members.get(code="F"), fam.members.get(code="M")
        node.save()
        r = registry.create(admin, Remains, {"body_number": f"W-{k}", "site": site, "sex": "male", "age_min": 35,
                                             "age_max": 50, "stature_min_cm": 170, "stature_max_cm": 180,
                                             "recovered_on": dt.date(2022, 9, 20)})
        ident.add_remains_sample(dna, r, geno(child), material="bone", lab="Lab", kit="GlobalFiler")
        people.append((fam, mp, r))
    stranger = registry.create(admin, Remains, {"body_number": "W-X", "site": site, "sex": "female"})
    ident.add_remains_sample(dna, stranger, geno(drawer.founder()), material="tooth", lab="Lab", kit="GlobalFiler")
    return people, stranger


def test_run_finds_each_family_and_lr_matches_the_engine(users, world):
    people, stranger = world
    run = ident.start_run(users["dna_analyst"])
    run.refresh_from_db()
    assert run.status == "done" and run.current and run.samples == 5
    for _fam, mp, r in people:
        best = Candidate.objects.filter(run=run, remains=r).order_by("-log10_lr").first()
        assert best.missing_person == mp and best.posterior > 0.9995 and best.markers_compared == 21
        assert best.conflicts == 0 and best.flags["sex"]["state"] == "ok"
        # Per-marker LRs come from the independent per-pair path; their product is the run's LR.
        per = ident.marker_lrs(best)
        assert len(per) == 21
        assert float(np.prod(list(per.values()))) == pytest.approx(best.lr, rel=1e-9)
    # The stranger is female: no male missing person is compared with her.
    assert not Candidate.objects.filter(run=run, remains=stranger).exists()
    assert ident.stats()["remains_without_candidate"] == 1


def test_new_run_supersedes_but_keeps_the_old(users, world):
    first = ident.start_run(users["dna_analyst"])
    second = ident.start_run(users["dna_analyst"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.current and second.current
    assert Candidate.objects.filter(run=first).count() == Candidate.objects.filter(run=second).count() > 0


def test_withdrawn_consent_removes_the_profile_from_matching(users, world):
    people, _stranger = world
    fam, mp, r = people[0]
    for donor in fam.donors.all():
        missing.withdraw_consent(users["family_liaison"], donor, dt.date(2023, 1, 1), "family asked")
    run = ident.start_run(users["dna_analyst"])
    best = Candidate.objects.filter(run=run, remains=r).order_by("-log10_lr").first()
    assert best is None or best.missing_person != mp or best.posterior < 0.5


def _profile(r):
    s = r.dna_samples.first()
    return ident.decrypt_profile(s.profile_encrypted, s.code)


def test_samples_of_one_body_agree_by_dropout_or_are_flagged_not_refused(users, world):
    from vestige.identification.models import RemainsSample
    people, _ = world
    _fam, _mp, r = people[0]
    first = _profile(r)
    het = next(m for m, (a, b) in first.items() if a != b)
    # A second bone that lost one allele by drop-out agrees with the first: accepted, combined.
    drop = ident.add_remains_sample(users["dna_analyst"], r, {het: (first[het][0], None)}, material="tooth",
                                    lab="Lab2", kit="K", dropout=0.1)
    assert drop.status == "accepted"
    # A real disagreement is kept, flagged with the marker, and left out of matching.
    wrong = ident.add_remains_sample(users["dna_analyst"], r, {het: ("99", "99")}, material="tooth", lab="Lab2", kit="K")
    assert wrong.status == "discordant" and het in wrong.note
    assert RemainsSample.objects.filter(remains=r).count() == 3
    with pytest.raises(InvalidInput, match="drop-out"):
        ident.add_remains_sample(users["dna_analyst"], r, {het: (first[het][0], None)}, material="tooth", lab="L", kit="K")
    ident.resolve_sample(users["dna_analyst"], wrong, False, "contaminated: re-typed")
    wrong.refresh_from_db()
    assert wrong.status == "excluded"


def test_two_person_decision_notification_and_stats(users, admin, world):
    people, _ = world
    fam, mp, r = people[0]
    dna, liaison = users["dna_analyst"], users["family_liaison"]
    run = ident.start_run(dna)
    cand = Candidate.objects.filter(run=run, remains=r, missing_person=mp).get()
    with pytest.raises(InvalidInput, match="basis"):
        ident.propose(dna, cand, "")
    proposal = ident.propose(dna, cand, "LR and AM data")
    with pytest.raises(Conflict):
        ident.propose(dna, cand, "again")
    with pytest.raises(PermissionDenied, match="own proposal"):
        ident.decide(dna, proposal, True)
    with pytest.raises(PermissionDenied):
        ident.decide(liaison, proposal, True)
    before = ident.stats()
    ident.decide(admin, proposal, True, "second reviewer")
    r.refresh_from_db()
    mp.refresh_from_db()
    assert r.status == "identified" and mp.status == "identified"
    after = ident.stats()
    assert after["identified"] == before["identified"] + 1
    assert after["accounted_for_pct"] == pytest.approx(100 * after["identified"] / after["missing"], abs=0.01)
    today = dt.date.today()
    with pytest.raises(Conflict):
        ident.record_return(liaison, proposal, today)
    with pytest.raises(PermissionDenied):
        ident.record_notification(dna, proposal, today, "in person")
    with pytest.raises(InvalidInput, match="future"):
        ident.record_notification(liaison, proposal, today + dt.timedelta(days=3), "in person, at home")
    with pytest.raises(InvalidInput, match="before the identification"):
        ident.record_notification(liaison, proposal, today - dt.timedelta(days=30), "in person, at home")
    ident.record_notification(liaison, proposal, today, "in person, at home")
    with pytest.raises(InvalidInput, match="future"):
        ident.record_return(liaison, proposal, today + dt.timedelta(days=1))
    ident.record_return(liaison, proposal, today)
    r.refresh_from_db()
    assert r.status == "returned"
    actions = [h.changes for h in ChangeRecord.objects.filter(object_id=mp.pk, content_type__model="missingperson")]
    assert any("family notified" in c for c in actions) and any("status" in c for c in actions)


def test_below_threshold_needs_a_reason(users, world, admin):
    people, _ = world
    _fam, mp, r = people[1]
    run = ident.start_run(users["dna_analyst"])
    cand = Candidate.objects.filter(run=run, remains=r, missing_person=mp).get()
    Candidate.objects.filter(pk=cand.pk).update(posterior=0.99)
    cand.refresh_from_db()
    with pytest.raises(InvalidInput) as e:
        ident.propose(users["dna_analyst"], cand, "basis")
    assert e.value.field == "below_threshold_reason"
    assert "99.95 %;" in e.value.message and "%%" not in e.value.message  # before: "99.95 %%"
    from django.utils import translation
    with translation.override("uk"), pytest.raises(InvalidInput) as e:
        ident.propose(users["dna_analyst"], cand, "basis")
    assert "99,95 %;" in e.value.message and "%%" not in e.value.message
    assert ident.propose(users["dna_analyst"], cand, "basis", below_threshold_reason="dental match too").pk


def test_dna_and_contacts_are_encrypted_hidden_and_views_recorded(users, world, client):
    people, _ = world
    fam, _mp, _r = people[0]
    row = ReferenceProfile.objects.filter(donor__family=fam).first()
    assert "D3S1358" not in row.profile_encrypted and "contact" not in fam.contact_encrypted
    for role in ("analyst", "auditor", "investigator", "family_liaison"):
        with pytest.raises(PermissionDenied):
            missing.read_profile(users[role], row.profile_encrypted, row.donor)
    for role in ("analyst", "auditor", "dna_analyst"):
        with pytest.raises(PermissionDenied):
            missing.read_contact(users[role], fam)
    assert "D3S1358" in missing.read_profile(users["dna_analyst"], row.profile_encrypted, row.donor)
    assert ChangeRecord.objects.filter(action="viewed", actor=users["dna_analyst"]).count() == 1
    # The register is not the analyst's; a forensic examiner sees the family with counts, never
    # profiles or contacts.
    client.force_login(users["analyst"])
    assert client.get(fam.get_absolute_url()).status_code == 403
    client.force_login(users["forensic_examiner"])
    page = client.get(fam.get_absolute_url()).content.decode()
    assert "21 markers" in page and "Show profile" not in page and "Show contact" not in page
    assert client.post(f"/donors/{row.donor.code}/show/profile/").status_code == 403
    client.force_login(users["dna_analyst"])
    shown = client.post(f"/donors/{row.donor.code}/show/profile/")
    assert "D3S1358" in shown.content.decode() and shown["Cache-Control"] == "no-store"
    assert "D3S1358" not in client.get(fam.get_absolute_url()).content.decode()


def test_candidate_page_and_web_flow(users, world, client, admin):
    people, _ = world
    _fam, mp, r = people[2]
    client.force_login(users["dna_analyst"])
    assert client.post("/identification/start/").status_code == 302
    cand = Candidate.objects.filter(run=ident.current_run(), remains=r, missing_person=mp).get()
    page = client.get(cand.get_absolute_url()).content.decode()
    assert "Propose identification" in page and 'id="marker-lrs"' in page and "consistent" in page
    client.post(f"{cand.get_absolute_url()}propose/", {"basis": "DNA and AM data"})
    proposal = Identification.objects.get(candidate=cand)
    client.force_login(admin)
    client.post(f"/identification/decisions/{proposal.pk}/decide/", {"decision": "confirm"})
    proposal.refresh_from_db()
    assert proposal.status == "confirmed"
    client.force_login(users["analyst"])
    assert client.get(cand.get_absolute_url()).status_code == 403  # candidates are not the analyst's work
    client.force_login(users["forensic_examiner"])
    assert client.get(cand.get_absolute_url()).status_code == 200  # statistics, no profiles
    assert client.post(f"/identification/decisions/{proposal.pk}/notify/", {"on": "2023-01-01", "how": "x"}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.notified_on is None  # an analyst may not record it


def test_missing_persons_import_dry_run_and_all_or_nothing(users, family):
    from vestige.missing.importing import import_persons
    liaison = users["family_liaison"]
    good = (f"family,family_name,given_name,sex,birth_date,last_seen_on\n{family.ref},Бойко,Іван,male,1970-02-03,2022-03-01\n"
            "New family,Мельник,Ніна,female,,\n")
    report = import_persons(liaison, io.BytesIO(good.encode()), "m.csv", dry_run=True)
    assert report.ok and report.rows == 2 and MissingPerson.objects.count() == 0
    assert import_persons(liaison, io.BytesIO(good.encode()), "m.csv").created == 2
    bad = "family,family_name,given_name,sex,birth_date,height_cm\nX,,Іван,robot,03/02/1970,999\n"
    with pytest.raises(ImportRejected) as e:
        import_persons(liaison, io.BytesIO(bad.encode()), "bad.csv")
    assert {(r.line, r.column) for r in e.value.rows} >= {(2, "family_name")}
    with pytest.raises(ImportRejected) as e:
        import_persons(liaison, io.BytesIO(b"family,family_name,given_name,sex,birth_date,height_cm\nX,A,B,robot,03/02/1970,999\n"), "bad.csv")
    assert {(r.column) for r in e.value.rows} == {"sex", "birth_date", "height_cm"}
    assert MissingPerson.objects.count() == 2


def test_identify_cli(users, world, capsys):
    from vestige.cli import main
    assert main(["identify", "run", "--as", users["dna_analyst"].username]) == 0
    assert main(["identify", "stats", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    data = json.loads(out)
    assert set(data) == {"missing", "identified", "accounted_for_pct", "remains_total", "bodies", "remains_identified",
                         "remains_without_candidate", "identified_by"}
    assert data["missing"] == 4 and data["remains_total"] == 5  # 4 family remains and the stranger
    assert MatchingRun.objects.get().status == "done"
    assert main(["identify", "run", "--as", users["analyst"].username]) == 4  # not permitted


def test_api_register_candidates_and_stats(users, world, client, api_token):
    people, _ = world
    ident.start_run(users["dna_analyst"])
    analyst = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['analyst'])}"}
    assert client.get("/api/missing-persons", **analyst).status_code == 403  # the register is not the analyst's
    assert client.get("/api/candidates", **analyst).status_code == 403
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['forensic_examiner'])}"}
    page = client.get("/api/missing-persons", {"q": "Melnyk"}, **h).json()  # Latin query, Cyrillic record
    assert page["count"] == 1 and page["items"][0]["family_name"] == "Мельник"
    assert "contact" not in json.dumps(page) and "profile" not in json.dumps(page)
    cands = client.get("/api/candidates", {"min_posterior": 0.9995}, **h).json()
    assert {c["missing_person"] for c in cands} == {mp.ref for _f, mp, _r in people}
    assert client.get("/api/identification/stats", **h).json()["remains_total"] == 5
    r = client.post("/api/missing-persons", {"family": "New", "family_name": "A", "given_name": "B"},
                    content_type="application/json", **h)
    assert r.status_code == 403  # examiners do not register the missing
    h2 = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['family_liaison'])}"}
    r = client.post("/api/missing-persons", {"family": "New", "family_name": "A", "given_name": "B", "height_cm": 999},
                    content_type="application/json", **h2)
    assert r.status_code == 400 and r.json()["error"]["field"] == "height_cm"
    client.force_login(users["forensic_examiner"])
    export = b"".join(client.get("/missing/export.csv").streaming_content).decode("utf-8-sig")
    assert export.startswith("ref,family,family_name") and "contact" not in export


def test_dashboard_accounted_for_moves(users, world, client, admin):
    people, _ = world
    client.force_login(admin)
    assert client.get("/").context["ident"]["accounted_for_pct"] == 0.0
    _fam, mp, r = people[3]
    run = ident.start_run(users["dna_analyst"])
    cand = Candidate.objects.get(run=run, remains=r, missing_person=mp)
    ident.decide(admin, ident.propose(users["dna_analyst"], cand, "DNA"), True)
    assert client.get("/").context["ident"]["accounted_for_pct"] == 25.0  # 1 of 4


def test_printable_report_is_a_pdf_with_the_lr_table(users, world, client, tmp_path):
    people, _ = world
    _fam, mp, r = people[0]
    run = ident.start_run(users["dna_analyst"])
    cand = Candidate.objects.get(run=run, remains=r, missing_person=mp)
    client.force_login(users["dna_analyst"])
    resp = client.get(f"/identification/candidates/{cand.pk}/report.pdf")
    assert resp["Content-Type"] == "application/pdf" and resp.content.startswith(b"%PDF-")
    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
    assert r.body_number in text and "D3S1358" in text and "Pedigree" in text
    assert ChangeRecord.objects.filter(action="viewed", object_id=r.pk).exists()
    # Cyrillic names are printed, not black boxes: the text extracted from the PDF holds them
    # (before: Helvetica, no Cyrillic glyphs), and the font is embedded in the file.
    assert f"{mp.family_name} Іван" in text
    assert b"DejaVuSans" in resp.content and b"/FontFile2" in resp.content
    # In the Ukrainian interface the report is in Ukrainian, checks and all.
    client.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    uk = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get(f"/identification/candidates/{cand.pk}/report.pdf").content)).pages)
    assert "Звіт про ідентифікацію" in uk and "Статистика ДНК" in uk and "Pedigree" not in uk
    assert "Стать" in uk and "consistent" not in uk


def test_remains_status_is_set_only_by_decisions(admin, examiner, remains, client):
    with pytest.raises(InvalidInput) as e:
        registry.update(examiner, remains, {"status": "identified"})
    assert e.value.field == "status"
    from vestige.registry.importing import import_file
    csv_text = "body_number,site,status\nNEW-1,TST-SITE,identified\n"
    with pytest.raises(ImportRejected) as e:
        import_file(admin, "remains", io.BytesIO(csv_text.encode()), "r.csv")
    assert e.value.rows[0].column == "status"


def test_edit_and_upload_missing_persons_in_the_pages(users, family, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    liaison = users["family_liaison"]
    p = missing.create_missing_person(liaison, family, {"family_name": "Бойко", "given_name": "Іван"})
    client.force_login(liaison)
    r = client.post(f"/missing/{p.ref}/edit/", {"family_name": "Бойко", "given_name": "Іван", "sex": "male",
                                                "height_cm": "999"})
    assert "height_cm" in r.context["form"].errors
    client.post(f"/missing/{p.ref}/edit/", {"family_name": "Бойко", "given_name": "Іван", "sex": "male", "height_cm": "172"})
    p.refresh_from_db()
    assert p.height_cm == 172 and p.sex == "male"
    upload = SimpleUploadedFile("m.csv", f"family,family_name,given_name\n{family.ref},Мельник,Ніна\n".encode())
    r = client.post("/import/", {"kind": "missing", "file": upload})
    assert r.status_code == 200 and MissingPerson.objects.filter(family_name="Мельник").exists()


def test_profile_imports_from_the_cli_are_all_or_nothing(users, world, tmp_path, capsys):
    from vestige.cli import main
    from vestige.identification.models import RemainsSample
    people, _ = world
    _fam, _mp, r = people[0]
    first = _profile(r)
    marker = next(iter(first))
    path = tmp_path / "s.csv"
    path.write_text(f"sample,marker,allele1,allele2\n{r.body_number},{marker},{first[marker][0]},{first[marker][1]}\n"
                    f"NOPE-1,{marker},10,11\n")
    before = RemainsSample.objects.count()
    assert main(["identify", "import-samples", str(path), "--lab", "L", "--kit", "K", "--as", users["dna_analyst"].username]) == 2
    assert "line 3, column 'sample', value 'NOPE-1': no remains with this body number" in capsys.readouterr().err
    assert RemainsSample.objects.count() == before
    donor = people[1][0].donors.first()
    ref = tmp_path / "r.csv"
    ref.write_text(f"sample,marker,allele1,allele2\n{donor.code},TH01,6,9.3\n")
    assert main(["missing", "import-references", str(ref), "--lab", "L", "--kit", "K", "--as", users["dna_analyst"].username]) == 0
    assert ReferenceProfile.objects.filter(donor=donor).count() == 2


def test_run_scope_by_families(users, world):
    people, _ = world
    fam, mp, _r = people[0]
    with pytest.raises(InvalidInput) as e:
        ident.start_run(users["dna_analyst"], families=["FAM-NOPE"])
    assert e.value.field == "families"
    run = ident.start_run(users["dna_analyst"], families=[fam.ref])
    run.refresh_from_db()
    assert run.missing_persons == 1
    assert set(Candidate.objects.filter(run=run).values_list("missing_person", flat=True)) == {mp.pk}


def test_pdf_prints_user_text_as_typed_never_as_markup(users, world, client):
    """The attack: a basis of ``<b>unclosed`` gave a 500 for every role; ``<font>``/``<img>``
    could alter a report meant for a court."""
    people, _ = world
    _fam, mp, r = people[0]
    run = ident.start_run(users["dna_analyst"])
    cand = Candidate.objects.get(run=run, remains=r, missing_person=mp)
    basis = "<b>unclosed <font color='white'>hidden</font> <img src='/etc/passwd'/> & more"
    ident.propose(users["dna_analyst"], cand, basis)
    for role in ("dna_analyst", "administrator"):
        client.force_login(users[role])
        resp = client.get(f"/identification/candidates/{cand.pk}/report.pdf")
        assert resp.status_code == 200 and resp.content.startswith(b"%PDF-")
        from pypdf import PdfReader
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
        assert "<b>unclosed <font color='white'>hidden</font>" in text.replace("\n", " ")


def test_a_possible_duplicate_is_shown_before_saving(users, family, client):
    # Issue 29, part 4: the form says who may already be registered before a second record exists.
    liaison = users["family_liaison"]
    a = missing.create_missing_person(liaison, family, {"family_name": "Коваленко", "given_name": "Оксана",
                                                        "sex": "female", "birth_date": dt.date(1961, 5, 12)})
    client.force_login(liaison)
    data = {"family": family.pk, "family_name": "Kovalenko", "given_name": "Oksana", "sex": "female",
            "birth_date": "1961-03-01"}
    r = client.post("/missing/new/", data)
    assert r.status_code == 200 and 'id="duplicates-before-saving"' in r.content.decode() and a.ref in r.content.decode()
    assert MissingPerson.objects.count() == 1  # nothing saved yet
    r = client.post("/missing/new/", {**data, "confirm_new": "1"})  # "none of them": saved
    assert r.status_code == 302 and MissingPerson.objects.count() == 2
    other = {**data, "family_name": "Шевчук", "given_name": "Андрій", "sex": "male"}
    assert client.post("/missing/new/", other).status_code == 302  # no look-alike: saved at once


def test_a_large_joint_group_lists_only_the_candidates_own_pairs_on_its_page():
    """A sampled group of a national run holds thousands of pairs per assignment; a candidate page
    lists at most 12 pairs of one, else only those of its body or its missing person and how many
    others (a 10,000-remains run's page took 0.5 s listing them all)."""
    from vestige.identification.display import trimmed_group

    small = {"assignments": [{"pairs": [["B1", "MP-1"], ["B2", "MP-2"]], "log10_lr": 3.0}], "remains": ["B1", "B2"]}
    assert trimmed_group(small, "B1", "MP-1") == small
    pairs = [[f"B{i}", f"MP-{i}"] for i in range(40)]
    big = {"assignments": [{"pairs": pairs, "log10_lr": 9.0}, {"pairs": pairs[1:], "log10_lr": 8.0}]}
    out = trimmed_group(big, "B0", "MP-7")
    assert out["assignments"][0] == {"pairs": [["B0", "MP-0"], ["B7", "MP-7"]], "others": 38, "log10_lr": 9.0}
    assert out["assignments"][1]["pairs"] == [["B7", "MP-7"]] and out["assignments"][1]["others"] == 38
    assert len(big["assignments"][0]["pairs"]) == 40  # the stored group is not changed


def test_a_run_stores_each_candidates_view_of_a_large_group_as_its_page_would_trim_it():
    """The candidate page of a national run read its group's thousands of pairs on every view
    (p95 0.3 s at 10,000 bodies); the run now stores each candidate's view of a large group: in each
    assignment of more than 12 pairs the body's and the person's pairs (in the assignment's order)
    and how many others, a small assignment whole; what the page shows of a group it reads."""
    from vestige.identification.display import GroupPages, trimmed_group

    pairs = [[f"B{i}", f"MP-{i}"] for i in range(40)]
    swapped = [[f"B{i}", f"MP-{(i + 1) % 40}"] for i in range(40)]
    data = {"remains": [p[0] for p in pairs], "assignments": [
        {"pairs": pairs, "log10_lr": 9.0}, {"pairs": swapped, "log10_lr": 8.0}, {"pairs": pairs[:3], "log10_lr": 7.0}]}
    pages = GroupPages(data)
    view = pages.view("B7", "MP-7")
    assert view["assignments"][0] == {"pairs": [["B7", "MP-7"]], "others": 39, "log10_lr": 9.0}
    assert view["assignments"][1] == {"pairs": [["B6", "MP-7"], ["B7", "MP-8"]], "others": 38, "log10_lr": 8.0}
    assert view["assignments"][2] == {"pairs": pairs[:3], "log10_lr": 7.0}  # 3 pairs: whole
    assert pages.view("B7", "MP-8")["assignments"][1]["pairs"] == [["B7", "MP-8"]]  # one pair of both
    assert pages.view("B-none", "MP-none")["assignments"][0] == {"pairs": [], "others": 40, "log10_lr": 9.0}
    assert trimmed_group(data, "B7", "MP-7") == {**data, "assignments": view["assignments"]}
    assert GroupPages({"assignments": [{"pairs": pairs[:12], "log10_lr": 1.0}]}).view("B0", "MP-0") is None
