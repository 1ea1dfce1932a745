"""Familias ``.fam`` files (Egeland, Mostad, Mevåg & Stenersen 2000; Familias 3): persons and their
genotypes, the pedigrees a case compares, the allele frequency database with each marker's
mutation models, and the DVI section (unidentified persons and reference families).

The layout read here is the one pedFamilias' ``readFam`` documents (Vigeland, pedFamilias 0.2,
``R/readFam.R``): a line-based main part — persons (name, sex, genotypes as allele indices into
the database), "Known relations" (extra persons and parent–child pairs common to all pedigrees),
the pedigrees (each with its own extras and pairs), then the database (per locus: female and male
mutation rates and models — 0 equal, 1 proportional, 2–4 stepwise —, ranges, second rates, a
silent allele, the alleles and their frequencies) — and a bracketed ``[DVI]`` part read by its
``Name=``/``Gender=``/``Parent=``/``Child=``/``SystemName=``/``Allele1=``/``Allele2=`` keys.
As pedFamilias, it refuses twins (direct relations), precomputed probabilities and silent
alleles; stationary stepwise models (code 3) are read as stepwise without pedmut's
stabilisation, and said so. In a DVI family, the missing persons are the untyped persons whose
label — a listed person or one the pedigree's relations add — begins with "Missing" (dvir's
``familias2dvir`` rule, ``missingIdentifier = "^Missing"``); a family with none is left out and
said so. The remains are the unidentified persons.

Everything crosses into the engine's own formats (:func:`to_engine`): family dicts, profiles
rows, frequency rows and a mutation JSON — so a Familias case runs through ``kinship lr``,
``search`` and ``joint`` unchanged. Every error names the file and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from vestige.kinship.errors import KinshipInputError

__all__ = ["DviFamily", "FamFile", "FamLocus", "FamPedigree", "FamPerson", "parse_fam", "read_fam", "to_engine"]

MODEL_CODES = {0: "equal", 1: "proportional", 2: "stepwise", 3: "stepwise", 4: "stepwise"}


@dataclass
class FamPerson:
    name: str
    sex: str  # "male", "female" or "unknown"
    genotypes: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class FamPedigree:
    name: str
    extras: list[tuple[str, str]] = field(default_factory=list)  # (name, sex) of persons only this pedigree has
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (parent, child)


@dataclass
class FamLocus:
    name: str
    alleles: list[str]
    freqs: list[float]
    female: dict = field(default_factory=dict)  # {"model", "rate", "range", "rate2"}
    male: dict = field(default_factory=dict)


@dataclass
class DviFamily:
    name: str
    persons: list[FamPerson]
    pedigrees: list[FamPedigree]


@dataclass
class FamFile:
    source: str
    version: str
    persons: list[FamPerson]
    pedigrees: list[FamPedigree]
    loci: list[FamLocus]
    unidentified: list[FamPerson] = field(default_factory=list)
    families: list[DviFamily] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Lines:
    def __init__(self, lines: list[str], source: str):
        self.x = [ln.replace('"', "").rstrip("\r") for ln in lines]
        self.source = source

    def at(self, i: int, what: str) -> str:
        if i >= len(self.x):
            raise KinshipInputError(f"{self.source}, line {i + 1}", f"the file ends where {what} was expected")
        return self.x[i]

    def int(self, i: int, what: str, value: str | None = None) -> int:
        v = self.at(i, what) if value is None else value
        try:
            return int(v)
        except ValueError:
            raise KinshipInputError(f"{self.source}, line {i + 1}", f"expected {what}, found {v!r}") from None

    def float(self, i: int, what: str) -> float:
        v = self.at(i, what)
        try:
            return float(v)
        except ValueError:
            raise KinshipInputError(f"{self.source}, line {i + 1}", f"expected {what}, found {v!r}") from None


def read_fam(path: str | Path) -> FamFile:
    """Read a Familias file (see the module); :class:`KinshipInputError` names file and line."""
    p = Path(path)
    if p.suffix.lower() != ".fam":
        raise KinshipInputError(str(p), "a Familias file ends in .fam")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise KinshipInputError(str(p), f"cannot read it: {e.strerror}") from None
    return parse_fam(data, p.name)


def parse_fam(data: bytes, source: str) -> FamFile:
    """:func:`read_fam` on the file's bytes (an upload); ``source`` names it in errors."""
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = data.decode("latin-1")  # Familias writes the Windows code page
    p = Path(source)
    lines = raw.split("\n")
    if not lines or "Familias" not in lines[0]:
        raise KinshipInputError(f"{p}, line 1", f"not a Familias file (found {lines[0][:60]!r})")
    x = _Lines(lines, p.name)
    version = x.at(2, "the Familias version")
    i = 3 if x.at(3, "the number of persons") != "" else 4
    nid = x.int(i, "the number of persons")
    i += 1
    persons, index_rows = [], []
    for _ in range(nid):
        name = x.at(i, "a person's name")
        sex = "male" if x.at(i + 4, "the person's sex") == "#TRUE#" else "female"
        n = x.int(i + 5, f"the number of genotypes of {name!r}")
        rows = [(x.int(i + 6 + 3 * k, "an allele index"), x.int(i + 7 + 3 * k, "an allele index"),
                 x.int(i + 8 + 3 * k, "a marker index"), i + 6 + 3 * k) for k in range(n)]
        persons.append(FamPerson(name, sex))
        index_rows.append(rows)
        i += 6 + 3 * n
    if x.at(i, '"Known relations"') != "Known relations":
        raise KinshipInputError(f"{p.name}, line {i + 1}", f'expected "Known relations", found {x.at(i, "")!r}')
    n_fem, n_mal = x.int(i + 1, "the number of extra females"), x.int(i + 2, "the number of extra males")
    names = [q.name for q in persons]
    sexes = [q.sex for q in persons]
    common = FamPedigree("(common)", [(f"extra {k + 1}", s) for k, s in enumerate(["female"] * n_fem + ["male"] * n_mal)])
    names += [n for n, _s in common.extras]
    sexes += [s for _n, s in common.extras]
    n_rel = x.int(i + 3, "the number of known relations")
    i += 4
    for _ in range(n_rel):
        common.pairs.append(_pair(x, i, names))
        i += 2
    n_ped = x.int(i, "the number of pedigrees")
    i += 1
    pedigrees = []
    for _ in range(n_ped):
        name = x.at(i + 1, "a pedigree's name")
        nf, nm = x.int(i + 2, "the number of extra females"), x.int(i + 3, "the number of extra males")
        extras = [(f"{name}: extra {k + 1}", s) for k, s in enumerate(["female"] * nf + ["male"] * nm)]
        ped = FamPedigree(name, common.extras + extras, list(common.pairs))
        own = names + [n for n, _s in extras]
        n_r = x.int(i + 4, f"the number of relations of pedigree {name!r}")
        i += 5
        for _ in range(n_r):
            if "Direct" in x.at(i, "a relation"):
                raise KinshipInputError(f"{p.name}, line {i + 1}", "twins (a direct relation) are not supported")
            ped.pairs.append(_pair(x, i, own))
            i += 2
        pedigrees.append(ped)
    if not pedigrees:
        pedigrees = [common]
    if x.at(i, "the probabilities line").startswith("#TRUE#"):
        raise KinshipInputError(f"{p.name}, line {i + 1}", "precomputed probabilities are not supported")
    i += 1
    n_loc = x.int(i, "the number of loci")
    has_info = x.at(i + 1, "the database flag") == "#TRUE#"
    i += 2 + has_info
    loci, notes = [], []
    for _ in range(n_loc):
        loc = x.at(i, "a locus name")
        rates = (x.float(i + 1, "the female mutation rate"), x.float(i + 2, "the male mutation rate"))
        codes = (x.int(i + 3, "a mutation model code (0-4)"), x.int(i + 4, "a mutation model code (0-4)"))
        for k, c in enumerate(codes):
            if c not in MODEL_CODES:
                raise KinshipInputError(f"{p.name}, line {i + 4 + k}, locus {loc}", f"mutation model code {c} is not 0-4")
        ranges = (x.float(i + 6, "the female range"), x.float(i + 7, "the male range"))
        rate2 = (x.float(i + 8, "the female second rate"), x.float(i + 9, "the male second rate"))
        if x.at(i + 10, "the silent-allele flag") == "#TRUE#":
            raise KinshipInputError(f"{p.name}, line {i + 11}, locus {loc}", "silent alleles are not supported")
        n_all = x.int(i + 12, f"the number of alleles of {loc}", x.at(i + 12, "").split("\t")[0])
        alleles = [x.at(i + 13 + 2 * k, f"an allele of {loc}") for k in range(n_all)]
        freqs = [x.float(i + 14 + 2 * k, f"a frequency of {loc}") for k in range(n_all)]
        if 3 in codes:
            notes.append(f"{loc}: a stationary stepwise model is read as stepwise, not stabilised")
        spec = [{"model": MODEL_CODES[c], "rate": r, "range": g, "rate2": r2}
                for c, r, g, r2 in zip(codes, rates, ranges, rate2, strict=True)]
        loci.append(FamLocus(loc, alleles, freqs, female=spec[0], male=spec[1]))
        i += 13 + 2 * n_all
    for person, rows in zip(persons, index_rows, strict=True):
        for a1, a2, m, line in rows:
            if not 0 <= m < len(loci):
                raise KinshipInputError(f"{p.name}, line {line + 3}", f"marker index {m} is not in the database")
            loc = loci[m]
            if not (0 <= a1 < len(loc.alleles) and 0 <= a2 < len(loc.alleles)):
                raise KinshipInputError(f"{p.name}, line {line + 1}, {person.name}, {loc.name}",
                                        f"allele index {a1 if not 0 <= a1 < len(loc.alleles) else a2} is not in the database")
            person.genotypes[loc.name] = (loc.alleles[a1], loc.alleles[a2])
    out = FamFile(p.name, version, persons, pedigrees, loci, notes=notes)
    if "[DVI]" in x.x:
        _read_dvi(x, x.x.index("[DVI]"), out)
    return out


def _pair(x: _Lines, i: int, names: list[str]) -> tuple[str, str]:
    a, b = x.int(i, "a parent's index"), x.int(i + 1, "a child's index")
    for v, line in ((a, i), (b, i + 1)):
        if not 0 <= v < len(names):
            raise KinshipInputError(f"{x.source}, line {line + 1}", f"person index {v} is not among the {len(names)} persons")
    return names[a], names[b]


_SECTION = re.compile(r"^(\[+)\s*(.*?)\s*\]+\s*$")


def _read_dvi(x: _Lines, start: int, out: FamFile) -> None:
    """The bracketed DVI part: unidentified persons and reference families."""
    path: list[str] = ["DVI"]
    person: FamPerson | None = None
    family: DviFamily | None = None
    pedigree: FamPedigree | None = None
    system: list[str] = []
    pending_parent: str | None = None
    for i in range(start + 1, len(x.x)):
        line = x.x[i].strip()
        if not line:
            continue
        m = _SECTION.match(line)
        if m:
            depth, name = len(m.group(1)), m.group(2)
            path = path[: depth - 1] + [name]
            if depth == 1:  # [Prior], [Advanced]: the DVI part is over
                break
            top = path[1] if len(path) > 1 else ""
            if depth == 3 and top == "Reference Families" and name.startswith("Family"):
                family = DviFamily("", [], [])
                out.families.append(family)
            if (depth == 3 and top == "Unidentified persons") or (depth == 5 and "Persons" in path):
                person = FamPerson("", "unknown")
                (out.unidentified if top == "Unidentified persons" else family.persons).append(person)
            if depth == 5 and "Pedigrees" in path and family is not None:
                pedigree = FamPedigree("")
                family.pedigrees.append(pedigree)
            continue
        key, _sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        where = f"{x.source}, line {i + 1}"
        if key == "Name":
            if len(path) == 3 and family is not None and path[1] == "Reference Families":
                family.name = value
            elif pedigree is not None and "Pedigrees" in path:
                pedigree.name = value
            elif person is not None:
                person.name = value
        elif key == "Gender" and person is not None:
            person.sex = {"Male": "male", "Female": "female"}.get(value, "unknown")
        elif key == "SystemName":
            system = [value]
        elif key in ("Allele1", "Allele2"):
            if not system or person is None:
                raise KinshipInputError(where, f"{key} without a SystemName before it")
            system.append(value)
            if len(system) == 3:
                person.genotypes[system[0]] = (system[1], system[2])
                system = []
        elif key == "Parent":
            pending_parent = value
        elif key == "Child":
            if pending_parent is None or pedigree is None:
                raise KinshipInputError(where, "Child without a Parent before it")
            pedigree.pairs.append((pending_parent, value))
            pending_parent = None


def _family_dict(name: str, persons: list[FamPerson], ped: FamPedigree, sample_of, missing: set[str],
                 template_sex: str | None = None) -> dict:
    """One pedigree as the engine's family dict. Who is in it: the typed persons and everyone its
    relations name (an untyped person in no relation adds nothing and is left out). A parent of
    unknown sex takes the sex opposite to the child's other parent; with none, the sex of the
    family's template missing person if given, else female (pedFamilias' rule); a missing person
    of unknown sex takes the template's sex."""
    sex = {q.name: q.sex for q in persons} | {n: s for n, s in ped.extras}
    keep = {q.name for q in persons if sample_of(q.name)} | {n for pair in ped.pairs for n in pair}
    for n in keep:
        sex.setdefault(n, "unknown")
    parents: dict[str, dict[str, str]] = {}
    for a, b in ped.pairs:
        if sex[a] == "unknown":  # the other parent of one of its children decides
            other = {sex[q] for q, c in ped.pairs if c in {c2 for p2, c2 in ped.pairs if p2 == a} and q != a}
            sex[a] = ("female" if other == {"male"} else "male" if other == {"female"}
                      else template_sex if template_sex in ("male", "female") else "female")
        parents.setdefault(b, {})["father" if sex[a] == "male" else "mother"] = a
    members = []
    for n in sorted(keep, key=list(sex).index):
        if n in missing and sex[n] == "unknown" and template_sex:
            sex[n] = template_sex
        m = {"id": n, "sex": sex[n]}
        got = parents.get(n, {})
        if got:  # the engine wants both parents or none: an unnamed one is added
            for role, s in (("father", "male"), ("mother", "female")):
                if role not in got:
                    got[role] = f"{n}: {role}"
                    members.append({"id": got[role], "sex": s})
            m.update(got)
        if n in missing:
            m["missing"] = True
        elif sample_of(n):
            m["sample"] = sample_of(n)
        members.append(m)
    return {"family": name, "members": members}


def to_engine(fam: FamFile, pedigree: str | None = None) -> dict:
    """The file in the engine's formats: ``families`` (dicts as the family JSON), ``profiles``
    (rows sample, marker, allele1, allele2), ``remains`` (rows sample, sex: the unidentified
    persons), ``freqs`` (rows marker, allele, frequency) and ``mutation`` (the JSON of
    :func:`vestige.kinship.io.read_mutation`). Outside DVI, each pedigree is one family (the
    hypotheses a Familias case compares); ``pedigree`` picks one by name."""
    profiles, remains, families = [], [], []
    for q in fam.unidentified:
        remains.append((q.name, q.sex))
        profiles += [(q.name, mk, a, b) for mk, (a, b) in q.genotypes.items()]
    if fam.families:
        for f in fam.families:
            peds = [pd for pd in f.pedigrees if pd.name != "Reference pedigree"] or f.pedigrees
            if pedigree is not None:
                peds = [pd for pd in f.pedigrees if pd.name == pedigree]
            if len(peds) != 1:
                raise KinshipInputError(f"{fam.source}, family {f.name}",
                                        f"{len(peds)} pedigrees to choose from ({', '.join(pd.name for pd in f.pedigrees)}): "
                                        "name one")
            typed = {q.name: f"{f.name}-{q.name}" for q in f.persons if q.genotypes}  # unique across families
            connected = {n for pair in peds[0].pairs for n in pair}
            missing = {n for n in connected if n not in typed and n.startswith("Missing")}
            templates = [q for q in f.persons if q.name.startswith("Missing") and q.name not in connected
                         and not q.genotypes]  # listed with their sex, outside the relations
            if not missing:
                fam.notes.append(f"family {f.name}: no missing person (no untyped person named \"Missing ...\" in "
                                 "its pedigree): left out")
                continue
            sexes = {q.sex for q in templates} - {"unknown"}
            template_sex = sexes.pop() if len(sexes) == 1 else None
            for q in f.persons:
                profiles += [(typed[q.name], mk, a, b) for mk, (a, b) in q.genotypes.items()]
            families.append(_family_dict(f.name, f.persons, peds[0], typed.get, missing, template_sex))
    else:
        for q in fam.persons:
            profiles += [(q.name, mk, a, b) for mk, (a, b) in q.genotypes.items()]
        typed = {q.name: q.name for q in fam.persons if q.genotypes}
        peds = [pd for pd in fam.pedigrees if pedigree is None or pd.name == pedigree]
        if not peds:
            raise KinshipInputError(fam.source, f"no pedigree named {pedigree!r} ({', '.join(pd.name for pd in fam.pedigrees)})")
        families = [_family_dict(pd.name, fam.persons, pd, typed.get, set()) for pd in peds]
    freqs = [(loc.name, a, f) for loc in fam.loci for a, f in zip(loc.alleles, loc.freqs, strict=True)]
    mutation = {loc.name: {"female": loc.female, "male": loc.male} for loc in fam.loci}
    return {"families": families, "profiles": profiles, "remains": remains, "freqs": freqs, "mutation": mutation}
