"""Joint identification: every admissible assignment of remains to missing persons, exactly.

Definitions follow dvir 3.4 (Vigeland & Egeland 2021, "Joint DNA-based disaster victim
identification", Sci Rep 11:13661; dvir's ``dviJoint``, ``Bmarginal``, ``findUndisputed``,
``pairwiseGLR``):

- An **assignment** gives each remains sample (victim) one missing person or none (``*``); no
  missing person gets two victims; a victim only goes to a missing person of its sex (unless
  sexes are ignored). Several missing persons of one family are placed *together* in its
  pedigree, so relatives found together support each other.
- Its **log-likelihood** (natural log, as dvir prints it) is that of all data: each family's
  references with the victims assigned to it placed as its missing persons, times each
  unassigned victim's own probability (Hardy–Weinberg; with drop-out, summed over the true
  genotype). ``LR`` is against the null assignment (nobody identified).
- **Marginals** (posterior pairing probabilities): ``P(victim = m) = Σ_{a: a(v) = m} w(a) L(a) /
  Σ_a w(a) L(a)``. With ``prior="flat"``, ``w = 1`` over all admissible assignments — dvir's
  ``Bmarginal``. The default ``prior="pairwise"`` gives every pairing a prior ``π`` (the search's
  ``1/(max(N, R)+1)`` or what the caller says), an unassigned victim ``1 − n_v π`` (``n_v``: the
  missing persons of the families not skipped, those the victim's sex excludes too — excluded
  like a DNA exclusion, LR 0, not moved to "unassigned"), conditioned on one victim per person:
  ``w(a) = Π_{v assigned} π / (1 − n_v π)`` relative to the null.
- **GLR** of a pairing ``v = m``: the best assignment with ``v = m`` against the best without it.
- **Undisputed** (``findUndisputed``): a pairwise LR above the threshold (1e4) that beats every
  other pairwise LR of the victim and of the missing person by that factor (``strict``: they are
  all ≤ 1); found ones are fixed, their data join their family, and the search repeats.
- **Symmetric**: two best assignments the DNA cannot tell apart (equal likelihood, the same
  victims on the same missing persons in another order) — e.g. two sisters with only their
  father as reference. Neither is reported as an identification.

Scale. The problem splits into independent **groups**: victims and families linked by a
pairing whose pairwise LR exceeds a cut-off ``τ`` (at first ``τ = 0``: only exclusions are cut,
which changes nothing). Inside a group every assignment is enumerated and scored from
precomputed tables: for a family with one missing person the family's factor is the pairwise
LR; for several, one variable elimination per marker keeps a *class* variable per missing
person (which candidate victim's readings it carries, or none) and gives the likelihood of
every placement at once. When a group has more than ``max_assignments`` assignments it is
solved without listing them, by dynamic programming along a path decomposition of its graph
(:mod:`.frontier`: exact marginals, GLRs, the best assignments and their count; its cost grows
with the number of missing persons "open" at once, not with the assignments — a chain of 100
remains and 101 missing persons takes 0.02 s). Only when that too is too large
is ``τ`` raised (1e-12, 1e-9, ..., 1e-1) for that group, and the bound below is reported.

Pruning bound (proof). Let ``e = (v, m)`` be a pairing of a family with one missing person and
``λ_e`` its prior-weighted LR. Every assignment using ``e`` is ``e`` plus an assignment of the
rest without ``v`` and ``m``, whose total mass ``Z'`` is at most the full mass ``Z`` (they are
also assignments with ``v`` unassigned). So the mass cut with ``e`` is ``λ_e Z' ≤ λ_e Z``, and
with every cut pairing at most ``δ = Σ λ_e`` of ``Z``: each marginal moves by at most
``δ / (1 − δ)``. For a family with several missing persons the same sum bounds the mass of
assignments that place the cut victim there alone; the cut victim could in principle gain from
relatives placed beside it, so the engine also checks every cut pairing of such a family
against the family's best joint placement and keeps it if that conditional LR reaches ``τ``.
A group that stays too large at ``τ = 0.1`` is sampled (:mod:`.sampler`), and then whole: the
part, before any cut, that the cuts split (the parts solved exactly beside it are dropped), with
every pairing in it, so no cut pairing's mass — a bound shared by every victim of a part — weighs
on its marginals, and each victim carries its own stated error. Only a group whose family tables
cannot be built even so is reported ``exact: false`` with pairwise posteriors — never silently
capped.

The package by noun: :mod:`.model` (options, groups, result), :mod:`.tables` (family tables),
:mod:`.enumeration`, :mod:`.frontier` (the dynamic programme), :mod:`.sampler` (Markov chain Monte
Carlo), :mod:`.groups` (components, fixing, cutting, exact enumeration),
:mod:`.report` (marginals, top and symmetric assignments), :mod:`.undisputed`, :mod:`.engine`
(the two entries).
"""

from __future__ import annotations

from vestige.kinship.joint.engine import joint_identification, joint_sparse
from vestige.kinship.joint.enumeration import count_admissible, enumerate_assignments
from vestige.kinship.joint.model import (
    CUTOFFS,
    FIX_EPSILON,
    MAX_CLASS_TABLE,
    TIE,
    Group,
    JointOptions,
    JointResult,
    Marginal,
    Pairwise,
    Symmetric,
    TooLarge,
)
from vestige.kinship.joint.tables import FamilyTable, build_family_table, family_loglr

__all__ = ['CUTOFFS', 'FIX_EPSILON', 'FamilyTable', 'Group', 'JointOptions', 'JointResult', 'Marginal', 'MAX_CLASS_TABLE', 'Pairwise', 'Symmetric', 'TIE', 'TooLarge', 'build_family_table', 'count_admissible', 'enumerate_assignments', 'family_loglr', 'joint_identification', 'joint_sparse']
