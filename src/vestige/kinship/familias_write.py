"""Writing Familias ``.fam`` files, DVI included (issue 28): the layout :mod:`vestige.kinship.familias`
reads — the one Familias 3.3 writes and pedFamilias' ``readFam`` documents — so that Familias,
pedFamilias/dvir and Vestige read the same case back. (pedFamilias writes no DVI files: "not yet
implemented"; this is an open writer of them.)

- :func:`write_fam` turns a :class:`~vestige.kinship.familias.FamFile` into the file's text: the
  persons of the main part with their genotypes as allele indices into the database, the known
  relations and the pedigrees (each pedigree's own extra persons and parent–child pairs, by index),
  the database line with θ, every locus with its female and male mutation models (0 equal,
  1 proportional, 2 stepwise), ranges and second rates, and the ``[DVI]`` part (unidentified
  persons; reference families with their persons, genotypes and pedigrees), then Familias'
  ``[Prior]`` and ``[Advanced]`` defaults.
- :func:`from_engine` builds that file from the engine's own inputs — families, profiles of the
  references and of the remains, the frequency table, the mutation model: each family becomes a
  reference family with its "Reference pedigree" (no relations) and its own pedigree; its missing
  persons are named "Missing …" (dvir's ``^Missing`` rule), its typed members carry their genotypes.

An allele a person carries that the database lacks is refused (Familias indexes alleles into the
database), naming the person and the marker.
"""

from __future__ import annotations

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.familias import DviFamily, FamFile, FamLocus, FamPedigree, FamPerson
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.mutation import MutationModel
from vestige.kinship.pedigree import Family

__all__ = ["write_fam", "from_engine", "MISSING_PREFIX"]

CODES = {"equal": 0, "proportional": 1, "stepwise": 2, "none": 0}
MISSING_PREFIX = "Missing "
VERSION = "3.3"


def _q(text: str) -> str:
    if '"' in text or "\n" in text:
        raise KinshipInputError(text, "a name in a Familias file cannot hold a double quote or a line break")
    return f'"{text}"'


def _num(x: float) -> str:
    return repr(float(x)) if x not in (0, 0.0) else "0"


def _sex_flag(sex: str) -> str:
    return "#TRUE#" if sex == "male" else "#FALSE#"


def _gender(sex: str) -> str:
    return {"male": "Male", "female": "Female"}.get(sex, "Unknown")


def _main_part(fam: FamFile, index: dict[str, tuple[int, dict[str, int]]], theta: float) -> list[str]:
    out = [_q(f"Output from Familias, version {VERSION}"), _q("DO NOT EDIT!"),
           VERSION + (" (DVI)" if fam.families or fam.unidentified else ""), _q(""), str(len(fam.persons))]
    for p in fam.persons:
        rows = []
        for marker, (a, b) in p.genotypes.items():
            m, alleles = index.get(marker, (None, {}))
            if m is None:
                raise KinshipInputError(f"{p.name}, {marker}", "the marker is not in the database")
            for allele in (a, b):
                if allele not in alleles:
                    raise KinshipInputError(f"{p.name}, {marker}", f"allele {allele} is not in the database")
            rows += [str(alleles[a]), str(alleles[b]), str(m)]
        out += [_q(p.name), "#FALSE#", "-1", "#FALSE#", _sex_flag(p.sex), str(len(p.genotypes)), *rows]
    names = [p.name for p in fam.persons]
    out += [_q("Known relations"), "0", "0", "0", str(len(fam.pedigrees))]
    for k, ped in enumerate(fam.pedigrees):
        females = [n for n, s in ped.extras if s != "male"]
        males = [n for n, s in ped.extras if s == "male"]
        own = names + females + males  # the order the reader numbers them in
        out += [str(k), _q(ped.name), str(len(females)), str(len(males)), str(len(ped.pairs))]
        for parent, child in ped.pairs:
            for who in (parent, child):
                if who not in own:
                    raise KinshipInputError(f"pedigree {ped.name}", f"{who!r} is neither a person nor an extra of it")
            out += [str(own.index(parent)), str(own.index(child))]
    out += [f"#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: {theta:g} )", str(len(fam.loci)), "#TRUE#",
            _q("Vestige database")]
    for loc in fam.loci:
        f, m = loc.female or {}, loc.male or {}
        for sex, spec in (("female", f), ("male", m)):
            if spec.get("model", "equal") not in CODES:
                raise KinshipInputError(f"{loc.name}, {sex}", f"mutation model {spec.get('model')!r} has no Familias code")
        n = len(loc.alleles)
        out += [_q(loc.name), _num(f.get("rate", 0.0)), _num(m.get("rate", 0.0)), str(CODES[f.get("model", "equal")]),
                str(CODES[m.get("model", "equal")]), str(n), _num(f.get("range", 0.1)), _num(m.get("range", 0.1)),
                _num(f.get("rate2", 1e-6)), _num(m.get("rate2", 1e-6)), "#FALSE#", "0",
                f"{n}\t(DatabaseSize = 1000 , Dropout probability = 0 , Minor allele frequency = 0 )"]
        for allele, freq in zip(loc.alleles, loc.freqs, strict=True):
            out += [_q(allele), repr(float(freq))]
    return out


def _dna(person: FamPerson, depth: int) -> list[str]:
    out = ["[" * depth + "DNA data" + "]" * depth, f"nSystems= {len(person.genotypes)}"]
    for marker, (a, b) in person.genotypes.items():
        out += [f"SystemName= {marker}", f"Allele1= {a}", f"Allele2= {b}"]
    return out


def _dvi_part(fam: FamFile) -> list[str]:
    out = ["", "[DVI]", "[[Unidentified persons]]", f"nPersons= {len(fam.unidentified)}"]
    for k, p in enumerate(fam.unidentified, 1):
        out += [f"[[[Person {k} ]]]", f"Name= {p.name}", f"Gender= {_gender(p.sex)}", *_dna(p, 4)]
    out += ["[[Notes]]", f"nFamilies= {len(fam.families)}", "", "[[Reference Families]]",
            f"nFamilies= {len(fam.families)}"]
    for k, f in enumerate(fam.families, 1):
        out += [f"[[[Family {k} ]]]", f"Name= {f.name}", "[[[[Persons]]]]", f"nPersons= {len(f.persons)}"]
        for j, p in enumerate(f.persons, 1):
            out += [f"[[[[[Person {j}]]]]]", f"Name= {p.name}", f"Gender= {_gender(p.sex)}", *_dna(p, 6)]
        out += ["[[[[Pedigrees]]]]", f"nPedigrees= {len(f.pedigrees)}"]
        for j, ped in enumerate(f.pedigrees, 1):
            out += [f"[[[[[Pedigree {j}]]]]]", f"Name= {ped.name}", f"nRelations= {len(ped.pairs)}"]
            for parent, child in ped.pairs:
                out += [f"Parent= {parent}", f"Child= {child}"]
    return out


TRAILER = ["[Prior]", "UseList= No", "Size= 100", "[Advanced]", "[[Direct/Identity]]", "Dropin= 0", "Dropout= 0",
           "Error= 0", "[[Other]]", "NumberOfDecimals= 10", "[[DVI]]", "QuickSearch= Enabled", "AllowedMismatches= 5",
           "[[Simulation]]", "SaveGenotypes= Disabled", "SaveComplete= Enabled", "ForceMAF= Disabled"]


def write_fam(fam: FamFile, *, theta: float = 0.0) -> str:
    """The text of a Familias 3.3 file holding ``fam`` (Windows line ends, as Familias writes)."""
    index = {loc.name: (k, {a: j for j, a in enumerate(loc.alleles)}) for k, loc in enumerate(fam.loci)}
    for p in [*fam.unidentified, *(q for f in fam.families for q in f.persons)]:
        for marker, pair in p.genotypes.items():
            if marker not in index:
                raise KinshipInputError(f"{p.name}, {marker}", "the marker is not in the database")
            missing = [a for a in pair if a not in index[marker][1]]
            if missing:
                raise KinshipInputError(f"{p.name}, {marker}", f"allele {missing[0]} is not in the database")
    lines = _main_part(fam, index, theta)
    if fam.families or fam.unidentified:
        lines += _dvi_part(fam)
    lines += TRAILER
    return "\r\n".join(lines) + "\r\n"


def _spec(model: MutationModel | None, marker: str, sex: str) -> dict:
    if model is None:
        return {"model": "equal", "rate": 0.0, "range": 0.1, "rate2": 1e-6}
    s = model.spec(marker, sex)
    return {"model": "equal" if s.model == "none" else s.model, "rate": 0.0 if s.model == "none" else s.rate,
            "range": s.range, "rate2": s.rate2}


def from_engine(families: list[Family], profiles: Profiles, table: FrequencyTable, *,
                remains: Profiles | None = None, mutation: MutationModel | None = None,
                remains_sex: dict[str, str] | None = None, source: str = "vestige") -> FamFile:
    """A DVI case in the engine's terms as a Familias file (see the module)."""
    loci = [FamLocus(m, list(table.alleles[m]), [float(x) for x in table.freqs[m]],
                     female=_spec(mutation, m, "female"), male=_spec(mutation, m, "male")) for m in table.alleles]
    unidentified = []
    for sample, genotypes in (remains.genotypes.items() if remains is not None else []):
        unidentified.append(FamPerson(sample, (remains_sex or {}).get(sample, "unknown"),
                                      {m: (a, b) for m, (a, b) in genotypes.items() if m in table.alleles}))
    out = []
    for fam in families:
        name = {m.id: (MISSING_PREFIX + m.id if m.missing and not m.id.startswith("Missing") else m.id)
                for m in fam.members}
        persons = []
        for m in fam.members:
            geno = profiles.genotypes.get(m.sample, {}) if m.sample else {}
            persons.append(FamPerson(name[m.id], m.sex, {k: (a, b) for k, (a, b) in geno.items() if k in table.alleles}))
        pairs = [(name[p], name[m.id]) for m in fam.members for p in (m.father, m.mother) if p]
        out.append(DviFamily(fam.name, persons, [FamPedigree("Reference pedigree"),
                                                 FamPedigree(f"{fam.name} pedigree", pairs=pairs)]))
    return FamFile(source, VERSION, [], [], loci, unidentified=unidentified, families=out)
