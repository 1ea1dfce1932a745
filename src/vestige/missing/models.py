"""Missing persons (ante-mortem data), families, their pedigrees, donors, consent and reference
profiles. DNA profiles and family contacts are encrypted at rest (:mod:`vestige.crypto`).
Writes go through :mod:`vestige.missing.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vestige.records import CheckedFields, Withdrawable


class MemberSex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class MissingStatus(models.TextChoices):
    MISSING = "missing", _("Missing")
    IDENTIFIED = "identified", _("Identified")
    FOUND_ALIVE = "found_alive", _("Found alive")


class Sharing(models.TextChoices):
    """Whom a family lets see its data (their choice, on the portal or through their liaison)."""

    ORGANISATION = "organisation", _("This organisation only")
    PARTNERS = "partners", _("This organisation and partner organisations")
    STATE = "state", _("Also the state's register of missing persons")


class Family(Withdrawable):

    IDENTIFIERS = ('ref',)
    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"), help_text=_("The case this record belongs to."))
    ref = models.CharField(_("reference"), max_length=64, unique=True)
    name = models.CharField(_("family name"), max_length=200, help_text=_("How the family is known, e.g. a surname."))
    contact_encrypted = models.TextField(editable=False, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    sharing = models.CharField(_("who may see the family's data"), max_length=12, choices=Sharing.choices,
                               default=Sharing.PARTNERS,
                               help_text=_("The family's choice; the DVI exchange with partners honours it."))

    class Meta:
        ordering = ["ref"]
        verbose_name = _("family")
        verbose_name_plural = _("families")

    def __str__(self) -> str:
        return f"{self.ref} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("missing:family-detail", args=[self.ref])


class Member(CheckedFields):
    """A person in a family's pedigree: the missing, the donors and the untyped links between them."""

    IDENTIFIERS = ('code',)

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="members")
    code = models.CharField(_("pedigree id"), max_length=64, help_text=_("e.g. F, M, S1 (unique in the family)"))
    sex = models.CharField(_("sex"), max_length=8, choices=MemberSex.choices, default=MemberSex.UNKNOWN)
    father = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    mother = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deceased = models.BooleanField(_("deceased"), default=False)
    label = models.CharField(_("relationship"), max_length=100, blank=True, help_text=_("e.g. mother of the missing"))

    class Meta:
        verbose_name = _("pedigree member")
        verbose_name_plural = _("pedigree members")
        ordering = ["family", "id"]
        constraints = [models.UniqueConstraint(fields=["family", "code"], name="member_code_unique_in_family")]

    def __str__(self) -> str:
        return f"{self.family.ref}/{self.code}"


class MissingPerson(Withdrawable):

    IDENTIFIERS = ('ref',)
    ref = models.CharField(_("reference"), max_length=64, unique=True)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="missing_persons")
    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="missing_person")
    family_name = models.CharField(_("surname"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    name_key = models.CharField(max_length=300, editable=False, db_index=True)  # derived: names.name_key
    sex = models.CharField(_("sex"), max_length=8, choices=MemberSex.choices, default=MemberSex.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True,
                                                 validators=[MinValueValidator(40), MaxValueValidator(250)])
    last_seen_on = models.DateField(_("last seen on"), null=True, blank=True)
    last_seen_place = models.CharField(_("last seen at"), max_length=200, blank=True)
    last_seen_latitude = models.FloatField(_("latitude"), null=True, blank=True,
                                           validators=[MinValueValidator(-90), MaxValueValidator(90)])
    last_seen_longitude = models.FloatField(_("longitude"), null=True, blank=True,
                                            validators=[MinValueValidator(-180), MaxValueValidator(180)])
    circumstances = models.TextField(_("circumstances"), blank=True)
    clothing = models.TextField(_("clothing"), blank=True)
    distinguishing_marks = models.TextField(_("distinguishing marks"), blank=True)
    dental_notes = models.TextField(_("dental notes"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=MissingStatus.choices, default=MissingStatus.MISSING)

    class Meta:
        ordering = ["ref"]
        verbose_name = _("missing person")
        verbose_name_plural = _("missing persons")

    def __str__(self) -> str:
        return f"{self.ref} {self.family_name} {self.given_name}"

    @property
    def full_name(self) -> str:
        return " ".join(x for x in (self.family_name, self.given_name, self.patronymic) if x)

    def get_absolute_url(self) -> str:
        return reverse("missing:person-detail", args=[self.ref])


class Donor(Withdrawable):
    """A relative (or the missing person's own item) who gave a reference sample, with consent."""

    IDENTIFIERS = ('code',)

    code = models.CharField(_("code"), max_length=64, unique=True)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="donors")
    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="donor")
    contact_encrypted = models.TextField(editable=False, blank=True)
    consent_on = models.DateField(_("consent date"))
    consent_scope = models.CharField(_("consent scope"), max_length=300,
                                     default="Identification of the missing relative")
    consent_withdrawn_on = models.DateField(_("consent withdrawn on"), null=True, blank=True)
    consent_withdrawn_reason = models.TextField(_("withdrawal of consent"), blank=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def consent_active(self) -> bool:
        return self.consent_withdrawn_on is None


class ReferenceProfile(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="profiles")
    lab = models.CharField(_("laboratory"), max_length=200)
    kit = models.CharField(_("kit"), max_length=100)
    profile_encrypted = models.TextField(editable=False)
    markers = models.PositiveSmallIntegerField(editable=False, default=0)  # count, shown to every role
    dropout = models.FloatField(_("drop-out probability"), default=0.0)  # a degraded reference (e.g. a toothbrush)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-imported_at"]


class RegisterExtract(models.Model):
    """A numbered, dated extract of a missing person's record, as issued (the fields are kept as
    printed, so a reissue after a correction is a new extract); verifiable by its number and check
    code on the public verification page; revoked, never deleted."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    check_code = models.CharField(max_length=16, editable=False)
    missing_person = models.ForeignKey(MissingPerson, on_delete=models.PROTECT, related_name="extracts")
    fields = models.JSONField(default=dict, editable=False)  # the record as printed
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class ListStatus(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    QUEUED = "queued", _("Queued")
    LINKING = "linking", _("Linking")
    LINKED = "linked", _("Linked")
    FAILED = "failed", _("Failed")


class PersonList(models.Model):
    """A list of people from another organisation (a National Information Bureau, a unit, the
    ICRC), imported as it came, to be reconciled with the register (issue 31)."""

    ref = models.CharField(_("reference"), max_length=32, unique=True)
    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source organisation"), max_length=200,
                              help_text=_("Who compiled the list, e.g. the National Information Bureau."))
    received_on = models.DateField(_("received on"), null=True, blank=True)
    file_name = models.CharField(max_length=300, editable=False)
    sha256 = models.CharField(max_length=80, editable=False)  # "sha256:<hex>" of the file as received
    rows = models.PositiveIntegerField(default=0, editable=False)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=ListStatus.choices, default=ListStatus.IMPORTED)
    threshold = models.FloatField(_("threshold"), default=0.99,
                                  validators=[MinValueValidator(0.5), MaxValueValidator(0.999999)],
                                  help_text=_("The match probability a proposal needs."))
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    message = models.TextField(blank=True, editable=False)
    model = models.JSONField(default=dict, editable=False)  # the fitted Fellegi–Sunter model (Splink's JSON)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("list of people")
        verbose_name_plural = _("lists of people")

    def __str__(self) -> str:
        return f"{self.ref} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("missing:list-detail", args=[self.ref])


class EntryStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("No proposal")
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    CREATED = "created", _("New record")


class ListEntry(models.Model):
    """One row of a list, as it came (``fields``), with the register record proposed for it and a
    person's decision."""

    person_list = models.ForeignKey(PersonList, on_delete=models.PROTECT, related_name="entries")
    line = models.PositiveIntegerField(_("line"))
    fields = models.JSONField(default=dict)
    name_key = models.CharField(max_length=300, editable=False, db_index=True)  # derived: names.name_key
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.UNMATCHED)
    proposed = models.ForeignKey(MissingPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    match_weight = models.FloatField(null=True, blank=True)
    match_probability = models.FloatField(null=True, blank=True)
    explanation = models.JSONField(default=dict, blank=True)  # the comparisons, their levels and weights
    person = models.ForeignKey(MissingPerson, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="list_entries")  # the record the decision joined it to
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["person_list", "line"]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        constraints = [models.UniqueConstraint(fields=["person_list", "line"], name="list_entry_line_unique")]

    def __str__(self) -> str:
        return f"{self.person_list.ref}:{self.line}"

    @property
    def full_name(self) -> str:
        f = self.fields
        return " ".join(x for x in (f.get("family_name"), f.get("given_name"), f.get("patronymic")) if x)


class FamilyAccess(models.Model):
    """A family member's personal access to their own case (issue 31, part 1): a link their liaison
    hands them, valid until it expires or is revoked. Only the SHA-256 of the link's secret is kept."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="accesses")
    label = models.CharField(_("for whom"), max_length=200, help_text=_("e.g. Olena, sister of the missing"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("family access")
        verbose_name_plural = _("family accesses")

    def __str__(self) -> str:
        return f"{self.family.ref}: {self.label}"


class FamilyAccessEvent(models.Model):
    """What a family did through its access: every read and every choice."""

    access = models.ForeignKey(FamilyAccess, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    what = models.CharField(max_length=32)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]


class FamilyMessage(models.Model):
    """A message between a family and its liaison (encrypted at rest)."""

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")  # the liaison; None: the family wrote it
    access = models.ForeignKey(FamilyAccess, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text_encrypted = models.TextField(editable=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
