"""Timelines: what happened, in order, to a site or to a missing person — read from the records
themselves (dates of discovery, exhumation, recovery, claims, evidence received, consent,
identification, notification, return), never typed in a second time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from vestige import access
from vestige.claims.models import Claim
from vestige.evidence.models import EvidenceItem
from vestige.history.models import Action
from vestige.history.services import history_of
from vestige.identification.models import DecisionStatus, Identification


@dataclass(frozen=True)
class Event:
    on: dt.date
    text: str
    url: str = ""
    kind: str = ""


def _day(value) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def _sorted(events: list[Event]) -> list[Event]:
    return sorted((e for e in events if e.on is not None), key=lambda e: (e.on, e.kind, e.text))


def site_timeline(site, actor) -> list[Event]:

    out = []
    if site.discovered_on:
        how = f" ({site.get_discovery_method_display()})" if site.discovery_method else ""
        out.append(Event(site.discovered_on, _("Site discovered") + how, site.get_absolute_url(), "site"))
    for x in site.exhumations.filter(withdrawn_at__isnull=True):
        out.append(Event(x.started_on, _("Exhumation %(r)s began") % {"r": x.reference}, x.get_absolute_url(), "exhumation"))
        if x.ended_on:
            out.append(Event(x.ended_on, _("Exhumation %(r)s ended") % {"r": x.reference}, x.get_absolute_url(),
                             "exhumation"))
    recovered = (site.remains.filter(withdrawn_at__isnull=True, recovered_on__isnull=False)
                 .values("recovered_on").annotate(n=Count("pk")).order_by("recovered_on"))
    for row in recovered:
        out.append(Event(row["recovered_on"], _("%(n)d remains recovered") % {"n": row["n"]}, kind="remains"))
    for c in access.scope(Claim.objects.filter(site=site, withdrawn_at__isnull=True), actor).select_related("issuer"):
        out.append(Event(c.said_on, _("Claim %(ref)s by %(who)s: %(q)s") % {
            "ref": c.ref, "who": c.issuer, "q": c.quantity_text()}, c.get_absolute_url(), "claim"))
    items = access.scope(EvidenceItem.objects.filter(links__site=site).exclude(derivation="thumbnail"), actor).distinct()
    for item in items:
        out.append(Event(_day(item.created_at), _("Evidence %(ref)s received (%(name)s)") % {
            "ref": item.ref, "name": item.original_name[:60]}, item.get_absolute_url(), "evidence"))
    idents = Identification.objects.filter(remains__site=site, status=DecisionStatus.CONFIRMED).select_related(
        "remains", "missing_person")
    for i in idents:
        out.append(Event(_day(i.decided_at), _("%(body)s identified") % {"body": i.remains.body_number},
                         i.remains.get_absolute_url(), "identification"))
        if i.returned_on:
            out.append(Event(i.returned_on, _("%(body)s returned to the family") % {"body": i.remains.body_number},
                             i.remains.get_absolute_url(), "identification"))
    return _sorted(out)


def person_timeline(person) -> list[Event]:

    out = []
    if person.birth_date:
        out.append(Event(person.birth_date, _("Born"), kind="person"))
    if person.last_seen_on:
        where = f": {person.last_seen_place}" if person.last_seen_place else ""
        out.append(Event(person.last_seen_on, _("Last seen") + where, kind="person"))
    for h in history_of(person):
        if h.action == Action.CREATED:
            out.append(Event(_day(h.at), _("Reported missing (registered by %(u)s)") % {"u": h.actor.username},
                             kind="register"))
        elif "merged from" in (h.changes or {}):
            out.append(Event(_day(h.at), _("Record %(ref)s merged into this one") % {
                "ref": h.changes["merged from"][1]}, kind="register"))
    for d in person.family.donors.select_related("member"):
        out.append(Event(d.consent_on, _("Donor %(c)s (%(m)s) gave consent for a reference sample") % {
            "c": d.code, "m": d.member.label or d.member.code}, person.family.get_absolute_url(), "donor"))
        if d.consent_withdrawn_on:
            out.append(Event(d.consent_withdrawn_on, _("Donor %(c)s withdrew consent") % {"c": d.code},
                             person.family.get_absolute_url(), "donor"))
    for i in Identification.objects.filter(missing_person=person).select_related("remains"):
        body = i.remains.body_number
        out.append(Event(_day(i.proposed_at), _("Identification with %(b)s proposed") % {"b": body},
                         i.candidate.get_absolute_url() if i.candidate_id else "", "identification"))
        if i.decided_at:
            out.append(Event(_day(i.decided_at), _("Identification with %(b)s %(s)s") % {
                "b": body, "s": i.get_status_display().lower()}, "", "identification"))
        if i.notified_on:
            out.append(Event(i.notified_on, _("Family notified"), "", "identification"))
        if i.returned_on:
            out.append(Event(i.returned_on, _("Remains %(b)s returned to the family") % {"b": body}, "", "identification"))
    return _sorted(out)
