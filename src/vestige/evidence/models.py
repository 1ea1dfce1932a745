"""Evidence items, their write-once blobs, provenance, links and the custody ledger.

Blobs are content-addressed files (``blobs/sha256/ab/cd/<hex>``) written before their row;
a row exists only for a blob that is fully on disk. Custody events are only ever appended,
each chained to the one before and a leaf of the ledger's Merkle tree (:mod:`vestige.ledger`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vestige.records import CheckedFields
from vestige.registry.models import Grave, Remains, Site


class Blob(models.Model):
    sha256 = models.CharField(max_length=71, unique=True)  # sha256:<hex>
    sha1 = models.CharField(max_length=40)
    md5 = models.CharField(max_length=32)
    size = models.BigIntegerField()
    stored_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class EvidenceItem(models.Model):
    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"), help_text=_("The case this record belongs to."))
    ref = models.CharField(_("reference"), max_length=20, unique=True)
    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, related_name="item")
    title = models.CharField(_("title"), max_length=300, blank=True)
    media_type = models.CharField(_("type"), max_length=100)
    original_name = models.CharField(_("original file name"), max_length=500, blank=True)
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="derivatives")
    derivation = models.CharField(max_length=40, blank=True)  # e.g. "thumbnail"
    metadata = models.JSONField(default=dict)
    phash = models.BigIntegerField(null=True, blank=True, db_index=True)  # signed form of the 64-bit pHash
    graphic = models.BooleanField(_("graphic"), default=True, help_text=_("Blurred in lists until revealed."))
    failed_steps = models.JSONField(default=list)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_verification_ok = models.BooleanField(null=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")

    def __str__(self) -> str:
        return self.ref

    def get_absolute_url(self) -> str:
        return reverse("evidence:item-detail", args=[self.ref])

    @property
    def sha256(self) -> str:
        return self.blob.sha256


class Provenance(CheckedFields):
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="provenance")
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_url = models.CharField(_("source URL"), max_length=2000, blank=True)
    collected_by = models.CharField(_("collected by"), max_length=200, blank=True)
    method = models.CharField(_("method"), max_length=200, blank=True)
    acquired_at = models.DateTimeField(_("acquired at"), null=True, blank=True)
    original_name = models.CharField(_("original file name"), max_length=500, blank=True)
    source_hash = models.CharField(_("hash given by the source"), max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]


class EvidenceLink(models.Model):
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="links")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_links")
    grave = models.ForeignKey(Grave, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_links")
    remains = models.ForeignKey(Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_links")

    @property
    def target(self):
        return self.site or self.grave or self.remains


class EventKind(models.TextChoices):
    RECEIVED = "received", _("received")
    STORED = "stored", _("stored")
    HASHED = "hashed", _("hashed")
    METADATA = "metadata", _("metadata extracted")
    DERIVED = "derived", _("derivative made")
    STEP_FAILED = "step_failed", _("step failed")
    LINKED = "linked", _("linked")
    UNLINKED = "unlinked", _("link removed")
    VIEWED = "viewed", _("viewed")
    DOWNLOADED = "downloaded", _("downloaded")
    EXPORTED = "exported", _("exported")
    VERIFIED = "verified", _("verified")
    PROVENANCE = "provenance", _("provenance added")


class CustodyEvent(models.Model):
    """One ledger entry. ``data`` is its canonical JSON; nothing here is ever updated."""

    index = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    item = models.ForeignKey(EvidenceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    data = models.TextField()
    entry_hash = models.CharField(max_length=71)
    leaf_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["index"]


class LedgerState(models.Model):
    """A single row locked by every append, so that entries get consecutive indexes. It holds the
    Merkle frontier (O(log n) hashes) and the live signed head covering every entry; none of it
    is trusted by the verifier, which recomputes everything from the entries."""

    size = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=71)
    frontier = models.TextField(default="", blank=True)
    head_number = models.BigIntegerField(default=0)
    head_size = models.BigIntegerField(default=0)
    head_root = models.CharField(max_length=64, blank=True)
    head_time = models.CharField(max_length=40, blank=True)
    head_signature = models.TextField(blank=True)


class TreeHeadRecord(models.Model):
    """A kept signed head, numbered 1, 2, 3 ... (the number is signed: a deleted head is a gap)."""

    number = models.BigIntegerField(unique=True)
    size = models.BigIntegerField()
    root = models.CharField(max_length=64)
    time = models.CharField(max_length=40)
    signature = models.TextField()

    class Meta:
        ordering = ["-number"]


class HeadTimestamp(models.Model):
    """An RFC 3161 token from a Time-Stamping Authority over a kept head (its canonical JSON,
    signature included): a third party's word that the head existed no later than ``time``. The
    token is self-authenticating (the TSA's signature); ``time``, ``tsa_name`` and ``root_sha256``
    are read from it when it was verified, for lists."""

    head = models.ForeignKey(TreeHeadRecord, on_delete=models.PROTECT, related_name="timestamps")
    tsa_url = models.CharField(max_length=500)
    token = models.BinaryField()
    time = models.CharField(max_length=40)
    tsa_name = models.CharField(max_length=500, blank=True)
    root_sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-head__number", "tsa_url"]
        constraints = [models.UniqueConstraint(fields=["head", "tsa_url"], name="one_timestamp_per_head_and_tsa")]


class HeadCosignature(models.Model):
    """A witness's cosignature (``c2sp.org/tlog-cosignature`` v1) over the checkpoint of a kept
    head: an independent organisation's word that, at ``timestamp``, this was the largest tree of
    the log it had seen consistent with every earlier one. ``line`` is the signature line as the
    witness sent it; it verifies only over the head's own size and root, so a rewritten or
    re-signed log leaves every earlier cosignature failing."""

    head = models.ForeignKey(TreeHeadRecord, on_delete=models.PROTECT, related_name="cosignatures")
    witness = models.CharField(max_length=200)  # the witness's key name
    key_id = models.CharField(max_length=8)
    timestamp = models.BigIntegerField()  # POSIX seconds, from the cosignature
    line = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-head__number", "witness"]
        constraints = [models.UniqueConstraint(fields=["head", "witness", "key_id"], name="one_cosignature_per_head_and_witness")]


class JobKind(models.TextChoices):
    EXPORT = "export", _("BagIt export")
    VERIFY = "verify", _("verification")
    CAPTURE = "capture", _("web capture")
    INGEST = "ingest", _("upload intake")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class EvidenceJob(models.Model):
    """Long evidence work started from the pages — a bag export, a verification, a web capture or
    the intake of a large upload — run as a task (vestige/tasks.py) with its progress, its heartbeat
    (a silent job is marked failed) and its result."""

    kind = models.CharField(max_length=8, choices=JobKind.choices)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    params = models.JSONField(default=dict)  # what was asked: site, items, all
    result = models.JSONField(default=dict)  # items, problems, bag file, fingerprint
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # its django-tasks task, when a worker runs it

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("evidence:job-detail", args=[self.pk])
