"""The Izium demo reproduces the published figures from synthetic records, and loads idempotently."""

from __future__ import annotations

import pytest

from vestige.registry.models import Grave, Remains, Site
from vestige.registry.stats import site_stats


@pytest.mark.slow
def test_demo_reproduces_published_izium_figures_and_is_idempotent(db, capsys):
    from vestige.cli import main

    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    for user in ("admin", "investigator", "examiner", "odontologist", "dna", "dna2", "liaison", "analyst", "auditor"):
        assert f"\n  {user} " in out
    # It says what it is doing while it loads (before: silent for the whole load).
    assert "Loading the Izium registry" in out and "Simulating families" in out
    # Issue 31: a list from another organisation, half of it registered people written otherwise
    # (60 of 120 rows), linked: at least 95 % of them proposed, and no more proposals than them.
    from vestige.missing.models import PersonList
    nib = PersonList.objects.get()
    assert nib.rows == 120 and nib.status == "linked"
    assert 57 <= nib.entries.filter(status="proposed").count() <= 60, nib.message
    izium = Site.objects.get(ref="IZM-PISH")
    s = site_stats(izium)
    # DOMAIN.md: 447 bodies exhumed 16–23 Sept 2022: 215 women, 194 men, 5 children,
    # 22 servicemen, 11 of undetermined sex; 30 with signs of torture; graves 1–445 plus a trench for 17.
    assert s.remains_total == 447
    assert s.as_dict()["breakdown"] == {"women": 215, "men": 194, "children": 5, "servicemen": 22, "undetermined": 11}
    assert s.with_torture == 30
    assert s.graves_recorded == 446
    labels = set(izium.graves.values_list("label", flat=True))
    assert {str(n) for n in range(1, 446)} <= labels
    trench = Grave.objects.get(site=izium, label="T-17")
    assert trench.expected_occupants == 17 and trench.remains.count() == 17
    assert set(trench.remains.values_list("category", flat=True)) == {"serviceman"}
    exh = izium.exhumations.get()
    assert (str(exh.started_on), str(exh.ended_on)) == ("2022-09-16", "2022-09-23")
    assert Site.objects.filter(ref__in=["BCH-CHURCH", "LYM-CEM"]).count() == 2
    # Issue 14: teeth and effects; three bodies without usable DNA identified by their teeth (one of
    # them found by its hip implant's serial number), a fourth waits for the second examiner.
    from vestige.dvi import services as dvi
    from vestige.dvi.models import Comparison, DentalChart
    from vestige.identification.models import Identification
    from vestige.identification.services import stats
    assert DentalChart.objects.filter(side="pm").count() >= 100 and DentalChart.objects.filter(side="am").count() >= 60
    assert stats()["identified_by"]["dental"] == 3
    dental_ids = Identification.objects.filter(identified_by="dental", status="confirmed").select_related(
        "remains", "missing_person")
    from vestige.accounts.models import User
    admin = User.objects.get(username="admin")
    from vestige.osteology import odontology
    every_am = {c.missing_person.ref: c.teeth for c in DentalChart.objects.filter(side="am").select_related(
        "missing_person")}
    for i in dental_ids:
        assert not i.remains.dna_samples.exists()
        pm = DentalChart.objects.get(side="pm", remains=i.remains).teeth
        assert odontology.rank(pm, every_am, top=1)[0].key == i.missing_person.ref  # the teeth single them out
    [implant] = dvi.implant_matches(admin)
    assert implant["missing_person"] in {i.missing_person.ref for i in dental_ids}
    assert Comparison.objects.filter(verification="pending", method="dental").count() == 1
    # Issue 5's synthetic DNA: every Izium body has a sample; families were simulated for most.
    from vestige.identification.models import RemainsSample
    from vestige.missing.models import Family
    # Every body has a sample; a few have a second one (another bone); a third are degraded.
    samples = RemainsSample.objects.filter(remains__site=izium)
    # Four bones gave no usable DNA (issue 14: they are identified by their teeth).
    assert samples.values("remains").distinct().count() == 443 and samples.count() > 443
    assert 100 < samples.filter(dropout__gt=0).count() < 250
    assert Family.objects.count() > 400
    # The evidence: an iPhone HEIC with its position, and a re-encoded, trimmed repost of the drone
    # video found as the same footage.
    from vestige.evidence import services as evidence
    from vestige.evidence.models import EvidenceItem
    heic = EvidenceItem.objects.get(original_name="IMG_4021.HEIC")
    assert heic.media_type == "image/heic" and round(heic.metadata["latitude"], 2) == 49.18
    drone = EvidenceItem.objects.get(original_name="DJI_0007.MP4")
    [(repost, score, _frames)] = evidence.near_duplicate_videos(drone)
    assert repost.original_name == "channel_repost.mp4" and score >= 0.5
    # Issue 25: families whose only reference is a paternal uncle or a maternal aunt, typed for Y-STRs
    # or mtDNA, with synthetic databases labelled so; a run that chooses them identifies several of
    # those bodies through their line.
    from vestige.identification import services as ident
    from vestige.identification.models import Candidate, HaplotypeDatabase
    dbs = {d.system: d for d in HaplotypeDatabase.objects.all()}
    assert set(dbs) == {"y", "mt", "snp"} and all("synthetic" in d.population for d in dbs.values())
    run = ident.execute_run(ident.start_run(User.objects.get(username="dna"), background=False,
                                            lineage={k: d.pk for k, d in dbs.items()}).pk)
    through_line = [c for c in Candidate.objects.filter(run=run, posterior__gte=0.9995)
                    if (c.systems.get("y") or 0) > 2 or (c.systems.get("mt") or 0) > 2]
    assert len(through_line) >= 5 and any(c.systems.get("y") for c in through_line) \
        and any(c.systems.get("mt") for c in through_line)
    # Issue 26: the same uncles and aunts typed with a synthetic 2,000-SNP panel: the exact multipoint
    # LR of an avuncular pair over 2,000 SNPs is many orders of magnitude, and the page draws the segments
    through_snp = [c for c in Candidate.objects.filter(run=run, posterior__gte=0.9995) if (c.systems.get("snp") or 0) > 5]
    assert len(through_snp) >= 5 and all(c.segments.get("references") for c in through_snp)
    counts = (Site.objects.count(), Grave.objects.count(), Remains.objects.count())
    # Second run: nothing duplicated, the same passwords printed.
    assert main(["demo", "--no-serve"]) == 0
    again = capsys.readouterr().out
    assert "(already there)" in again
    assert (Site.objects.count(), Grave.objects.count(), Remains.objects.count()) == counts
    assert out.split("one per role")[-1] == again.split("one per role")[-1]
