"""Reconciling another organisation's list of people with the register (issue 31, part 3).

- **Import** (``import_list``): a CSV or XLSX list as it came — names in any script, dates of birth
  and disappearance, places, a serviceman's unit, the source organisation's own identifier —
  every row kept (unknown columns too, as ``extra``), the file's SHA-256 and the source recorded.
  All rows or none: a bad date or sex is named by line, column and value.
- **Link** (``link_list``, or ``start_linking`` as a task): probabilistic record linkage of the
  undecided rows against the register records the linker may see (in the list's case when it has
  one), with :mod:`vestige.linkage.model` (Fellegi–Sunter, m/u by EM, Splink on DuckDB). Each row
  gets its best register candidate above the list's threshold as a *proposal*, with each field's
  level and weight; rows already decided are left as decided.
- **Decide** (``decide``): a person accepts a proposal (or names another record), rejects it, or
  creates a new register record from the row; each decision is recorded, the accepted or created
  record's history names the list and line it was joined to, and a decision can be reopened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from vestige import access, tasks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, ImportRejected, InvalidInput, RowError
from vestige.history.models import Action
from vestige.history.services import next_reference, record
from vestige.linkage import model as linkage
from vestige.linkage.names import name_key
from vestige.linkage.records import Person
from vestige.missing import services
from vestige.missing.models import EntryStatus, ListEntry, ListStatus, MissingPerson, PersonList
from vestige.tables import read_table

__all__ = ["COLUMNS", "ListInfo", "import_list", "link_list", "start_linking", "decide", "entry_rows", "ListImport"]

# The list's columns (English names, or the Ukrainian and Russian headings lists use).
COLUMNS = ("family_name", "given_name", "patronymic", "sex", "birth_date", "birth_place", "disappeared_on",
           "disappearance_place", "unit", "source_id")
ALIASES = {
    "surname": "family_name", "last_name": "family_name", "lastname": "family_name", "family": "family_name",
    "прізвище": "family_name", "фамилия": "family_name",
    "name": "given_name", "first_name": "given_name", "firstname": "given_name", "given": "given_name",
    "forename": "given_name", "ім'я": "given_name", "ім’я": "given_name", "імя": "given_name", "имя": "given_name",
    "middle_name": "patronymic", "father_name": "patronymic", "fathers_name": "patronymic",
    "по батькові": "patronymic", "по-батькові": "patronymic", "отчество": "patronymic",
    "gender": "sex", "стать": "sex", "пол": "sex",
    "dob": "birth_date", "birthdate": "birth_date", "date_of_birth": "birth_date", "born": "birth_date",
    "дата народження": "birth_date", "дата рождения": "birth_date",
    "birthplace": "birth_place", "place_of_birth": "birth_place", "місце народження": "birth_place",
    "место рождения": "birth_place",
    "last_seen_on": "disappeared_on", "last_seen": "disappeared_on", "last_seen_date": "disappeared_on",
    "date_missing": "disappeared_on", "missing_date": "disappeared_on", "missing_since": "disappeared_on",
    "disappearance_date": "disappeared_on", "date_of_disappearance": "disappeared_on",
    "дата зникнення": "disappeared_on", "дата исчезновения": "disappeared_on",
    "last_seen_place": "disappearance_place", "place_missing": "disappearance_place",
    "missing_place": "disappearance_place", "place_of_disappearance": "disappearance_place",
    "last_seen_location": "disappearance_place", "місце зникнення": "disappearance_place",
    "место исчезновения": "disappearance_place",
    "military_unit": "unit", "unit_number": "unit", "військова частина": "unit", "в/ч": "unit",
    "воинская часть": "unit",
    "id": "source_id", "номер": "source_id", "record_id": "source_id",
    "full_name": "full_name", "fullname": "full_name", "піб": "full_name", "фио": "full_name", "п.і.б.": "full_name",
}
SEXES = {"male": "male", "m": "male", "man": "male", "ч": "male", "м": "male", "чол": "male", "муж": "male",
         "чоловіча": "male", "чоловік": "male", "мужской": "male", "мужчина": "male",
         "female": "female", "f": "female", "woman": "female", "ж": "female", "жін": "female", "жен": "female",
         "жіноча": "female", "жінка": "female", "женский": "female", "женщина": "female",
         "": "", "unknown": "", "?": "", "невідомо": "", "неизвестно": ""}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d-%m-%Y",
                "%Y.%m.%d")


@dataclass
class ListImport:
    """What an import found (a dry run) or did."""

    source: str
    rows: int = 0
    extra_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    person_list: PersonList | None = None

    @property
    def created(self) -> int:
        return self.rows if self.person_list is not None else 0

    def summary(self, path: str) -> str:
        """One line for the command line."""
        if self.person_list is None:
            return (f"{path}: all {self.rows} rows are good (dry run: nothing stored)"
                    + (f"; kept as extra: {', '.join(self.extra_columns)}" if self.extra_columns else ""))
        return f"{self.person_list.ref}: {self.rows} rows imported from {path}"

    def as_dict(self) -> dict:
        return {"source": self.source, "rows": self.rows, "extra_columns": self.extra_columns,
                "dry_run": self.dry_run, "ok": not self.errors, "errors": [e.__dict__ for e in self.errors],
                "list": self.person_list.ref if self.person_list else None}


def _date(raw: str, line: int, column: str, *, year_only: bool = False) -> tuple[str, RowError | None]:
    """ISO text of a date written YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY (a year alone where allowed)."""
    if not raw:
        return "", None
    if year_only and re.fullmatch(r"\d{4}", raw) and 1880 <= int(raw) <= 2100:
        return raw, None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date().isoformat(), None
        except ValueError:
            continue
    return "", RowError(line, column, raw, _("a date as YYYY-MM-DD or DD.MM.YYYY") +
                        (_(" (or the year alone)") if year_only else ""))


def _split_full_name(row: dict[str, str]) -> None:
    """A list with one name column (ПІБ, ФИО, full_name): surname, given name, patronymic, in the
    order Ukrainian and Russian registers write them."""
    words = (row.get("full_name") or "").split()
    if words and not row.get("family_name"):
        row["family_name"] = words[0]
        row.setdefault("given_name", "")
        row["given_name"] = row["given_name"] or (words[1] if len(words) > 1 else "")
        row["patronymic"] = row.get("patronymic") or " ".join(words[2:])


def _clean_row(line: int, row: dict[str, str], extra: list[str]) -> tuple[dict, list[RowError]]:
    errors: list[RowError] = []
    _split_full_name(row)
    out = {c: row.get(c, "") for c in COLUMNS}
    if not out["family_name"]:
        errors.append(RowError(line, "family_name", "", _("required")))
    sex = out["sex"].strip().lower().rstrip(".")
    if sex not in SEXES:
        errors.append(RowError(line, "sex", out["sex"], _("male or female (or ч/ж, м/ж), or empty")))
    else:
        out["sex"] = SEXES[sex]
    for column in ("birth_date", "disappeared_on"):
        out[column], problem = _date(out[column], line, column, year_only=column == "birth_date")
        if problem:
            errors.append(problem)
    for column, value in out.items():
        if len(value) > 200:
            errors.append(RowError(line, column, value, _("longer than 200 characters")))
    if extra:
        out["extra"] = {c: row[c] for c in extra if row.get(c)}
    return out, errors


@dataclass(frozen=True)
class ListInfo:
    """What is said of a list when it is imported (its provenance)."""

    name: str
    source: str  # the organisation that compiled it
    received_on: dt.date | None = None
    case: object = None  # a Case or its code; None: the importer's only case
    threshold: float = linkage.DEFAULT_THRESHOLD


def import_list(actor, data: BinaryIO, name: str, info: ListInfo, *, dry_run: bool = False,
                via: str = "web") -> ListImport:
    """Read and (unless ``dry_run``) store a list: all rows or none."""
    require(actor, Cap.MISSING_WRITE)
    case = access.case_for_new(actor, info.case)
    list_name, source, received_on, threshold = info.name, info.source, info.received_on, info.threshold
    raw = data.read()
    problems: list[RowError] = []
    if not list_name.strip():
        problems.append(RowError(0, "name", "", _("name the list")))
    if not source.strip():
        problems.append(RowError(0, "source", "", _("name the organisation the list came from")))
    if not 0.5 <= threshold < 1:
        problems.append(RowError(0, "threshold", str(threshold), _("a match probability in [0.5, 1)")))
    header, rows = read_table(io.BytesIO(raw), name)
    aliases = dict(ALIASES)
    if "name" in header and not {"surname", "family_name", "last_name", "lastname", "family", "прізвище",
                                  "фамилия"} & set(header):
        aliases["name"] = "full_name"  # a lone "name" column is the whole name, not the given name
    header = [aliases.get(h, h) for h in header]
    rows = [(line, {aliases.get(k, k): v for k, v in row.items()}) for line, row in rows]
    if "family_name" not in header and "full_name" not in header:
        problems.append(RowError(1, "family_name", "", _("required column is missing (family_name, surname or "
                                                         "прізвище)")))
    extra = [h for h in header if h not in COLUMNS and h != "full_name"]
    clean: list[tuple[int, dict]] = []
    if not problems:
        for line, row in rows:
            fields, errors = _clean_row(line, row, extra)
            problems += errors
            clean.append((line, fields))
    if not rows:
        problems.append(RowError(2, "", "", _("the list has no rows")))
    report = ListImport(name, len(rows), extra, dry_run, problems)
    if dry_run:
        return report
    if problems:
        raise ImportRejected(name, problems)
    with transaction.atomic():
        plist = PersonList.objects.create(
            ref=next_reference(PersonList, "ref", "LIST-", 4), case=case, name=list_name.strip(),
            source=source.strip(), received_on=received_on, file_name=name[:300],
            sha256="sha256:" + hashlib.sha256(raw).hexdigest(), rows=len(clean), imported_by=actor,
            threshold=threshold)
        ListEntry.objects.bulk_create([ListEntry(
            person_list=plist, line=line, fields=f,
            name_key=name_key(" ".join((f["family_name"], f["given_name"], f["patronymic"])))[:300])
            for line, f in clean],
                                      batch_size=2000)
        record(plist, Action.CREATED, actor, {"list": [None, f"{plist.name} ({plist.source}), {len(clean)} rows, "
                                                            f"{plist.file_name} {plist.sha256}"]}, via=via)
    report.person_list = plist
    return report


def _as_person(entry_id: str, f: dict) -> Person:
    birth, year = f.get("birth_date") or "", None
    if len(birth) == 4:
        birth, year = "", int(birth)
    return Person(
        id=entry_id, surname=f.get("family_name", ""), given=f.get("given_name", ""),
        patronymic=f.get("patronymic", ""), sex=f.get("sex", ""),
        birth_date=dt.date.fromisoformat(birth) if birth else None, birth_year=year,
        birth_place=f.get("birth_place", ""),
        disappeared_on=dt.date.fromisoformat(f["disappeared_on"]) if f.get("disappeared_on") else None,
        disappearance_place=f.get("disappearance_place", ""), unit=f.get("unit", ""))


def _register_person(p: MissingPerson) -> Person:
    return Person(id=p.ref, surname=p.family_name, given=p.given_name, patronymic=p.patronymic,
                  sex=p.sex if p.sex != "unknown" else "", birth_date=p.birth_date,
                  disappeared_on=p.last_seen_on, disappearance_place=p.last_seen_place)


def register_for(actor, plist: PersonList):
    qs = access.scope(MissingPerson.objects.filter(withdrawn_at__isnull=True), actor)
    if plist.case_id:
        qs = qs.filter(family__case_id=plist.case_id)
    return qs


def link_list(actor, plist: PersonList, *, threshold: float | None = None, via: str = "web") -> dict:
    """Propose a register record for every undecided row (see the module's docstring)."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, plist)
    if not linkage.available():
        raise Conflict(_("Record linkage needs the 'linkage' extra (Splink and DuckDB): "
                         "pip install 'vestige[linkage]'."))
    if threshold is not None:
        if not 0.5 <= threshold < 1:
            raise InvalidInput(_("The threshold is a match probability in [0.5, 1)."), field="threshold")
        plist.threshold = threshold
    register = {p.ref: p for p in register_for(actor, plist).only(
        "id", "ref", "family_name", "given_name", "patronymic", "sex", "birth_date", "last_seen_on", "last_seen_place")}
    open_entries = list(plist.entries.filter(status__in=[EntryStatus.UNMATCHED, EntryStatus.PROPOSED]))
    result = linkage.link([_register_person(p) for p in register.values()],
                          [_as_person(str(e.pk), e.fields) for e in open_entries], threshold=plist.threshold)
    by_entry = {p.entry_id: p for p in result.proposals}
    for e in open_entries:
        p = by_entry.get(str(e.pk))
        if p is None:
            e.status, e.proposed, e.match_weight, e.match_probability, e.explanation = (
                EntryStatus.UNMATCHED, None, None, None, {})
            continue
        e.status, e.proposed = EntryStatus.PROPOSED, register[p.person_id]
        e.match_weight, e.match_probability = p.match_weight, p.match_probability
        e.explanation = {
            "comparisons": [{"field": c.field, "label": c.label, "level": c.level, "weight": c.weight}
                            for c in p.comparisons],
            "prior": round(result.prior_log2_odds, 3),
            "runner_up": {"ref": p.runner_up_id, "weight": p.runner_up_weight} if p.runner_up_id else None,
            "trained": result.trained,
        }
    with transaction.atomic():
        _save_proposals(open_entries)
        plist.model = result.parameters
        plist.status, plist.finished_at, plist.linked_by = ListStatus.LINKED, timezone.now(), actor
        plist.message = _("%(p)d proposals for %(n)d undecided rows against %(r)d register records (%(how)s).") % {
            "p": len(by_entry), "n": len(open_entries), "r": len(register),
            "how": _("m estimated by EM") if result.trained else _("too few rows to train: prior m values")}
        plist.save(update_fields=["model", "status", "finished_at", "linked_by", "message", "threshold"])
        record(plist, Action.UPDATED, actor, {"linked": [None, plist.message]}, via=via)
    return {"proposals": len(by_entry), "rows": len(open_entries), "register": len(register),
            "trained": result.trained}


def _save_proposals(entries: list[ListEntry]) -> None:
    """The rows' new proposals in one prepared UPDATE run over all of them: Django's bulk_update
    builds a CASE per field and row and took 60 of the 80 s of linking a 50,000-row list."""
    columns = ("status", "proposed", "match_weight", "match_probability", "explanation")
    fields = [ListEntry._meta.get_field(c) for c in columns]
    qn = connection.ops.quote_name
    sql = (f"UPDATE {qn(ListEntry._meta.db_table)} SET "
           + ", ".join(f"{qn(f.column)} = %s" for f in fields) + f" WHERE {qn('id')} = %s")
    params = [[f.get_db_prep_save(getattr(e, f.attname), connection) for f in fields] + [e.pk] for e in entries]
    with connection.cursor() as cursor:
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start:start + 5000])


def start_linking(actor, plist: PersonList, *, threshold: float | None = None) -> PersonList:
    """Queue the linking of ``plist`` for a worker (a 50,000-row list takes a minute or so)."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, plist)
    stale_after = dt.timedelta(seconds=settings.VESTIGE_RUN_STALE_S)
    if plist.status == ListStatus.LINKING and plist.heartbeat_at and timezone.now() - plist.heartbeat_at > stale_after:
        tasks.fail(PersonList, plist, _("The worker linking this list stopped; start it again."), was="linking")
        plist.refresh_from_db()
    if plist.status in (ListStatus.QUEUED, ListStatus.LINKING):
        raise Conflict(_("This list is already being linked."))
    if threshold is not None and not 0.5 <= threshold < 1:
        raise InvalidInput(_("The threshold is a match probability in [0.5, 1)."), field="threshold")
    PersonList.objects.filter(pk=plist.pk).update(
        status=ListStatus.QUEUED, linked_by=actor, message="", threshold=threshold or plist.threshold)
    task_id = tasks.enqueue(link_task, plist.pk)
    if task_id:
        PersonList.objects.filter(pk=plist.pk, status=ListStatus.QUEUED).update(task_id=task_id)
    plist.refresh_from_db()
    return plist


@task()
def link_task(list_id: int) -> str:
    """The task a worker runs for a queued list."""
    if not PersonList.objects.filter(pk=list_id, status=ListStatus.QUEUED).update(
            status=ListStatus.LINKING, heartbeat_at=timezone.now()):
        return "not queued"
    plist = PersonList.objects.select_related("linked_by").get(pk=list_id)
    with tasks.heartbeat(PersonList, list_id):
        try:
            link_list(plist.linked_by, plist, via="task")
        except Exception as exc:  # noqa: BLE001  (recorded on the list, which the page shows)
            PersonList.objects.filter(pk=list_id).update(status=ListStatus.FAILED, finished_at=timezone.now(),
                                                         message=str(getattr(exc, "message", exc))[:2000])
            return "failed"
    return "linked"


DECISIONS = ("accept", "reject", "new", "reopen")


@transaction.atomic
def decide(actor, entry: ListEntry, decision: str, *, person: MissingPerson | None = None, note: str = "",
           via: str = "web") -> ListEntry:
    """A person's decision on one row: ``accept`` (the proposal, or ``person``), ``reject``, ``new``
    (a new register record from the row, in a new family), or ``reopen`` (undo a decision)."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, entry)
    entry = ListEntry.objects.select_for_update(of=("self",)).select_related("person_list", "proposed").get(pk=entry.pk)
    plist = entry.person_list
    decided = entry.status in (EntryStatus.ACCEPTED, EntryStatus.REJECTED, EntryStatus.CREATED)
    if decision not in DECISIONS:
        raise InvalidInput(_("A decision is accept, reject, new or reopen."), field="decision")
    if decision != "reopen" and decided:
        raise Conflict(_("Line %(l)d is already decided (%(s)s); reopen it first.")
                       % {"l": entry.line, "s": entry.get_status_display()})
    before = entry.get_status_display()
    where = f"{plist.ref} ({plist.source}), line {entry.line}"
    if decision == "accept":
        person = person or entry.proposed
        if person is None:
            raise InvalidInput(_("Nothing is proposed for this line: name the register record."), field="person")
        access.check(actor, person)
        if person.withdrawn:
            raise Conflict(_("%(r)s is withdrawn.") % {"r": person.ref})
        entry.status, entry.person = EntryStatus.ACCEPTED, person
        record(person, Action.UPDATED, actor, {"listed in": [None, where]}, reason=note, via=via)
    elif decision == "reject":
        entry.status, entry.person = EntryStatus.REJECTED, None
    elif decision == "new":
        f = entry.fields
        family = services.create_family(actor, f.get("family_name") or entry.full_name, case=plist.case, via=via)
        birth = f.get("birth_date") or ""
        person = services.create_missing_person(actor, family, {
            "family_name": f.get("family_name", ""), "given_name": f.get("given_name", "") or "?",
            "patronymic": f.get("patronymic", ""), "sex": f.get("sex") or "unknown",
            "birth_date": dt.date.fromisoformat(birth) if len(birth) == 10 else None,
            "last_seen_on": dt.date.fromisoformat(f["disappeared_on"]) if f.get("disappeared_on") else None,
            "last_seen_place": f.get("disappearance_place", ""),
        }, via=via)
        entry.status, entry.person = EntryStatus.CREATED, person
        record(person, Action.UPDATED, actor, {"from list": [None, where]}, reason=note, via=via)
    else:
        if not decided:
            raise Conflict(_("Line %(l)d is not decided.") % {"l": entry.line})
        entry.status = EntryStatus.PROPOSED if entry.proposed_id else EntryStatus.UNMATCHED
        entry.person = None
    entry.decided_by, entry.decided_at, entry.note = actor, timezone.now(), note
    entry.save(update_fields=["status", "person", "decided_by", "decided_at", "note"])
    record(plist, Action.UPDATED, actor, {f"line {entry.line}": [before, entry.get_status_display()
                                                                 + (f" {entry.person.ref}" if entry.person else "")]},
           reason=note, via=via)
    return entry


EXPORT_HEADER = ["line", *COLUMNS, "status", "proposed", "match_weight", "match_probability", "person",
                 "decided_by", "decided_at", "note"]


def entry_rows(qs) -> Iterator[list]:
    """The rows of a list with their proposals and decisions, for CSV/XLSX export."""
    yield EXPORT_HEADER
    for e in qs.select_related("proposed", "person", "decided_by").order_by("line").iterator(chunk_size=2000):
        yield [e.line, *[e.fields.get(c, "") for c in COLUMNS], e.status,
               e.proposed.ref if e.proposed else "", "" if e.match_weight is None else e.match_weight,
               "" if e.match_probability is None else round(e.match_probability, 6),
               e.person.ref if e.person else "", e.decided_by.username if e.decided_by else "",
               e.decided_at.isoformat() if e.decided_at else "", e.note]
