"""Exact multipoint likelihood of linked SNPs in a pedigree (Lander–Green).

Lander & Green (PNAS 84:2363, 1987): along a chromosome, the *inheritance vector* — for every
meiosis of the pedigree, whether the child received the parent's paternal or maternal gene — is a
Markov chain whose steps are independent recombinations (fraction r between adjacent SNPs, from
the map by Haldane or Kosambi); given the vector at a SNP, the typed persons' genotypes depend only
on which *founder genes* they carry. The likelihood is the forward algorithm of that hidden Markov
model, exact for any number of linked SNPs — unlike the product of single-SNP LRs, which treats
5,000 SNPs on 22 chromosomes as 5,000 independent tests and overstates the evidence.

**The state space** (what makes it fast, each step exact):

1. Only the typed persons (the references with SNP data, and the missing person) and their
   ancestors matter; everyone else is left out.
2. A founder's meioses: flipping *all* of them exchanges the founder's two genes everywhere,
   which leaves every genotype probability unchanged (founder symmetry, Kruglyak et al., AJHG
   58:1347, 1996). The states are grouped in pairs by that flip, exactly: the founder's first
   meiosis is fixed, its other meioses stay free, and the transition becomes
   ``(1 − r)·T + r·F·T`` where ``F`` flips the founder's free bits. A founder with one child in the
   pedigree adds no state at all.
3. The states that give the typed persons the same *pattern* of founder genes (who shares which
   gene) share one emission, computed once per SNP.

``max_bits`` (default 20: about a million states, a few hundred MB and seconds per pair on this
machine) bounds the free meioses; a pedigree beyond it is refused with its count — never
approximated silently. A first-cousin pair takes 4 bits, second cousins 6.

**Genotyping errors and no-calls.** Each observed genotype o of a person whose true genotype is
g has probability 1 − ε when o = g and ε/2 for each of the two others (ε per sample; default
0.001 for references and 0.005 for remains, settable per sample); a no-call has probability 1.
The single-marker likelihoods (r = 0.5 everywhere) are therefore exactly the product of the
single-SNP likelihoods with the same error model: with ε = 0 that is the LR of forrel's
``kinshipLR`` over independent two-allele markers.

**Sexes.** One map for both sexes (the panel's, usually sex-averaged); a sex-specific map would
give each meiosis its own r, which the transition supports but the panel formats do not carry.

**SNPs and STRs together.** Forensic SNP panels avoid the CODIS/ESS STR regions; the LR of the SNPs
is multiplied with the autosomal STR LR as independent evidence. Where the panel holds SNPs within
a few cM of an STR, the two are linked: run with ``min_distance_to_str`` — SNPs that close to a STR
of the kit are left out (:func:`drop_near`), which is how the combination stays honest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.pedigree import Family

__all__ = ["InheritanceSpace", "inheritance_space", "emissions", "log_likelihoods", "genotype_error_matrix",
           "MAX_BITS"]

MAX_BITS = 20


@dataclass
class InheritanceSpace:
    """The reduced inheritance vectors of a pedigree for its typed persons ``typed`` (slot order)."""

    typed: list[str]
    n_bits: int  # free meioses
    flips: np.ndarray  # int64 masks: each founder's free meioses, flipped together (founder symmetry)
    pattern: np.ndarray  # (2**n_bits,) int64: the gene pattern of each state
    patterns: list[tuple[int, ...]]  # per pattern: the founder-gene label of each typed slot's (paternal, maternal) gene
    meioses: list[tuple[str, str]] = field(default_factory=list)  # the free bits: (child, "father"/"mother")

    @property
    def n_states(self) -> int:
        return 1 << self.n_bits


def _canonical(row: np.ndarray) -> tuple[int, ...]:
    seen: dict[int, int] = {}
    return tuple(seen.setdefault(int(x), len(seen)) for x in row)


def inheritance_space(family: Family, typed: list[str], *, max_bits: int = MAX_BITS) -> InheritanceSpace:
    """The states of the Lander–Green chain of ``family`` for the persons ``typed`` (member ids)."""
    keep: set[str] = set()
    stack = list(typed)
    while stack:
        m = stack.pop()
        if m in keep:
            continue
        keep.add(m)
        mem = family.by_id[m]
        if mem.father is not None:
            stack += [mem.father, mem.mother]
    order = [m for m in family.order if m in keep]
    kids = {m: [c for c in family.children[m] if c in keep] for m in order}
    # Each meiosis (child, role) is a free bit, fixed at 0, or the founder's first (fixed, with a flip).
    bit_of: dict[tuple[str, str], int] = {}
    flips: list[int] = []
    meioses: list[tuple[str, str]] = []
    for m in order:
        mem = family.by_id[m]
        out = [(c, "father" if family.by_id[c].father == m else "mother") for c in kids[m]]
        if mem.founder and out:
            mask = 0
            for c, role in out[1:]:
                bit_of[(c, role)] = len(meioses)
                mask |= 1 << len(meioses)
                meioses.append((c, role))
            if mask:
                flips.append(mask)
        else:
            for c, role in out:
                bit_of[(c, role)] = len(meioses)
                meioses.append((c, role))
    k = len(meioses)
    if k > max_bits:
        raise KinshipInputError(f"{family.source or family.name}", f"the SNP likelihood of this pedigree needs {k} "
                                f"free meioses (2^{k} inheritance states); the exact method takes at most "
                                f"{max_bits}: leave out distant untyped branches or typed relatives")
    states = np.arange(1 << k, dtype=np.int64)
    genes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    founders = 0
    for m in order:
        mem = family.by_id[m]
        if mem.founder:
            genes[m] = (np.full(len(states), 2 * founders), np.full(len(states), 2 * founders + 1))
            founders += 1
            continue
        pair = []
        for role, parent in (("father", mem.father), ("mother", mem.mother)):
            b = bit_of.get((m, role))
            choice = ((states >> b) & 1) if b is not None else np.zeros(len(states), dtype=np.int64)
            pat, mat = genes[parent]
            pair.append(np.where(choice == 1, mat, pat))
        genes[m] = (pair[0], pair[1])
    rows = np.stack([g for m in typed for g in genes[m]], axis=1)
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    canon: dict[tuple[int, ...], int] = {}
    to_canon = np.empty(len(uniq), dtype=np.int64)
    for i, row in enumerate(uniq):
        to_canon[i] = canon.setdefault(_canonical(row), len(canon))
    return InheritanceSpace(list(typed), k, np.array(flips, dtype=np.int64), to_canon[inverse.reshape(-1)],
                            list(canon), meioses)


def genotype_error_matrix(calls: np.ndarray, eps: float) -> np.ndarray:
    """(3, M): P(observed call | true genotype g) for g = 0, 1, 2 — 1 − ε when equal, ε/2 otherwise,
    1 for a no-call."""
    out = np.where(calls[None, :] == np.arange(3)[:, None], 1.0 - eps, eps / 2.0)
    out[:, calls < 0] = 1.0
    return out


def emissions(space: InheritanceSpace, freq: np.ndarray, refs: list[np.ndarray]) -> np.ndarray:
    """E[p, g, t]: the probability of the references' calls at SNP t and of the last typed slot
    (the missing person) having true genotype g, for gene pattern p. ``refs``: per reference slot
    (the slots before the last), its (3, M) error matrix."""
    m = len(freq)
    q = 1.0 - freq
    out = np.zeros((len(space.patterns), 3, m))
    n_ref = len(refs)
    for p, labels in enumerate(space.patterns):
        n_labels = max(labels) + 1
        for a in range(1 << n_labels):
            allele = [(a >> lab) & 1 for lab in range(n_labels)]
            prob = np.ones(m)
            for lab in range(n_labels):
                prob = prob * (freq if allele[lab] else q)
            for i in range(n_ref):
                prob = prob * refs[i][allele[labels[2 * i]] + allele[labels[2 * i + 1]]]
            g = allele[labels[2 * n_ref]] + allele[labels[2 * n_ref + 1]]
            out[p, g] += prob
    return out


def log_likelihoods(space: InheritanceSpace, emit: np.ndarray, r: np.ndarray, obs: np.ndarray,
                    eps: np.ndarray) -> np.ndarray:
    """Natural-log likelihood of the references' calls and each row of ``obs`` (the missing
    person's calls, -1 no-call) under the pedigree: (len(obs),)."""
    from vestige.kinship.snp import (
        kernels,  # lazy: numba, compiled code loaded only when something is scored
    )

    out = np.empty(len(obs))
    kernels.forward(np.ascontiguousarray(obs, dtype=np.int8), np.ascontiguousarray(eps, dtype=np.float64),
             np.ascontiguousarray(emit.transpose(2, 0, 1)), space.pattern, space.n_bits, space.flips, np.ascontiguousarray(r), out)
    return out
