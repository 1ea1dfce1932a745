"""DNA samples of remains, matching runs, candidates and identification decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vestige.missing.models import MissingPerson
from vestige.records import CheckedFields
from vestige.registry.models import Remains


class Material(models.TextChoices):
    BONE = "bone", _("Bone")
    TOOTH = "tooth", _("Tooth")
    TISSUE = "tissue", _("Tissue")
    OTHER = "other", _("Other")


class SampleStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DISCORDANT = "discordant", _("Disagrees with the body's other samples")  # out of matching until resolved
    EXCLUDED = "excluded", _("Excluded")


class RemainsSample(CheckedFields):

    IDENTIFIERS = ('code',)
    code = models.CharField(_("sample code"), max_length=80, unique=True)
    remains = models.ForeignKey(Remains, on_delete=models.PROTECT, related_name="dna_samples")
    material = models.CharField(_("material"), max_length=10, choices=Material.choices)
    element = models.ForeignKey("registry.SkeletalElement", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="samples", verbose_name=_("skeletal element"),
                                help_text=_("The bone the sample was cut from, when the inventory records it."))
    lab = models.CharField(_("laboratory"), max_length=200)
    kit = models.CharField(_("kit"), max_length=100)
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    profile_encrypted = models.TextField(editable=False)
    markers = models.PositiveSmallIntegerField(editable=False, default=0)
    dropout = models.FloatField(_("drop-out probability"), default=0.0,
                                help_text=_("Allelic drop-out probability of a degraded sample (0 for a clean profile)."))
    status = models.CharField(_("status"), max_length=10, choices=SampleStatus.choices, default=SampleStatus.ACCEPTED)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("remains sample")
        verbose_name_plural = _("remains samples")
        ordering = ["code"]


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class MatchingRun(models.Model):
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    scope_site = models.CharField(max_length=32, blank=True)  # a site ref, or empty for all
    scope_families = models.TextField(blank=True)  # comma-separated family refs, or empty for all
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    message = models.TextField(blank=True)
    current = models.BooleanField(default=False)  # the run whose candidates are in force
    samples = models.PositiveIntegerField(default=0)
    missing_persons = models.PositiveIntegerField(default=0)
    candidates_found = models.PositiveIntegerField(default=0)
    engine_seconds = models.FloatField(default=0)
    total_seconds = models.FloatField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # a live worker touches it; a stale one failed
    task_id = models.CharField(max_length=64, blank=True)  # its django-tasks task, when a worker runs it
    inputs = models.JSONField(default=dict)  # frequency table and its SHA-256, mutation model, drop-out, prior, engine
    timings = models.JSONField(default=dict)  # seconds per phase
    counts = models.JSONField(default=dict)  # remains, bodies, families searched, groups, ...
    joint = models.JSONField(default=dict)  # the joint result: groups with their best assignments, symmetric matches
    unsearchable = models.JSONField(default=list)  # families that cannot be searched yet, with the reason
    duplicates = models.JSONField(default=list)  # remains samples that look like one person (pm-match)
    plans = models.JSONField(default=dict)  # weak families: the planning engine's figures (whom to ask for)
    lineage = models.JSONField(default=dict)  # system → HaplotypeDatabase pk chosen for the run (y, mt, x)

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"run #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("identification:run-detail", args=[self.pk])

    @property
    def summary(self) -> str:
        """What the run did, in the reader's language, from its figures (``message`` keeps the text
        of the language the worker ran in, and a failure's own words)."""
        from django.utils.translation import gettext

        if self.status == RunStatus.DONE and "candidates" in self.counts:
            text = gettext("%(n)d candidates for %(s)d bodies") % {"n": self.counts["candidates"],
                                                                    "s": self.counts.get("bodies", 0)}
            phases = {k: v for k, v in self.timings.items() if k != "search_engine"}
            if phases:
                text += " (" + ", ".join(f"{k} {v} s" for k, v in phases.items()) + ")"
            added = self.inputs.get("alleles_added") or []
            if added:
                text += "; " + gettext("rare alleles added at the minimum frequency: %(a)s") % {"a": ", ".join(added)}
            return text
        if self.status == RunStatus.RUNNING and self.message == "Reading profiles":
            return gettext("Reading profiles")
        if self.status == RunStatus.QUEUED and self.message == "Waiting for a task worker":
            return gettext("Waiting for a task worker")
        return self.message


class JointGroup(models.Model):
    """One group of related remains and missing persons solved jointly by a run: its remains,
    missing persons, best assignments and the matches the DNA cannot tell apart."""

    run = models.ForeignKey(MatchingRun, on_delete=models.PROTECT, related_name="groups")
    index = models.PositiveIntegerField()
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="joint_group_unique_in_run")]


class Candidate(models.Model):
    run = models.ForeignKey(MatchingRun, on_delete=models.PROTECT, related_name="candidates")
    remains = models.ForeignKey(Remains, on_delete=models.PROTECT, related_name="candidates")
    missing_person = models.ForeignKey(MissingPerson, on_delete=models.PROTECT, related_name="candidates")
    lr = models.FloatField()
    log10_lr = models.FloatField(null=True)
    posterior = models.FloatField()
    markers_compared = models.PositiveSmallIntegerField()
    marker_lrs = models.JSONField(default=dict)
    flags = models.JSONField(default=dict)  # {"sex": "ok"|"conflict"|"unknown", ...} with details
    conflicts = models.PositiveSmallIntegerField(default=0)
    prior = models.FloatField(default=0.0)  # the prior per pair the posterior used
    tolerance = models.FloatField(default=0.0)  # how far the posterior may be off (the joint group's bound)
    exact = models.BooleanField(default=True)  # the posterior is the joint marginal (False: pairwise only)
    log10_glr = models.FloatField(null=True)  # best assignment with this pairing against the best without it
    dna_flags = models.JSONField(default=list)  # competing candidates, symmetric match, drop-out, duplicates
    systems = models.JSONField(default=dict)  # log10 LR per system (autosomal, y, mt, x, snp; None: not compared)
    segments = models.JSONField(default=dict)  # SNPs: IBD segments shared with each SNP-typed reference (see snp_segments)
    group = models.PositiveIntegerField(null=True)  # index of the joint group in the run
    # a large group's best assignments as this candidate's page shows them (its own pairs, how many
    # others): a national run's group holds thousands of pairs, too many to read on every view
    group_view = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-log10_lr"]
        indexes = [models.Index(fields=["run", "remains"]), models.Index(fields=["run", "missing_person"])]

    def get_absolute_url(self) -> str:
        return reverse("identification:candidate-detail", args=[self.pk])


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class IdentifiedBy(models.TextChoices):
    """The primary identifier(s) that established identity (INTERPOL DVI: DNA, odontology, friction ridge)."""
    DNA = "dna", _("DNA")
    DENTAL = "dental", _("Dental comparison")
    FINGERPRINTS = "fingerprints", _("Fingerprints")
    COMBINED = "combined", _("Combined (two or more primary identifiers)")


class Identification(models.Model):
    remains = models.ForeignKey(Remains, on_delete=models.PROTECT, related_name="identifications")
    missing_person = models.ForeignKey(MissingPerson, on_delete=models.PROTECT, related_name="identifications")
    candidate = models.ForeignKey(Candidate, null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED)
    posterior = models.FloatField(null=True)  # the DNA posterior; None when DNA did not take part
    identified_by = models.CharField(_("identified by"), max_length=12, choices=IdentifiedBy.choices,
                                     default=IdentifiedBy.DNA)
    identifiers = models.JSONField(default=dict)  # the board's figures when proposed: dental, prints, implants
    basis = models.TextField(_("basis"))
    below_threshold_reason = models.TextField(blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True)
    decision_note = models.TextField(blank=True)
    notified_on = models.DateField(null=True)
    notified_how = models.CharField(max_length=200, blank=True)
    notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    returned_on = models.DateField(null=True)

    class Meta:
        verbose_name = _("identification")
        verbose_name_plural = _("identifications")
        ordering = ["-proposed_at"]


class DuplicateGroup(models.Model):
    """Remains that are one person (several bones of one body), confirmed by two people.

    A confirmed group is one body in matching, counts and reports; every bone keeps its own record.
    """

    remains = models.ManyToManyField(Remains, related_name="duplicate_groups")
    status = models.CharField(max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED)
    log10_lr = models.FloatField(null=True)  # the DNA's LR "same person" against "unrelated", when from pm-match
    basis = models.TextField(_("basis"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return " + ".join(r.body_number for r in self.remains.all())

    def get_absolute_url(self) -> str:
        return reverse("identification:duplicate-detail", args=[self.pk])


class LineageSystem(models.TextChoices):
    Y = "y", _("Y-STR")
    MT = "mt", _("mtDNA")
    X = "x", _("X-STR")
    SNP = "snp", _("SNP panel")


class LineageProfile(models.Model):
    """A Y-STR, mtDNA or X-STR profile of a remains sample or of a donor, as the lab's file gave it
    (its rows, encrypted like every DNA profile); the newest of each owner and system is used."""

    system = models.CharField(_("system"), max_length=3, choices=LineageSystem.choices)
    sample = models.ForeignKey(RemainsSample, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="lineage_profiles")
    donor = models.ForeignKey("missing.Donor", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="lineage_profiles")
    data_encrypted = models.TextField(editable=False)
    loci = models.PositiveSmallIntegerField(default=0, editable=False)  # loci or positions typed: shown to every role
    lab = models.CharField(_("laboratory"), max_length=200)
    source = models.CharField(max_length=300, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [models.CheckConstraint(
            condition=(models.Q(sample__isnull=False, donor__isnull=True) | models.Q(sample__isnull=True, donor__isnull=False)),
            name="lineage_profile_one_owner")]


class HaplotypeDatabase(models.Model):
    """A population database for a lineage system with its provenance (population, size, source)
    and the model that goes with it (Y and mtDNA: mutation rates; X: the genetic map); a matching
    run names the ones it uses. Population data, not personal: stored as uploaded, with its hash."""

    system = models.CharField(_("system"), max_length=3, choices=LineageSystem.choices)
    name = models.CharField(_("name"), max_length=200)
    population = models.CharField(_("population"), max_length=200)
    source = models.CharField(_("source"), max_length=500, help_text=_("Publication, release or laboratory it comes from."))
    file_name = models.CharField(max_length=300)
    content = models.TextField(editable=False)
    model_name = models.CharField(max_length=300, blank=True)
    model = models.JSONField(default=dict, editable=False)
    rows = models.PositiveIntegerField(default=0, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["system", "name"]
        constraints = [models.UniqueConstraint(fields=["system", "name"], name="haplotype_database_unique_name")]

    def __str__(self) -> str:
        return f"{self.get_system_display()}: {self.name} ({self.population}, {self.rows})"


class PedigreeFlagResolution(models.Model):
    """A person's finding that a flagged pair of a family's references is explained (issue 27,
    part 3): the pair's flag stops marking the family's matches — they say "resolved" instead —
    for as long as the two references' profiles stay those the person looked at (``digest``)."""

    family = models.ForeignKey("missing.Family", on_delete=models.PROTECT, related_name="flag_resolutions")
    pair = models.CharField(_("pair"), max_length=140)  # "A-B": the members' pedigree ids
    digest = models.CharField(max_length=64, editable=False)  # SHA-256 of the pair's genotypes then
    note = models.TextField(_("explanation"))
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-resolved_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.family_id}: {self.pair}"
