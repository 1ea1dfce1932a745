"""One search over the whole register (issue 29, part 4): people, bodies, graves, sites, families,
evidence, claims and witnesses by their code, name or number, in any script for people's names
(the register's name key), each kind only for a role that reads it and only within the user's
cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.claims.models import Claim, Witness
from vestige.evidence.models import EvidenceItem
from vestige.missing.models import Family, MissingPerson
from vestige.missing.services import search_names
from vestige.registry.models import Grave, Remains, Site

__all__ = ["Found", "PER_KIND", "global_search"]

PER_KIND = 20  # results shown per kind; the kind's own list, filtered, has the rest


@dataclass
class Found:
    """The results of one kind of record: its label, the records (at most PER_KIND), the count."""

    kind: str
    label: str
    items: list = field(default_factory=list)
    total: int = 0
    more_url: str = ""


def _current(qs: QuerySet) -> QuerySet:
    return qs.filter(withdrawn_at__isnull=True) if hasattr(qs.model, "withdrawn_at") else qs


def _kinds(text: str):
    """(kind, label, capability, queryset of matches, its list page with the search) per kind."""
    site, _sep, label = text.partition("#")  # SITE#LABEL, as the imports and links write a grave
    grave_q = Q(site__ref__iexact=site.strip(), label__iexact=label.strip()) if label else Q(label__iexact=text)
    yield ("missing", _("Missing persons"), Cap.MISSING_READ,
           MissingPerson.objects.filter(Q(ref__icontains=text) | Q(pk__in=search_names(
               MissingPerson.objects.all(), text).values("pk"))).select_related("family"),
           reverse("missing:person-list") + "?q=")
    yield ("families", _("Families"), Cap.MISSING_READ,
           Family.objects.filter(Q(ref__icontains=text) | Q(name__icontains=text)), "")
    yield ("remains", _("Remains"), Cap.REGISTRY_READ,
           Remains.objects.filter(body_number__icontains=text).select_related("site"),
           reverse("registry:remains-list") + "?q=")
    yield ("graves", _("Graves"), Cap.REGISTRY_READ, Grave.objects.filter(grave_q).select_related("site"), "")
    yield ("sites", _("Sites"), Cap.REGISTRY_READ,
           Site.objects.filter(Q(ref__icontains=text) | Q(name__icontains=text) | Q(locality__icontains=text)),
           reverse("registry:site-list") + "?q=")
    yield ("evidence", _("Evidence"), Cap.EVIDENCE_READ,
           EvidenceItem.objects.filter(Q(ref__icontains=text) | Q(title__icontains=text)
                                       | Q(original_name__icontains=text)), "")
    yield ("claims", _("Claims"), Cap.REGISTRY_READ,
           Claim.objects.filter(Q(ref__icontains=text) | Q(quote__icontains=text) | Q(translation__icontains=text)), "")
    yield ("witnesses", _("Witnesses"), Cap.REGISTRY_READ, Witness.objects.filter(code__icontains=text), "")


def global_search(user, text: str) -> list[Found]:
    """Every kind of record the user may read that matches ``text`` (2 characters at least);
    the order of the kinds is the order people ask for them: people first, then bodies."""
    text = " ".join((text or "").split())[:100]
    if len(text) < 2:
        return []
    out = []
    for kind, label, cap, qs, list_url in _kinds(text):
        if not user.can(cap):
            continue
        qs = access.scope(_current(qs), user).order_by("pk")
        total = qs.count()
        if total:
            out.append(Found(kind, str(label), list(qs[:PER_KIND]), total,
                             f"{list_url}{quote(text)}" if list_url and total > PER_KIND else ""))
    return out
