"""A family's own access to its case (issue 31, part 1).

- **Granted** by the family's liaison (:func:`grant`): a personal link ``/family/access/<secret>/``
  valid for a number of days (30 by default) that the liaison hands to one named family member.
  Only the SHA-256 of the 256-bit secret is stored: the link is shown once, and a database
  reader cannot rebuild it. Revoked by the liaison, or ended by the family member, at any time.
- **Opened** (:func:`resolve`): a valid link starts a *family session* (a new session key, no staff
  user); every page of the portal checks the access again — expired, revoked, or the family
  withdrawn, and the portal answers as to a stranger.
- **What it shows** (:func:`overview`): the family's own missing relatives only, each with the
  stage of the case (reported, reference sampled, matched, identified, notified, returned), what is
  still needed, their consents and their choice of who may see their data, and the messages with the
  liaison. Never a DNA profile, a body number, another family or a staff member's notes.
- **What it changes**: who may see the family's data (:func:`set_sharing`; the DVI exchange with
  partner organisations leaves out a family that chose "this organisation only"), withdrawal of the
  consent to use the relatives' DNA (:func:`withdraw_dna_consent`: their profiles leave every later
  matching run), a message to the liaison. Each is recorded in the family's history (by the family,
  through the access the liaison granted) and in the access's own log, as is every read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access as record_access
from vestige import crypto, hooks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput
from vestige.history.models import Action
from vestige.history.services import record
from vestige.missing import services
from vestige.missing.models import (
    Family,
    FamilyAccess,
    FamilyAccessEvent,
    FamilyMessage,
    MissingStatus,
    Sharing,
)

__all__ = ["grant", "revoke", "resolve", "overview", "set_sharing", "withdraw_dna_consent", "send_message",
           "family_message", "messages_of", "record_sharing", "Overview", "STAGES", "MAX_DAYS"]

MAX_DAYS = 365
PORTAL = "family portal"  # the door recorded in the history (ChangeRecord.via: 16 characters at most)
STAGES = ("reported", "reference_sampled", "matched", "identified", "notified", "returned")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def grant(actor, family: Family, label: str, *, days: int = 30, via: str = "web") -> tuple[FamilyAccess, str]:
    """A new access for one family member; returns it and the secret of its link (shown once)."""
    require(actor, Cap.MISSING_WRITE)
    record_access.check(actor, family)
    if family.withdrawn:
        raise Conflict(_("%(f)s is withdrawn.") % {"f": family.ref})
    if not label.strip():
        raise InvalidInput(_("Say for whom the access is (a name and the relationship)."), field="label")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(_("An access lasts 1 to %(n)d days.") % {"n": MAX_DAYS}, field="days")
    secret = secrets.token_urlsafe(32)
    grant_ = FamilyAccess.objects.create(family=family, label=label.strip()[:200], token_hash=_hash(secret),
                                         created_by=actor, expires_at=timezone.now() + dt.timedelta(days=days))
    record(family, Action.UPDATED, actor, {"family access": [None, f"#{grant_.pk} for {grant_.label}, "
                                                                   f"until {grant_.expires_at:%Y-%m-%d}"]}, via=via)
    return grant_, secret


@transaction.atomic
def revoke(actor, grant_: FamilyAccess, reason: str = "", *, by_family: bool = False, via: str = "web") -> FamilyAccess:
    """End an access: by the liaison (``actor``), or by the family member themself (``by_family``)."""
    if not by_family:
        require(actor, Cap.MISSING_WRITE)
        record_access.check(actor, grant_.family)
    grant_ = FamilyAccess.objects.select_for_update().get(pk=grant_.pk)
    if grant_.revoked_at is not None:
        raise Conflict(_("This access was already ended."))
    grant_.revoked_at = timezone.now()
    grant_.revoked_by = None if by_family else actor
    grant_.revoke_reason = reason.strip() or (_("ended by the family member") if by_family else "")
    grant_.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    who = grant_.created_by if by_family else actor
    record(grant_.family, Action.UPDATED, who, {"family access": [f"#{grant_.pk}", "ended"]},
           reason=(f"{grant_.revoke_reason} (access #{grant_.pk})" if by_family else grant_.revoke_reason),
           via=PORTAL if by_family else via)
    if by_family:
        FamilyAccessEvent.objects.create(access=grant_, what="ended", detail=grant_.revoke_reason[:300])
    return grant_


def valid(grant_: FamilyAccess | None) -> bool:
    return bool(grant_ is not None and grant_.revoked_at is None and grant_.expires_at > timezone.now()
                and grant_.family.withdrawn_at is None)


def resolve(secret: str) -> FamilyAccess | None:
    """The access a link's secret opens, if it is still valid (else None: the caller says "not valid"
    whatever the reason, so a guess learns nothing)."""
    if not secret or len(secret) > 100:
        return None
    grant_ = FamilyAccess.objects.select_related("family").filter(token_hash=_hash(secret)).first()
    return grant_ if valid(grant_) else None


def current(pk: int | None) -> FamilyAccess | None:
    """The access of a family session, checked again (it may have ended since the link was opened)."""
    if not pk:
        return None
    grant_ = FamilyAccess.objects.select_related("family", "created_by").filter(pk=pk).first()
    return grant_ if valid(grant_) else None


def log(grant_: FamilyAccess, what: str, detail: str = "") -> None:
    FamilyAccessEvent.objects.create(access=grant_, what=what, detail=detail[:300])
    FamilyAccess.objects.filter(pk=grant_.pk).update(last_used_at=timezone.now())


@dataclass
class PersonStatus:
    """One missing relative as the family sees their case."""

    name: str
    reported_on: dt.date | None
    stages: dict[str, bool | dt.date | None]  # STAGES → done (a date where there is one)
    found_alive: bool = False


@dataclass
class Overview:
    family: str
    persons: list[PersonStatus]
    needed: list[str]
    sharing: str
    donors: list[dict]  # {"relationship", "consent_on", "withdrawn_on"}: no codes, no DNA
    messages: list[dict] = field(default_factory=list)


def _needed(family: Family, typed: int, persons: list[PersonStatus]) -> list[str]:
    open_cases = [p for p in persons if not p.stages["identified"] and not p.found_alive]
    if not open_cases:
        return []
    if typed == 0:
        return [_("A reference DNA sample from a close blood relative of the missing (mother, father, a child, "
                  "a full brother or sister). Your liaison arranges it.")]
    if typed == 1:
        return [_("A sample from a second close relative makes a match far more certain; ask your liaison "
                  "which relative would help most.")]
    return []


def overview(grant_: FamilyAccess) -> Overview:
    """What the portal shows (and logs as read)."""
    family = grant_.family
    progress = hooks.single("missing.family_progress")
    persons = []
    for p in family.missing_persons.filter(withdrawn_at__isnull=True).order_by("ref"):
        later = progress(p)
        persons.append(PersonStatus(
            name=p.full_name, reported_on=p.created_at.date() if getattr(p, "created_at", None) else None,
            stages={"reported": True, "reference_sampled": False, **later},
            found_alive=p.status == MissingStatus.FOUND_ALIVE))
    donors = list(family.donors.filter(withdrawn_at__isnull=True).select_related("member"))
    typed = sum(1 for d in donors if d.consent_active and d.profiles.exists())
    for ps in persons:
        ps.stages["reference_sampled"] = typed > 0
    log(grant_, "viewed")
    return Overview(
        family=family.name, persons=persons, needed=_needed(family, typed, persons), sharing=family.sharing,
        donors=[{"relationship": d.member.label or _("relative"), "consent_on": d.consent_on,
                 "withdrawn_on": d.consent_withdrawn_on} for d in donors],
        messages=messages_of(family))


@transaction.atomic
def set_sharing(grant_: FamilyAccess, choice: str) -> Family:
    """The family's choice of who may see its data (recorded; applied to the DVI exchange)."""
    if choice not in Sharing.values:
        raise InvalidInput(_("Choose one of the listed options."), field="sharing")
    family = Family.objects.select_for_update().get(pk=grant_.family_id)
    if family.sharing != choice:
        before = family.sharing
        family.sharing = choice
        family.save(update_fields=["sharing", "updated_at"])
        record(family, Action.UPDATED, grant_.created_by, {"sharing": [before, choice]},
               reason=_("chosen by the family (%(who)s)") % {"who": grant_.label} + f" (access #{grant_.pk})",
               via=PORTAL)
    log(grant_, "sharing", choice)
    return family


@transaction.atomic
def record_sharing(actor, family: Family, choice: str, reason: str, *, via: str = "web") -> Family:
    """The family's choice as their liaison records it (a family without portal access, a call)."""
    require(actor, Cap.MISSING_WRITE)
    record_access.check(actor, family)
    if choice not in Sharing.values:
        raise InvalidInput(_("Choose one of the listed options."), field="sharing")
    if not reason.strip():
        raise InvalidInput(_("Say how the family told you (e.g. by phone on 3 May)."), field="reason")
    family = Family.objects.select_for_update().get(pk=family.pk)
    if family.sharing != choice:
        before, family.sharing = family.sharing, choice
        family.save(update_fields=["sharing", "updated_at"])
        record(family, Action.UPDATED, actor, {"sharing": [before, choice]}, reason=reason.strip(), via=via)
    return family


@transaction.atomic
def withdraw_dna_consent(grant_: FamilyAccess, reason: str) -> int:
    """The family withdraws the consent to use its relatives' DNA: every donor of the family, each
    recorded; their profiles leave the next matching run. The number of donors withdrawn."""
    if not reason.strip():
        raise InvalidInput(_("Say, in a few words, why (it is kept with your decision)."), field="reason")
    n = 0
    for donor in grant_.family.donors.filter(withdrawn_at__isnull=True, consent_withdrawn_on__isnull=True):
        services.withdraw_consent(grant_.created_by, donor, timezone.localdate(),
                                  _("by the family (%(who)s): %(why)s") % {"who": grant_.label, "why": reason.strip()}
                                  + f" (access #{grant_.pk})", via=PORTAL)
        n += 1
    log(grant_, "consent withdrawn", f"{n} donor(s)")
    return n


def _message(family: Family, text: str, *, author=None, grant_: FamilyAccess | None = None) -> FamilyMessage:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write the message."), field="text")
    if len(text) > 5000:
        raise InvalidInput(_("A message is at most 5,000 characters."), field="text")
    row = FamilyMessage.objects.create(family=family, author=author, access=grant_, text_encrypted="")
    row.text_encrypted = crypto.encrypt(text, crypto.context("family.message", f"{family.ref}/{row.pk}"))
    row.save(update_fields=["text_encrypted"])
    return row


@transaction.atomic
def send_message(actor, family: Family, text: str, *, via: str = "web") -> FamilyMessage:
    """A liaison's message to the family (seen on the family's portal)."""
    require(actor, Cap.MISSING_WRITE)
    record_access.check(actor, family)
    row = _message(family, text, author=actor)
    record(family, Action.UPDATED, actor, {"message to the family": [None, f"#{row.pk}"]}, via=via)
    return row


@transaction.atomic
def family_message(grant_: FamilyAccess, text: str) -> FamilyMessage:
    row = _message(grant_.family, text, grant_=grant_)
    log(grant_, "message", f"#{row.pk}")
    return row


def messages_of(family: Family) -> list[dict]:
    out = []
    for m in family.messages.select_related("author", "access"):
        out.append({"at": m.at, "from_family": m.author_id is None,
                    "who": m.access.label if m.access_id else (m.author.get_full_name() or _("your liaison")),
                    "text": crypto.decrypt(m.text_encrypted, crypto.context("family.message", f"{family.ref}/{m.pk}"))})
    return out
