"""Synthetic lineage markers for the Izium demo: Y-STR and mtDNA for every body, for the donors of
the weak families (a maternal aunt or uncle: mtDNA; a paternal uncle: Y-STRs), and two population
databases, labelled as synthetic.

The autosomal STRs of a single uncle or aunt rarely reach an identification; the family's line
does. Haplotypes are drawn from a model with clusters (founding haplotypes, each man or woman a
few mutations away), so that common and rare haplotypes both occur; a family's line carries a
haplotype of its own and passes it down its meioses with the published per-locus rates (Y:
YHRD, Genes 11:566, 2020, Table 1) or the control region's (mtDNA: 0.0043 per transmission).
Everything is imported through the same services as a lab's files, so the demo exercises them.
"""

from __future__ import annotations

import io

import numpy as np

from vestige.identification import lineage
from vestige.registry.models import Remains, Sex

Y_RATES = {"DYS576": 0.0126, "DYS389I": 0.00272, "DYS635": 0.00421, "DYS627": 0.0132, "DYS460": 0.00582,
           "DYS458": 0.00617, "DYS19": 0.0022, "YGATAH4": 0.00301, "DYS448": 0.00139, "DYS391": 0.00253,
           "DYS456": 0.00441, "DYS390": 0.00208, "DYS438": 0.000351, "DYS392": 0.000496, "DYS518": 0.0146,
           "DYS570": 0.0114, "DYS437": 0.00132, "DYS449": 0.00944, "DYS393": 0.00107, "DYS439": 0.00546,
           "DYS481": 0.00488, "DYS533": 0.00368}
Y_CENTRES = {"DYS576": 18, "DYS389I": 13, "DYS635": 23, "DYS627": 21, "DYS460": 11, "DYS458": 16, "DYS19": 15,
             "YGATAH4": 11, "DYS448": 19, "DYS391": 10, "DYS456": 15, "DYS390": 24, "DYS438": 11, "DYS392": 12,
             "DYS518": 39, "DYS570": 18, "DYS437": 15, "DYS449": 30, "DYS393": 13, "DYS439": 12, "DYS481": 23,
             "DYS533": 12}
MT_RATE = 0.0043
MT_RANGE = "16024-16569 1-576"
MT_SITES = [*range(16024, 16570), *range(1, 577)]
BASES = "ACGT"
LAB = "Demo lineage laboratory (synthetic)"


class _Model:
    """Clustered haplotypes: founders, and people a few mutations from one of them."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.y_founders = [{loc: c + int(rng.integers(-2, 3)) for loc, c in Y_CENTRES.items()} for _ in range(40)]
        self.mt_founders = [self._mt_motif() for _ in range(60)]

    def _mt_motif(self) -> dict[int, str]:
        sites = self.rng.choice(MT_SITES, size=int(self.rng.integers(3, 9)), replace=False)
        return {int(s): BASES[int(self.rng.integers(4))] for s in sites}

    def y(self, steps: float = 6.0) -> dict[str, int]:
        hap = dict(self.y_founders[int(self.rng.integers(len(self.y_founders)))])
        for _ in range(int(self.rng.poisson(steps))):
            loc = list(Y_RATES)[int(self.rng.integers(len(Y_RATES)))]
            hap[loc] += 1 if self.rng.random() < 0.5 else -1
        return hap

    def mt(self, private: float = 1.5) -> dict[int, str]:
        hap = dict(self.mt_founders[int(self.rng.integers(len(self.mt_founders)))])
        for _ in range(int(self.rng.poisson(private))):
            hap[int(self.rng.choice(MT_SITES))] = BASES[int(self.rng.integers(4))]
        return hap

    def pass_y(self, hap: dict[str, int], meioses: int) -> dict[str, int]:
        out = dict(hap)
        for _ in range(meioses):
            for loc, rate in Y_RATES.items():
                if self.rng.random() < rate:
                    out[loc] += 1 if self.rng.random() < 0.5 else -1
        return out

    def pass_mt(self, hap: dict[int, str], meioses: int) -> dict[int, str]:
        out = dict(hap)
        for _ in range(meioses):
            if self.rng.random() < MT_RATE:
                out[int(self.rng.choice(MT_SITES))] = BASES[int(self.rng.integers(4))]
        return out


def _mt_text(hap: dict[int, str]) -> str:
    return " ".join(f"{s}{b}" for s, b in sorted(hap.items(), key=lambda x: (x[0] < 16024, x[0])))


def load_lineage(dna_analyst, cases: list[tuple], seed: int = 4481) -> dict[str, int]:
    """``cases``: (line, family, remains, donor code) of the weak families — ``line`` "maternal"
    (the donor shares the missing person's mtDNA) or "paternal" (a paternal uncle: the Y). Every
    other body gets haplotypes of its own. Returns what was created."""
    rng = np.random.default_rng(seed)
    model = _Model(rng)
    y_db = ["id," + ",".join(Y_RATES)] + [f"YDEMO-{k:04d}," + ",".join(str(v) for v in model.y().values())
                                           for k in range(2000)]
    mt_db = ["id,range,variants"] + [f"MTDEMO-{k:04d},{MT_RANGE},{_mt_text(model.mt())}" for k in range(5000)]
    lineage.add_database(dna_analyst, "y", ("\n".join(y_db) + "\n").encode(), "demo-y-database.csv",
                         name="Synthetic Y-STR database (demo)", population="synthetic (not a real population)",
                         source="Vestige demo: simulated from founding haplotypes; rates YHRD (Genes 11:566, 2020)",
                         model=str({"rates": Y_RATES}).replace("'", '"').encode(), model_name="yhrd-rates.json")
    lineage.add_database(dna_analyst, "mt", ("\n".join(mt_db) + "\n").encode(), "demo-mt-database.csv",
                         name="Synthetic mtDNA database (demo)", population="synthetic (not a real population)",
                         source="Vestige demo: simulated motifs in EMPOP notation",
                         model=f'{{"rate": {MT_RATE}}}'.encode(), model_name="mt-rate.json")
    y_rows, mt_rows = ["sample,marker,allele1,allele2"], ["sample,range,variants"]
    given: set[int] = set()
    for line, _family, remains, donor in cases:
        if line == "paternal":
            founder = model.y(steps=9)  # the family's own line: rarely in the database
            for who, meioses in ((donor, 1), (remains.body_number, 2)):  # uncle ← grandfather → father → the man
                y_rows += [f"{who},{loc},{v}," for loc, v in model.pass_y(founder, meioses).items()]
        else:
            founder = model.mt(private=3)
            for who, meioses in ((donor, 1), (remains.body_number, 2)):  # aunt ← grandmother → mother → the person
                mt_rows.append(f"{who},{MT_RANGE},{_mt_text(model.pass_mt(founder, meioses))}")
        given.add(remains.pk)
    others = Remains.objects.filter(site__ref="IZM-PISH", dna_samples__isnull=False).exclude(pk__in=given).distinct()
    for r in others.order_by("body_number"):
        if r.dna_samples.count() != 1:
            continue  # a body with two bones: its lineage typed on neither (the lab's file names one sample)
        mt_rows.append(f"{r.body_number},{MT_RANGE},{_mt_text(model.mt())}")
        if r.sex == Sex.MALE:
            y_rows += [f"{r.body_number},{loc},{v}," for loc, v in model.y().items()]
    for system, rows in (("y", y_rows), ("mt", mt_rows)):
        lineage.import_lineage(dna_analyst, system, io.BytesIO(("\n".join(rows) + "\n").encode()),
                               f"demo-{system}-profiles.csv", lab=LAB, via="demo")
    return {"lineage profiles": lineage.counts()["y"] + lineage.counts()["mt"]}
