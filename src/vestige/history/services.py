"""Recording changes. Called by every app's services inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from vestige.history.models import Action, ChangeRecord, Counter


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """JSON-safe values of ``fields`` (foreign keys as their display text)."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.is_relation:
            out[name] = _plain(getattr(instance, name)) if getattr(instance, field.attname) else None
        else:
            out[name] = _plain(getattr(instance, name))
    return out


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


VIA_MAX = ChangeRecord._meta.get_field("via").max_length


def record(
    instance: models.Model,
    action: Action,
    actor,
    changes: dict,
    *,
    reason: str = "",
    via: str = "web",
) -> ChangeRecord:
    if len(via) > VIA_MAX:  # PostgreSQL would refuse it (SQLite stores it): fail alike on both, naming it
        raise ValueError(f"the door {via!r} is longer than {VIA_MAX} characters")
    return ChangeRecord.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        action=action,
        actor=actor,
        changes=changes,
        reason=reason,
        via=via,
    )


def record_many(instances: list[models.Model], action: Action, actor, changes: list[dict], *, via: str) -> None:
    """One history row per instance, in one INSERT (bulk imports)."""
    if not instances:
        return
    ct = ContentType.objects.get_for_model(type(instances[0]))
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(content_type=ct, object_id=obj.pk, action=action, actor=actor, changes=ch, via=via)
            for obj, ch in zip(instances, changes, strict=True)
        ],
        batch_size=2000,
    )


def history_of(instance: models.Model):
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
    ).select_related("actor")


def next_reference(model, field: str, prefix: str, width: int) -> str:
    """The next free reference ``prefix`` + number (zero-padded to ``width``) for ``model.field``.

    Call inside the transaction that creates the record. On first use the counter starts after
    the largest number already in use (compared as numbers); a number someone typed by hand is
    skipped rather than collided with.
    """
    from django.db import IntegrityError, transaction
    from django.db.models import F


    name = f"{model._meta.label_lower}.{field}:{prefix}"
    with transaction.atomic(savepoint=False):  # an error propagates and undoes the caller's work anyway
        if not Counter.objects.filter(name=name).update(value=F("value") + 1):
            start = 0
            for value in model.objects.filter(**{f"{field}__startswith": prefix}).values_list(field, flat=True):
                tail = value[len(prefix):]
                if tail.isdigit():
                    start = max(start, int(tail))
            try:
                with transaction.atomic():
                    Counter.objects.create(name=name, value=start + 1)
            except IntegrityError:  # another writer created it first: take the next number after theirs
                Counter.objects.filter(name=name).update(value=F("value") + 1)
        while True:
            n = Counter.objects.get(name=name).value
            ref = f"{prefix}{n:0{width}d}"
            if not model.objects.filter(**{field: ref}).exists():
                return ref
            Counter.objects.filter(name=name).update(value=F("value") + 1)
