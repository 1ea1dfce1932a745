"""The Izium demonstration scenario: sites, graves, an exhumation and remains.

Figures follow the public, sourced record (see ``shared/design/DOMAIN.md``): the Pishchanske
forest burial site near Izium, graves marked 1–445 with numbered wooden crosses and a trench
marked for 17 soldiers; 447 bodies exhumed 16–23 September 2022 — 215 women, 194 men,
5 children, 22 servicemen, 11 of undetermined sex; 30 with signs of torture. Everything about
individual remains (ages, statures, injuries, positions) is **synthetic**, generated from a
fixed seed; no real person is described. Coordinates are approximate.

Loading is idempotent: each record is created only if its reference is not there yet.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from vestige.registry import services
from vestige.registry.models import (
    Category,
    DiscoveryMethod,
    Exhumation,
    Grave,
    GraveStatus,
    Injury,
    MannerOfDeath,
    MarkerType,
    Remains,
    Sex,
    Site,
    SiteKind,
    TortureSign,
)

SEED = 2022

# (lat, lon) of the synthetic grave grid's south-west corner and its spacing in degrees.
IZIUM_ORIGIN = (49.1785, 37.2440)
DLAT, DLON = 0.00006, 0.00009  # ~6.7 m by ~6.5 m


@dataclass(frozen=True)
class Published:
    """The published Izium figures the demo must reproduce (DOMAIN.md)."""

    graves_numbered: int = 445
    trench_soldiers: int = 17
    bodies: int = 447
    women: int = 215
    men: int = 194
    children: int = 5
    servicemen: int = 22
    sex_undetermined: int = 11
    torture: int = 30


IZIUM = Published()


def _polygon(lat0, lon0, lat1, lon1):
    return {"type": "Polygon", "coordinates": [[
        [lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def _create(actor, model, lookup: dict, data: dict):
    existing = model.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    return services.create(actor, model, data, via="demo"), True


def _remains_plan(rng: random.Random) -> list[dict]:
    """447 synthetic findings in the published proportions (exclusive groups, as reported)."""
    p = IZIUM
    plan: list[dict] = []
    civil_men_servicemen_from_graves = p.servicemen - p.trench_soldiers
    for _ in range(p.women):
        plan.append({"sex": Sex.FEMALE, "category": Category.CIVILIAN, "adult": True})
    for _ in range(p.men):
        plan.append({"sex": Sex.MALE, "category": Category.CIVILIAN, "adult": True})
    for i in range(p.children):
        plan.append({"sex": (Sex.FEMALE, Sex.MALE, Sex.UNDETERMINED)[i % 3], "category": Category.CIVILIAN, "adult": False})
    for _ in range(p.sex_undetermined):
        plan.append({"sex": Sex.UNDETERMINED, "category": Category.CIVILIAN, "adult": True})
    rng.shuffle(plan)
    for _ in range(civil_men_servicemen_from_graves):
        plan.append({"sex": Sex.MALE, "category": Category.SERVICEMAN, "adult": True})
    for _ in range(p.trench_soldiers):
        plan.append({"sex": Sex.MALE, "category": Category.SERVICEMAN, "adult": True, "trench": True})
    # Thirty with signs of torture, among adult civilians and servicemen (synthetic choice).
    candidates = [i for i, r in enumerate(plan) if r["adult"]]
    signs = ([TortureSign.BOUND_HANDS] * 10 + [TortureSign.ROPE_AROUND_NECK] * 8
             + [TortureSign.FRACTURES] * 7 + [TortureSign.LIGATURE] * 5)
    for idx, sign in zip(rng.sample(candidates, p.torture), signs, strict=True):
        plan[idx]["torture"] = [sign] + ([TortureSign.FRACTURES] if sign == TortureSign.BOUND_HANDS and rng.random() < 0.4 else [])
    return plan


def _findings(rng: random.Random, item: dict, day: dt.date) -> dict:
    sex, adult = item["sex"], item["adult"]
    if adult:
        age_lo = rng.randint(20, 80) if item["category"] == Category.CIVILIAN else rng.randint(20, 45)
        age = (age_lo, age_lo + rng.choice((5, 10, 15)))
        base = {Sex.FEMALE: 158, Sex.MALE: 170}.get(sex, 163)
        lo = base + rng.randint(-8, 10)
        stature = (lo, lo + 8)
    else:
        age_lo = rng.randint(3, 12)
        age = (age_lo, age_lo + 3)
        lo = 95 + age_lo * 5
        stature = (lo, lo + 10)
    torture = item.get("torture", [])
    r = rng.random()
    if item["category"] == Category.SERVICEMAN:
        injuries = [rng.choice((Injury.GUNSHOT, Injury.SHRAPNEL))]
        cause, manner = "Injuries consistent with combat (synthetic)", MannerOfDeath.UNDETERMINED
    elif torture or r < 0.07:
        injuries = [Injury.GUNSHOT] if r < 0.6 else [Injury.BLUNT]
        cause, manner = "Gunshot or blunt-force injuries (synthetic)", MannerOfDeath.HOMICIDE
    elif r < 0.2:
        injuries = [Injury.BLAST, Injury.SHRAPNEL]
        cause, manner = "Blast and shrapnel injuries (synthetic)", MannerOfDeath.HOMICIDE
    else:
        injuries = []
        cause, manner = "", MannerOfDeath.PENDING
    return {
        "sex": sex, "category": item["category"], "age_min": age[0], "age_max": age[1],
        "stature_min_cm": stature[0], "stature_max_cm": stature[1], "injuries": injuries,
        "torture_signs": torture, "cause_of_death": cause, "manner_of_death": manner,
        "recovered_on": day,
        "clothing_effects": rng.choice(("Civilian clothing", "Winter coat, boots", "Dress, cardigan",
                                        "Tracksuit", "Shirt, trousers, wristwatch", "Military uniform"))
        if item["category"] == Category.CIVILIAN else "Military uniform",
    }


@transaction.atomic
def load_izium(actor) -> dict[str, int]:
    rng = random.Random(SEED)
    created = {"sites": 0, "graves": 0, "exhumations": 0, "remains": 0}
    lat0, lon0 = IZIUM_ORIGIN
    site, new = _create(actor, Site, {"ref": "IZM-PISH"}, {
        "ref": "IZM-PISH", "name": "Поховання в Піщанському лісі (Pishchanske forest burial site)",
        "kind": SiteKind.BURIAL_SITE,
        "region": "Kharkiv oblast", "locality": "Izium",
        "geometry": _polygon(lat0 - 0.0003, lon0 - 0.0004, lat0 + 0.0017, lon0 + 0.0024),
        "discovered_on": dt.date(2022, 9, 15), "discovery_method": DiscoveryMethod.ONLINE_MEDIA,
        "discovery_notes": "First seen in videos posted online; found on the ground after Izium was "
                           "retaken in September 2022.",
        "description": "Кілька сотень могил у Піщанському лісі, здебільшого з нумерованими дерев'яними "
                       "хрестами, і траншея з позначкою про 17 військових. — Several hundred graves in the "
                       "Pishchanske forest, most marked by numbered wooden crosses, and a trench marked for 17 "
                       "soldiers. Demonstration record: individual details are synthetic; coordinates are "
                       "approximate.",
    })
    created["sites"] += new
    exh, new = _create(actor, Exhumation, {"reference": "EXH-IZM-2022-09"}, {
        "reference": "EXH-IZM-2022-09", "site": site, "team": "Forensic exhumation team (demo)",
        "authority": "Regional prosecutor's office (demo)",
        "started_on": dt.date(2022, 9, 16), "ended_on": dt.date(2022, 9, 23),
        "notes": "447 bodies exhumed between 16 and 23 September 2022 (published figure).",
    })
    created["exhumations"] += new
    graves: dict[str, Grave] = {g.label: g for g in site.graves.all()}
    for n in range(1, IZIUM.graves_numbered + 1):
        label = str(n)
        if label in graves:
            continue
        row, col = divmod(n - 1, 25)
        graves[label] = services.create(actor, Grave, {
            "site": site, "label": label, "marker_type": MarkerType.WOODEN_CROSS,
            "inscription": f"No. {n}", "latitude": round(lat0 + row * DLAT, 6),
            "longitude": round(lon0 + col * DLON, 6), "expected_occupants": 1,
            "status": GraveStatus.EXHUMED,
        }, via="demo")
        created["graves"] += 1
    if "T-17" not in graves:
        graves["T-17"] = services.create(actor, Grave, {
            "site": site, "label": "T-17", "marker_type": MarkerType.WOODEN_CROSS,
            "inscription": "Marked for 17 soldiers (paraphrase of the marker)",
            "latitude": round(lat0 + 0.0013, 6), "longitude": round(lon0 + 0.0021, 6),
            "position_note": "Trench at the north-east edge", "expected_occupants": IZIUM.trench_soldiers,
            "status": GraveStatus.EXHUMED,
        }, via="demo")
        created["graves"] += 1
    existing = set(Remains.objects.filter(site=site).values_list("body_number", flat=True))
    plan = _remains_plan(rng)
    days = [dt.date(2022, 9, 16) + dt.timedelta(days=d) for d in range(8)]
    grave_no = 0
    for i, item in enumerate(plan, start=1):
        if item.get("trench"):
            grave = graves["T-17"]
        else:
            grave_no += 1
            grave = graves[str(grave_no)]
        findings = _findings(rng, item, days[min(7, (i - 1) * 8 // len(plan))])
        number = f"IZM-{i:04d}"
        if number in existing:
            continue
        services.create(actor, Remains, {
            "body_number": number, "site": site, "grave": grave, "exhumation": exh, **findings,
        }, via="demo")
        created["remains"] += 1
    # The numbered graves with no body recorded (445 graves, 430 bodies outside the trench).
    for n in range(grave_no + 1, IZIUM.graves_numbered + 1):
        g = graves[str(n)]
        if not g.notes:
            services.update(actor, g, {"notes": "No remains recorded from this grave (synthetic demo detail)."}, via="demo")
    for small in (_BUCHA, _LYMAN):
        for k, v in _load_small(actor, rng, **small).items():
            created[k] += v
    return created


_BUCHA = dict(
    ref="BCH-CHURCH", name="Масове поховання біля церкви (churchyard mass grave)", kind=SiteKind.MASS_GRAVE, region="Kyiv oblast",
    locality="Bucha", centre=(50.5437, 30.2136), discovered=dt.date(2022, 4, 3),
    method=DiscoveryMethod.OFFICIAL, exh=("EXH-BCH-2022-04", dt.date(2022, 4, 8), dt.date(2022, 4, 13)),
    graves=4, remains=9,
)
_LYMAN = dict(
    ref="LYM-CEM", name="Ділянка міського кладовища (city cemetery burial section)", kind=SiteKind.CEMETERY_SECTION,
    region="Donetsk oblast", locality="Lyman", centre=(48.9866, 37.8030), discovered=dt.date(2022, 10, 6),
    method=DiscoveryMethod.FIELD_SURVEY, exh=("EXH-LYM-2022-10", dt.date(2022, 10, 7), dt.date(2022, 10, 14)),
    graves=8, remains=8,
)


def _load_small(actor, rng, *, ref, name, kind, region, locality, centre, discovered, method, exh, graves, remains):
    """A small site: a few graves and synthetic remains (demonstration only)."""
    created = {"sites": 0, "graves": 0, "exhumations": 0, "remains": 0}
    lat, lon = centre
    site, new = _create(actor, Site, {"ref": ref}, {
        "ref": ref, "name": name, "kind": kind, "region": region, "locality": locality,
        "geometry": {"type": "Point", "coordinates": [lon, lat]}, "discovered_on": discovered,
        "discovery_method": method, "description": "Demonstration record with synthetic details.",
    })
    created["sites"] += new
    exhumation, new = _create(actor, Exhumation, {"reference": exh[0]}, {
        "reference": exh[0], "site": site, "team": "Forensic exhumation team (demo)",
        "authority": "Regional prosecutor's office (demo)", "started_on": exh[1], "ended_on": exh[2],
    })
    created["exhumations"] += new
    gs = []
    for n in range(1, graves + 1):
        g, new = _create(actor, Grave, {"site": site, "label": str(n)}, {
            "site": site, "label": str(n), "marker_type": MarkerType.NONE,
            "latitude": round(lat + n * 0.00005, 6), "longitude": round(lon + n * 0.00004, 6),
            "expected_occupants": None, "status": GraveStatus.EXHUMED,
        })
        created["graves"] += new
        gs.append(g)
    for n in range(1, remains + 1):
        item = {"sex": rng.choice((Sex.FEMALE, Sex.MALE)), "category": Category.CIVILIAN, "adult": True}
        _, new = _create(actor, Remains, {"body_number": f"{ref.split('-')[0]}-{n:04d}"}, {
            "body_number": f"{ref.split('-')[0]}-{n:04d}", "site": site, "grave": gs[(n - 1) % len(gs)],
            "exhumation": exhumation, **_findings(rng, item, exh[1]),
        })
        created["remains"] += new
    return created
