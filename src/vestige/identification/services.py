"""Identification: the one entry point for views, the API and the CLI.

The work is split by domain noun — :mod:`~vestige.identification.samples` (remains DNA samples),
:mod:`~vestige.identification.runs` (matching runs: search and joint engine),
:mod:`~vestige.identification.decisions` (two-person decisions, duplicate groups),
:mod:`~vestige.identification.worklists` (what waits for whom) — and re-exported here. This
module adds the statistics; the non-DNA consistency checks are :mod:`~vestige.identification.consistency`.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from vestige import access
from vestige.dnafiles import frequency_table  # noqa: F401
from vestige.errors import NotFound
from vestige.identification.consistency import consistency  # noqa: F401 - the app's service API
from vestige.identification.decisions import (  # noqa: F401 - the app's service API
    THRESHOLD,
    basis_text,
    certainty,
    decide,
    decide_duplicate,
    propose,
    propose_duplicate,
    record_notification,
    record_return,
)
from vestige.identification.models import (
    Candidate,
    DecisionStatus,
    DuplicateGroup,
    Identification,
    IdentifiedBy,
)
from vestige.identification.run_inputs import mutation_model  # noqa: F401
from vestige.identification.runs import (  # noqa: F401
    current_run,
    execute_run,
    reap_stale_runs,
    start_run,
)
from vestige.identification.samples import (  # noqa: F401
    add_remains_sample,
    decrypt_profile,
    import_samples,
    resolve_sample,
)
from vestige.identification.worklists import WORKLISTS, families_needing_donor, worklist  # noqa: F401
from vestige.missing.models import Family, MissingPerson, MissingStatus
from vestige.registry.models import Remains, RemainsStatus, Site


def marker_lrs(candidate: Candidate) -> dict[str, float]:
    """Per-marker LRs of a candidate, as the run computed them (stored with the candidate)."""
    return candidate.marker_lrs or {}


def _remains_figures(remains, run) -> dict[int | None, dict]:
    """Per site (key: site id; ``None`` for all of ``remains``): remains, bodies (a confirmed
    duplicate group is one body), identified, and without a candidate in ``run``. A handful of
    aggregate queries whatever the number of sites (before: six queries and a scan per site)."""
    from django.db.models import Count, Exists, OuterRef, Q

    done = Q(status__in=[RemainsStatus.IDENTIFIED, RemainsStatus.RETURNED])
    has_candidate = Exists(Candidate.objects.filter(run=run, remains=OuterRef("pk"))) if run else None
    measures = {"remains_total": Count("pk"), "remains_identified": Count("pk", filter=done)}
    if has_candidate is not None:
        measures["remains_without_candidate"] = Count("pk", filter=~Q(has_candidate))
    out: dict[int | None, dict] = {None: remains.aggregate(**measures)}
    for row in remains.values("site_id").annotate(**measures).order_by():
        out[row.pop("site_id")] = row
    # Extra bones of one body: per confirmed group and site, its members beyond the first.
    through = DuplicateGroup.remains.through
    members = through.objects.filter(duplicategroup__status=DecisionStatus.CONFIRMED, remains__in=remains)
    merged: dict[int | None, int] = {None: 0}
    for row in members.values("duplicategroup_id", "remains__site_id").annotate(n=Count("remains_id")).order_by():
        merged[row["remains__site_id"]] = merged.get(row["remains__site_id"], 0) + row["n"] - 1
    for row in members.values("duplicategroup_id").annotate(n=Count("remains_id")).order_by():
        merged[None] += row["n"] - 1
    for key, figures in out.items():
        if has_candidate is None:
            figures["remains_without_candidate"] = figures["remains_total"]
        figures["bodies"] = figures["remains_total"] - merged.get(key, 0)
    return out


def _missing_figures(actor=None) -> dict:
    from django.db.models import Count, Q

    persons = MissingPerson.objects.filter(withdrawn_at__isnull=True)
    if actor is not None:
        persons = access.scope(persons, actor)
    agg = persons.aggregate(
        missing=Count("pk"), identified=Count("pk", filter=Q(status=MissingStatus.IDENTIFIED)))
    agg["accounted_for_pct"] = round(100.0 * agg["identified"] / agg["missing"], 2) if agg["missing"] else 0.0
    return agg


def stats(site: str = "", actor=None) -> dict:
    """The figures of ``vestige identify stats``: computed, never typed in. With ``actor``, only
    of the remains, missing persons and identifications of their cases (a site of another case is
    not found: its existence is not told either)."""
    remains = Remains.objects.filter(withdrawn_at__isnull=True)
    if actor is not None:
        remains = access.scope(remains, actor)
    if site:

        sites = Site.objects.filter(ref=site)
        if actor is not None:
            sites = access.scope(sites, actor)
        if not sites.exists():
            raise NotFound(_("No site %(r)s.") % {"r": site})
        remains = remains.filter(site__ref=site)
    return {**_missing_figures(actor), **_remains_figures(remains, current_run())[None],
            "identified_by": identified_by(site, actor)}


def identified_by(site: str = "", actor=None) -> dict[str, int]:
    """Confirmed identifications by the primary identifier that established them (INTERPOL DVI)."""
    from django.db.models import Count


    qs = Identification.objects.filter(status=DecisionStatus.CONFIRMED)
    if actor is not None:
        qs = access.scope(qs, actor)
    if site:
        qs = qs.filter(remains__site__ref=site)
    counts = dict(qs.values_list("identified_by").annotate(n=Count("pk")).values_list("identified_by", "n"))
    return {k: counts.get(k, 0) for k in IdentifiedBy.values}


def stats_by_site(sites, actor=None) -> tuple[dict, list[tuple[object, dict]]]:
    """The overall figures and each of ``sites``' (the statistics page), in a few queries; with
    ``actor``, the overall figures are those of their cases only."""
    run = current_run()
    remains = Remains.objects.filter(withdrawn_at__isnull=True)
    if actor is not None:
        remains = access.scope(remains, actor)
    figures = _remains_figures(remains, run)
    empty = {"remains_total": 0, "remains_identified": 0, "remains_without_candidate": 0, "bodies": 0}
    return ({**_missing_figures(actor), **figures[None], "identified_by": identified_by(actor=actor)},
            [(s, figures.get(s.pk, empty)) for s in sites])


def visible_unsearchable(run, actor) -> list:
    """The run's families that cannot be searched yet, those of ``actor``'s cases only."""
    rows = run.unsearchable if run else []
    if actor is None or access.sees_all(actor):
        return rows

    mine = set(access.scope(Family.objects.all(), actor).values_list("ref", flat=True))
    return [r for r in rows if (r.get("family") if isinstance(r, dict) else r) in mine]


def candidate_rows(run, *, min_posterior: float = 0.0, remains: str = "", missing_person: str = "", limit: int = 0,
                   actor=None):
    """One dict per candidate of ``run`` (statistics only; no DNA): the CLI's and API's rows; only
    the candidates ``actor`` may see (the body's or the family's case), when given."""

    qs = Candidate.objects.filter(run=run, posterior__gte=min_posterior)
    if actor is not None:
        qs = access.scope(qs, actor)
    qs = qs.select_related(
        "remains", "missing_person__family", "missing_person__member").order_by("-posterior", "-log10_lr")
    if remains:
        qs = qs.filter(remains__body_number=remains)
    if missing_person:
        qs = qs.filter(missing_person__ref=missing_person)
    if limit:
        qs = qs[:limit]
    for c in qs:
        yield {"id": c.pk, "run": run.pk, "body_number": c.remains.body_number, "missing_person": c.missing_person.ref,
               "family": c.missing_person.family.ref, "member": c.missing_person.member.code, "log10_lr": c.log10_lr,
               "posterior": c.posterior, "tolerance": c.tolerance, "exact": c.exact, "log10_glr": c.log10_glr,
               "prior": c.prior, "markers_compared": c.markers_compared, "conflicts": c.conflicts,
               "flags": [*c.dna_flags, *[f"{k}_conflict" for k, f in c.flags.items() if f.get("state") == "conflict"]]}


def joint_result(run, actor=None) -> dict:
    """A run's joint result as the CLI and the API give it (groups from their own rows); for a
    user bound to cases, only the groups that hold a body or a missing person of their cases."""
    groups = [g.data for g in run.groups.all()]
    if actor is not None:
        if not access.sees_all(actor):
            bodies = set(access.scope(Remains.objects.all(), actor).values_list("body_number", flat=True))
            persons = set(access.scope(MissingPerson.objects.all(), actor).values_list("ref", flat=True))
            groups = [g for g in groups if set(map(str, g.get("remains", []))) & bodies
                      or set(map(str, g.get("missing", []))) & persons]
    return {"run": run.pk, "current": run.current, "inputs": run.inputs, "counts": run.counts,
            "groups": groups, "skipped": run.joint.get("skipped", []), "unsearchable": run.unsearchable,
            "duplicates": run.duplicates}


def frequencies_path() -> Path:
    return Path(settings.VESTIGE_ALLELE_FREQUENCIES)
