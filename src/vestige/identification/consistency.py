"""Non-DNA consistency of remains with a missing person: sex, age, stature, dates and distance,
each ``ok``, ``conflict`` or ``unknown`` with the values compared."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings

from vestige.missing.models import MissingPerson
from vestige.registry.geo import distance_km
from vestige.registry.models import Remains, Sex

__all__ = ["RegisterShares", "consistency"]


class RegisterShares:
    """The register's missing persons as the alternative hypothesis of the date and place LRs
    (:func:`vestige.kinship.nongenetic.share_lr`): of those with a last-seen date, the share last
    seen on or before a day; of those with a last-seen place, the share within a distance of a
    point. Read once (a run builds one for all its candidates)."""

    def __init__(self):
        rows = list(MissingPerson.objects.values_list("last_seen_on", "last_seen_latitude", "last_seen_longitude"))
        self.days = np.array(sorted(d.toordinal() for d, _la, _lo in rows if d is not None), dtype=np.int64)
        pts = np.array([(la, lo) for _d, la, lo in rows if la is not None and lo is not None], dtype=np.float64)
        self.lat = np.radians(pts[:, 0]) if len(pts) else np.zeros(0)
        self.lon = np.radians(pts[:, 1]) if len(pts) else np.zeros(0)

    def seen_by(self, day: dt.date) -> float | None:
        if not len(self.days):
            return None
        return float(np.searchsorted(self.days, day.toordinal(), side="right")) / len(self.days)

    def within(self, lat: float, lon: float, km: float) -> float | None:
        if not len(self.lat):
            return None
        p1, l1 = np.radians(lat), np.radians(lon)
        a = np.sin((self.lat - p1) / 2) ** 2 + np.cos(p1) * np.cos(self.lat) * np.sin((self.lon - l1) / 2) ** 2
        d = 6371.0 * 2 * np.arcsin(np.sqrt(np.minimum(1.0, a)))  # as registry.geo.distance_km
        return float((d <= km).mean())


def consistency(r: Remains, mp: MissingPerson, register: RegisterShares | None = None) -> dict[str, dict]:
    """Non-DNA consistency of remains with a missing person: each check ``ok``, ``conflict`` or
    ``unknown`` with the values compared (``values``, shown in the reader's language by
    :func:`vestige.identification.display.checks`; ``detail`` is the same in English, for the
    CLI and API). Tolerances: age ±2 years, stature ±5 cm. The date and place checks also keep the
    share of the register's missing persons for which they hold (``register``; read here if not
    given), the alternative of their LRs."""
    out = {}
    sexes = {"remains": r.sex, "missing": mp.sex}
    if r.sex == Sex.UNDETERMINED or mp.sex == "unknown":
        out["sex"] = {"state": "unknown", "detail": f"{r.sex} / {mp.sex}", "values": sexes}
    else:
        out["sex"] = {"state": "ok" if r.sex == mp.sex else "conflict", "detail": f"{r.sex} / {mp.sex}",
                      "values": sexes}
    recovered = r.recovered_on or (r.exhumation.started_on if r.exhumation_id else None)
    if mp.birth_date and (r.age_min is not None or r.age_max is not None):
        at = mp.last_seen_on or recovered or dt.date.today()
        age = (at - mp.birth_date).days / 365.25
        lo, hi = (r.age_min or 0) - 2, (r.age_max if r.age_max is not None else 120) + 2
        out["age"] = {"state": "ok" if lo <= age <= hi else "conflict",
                      "detail": f"{age:.0f} y at disappearance / {r.age_min}–{r.age_max} y",
                      "values": {"age": round(age), "min": r.age_min, "max": r.age_max}}
    else:
        out["age"] = {"state": "unknown", "detail": ""}
    if mp.height_cm and (r.stature_min_cm or r.stature_max_cm):
        lo, hi = (r.stature_min_cm or 0) - 5, (r.stature_max_cm or 300) + 5
        out["stature"] = {"state": "ok" if lo <= mp.height_cm <= hi else "conflict",
                          "detail": f"{mp.height_cm} cm / {r.stature_min_cm}–{r.stature_max_cm} cm",
                          "values": {"height": mp.height_cm, "min": r.stature_min_cm, "max": r.stature_max_cm}}
    else:
        out["stature"] = {"state": "unknown", "detail": ""}
    if mp.last_seen_on and recovered:
        register = register or RegisterShares()
        out["dates"] = {"state": "ok" if mp.last_seen_on <= recovered else "conflict",
                        "detail": f"last seen {mp.last_seen_on} / recovered {recovered}",
                        "values": {"last_seen": str(mp.last_seen_on), "recovered": str(recovered),
                                   "share": register.seen_by(recovered)}}
    else:
        out["dates"] = {"state": "unknown", "detail": ""}
    if mp.last_seen_latitude is not None and r.site_id:
        km = distance_km(mp.last_seen_latitude, mp.last_seen_longitude, r.site.latitude, r.site.longitude)
        register = register or RegisterShares()
        out["distance"] = {"state": "ok" if km <= settings.VESTIGE_MAX_DISTANCE_KM else "conflict",
                           "detail": f"{km:.0f} km from the last-seen place to the site",
                           "values": {"km": round(km), "within_km": settings.VESTIGE_MAX_DISTANCE_KM,
                                      "share": register.within(r.site.latitude, r.site.longitude,
                                                               settings.VESTIGE_MAX_DISTANCE_KM)}}
    else:
        out["distance"] = {"state": "unknown", "detail": ""}
    return out
