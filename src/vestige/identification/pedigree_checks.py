"""Pedigree checks in the app (issue 27, part 3): each family's typed references tested against
the pedigree the family gave (:mod:`vestige.kinship.check`, forrel's checkPairwise), shown on the
family's check page, and run before matching — a flagged family's candidates carry the flag.

Profiles are decrypted in memory for the check, as for a run; the page shows κ estimates, LRs
and the markers of a parent–child exclusion, never genotypes."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dnafiles import frequency_table
from vestige.errors import InvalidInput, NotFound
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification.flags import pair_digest
from vestige.identification.models import PedigreeFlagResolution
from vestige.identification.run_inputs import donor_members, mutation_model, run_pedigrees
from vestige.kinship.check import check_family
from vestige.kinship.error_rates import error_rates
from vestige.kinship.io import Profiles
from vestige.missing.models import Family
from vestige.missing.services import profiles_for_matching

__all__ = ["family_checks", "resolve_flag"]


def _engine_family(family: Family):
    refs = profiles_for_matching(family)
    typed: dict[int, dict[int, str]] = {}
    for donor, member, fam in donor_members(refs):
        typed.setdefault(fam, {})[member] = f"DON:{donor}"
    pedigrees = run_pedigrees(typed, [family.ref])
    return (pedigrees.families[0] if pedigrees.families else None), refs, pedigrees.unsearchable


def family_checks(actor, ref: str) -> dict:
    """The check of family ``ref``: its pairs (member codes, κ̂, the pedigree's κ, LR, p-value when
    simulated, flagged, exclusions) and why nothing could be checked when that is so."""
    require(actor, Cap.DNA_READ)
    try:
        family = access.get(actor, Family, ref=ref)
    except Family.DoesNotExist:
        raise NotFound(_("No family %(r)s.") % {"r": ref}) from None
    engine, refs, unsearchable = _engine_family(family)
    if engine is None:
        reason = unsearchable[0]["reason"] if unsearchable else _("no missing person is still missing")
        return {"family": family, "pairs": [], "reason": reason}
    table = frequency_table()
    profiles = Profiles({f"DON:{d}": g for d, g in refs.items()}, source="vestige")
    profiles.check_against(table, add_missing=1e-3)
    pairs = check_family(engine, profiles, table)
    # issue 27, part 5: what the references can do, per missing person (seeded, 10,000 draws)
    rates = [error_rates(engine, profiles, table, missing=mp, mutation=mutation_model(), nsim=10_000, seed=1)
             for mp in engine.missing]
    if len(engine.typed) < 2:
        return {"family": family, "pairs": [], "rates": rates,
                "reason": _("fewer than two typed references: nothing to check")}
    resolved = {}
    for r in family.flag_resolutions.select_related("resolved_by"):
        resolved.setdefault(r.pair, r)
    rows = []
    for p in pairs:
        r = resolved.get(f"{p.a}-{p.b}") if p.flagged else None
        current = r is not None and r.digest == pair_digest(engine, profiles, p.a, p.b)
        rows.append({"check": p, "resolution": r if current else None, "stale": r is not None and not current})
    return {"family": family, "pairs": pairs, "rows": rows, "reason": "", "rates": rates,
            "flagged": sum(1 for p in pairs if p.flagged),
            "open_flags": sum(1 for row in rows if row["check"].flagged and row["resolution"] is None),
            "can_resolve": actor.can(Cap.DNA_WRITE)}


@transaction.atomic
def resolve_flag(actor, ref: str, pair: str, note: str) -> PedigreeFlagResolution:
    """Record that the flagged pair ``pair`` ("A-B") of family ``ref`` is explained, and why: its
    flag then stops marking the family's matches while the two profiles stay as they are now."""
    require(actor, Cap.DNA_WRITE)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say what explains the flag (e.g. the tube was re-typed, the relationship corrected)."),
                           field="note")
    result = family_checks(actor, ref)
    hit = next((p for p in result["pairs"] if f"{p.a}-{p.b}" == pair and p.flagged), None)
    if hit is None:
        raise InvalidInput(_("The pair %(p)s is not flagged in family %(f)s.") % {"p": pair, "f": ref}, field="pair")
    engine, refs, _unsearchable = _engine_family(result["family"])
    profiles = Profiles({f"DON:{d}": g for d, g in refs.items()}, source="vestige")
    row = PedigreeFlagResolution.objects.create(family=result["family"], pair=pair, note=note, resolved_by=actor,
                                                digest=pair_digest(engine, profiles, hit.a, hit.b))
    record(result["family"], Action.UPDATED, actor, {"pedigree_flag_resolved": [pair, note]})
    return row
