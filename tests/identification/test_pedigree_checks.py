"""Pedigree checks in the app (issue 27, part 3): a family whose donor is not who the pedigree says
is flagged on its check page before matching, and a run marks that family's candidates."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from vestige.identification import services as ident
from vestige.identification.models import Candidate
from vestige.identification.pedigree_checks import family_checks
from vestige.kinship.io import FrequencyTable
from vestige.kinship.mutation import MutationModel
from vestige.kinship.simulate import Drawer
from vestige.missing import services as missing

from .test_identification import MARKERS, _inline_tasks, world  # noqa: F401  (fixtures: the four families)


def _add_sibling(liaison, dna, fam, genotypes):
    """A donor recorded as the missing person's full brother (child of F and M)."""
    d = missing.add_donor(liaison, fam, "S", consent_on=dt.date(2022, 10, 1), sex="male", father="F", mother="M")
    missing.add_reference_profile(dna, d, genotypes, lab="Lab", kit="GlobalFiler")


def test_a_wrong_donor_is_flagged_on_the_page_and_in_the_run(users, world, client):  # noqa: F811 (the fixture)
    people, _stranger = world
    liaison, dna = users["family_liaison"], users["dna_analyst"]
    from vestige.kinship import read_frequencies
    full = read_frequencies(ident.frequencies_path())
    table = FrequencyTable({m: full.alleles[m] for m in MARKERS}, {m: full.freqs[m] for m in MARKERS})
    rng = np.random.default_rng(9)
    drawer = Drawer(table, MARKERS, MutationModel(), rng)
    g = drawer.founder()  # an unrelated man's profile, recorded as the missing man's brother
    stranger = {m: (table.alleles[m][g[i, 0]], table.alleles[m][g[i, 1]]) for i, m in enumerate(MARKERS)}
    bad_family = people[0][0]
    _add_sibling(liaison, dna, bad_family, stranger)

    result = family_checks(dna, bad_family.ref)
    assert len(result["pairs"]) == 3 and result["flagged"] >= 2
    by_pair = {(p.a, p.b): p for p in result["pairs"]}
    assert not by_pair[("F", "M")].flagged and by_pair[("F", "M")].relationship == "unrelated"
    assert by_pair[("F", "S")].flagged and by_pair[("F", "S")].relationship == "parent-offspring"
    # the other families have two unrelated parents typed: nothing flagged
    assert family_checks(dna, people[1][0].ref)["flagged"] == 0

    client.force_login(dna)
    page = client.get(f"/identification/families/{bad_family.ref}/check/").content.decode()
    assert 'id="pedigree-check"' in page and "F – S" in page and "flagged" in page
    # issue 27, part 5: the missing man's inclusion power with both parents typed is high at 10^4
    rates = result["rates"][0].rates[0]
    assert rates["threshold"] == 1e4 and rates["inclusion_power"] > 0.5 and rates["false_positive_rate"] < 1e-4
    assert 'id="error-rates"' in page
    assert "pedigree-check-link" in client.get(bad_family.get_absolute_url()).content.decode()

    run = ident.start_run(dna)
    run.refresh_from_db()
    assert bad_family.ref in run.inputs["pedigree_flags"]
    c = Candidate.objects.filter(run=run, missing_person=people[0][1]).order_by("-posterior").first()
    assert any(f.startswith("pedigree_check:F-S") for f in c.dna_flags)
    detail = client.get(c.get_absolute_url()).content.decode()
    assert 'id="pedigree-flag"' in detail
    # issue 27, part 4: the non-genetic LRs beside the DNA. W-0 is a man of 35-50, the missing man was
    # born 1980 and last seen 2022 (aged 42): sex (1 - 0.05)/0.5 = 1.9; age inside 33-52, P(T1) = 19/80:
    # 0.95/(19/80) = 4.0 (mispitools' definitions, by hand)
    from vestige.identification.display import nongenetic_lrs
    ng = nongenetic_lrs(c.flags, c.log10_lr, c.prior)
    # Stature: 175 cm in life inside the remains' 170-180 widened by 5 cm; P(T1) = P(165 ≤ N(176, 7)
    # ≤ 185) = Phi(1.2857) − Phi(−1.5714) = 0.900727 − 0.058037 = 0.842690 (tables): 0.95/0.842690.
    # Dates and place: every missing person of this world was last seen on 10 March 2022 at the same
    # place, before the recovery and near the site: the register's share is 1 (kept below 1 by 1e-6),
    # so each LR is 0.95/(1 − 1e-6): no weight, as it should be when everyone fits.
    want = {"Sex": 1.9, "Age": 0.95 / (19 / 80), "Stature": 0.95 / 0.842690, "Dates": 0.95 / (1 - 1e-6),
            "Distance": 0.95 / (1 - 1e-6)}
    assert dict(ng["rows"]) == {k: pytest.approx(math.log10(v), abs=1e-4) for k, v in want.items()}
    assert ng["combined"] == pytest.approx(c.log10_lr + math.log10(math.prod(want.values())), abs=1e-4)
    # the posterior with them, from the run's prior π: odds π/(1 − π) × the combined LR
    odds = c.prior / (1 - c.prior) * 10 ** ng["combined"]
    assert ng["posterior"] == pytest.approx(odds / (1 + odds))
    assert 'id="posterior-nongenetic"' in detail
    assert 'id="nongenetic-lrs"' in detail
    other = Candidate.objects.filter(run=run, missing_person=people[1][1]).order_by("-posterior").first()
    assert not any(f.startswith("pedigree_check") for f in other.dna_flags)


def test_the_check_page_needs_a_dna_role(users, world, client):  # noqa: F811 (the fixture)
    people, _stranger = world
    client.force_login(users["family_liaison"])
    assert client.get(f"/identification/families/{people[0][0].ref}/check/").status_code == 403
    client.force_login(users["dna_analyst"])
    assert client.get("/identification/families/NO-SUCH/check/").status_code == 404


@pytest.mark.django_db
def test_the_date_and_place_lrs_weigh_against_the_register(users):
    # Four missing persons: last seen 1 March, 1 June, 1 September and 1 December 2022, at 49.0 N
    # 37.0 E (twice), 49.0 N 39.0 E and 52.0 N 37.0 E. Remains recovered on 20 September 2022 at a
    # site at 49.0 N 37.5 E. By then three of four had last been seen (share 3/4). Distances to the
    # site (one degree of longitude at 49° N is 111.2 × cos 49° = 72.9 km, of latitude 111.2 km):
    # 0.5° → 36 km (twice), 1.5° → 109 km, 3° of latitude → 334 km: within 150 km 3/4, within 100 km 2/4.
    from vestige.identification.consistency import RegisterShares
    from vestige.kinship.nongenetic import share_lr
    liaison = users["family_liaison"]
    places = [(dt.date(2022, 3, 1), 49.0, 37.0), (dt.date(2022, 6, 1), 49.0, 37.0),
              (dt.date(2022, 9, 1), 49.0, 39.0), (dt.date(2022, 12, 1), 52.0, 37.0)]
    for k, (day, lat, lon) in enumerate(places):
        fam = missing.create_family(liaison, f"Register {k}", contact="c")
        missing.create_missing_person(liaison, fam, {"family_name": "Коваль", "given_name": "Петро", "sex": "male",
                                                     "last_seen_on": day, "last_seen_latitude": lat,
                                                     "last_seen_longitude": lon}, member="X", father=None, mother=None)
    reg = RegisterShares()
    assert reg.seen_by(dt.date(2022, 9, 20)) == pytest.approx(3 / 4)
    assert reg.seen_by(dt.date(2022, 3, 1)) == pytest.approx(1 / 4)  # on the day counts
    assert reg.within(49.0, 37.5, 150.0) == pytest.approx(3 / 4)
    assert reg.within(49.0, 37.5, 100.0) == pytest.approx(2 / 4)
    # a person last seen before the recovery, near the site: (1 − 0.05)/(3/4) each
    assert share_lr(True, reg.seen_by(dt.date(2022, 9, 20))) == pytest.approx(0.95 / 0.75)


def test_a_flag_a_person_resolves_stops_marking_matches_until_the_profiles_change(users, world, client):  # noqa: F811
    """Issue 27, part 3: "a flagged family is marked in runs until a person resolves it"."""
    people, _stranger = world
    liaison, dna = users["family_liaison"], users["dna_analyst"]
    from vestige.identification.models import PedigreeFlagResolution
    from vestige.kinship import read_frequencies
    full = read_frequencies(ident.frequencies_path())
    table = FrequencyTable({m: full.alleles[m] for m in MARKERS}, {m: full.freqs[m] for m in MARKERS})
    drawer = Drawer(table, MARKERS, MutationModel(), np.random.default_rng(9))
    g = drawer.founder()
    fam = people[0][0]
    _add_sibling(liaison, dna, fam, {m: (table.alleles[m][g[i, 0]], table.alleles[m][g[i, 1]])
                                     for i, m in enumerate(MARKERS)})
    url = f"/identification/families/{fam.ref}/check/"
    client.force_login(liaison)  # not a DNA role: cannot resolve
    assert client.post(url, {"pair": "F-S", "note": "x"}).status_code == 403
    client.force_login(dna)
    r = client.post(url, {"pair": "F-S", "note": ""})
    assert r.status_code == 400 and 'id="resolve-error"' in r.content.decode()
    assert client.post(url, {"pair": "F-M", "note": "x"}).status_code == 400  # not flagged
    assert PedigreeFlagResolution.objects.count() == 0
    assert client.post(url, {"pair": "F-S", "note": "S is the half-brother; the pedigree will be corrected"}).status_code == 302
    page = client.get(url).content.decode()
    assert "half-brother" in page and "resolved" in page
    run = ident.start_run(dna)
    run.refresh_from_db()
    c = Candidate.objects.filter(run=run, missing_person=people[0][1]).order_by("-posterior").first()
    assert "pedigree_check_resolved:F-S" in c.dna_flags and "pedigree_check:F-S" not in c.dna_flags
    assert run.inputs["pedigree_flags_resolved"] == {fam.ref: ["F-S"]}
    detail = client.get(c.get_absolute_url()).content.decode()
    # F-S resolved; M-S (the stranger is no child of the mother either) stays flagged
    assert 'id="pedigree-resolved"' in detail and "flagged F-S;" in detail
    assert "(M-S)" in detail and "(F-S" not in detail
    assert "F-S" not in [f"{x['a']}-{x['b']}" for x in run.inputs["pedigree_flags"].get(fam.ref, [])]
