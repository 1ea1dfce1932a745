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
"""

from __future__ import annotations

__all__ = ["sex_lr", "age_lr", "AGE_SPAN"]

AGE_SPAN = 80.0  # mispitools' uniform age model: ages 1 to 80


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
