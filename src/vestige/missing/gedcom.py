"""Family trees as families keep them: GEDCOM 5.5.5 (and 5.5.1, 7.0's same records) read as a
pedigree to import.

Read: every ``INDI`` (its name, ``SEX`` M/F/else unknown, a ``DEAT`` making it deceased, the birth
date in its label) and its **biological** parents: the ``FAMC`` family whose ``PEDI`` is ``birth`` or
absent — never an adoption, a foster or a sealing (a kinship LR over an adoptive father would be
wrong). A child with one known parent gets a placeholder for the other (pedigrees take both parents
or none). The family reference is the file's name. Nobody is marked missing: the liaison marks the
missing person on the family page (or gives ``missing_ref`` in a table). GEDCOM's ``@I1@`` becomes
member ``I1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from django.utils.translation import gettext as _

from vestige.errors import ImportRejected, RowError

SEXES = {"M": "male", "F": "female"}
NON_BIOLOGICAL = {"ADOPTED", "FOSTER", "SEALING"}


@dataclass
class _Indi:
    line: int
    name: str = ""
    sex: str = "unknown"
    birth: str = ""
    dead: bool = False
    famc: list[tuple[str, str]] = field(default_factory=list)  # (family xref, PEDI)


def _records(text: str, name: str) -> list[tuple[int, int, str, str, str]]:
    """(line, level, xref, tag, value) of each GEDCOM line."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split(" ", 2)
        if not parts[0].isdigit():
            raise ImportRejected(name, [RowError(n, "line", line[:60], _("not a GEDCOM line (level tag value)"))])
        level = int(parts[0])
        xref = ""
        rest = parts[1:]
        if rest and rest[0].startswith("@") and rest[0].endswith("@"):
            xref = rest[0].strip("@")
            rest = rest[1].split(" ", 1) if len(rest) > 1 else []
        tag = rest[0].upper() if rest else ""
        value = rest[1] if len(rest) > 1 else ""
        out.append((n, level, xref, tag, value))
    return out


def rows_from_gedcom(data: bytes, name: str, row_type):
    """The pedigree rows (``row_type``: the pedigree importer's row) of a GEDCOM file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # ANSEL/ANSI files: names may lose accents, structure does not
    records = _records(text, name)
    if not records or records[0][3] != "HEAD":
        raise ImportRejected(name, [RowError(1, "file", name, _("not a GEDCOM file (it must start with 0 HEAD)"))])
    indis: dict[str, _Indi] = {}
    fams: dict[str, dict[str, str]] = {}
    current, kind, sub = "", "", ""
    for n, level, xref, tag, value in records:
        if level == 0:
            current, kind, sub = xref, tag, ""
            if tag == "INDI":
                indis[xref] = _Indi(n)
            elif tag == "FAM":
                fams[xref] = {}
            continue
        if kind == "INDI":
            ind = indis[current]
            if level == 1:
                sub = tag
                if tag == "NAME" and not ind.name:
                    ind.name = " ".join(value.replace("/", " ").split())
                elif tag == "SEX":
                    ind.sex = SEXES.get(value.strip().upper()[:1], "unknown")
                elif tag == "DEAT":
                    ind.dead = True
                elif tag == "FAMC":
                    ind.famc.append((value.strip("@ "), ""))
            elif level == 2 and sub == "BIRT" and tag == "DATE" and not ind.birth:
                ind.birth = value.strip()
            elif level == 2 and sub == "FAMC" and tag == "PEDI" and ind.famc:
                ind.famc[-1] = (ind.famc[-1][0], value.strip().upper())
        elif kind == "FAM" and level == 1 and tag in ("HUSB", "WIFE"):
            fams[current][tag] = value.strip("@ ")
    family = PurePath(name).stem[:64]
    rows = []
    placeholders: dict[str, tuple[str, str]] = {}
    for xref, ind in indis.items():
        father = mother = ""
        for fam, pedi in ind.famc:
            if pedi in NON_BIOLOGICAL or fam not in fams:
                continue
            father, mother = fams[fam].get("HUSB", ""), fams[fam].get("WIFE", "")
            if father or mother:
                if not father:
                    father = f"{fam}-father"
                    placeholders[father] = ("male", fam)
                if not mother:
                    mother = f"{fam}-mother"
                    placeholders[mother] = ("female", fam)
                break
        label = ind.name + (f" (b. {ind.birth})" if ind.birth else "")
        rows.append(row_type(ind.line, family, xref, ind.sex, father, mother, name=ind.name, label=label[:100],
                             deceased=ind.dead))
    for member, (sex, fam) in placeholders.items():
        rows.append(row_type(0, family, member, sex, label=_("parent not in the tree (family %(f)s)") % {"f": fam}))
    return rows
