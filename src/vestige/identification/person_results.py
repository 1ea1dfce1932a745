"""What the identification app adds to a missing person's page and case file (the hook
``missing.person_results`` of :mod:`vestige.hooks`): the current run's candidates of the user's
cases and the identification decisions."""

from __future__ import annotations

from vestige import access
from vestige.accounts.roles import Cap
from vestige.identification.models import Candidate, Identification
from vestige.identification.runs import current_run

__all__ = ["person_results", "family_progress"]


def person_results(person, user, *, printed: bool = False) -> dict:
    """``{"candidates": [...], "identifications": [...]}`` for ``person`` as ``user`` may see them.

    On the page, the ten first candidates of the current run (the template shows what the role
    may read) and every decision; in the printed case file, only for a role that reads
    identification results, the ten most probable candidates and the decisions with their people.
    """
    run = current_run()
    candidates = access.scope(Candidate.objects.filter(run=run, missing_person=person), user).select_related("remains")
    decisions = Identification.objects.filter(missing_person=person)
    if not printed:
        return {"candidates": candidates[:10] if run else [], "identifications": decisions}
    if not user.can(Cap.IDENT_READ):
        return {"candidates": [], "identifications": []}
    return {"candidates": list(candidates.order_by("-posterior")[:10]) if run else [],
            "identifications": list(decisions.select_related("remains", "proposed_by", "decided_by"))}


def family_progress(person) -> dict:
    """The later stages of ``person``'s case as the family's portal shows them (the hook
    ``missing.family_progress``): matched (an identification proposed, being verified), identified
    (confirmed: its date), notified and returned (their dates). Nothing about the remains."""
    decisions = list(Identification.objects.filter(missing_person=person).exclude(status="rejected"))
    confirmed = [d for d in decisions if d.status == "confirmed"]
    done = confirmed[0] if confirmed else None
    return {"matched": bool(decisions),
            "identified": (done.decided_at.date() if done and done.decided_at else bool(done)),
            "notified": done.notified_on if done else None,
            "returned": done.returned_on if done else None}
