"""Lineage markers in the app: Y-STR, mtDNA and X-STR profiles of remains samples and donors (the
labs' files), the population databases a matching run chooses, and the engine's
:class:`~vestige.kinship.lineage.Lineage` of one run.

Profiles are imported like the autosomal ones (all or nothing; a dry run names every bad cell by
line), checked by the kinship engine's own readers (YHRD locus names, EMPOP notation, X markers),
and stored per owner and system encrypted, as the lab's rows. A run decrypts them in memory,
renames each owner to its engine name (``S:<sample>``, ``DON:<donor>``) and reads them with the same
readers: nothing decrypted touches the disk. Databases carry their provenance (population, size,
source), are population data (stored as uploaded, with their SHA-256) and come with their model:
mutation rates (Y, mtDNA) or the genetic map (X). A run without a database for a system whose
profiles exist says so and leaves them out; it never guesses a population.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access, crypto
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import ImportRejected, InvalidInput, NotFound, RowError
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification.models import (
    HaplotypeDatabase,
    LineageProfile,
    LineageSystem,
    RemainsSample,
    SampleStatus,
)
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.haplofreq import YFrequency
from vestige.kinship.io import TextFile, read_frequencies
from vestige.kinship.lineage import Lineage
from vestige.kinship.mtdna import MtModel, read_mt_database, read_mt_profiles
from vestige.kinship.snp.panel import read_panel
from vestige.kinship.snp.scores import SnpModel
from vestige.kinship.snp.vcf import SnpGenotypes, read_vcf_bytes
from vestige.kinship.xstr import check_x_alleles, read_x_map, read_x_profiles, x_mutation
from vestige.kinship.ystr import YModel, read_y_database, read_y_profiles, read_y_rates
from vestige.missing.models import Donor
from vestige.registry.importing import ImportReport

SYSTEMS = {"y": "Y-STR", "mt": "mtDNA", "x": "X-STR", "snp": "SNP"}
HEADERS = {"y": "sample,marker,allele1,allele2", "mt": "sample,range,variants", "x": "sample,marker,allele1,allele2"}
MT_DEFAULT_RATE = 0.0043  # per transmission, HV1+HV2 (Sigurðardóttir et al. 2000): when a database gives none


def _system(system: str) -> str:
    if system not in SYSTEMS:
        raise InvalidInput(_("%(s)r is not a lineage system (y, mt, x or snp).") % {"s": system}, field="system")
    return system


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, [c.strip() for c in row]) for row in reader if any(c.strip() for c in row)]
    if not rows:
        return [], []
    return rows[0][1], rows[1:]


def _read(system: str, text: TextFile):
    if system == "y":
        return read_y_profiles(text).haplotypes
    if system == "mt":
        return read_mt_profiles(text).haplotypes
    return read_x_profiles(text).genotypes


def _row_error(e: KinshipInputError, sample: str) -> RowError:
    where = e.where or ""
    line = 0
    if ", line " in where:
        tail = where.split(", line ", 1)[1]
        digits = "".join(ch for ch in tail.split(",")[0] if ch.isdigit())
        line = int(digits) if digits else 0
    return RowError(line, "sample" if "sample" in e.message and not line else "row", sample, e.message)


def _owners(actor, codes: set[str]) -> tuple[dict[str, RemainsSample | str], dict[str, Donor]]:
    """Code → the remains sample it names (a sample code, or a body number whose body has one
    accepted sample; else the reason as text), and code → donor."""
    samples: dict[str, RemainsSample | str] = {
        s.code: s for s in access.scope(RemainsSample.objects.filter(code__in=codes).select_related("remains"), actor)}
    by_body: dict[str, list[RemainsSample]] = {}
    rest = codes - set(samples)
    for s in access.scope(RemainsSample.objects.filter(remains__body_number__in=rest, status=SampleStatus.ACCEPTED)
                          .select_related("remains"), actor):
        by_body.setdefault(s.remains.body_number, []).append(s)
    for body, found in by_body.items():
        samples[body] = found[0] if len(found) == 1 else _(
            "body %(b)s has %(n)d DNA samples: give the sample's code (%(c)s)") % {
            "b": body, "n": len(found), "c": ", ".join(sorted(x.code for x in found))}
    donors = {d.code: d for d in access.scope(Donor.objects.filter(code__in=codes).select_related("member"), actor)}
    return samples, donors


def import_lineage(actor, system: str, data: BinaryIO, name: str, *, lab: str, dry_run: bool = False,
                   via: str = "import", panel: str = "") -> ImportReport:
    """A lab's file of Y-STR (``sample,marker,allele1,allele2``, YHRD names), mtDNA (``sample,range,
    variants``, EMPOP notation) or X-STR (``sample,marker,allele1,allele2``; men one allele)
    profiles; the sample column is a remains sample's code (or the body number of a body with one
    DNA sample) or a donor's code. All rows or none."""
    require(actor, Cap.DNA_WRITE)
    system = _system(system)
    if system == "snp":
        return import_snp(actor, data, name, lab=lab, panel=panel, dry_run=dry_run, via=via)
    label = SYSTEMS[system]
    problems: list[RowError] = []
    if not lab:
        problems.append(RowError(0, "lab", "", _("record the laboratory")))
    raw = data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportRejected(name, [RowError(0, "file", "", _("not UTF-8 text (byte %(b)d)") % {"b": e.start})]) from None
    header, rows = _rows(text)
    if [h.lower() for h in header[:3]] != HEADERS[system].split(",")[:3]:
        raise ImportRejected(name, [RowError(1, "header", ",".join(header)[:80],
                                             _("expected the header %(h)s") % {"h": HEADERS[system]})])
    by_sample: dict[str, list[tuple[int, list[str]]]] = {}
    for line, row in rows:
        by_sample.setdefault(row[0] if row else "", []).append((line, row))
    samples, donors = _owners(actor, set(by_sample))
    parsed: dict[str, tuple[object, list[list[str]]]] = {}
    n_lines = text.count("\n") + 1
    for code, lines in by_sample.items():
        first = lines[0][0]
        owner = samples.get(code) or donors.get(code)
        if isinstance(owner, str):
            problems.append(RowError(first, "sample", code, owner))
            continue
        if not code:
            problems.append(RowError(first, "sample", "", _("empty sample code")))
            continue
        if code in samples and code in donors:
            problems.append(RowError(first, "sample", code, _("both a remains sample and a donor have this code")))
            continue
        if owner is None:
            problems.append(RowError(first, "sample", code, _("no remains sample, body or donor with this code")))
            continue
        if isinstance(owner, Donor) and (owner.withdrawn_at is not None or not owner.consent_active):
            problems.append(RowError(first, "sample", code, _("this donor's consent is not in force")))
            continue
        if system == "y" and isinstance(owner, Donor) and owner.member.sex == "female":
            problems.append(RowError(first, "sample", code, _("a Y-STR profile for a donor recorded female")))
            continue
        # the sample's rows alone, at their own line numbers (so the engine's errors name the file's lines)
        body = [""] * n_lines
        body[0] = ",".join(header)
        for line, row in lines:
            body[line - 1] = ",".join(f'"{c}"' if "," in c else c for c in row)
        try:
            value = _read(system, TextFile(name, "\n".join(body) + "\n"))[code]
        except KinshipInputError as e:
            problems.append(_row_error(e, code))
            continue
        if system == "x" and isinstance(owner, Donor) and owner.member.sex == "male":
            two = [m for m, alleles in value.items() if len(set(alleles)) > 1]
            if two:
                problems.append(RowError(first, "allele2", code, _("a man has one X: two alleles at %(m)s") % {
                    "m": ", ".join(two)}))
                continue
        parsed[code] = (owner, [row for _line, row in lines])
    report = ImportReport(f"{label} profiles", name, len(rows), 0, dry_run, problems)
    if dry_run:
        return report
    if problems:
        raise ImportRejected(name, problems)
    with transaction.atomic():
        for code, (owner, owner_rows) in parsed.items():
            is_sample = isinstance(owner, RemainsSample)
            data_json = json.dumps({"header": header, "rows": owner_rows})
            LineageProfile.objects.create(
                system=system, sample=owner if is_sample else None, donor=None if is_sample else owner,
                data_encrypted=crypto.encrypt(data_json, crypto.context(f"lineage.{system}", owner.code)),
                loci=len(owner_rows) if system != "mt" else len(owner_rows[0][2].split()) if owner_rows[0][2:] else 0,
                lab=lab, source=name[:300], imported_by=actor)
            record(owner.remains if is_sample else owner, Action.UPDATED, actor,
                   {f"{label} profile": [None, f"{code}: {len(owner_rows)} rows, {lab}"]}, via=via)
    report.created = len(parsed)
    return report


# --- population databases ----------------------------------------------------------------------

def _check_database(system: str, content: str, file_name: str, model: dict, model_name: str) -> int:
    """The number of haplotypes (or X markers) in a database, after the engine's readers accept it."""
    try:
        if system == "y":
            if not model:
                raise InvalidInput(_("A Y-STR database needs its per-locus mutation rates (JSON)."), field="model")
            read_y_rates(TextFile(model_name or "rates.json", json.dumps(model)))
            return read_y_database(TextFile(file_name, content)).size
        if system == "mt":
            if model:
                MtModel.from_json(TextFile(model_name or "rates.json", json.dumps(model)))
            return read_mt_database(TextFile(file_name, content)).size
        if system == "snp":
            panel = read_panel(TextFile(file_name, content))
            if np.isnan(panel.freq).any():
                raise InvalidInput(_("A SNP panel for matching needs each SNP's population frequency (an alt_freq "
                                     "column): %(n)d SNPs have none.") % {"n": int(np.isnan(panel.freq).sum())},
                                   field="file")
            return len(panel)
        if not model:
            raise InvalidInput(_("X-STR frequencies need the genetic map of the markers (JSON)."), field="model")
        xmap = read_x_map(TextFile(model_name or "map.json", json.dumps(model)))
        table = read_frequencies(TextFile(file_name, content))
        absent = [m for m in xmap.markers if m not in table.alleles]
        if absent:
            raise InvalidInput(_("X markers of the map without frequencies: %(m)s") % {"m": ", ".join(absent)},
                               field="file")
        return len(xmap.markers)
    except KinshipInputError as e:
        raise InvalidInput(str(e), field="model" if model_name and model_name in (e.where or "") else "file") from None


def add_database(actor, system: str, data: bytes, file_name: str, *, name: str, population: str, source: str,
                 model: bytes | None = None, model_name: str = "") -> HaplotypeDatabase:
    """Upload a population database with its provenance and model; refused (nothing stored) when
    the engine cannot read it."""
    require(actor, Cap.DNA_WRITE)
    system = _system(system)
    errors = {}
    for key, value in (("name", name), ("population", population), ("source", source)):
        if not (value or "").strip():
            errors[key] = [_("Required.")]
    if errors:
        raise InvalidInput(_("Name the database, its population and its source."), errors=errors,
                           field=next(iter(errors)))
    if HaplotypeDatabase.objects.filter(system=system, name=name.strip()).exists():
        raise InvalidInput(_("A %(s)s database named %(n)r exists already.") % {"s": SYSTEMS[system], "n": name},
                           field="name")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(_("%(f)s is not UTF-8 text (byte %(b)d).") % {"f": file_name, "b": e.start}, field="file") from None
    model_json: dict = {}
    if model:
        try:
            model_json = json.loads(model.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InvalidInput(_("%(f)s is not JSON: %(e)s") % {"f": model_name or "model", "e": e}, field="model") from None
        if not isinstance(model_json, dict):
            raise InvalidInput(_("%(f)s: expected a JSON object.") % {"f": model_name or "model"}, field="model")
    rows = _check_database(system, content, file_name, model_json, model_name)
    db = HaplotypeDatabase.objects.create(system=system, name=name.strip(), population=population.strip(),
                                          source=source.strip(), file_name=file_name[:300], content=content,
                                          model_name=model_name[:300], model=model_json, rows=rows,
                                          sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor)
    record(db, Action.CREATED, actor, {"database": [None, str(db)]})
    return db


def databases(system: str | None = None):
    qs = HaplotypeDatabase.objects.all()
    return qs.filter(system=system) if system else qs


def get_database(pk: int | str, system: str | None = None) -> HaplotypeDatabase:
    try:
        db = HaplotypeDatabase.objects.get(pk=int(pk))
    except (HaplotypeDatabase.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No haplotype database %(d)s.") % {"d": pk}) from None
    if system and db.system != system:
        raise InvalidInput(_("Database %(d)s is a %(s)s database.") % {"d": pk, "s": db.get_system_display()},
                           field=system)
    return db


def check_choice(choice: dict) -> dict[str, int]:
    """A run's choice ``{system: database pk}``, each checked to exist and be of its system."""
    out = {}
    for system, pk in (choice or {}).items():
        if pk in (None, ""):
            continue
        out[_system(system)] = get_database(pk, system).pk
    return out


# --- a run's lineage -------------------------------------------------------------------------------

@dataclass
class RunLineage:
    lineage: Lineage | None
    notes: list[str] = field(default_factory=list)
    used: dict = field(default_factory=dict)  # system → the database's provenance, for the run's inputs


def _profiles(system: str, samples: set[int], donors: set[int]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Engine name → (header, rows) of the newest profile of each owner for ``system``."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for name, (blob, code) in _newest(system, samples, donors).items():
        data = json.loads(crypto.decrypt(blob, crypto.context(f"lineage.{system}", code)))
        out[name] = (data["header"], [[name, *row[1:]] for row in data["rows"]])
    return out


def _newest(system: str, samples: set[int], donors: set[int]) -> dict[str, tuple[str, str]]:
    """Engine name (``S:<sample>``, ``DON:<donor>``) → (encrypted data, owner code) of the newest
    profile of each of the run's owners for ``system``."""
    held: dict[str, tuple[str, str]] = {}
    qs = LineageProfile.objects.filter(system=system).select_related("sample", "donor").order_by("-imported_at", "-pk")
    for p in qs:
        if p.sample_id is not None:
            if p.sample_id not in samples:
                continue
            name, code = f"S:{p.sample_id}", p.sample.code
        else:
            if p.donor_id not in donors:
                continue
            name, code = f"DON:{p.donor_id}", p.donor.code
        held.setdefault(name, (p.data_encrypted, code))
    return held


def _text(system: str, profiles: dict, keep=None) -> TextFile:
    lines = [HEADERS[system]]
    for _name, (_header, rows) in profiles.items():
        for row in rows:
            if keep is None or keep(row):
                lines.append(",".join(f'"{c}"' if "," in c else c for c in row))
    return TextFile(f"{SYSTEMS[system]} profiles (decrypted for this run)", "\n".join(lines) + "\n")


def counts() -> dict[str, int]:
    """Lineage profiles held per system (owners), for the run page."""
    return {s: LineageProfile.objects.filter(system=s).values("sample", "donor").distinct().count() for s in SYSTEMS}


def run_lineage(choice: dict[str, int], samples: set[int], donors: set[int]) -> RunLineage:
    """The engine's Lineage for a run: the chosen databases and the profiles of the run's accepted
    samples (``samples``: RemainsSample pks) and consenting donors (``donors``: Donor pks)."""
    out = RunLineage(None)
    lin = Lineage()
    for system in SYSTEMS:
        if system == "snp":
            lin.snp = _run_snp(choice.get("snp"), samples, donors, out)
            continue
        held = _profiles(system, samples, donors)
        pk = choice.get(system)
        if pk is None:
            if held:
                out.notes.append(_("%(n)d %(s)s profiles not used: no %(s)s database was chosen for this run") % {
                    "n": len(held), "s": SYSTEMS[system]})
            continue
        db = HaplotypeDatabase.objects.get(pk=pk)
        out.used[system] = {"database": db.pk, "name": db.name, "population": db.population, "source": db.source,
                            "rows": db.rows, "sha256": db.sha256, "profiles": len(held)}
        if not held:
            out.notes.append(_("no %(s)s profiles to compare: the %(d)s database was not needed") % {
                "s": SYSTEMS[system], "d": db.name})
            continue
        if system == "y":
            rates = read_y_rates(TextFile(db.model_name or "rates.json", json.dumps(db.model)))
            known = set(rates)
            left = sum(1 for _h, rows in held.values() for row in rows if row[1] not in known)
            if left:
                out.notes.append(_("%(n)d Y-STR results at loci without a mutation rate left out") % {"n": left})
            lin.y = read_y_profiles(_text(system, held, lambda row, known=known: row[1] in known), known)
            lin.y_freq = YFrequency.build(read_y_database(TextFile(db.file_name, db.content)))
            lin.y_model = YModel.build(rates, lin.y.haplotypes.values(), lin.y_freq.rows)
        elif system == "mt":
            lin.mt = read_mt_profiles(_text(system, held))
            lin.mt_db = read_mt_database(TextFile(db.file_name, db.content))
            lin.mt_model = (MtModel.from_json(TextFile(db.model_name or "rates.json", json.dumps(db.model)))
                            if db.model else MtModel(MT_DEFAULT_RATE))
        else:
            lin.x_map = read_x_map(TextFile(db.model_name or "map.json", json.dumps(db.model)))
            lin.x_table = read_frequencies(TextFile(db.file_name, db.content))
            lin.x = read_x_profiles(_text(system, held), set(lin.x_map.markers))
            lin.x_mutation = x_mutation(lin.x_map)
            check_x_alleles(lin.x, lin.x_table)
    out.lineage = lin if lin.systems else None
    return out


# --- SNP panels ---------------------------------------------------------------------------------

def _panel_for_import(name: str) -> HaplotypeDatabase:
    panels = list(HaplotypeDatabase.objects.filter(system="snp").order_by("-uploaded_at"))
    if name:
        for db in panels:
            if db.name == name or str(db.pk) == name:
                return db
        raise InvalidInput(_("No SNP panel named %(n)r; upload it under Databases first.") % {"n": name}, field="kit")
    if len(panels) == 1:
        return panels[0]
    if not panels:
        raise InvalidInput(_("Upload the SNP panel (Databases) before the genotypes: the file is checked against it."),
                           field="kit")
    raise InvalidInput(_("Several SNP panels are held (%(p)s): give the panel's name as the kit.") % {
        "p": ", ".join(db.name for db in panels)}, field="kit")


def _line_of(e: KinshipInputError) -> int:
    where = e.where or ""
    if ", line " not in where:
        return 0
    digits = "".join(ch for ch in where.split(", line ", 1)[1].split(",")[0] if ch.isdigit())
    return int(digits) if digits else 0


def import_snp(actor, data: BinaryIO, name: str, *, lab: str, panel: str = "", dry_run: bool = False,
               via: str = "import") -> ImportReport:
    """A lab's VCF 4.2 file (plain or gzip; one column per sample, named by a remains sample's code,
    a body number or a donor's code), checked against a SNP panel held under Databases (the only
    one, or the one named): every bad record named by line and SNP, nothing stored unless all is
    right. Each owner's calls are stored encrypted, aligned to the panel (by its SHA-256); the
    file is read from memory, never written to disk."""
    require(actor, Cap.DNA_WRITE)
    problems: list[RowError] = []
    if not lab:
        problems.append(RowError(0, "lab", "", _("record the laboratory")))
    db = _panel_for_import(panel)
    snp_panel = read_panel(TextFile(db.file_name, db.content))
    try:
        geno = read_vcf_bytes(data.read(), name, snp_panel)
    except KinshipInputError as e:
        raise ImportRejected(name, [RowError(_line_of(e), "file", "", e.message)]) from None
    samples, donors = _owners(actor, set(geno.samples))
    parsed = []
    for code in geno.samples:
        owner = samples.get(code) or donors.get(code)
        if isinstance(owner, str):
            problems.append(RowError(0, "sample", code, owner))
        elif code in samples and code in donors:
            problems.append(RowError(0, "sample", code, _("both a remains sample and a donor have this code")))
        elif owner is None:
            problems.append(RowError(0, "sample", code, _("no remains sample, body or donor with this code")))
        elif isinstance(owner, Donor) and (owner.withdrawn_at is not None or not owner.consent_active):
            problems.append(RowError(0, "sample", code, _("this donor's consent is not in force")))
        else:
            parsed.append((code, owner, geno.of(code)))
    report = ImportReport(_("SNP genotypes"), name, len(geno.samples), 0, dry_run, problems)
    if dry_run:
        return report
    if problems:
        raise ImportRejected(name, problems)
    with transaction.atomic():
        for code, owner, calls in parsed:
            is_sample = isinstance(owner, RemainsSample)
            text = "".join("." if c < 0 else str(int(c)) for c in calls)
            payload = json.dumps({"panel_sha256": db.sha256, "calls": text})
            called = int((calls >= 0).sum())
            LineageProfile.objects.create(
                system="snp", sample=owner if is_sample else None, donor=None if is_sample else owner,
                data_encrypted=crypto.encrypt(payload, crypto.context("lineage.snp", owner.code)),
                loci=min(called, 32767), lab=lab, source=name[:300], imported_by=actor)
            record(owner.remains if is_sample else owner, Action.UPDATED, actor,
                   {"SNP genotypes": [None, f"{code}: {called} of {len(calls)} SNPs called ({db.name}), {lab}"]}, via=via)
    report.created = len(parsed)
    return report


def _run_snp(pk: int | None, samples: set[int], donors: set[int], out: RunLineage) -> SnpModel | None:
    """The run's SNP model: the chosen panel and the newest genotypes of each owner, mapped onto it
    by SNP id when they were imported against another panel."""
    held = _newest("snp", samples, donors)
    if pk is None:
        if held:
            out.notes.append(_("%(n)d SNP genotype sets not used: no SNP panel was chosen for this run") % {"n": len(held)})
        return None
    db = HaplotypeDatabase.objects.get(pk=pk)
    out.used["snp"] = {"database": db.pk, "name": db.name, "population": db.population, "source": db.source,
                       "rows": db.rows, "sha256": db.sha256, "profiles": len(held)}
    if not held:
        out.notes.append(_("no SNP genotypes to compare: the %(d)s panel was not needed") % {"d": db.name})
        return None
    panel = read_panel(TextFile(db.file_name, db.content))
    others: dict[str, dict[str, int] | None] = {}
    names, rows = [], []
    for name, (blob, code) in held.items():
        data = json.loads(crypto.decrypt(blob, crypto.context("lineage.snp", code)))
        calls = np.frombuffer(data["calls"].replace(".", "3").encode(), dtype=np.uint8).astype(np.int8) - ord("0")
        calls[calls == 3] = -1
        if data["panel_sha256"] != db.sha256:
            sha = data["panel_sha256"]
            if sha not in others:
                src = HaplotypeDatabase.objects.filter(system="snp", sha256=sha).first()
                others[sha] = (None if src is None else
                               {sid: i for i, sid in enumerate(read_panel(TextFile(src.file_name, src.content)).ids)})
            index = others[sha]
            if index is None:
                out.notes.append(_("%(c)s: SNP genotypes imported against a panel no longer held: not used") % {"c": code})
                continue
            mapped = np.full(len(panel), -1, dtype=np.int8)
            for t, sid in enumerate(panel.ids):
                i = index.get(sid)
                if i is not None:
                    mapped[t] = calls[i]
            calls = mapped
        names.append(name)
        rows.append(calls)
    model = SnpModel(SnpGenotypes(panel, names, np.stack(rows)))
    few = [n for n in names if not model.enough(n)]
    if few:
        out.notes.append(_("%(n)d SNP genotype sets with fewer than %(m)d calls on the panel: not compared") % {
            "n": len(few), "m": model.min_calls})
    return model


def accepted_samples() -> set[int]:
    return set(RemainsSample.objects.filter(status=SampleStatus.ACCEPTED).values_list("pk", flat=True))


__all__ = ["SYSTEMS", "RunLineage", "add_database", "check_choice", "counts", "databases", "get_database",
           "import_lineage", "import_snp", "run_lineage", "LineageSystem"]


def lineage_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict,
                   via: str) -> ImportReport:
    """The ``import:lineage`` hook of :mod:`vestige.importers` (``lineage_y`` ...)."""
    return import_lineage(actor, kind.split("_", 1)[1], data, name, lab=options.get("lab", ""), dry_run=dry_run,
                          via=via, panel=options.get("kit") or "")
