"""The only writers of sites, graves, exhumations and remains.

Each function checks the actor's role, validates with the models' own rules, writes in one
transaction and records the change in the history. Forms, the JSON API, imports and the CLI
all come through here, so they apply the same rules.

References in ``data`` may be given as instances or as their codes: ``site`` by ref
(``"IZM-PISH"``), ``exhumation`` by reference, ``grave`` by label within the record's site or by
id.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.history.models import Action
from vestige.history.services import diff, record, snapshot
from vestige.registry.geo import centroid
from vestige.registry.models import Exhumation, Grave, Remains, Site

FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Site: ("ref", "name", "kind", "region", "locality", "description", "geometry",
           "discovered_on", "discovery_method", "discovery_notes"),
    Grave: ("site", "label", "marker_type", "inscription", "latitude", "longitude",
            "position_note", "expected_occupants", "status", "notes"),
    Exhumation: ("reference", "site", "team", "authority", "started_on", "ended_on", "notes"),
    Remains: ("body_number", "site", "grave", "exhumation", "recovered_on", "sex", "age_min",
              "age_max", "stature_min_cm", "stature_max_cm", "injuries", "torture_signs",
              "cause_of_death", "manner_of_death", "clothing_effects", "category", "notes"),
    # Remains.status is not here: only identification decisions change it (two people, recorded).
}

WRITE_CAP: dict[type[models.Model], Cap] = {
    Site: Cap.SITE_WRITE,
    Grave: Cap.GRAVE_WRITE,
    Exhumation: Cap.EXHUMATION_WRITE,
    Remains: Cap.REMAINS_WRITE,
}

REQUIRED_ON_CREATE: dict[type[models.Model], tuple[str, ...]] = {
    Site: ("ref", "name", "kind", "geometry"),
    Grave: ("site", "label"),
    Exhumation: ("reference", "site", "team", "authority", "started_on"),
    Remains: ("body_number", "site"),
}


def invalid_from(error: ValidationError, *, aliases: dict[str, str] | None = None) -> InvalidInput:
    """Turn a Django ValidationError into InvalidInput that names every field and message."""
    if hasattr(error, "error_dict"):
        errors = {
            (aliases or {}).get(k, k): [str(m) for m in v]
            for k, v in error.message_dict.items()
        }
    else:
        errors = {NON_FIELD_ERRORS: [str(m) for m in error.messages]}
    field, messages = next(iter(errors.items()))
    shown_field = None if field == NON_FIELD_ERRORS else field
    message = f"{shown_field}: {messages[0]}" if shown_field else messages[0]
    return InvalidInput(message, field=shown_field, errors=errors)


def get_site(ref: str | Site, actor=None) -> Site:
    """The site ``ref`` (among those ``actor`` may see, when given)."""
    if isinstance(ref, Site):
        return access.check(actor, ref) if actor is not None else ref
    qs = Site.objects.all() if actor is None else access.scope(Site.objects.all(), actor)
    try:
        return qs.get(ref=str(ref).strip())
    except Site.DoesNotExist:
        raise NotFound(_("No site with reference %(ref)r.") % {"ref": ref}) from None


def _resolve(model: type[models.Model], instance: models.Model, data: dict[str, Any],
             actor=None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Replace reference codes in ``data`` by instances (among the records ``actor`` may see).
    An unknown code is a field error, returned beside the data (its field left out of it) so that
    the other fields are still checked and every bad one is reported at once."""
    out = dict(data)
    errors: dict[str, list[str]] = {}
    if "site" in out and out["site"] not in (None, ""):
        try:
            out["site"] = get_site(out["site"], actor)
        except NotFound as e:
            errors["site"] = [e.message]
            del out["site"]
    site = out.get("site") if "site" in out else getattr(instance, "site", None) if instance.pk else None
    if model is Remains:
        grave = out.get("grave")
        if grave not in (None, "") and not isinstance(grave, Grave):
            qs = access.scope(Grave.objects.select_related("site"), actor) if actor else Grave.objects.select_related("site")
            try:
                if isinstance(grave, int):
                    out["grave"] = qs.get(pk=grave)
                elif site is not None:
                    out["grave"] = qs.get(site=site, label=str(grave).strip())
                else:
                    raise Grave.DoesNotExist
            except Grave.DoesNotExist:
                errors["grave"] = [_("No grave %(g)r at site %(s)s.") % {"g": grave, "s": getattr(site, "ref", "?")}]
                del out["grave"]
        exh = out.get("exhumation")
        if exh not in (None, "") and not isinstance(exh, Exhumation):
            try:
                exhs = access.scope(Exhumation.objects.all(), actor) if actor else Exhumation.objects.all()
                out["exhumation"] = exhs.get(reference=str(exh).strip())
            except Exhumation.DoesNotExist:
                errors["exhumation"] = [_("No exhumation with reference %(r)r.") % {"r": exh}]
                del out["exhumation"]
    for key in ("grave", "exhumation", "site"):
        if out.get(key) == "":
            out[key] = None
    return out, errors


def _apply(model: type[models.Model], instance: models.Model, data: dict[str, Any],
           actor=None) -> dict[str, list[str]]:
    """Set ``data`` on ``instance``; returns the errors of references that could not be resolved."""
    allowed = FIELDS[model]
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(
            _("Unknown field(s): %(f)s. Allowed: %(a)s") % {"f": ", ".join(unknown), "a": ", ".join(allowed)},
            field=unknown[0],
        )
    resolved, errors = _resolve(model, instance, data, actor)
    for key, value in resolved.items():
        if value is None and not model._meta.get_field(key).null:
            field = model._meta.get_field(key)
            value = [] if isinstance(field, models.JSONField) else "" if field.blank else None
        setattr(instance, key, value)
    return errors


def validate(instance: models.Model, errors: dict[str, list[str]] | None = None,
             skip: tuple[str, ...] = ()) -> None:
    """Apply every model rule; raise InvalidInput naming all bad fields (``errors`` already found,
    e.g. unknown references, are reported with them; fields in ``skip`` are not checked)."""
    errors = dict(errors or {})
    try:
        # The grave-label constraint is checked in Grave.clean, where it names its field.
        instance.full_clean(exclude=[*errors, *skip], validate_constraints=False)
    except ValidationError as e:
        for field, messages in invalid_from(e).errors.items():
            if field not in errors:  # a rule tripped only by the value left out
                errors[field] = messages
    if errors:
        raise _invalid(errors)
    if isinstance(instance, Site):
        instance.latitude, instance.longitude = centroid(instance.geometry)


def _invalid(errors: dict[str, list[str]]) -> InvalidInput:
    field, messages = next(iter(errors.items()))
    shown = None if field == NON_FIELD_ERRORS else field
    return InvalidInput(f"{shown}: {messages[0]}" if shown else messages[0], field=shown, errors=errors)


def problems(actor, model: type[models.Model], data: dict[str, Any], instance: models.Model | None = None,
             skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every rule ``data`` breaks, without writing: a form whose own parsing failed on some fields
    still shows what is wrong with the others (``skip``: those fields)."""
    import copy

    target = copy.copy(instance) if instance is not None else model()
    try:
        errs = _apply(model, target, {k: v for k, v in data.items() if k not in skip}, actor)
        validate(target, errs, skip)
    except InvalidInput as e:
        return {k: v for k, v in e.errors.items() if k not in skip}
    return {}


@transaction.atomic
def create(actor, model: type[models.Model], data: dict[str, Any], *, via: str = "web") -> models.Model:
    require(actor, WRITE_CAP[model])
    missing = [f for f in REQUIRED_ON_CREATE[model] if data.get(f) in (None, "", [])]
    if missing:
        raise InvalidInput(
            _("%(f)s: this field is required.") % {"f": missing[0]},
            field=missing[0],
            errors={f: [_("This field is required.")] for f in missing},
        )
    data = dict(data)
    given_case = data.pop("case", None)
    instance = model()
    errors = _apply(model, instance, data, actor)
    if model is Site:
        instance.case = access.case_for_new(actor, given_case)
    elif given_case:
        raise InvalidInput(_("A %(m)s is in its site's case; give the site.") % {"m": model._meta.verbose_name},
                           field="case")
    validate(instance, errors)
    instance.save()
    extra = {"case": [None, instance.case.code]} if model is Site else {}
    record(instance, Action.CREATED, actor, diff({}, snapshot(instance, FIELDS[model])) | extra, via=via)
    return instance


@transaction.atomic
def update(actor, instance: models.Model, data: dict[str, Any], *, via: str = "web") -> models.Model:
    model = type(instance)
    require(actor, WRITE_CAP[model])
    access.check(actor, instance)
    instance = model.objects.select_for_update().get(pk=instance.pk)
    if instance.withdrawn:
        raise Conflict(_("%(obj)s is withdrawn; restore it before editing.") % {"obj": instance})
    before = snapshot(instance, FIELDS[model])
    validate(instance, _apply(model, instance, data, actor))
    changes = diff(before, snapshot(instance, FIELDS[model]))
    if changes:
        instance.save()
        record(instance, Action.UPDATED, actor, changes, via=via)
    return instance


@transaction.atomic
def withdraw(actor, instance: models.Model, reason: str, *, via: str = "web", cap: Cap | None = None) -> models.Model:
    """Withdraw a record from lists and counts, keeping it and its history. A reason is required.

    Works for any :class:`~vestige.registry.models.Withdrawable` record; ``cap`` is the capability
    needed (default: the registry's write capability for the model).
    """
    model = type(instance)
    require(actor, cap or WRITE_CAP[model])
    access.check(actor, instance)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the record is withdrawn."), field="reason")
    instance = model.objects.select_for_update().get(pk=instance.pk)
    if instance.withdrawn:
        raise Conflict(_("%(obj)s is already withdrawn.") % {"obj": instance})
    instance.withdrawn_at = timezone.now()
    instance.withdrawn_by = actor
    instance.withdrawal_reason = reason
    instance.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "updated_at"])
    record(instance, Action.WITHDRAWN, actor, {}, reason=reason, via=via)
    return instance


@transaction.atomic
def restore(actor, instance: models.Model, reason: str, *, via: str = "web", cap: Cap | None = None) -> models.Model:
    model = type(instance)
    require(actor, cap or WRITE_CAP[model])
    access.check(actor, instance)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the record is restored."), field="reason")
    instance = model.objects.select_for_update().get(pk=instance.pk)
    if not instance.withdrawn:
        raise Conflict(_("%(obj)s is not withdrawn.") % {"obj": instance})
    instance.withdrawn_at = None
    instance.withdrawn_by = None
    instance.withdrawal_reason = ""
    instance.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "updated_at"])
    record(instance, Action.RESTORED, actor, {}, reason=reason, via=via)
    return instance
