"""Import of incidents from CSV or XLSX in the ACLED column layout (all rows or none).

Columns used: ``event_id_cnty`` (becomes ``ACLED-<id>``), ``event_date`` (ISO or "09 March 2022"),
``time_precision`` (1 day, 2 week, 3 month), ``event_type``, ``sub_event_type``, ``location``,
``admin1``, ``admin2``, ``country``, ``latitude``, ``longitude``, ``notes``, ``fatalities``,
``source``. Other ACLED columns are accepted and ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.claims.models import DatePrecision, Incident, IncidentType
from vestige.claims.services import INCIDENT_FIELDS
from vestige.errors import ImportRejected, RowError
from vestige.history.models import Action
from vestige.history.services import record_many, snapshot
from vestige.registry.importing import ImportReport, read_table

REQUIRED = ("event_id_cnty", "event_date", "event_type", "location", "latitude", "longitude")
SUB_EVENT_KIND = {
    "air/drone strike": IncidentType.AIRSTRIKE,
    "shelling/artillery/missile attack": IncidentType.SHELLING,
    "remote explosive/landmine/ied": IncidentType.SHELLING,
    "attack": IncidentType.KILLING,
    "abduction/forced disappearance": IncidentType.DETENTION,
    "sexual violence": IncidentType.TORTURE,
    "armed clash": IncidentType.BATTLE,
}
PRECISION = {"1": DatePrecision.DAY, "2": DatePrecision.DAY, "3": DatePrecision.MONTH}


def _date(value: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def import_acled(actor, data: BinaryIO, name: str, *, dry_run: bool = False, via: str = "import") -> ImportReport:
    require(actor, Cap.CLAIM_WRITE)
    header, rows = read_table(data, name)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems = [RowError(1, c, "", _("required ACLED column is missing")) for c in missing]
        if dry_run:
            return ImportReport("incidents", name, len(rows), 0, True, problems)
        raise ImportRejected(name, problems)
    errors: list[RowError] = []
    incidents: list[Incident] = []
    seen: dict[str, int] = {}
    refs = [f"ACLED-{r.get('event_id_cnty', '')}" for _, r in rows]
    existing = set(Incident.objects.filter(ref__in=refs).values_list("ref", flat=True))
    for line, r in rows:
        row_errors = []
        ref = f"ACLED-{r['event_id_cnty']}"
        if not r["event_id_cnty"]:
            row_errors.append(RowError(line, "event_id_cnty", "", _("required")))
        elif ref in seen:
            row_errors.append(RowError(line, "event_id_cnty", r["event_id_cnty"], _("duplicate of line %(l)d") % {"l": seen[ref]}))
        elif ref in existing:
            row_errors.append(RowError(line, "event_id_cnty", r["event_id_cnty"], _("already imported")))
        seen.setdefault(ref, line)
        try:
            day = _date(r["event_date"])
        except ValueError:
            row_errors.append(RowError(line, "event_date", r["event_date"], _("not a date (YYYY-MM-DD or '09 March 2022')")))
            day = None
        sub = r.get("sub_event_type", "")
        fatalities = r.get("fatalities", "")
        place = ", ".join(x for x in (r.get("location"), r.get("admin2"), r.get("admin1"), r.get("country")) if x)
        inc = Incident(
            ref=ref, kind=SUB_EVENT_KIND.get(sub.lower(), IncidentType.OTHER),
            title=f"{sub or r['event_type']}: {r['location']}"[:200], started_on=day, ended_on=day,
            date_precision=PRECISION.get(r.get("time_precision", "1"), DatePrecision.DAY), place=place[:200],
            latitude=r["latitude"] or None, longitude=r["longitude"] or None, description=r.get("notes", ""),
            reported_fatalities=fatalities or None,
            source=f"ACLED {r['event_id_cnty']}" + (f"; {r['source']}" if r.get("source") else ""),
        )
        if not row_errors:
            try:
                inc.full_clean(validate_unique=False)
            except ValidationError as e:
                acled_col = {"reported_fatalities": "fatalities", "started_on": "event_date", "description": "notes"}
                for f, msgs in e.message_dict.items():
                    col = acled_col.get(f, f)
                    row_errors += [RowError(line, col, r.get(col, ""), m) for m in msgs]
        errors += row_errors
        if not row_errors:
            incidents.append(inc)
    report = ImportReport("incidents", name, len(rows), 0, dry_run, errors)
    if dry_run:
        return report
    if errors:
        raise ImportRejected(name, errors)
    with transaction.atomic():
        created = Incident.objects.bulk_create(incidents, batch_size=2000)
        record_many(created, Action.IMPORTED, actor,
                    [{k: [None, v] for k, v in snapshot(i, INCIDENT_FIELDS).items() if v not in (None, "")} for i in created],
                    via=via)
    report.created = len(created)
    return report
