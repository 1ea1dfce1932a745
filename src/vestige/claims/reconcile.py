"""Claimed, recorded and verified figures side by side, with the claims that disagree flagged.

For a site (or an incident's sites), claims with a quantity and a ``measure`` are grouped by that
measure. For each group: the claims over time, the figure the registry records (computed by
:mod:`vestige.registry.stats`), and the verified figure (from the latest verified claim).
A claim is flagged when the recorded figure lies outside the values it allows (the records may
still be incomplete: a flag asks for review, it does not say who is wrong), and two claims are
flagged when the values they allow do not overlap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet

from vestige.claims.models import Claim, Measure, Status
from vestige.registry.models import Site
from vestige.registry.stats import Stats, site_stats


@dataclass
class Group:
    measure: str
    label: str
    claims: list[Claim]
    recorded: int | None
    verified: Claim | None
    differs_from_records: set[int] = field(default_factory=set)  # claim ids
    conflicts: list[tuple[Claim, Claim]] = field(default_factory=list)
    chart: dict = field(default_factory=dict)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def reconcile(claims: QuerySet, stats: Stats | None) -> tuple[list[Group], list[Claim]]:
    """(groups by measure, claims without a comparable quantity)."""
    claims = list(claims.filter(withdrawn_at__isnull=True).select_related("issuer").order_by("said_on", "ref"))
    groups: list[Group] = []
    other = [c for c in claims if not (c.measure and c.has_quantity)]
    for measure in Measure:
        members = [c for c in claims if c.measure == measure and c.has_quantity]
        if not members:
            continue
        recorded = getattr(stats, measure.value) if stats is not None else None
        verified = [c for c in members if c.status == Status.VERIFIED]
        g = Group(measure.value, str(measure.label), members, recorded, verified[-1] if verified else None)
        for c in members:
            lo, hi = c.interval()
            if recorded is not None and not (lo <= recorded <= hi) and c.status != Status.REFUTED:
                g.differs_from_records.add(c.pk)
        live = [c for c in members if c.status != Status.REFUTED]
        for i, a in enumerate(live):
            for b in live[i + 1:]:
                if not _overlap(a.interval(), b.interval()):
                    g.conflicts.append((a, b))
        g.chart = timeline(members, recorded)
        groups.append(g)
    return groups, other


def site_reconciliation(site: Site):
    return reconcile(Claim.objects.filter(site=site), site_stats(site))


COLOURS = {"official": "#1f5f8b", "witness": "#8a5a00", "media": "#6b3fa0", "ngo": "#2f6b3a",
           "perpetrator_side": "#a40000", "other": "#555"}


def timeline(claims: list[Claim], recorded: int | None, width: int = 640, height: int = 220) -> dict:
    """Coordinates for an SVG timeline: x = date, y = value; a bar spans a claim's allowed range."""
    pad_l, pad_r, pad_t, pad_b = 56, 16, 12, 34
    dates = [c.said_on for c in claims]
    d0, d1 = min(dates), max(dates)
    if d0 == d1:
        d0, d1 = d0 - dt.timedelta(days=15), d1 + dt.timedelta(days=15)
    tops = [c.interval()[1] if c.interval()[1] != float("inf") else c.interval()[0] * 1.2 for c in claims]
    vmax = max(tops + ([recorded] if recorded else [])) * 1.1 or 1.0
    span = (d1 - d0).days or 1

    def x(d: dt.date) -> float:
        return round(pad_l + (d - d0).days / span * (width - pad_l - pad_r), 1)

    def y(v: float) -> float:
        return round(height - pad_b - min(v, vmax) / vmax * (height - pad_t - pad_b), 1)

    points = []
    for c in claims:
        lo, hi = c.interval()
        hi_shown = hi if hi != float("inf") else vmax
        points.append({"claim": c, "x": x(c.said_on), "y": y(float(c.value_min)), "y_lo": y(lo), "y_hi": y(hi_shown),
                       "colour": COLOURS.get(c.issuer.kind, "#555"), "verified": c.status == Status.VERIFIED,
                       "open_top": hi == float("inf")})
    ticks = [{"y": y(v), "value": round(v)} for v in (0, vmax / 2, vmax / 1.1)]
    return {"width": width, "height": height, "points": points, "ticks": ticks,
            "recorded_y": y(recorded) if recorded is not None else None,
            "x0": pad_l, "x1": width - pad_r, "y0": height - pad_b,
            "date_from": d0.isoformat(), "date_to": d1.isoformat()}
