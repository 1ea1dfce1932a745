"""Behaviour every case record shares: withdrawal instead of deletion, and the checks that
apply to every field of every record, whichever door the value came through (form, API,
import, CLI) — they run in ``full_clean``, which every service calls before writing.

- No NUL character anywhere (PostgreSQL cannot store it; it truncates text elsewhere) and no
  bidirectional override or embedding (U+202A–U+202E: they make ``EV-0001`` display as
  something else); in identifiers (``IDENTIFIERS``) no control or format character at all, no
  isolate, no line break, and no leading or trailing space.
- No date or time of a past event in the future (a day's grace for time zones): a body is
  not recovered in 2999.
- No new link to a withdrawn record: a grave cannot be created under a withdrawn site, nor
  moved there.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vestige.history.models import ChangeRecord

OVERRIDES = {chr(c) for c in range(0x202A, 0x202F)}  # LRE, RLE, PDF, LRO, RLO
ISOLATES = {chr(c) for c in range(0x2066, 0x206A)}  # LRI, RLI, FSI, PDI
GRACE = dt.timedelta(days=1)
NOT_PAST_EVENTS = {"withdrawn_at", "created_at", "updated_at"}


def _bad_text(value: str, identifier: bool) -> str | None:
    if "\x00" in value:
        return _("contains a NUL character")
    if OVERRIDES & set(value):
        return _("contains a bidirectional override character (U+202A–U+202E)")
    if identifier:
        if value != value.strip():
            return _("starts or ends with a space")
        for ch in value:
            if ch in ISOLATES or unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}:
                return _("contains the invisible or control character U+%(c)04X") % {"c": ord(ch)}
    return None


def check_values(instance: models.Model, exclude=None) -> dict[str, list[str]]:
    """The shared checks of one record; {field: [messages]} (empty when all hold)."""
    errors: dict[str, list[str]] = {}
    exclude = set(exclude or ())
    identifiers = set(getattr(instance, "IDENTIFIERS", ()))
    today = timezone.now()
    for f in instance._meta.concrete_fields:
        if f.name in exclude:
            continue
        value = getattr(instance, f.attname, None)
        if value is None or value == "":
            continue
        if isinstance(f, models.CharField | models.TextField) and isinstance(value, str):
            bad = _bad_text(value, f.name in identifiers)
            if bad:
                errors.setdefault(f.name, []).append(bad)
        elif (isinstance(f, models.DateField) and f.name not in NOT_PAST_EVENTS
              and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)):
            if isinstance(value, dt.datetime):
                later = value > today + GRACE
            elif isinstance(value, dt.date):
                later = value > (today + GRACE).date()
            else:
                later = False
            if later:
                errors.setdefault(f.name, []).append(_("%(v)s is in the future") % {"v": value.isoformat()})
        elif isinstance(f, models.ForeignKey) and _newly_linked(instance, f):
            target = getattr(instance, f.name, None)
            if getattr(target, "withdrawn_at", None) is not None:
                errors.setdefault(f.name, []).append(
                    _("%(t)s is withdrawn; restore it before linking to it") % {"t": target})
    return errors


def _newly_linked(instance: models.Model, f) -> bool:
    original = getattr(instance, "_loaded_links", None)
    value = getattr(instance, f.attname, None)
    return value is not None and (original is None or original.get(f.attname) != value)


class CheckedFields(models.Model):
    """Runs :func:`check_values` in ``clean_fields`` and remembers the links a record was loaded with."""

    IDENTIFIERS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_links = {f.attname: getattr(instance, f.attname, None)
                                  for f in cls._meta.concrete_fields if isinstance(f, models.ForeignKey)
                                  if f.attname in instance.__dict__}
        return instance

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as e:
            errors = dict(e.error_dict)
        for name, messages in check_values(self, exclude).items():
            errors.setdefault(name, []).extend(ValidationError(m) for m in messages)
        if errors:
            raise ValidationError(errors)


class Withdrawable(CheckedFields):
    """Records are never hard-deleted by users: they are withdrawn, with a reason, and can be restored."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    withdrawn_at = models.DateTimeField(gettext_lazy("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="+",
    )
    withdrawal_reason = models.TextField(gettext_lazy("withdrawal reason"), blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


def cached_count(qs: models.QuerySet) -> int:
    """``qs.count()``, remembered for VESTIGE_COUNT_CACHE_S seconds under the query's own SQL (its
    filters and the reader's case scope included) and the newest change in the history log, so a
    recorded edit changes the count at once. Counting 100,000 rows by a filter costs ~15 ms, more
    than the rest of a list page; a list read by many people at once counts it once."""
    import hashlib

    from django.core.cache import cache
    from django.core.exceptions import EmptyResultSet

    ttl = settings.VESTIGE_COUNT_CACHE_S
    if ttl <= 0:
        return qs.count()
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return 0

    newest = ChangeRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    key = "vestige:count:" + hashlib.sha256(f"{qs.db}|{sql}|{params!r}|{newest}".encode()).hexdigest()
    n = cache.get(key)
    if n is None:
        n = qs.count()
        cache.set(key, n, ttl)
    return n


def page_rows(qs: models.QuerySet, start: int, stop: int) -> list:
    """``list(qs[start:stop])`` in two steps: the page's keys first (filtered and sorted without the
    related tables), then those rows with their related records. PostgreSQL otherwise joins every
    matching row's grave and site before sorting, to keep fifty; the rows are the same, in order."""
    if stop <= start:
        return []
    ids = list(qs.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    by_pk = {o.pk: o for o in qs.order_by().filter(pk__in=ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk]
