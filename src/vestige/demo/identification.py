"""Synthetic missing persons, families and DNA for the Izium demo.

Every name is synthetic (random combinations of common Ukrainian names); every profile is
simulated from the Norwegian frequency table through the family's pedigree (with mutation),
so the right answer is known. The shape follows the real work at Izium (402 of 448 identified):
most remains have a well-referenced family; some families have only a distant relative (too
weak: they need another donor); some remains have no family in the register at all; some
families' missing were not among these remains. What a real grave adds:

- households that died together (the airstrike on an apartment building): families that lost
  two to four members, among them two sisters whose only reference is their father — the DNA
  cannot tell which is which;
- degraded bone: a third of the samples show allelic drop-out (declared, drop-out 0.1);
- bodies with a second bone sample (from another bone, also degraded);
- two body numbers that are one person (a body part recovered apart), for pm-match.

Pedigrees are built with the calls a family liaison makes on the family page: register the
missing person, add the relatives, correct a member's parents. Two records of one person,
spelled in Cyrillic and in Latin, show the duplicate check.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction

from vestige.identification.services import add_remains_sample, frequency_table, mutation_model
from vestige.kinship.io import FrequencyTable
from vestige.kinship.simulate import TEMPLATES, Drawer, drop_out, household
from vestige.missing import pedigrees, services
from vestige.missing.models import Family
from vestige.registry.models import Remains, Sex

SEED = 448
GLOBALFILER = ("D3S1358 VWA D16S539 CSF1PO TPOX D8S1179 D21S11 D18S51 D2S441 D19S433 TH01 FGA D22S1045 "
               "D5S818 D13S317 D7S820 SE33 D10S1248 D1S1656 D12S391 D2S1338").split()
MALE = ["Олександр", "Андрій", "Сергій", "Володимир", "Микола", "Іван", "Василь", "Петро", "Юрій", "Олег",
        "Дмитро", "Віктор", "Михайло", "Ігор", "Богдан", "Тарас", "Григорій", "Анатолій", "Євген", "Степан"]
FEMALE = ["Олена", "Наталія", "Тетяна", "Ірина", "Світлана", "Оксана", "Людмила", "Галина", "Марія", "Надія",
          "Валентина", "Ольга", "Лариса", "Катерина", "Любов", "Ніна", "Юлія", "Віра", "Зоя", "Ганна"]
SURNAMES = ["Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Бойко",
            "Мельник", "Харченко", "Савченко", "Руденко", "Мороз", "Лисенко", "Марченко", "Кравець",
            "Клименко", "Павленко", "Гончаренко", "Левченко", "Кузьменко", "Зінченко", "Дорошенко", "Яковенко"]
STRONG = ["parents", "parent_sibling", "siblings", "spouse_children", "direct", "parents", "siblings"]
N_WEAK, N_NONE, N_ELSEWHERE = 25, 17, 45
N_NO_DNA = 4  # of the N_NONE bodies: no usable DNA at all (identified by their teeth in the DVI demo)
HOUSEHOLDS = [(2, False), (3, True), (4, True), (2, False)]  # (members lost, parents among them); the first: sisters
DEGRADED, DROPOUT, SECOND_BONES = 1 / 3, 0.1, 6
IZIUM = (49.2103, 37.2569)


def _patronymic(father: str, sex: str) -> str:
    stem = {"Олександр": "Олександров", "Андрій": "Андрійов", "Сергій": "Сергійов", "Іван": "Іванов",
            "Микола": "Миколайов", "Петро": "Петров", "Юрій": "Юрійов", "Олег": "Олегов"}.get(father, "Іванов")
    return stem + ("ич" if sex == "male" else "на")


@transaction.atomic
def load_identification(liaison, dna_analyst, report: dict | None = None) -> int:
    """Families, donors, reference profiles and remains samples; 0 if already there. ``report``
    (when given) receives ``truth`` (remains pk → the missing person they are, for the families
    built one per body) and ``no_dna`` (bodies whose bone gave no usable DNA, and whose family gave
    no reference either: the DVI demo identifies them by their teeth)."""
    if Family.objects.exists():
        return 0
    rng = np.random.default_rng(SEED)
    full = frequency_table()
    table = FrequencyTable({m: full.alleles[m] for m in GLOBALFILER}, {m: full.freqs[m] for m in GLOBALFILER})
    drawer = Drawer(table, GLOBALFILER, mutation_model(), rng)
    remains = list(Remains.objects.filter(site__ref="IZM-PISH").order_by("body_number"))
    order = rng.permutation(len(remains))
    none = {remains[i].pk for i in order[:N_NONE]}
    weak = {remains[i].pk for i in order[N_NONE:N_NONE + N_WEAK]}
    taken = none | weak
    genos: dict[int, np.ndarray] = {}
    # Households of the airstrike: their remains are identified together.
    pool = [remains[i] for i in order[N_NONE + N_WEAK:] if remains[i].sex in (Sex.MALE, Sex.FEMALE)]
    cursor = 0
    for k, (lost, parents) in enumerate(HOUSEHOLDS):
        # The template's sexes: the two sisters; a father and a mother among the lost parents.
        wanted = ["female", "female"] if k == 0 else (["male", "female"] if parents else [])
        chosen = []
        skipped = []
        while len(chosen) < lost:
            r = pool[cursor]
            cursor += 1
            need = wanted[len(chosen)] if len(chosen) < len(wanted) else None
            if r.pk in taken or (need and r.sex != need):
                skipped.append(r)
                continue
            chosen.append(r)
        taken |= {r.pk for r in chosen}
        for r, g in zip(chosen, _household(liaison, dna_analyst, rng, drawer, table, lost, parents, chosen), strict=True):
            genos[r.pk] = g
    truth: dict[int, object] = {}
    lines = np.random.default_rng(SEED + 1)  # which weak families are paternal: apart, the main stream unchanged
    cases: list[tuple] = []
    for r in remains:
        if r.pk in genos:
            continue
        kind = None if r.pk in none else "avuncular" if r.pk in weak else STRONG[int(rng.integers(len(STRONG)))]
        if kind == "avuncular" and r.sex == Sex.MALE and lines.random() < 0.8:
            kind = "paternal_uncle"
        genos[r.pk] = (_family(liaison, dna_analyst, rng, drawer, table, kind, r, truth, cases) if kind
                       else drawer.founder())
    no_dna = {remains[i].pk for i in order[:N_NO_DNA]}  # among the bodies no family references
    # One person, two body numbers: a body part recovered apart from the rest of the body.
    a, b = remains[order[-1]], remains[order[-2]]
    genos[b.pk] = genos[a.pk]
    n = 0
    degraded = {r.pk for r in remains if rng.random() < DEGRADED}
    second = {remains[i].pk for i in order[N_NONE + N_WEAK + cursor:N_NONE + N_WEAK + cursor + SECOND_BONES]}
    for r in remains:
        _sample(dna_analyst, rng, table, r, genos[r.pk], r.pk in degraded, "bone", store=r.pk not in no_dna)
        n += r.pk not in no_dna
        if r.pk in second:
            _sample(dna_analyst, rng, table, r, genos[r.pk], True, "tooth")
            n += 1
    for _ in range(N_ELSEWHERE):  # missing persons who are not among these remains
        _family(liaison, dna_analyst, rng, drawer, table, STRONG[int(rng.integers(len(STRONG)))], None)
    _duplicate_pair(liaison)
    if report is not None:
        report.update(truth=truth, no_dna=[r for r in remains if r.pk in no_dna], lineage=cases)
    return n


def _sample(dna_analyst, rng, table, r: Remains, alleles: np.ndarray, degraded: bool, material: str, *,
            store: bool = True) -> None:
    typed = _genotypes(rng, table, alleles, 0.03 if not degraded else 0.15)
    if degraded:
        typed = drop_out(typed, DROPOUT, rng)
    if not store:  # the bone gave no usable profile (drawn all the same: the other bodies keep their DNA)
        return
    add_remains_sample(dna_analyst, r, typed, material=material, lab="Demo forensic DNA laboratory",
                       kit="GlobalFiler", dropout=DROPOUT if degraded else 0.0, via="demo")


def _household(liaison, dna_analyst, rng, drawer, table, lost: int, parents: bool, chosen: list[Remains]):
    """A family that lost ``lost`` members together, built as a liaison does on the family page;
    returns the genotypes of the chosen remains' people, in order."""
    template = household(lost, parents)
    surname = SURNAMES[int(rng.integers(len(SURNAMES)))]
    family = services.create_family(liaison, surname, contact=f"+380 00 000 {int(rng.integers(1000, 9999))} (demo)",
                                    via="demo")
    alleles: dict[str, np.ndarray] = {}
    missing_ids = [row[0] for row in template if row[4]]
    sex_of = {mid: r.sex for mid, r in zip(missing_ids, chosen, strict=True)}
    father_name = MALE[int(rng.integers(len(MALE)))]
    for mid, msex, father, mother, missing, typed in template:
        if missing:
            msex = sex_of[mid]
        elif msex == "X":
            msex = "male" if rng.random() < 0.5 else "female"
        g = drawer.founder() if father is None else np.stack(
            [drawer.transmit(alleles[father], "male"), drawer.transmit(alleles[mother], "female")], axis=1)
        alleles[mid] = g
        if missing:
            given = (MALE if msex == "male" else FEMALE)[int(rng.integers(20))]
            services.create_missing_person(liaison, family, {
                "family_name": surname, "given_name": given, "patronymic": _patronymic(father_name, msex),
                "sex": msex, "last_seen_on": dt.date(2022, 3, 7), "last_seen_place": "Izium, apartment building",
                "last_seen_latitude": IZIUM[0], "last_seen_longitude": IZIUM[1],
                "circumstances": "Killed with their family when the building was struck (synthetic).",
            }, member=mid, via="demo")
        elif typed:
            services.add_donor(liaison, family, mid, consent_on=dt.date(2022, 10, 1), sex=msex, label=_label(mid),
                               contact="(demo contact)", via="demo")
        else:
            services.add_member(liaison, family, mid, msex, label=_label(mid), via="demo")
        if father is not None:  # the liaison places the person under their parents
            pedigrees.update_member(liaison, family.members.get(code=mid), father=father, mother=mother, via="demo")
        if typed:
            services.add_reference_profile(dna_analyst, family.donors.get(member__code=mid),
                                           _genotypes(rng, table, g, 0.02), lab="Demo reference laboratory",
                                           kit="GlobalFiler", via="demo")
    return [alleles[mid] for mid in missing_ids]


def _genotypes(rng, table, alleles: np.ndarray, drop: float) -> dict[str, tuple[str, str]]:
    keep = rng.random(len(GLOBALFILER)) >= drop
    return {m: (table.alleles[m][alleles[i, 0]], table.alleles[m][alleles[i, 1]])
            for i, m in enumerate(GLOBALFILER) if keep[i]}


PATERNAL_UNCLE = [("GF", "male", None, None, False, False), ("GM", "female", None, None, False, False),
                  ("U", "X", "GF", "GM", False, True), ("P", "male", "GF", "GM", False, False),
                  ("SP", "female", None, None, False, False), ("MP", "X", "P", "SP", True, False)]


def _family(liaison, dna_analyst, rng, drawer, table, kind: str, remains: Remains | None,  # noqa: PLR0913
            truth: dict | None = None, cases: list | None = None) -> np.ndarray:
    """A family of ``kind`` whose missing person is ``remains`` (or is not among them); a weak
    family (an uncle or aunt only) is added to ``cases`` with the line it shares, if any."""
    template = PATERNAL_UNCLE if kind == "paternal_uncle" else TEMPLATES[kind]
    sex = (remains.sex if remains is not None and remains.sex != Sex.UNDETERMINED
           else ("male" if rng.random() < 0.5 else "female"))
    if kind == "spouse_children" and sex == "female":  # she is the children's mother; the spouse their father
        template = [("W", "male", None, None, False, True), ("MP", "female", None, None, True, False),
                    ("C1", "X", "W", "MP", False, True), ("C2", "X", "W", "MP", False, True)]
    surname = SURNAMES[int(rng.integers(len(SURNAMES)))]
    family = services.create_family(liaison, surname, contact=f"+380 00 000 {int(rng.integers(1000, 9999))} (demo)",
                                    via="demo")
    alleles, mp_alleles = {}, None
    father_name = MALE[int(rng.integers(len(MALE)))]
    for mid, msex, father, mother, missing, typed in template:
        if mid == "MP" or (missing and mp_alleles is None):
            msex = sex
        elif msex == "X":
            msex = "male" if rng.random() < 0.5 else "female"
        if father is None:
            g = drawer.founder()
        else:
            g = np.stack([drawer.transmit(alleles[father], "male"), drawer.transmit(alleles[mother], "female")], axis=1)
        alleles[mid] = g
        if missing and mp_alleles is None:
            mp_alleles = g
            age = ((remains.age_min or 30) + (remains.age_max or 40)) / 2 if remains is not None else 20 + rng.integers(0, 60)
            height = ((remains.stature_min_cm or 160) + (remains.stature_max_cm or 175)) // 2 if remains is not None else None
            given = (MALE if msex == "male" else FEMALE)[int(rng.integers(20))]
            person = services.create_missing_person(liaison, family, {
                "family_name": surname, "given_name": given, "patronymic": _patronymic(father_name, msex),
                "sex": msex, "birth_date": dt.date(2022 - int(age), 1 + int(rng.integers(12)), 1 + int(rng.integers(28))),
                "height_cm": height, "last_seen_on": dt.date(2022, 3, 1 + int(rng.integers(28))),
                "last_seen_place": "Izium", "last_seen_latitude": IZIUM[0] + rng.normal(0, 0.01),
                "last_seen_longitude": IZIUM[1] + rng.normal(0, 0.01),
                "circumstances": "Not heard from during the occupation of Izium (synthetic).",
            }, member=mid, via="demo")
            if truth is not None and remains is not None:
                truth[remains.pk] = person
            if father is not None:  # placed under the parents, as on the family page
                pedigrees.update_member(liaison, family.members.get(code=mid), father=father, mother=mother, via="demo")
        elif not family.members.filter(code=mid).exists():
            if typed:
                services.add_donor(liaison, family, mid, consent_on=dt.date(2022, 10, 1), sex=msex, father=father,
                                   mother=mother, label=_label(mid), contact="(demo contact)", via="demo")
            else:
                services.add_member(liaison, family, mid, msex, father=father, mother=mother, label=_label(mid), via="demo")
        if typed:
            donor = family.donors.filter(member__code=mid).first() or services.add_donor(
                liaison, family, mid, consent_on=dt.date(2022, 10, 1), label=_label(mid), via="demo")
            services.add_reference_profile(dna_analyst, donor, _genotypes(rng, table, g, 0.02),
                                           lab="Demo reference laboratory", kit="GlobalFiler", via="demo")
    if cases is not None and remains is not None and kind in ("avuncular", "paternal_uncle"):
        uncle = family.members.get(code="U")
        line = "maternal" if kind == "avuncular" else "paternal" if uncle.sex == "male" and sex == "male" else None
        if line:  # a paternal aunt shares neither line: the family stays weak
            cases.append((line, family, remains, uncle.donor.code))
    return mp_alleles


def _label(code: str) -> str:
    return {"F": "father", "M": "mother", "S1": "sibling", "S2": "sibling", "W": "spouse", "C1": "child",
            "C2": "child", "C": "surviving child", "GF": "grandfather", "GM": "grandmother", "HS": "half-sibling",
            "U": "uncle or aunt", "MP": "missing person's own item"}.get(code, "")


def _duplicate_pair(liaison) -> None:
    """The same (synthetic) person reported twice, in Cyrillic and in Latin."""
    for spelling, given in (("Коваленко", "Оксана"), ("Kovalenko", "Oksana")):
        fam = services.create_family(liaison, spelling, via="demo")
        services.create_missing_person(liaison, fam, {
            "family_name": spelling, "given_name": given, "sex": "female", "birth_date": dt.date(1961, 5, 12),
            "last_seen_on": dt.date(2022, 3, 20), "last_seen_place": "Izium"}, via="demo")
