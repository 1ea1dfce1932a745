"""The prior of an identification and the honest posterior of one pair, with competitors on both
axes (a sample's other candidates, a missing person's other samples): what the search reports
and what the joint engine's pairwise view and the linked pairs' selection use.
"""

from __future__ import annotations

import math

import numpy as np

from vestige.kinship.errors import KinshipInputError

__all__ = ["check_prior", "default_prior", "posterior", "posteriors"]


def default_prior(n_missing: int, n_samples: int) -> float:
    """``1 / (max(N, R) + 1)``: each sample is one of the N missing persons or someone else, and
    each missing person one of the R samples or not among them — never certain a priori."""
    return 1.0 / (max(n_missing, n_samples) + 1)


def check_prior(prior: float, n_missing: int, n_samples: int) -> None:
    if not (0.0 < prior < 1.0) or math.isnan(prior):
        raise KinshipInputError.option("prior", f"{prior} is not a probability in (0, 1)")
    bound = max(n_missing, n_samples)
    if prior * bound > 1.0 + 1e-12:
        raise KinshipInputError.option("prior", f"{prior:g} per pair is impossible with {n_missing} missing persons "
                                f"and {n_samples} samples: the prior probabilities of one sample's (or one "
                                f"person's) candidates would sum above 1 (at most 1/{bound})")


def posterior(log_lr: float, row_lse: float, n_row: int, col_lse: float, n_col: int, prior: float) -> float:
    """Posterior probability that sample ``r`` is missing person ``m``, with competitors.

    With a prior ``π`` per pair, a sample is one of its ``n_row`` candidates or
    someone else (prior ``1 − n_row·π``), and a missing person is one of the ``n_col`` samples
    compared with them or not among them (``1 − n_col·π``). Bayes' rule with the sample's
    competitors gives ``LR_rm / (Σ_m' LR_rm' + (1 − n_row π)/π)``, with the person's competitors
    ``LR_rm / (Σ_r' LR_r'm + (1 − n_col π)/π)`` (the open-set posterior of Brenner & Weir 2003,
    Theor Popul Biol 63:173, applied along each axis). The reported posterior is the smaller:
    neither two candidates of one sample nor two samples of one person can both be near 1.
    The counts are every pairing in the prior, not only those compared: a pairing the sexes
    exclude has LR 0, as one DNA excludes, and keeps its prior mass (a male sample is one of the
    missing men or someone else; the missing women are excluded, they do not become "someone
    else"). Counting only the compared pairings would hand the excluded ones' prior to "someone
    else" and demand a larger LR the more missing persons of the other sex there are.
    The exact joint posterior (:mod:`vestige.kinship.joint`) can be higher where competition
    resolves itself (a competitor that is clearly someone else); this one never exceeds what
    either axis allows, which is the conservative side for an identification.
    """
    if log_lr == -math.inf:
        return 0.0
    log_pi = math.log(prior)
    vals = []
    for lse, n in ((row_lse, n_row), (col_lse, n_col)):
        none = 1.0 - n * prior
        log_none = math.log(none) - log_pi if none > 0 else -math.inf
        vals.append(math.exp(log_lr - np.logaddexp(lse, log_none)))
    return min(1.0, min(vals))


def posteriors(log_lr: np.ndarray, row_lse: np.ndarray, n_row: np.ndarray, col_lse: np.ndarray, n_col: np.ndarray,
               prior: float) -> np.ndarray:
    """:func:`posterior` for many pairs at once (the same formula, element by element)."""
    log_pi = math.log(prior)
    out = np.ones(len(log_lr))
    with np.errstate(divide="ignore", invalid="ignore"):
        for lse, n in ((row_lse, n_row), (col_lse, n_col)):
            none = 1.0 - n * prior
            log_none = np.where(none > 0, np.log(np.where(none > 0, none, 1.0)) - log_pi, -np.inf)
            out = np.minimum(out, np.exp(log_lr - np.logaddexp(lse, log_none)))
    out[log_lr == -np.inf] = 0.0
    return out
