"""Counts computed from the registry's records, never typed in.

Withdrawn records are not counted. The "published breakdown" uses the mutually exclusive
groups that Ukrainian officials used for Izium (women, men, children, servicemen, undetermined
sex): servicemen first, then children (estimated maximum age below 18), then adults by sex.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.db.models import Count, Q

from vestige import access
from vestige.registry.listing import HAS_TORTURE, IS_CHILD
from vestige.registry.models import (
    ADULT_AGE,
    Category,
    Grave,
    GraveStatus,
    Remains,
    RemainsStatus,
    Sex,
    Site,
)

SERVICEMAN = Q(category=Category.SERVICEMAN)
CIVILIAN_CHILD = ~SERVICEMAN & IS_CHILD
ADULT_NON_SERVICE = ~SERVICEMAN & ~IS_CHILD

REMAINS_COUNTS = {
    "remains_total": Q(),
    "female": Q(sex=Sex.FEMALE),
    "male": Q(sex=Sex.MALE),
    "sex_undetermined": Q(sex=Sex.UNDETERMINED),
    "adults": Q(age_min__gte=ADULT_AGE),
    "children": IS_CHILD,
    "civilians": Q(category=Category.CIVILIAN),
    "servicemen": SERVICEMAN,
    "category_undetermined": Q(category=Category.UNDETERMINED),
    "with_torture": HAS_TORTURE,
    "identified": Q(status__in=[RemainsStatus.IDENTIFIED, RemainsStatus.RETURNED]),
    "returned": Q(status=RemainsStatus.RETURNED),
    # The published breakdown's exclusive groups:
    "b_women": ADULT_NON_SERVICE & Q(sex=Sex.FEMALE),
    "b_men": ADULT_NON_SERVICE & Q(sex=Sex.MALE),
    "b_children": CIVILIAN_CHILD,
    "b_servicemen": SERVICEMAN,
    "b_undetermined": ADULT_NON_SERVICE & Q(sex=Sex.UNDETERMINED),
}


@dataclass
class Stats:
    graves_recorded: int = 0
    graves_exhumed: int = 0
    remains_total: int = 0
    female: int = 0
    male: int = 0
    sex_undetermined: int = 0
    adults: int = 0
    children: int = 0
    civilians: int = 0
    servicemen: int = 0
    category_undetermined: int = 0
    with_torture: int = 0
    identified: int = 0
    returned: int = 0
    b_women: int = 0
    b_men: int = 0
    b_children: int = 0
    b_servicemen: int = 0
    b_undetermined: int = 0
    site: Site | None = field(default=None, repr=False)

    @property
    def age_unknown(self) -> int:
        return self.remains_total - self.adults - self.children

    @property
    def identified_pct(self) -> float:
        return 100.0 * self.identified / self.remains_total if self.remains_total else 0.0

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("site")
        d["age_unknown"] = self.age_unknown
        d["breakdown"] = {k[2:]: d.pop(k) for k in list(d) if k.startswith("b_")}
        return d


def _remains_aggregates(qs):
    return {name: Count("pk", filter=cond) if cond else Count("pk") for name, cond in REMAINS_COUNTS.items()}


def _grave_aggregates():
    return {
        "graves_recorded": Count("pk"),
        "graves_exhumed": Count("pk", filter=Q(status=GraveStatus.EXHUMED)),
    }


def remains_stats(remains) -> Stats:
    """The remains counts of any set of remains (e.g. those linked to an incident)."""
    return Stats(**remains.filter(withdrawn_at__isnull=True).aggregate(**_remains_aggregates(None)))


def overall_stats() -> Stats:
    remains = Remains.objects.filter(withdrawn_at__isnull=True).aggregate(**_remains_aggregates(None))
    graves = Grave.objects.filter(withdrawn_at__isnull=True).aggregate(**_grave_aggregates())
    return Stats(**remains, **graves)


def site_stats(site: Site) -> Stats:
    remains = Remains.objects.filter(site=site, withdrawn_at__isnull=True).aggregate(**_remains_aggregates(None))
    graves = Grave.objects.filter(site=site, withdrawn_at__isnull=True).aggregate(**_grave_aggregates())
    return Stats(**remains, **graves, site=site)


def dashboard_stats(actor=None) -> tuple[Stats, list[Stats]]:
    """(overall, per site) in two grouped queries whatever the number of sites; of the sites of
    ``actor``'s cases, when given.

    The overall figures are the sums of the per-site groups (one scan of each table instead of
    two); they include records at withdrawn sites, as ``overall_stats`` does.
    """

    def seen(qs):
        return access.scope(qs, actor) if actor is not None else qs
    sites = {s.pk: s for s in seen(Site.objects.filter(withdrawn_at__isnull=True))}
    groups: dict[int, Stats] = {}
    remains = (
        seen(Remains.objects.filter(withdrawn_at__isnull=True)).order_by()
        .values("site_id").annotate(**_remains_aggregates(None))
    )
    for row in remains:
        st = groups.setdefault(row.pop("site_id"), Stats())
        for k, v in row.items():
            setattr(st, k, v)
    graves = (
        seen(Grave.objects.filter(withdrawn_at__isnull=True)).order_by()
        .values("site_id").annotate(**_grave_aggregates())
    )
    for row in graves:
        st = groups.setdefault(row.pop("site_id"), Stats())
        st.graves_recorded, st.graves_exhumed = row["graves_recorded"], row["graves_exhumed"]
    overall = Stats()
    for name in REMAINS_COUNTS.keys() | {"graves_recorded", "graves_exhumed"}:
        setattr(overall, name, sum(getattr(st, name) for st in groups.values()))
    per_site = []
    for pk, site in sites.items():
        st = groups.get(pk, Stats())
        st.site = site
        per_site.append(st)
    return overall, sorted(per_site, key=lambda st: st.site.ref)


def stats_by_site() -> list[Stats]:
    """One Stats per site that is not withdrawn."""
    return dashboard_stats()[1]
