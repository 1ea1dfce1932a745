"""Identification decisions and duplicate groups: two people, re-checked when confirming.

ICMP practice: a DNA analyst proposes; a second authorised person confirms (nobody confirms
their own proposal); below a posterior of 99.95 % — counting the tolerance of the joint group —
a written reason is needed. A candidate the DNA cannot tell apart from a relative (a symmetric
match) cannot be proposed on DNA alone. At the moment of confirming, the system checks again
that the candidate's run is still the current one, that the family's donors still consent, and
that no competing decision exists for the remains or the missing person; otherwise it refuses
and says why. The family liaison then records the notification and the return of the remains.

A *duplicate group* (several remains that are one person, from pm-match) follows the same two-
person rule; once confirmed the group is one body in matching, counts and reports, and every
bone keeps its own record and custody.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access, hooks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, PermissionDenied
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification.models import (
    Candidate,
    DecisionStatus,
    DuplicateGroup,
    Identification,
    IdentifiedBy,
)
from vestige.missing.models import Donor, MissingStatus
from vestige.printing import num
from vestige.registry.models import Remains, RemainsStatus

THRESHOLD = 0.9995  # posterior needed without a written reason (ICMP practice)


def certainty(candidate: Candidate) -> float:
    """The posterior less its stated tolerance: what the decision may rely on."""
    return max(0.0, candidate.posterior - (candidate.tolerance or 0.0))


def _open_decisions():
    return Identification.objects.filter(status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED])


def _consent_problems(candidate: Candidate) -> list[str]:
    """Donors of the missing person's family whose consent was withdrawn since the run began."""
    started = candidate.run.started_at
    out = []
    for d in Donor.objects.filter(family=candidate.missing_person.family, profiles__isnull=False).distinct():
        # A donor out before the run began was not used by it; one out since then was.
        if d.withdrawn_at is not None and d.withdrawn_at >= started:
            out.append(_("donor %(c)s was withdrawn") % {"c": d.code})
        elif d.consent_withdrawn_on is not None and d.consent_withdrawn_on >= started.date():
            out.append(_("donor %(c)s withdrew consent on %(d)s") % {"c": d.code, "d": d.consent_withdrawn_on})
    return out


def basis_text(candidate: Candidate) -> str:
    """A prefilled basis that states only what the screen shows (never "consistent" when a check
    conflicts)."""
    lr = "0" if candidate.log10_lr is None else f"10^{num(candidate.log10_lr, '.1f')}"
    parts = [_("DNA: LR %(lr)s, posterior %(p)s") % {"lr": lr, "p": num(candidate.posterior, ".6f")}]
    if candidate.tolerance:
        parts.append(_("tolerance %(t)s") % {"t": num(candidate.tolerance, ".2g")})
    conflicts = [k for k, f in candidate.flags.items() if f.get("state") == "conflict"]
    unknown = [k for k, f in candidate.flags.items() if f.get("state") == "unknown"]
    if conflicts:
        parts.append(_("ante-mortem/post-mortem conflict in: %(c)s (explain)") % {"c": ", ".join(conflicts)})
    elif unknown and len(unknown) == len(candidate.flags):
        parts.append(_("no ante-mortem data to compare"))
    else:
        parts.append(_("ante-mortem data consistent (%(c)s)") % {"c": ", ".join(k for k in candidate.flags if k not in unknown)})
    if any(f.startswith(("competing_", "indistinguishable")) for f in candidate.dna_flags):
        parts.append(_("competing candidates reviewed: explain why they are excluded"))
    return "; ".join(parts) + "."


@transaction.atomic
def propose(actor, candidate: Candidate, basis: str, *, below_threshold_reason: str = "", via: str = "web") -> Identification:
    require(actor, Cap.IDENT_PROPOSE)
    access.check(actor, candidate)
    if not candidate.run.current:
        raise Conflict(_("This candidate is from a superseded run; use the current run's candidates."))
    if not (basis or "").strip():
        raise InvalidInput(_("State the basis of the identification."), field="basis")
    if "symmetric" in candidate.dna_flags or any(f.startswith("indistinguishable") for f in candidate.dna_flags):
        raise Conflict(_("The DNA cannot tell these remains apart from a relative's (a symmetric match): an "
                         "identification needs other evidence, recorded as such."))
    if certainty(candidate) < THRESHOLD and not below_threshold_reason.strip():
        raise InvalidInput(_("The posterior (less its tolerance) is below 99.95 %; a written reason is needed."),
                           field="below_threshold_reason")
    problems = _consent_problems(candidate)
    if problems:
        raise Conflict(_("Consent no longer holds: %(p)s. Run matching again without these profiles.")
                       % {"p": "; ".join(problems)})
    if _open_decisions().filter(remains=candidate.remains).exists() or \
            _open_decisions().filter(missing_person=candidate.missing_person).exists():
        raise Conflict(_("These remains or this missing person already have an open or confirmed identification."))
    ident = Identification.objects.create(remains=candidate.remains, missing_person=candidate.missing_person,
                                          candidate=candidate, posterior=candidate.posterior, basis=basis.strip(),
                                          below_threshold_reason=below_threshold_reason.strip(), proposed_by=actor)
    for obj in (candidate.remains, candidate.missing_person):
        record(obj, Action.UPDATED, actor, {"identification": [None, f"proposed: {candidate.remains} = {candidate.missing_person.ref}"]},
               reason=basis, via=via)
    return ident


@transaction.atomic
def decide(actor, ident: Identification, confirm: bool, note: str = "", *, via: str = "web") -> Identification:
    """Confirm or reject a proposal: a DNA identification by a DNA analyst, one that rests on dental
    or fingerprint comparison (the identification board's) by a board member."""
    require(actor, Cap.IDENT_CONFIRM if ident.identified_by == IdentifiedBy.DNA else Cap.BOARD)
    access.check(actor, ident)
    ident = Identification.objects.select_for_update().get(pk=ident.pk)
    if ident.proposed_by_id == actor.pk:
        raise PermissionDenied(_("Nobody confirms their own proposal: a second person must decide."))
    if ident.status != DecisionStatus.PROPOSED:
        raise Conflict(_("This identification is already %(s)s.") % {"s": ident.get_status_display()})
    if confirm:
        c = ident.candidate
        if c is not None and not c.run.current:
            raise Conflict(_("A newer matching run has superseded the one this proposal came from; review the "
                             "current run's candidate before confirming."))
        if c is not None:
            problems = _consent_problems(c)
            if problems:
                raise Conflict(_("Consent no longer holds: %(p)s.") % {"p": "; ".join(problems)})
        if ident.identified_by != IdentifiedBy.DNA:  # the DVI board's check (vestige.hooks), never skipped
            hooks.single("identification.confirm")(ident, actor)
        others = _open_decisions().exclude(pk=ident.pk)
        if others.filter(remains=ident.remains).exists() or others.filter(missing_person=ident.missing_person).exists():
            raise Conflict(_("A competing identification exists for these remains or this missing person."))
    ident.status = DecisionStatus.CONFIRMED if confirm else DecisionStatus.REJECTED
    ident.decided_by, ident.decided_at, ident.decision_note = actor, timezone.now(), note
    ident.save()
    word = "confirmed" if confirm else "rejected"
    if confirm:
        _set_status(ident.remains, "status", RemainsStatus.IDENTIFIED, actor, via)
        _set_status(ident.missing_person, "status", MissingStatus.IDENTIFIED, actor, via)
    else:
        for obj in (ident.remains, ident.missing_person):
            record(obj, Action.UPDATED, actor, {"identification": ["proposed", word]}, reason=note, via=via)
    return ident


def _set_status(obj, field: str, value: str, actor, via: str) -> None:
    old = getattr(obj, field)
    setattr(obj, field, value)
    obj.save(update_fields=[field, "updated_at"])
    record(obj, Action.UPDATED, actor, {field: [old, value]}, via=via)


def _not_future(on: dt.date, what: str) -> None:
    if on > timezone.localdate():
        raise InvalidInput(_("%(w)s cannot be in the future (%(d)s).") % {"w": what, "d": on}, field="on")


@transaction.atomic
def record_notification(actor, ident: Identification, on: dt.date, how: str, *, via: str = "web") -> Identification:
    require(actor, Cap.NOTIFY)
    access.check(actor, ident)
    ident = Identification.objects.select_for_update().get(pk=ident.pk)
    if ident.status != DecisionStatus.CONFIRMED:
        raise Conflict(_("Only a confirmed identification is notified to the family."))
    if ident.notified_on is not None:
        raise Conflict(_("The notification was already recorded on %(d)s.") % {"d": ident.notified_on})
    _not_future(on, _("The notification date"))
    if ident.decided_at and on < ident.decided_at.date():
        raise InvalidInput(_("The family cannot be told before the identification was confirmed (%(d)s).")
                           % {"d": ident.decided_at.date()}, field="on")
    if not (how or "").strip():
        raise InvalidInput(_("Say how the family was told."), field="how")
    ident.notified_on, ident.notified_how, ident.notified_by = on, how.strip(), actor
    ident.save(update_fields=["notified_on", "notified_how", "notified_by"])
    record(ident.missing_person, Action.UPDATED, actor, {"family notified": [None, f"{on}: {how}"]}, via=via)
    return ident


@transaction.atomic
def record_return(actor, ident: Identification, on: dt.date, *, via: str = "web") -> Identification:
    require(actor, Cap.NOTIFY)
    access.check(actor, ident)
    ident = Identification.objects.select_for_update().get(pk=ident.pk)
    if ident.notified_on is None:
        raise Conflict(_("Record the notification of the family first."))
    if ident.returned_on is not None:
        raise Conflict(_("The return was already recorded on %(d)s.") % {"d": ident.returned_on})
    _not_future(on, _("The return date"))
    if on < ident.notified_on:
        raise InvalidInput(_("The remains cannot be returned before the family was told (%(d)s).")
                           % {"d": ident.notified_on}, field="on")
    ident.returned_on = on
    ident.save(update_fields=["returned_on"])
    _set_status(ident.remains, "status", RemainsStatus.RETURNED, actor, via)
    return ident


# --- duplicate groups ------------------------------------------------------------------------

@transaction.atomic
def propose_duplicate(actor, remains: list[Remains], basis: str, *, log10_lr: float | None = None,
                      via: str = "web") -> DuplicateGroup:
    """Propose that several remains are one person (two or more, none in an open group)."""
    require(actor, Cap.IDENT_PROPOSE)
    remains = [access.check(actor, r) for r in remains]
    remains = list({r.pk: r for r in remains}.values())
    if len(remains) < 2:
        raise InvalidInput(_("Name at least two remains."), field="remains")
    if not (basis or "").strip():
        raise InvalidInput(_("State the basis (e.g. the DNA's LR, the anthropology)."), field="basis")
    taken = DuplicateGroup.objects.filter(status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED],
                                          remains__in=remains).distinct()
    if taken.exists():
        raise Conflict(_("%(r)s already belong to an open or confirmed group.") % {"r": str(taken.first())})
    group = DuplicateGroup.objects.create(basis=basis.strip(), proposed_by=actor, log10_lr=log10_lr)
    group.remains.set(remains)
    for r in remains:
        record(r, Action.UPDATED, actor, {"same individual": [None, f"proposed: {group}"]}, reason=basis, via=via)
    return group


@transaction.atomic
def decide_duplicate(actor, group: DuplicateGroup, confirm: bool, note: str = "", *, via: str = "web") -> DuplicateGroup:
    require(actor, Cap.IDENT_CONFIRM)
    access.check(actor, group)
    group = DuplicateGroup.objects.select_for_update().get(pk=group.pk)
    if group.proposed_by_id == actor.pk:
        raise PermissionDenied(_("Nobody confirms their own proposal: a second person must decide."))
    if group.status != DecisionStatus.PROPOSED:
        raise Conflict(_("This group is already %(s)s.") % {"s": group.get_status_display()})
    group.status = DecisionStatus.CONFIRMED if confirm else DecisionStatus.REJECTED
    group.decided_by, group.decided_at, group.decision_note = actor, timezone.now(), note
    group.save()
    for r in group.remains.all():
        record(r, Action.UPDATED, actor, {"same individual": ["proposed", f"{group.status}: {group}"]}, reason=note,
               via=via)
    return group
