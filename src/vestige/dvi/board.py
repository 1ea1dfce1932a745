"""The identification board (INTERPOL DVI reconciliation): every identifier of one remains against
one missing person side by side, the rule that at least one *primary* identifier — DNA,
odontology, friction ridge — must establish identity (INTERPOL DVI Guide, 2023, ch. 8
"Reconciliation"; secondary identifiers — medical findings, marks, effects — support but never
suffice alone), the conflicts to explain, and the two-person decision.

A primary identifier *establishes* identity when:

- DNA: a candidate of the current matching run whose posterior less its tolerance reaches the
  99.95 % threshold and which the DNA can tell apart from a relative's (no symmetric match);
- dental: an odontologist's comparison concluded "identification" and verified by a second;
- fingerprints: an examiner's comparison concluded "identification" and verified (ACE-V).

An implant whose serial number is recorded on both sides is listed as near-certain supporting
evidence: by INTERPOL's rule it is a secondary identifier (medical), so it is never the sole basis.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dvi import services as dvi
from vestige.dvi.models import Comparison, Conclusion, Method, Verification
from vestige.errors import Conflict, InvalidInput
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification import decisions
from vestige.identification.display import checks as check_rows
from vestige.identification.display import segment_rows, system_lrs
from vestige.identification.models import Candidate, DecisionStatus, Identification, IdentifiedBy
from vestige.identification.runs import current_run
from vestige.identification.services import consistency
from vestige.missing.models import MissingPerson
from vestige.osteology import odontology
from vestige.printing import num
from vestige.registry.models import Remains


def _dna(remains: Remains, person: MissingPerson) -> dict:
    run = current_run()
    c = None
    if run is not None:
        c = Candidate.objects.filter(run=run, remains=remains, missing_person=person).select_related("run").first()
    if c is None:
        return {"candidate": None, "establishes": False, "state": "none",
                "detail": _("no DNA candidate in the current run")}
    symmetric = "symmetric" in c.dna_flags or any(f.startswith("indistinguishable") for f in c.dna_flags)
    sure = decisions.certainty(c) >= decisions.THRESHOLD
    return {"candidate": c, "log10_lr": c.log10_lr, "posterior": c.posterior, "symmetric": symmetric,
            "systems": system_lrs(c.systems), "segments": segment_rows(c.segments),
            "establishes": sure and not symmetric, "state": "establishes" if sure and not symmetric else "supports",
            "detail": (_("cannot be told apart from a relative") if symmetric else
                       _("posterior %(p)s") % {"p": num(c.posterior, ".6f")})}


def _comparisons(remains: Remains, person: MissingPerson, method: str) -> list[Comparison]:
    return list(Comparison.objects.filter(remains=remains, missing_person=person, method=method)
                .select_related("examined_by", "verified_by"))


def _primary(comps: list[Comparison]) -> bool:
    return any(c.conclusion == Conclusion.IDENTIFICATION and c.verified for c in comps)


def board(actor, remains: Remains, person: MissingPerson) -> dict:
    """Everything the board weighs, for one remains and one missing person."""
    require(actor, Cap.IDENT_READ)
    access.check(actor, remains)
    access.check(actor, person)

    dna = _dna(remains, person)
    dental = dvi.dental_comparison(remains, person)
    dental_comps = _comparisons(remains, person, Method.DENTAL)
    print_comps = _comparisons(remains, person, Method.FINGERPRINTS)
    board_comps = _comparisons(remains, person, Method.RECONCILIATION)
    implants = dvi.implant_matches(actor, remains=remains, person=person)
    checks = consistency(remains, person)
    established = []
    if dna["establishes"]:
        established.append(IdentifiedBy.DNA)
    if _primary(dental_comps):
        established.append(IdentifiedBy.DENTAL)
    if _primary(print_comps):
        established.append(IdentifiedBy.FINGERPRINTS)

    conflicts = [f"{c['name']}: {c['detail']}" for c in check_rows(checks) if c["state"] == "conflict"]
    dental_rank = None
    if dental is not None:
        if dental.counts["incompatible"]:
            conflicts.append(_("dental: %(n)d incompatible teeth") % {"n": dental.counts["incompatible"]})
        dental_rank = _dental_rank(actor, remains, person, dental)
        if dental_rank["better"]:
            conflicts.append(_("dental: %(n)d other ante-mortem chart(s) score as high or higher (%(refs)s)") % {
                "n": len(dental_rank["better"]), "refs": ", ".join(dental_rank["better"][:5])})
    conflicts += dvi.implant_conflicts(remains, person)
    if dna["candidate"] is None and remains.dna_samples.exists() and person.family.donors.filter(
            profiles__isnull=False).exists():
        conflicts.append(_("DNA: both sides are typed and the current run proposes no match"))
    exclusions = [c for c in dental_comps + print_comps + board_comps
                  if c.conclusion == Conclusion.EXCLUSION and c.verification != Verification.DISAGREED]
    disputed = [c for c in dental_comps + print_comps if c.conclusion == Conclusion.IDENTIFICATION
                and c.verification == Verification.DISAGREED]
    for c in disputed:
        conflicts.append(_("%(m)s: the verifier disagreed (%(n)s)") % {"m": c.get_method_display(),
                                                                      "n": c.verification_note})
    open_idents = Identification.objects.filter(status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED])
    decision = Identification.objects.filter(remains=remains, missing_person=person).order_by("-proposed_at").first()
    competing = list(open_idents.filter(remains=remains).exclude(missing_person=person)) + list(
        open_idents.filter(missing_person=person).exclude(remains=remains))
    return {
        "remains": remains, "person": person, "dna": dna, "dental": dental, "dental_comparisons": dental_comps,
        "fingerprint_comparisons": print_comps, "board_comparisons": board_comps, "implants": implants,
        "secondary": dvi.secondary_matches(remains, person), "checks": checks, "established_by": established,
        "conflicts": conflicts, "exclusions": exclusions, "decision": decision, "competing": competing,
        "am_chart": dvi.chart_of(person), "pm_chart": dvi.chart_of(remains), "dental_rank": dental_rank,
    }


def _dental_rank(actor, remains: Remains, person: MissingPerson, dental) -> dict:
    """Where this person's AM chart ranks among every AM chart against the body's PM chart: the
    missing persons whose charts score as high or higher are a conflict (the teeth do not single
    this person out)."""
    pm = dvi.chart_of(remains)
    charts = {ref: teeth for ref, (_p, teeth) in dvi._am_charts(actor).items() if ref != person.ref}
    better = [r.key for r in odontology.rank(pm.teeth, charts) if r.comparison.score >= dental.score]
    return {"rank": len(better) + 1, "of": len(charts) + 1, "better": better}


def summary(b: dict) -> dict:
    """The board's figures as JSON (the API, the CLI, and what a proposal keeps)."""
    dna = b["dna"]
    return {
        "remains": b["remains"].body_number, "missing_person": b["person"].ref,
        "established_by": [str(x) for x in b["established_by"]],
        "dna": {"state": dna["state"], "log10_lr": dna.get("log10_lr"), "posterior": dna.get("posterior"),
                "symmetric": dna.get("symmetric", False)},
        "dental": b["dental"].as_dict() if b["dental"] is not None else None, "dental_rank": b["dental_rank"],
        "dental_conclusions": [_comp(c) for c in b["dental_comparisons"]],
        "fingerprint_conclusions": [_comp(c) for c in b["fingerprint_comparisons"]],
        "implants": b["implants"], "secondary": b["secondary"],
        "checks": {k: {"state": v["state"], "detail": v["detail"]} for k, v in b["checks"].items()},
        "conflicts": b["conflicts"], "exclusions": [_comp(c) for c in b["exclusions"]],
    }


def _comp(c: Comparison) -> dict:
    return {"id": c.pk, "method": c.method, "conclusion": c.conclusion, "verification": c.verification,
            "examined_by": str(c.examined_by), "verified_by": str(c.verified_by) if c.verified_by_id else None,
            "note": c.note, "figures": c.figures}


def identified_by(established: list[str]) -> str:
    return established[0] if len(established) == 1 else IdentifiedBy.COMBINED


@transaction.atomic
def propose(actor, remains: Remains, person: MissingPerson, basis: str, *, conflicts_explained: str = "",
            via: str = "web") -> Identification:
    """Propose an identification at the board; a second member confirms it (``decisions.decide``)."""
    require(actor, Cap.BOARD)
    b = board(actor, remains, person)
    if not (basis or "").strip():
        raise InvalidInput(_("State the basis of the identification."), field="basis")
    if not b["established_by"]:
        raise Conflict(_("No primary identifier establishes identity (INTERPOL: DNA, dental or fingerprints "
                         "must; implants, marks and effects only support): record and verify a dental or "
                         "fingerprint conclusion, or wait for a DNA result."))
    if b["exclusions"]:
        raise Conflict(_("An exclusion is recorded for this pair: %(e)s.") % {
            "e": "; ".join(str(c) for c in b["exclusions"])})
    if b["conflicts"] and not conflicts_explained.strip():
        raise InvalidInput(_("Explain the conflicts before proposing: %(c)s.") % {"c": "; ".join(b["conflicts"])},
                           field="conflicts_explained")
    if b["competing"] or Identification.objects.filter(
            remains=remains, missing_person=person,
            status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED]).exists():
        raise Conflict(_("These remains or this missing person already have an open or confirmed identification."))
    c = b["dna"]["candidate"]
    if c is not None and IdentifiedBy.DNA in b["established_by"]:
        problems = decisions._consent_problems(c)
        if problems:
            raise Conflict(_("Consent no longer holds: %(p)s.") % {"p": "; ".join(problems)})
    how = identified_by(b["established_by"])
    figures = summary(b)
    if conflicts_explained.strip():
        figures["conflicts_explained"] = conflicts_explained.strip()
    ident = Identification.objects.create(
        remains=remains, missing_person=person, candidate=c, posterior=c.posterior if c is not None else None,
        identified_by=how, identifiers=figures, basis=basis.strip(), proposed_by=actor)
    for obj in (remains, person):
        record(obj, Action.UPDATED, actor, {"identification": [None, f"proposed ({how}): {remains} = {person.ref}"]},
               reason=basis, via=via)
    return ident


def still_established(ident: Identification, actor) -> None:
    """Re-checked when a board proposal is confirmed: the primary identifiers still hold and no
    exclusion was recorded since."""
    b = board(actor, ident.remains, ident.missing_person)
    if not b["established_by"]:
        raise Conflict(_("No primary identifier establishes identity any more (a conclusion was disputed or "
                         "the DNA run changed); the proposal cannot be confirmed."))
    if b["exclusions"]:
        raise Conflict(_("An exclusion was recorded since the proposal: %(e)s.") % {
            "e": "; ".join(str(c) for c in b["exclusions"])})


def default_basis(b: dict) -> str:
    parts = []
    dna = b["dna"]
    if dna["candidate"] is not None:
        parts.append(_("DNA: %(d)s") % {"d": dna["detail"]})
    if b["dental"] is not None:
        c = b["dental"].counts
        parts.append(_("dental: score %(s)s, %(c)d concordant, %(e)d explainable, %(i)d incompatible teeth") % {
            "s": b["dental"].score, "c": c["concordant"], "e": c["explainable"], "i": c["incompatible"]})
    for comp in b["dental_comparisons"] + b["fingerprint_comparisons"]:
        parts.append(f"{comp.get_method_display()}: {comp.get_conclusion_display()} ({comp.get_verification_display()})")
    for imp in b["implants"]:
        parts.append(imp["basis"])
    return "; ".join(parts) + ("." if parts else "")
