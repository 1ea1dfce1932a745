"""The change history as a person reads it: the record by its name with a link (not a database
id), fields by their labels, coded values by their labels, in the interface's language."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _


@dataclass
class Shown:
    record: object  # the ChangeRecord
    label: str  # "remains IZM-0315"
    url: str = ""
    changes: list[tuple[str, str | None, str]] = field(default_factory=list)  # (field, old, new)


def _label_of(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return _(name)  # the services' own keys ("family notified", "merged from") are translatable


def _value(model, name: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    try:
        f = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        f = None
    lists = getattr(model, "LIST_CHOICES", {})
    if isinstance(value, list):
        labels = dict(lists[name].choices) if name in lists else {}
        return ", ".join(str(labels.get(v, v)) for v in value) or "—"
    if f is not None and f.choices:
        return str(dict(f.flatchoices).get(value, value))
    return str(value)


def present(records) -> list[Shown]:
    """``records`` (ChangeRecords) ready to show; the records they are about fetched in one query
    per kind (the rows of a page, or a record's own history)."""
    records = list(records)
    wanted: dict[int, set[int]] = defaultdict(set)
    for r in records:
        wanted[r.content_type_id].add(r.object_id)
    found: dict[tuple[int, int], object] = {}
    models_of: dict[int, type] = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        models_of[ct_id] = model
        if model is None:
            continue
        for obj in model._base_manager.filter(pk__in=ids):
            found[(ct_id, obj.pk)] = obj
    out = []
    for r in records:
        model = models_of.get(r.content_type_id)
        obj = found.get((r.content_type_id, r.object_id))
        kind = str(model._meta.verbose_name) if model is not None else r.content_type.model
        if obj is not None:
            label, url = f"{kind} {obj}", (obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "")
        else:
            label, url = f"{kind} #{r.object_id}", ""
        changes = []
        for name, pair in (r.changes or {}).items():
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            changes.append((_label_of(model, name), _value(model, name, old), _value(model, name, new) or "—"))
        out.append(Shown(r, label, url, changes))
    return out
