"""The joint engine's options, groups and result, and its constants."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CUTOFFS = (0.0, 1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1)


FIX_EPSILON = 1e-9  # a pairing is fixed when P(not this pairing) is proven below this


MAX_CLASS_TABLE = 4_000_000
MAX_SAMPLED_CELLS = 4_000_000  # victims × missing persons the sampler takes whole (its dense position table)
# placements of one family of several the sampler takes in a whole root: its class tables (built
# per marker over every pair of genotypes) grow much faster than the placements; 10,000 keeps a
# 500-remains grave's tables under a gigabyte (30,000 took 2.4 GB and 10 s for one family)
MAX_ROOT_PLACEMENTS = 10_000
# an exact part whose cut pairings' prior-weighted LRs sum above this has its root sampled whole
# instead (if it can be): its tolerance, shared by every victim, would hide identifications
RESAMPLE_CUT_MASS = 1e-3


MAX_CLASS_WORK = 30_000_000  # class combinations × genotype pairs in one elimination (240 MB of float64)


TIE = 1e-9  # relative tolerance for "equal likelihood" (symmetric assignments)


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Pairwise:
    """The joint problem as the groups see it: natural log LRs ``log_lr`` (victims × targets,
    ``-inf`` excluded), each victim's prior weight ``log_w``, the targets (family, missing person)
    and the families scored by their tables (``multi``: several missing persons, or θ > 0)."""

    log_lr: np.ndarray
    log_w: np.ndarray
    targets: list
    multi: set

    @property
    def family_of(self) -> list:
        return [f for f, _ in self.targets]


@dataclass
class JointOptions:
    threshold: float = 1e4
    strict: bool = False
    prior: str = "pairwise"  # or "flat"
    pair_prior: float | None = None
    missing_total: int | None = None
    max_assignments: int = 2_000_000
    ignore_sex: bool = False
    disable_mutations: str = "never"  # "consistent" (dvir's NA) or "always"
    theta: float = 0.0
    top: int = 10
    method: str = "auto"  # "enumerate" (list), "frontier" (dynamic programming), "sample" (MCMC) or each in turn
    max_states: int = 400_000  # dynamic programming: states after one victim
    sweeps: int = 20_000  # sampler (the last resort): sweeps per chain
    seed: int = 1  # sampler: the first chain's seed


@dataclass
class Group:
    victims: list[int]
    targets: list[int]
    exact: bool = True
    cutoff: float = 0.0
    tolerance: float = 0.0
    reason: str = ""
    assignments: np.ndarray | None = None  # (n_a, n_victims) target index or -1, sorted by loglr desc
    loglr: np.ndarray | None = None  # (n_a,) natural log of prior weight × LR against the null
    plain: np.ndarray | None = None  # (n_a,) natural log LR against the null (no prior)
    count: int = 0
    tables: dict = field(default_factory=dict)  # family name → FamilyTable (several missing persons)
    fixed: bool = False  # a pairing fixed as certain (see _fix_certain); its tolerance bounds the rest
    cut: list = field(default_factory=list)  # cut pairings touching the group: (victim, target, log λ)
    local_lr: np.ndarray | None = None  # the group's pairwise log LRs (victims × targets)
    extra: dict = field(default_factory=dict)  # victim → prior-weighted LR mass of its pairings never given to the engine (sparse entry)
    extra_col: dict = field(default_factory=dict)  # target → the same of its pairings (the search's column sums)
    own: dict = field(default_factory=dict)  # victim → log P(own readings)
    marginal: np.ndarray | None = None  # solved without listing (dynamic programming): (victims, targets + 1)
    glr_local: dict = field(default_factory=dict)  # with ``marginal``: (local victim, local target) → log GLR
    method: str = "enumeration"
    sampled_error: float | None = None  # sampled (joint/sampler.py): the largest stated error of its marginals
    victim_errors: dict = field(default_factory=dict)  # sampled: victim → the stated error of its marginals


@dataclass(frozen=True)
class Marginal:
    """One row of the joint result: the probability that victim ``victim`` (an index into
    :attr:`JointResult.items`) is missing person ``target`` (an index into
    :attr:`JointResult.targets`), or none of them (``target`` None)."""

    victim: int
    target: int | None
    sample: str
    family: str | None
    missing: str | None
    probability: float
    tolerance: float = 0.0  # how far the probability may be off (pairings cut, or outside any group)
    exact: bool = True  # False: a group too large to solve exactly, a pairwise posterior
    systems: dict | None = None  # lineage system → its pairwise log10 LR (None: nothing compared)

    @property
    def none_of_the_missing(self) -> bool:
        return self.target is None

    def as_dict(self) -> dict:
        """The JSON form (``"missing": "*"`` for none of the missing persons)."""
        out = {"sample": self.sample, "family": self.family, "missing": "*" if self.target is None else self.missing,
               "probability": self.probability}
        if self.tolerance:
            out["tolerance"] = self.tolerance
        if not self.exact:
            out["exact"] = False
        if self.systems is not None:
            out["systems"] = self.systems
        return out


@dataclass(frozen=True)
class Symmetric:
    """Two best assignments the DNA cannot tell apart (dvir's "symmetric" match): equal
    likelihood, the same victims (``samples``) on the same missing persons, in another order;
    ``orders``: the two orders, as (sample, missing person) pairs."""

    samples: list[str]
    missing: list[str]
    family: str
    families: list[str]
    loglik: float
    orders: tuple[list[tuple[str, str]], list[tuple[str, str]]]

    def pairs(self) -> list[tuple[str, str]]:
        """Every (sample, missing person) pairing of either order."""
        return [*self.orders[0], *self.orders[1]]

    def as_dict(self) -> dict:
        return {"samples": self.samples, "missing": self.missing, "family": self.family, "families": self.families,
                "loglik": self.loglik,
                "assignments": [[{"sample": s, "missing": m} for s, m in order] for order in self.orders]}


@dataclass
class JointResult:
    items: list[str]
    targets: list[tuple[str, str]]  # (family, missing)
    loglik0: float
    groups: list[Group]
    assignments: list[dict]
    marginals: list[Marginal]
    undisputed: list[dict]
    symmetric: list[Symmetric]
    prior: dict
    skipped: list[tuple[str, str]] = field(default_factory=list)
    glr: dict[tuple[int, int], float] = field(default_factory=dict)
    pairwise_log_lr: np.ndarray | None = None
    admissible: int = 0  # sex-consistent assignments of the whole problem (dvir's full table)
    notes: list[str] = field(default_factory=list)  # what the user must know (e.g. persons a lineage cannot tell apart)
    outside: dict[int, float] = field(default_factory=dict)  # victim in no group → its prior-weighted LR mass cut away
    systems: dict[str, np.ndarray] = field(default_factory=dict)  # lineage system → (victims, targets) log LR, nan: not compared

    def as_dict(self) -> dict:
        return {"assignments": self.assignments, "marginals": [m.as_dict() for m in self.marginals],
                "undisputed": self.undisputed,
                "symmetric": [x.as_dict() for x in self.symmetric],
                "groups": [{"remains": len(g.victims), "missing": len(g.targets),
                            "exact": g.exact and g.sampled_error is None,
                            "assignments": g.count, "cutoff": g.cutoff, "tolerance": g.tolerance,
                            **({"method": g.method} if g.exact else {}),
                            **({"sampled_error": g.sampled_error} if g.sampled_error is not None else {}),
                            **({"reason": g.reason} if g.reason else {})} for g in self.groups],
                "loglik_null": self.loglik0, "prior": self.prior,
                "admissible_assignments": (self.admissible if self.admissible < 2 ** 53 else float(self.admissible))
                if self.admissible else None,
                "skipped": [{"family": f, "reason": r} for f, r in self.skipped]}
