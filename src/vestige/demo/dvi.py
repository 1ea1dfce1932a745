"""The DVI part of the demo (synthetic people only): post-mortem dental charts and effects for a
share of the Izium remains, ante-mortem dental records "from a dentist" for some missing persons,
four bodies whose bone gave no usable DNA identified (or being identified) by their teeth, and one
hip implant whose serial number leads to its body.

Charts come from :mod:`vestige.dvi.simulate` (the same model the ranking test uses): each
person's teeth at the dentist, the treatment between that visit and death, and what an examiner
charts on the body. All writes go through the services, by the demo's users.
"""

from __future__ import annotations

import datetime as dt
import random

from vestige.dvi import board, simulate
from vestige.dvi import services as dvi
from vestige.dvi.models import DentalChart
from vestige.identification import services as ident
from vestige.missing import services as missing
from vestige.missing.models import MissingPerson
from vestige.osteology import odontology
from vestige.registry.models import Remains

SEED = 14
N_PAIRS = 40  # bodies with a PM chart whose missing person has an AM chart (the DNA finds them too)
N_PM_ONLY = 60  # bodies charted whose missing person has no dental record
N_AM_ONLY = 25  # missing persons not in this grave, with a dentist's record
DENTISTS = ["Стоматологічна поліклініка, Ізюм (dental clinic, Izium)", "Приватна клініка «Дента» (private clinic)",
            "Військовий шпиталь, Харків (military hospital, Kharkiv)"]
EFFECTS = [("clothing", "Темна куртка, джинси (dark jacket, jeans)"),
           ("clothing", "Светр у смужку (striped sweater)"),
           ("footwear", "Чорні черевики, розмір 43 (black boots, size 43)"),
           ("watch", "Наручний годинник «Восток» (Vostok wristwatch)"),
           ("jewellery", "Обручка з гравіюванням «Н + О 1998» (wedding ring engraved)"),
           ("religious", "Натільний хрестик на шнурку (small cross on a cord)"),
           ("document", "Пошкоджений паспорт, не читається (damaged passport, unreadable)"),
           ("glasses", "Окуляри в металевій оправі (metal-framed glasses)")]
NO_DNA_PEOPLE = [("Мельник", "Тарас", "male", "Андрійович"), ("Савченко", "Ганна", "female", "Іванівна"),
                 ("Гончаренко", "Віктор", "male", "Петрович"), ("Лисенко", "Зоя", "female", "Миколаївна")]


def _age(r) -> int:
    return int(((r.age_min or 30) + (r.age_max or 50)) / 2)


def _charts(rng: random.Random, age: int) -> tuple[dict, dict, float]:
    """(AM record, PM chart, years between) of one synthetic person."""
    truth = simulate._initial(rng, age)
    years = rng.choice((1, 2, 3, 5)) * rng.uniform(0.6, 1.4)
    at_death = simulate._progress(rng, truth, years)
    return simulate._ante_mortem_record(rng, truth), simulate._post_mortem(rng, at_death, lost_jaw=False), years


def _informative(chart: dict) -> bool:
    return sum(1 for e in chart.values() if e["state"] not in ("sound", "not_recoverable", "missing_pm")) >= 3


def load_dvi(users: dict, truth: dict, no_dna: list) -> dict[str, int]:
    """``users``: liaison, examiner, odontologist (a second examiner), dna2; ``truth``: remains pk →
    missing person; ``no_dna``: bodies without a usable profile. Returns counts for the demo's summary."""

    rng = random.Random(SEED)
    liaison, examiner, odontologist, dna2 = (users[k] for k in ("liaison", "examiner", "odontologist", "dna2"))
    exam_day = dt.date(2022, 9, 25)
    counts = {"pm_charts": 0, "am_charts": 0, "effects": 0}
    accepted: list[tuple[dict, dict]] = []  # (PM, AM) of the bodies identified by their teeth

    def chart_pair(body, person, *, informative: bool = False):
        held = {c.missing_person.ref: c.teeth for c in DentalChart.objects.filter(side="am")} if informative else {}
        for _ in range(200):
            am, pm, years = _charts(rng, _age(body))
            if not informative:
                break
            # A body to be identified by its teeth: teeth that say something, and that no other
            # ante-mortem chart held explains as well (the odontologist would not conclude otherwise).
            mine = odontology.normalise_chart(am, side="am")
            ranked = odontology.rank(odontology.normalise_chart(pm, side="pm"), {**held, person.ref: mine}, top=2)
            # ... nor explains another of these bodies better than its own person's chart.
            poaches = any(odontology.compare(mine, other_pm).score >= odontology.compare(other_am, other_pm).score
                          for other_pm, other_am in accepted)
            if (_informative(am) and _informative(pm) and ranked[0].key == person.ref and not poaches
                    and (len(ranked) < 2 or ranked[0].comparison.score - ranked[1].comparison.score >= 3)):
                accepted.append((odontology.normalise_chart(pm, side="pm"), mine))
                break
        if person is not None:
            visit = exam_day - dt.timedelta(days=int(365 * years) + 200)
            dvi.save_chart(liaison, person, am, charted_on=visit, source=rng.choice(DENTISTS), via="demo")
            counts["am_charts"] += 1
        dvi.save_chart(examiner, body, pm, charted_on=exam_day, source="Судовий одонтолог (forensic odontologist)",
                       via="demo")
        counts["pm_charts"] += 1

    def effects(body, person):
        for category, text in rng.sample(EFFECTS, k=2):
            dvi.add_record(examiner, "effects", body, {"category": category, "description": text}, via="demo")
            counts["effects"] += 1
            if person is not None and rng.random() < 0.6:
                dvi.add_record(liaison, "effects", person, {"category": category, "description": text}, via="demo")

    pairs = sorted(truth.items())
    rng.shuffle(pairs)
    bodies = {r.pk: r for r in Remains.objects.filter(pk__in=[pk for pk, _ in pairs])}
    for pk, person in pairs[:N_PAIRS]:
        chart_pair(bodies[pk], person)
        effects(bodies[pk], person)
    for pk, _person in pairs[N_PAIRS:N_PAIRS + N_PM_ONLY]:
        chart_pair(bodies[pk], None)
    elsewhere = list(MissingPerson.objects.exclude(pk__in=[p.pk for p in truth.values()])
                     .filter(family__donors__isnull=False).distinct().order_by("ref")[:N_AM_ONLY])
    for person in elsewhere:
        am, _pm, _y = _charts(rng, 40)
        dvi.save_chart(liaison, person, am, charted_on=dt.date(2020, 6, 1), source=rng.choice(DENTISTS), via="demo")
        counts["am_charts"] += 1
    # A tattoo described by a family and found on the body.
    pk, person = pairs[0]
    for who, owner in ((liaison, person), (examiner, bodies[pk])):
        dvi.add_record(who, "marks", owner, {"kind": "tattoo", "region": "left_arm",
                                             "description": "Якір на передпліччі (anchor on the forearm)"}, via="demo")
    # Bodies without usable DNA: families reported them, a dentist had their records.
    identified = []
    for body, (surname, given, sex, patronymic) in zip(no_dna, NO_DNA_PEOPLE, strict=False):
        family = missing.create_family(liaison, surname, contact="(demo contact)", via="demo")
        person = missing.create_missing_person(liaison, family, {
            "family_name": surname, "given_name": given, "patronymic": patronymic, "sex": sex,
            "birth_date": dt.date(2022 - _age(body), 4, 12), "last_seen_on": dt.date(2022, 3, 9),
            "last_seen_place": "Izium", "circumstances": "Reported by a neighbour; no relative left to give DNA "
                                                         "(synthetic)."}, via="demo")
        chart_pair(body, person, informative=True)
        effects(body, person)
        identified.append((body, person))
    # The hip implant: the hospital's record and the plate found on the body (typed another way).
    body, person = identified[2]
    dvi.add_record(liaison, "medical", person, {"kind": "implant", "region": "pelvis", "maker": "Zimmer",
                                                "serial": "SN 4417-AB-0923",
                                                "description": "Ендопротез кульшового суглоба, 2016 (hip replacement)"},
                   via="demo")
    dvi.add_record(examiner, "medical", body, {"kind": "implant", "region": "pelvis", "maker": "ZIMMER",
                                               "serial": "4417АВ0923", "description": "Hip prosthesis, stem engraved"},
                   via="demo")
    # Two identified by their teeth, one by teeth with its implant; the fourth waits for verification.
    for i, (body, person) in enumerate(identified):
        comp = dvi.record_comparison(examiner, "dental", body, person, "identification",
                                     note="Restorations and extractions concordant; differences explained by later "
                                          "treatment.", via="demo")
        if i == 3:
            continue
        dvi.verify_comparison(odontologist, comp, True, "Agree: tooth table reviewed.", via="demo")
        b = board.board(examiner, body, person)
        explained = "Age and stature are estimates; the teeth decide." if b["conflicts"] else ""
        proposal = board.propose(examiner, body, person, board.default_basis(b), conflicts_explained=explained,
                                 via="demo")
        ident.decide(dna2, proposal, True, "Board agrees.", via="demo")
    counts["identified by teeth"] = 3
    return counts
