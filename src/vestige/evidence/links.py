"""Links of evidence items to sites, graves and remains: each made or removed as a custody event."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import InvalidInput, NotFound
from vestige.evidence import custody
from vestige.evidence.models import (
    EventKind,
    EvidenceItem,
    EvidenceLink,
)
from vestige.registry.models import Grave, Remains, Site


def resolve_links(links: dict[str, str] | None, actor=None) -> list[dict]:
    out = []

    def seen(model):
        return access.scope(model.objects.all(), actor) if actor is not None else model.objects.all()
    for kind, ref in (links or {}).items():
        if not ref:
            continue
        if kind == "site":
            target = seen(Site).filter(ref=ref).first()
        elif kind == "remains":
            target = seen(Remains).filter(body_number=ref).first()
        elif kind == "grave":
            site, _sep, label = ref.partition("#")
            target = seen(Grave).filter(site__ref=site, label=label).first()
        else:
            raise InvalidInput(_("Unknown link %(k)r; use site, grave (SITE#LABEL) or remains.") % {"k": kind}, field=kind)
        if target is None:
            raise InvalidInput(_("No %(k)s %(r)r.") % {"k": kind, "r": ref}, field=kind)
        if target.withdrawn_at is not None:
            raise InvalidInput(_("%(t)s is withdrawn; restore it before linking evidence to it.") % {"t": target},
                               field=kind)
        out.append({kind: target})
    return out


@transaction.atomic
def link(actor, item: EvidenceItem, *, site=None, grave=None, remains=None) -> EvidenceLink:
    require(actor, Cap.EVIDENCE_WRITE)
    access.check(actor, item)
    for target in (site, grave, remains):
        if target is not None:
            access.check(actor, target)
    row = EvidenceLink.objects.create(item=item, site=site, grave=grave, remains=remains)
    custody.append(EventKind.LINKED, item, custody.actor_name(actor), {"to": str(row.target)}, facts=True)
    return row


def add_links(actor, item: EvidenceItem, links: dict[str, str]) -> list[EvidenceLink]:
    """Link an item, after its upload, to the sites, graves (SITE#LABEL) and remains named; each
    link is a custody event. A link the item already has is not made twice."""
    require(actor, Cap.EVIDENCE_WRITE)
    access.check(actor, item)
    targets = resolve_links(links, actor)
    if not targets:
        raise InvalidInput(_("Name a site, a grave (SITE#LABEL) or remains to link to."), field="site")
    made = []
    with transaction.atomic():
        for kind_target in targets:
            (kind, target), = kind_target.items()
            if item.links.filter(**{kind: target}).exists():
                continue
            made.append(link(actor, item, **kind_target))
    return made


@transaction.atomic
def unlink(actor, item: EvidenceItem, link_id: int, reason: str) -> None:
    """Remove a link made in error, with the reason, as a custody event (the item's facts then
    list its links without it; the earlier event that made it stays in the ledger)."""
    require(actor, Cap.EVIDENCE_WRITE)
    access.check(actor, item)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the link is removed."), field="reason")
    row = item.links.filter(pk=link_id).first()
    if row is None:
        raise NotFound(_("No such link of %(ref)s.") % {"ref": item.ref})
    target = str(row.target)
    row.delete()
    custody.append(EventKind.UNLINKED, item, custody.actor_name(actor), {"from": target, "reason": reason[:500]}, facts=True)
