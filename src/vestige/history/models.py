"""The change history of every case record: who, when, what changed, and why.

Rows are only ever inserted (by :func:`vestige.history.services.record`, inside the service's
own transaction, so a change and its record commit or fail together).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    WITHDRAWN = "withdrawn", _("withdrawn")
    RESTORED = "restored", _("restored")
    IMPORTED = "imported", _("imported")
    VIEWED = "viewed", _("viewed")


class ChangeRecord(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)
    # {field: [old, new]} in JSON-safe form; for "created"/"imported" old is null.
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    via = models.CharField(max_length=16, default="web")  # web | api | cli | import | demo

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.content_type}#{self.object_id}"


class Counter(models.Model):
    """The last number handed out for one kind of reference (``MP-``, ``CLM-``, ``EV-`` ...).

    Incremented by an UPDATE in the caller's transaction, which locks the row until commit: two
    writers can never get the same number (PostgreSQL or SQLite), and numbers grow past any
    width (``MP-99999`` is followed by ``MP-100000``), unlike sorting the references as text.
    """

    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=0)
