"""A synthetic SNP panel for the Izium demo, with genotypes of the weak families' donors (uncles
and aunts) and of every body with one DNA sample, labelled as synthetic.

The donors and their nephews or nieces are simulated together in their pedigree (grandparents,
the uncle or aunt, the parent, the missing person) on the panel's map, so the exact multipoint LR
finds what an uncle's 21 STRs could not; other bodies are unrelated. The panel is uploaded and the
VCF imported through the same services as a laboratory's files.
"""

from __future__ import annotations

import io

import numpy as np

from vestige.identification import lineage
from vestige.kinship.pedigree import Family, Member
from vestige.kinship.snp.simulate import (
    damage,
    genotypes,
    panel_table,
    simulate_haplotypes,
    synthetic_panel,
    vcf_text,
)
from vestige.registry.models import Remains

N_SNPS = 2000
LAB = "Demo SNP laboratory (synthetic)"
AVUNCULAR = Family("avuncular", [Member("GF", "male"), Member("GM", "female"), Member("U", "male", "GF", "GM"),
                                 Member("P", "male", "GF", "GM"), Member("W", "female"), Member("MP", "male", "P", "W")],
                   require_missing=False)
UNRELATED = Family("one", [Member("X", "male")], require_missing=False)


def load_snps(dna_analyst, cases: list[tuple], seed: int = 2602) -> dict[str, int]:
    """``cases``: (line, family, remains, donor code) of the weak families (see demo.lineage)."""
    rng = np.random.default_rng(seed)
    panel = synthetic_panel(N_SNPS, rng)
    lineage.add_database(dna_analyst, "snp", panel_table(panel).encode(), "demo-snp-panel.tsv",
                         name="Synthetic SNP panel (demo)", population="synthetic (not a real population)",
                         source=f"Vestige demo: {N_SNPS:,} simulated SNPs on chromosomes 1-22, sex-averaged map")
    names, rows, given = [], [], set()
    for _line, _family, remains, donor in cases:
        calls = genotypes(simulate_haplotypes(AVUNCULAR, panel, rng), ["U", "MP"])
        names += [donor, remains.body_number]
        rows += [calls[0], damage(calls[1], rng, no_call=0.04, error=0.002)]  # bone: some no-calls and errors
        given.add(remains.pk)
    others = Remains.objects.filter(site__ref="IZM-PISH", dna_samples__isnull=False).exclude(pk__in=given).distinct()
    for r in others.order_by("body_number"):
        if r.dna_samples.count() != 1:
            continue  # a body with two bones: the lab's file names one sample
        names.append(r.body_number)
        rows.append(damage(genotypes(simulate_haplotypes(UNRELATED, panel, rng), ["X"])[0], rng, no_call=0.04,
                           error=0.002))
    text = vcf_text(panel, names, np.stack(rows), source="vestige-demo")
    report = lineage.import_lineage(dna_analyst, "snp", io.BytesIO(text.encode()), "demo-snps.vcf", lab=LAB,
                                    via="demo")
    return {"SNP genotype sets": report.created}
