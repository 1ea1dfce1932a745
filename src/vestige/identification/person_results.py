"""What the identification app adds to a missing person's page and case file (the hook
``missing.person_results`` of :mod:`vestige.hooks`): the current run's candidates of the user's
cases and the identification decisions."""

from __future__ import annotations

from vestige import access
from vestige.accounts.roles import Cap
from vestige.identification.models import Candidate, Identification
from vestige.identification.runs import current_run

__all__ = ["person_results"]


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
