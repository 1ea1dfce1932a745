"""Every kind of file import, in one table: what it is, who may, what it needs.

The Import page, ``/api/imports/{kind}`` and the CLI commands all dispatch here, so that one
file gives the same report (every bad cell: line, column, value, reason) and the same
all-or-nothing write whichever door it came through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _

from vestige import crypto, hooks
from vestige.accounts.roles import Cap
from vestige.errors import InvalidInput


@dataclass(frozen=True)
class Kind:
    label: str
    cap: Cap
    options: tuple[str, ...] = ()
    help: str = ""
    columns: str = ""
    accepts: str = ".csv,.xlsx"
    extra: dict = field(default_factory=dict)


KINDS: dict[str, Kind] = {
    "graves": Kind(_("Graves"), Cap.GRAVE_WRITE, columns="site,label,marker_type,inscription,latitude,longitude,"
                   "position_note,expected_occupants,status,notes"),
    "gis": Kind(_("Sites and graves (GeoJSON, KML, GeoPackage)"), Cap.SITE_WRITE, accepts=".geojson,.json,.kml,.gpkg",
                help=_("Features with the register's fields (kind: site or grave); sites with a Point or Polygon, "
                       "graves with a Point and their site's reference. As QGIS, Google Earth or the Sites export "
                       "write them.")),
    "remains": Kind(_("Remains"), Cap.REMAINS_WRITE, columns="body_number,site,grave,exhumation,recovered_on,sex,"
                    "age_min,age_max,stature_min_cm,stature_max_cm,injuries,torture_signs,cause_of_death,"
                    "manner_of_death,clothing_effects,category,status,notes"),
    "missing": Kind(_("Missing persons"), Cap.MISSING_WRITE, columns="family,family_name,given_name,patronymic,sex,"
                    "birth_date,height_cm,last_seen_on,last_seen_place,last_seen_latitude,last_seen_longitude,"
                    "circumstances,clothing,distinguishing_marks,dental_notes"),
    "pedigrees": Kind(_("Pedigrees"), Cap.MISSING_WRITE, accepts=".csv,.xlsx,.json,.ged,.ped,.tsv,.fam",
                      help=_("One row per member, the kinship engine's family JSON, a GEDCOM family tree "
                             "(biological parents only; the family reference is the file's name), or a "
                             "Familias file (each DVI reference family)."),
                      columns="family,member,sex,father,mother,missing_ref,donor_code,name,label,deceased"),
    "references": Kind(_("Reference profiles (DNA)"), Cap.DNA_WRITE, ("lab", "kit", "dropout", "single"), accepts=".csv,.tsv,.txt",
                       help=_("CSV or a GeneMapper export; the sample column is the donor's code."),
                       columns="sample,marker,allele1,allele2"),
    "samples": Kind(_("Remains samples (DNA)"), Cap.DNA_WRITE, ("lab", "kit", "material", "dropout", "single"),
                    accepts=".csv,.tsv,.txt", help=_("CSV or a GeneMapper export; the sample column is the body number."),
                    columns="sample,marker,allele1,allele2"),
    "lineage_y": Kind(_("Y-STR profiles (DNA)"), Cap.DNA_WRITE, ("lab",), accepts=".csv,.tsv,.txt",
                      help=_("YHRD locus names; the sample column is a remains sample's code, a body number or a "
                             "donor's code; multi-copy loci (DYS385) as allele1 and allele2."),
                      columns="sample,marker,allele1,allele2"),
    "lineage_mt": Kind(_("mtDNA profiles (DNA)"), Cap.DNA_WRITE, ("lab",), accepts=".csv,.tsv,.txt",
                       help=_("EMPOP notation relative to the rCRS with the sequenced range (16024-16569 1-576); "
                              "one row per sample."),
                       columns="sample,range,variants"),
    "lineage_x": Kind(_("X-STR profiles (DNA)"), Cap.DNA_WRITE, ("lab",), accepts=".csv,.tsv,.txt",
                      help=_("Argus X-12 markers; men one allele (allele2 empty)."),
                      columns="sample,marker,allele1,allele2"),
    "lineage_snp": Kind(_("SNP genotypes (DNA)"), Cap.DNA_WRITE, ("lab", "kit"), accepts=".vcf,.gz",
                        help=_("VCF 4.2 (plain or gzip), one column per sample named by a remains sample's code, a "
                               "body number or a donor's code; checked against the SNP panel held under Databases "
                               "(give its name as the kit when there are several)."),
                        columns="#CHROM,POS,ID,REF,ALT,QUAL,FILTER,INFO,FORMAT,SAMPLE"),
    "dental_am": Kind(_("Dental charts, ante-mortem"), Cap.MISSING_WRITE,
                      help=_("One row per tooth (FDI number); owner is the missing person's reference."),
                      columns="owner,tooth,state,surfaces,material,root_canal,note,charted_on,source"),
    "dental_pm": Kind(_("Dental charts, post-mortem"), Cap.REMAINS_WRITE,
                      help=_("One row per tooth (FDI number); owner is the body number."),
                      columns="owner,tooth,state,surfaces,material,root_canal,note,charted_on,source"),
    "dvi_am": Kind(_("Marks, effects, medical, fingerprints (ante-mortem)"), Cap.MISSING_WRITE,
                   help=_("One row per record; section is marks, effects, medical or fingerprints."),
                   columns="owner,section,kind,region,description,maker,serial,classification,quality,notes"),
    "dvi_pm": Kind(_("Marks, effects, medical, fingerprints (post-mortem)"), Cap.REMAINS_WRITE,
                   help=_("One row per record; section is marks, effects, medical or fingerprints."),
                   columns="owner,section,kind,region,description,maker,serial,classification,quality,notes"),
}


def kinds_for(user) -> list[str]:
    return [k for k, v in KINDS.items() if user.can(v.cap)]


def template_csv(kind: str) -> str:
    """An empty file with the kind's header, to fill in."""
    if kind not in KINDS:
        raise InvalidInput(f"no import kind {kind!r}", field="kind")
    return KINDS[kind].columns + "\n"


def run_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict | None = None,
               via: str = "import"):
    """Check (and unless ``dry_run``, write) one file; returns an ImportReport, raises ImportRejected."""
    options = options or {}
    if kind not in KINDS:
        raise InvalidInput(f"no import kind {kind!r}; use one of {', '.join(KINDS)}", field="kind")
    handler = kind if kind in HANDLED_AS_ITSELF else kind.split("_", 1)[0]
    return hooks.single(f"import:{handler}")(actor, kind, data, name, dry_run=dry_run, options=options, via=via)


HANDLED_AS_ITSELF = ("gis", "graves", "remains", "missing", "pedigrees", "references", "samples")
"""Kinds with a handler of their own name; the others (``dental_*``, ``dvi_*``, ``lineage_*``) by
their prefix. Each app provides the handlers of its kinds in ``AppConfig.ready()``
(:mod:`vestige.hooks`): ``fn(actor, kind, data, name, *, dry_run, options, via)``."""


def dropout_of(options: dict) -> float:
    """The ``dropout`` option of a DNA import as a number (0 when absent)."""
    return _float(options.get("dropout") or 0)


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"drop-out {value!r} is not a number", field="dropout") from None


def _staging():
    from django.conf import settings
    folder = settings.VESTIGE_HOME / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def stage(name: str, data: bytes) -> str:
    """Keep a checked upload (encrypted, mode 0600; removed after a day) so that the person can import it without choosing it
    again; returns the token that names it."""
    import os
    import secrets


    token = secrets.token_urlsafe(18)
    path = _staging() / token
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:  # encrypted: a staged file may hold DNA profiles
        f.write(crypto.keys().encrypt(len(name.encode()).to_bytes(2, "big") + name.encode() + data))
    return token


def unstage(token: str, *, keep: bool) -> tuple[str, bytes]:
    import re

    if not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", token or ""):
        raise InvalidInput("the staged file has expired; choose the file again", field="file")
    path = _staging() / token
    try:
        raw = path.read_bytes()
    except OSError:
        raise InvalidInput("the staged file has expired; choose the file again", field="file") from None
    if not keep:
        path.unlink(missing_ok=True)
    from cryptography.fernet import InvalidToken

    try:
        raw = crypto.keys().decrypt(raw)
    except InvalidToken:
        raise InvalidInput("the staged file cannot be read (altered, or the keys changed); choose the file again",
                           field="file") from None
    n = int.from_bytes(raw[:2], "big")
    return raw[2:2 + n].decode(), raw[2 + n:]
