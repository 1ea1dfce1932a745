"""Likelihood ratios of non-genetic evidence, as mispitools defines them (Marsico et al., FSI:
Genetics 66:102891, 2023; ``lr_sex``, ``lr_age``), to be shown beside the DNA LR and multiplied with
it where the evidence is independent of the DNA (conditional independence given each hypothesis,
mispitools ``lr_combine``).

- **Sex**: the remains' sex as observed (with error rate ε: anthropological or amelogenin
  misclassification) against the missing person's: ``(1 − ε) / P(sex)`` when they agree,
  ``ε / P(other sex)`` when they do not (population proportions ``P``); an undetermined sex gives 1.
- **Age**: the missing person's age at disappearance inside the remains' estimated range (widened
  by a tolerance) is category T1, outside T0; under a uniform population of ages 1–80 (mispitools'
  uniform model) ``P(T1) = (range width) / 80``; ``LR(T1) = (1 − ε) / P(T1)``,
  ``LR(T0) = ε / (1 − P(T1))``.
- **Stature** (the same categorical form as age; mispitools has no stature LR): the height in life
  the family gave inside the remains' estimated stature range widened by a tolerance (5 cm: the
  estimate's and the report's errors) is T1, outside T0; ``P(T1)`` is the share of the population
  of the missing person's sex in that range under a normal model — by default men N(176, 7) cm and
  women N(164, 6.5) cm, close to the adult means the NCD Risk Factor Collaboration gives for Ukraine
  (eLife 5:e13410, 2016) with the usual spread of adult stature; a person of unknown sex: the
  half-and-half mixture.
- **Dates and place** (a binary observation against the register, as mispitools' categorical
  variables against their population frequencies): whether the missing person was last seen on or
  before the remains were recovered, and whether within the configured distance of the site. ``p``
  is the share of the register's missing persons of whom the same holds (an unrelated person of the
  register is the alternative); ``LR = (1 − ε)/p`` when it holds, ``ε/(1 − p)`` when not.

Combining: the LRs multiply with each other and with the DNA LR (conditional independence given
each hypothesis; mispitools ``lr_combine``). Shown beside the DNA, never folded into a run's posterior.
"""

from __future__ import annotations

import math

__all__ = ["AGE_SPAN", "STATURE", "age_lr", "sex_lr", "share_lr", "stature_lr"]

AGE_SPAN = 80.0  # mispitools' uniform age model: ages 1 to 80

STATURE = {"male": (176.0, 7.0), "female": (164.0, 6.5)}  # cm: mean and SD of adult stature (see the module)


def sex_lr(observed: str, missing: str, *, error: float = 0.05, female: float = 0.5) -> float | None:
    """LR of the remains' observed sex ("male"/"female"; anything else: None, not evidence)."""
    if observed not in ("male", "female") or missing not in ("male", "female"):
        return None
    if not 0.0 <= error < 1.0 or not 0.0 < female < 1.0:
        raise ValueError("sex error rate in [0, 1) and female proportion in (0, 1)")
    p = {"female": female, "male": 1.0 - female}
    return (1.0 - error) / p[missing] if observed == missing else error / p[observed]


def age_lr(age: float, low: float | None, high: float | None, *, error: float = 0.05,
           tolerance: float = 2.0) -> float | None:
    """LR of the remains' estimated age range [low, high] for a missing person aged ``age`` at
    disappearance (None without an estimate)."""
    if low is None and high is None:
        return None
    lo = (low if low is not None else 0.0) - tolerance
    hi = (high if high is not None else AGE_SPAN) + tolerance
    p_in = min(max((min(hi, AGE_SPAN) - max(lo, 0.0)) / AGE_SPAN, 1e-6), 1.0 - 1e-6)
    return (1.0 - error) / p_in if lo <= age <= hi else error / (1.0 - p_in)


def _normal_share(lo: float, hi: float, mean: float, sd: float) -> float:
    def cdf(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))
    return cdf(hi) - cdf(lo)


def stature_lr(height: float, low: float | None, high: float | None, sex: str, *, error: float = 0.05,
               tolerance: float = 5.0, population: dict | None = None) -> float | None:
    """LR of the remains' estimated stature range [low, high] (cm) for a missing person of ``sex``
    whose height in life was ``height`` (None without an estimate)."""
    if low is None and high is None:
        return None
    if not 0.0 <= error < 1.0:
        raise ValueError("stature error rate in [0, 1)")
    pop = population or STATURE
    lo = (low if low is not None else 0.0) - tolerance
    hi = (high if high is not None else 300.0) + tolerance
    if sex in pop:
        p_in = _normal_share(lo, hi, *pop[sex])
    else:  # unknown sex: the mixture of the two
        p_in = 0.5 * sum(_normal_share(lo, hi, *pop[x]) for x in ("male", "female"))
    p_in = min(max(p_in, 1e-6), 1.0 - 1e-6)
    return (1.0 - error) / p_in if lo <= height <= hi else error / (1.0 - p_in)


def share_lr(holds: bool, share: float | None, *, error: float = 0.05) -> float | None:
    """LR of a binary observation (last seen before recovery; last seen near the site) that holds
    for a share ``share`` of the register's missing persons (None: no share known)."""
    if share is None:
        return None
    if not 0.0 <= error < 1.0:
        raise ValueError("error rate in [0, 1)")
    p = min(max(share, 1e-6), 1.0 - 1e-6)
    return (1.0 - error) / p if holds else error / (1.0 - p)
