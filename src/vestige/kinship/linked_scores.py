"""Linked marker pairs applied to many pairs at once: the search's reported pairs and the joint
engine's pairwise matrix.

Computing two markers jointly (:mod:`vestige.kinship.linked`) costs a pedigree elimination per pair
of (sample, missing person), too much for every pair of a national search. It is spent where it
can change a decision: every pair whose posterior (:func:`vestige.kinship.prior.posteriors`)
reaches ``linkage.floor`` (1e-2), and every competitor with posterior ≥ ``RIVAL_FLOOR`` (1e-5) of
a pair above ½ (a possible identification), so that its sums carry linked LRs too. The others keep
the product of their two markers' LRs: linkage moves an LR by a small factor (KLINK's uncle: 79 →
178), so they stay far from any identification, and a competitor below 1e-5 moves a pair's
posterior by less than its own posterior times that factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vestige.kinship.casedata import CaseData
from vestige.kinship.linked import Linkage
from vestige.kinship.prior import posteriors

__all__ = ["RIVAL_FLOOR", "Corrections", "Reported", "choose", "corrections", "link_hits", "link_matrix"]

RIVAL_FLOOR = 1e-5


def choose(post: np.ndarray, rows: np.ndarray, cols: np.ndarray, floor: float) -> np.ndarray:
    """Which pairs to link (see the module docstring), for pairs (rows[i], cols[i])."""
    near = post >= 0.5
    near_rows, near_cols = list(set(rows[near].tolist())), list(set(cols[near].tolist()))
    return (post >= floor) | ((post >= RIVAL_FLOOR) & (np.isin(rows, near_rows) | np.isin(cols, near_cols)))


@dataclass
class Corrections:
    """Natural log corrections (linked LR over the product) per pair, the linked pairs each used,
    and how many pairs were left unlinked."""

    log: np.ndarray
    used: list[list[str]]
    unlinked: int


def corrections(linkage: Linkage, pairs, data: CaseData) -> Corrections:
    """The corrections of ``pairs`` — (item index, family, missing id) — with the family's
    mutation model, for clean single samples; a sample with drop-out or a body of several samples
    is left unlinked (counted)."""
    corr = np.zeros(len(pairs))
    used_all: list[list[str]] = [[] for _ in pairs]
    unlinked = 0
    for i, (s, family, missing) in enumerate(pairs):
        parts = data.samples_of(data.items[s])
        if len(parts) != 1 or (data.degradation is not None and data.degradation.degraded(parts[0])):
            unlinked += 1
            continue
        refs = {m.id: data.profiles.genotypes[m.sample] for m in family.typed if m.sample in data.profiles.genotypes}
        corr[i], used_all[i] = linkage.correction(family, missing, data.sprof.genotypes[parts[0]], refs, data.table,
                                                  data.mutation_of(family.name))
    return Corrections(corr, used_all, unlinked)


def _note(linkage: Linkage, n: int, unlinked: int) -> str:
    names = ", ".join(f"{p.first}–{p.second}" for p in linkage.pairs)
    return (f"linked pairs ({names}) computed jointly for the {n} pairs whose posterior reached {linkage.floor:g} "
            f"or compete (posterior ≥ {RIVAL_FLOOR:g}) with one above ½"
            + (f"; {unlinked} left unlinked (drop-out, or several samples of one body)" if unlinked else ""))


@dataclass
class Reported:
    """The search's reported pairs: ``pending`` (the rows being built), their natural log LRs
    ``values`` and posteriors ``post``, their sample ``ps`` and target ``pc`` indices; the
    targets; each target's log Σ LR ``col_lse`` and count ``col_n``. Linking replaces ``values``
    and ``post`` and says what it did in ``note``."""

    pending: list
    values: np.ndarray
    post: np.ndarray
    ps: np.ndarray
    pc: np.ndarray
    targets: list
    col_lse: np.ndarray
    col_n: np.ndarray
    note: str = ""


def link_hits(linkage: Linkage, rep: Reported, data: CaseData, pi: float, row_lse_out: dict) -> None:
    """The search's reported pairs: the chosen ones linked, every sample's and missing person's
    sums updated with the new LRs, the posteriors again (in ``rep``; each sample's new log Σ LR in
    ``row_lse_out``)."""
    pending, values, post, ps, pc, targets, col_lse, col_n = (rep.pending, rep.values, rep.post, rep.ps, rep.pc,
                                                              rep.targets, rep.col_lse, rep.col_n)
    samples = data.items
    chosen = np.flatnonzero(choose(post, ps, pc, linkage.floor))
    found = corrections(linkage, [(int(ps[i]), targets[int(pc[i])].family, targets[int(pc[i])].missing)
                                  for i in chosen], data)
    corr_c, used, unlinked = found.log, found.used, found.unlinked
    corr = np.zeros(len(pending))
    for k, i in enumerate(chosen):
        if used[k]:
            corr[i] = corr_c[k]
            pending[i][3].append("linked:" + ",".join(used[k]))
            if len(pending[i]) > 7 and pending[i][7] and pending[i][7].get("autosomal") is not None:
                pending[i][7]["autosomal"] += corr_c[k] / math.log(10)
    row_lse = np.array([p[4] for p in pending], dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        share_row = np.where(corr != 0, np.exp(values - row_lse) * np.expm1(corr), 0.0)
        share_col = np.where(corr != 0, np.exp(values - col_lse[pc]) * np.expm1(corr), 0.0)
    row_add = np.zeros(len(samples))
    np.add.at(row_add, ps, share_row)
    col_add = np.zeros(len(col_lse))
    np.add.at(col_add, pc, share_col)
    new_row = row_lse + np.log(np.maximum(1.0 + row_add[ps], 1e-300))
    new_col = col_lse + np.log(np.maximum(1.0 + col_add, 1e-300))
    for s in np.unique(ps[corr != 0]):
        row_lse_out[samples[s]] = float(new_row[np.flatnonzero(ps == s)[0]])
    rep.col_lse = new_col
    rep.values = values + corr
    rep.post = posteriors(rep.values, new_row, np.array([p[5] for p in pending], dtype=np.int64), new_col[pc],
                          col_n[pc], pi)
    rep.note = _note(linkage, int((corr != 0).sum()), unlinked)


def link_matrix(linkage: Linkage, log_lr: np.ndarray, counts: tuple[int, int], targets, skip: set[str],
                data: CaseData, pi: float) -> tuple[np.ndarray, str]:
    """The joint engine's pairwise matrix (victims × targets, natural log LRs): the chosen pairs of
    families not in ``skip`` linked; (the new matrix, note). ``counts``: the pairings in the prior of
    a victim and of a missing person (:func:`vestige.kinship.prior.posterior`)."""
    finite = np.isfinite(log_lr)
    rows, cols = np.nonzero(finite)
    if not len(rows):
        return log_lr, _note(linkage, 0, 0)
    values = log_lr[rows, cols]
    with np.errstate(divide="ignore"):
        row_lse = np.logaddexp.reduce(np.where(finite, log_lr, -np.inf), axis=1)
        col_lse = np.logaddexp.reduce(np.where(finite, log_lr, -np.inf), axis=0)
    post = posteriors(values, row_lse[rows], np.full(len(rows), counts[0]), col_lse[cols],
                      np.full(len(rows), counts[1]), pi)
    chosen = [i for i in np.flatnonzero(choose(post, rows, cols, linkage.floor))
              if targets[int(cols[i])][0].name not in skip]
    found = corrections(linkage, [(int(rows[i]), targets[int(cols[i])][0], targets[int(cols[i])][1])
                                  for i in chosen], data)
    corr, used, unlinked = found.log, found.used, found.unlinked
    out = log_lr.copy()
    n = 0
    for k, i in enumerate(chosen):
        if used[k]:
            out[rows[i], cols[i]] += corr[k]
            n += 1
    return out, _note(linkage, n, unlinked)
