"""Worklists: what waits for whom.

- ``confirm``: proposals (identifications and duplicate groups) waiting for a second person —
  those the user did not propose;
- ``notify``: confirmed identifications whose family has not been told;
- ``return``: notified identifications whose remains have not been returned;
- ``donors``: families that need another donor, ranked by how far their references fall short
  of the LR an identification needs, with the relative the planning engine says would help most
  (:func:`vestige.kinship.plan.plan`);
- ``no-candidate``: remains with DNA but no candidate with LR ≥ 1 in the current run;
- ``duplicates``: pairs of remains whose DNA says one person, not yet proposed as a group;
- ``discordant``: samples that disagree with their body's other samples, waiting for a decision.

Each is a list of plain dicts (the pages, ``vestige identify worklist NAME --json`` and the API
show the same), with counts for the dashboard.
"""

from __future__ import annotations

import hashlib
import math

from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dnafiles import frequency_table
from vestige.errors import NotFound
from vestige.identification.models import (
    Candidate,
    DecisionStatus,
    DuplicateGroup,
    Identification,
    RemainsSample,
    SampleStatus,
)
from vestige.identification.run_inputs import donor_members, mutation_model
from vestige.identification.runs import current_run
from vestige.kinship.io import Profiles
from vestige.kinship.lr import kinship_coefficients
from vestige.kinship.plan import plan
from vestige.missing.models import Family, MissingPerson, MissingStatus
from vestige.missing.services import kinship_family, profiles_for_matching
from vestige.registry.models import Remains

WORKLISTS = {
    "confirm": _("Waiting for my confirmation"),
    "notify": _("Waiting for notification of the family"),
    "return": _("Waiting for the return of the remains"),
    "donors": _("Families that need another donor"),
    "no-candidate": _("Remains without any candidate"),
    "duplicates": _("Possible bones of one body"),
    "discordant": _("Samples that disagree with their body"),
}
CAPABILITY = {"confirm": Cap.IDENT_CONFIRM, "notify": Cap.NOTIFY, "return": Cap.NOTIFY, "donors": Cap.IDENT_READ,
              "no-candidate": Cap.IDENT_READ, "duplicates": Cap.DNA_READ, "discordant": Cap.DNA_READ}


def _ident_row(i: Identification) -> dict:
    return {"id": i.pk, "remains": i.remains.body_number, "missing_person": i.missing_person.ref,
            "name": i.missing_person.full_name, "posterior": i.posterior, "proposed_by": str(i.proposed_by),
            "proposed_at": i.proposed_at.isoformat(), "notified_on": i.notified_on.isoformat() if i.notified_on else None,
            "url": i.candidate.get_absolute_url() if i.candidate_id else reverse("identification:index")}


def worklist(name: str, actor, *, limit: int = 200) -> list[dict]:
    if name not in WORKLISTS:
        raise NotFound(f"no worklist {name!r}; the worklists are {', '.join(WORKLISTS)}")
    require(actor, CAPABILITY[name])

    def seen(qs):
        return access.scope(qs, actor)
    if name == "confirm":
        qs = seen(Identification.objects.filter(status=DecisionStatus.PROPOSED).exclude(proposed_by=actor)).select_related(
            "remains", "missing_person", "proposed_by", "candidate")
        rows = [{"kind": "identification", **_ident_row(i)} for i in qs[:limit]]
        for g in seen(DuplicateGroup.objects.filter(status=DecisionStatus.PROPOSED).exclude(proposed_by=actor))[:limit]:
            rows.append({"kind": "same individual", "id": g.pk, "remains": str(g), "missing_person": None,
                         "proposed_by": str(g.proposed_by), "proposed_at": g.proposed_at.isoformat(),
                         "url": g.get_absolute_url()})
        return rows
    if name == "notify":
        qs = seen(Identification.objects.filter(status=DecisionStatus.CONFIRMED, notified_on__isnull=True))
        return [_ident_row(i) for i in qs.select_related("remains", "missing_person", "proposed_by", "candidate")[:limit]]
    if name == "return":
        qs = seen(Identification.objects.filter(status=DecisionStatus.CONFIRMED, notified_on__isnull=False,
                                                returned_on__isnull=True))
        return [_ident_row(i) for i in qs.select_related("remains", "missing_person", "proposed_by", "candidate")[:limit]]
    if name == "donors":
        return families_needing_donor(limit=limit, actor=actor)
    run = current_run()
    if name == "no-candidate":
        with_dna = seen(Remains.objects.filter(withdrawn_at__isnull=True, dna_samples__status=SampleStatus.ACCEPTED)).distinct()
        found = set(Candidate.objects.filter(run=run, log10_lr__gte=0).values_list("remains_id", flat=True)) if run else set()
        return [{"remains": r.body_number, "site": r.site.ref if r.site_id else None, "url": r.get_absolute_url()}
                for r in with_dna.exclude(pk__in=found).select_related("site").order_by("body_number")[:limit]]
    if name == "duplicates":
        grouped = {frozenset(g.remains.values_list("body_number", flat=True))
                   for g in DuplicateGroup.objects.exclude(status=DecisionStatus.REJECTED)}
        mine = set(seen(Remains.objects.all()).values_list("body_number", flat=True))
        out = []
        for d in (run.duplicates if run else []):
            if set(d["remains"]) <= mine and not any(set(d["remains"]) <= g for g in grouped):
                out.append({**d, "url": reverse("identification:duplicate-new") + "?remains=" + ",".join(d["remains"])})
        return out[:limit]
    qs = seen(RemainsSample.objects.filter(status=SampleStatus.DISCORDANT)).select_related("remains")
    return [{"sample": s.code, "remains": s.remains.body_number, "note": s.note, "id": s.pk,
             "url": s.remains.get_absolute_url()} for s in qs[:limit]]


def counts(actor) -> dict[str, int]:
    """How many items each worklist holds for this user (the lists the user may see)."""
    out = {}
    for name in WORKLISTS:
        if not actor.can(CAPABILITY[name]):
            continue
        if name == "donors":
            out[name] = len([f for f in _weak_candidates() if access.sees_all(actor) or access.visible(actor, f)])
        else:
            out[name] = len(worklist(name, actor, limit=10_000))
    return out


def _needed_log10_lr(n_missing: int) -> float:
    """The LR that gives a posterior of 99.95 % with the prior 1/(N+1): odds 0.9995/0.0005 × N."""
    return math.log10(max(n_missing, 1)) + math.log10(0.9995 / 0.0005)


def _weak_candidates() -> list[Family]:
    """Families with a missing person still missing whose references are absent or distant (a
    cheap screen: no consented profile, or only relatives beyond first degree and fewer than
    two) — the ones the planning engine then ranks."""

    refs = profiles_for_matching()
    donors = {d: m for d, m, _f in donor_members(refs)}
    out = []
    for fam in Family.objects.filter(withdrawn_at__isnull=True).prefetch_related("members", "missing_persons", "donors"):
        mps = [mp for mp in fam.missing_persons.all() if mp.withdrawn_at is None and mp.status == MissingStatus.MISSING]
        if not mps:
            continue
        typed = [donors[d.pk] for d in fam.donors.all() if d.pk in donors]
        if not typed:
            out.append(fam)
            continue
        code = {m.pk: m.code for m in fam.members.all()}
        phi = kinship_coefficients(kinship_family(fam))
        best = max(phi(code[t], mp.member.code) for t in typed for mp in mps)
        if best < 0.25 and len(typed) < 2:
            out.append(fam)
    return out


def family_plan(fam: Family, run=None) -> dict:
    """The planning engine's figures for a family's first missing person (kept with the run and
    cached until the family's pedigree or profiles change)."""

    refs = profiles_for_matching(family=fam)
    typed = {member: f"DON:{donor}" for donor, member, f in donor_members(refs) if f == fam.pk}
    kfam = kinship_family(fam, typed=typed)
    key = "plan:" + hashlib.sha256(repr((fam.pk, [(m.id, m.sex, m.father, m.mother, m.missing, m.sample)
                                                  for m in kfam.members], sorted(refs.items()))).encode()).hexdigest()
    kept = (run.plans.get(fam.ref) if run is not None else None) or {}
    if kept.get("key") == key:
        return kept["plan"]
    hit = cache.get(key)
    if hit is not None:
        return hit
    table = frequency_table()
    profiles = Profiles({f"DON:{d}": g for d, g in refs.items()}, "vestige")
    profiles.check_against(table, add_missing=0.001)
    kit = [m for m in table.markers if any(m in g for g in refs.values())] or table.markers[:21]
    result = plan(kfam, profiles, table, markers=kit, mutation=mutation_model()).as_dict()
    cache.set(key, result, 24 * 3600)
    if run is not None:
        run.plans[fam.ref] = {"key": key, "plan": result}
    return result


PLANS_PER_RUN = 200  # new plans computed by one run (the others wait for the next; unchanged ones are kept)


def plan_weak_families(run, previous=None) -> int:
    """Keep with ``run`` the plans of the families that need another donor: the previous run's
    where the family has not changed, new ones (at most :data:`PLANS_PER_RUN`) otherwise."""
    if previous is not None:
        run.plans.update(previous.plans)
    fresh = 0
    for fam in _weak_candidates():
        before = run.plans.get(fam.ref, {}).get("key")
        family_plan(fam, run)
        if run.plans.get(fam.ref, {}).get("key") != before:
            fresh += 1
            if fresh >= PLANS_PER_RUN:
                break
    return fresh


def families_needing_donor(*, limit: int = 200, actor=None) -> list[dict]:
    """Weak families ranked: largest shortfall of the expected log10 LR first, with the best
    relative to ask for (the families of ``actor``'s cases, when given)."""

    n_missing = MissingPerson.objects.filter(withdrawn_at__isnull=True, status=MissingStatus.MISSING).count()
    needed = _needed_log10_lr(n_missing)
    run = current_run()
    rows = []
    weak = _weak_candidates()
    if actor is not None and not access.sees_all(actor):
        weak = [f for f in weak if access.visible(actor, f)]
    for fam in weak[:limit]:
        p = family_plan(fam, run)
        best = p["candidates"][0] if p["candidates"] else None
        rows.append({"family": fam.ref, "name": fam.name, "missing": p["missing"],
                     "exclusion_power": p["exclusion_power"], "expected_log10_lr": p["expected_log10_lr"],
                     "needed_log10_lr": needed, "ask_for": best["relative"] if best else None,
                     "ask_for_expected_log10_lr": best["expected_log10_lr"] if best else None,
                     "url": fam.get_absolute_url()})
    rows.sort(key=lambda r: (r["expected_log10_lr"] - needed, r["family"]))
    return rows
