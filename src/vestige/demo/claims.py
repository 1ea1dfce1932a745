"""The Izium claims of DOMAIN.md: who said what and when, and one worked verification.

Figures and issuers' roles are the public ones DOMAIN.md gives; exact days are not always
known, so dates carry a precision (day or month). The officials spoke Ukrainian: each claim's
quote is in Ukrainian (``quote_language`` "uk") with its English translation beside it; the
Ukrainian wording is the demo's rendering of the short phrases DOMAIN.md quotes in English, not
a verbatim record, and the source note says so. Paraphrases stay marked as such. The witness and
the incident's details are synthetic.
Loading is idempotent (nothing is added when the Izium claims are already there).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from vestige.claims import services
from vestige.claims.models import Claim, Incident, Witness
from vestige.registry.models import Site

OFFICIALS = {"name": "Українські посадовці (Ukrainian officials)", "kind": "official"}
GOVERNOR = {"name": "Голова Харківської ОВА (Kharkiv regional governor)", "kind": "official"}
PROSECUTOR = {"name": "Офіс генерального прокурора (Prosecutor General's Office)", "kind": "official"}

# English (as DOMAIN.md gives it) → the Ukrainian the officials would have said (the demo's rendering).
UKRAINIAN = {
    "up to 400 graves": "до 400 могил",
    "A figure of 440 was given while the exhumation was under way.": "Під час ексгумації називали цифру 440.",
    "447 bodies exhumed": "ексгумовано 447 тіл",
    "Of the 447 bodies: 215 women (civilians).": "З 447 тіл: 215 — жінки (цивільні).",
    "Of the 447 bodies: 194 men (civilians).": "З 447 тіл: 194 — чоловіки (цивільні).",
    "Of the 447 bodies: 5 children.": "З 447 тіл: 5 — діти.",
    "Of the 447 bodies: 22 servicemen.": "З 447 тіл: 22 — військовослужбовці.",
    "Of the 447 bodies: 11 civilians of undetermined sex.": "З 447 тіл: 11 — цивільні, стать яких не встановлено.",
    "30 with signs of torture": "30 — з ознаками катувань",
    "A later statement gave 17 bodies with signs of torture.": "Пізніше повідомили про 17 тіл з ознаками катувань.",
    "Dozens of those buried there were killed in an airstrike on an apartment building.":
        "Десятки похованих там загинули під час авіаудару по багатоквартирному будинку.",
    "402 of 448 identified by DNA after more than 1,500 DNA tests.":
        "За ДНК ідентифіковано 402 з 448 після понад 1500 експертиз.",
}


def _claim(actor, site, issuer, day, precision, quote, category, value=None, qualifier="exact", unit="",
           counted="", measure="", paraphrase=False, incident=None):
    data = {"issuer": issuer, "said_on": day, "date_precision": precision, "quote": UKRAINIAN[quote],
            "quote_language": "uk", "translation": quote,
            "is_paraphrase": paraphrase, "category": category, "site": site, "incident": incident,
            "source_note": "As summarised in Vestige's domain notes; the Ukrainian wording is the demo's rendering, "
                           "not a verbatim record (demo)", "counted": counted, "measure": measure}
    if value is not None:
        data.update(value_min=value, qualifier=qualifier, unit=unit)
    return services.create_claim(actor, data, via="demo")


@transaction.atomic
def load_izium_claims(investigator, analyst) -> int:
    site = Site.objects.get(ref="IZM-PISH")
    if Claim.objects.filter(site=site).exists():
        return 0
    incident = Incident.objects.filter(ref="INC-IZM-0001").first() or services.create_incident(investigator, {
        "ref": "INC-IZM-0001", "kind": "airstrike", "title": "Airstrike on an apartment building, Izium",
        "started_on": dt.date(2022, 3, 1), "ended_on": dt.date(2022, 3, 31), "date_precision": "month",
        "place": "Izium, Kharkiv oblast",
        "description": "Witnesses said that dozens of the people buried at the Pishchanske forest site were "
                       "killed in an airstrike on an apartment building. Demonstration record; date to the month.",
    }, sites=["IZM-PISH"], via="demo")
    witness = Witness.objects.filter(code="W-001").first() or services.create_witness(investigator, {
        "code": "W-001", "consent_given": True, "consent_on": dt.date(2022, 10, 3),
        "consent_scope": "Use in the investigation and in court", "willing_to_testify": "yes",
        "notes": "Synthetic demonstration witness.",
    }, {"full_name": "Synthetic Person (demo)", "contact": "+000 000 0000 (demo)"}, via="demo")
    services.add_statement(investigator, witness, dt.date(2022, 10, 3),
                           "Saw neighbours buried in the forest after the strike on the apartment building (synthetic).",
                           via="demo")
    sept = dt.date(2022, 9, 23)
    up_to_400 = _claim(investigator, site, OFFICIALS, dt.date(2022, 9, 15), "month", "up to 400 graves", "graves",
                       400, "up_to", "graves", "graves at the burial site (first reports)", "graves_recorded")
    _claim(investigator, site, OFFICIALS, dt.date(2022, 9, 16), "month",
           "A figure of 440 was given while the exhumation was under way.", "dead", 440, "exact", "bodies",
           "bodies buried at the site (during the exhumation)", "remains_total", paraphrase=True)
    bodies = _claim(investigator, site, OFFICIALS, sept, "day", "447 bodies exhumed", "dead", 447, "exact", "bodies",
                    "bodies exhumed 16–23 Sept 2022, civilians and servicemen", "remains_total")
    for value, counted, measure in ((215, "women (civilians)", "b_women"), (194, "men (civilians)", "b_men"),
                                    (5, "children", "b_children"), (22, "servicemen", "b_servicemen"),
                                    (11, "civilians of undetermined sex", "b_undetermined")):
        _claim(investigator, site, OFFICIALS, sept, "day",
               f"Of the 447 bodies: {value} {counted}.", "dead", value, "exact", "persons", counted, measure,
               paraphrase=True)
    torture_30 = _claim(investigator, site, GOVERNOR, sept, "day", "30 with signs of torture", "torture", 30, "exact",
                        "bodies", "bodies with signs of torture", "with_torture")
    _claim(investigator, site, PROSECUTOR, dt.date(2022, 11, 15), "month",
           "A later statement gave 17 bodies with signs of torture.", "torture", 17, "exact", "bodies",
           "bodies with signs of torture", "with_torture", paraphrase=True)
    _claim(investigator, site, {"name": "W-001", "kind": "witness"}, dt.date(2022, 10, 3), "day",
           "Dozens of those buried there were killed in an airstrike on an apartment building.", "cause_of_death",
           24, "at_least", "persons", "people killed in the airstrike and buried at the site", "",
           paraphrase=True, incident=incident)
    _claim(investigator, site, OFFICIALS, dt.date(2025, 3, 15), "month",
           "402 of 448 identified by DNA after more than 1,500 DNA tests.", "identified", 402, "exact", "persons",
           "identified by DNA, as of March 2025", "identified", paraphrase=True)
    _claim(investigator, site, OFFICIALS, dt.date(2025, 3, 15), "month",
           "402 of 448 identified by DNA after more than 1,500 DNA tests.", "dead", 448, "exact", "bodies",
           "bodies from the site, as of March 2025", "remains_total", paraphrase=True)

    # One worked verification, by the analyst: "447 bodies exhumed" from reported to verified.
    services.add_link(analyst, bodies, "supports", site=site,
                      note="Registry: 447 remains recorded from exhumation EXH-IZM-2022-09.", via="demo")
    services.change_status(analyst, bodies, "corroborated",
                           "The registry's own count, independent of the issuer, matches.", via="demo")
    services.change_status(
        analyst, bodies, "verified", "All three assessments agree with the claim.",
        source_assessment="Issued by the authorities who ran the exhumation; later official updates are consistent.",
        technical_assessment="Exhumation record and body numbers IZM-0001 to IZM-0447 reviewed: no gaps, no duplicates.",
        content_assessment="Matches the registry's 447 remains, recovered 16–23 Sept 2022, and the published breakdown.",
        geolocation="Site polygon matches the Pishchanske forest burial site.",
        chronolocation="Exhumation dates 16–23 Sept 2022 from the exhumation record.", via="demo")
    services.add_link(analyst, up_to_400, "contradicts", site=site, note="Registry: 446 graves recorded.", via="demo")
    services.change_status(analyst, up_to_400, "refuted",
                           "An early estimate; the registry records 446 graves (445 numbered and a trench).", via="demo")
    services.add_link(analyst, torture_30, "supports", site=site,
                      note="Registry: 30 remains with recorded signs of torture.", via="demo")
    services.change_status(analyst, torture_30, "corroborated",
                           "Post-mortem findings in the registry record signs of torture on 30 bodies.", via="demo")
    return Claim.objects.filter(site=site).count()
