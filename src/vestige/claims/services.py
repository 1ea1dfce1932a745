"""The only writers of claims, issuers, incidents and witnesses.

Verification rules (Berkeley Protocol on Digital Open Source Investigations, 2022, ch. VI):
every status change needs a rationale; *corroborated* needs at least one supporting source
independent of the issuer (a record, a URL, or another issuer's claim); *verified* needs that and
the three assessments (source, technical, content); *refuted* needs a contradicting link.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from vestige import access, crypto
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.claims.models import (
    Claim,
    ClaimLink,
    Incident,
    Issuer,
    IssuerType,
    Relation,
    Statement,
    Status,
    Verification,
    Witness,
)
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.evidence.models import EvidenceItem
from vestige.history.models import Action
from vestige.history.services import diff, next_reference, record, snapshot
from vestige.registry.models import Grave, Remains, Site
from vestige.registry.services import get_site, invalid_from
from vestige.registry.services import restore as _restore
from vestige.registry.services import withdraw as _withdraw

CLAIM_FIELDS = ("issuer", "said_on", "date_precision", "quote", "quote_language", "translation", "is_paraphrase",
                "source_url", "source_note", "source_evidence", "category", "site", "grave", "remains", "incident", "value_min",
                "value_max", "qualifier", "unit", "counted", "measure")
INCIDENT_FIELDS = ("ref", "kind", "title", "started_on", "ended_on", "date_precision", "place", "latitude",
                   "longitude", "description", "reported_fatalities", "source")
WITNESS_FIELDS = ("code", "consent_given", "consent_on", "consent_scope", "willing_to_testify", "notes")


def _validate(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as e:
        raise invalid_from(e) from None


def _apply(instance, fields, data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidInput(_("Unknown field(s): %(f)s") % {"f": ", ".join(unknown)}, field=unknown[0])
    for k, v in data.items():
        f = instance._meta.get_field(k)
        if v is None and not f.null:
            v = "" if f.blank else v
        setattr(instance, k, v)


@transaction.atomic
def issuer(actor, name: str, kind: str, description: str = "") -> Issuer:
    """The issuer called ``name`` of type ``kind``, created if new."""
    require(actor, Cap.CLAIM_WRITE)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Name the issuer."), field="issuer")
    if kind not in IssuerType.values:
        raise InvalidInput(_("Unknown issuer type %(k)r; use one of: %(c)s") % {"k": kind, "c": ", ".join(IssuerType.values)},
                           field="issuer_type")
    obj, _created = Issuer.objects.get_or_create(name=name, kind=kind, defaults={"description": description})
    return obj


def _seen(actor, model):
    """The records of ``model`` that ``actor`` may see (and so may name in a link)."""
    return access.scope(model.objects.all(), actor)


def _resolve_claim_refs(data: dict[str, Any], actor) -> dict[str, Any]:
    out = dict(data)
    if out.get("site") not in (None, ""):
        try:
            out["site"] = get_site(out["site"], actor)
        except NotFound as e:
            raise InvalidInput(e.message, field="site") from None
    if isinstance(out.get("incident"), Incident):
        access.check(actor, out["incident"])
    elif isinstance(out.get("incident"), str) and out["incident"]:
        out["incident"] = _seen(actor, Incident).filter(ref=out["incident"]).first() or _missing("incident", out["incident"])
    if isinstance(out.get("grave"), int | str) and out.get("grave") not in ("", None) and not isinstance(out["grave"], Grave):
        site = out.get("site")
        graves = _seen(actor, Grave)
        q = graves.filter(pk=out["grave"]) if isinstance(out["grave"], int) else graves.filter(site=site, label=out["grave"])
        out["grave"] = q.first() or _missing("grave", out["grave"])
    if isinstance(out.get("remains"), int | str) and out.get("remains") not in ("", None) and not isinstance(out["remains"], Remains):
        bodies = _seen(actor, Remains)
        q = bodies.filter(pk=out["remains"]) if isinstance(out["remains"], int) else bodies.filter(body_number=out["remains"])
        out["remains"] = q.first() or _missing("remains", out["remains"])
    for k in ("grave", "remains"):
        if isinstance(out.get(k), models.Model):
            access.check(actor, out[k])
    if isinstance(out.get("source_evidence"), str) and out["source_evidence"]:
        out["source_evidence"] = _seen(actor, EvidenceItem).filter(ref=out["source_evidence"]).first() or _missing(
            "source_evidence", out["source_evidence"])
    for k in ("site", "grave", "remains", "incident", "source_evidence"):
        if out.get(k) == "":
            out[k] = None
    return out


def _missing(field: str, value):
    raise InvalidInput(_("No %(f)s %(v)r.") % {"f": field, "v": value}, field=field)


def _next_ref(model, prefix: str) -> str:
    return next_reference(model, "ref", prefix, 4)


@transaction.atomic
def create_claim(actor, data: dict[str, Any], *, via: str = "web") -> Claim:
    require(actor, Cap.CLAIM_WRITE)
    data = dict(data)
    if isinstance(data.get("issuer"), dict):
        spec = data["issuer"]
        data["issuer"] = issuer(actor, spec.get("name", ""), spec.get("kind", ""), spec.get("description", ""))
    if not isinstance(data.get("issuer"), Issuer):
        raise InvalidInput(_("issuer: this field is required."), field="issuer")
    given_case = data.pop("case", None)
    claim = Claim(ref=_next_ref(Claim, "CLM-"))
    _apply(claim, CLAIM_FIELDS, _resolve_claim_refs(data, actor))
    # A claim about a site or an incident is in its case; otherwise in the one chosen.
    claim.case = (access.case_of(claim.site) if claim.site_id else access.case_of(claim.incident)
                  if claim.incident_id else None) or access.case_for_new(actor, given_case)
    _validate(claim)
    claim.save()
    record(claim, Action.CREATED, actor, diff({}, snapshot(claim, ("ref", *CLAIM_FIELDS))), via=via)
    return claim


def _update(actor, instance, fields: tuple[str, ...], data: dict[str, Any], via: str):
    """Lock, apply, validate, save and record the changes (if any) of a claims-app record."""
    access.check(actor, instance)
    instance = type(instance).objects.select_for_update().get(pk=instance.pk)
    if instance.withdrawn:
        raise Conflict(_("%(obj)s is withdrawn; restore it before editing.") % {"obj": instance.ref})
    before = snapshot(instance, fields)
    _apply(instance, fields, data)
    _validate(instance)
    changes = diff(before, snapshot(instance, fields))
    if changes:
        instance.save()
        record(instance, Action.UPDATED, actor, changes, via=via)
    return instance


@transaction.atomic
def update_claim(actor, claim: Claim, data: dict[str, Any], *, via: str = "web") -> Claim:
    require(actor, Cap.CLAIM_WRITE)
    return _update(actor, claim, CLAIM_FIELDS, _resolve_claim_refs(data, actor), via)


@transaction.atomic
def add_link(actor, claim: Claim, relation: str, *, other_claim: Claim | str | None = None,
             site: Site | str | None = None, grave: Grave | None = None, remains: Remains | str | None = None,
             evidence=None, url: str = "", note: str = "", via: str = "web") -> ClaimLink:
    """Link a supporting or contradicting claim, record or source to ``claim``."""
    require(actor, Cap.CLAIM_WRITE)
    access.check(actor, claim)
    if relation not in Relation.values:
        raise InvalidInput(_("relation must be supports or contradicts"), field="relation")
    other_claim, site, remains, evidence = (x if x not in ("", None) else None for x in (other_claim, site, remains, evidence))
    if isinstance(evidence, str):
        evidence = _seen(actor, EvidenceItem).filter(ref=evidence).first() or _missing("evidence", evidence)
    if isinstance(other_claim, str):
        other_claim = _seen(actor, Claim).filter(ref=other_claim).first() or _missing("other_claim", other_claim)
    if isinstance(site, str):
        site = _seen(actor, Site).filter(ref=site).first() or _missing("site", site)
    if isinstance(remains, str):
        remains = _seen(actor, Remains).filter(body_number=remains).first() or _missing("remains", remains)
    for target in (evidence, other_claim, site, grave, remains):
        if isinstance(target, models.Model):
            access.check(actor, target)
    if other_claim is not None and other_claim.pk == claim.pk:
        raise InvalidInput(_("A claim cannot support or contradict itself."), field="other_claim")
    if not any((other_claim, site, grave, remains, evidence, url)):
        raise InvalidInput(_("Link a claim, a record (site, grave, remains), an evidence item or a source URL."),
                           field="other_claim")
    link = ClaimLink(claim=claim, relation=relation, other_claim=other_claim or None, site=site or None,
                     grave=grave, remains=remains or None, evidence=evidence, url=url or "", note=note or "",
                     added_by=actor)
    _validate(link)
    link.save()
    record(claim, Action.UPDATED, actor, {f"link:{relation}": [None, str(link.target)]}, reason=note, via=via)
    return link


ASSESSMENTS = ("source_assessment", "technical_assessment", "content_assessment")


@transaction.atomic
def change_status(actor, claim: Claim, to_status: str, rationale: str, *, via: str = "web",
                  **assessments: str) -> Verification:
    """Move ``claim`` to ``to_status`` under the rules in this module's docstring."""
    require(actor, Cap.CLAIM_VERIFY)
    access.check(actor, claim)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if to_status not in Status.values:
        raise InvalidInput(_("Unknown status %(s)r.") % {"s": to_status}, field="status")
    if to_status == claim.status:
        raise Conflict(_("%(ref)s is already %(s)s.") % {"ref": claim.ref, "s": claim.get_status_display()})
    unknown = set(assessments) - {*ASSESSMENTS, "geolocation", "chronolocation"}
    if unknown:
        raise InvalidInput(_("Unknown field(s): %(f)s") % {"f": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
    rationale = (rationale or "").strip()
    if not rationale:
        raise InvalidInput(_("Give the rationale for the change."), field="rationale")
    links = list(claim.links.select_related("other_claim"))
    independent = [lk for lk in links if lk.relation == Relation.SUPPORTS and lk.independent_of(claim)]
    if to_status in (Status.CORROBORATED, Status.VERIFIED) and not independent:
        raise InvalidInput(_("Link at least one supporting source independent of the issuer first."), field="status")
    if to_status == Status.VERIFIED:
        missing = [a for a in ASSESSMENTS if not (assessments.get(a) or "").strip()]
        if missing:
            raise InvalidInput(_("Verification needs the source, technical and content assessments."),
                               field=missing[0], errors={m: [_("This field is required.")] for m in missing})
    if to_status == Status.REFUTED and not any(lk.relation == Relation.CONTRADICTS for lk in links):
        raise InvalidInput(_("Link the contradicting evidence or record before refuting."), field="status")
    v = Verification.objects.create(claim=claim, from_status=claim.status, to_status=to_status, actor=actor,
                                    rationale=rationale, **{k: (v or "").strip() for k, v in assessments.items()})
    record(claim, Action.UPDATED, actor, {"status": [claim.status, to_status]}, reason=rationale, via=via)
    claim.status = to_status
    claim.save(update_fields=["status", "updated_at"])
    return v


@transaction.atomic
def create_incident(actor, data: dict[str, Any], *, via: str = "web", sites=(), remains=()) -> Incident:
    require(actor, Cap.CLAIM_WRITE)
    data = dict(data)
    given_case = data.pop("case", None)
    inc = Incident()
    _apply(inc, INCIDENT_FIELDS, data)
    inc.case = access.case_for_new(actor, given_case)
    _validate(inc)
    inc.save()
    if sites:
        inc.sites.set([get_site(s, actor) for s in sites])
    if remains:
        inc.remains.set(remains)
    record(inc, Action.CREATED, actor, diff({}, snapshot(inc, INCIDENT_FIELDS)), via=via)
    return inc


@transaction.atomic
def update_incident(actor, inc: Incident, data: dict[str, Any], *, via: str = "web") -> Incident:
    require(actor, Cap.CLAIM_WRITE)
    return _update(actor, inc, INCIDENT_FIELDS, data, via)


@transaction.atomic
def link_incident(actor, inc: Incident, *, sites=(), remains=(), via: str = "web") -> Incident:
    require(actor, Cap.CLAIM_WRITE)
    access.check(actor, inc)
    added_sites = [get_site(s, actor) for s in sites]
    remains = [access.check(actor, r) for r in remains]
    for target in [*added_sites, *remains]:
        if target.withdrawn_at is not None:
            raise InvalidInput(_("%(t)s is withdrawn; restore it before linking to it.") % {"t": target},
                               field="sites" if isinstance(target, Site) else "remains")
    inc.sites.add(*added_sites)
    inc.remains.add(*remains)
    record(inc, Action.UPDATED, actor, {"linked": [None, [str(s) for s in added_sites] + [str(r) for r in remains]]}, via=via)
    return inc


def withdraw(actor, record: Claim | Incident, reason: str, *, via: str = "web"):
    """Withdraw a claim or incident (kept, with its history; out of lists and reconciliation)."""

    return _withdraw(actor, record, reason, via=via, cap=Cap.CLAIM_WRITE)


def restore(actor, record: Claim | Incident, reason: str, *, via: str = "web"):

    return _restore(actor, record, reason, via=via, cap=Cap.CLAIM_WRITE)


# --- witnesses ------------------------------------------------------------------------------

@transaction.atomic
def create_witness(actor, data: dict[str, Any], identity: dict[str, str] | None = None, *, via: str = "web") -> Witness:
    """A witness known by ``code``; ``identity`` (name, contact, ...) is stored encrypted."""
    require(actor, Cap.WITNESS_WRITE)
    data = dict(data)
    given_case = data.pop("case", None)
    w = Witness()
    _apply(w, WITNESS_FIELDS, data)
    w.case = access.case_for_new(actor, given_case)
    if w.consent_given and not w.consent_on:
        raise InvalidInput(_("Give the date consent was given."), field="consent_on")
    _validate(w)
    if identity:
        w.identity_encrypted = crypto.encrypt(json.dumps(identity, ensure_ascii=False),
                                              crypto.context("witness.identity", w.code))
    w.save()
    w.issuer = Issuer.objects.create(name=w.code, kind=IssuerType.WITNESS)
    w.save(update_fields=["issuer"])
    record(w, Action.CREATED, actor, diff({}, snapshot(w, WITNESS_FIELDS)) | {"identity": [None, "(encrypted)"]}, via=via)
    return w


@transaction.atomic
def reveal_identity(actor, witness: Witness, *, via: str = "web") -> dict[str, str]:
    """Decrypt a witness's identity for a role that needs it; every view is recorded."""
    require(actor, Cap.WITNESS_IDENTITY)
    access.check(actor, witness)
    record(witness, Action.VIEWED, actor, {"identity": [None, "viewed"]}, via=via)
    if not witness.identity_encrypted:
        return {}
    return json.loads(crypto.decrypt(witness.identity_encrypted, crypto.context("witness.identity", witness.code)))


@transaction.atomic
def add_statement(actor, witness: Witness, given_on, summary: str, evidence_reference: str = "",
                  *, evidence=None, via: str = "web") -> Statement:
    """A statement; ``evidence`` (an item or its reference) is the recording or transcript."""
    require(actor, Cap.WITNESS_WRITE)
    access.check(actor, witness)
    if not (summary or "").strip():
        raise InvalidInput(_("Summarise the statement."), field="summary")
    if isinstance(evidence, str) and evidence:
        evidence = _seen(actor, EvidenceItem).filter(ref=evidence).first() or _missing("evidence", evidence)
    elif isinstance(evidence, models.Model):
        access.check(actor, evidence)
    s = Statement(witness=witness, given_on=given_on, summary=summary.strip(), evidence=evidence or None,
                  evidence_reference=evidence_reference or (evidence.ref if evidence else ""), recorded_by=actor)
    _validate(s)
    s.save()
    record(witness, Action.UPDATED, actor, {"statement": [None, str(given_on)]}, via=via)
    return s
