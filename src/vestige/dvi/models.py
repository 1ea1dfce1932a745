"""INTERPOL DVI records beyond DNA: dental charts, distinguishing marks, clothing and effects,
medical findings (implants with their serial numbers), fingerprint records, and the comparisons
an examiner records and a second examiner verifies.

Every record is on one side: ante-mortem (AM, INTERPOL's yellow forms: what the family, the
dentist or the doctor knew of the missing person) or post-mortem (PM, the pink forms: what the
examiner found on the remains). AM records belong to a missing person and are written by the
family liaison; PM records belong to remains and are written by the forensic examiner. Writes go
through :mod:`vestige.dvi.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vestige.missing.models import MissingPerson
from vestige.records import CheckedFields
from vestige.registry.models import Remains


class Side(models.TextChoices):
    AM = "am", _("Ante-mortem")
    PM = "pm", _("Post-mortem")


class BodyRegion(models.TextChoices):
    HEAD = "head", _("Head")
    FACE = "face", _("Face")
    NECK = "neck", _("Neck")
    CHEST = "chest", _("Chest")
    ABDOMEN = "abdomen", _("Abdomen")
    BACK = "back", pgettext_lazy("body region", "Back")
    PELVIS = "pelvis", _("Pelvis")
    RIGHT_ARM = "right_arm", _("Right arm")
    LEFT_ARM = "left_arm", _("Left arm")
    RIGHT_HAND = "right_hand", _("Right hand")
    LEFT_HAND = "left_hand", _("Left hand")
    RIGHT_LEG = "right_leg", _("Right leg")
    LEFT_LEG = "left_leg", _("Left leg")
    RIGHT_FOOT = "right_foot", _("Right foot")
    LEFT_FOOT = "left_foot", _("Left foot")
    OTHER = "other", _("Other / unknown")


class Owned(CheckedFields):
    """A record of one missing person (AM) or of one set of remains (PM)."""

    side = models.CharField(_("side"), max_length=2, choices=Side.choices)
    missing_person = models.ForeignKey(MissingPerson, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("missing person"))
    remains = models.ForeignKey(Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("remains"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def owner(self):
        return self.missing_person if self.side == Side.AM else self.remains

    def clean(self) -> None:
        if self.side == Side.AM and (self.missing_person_id is None or self.remains_id is not None):
            raise ValidationError({"missing_person": _("An ante-mortem record belongs to one missing person.")})
        if self.side == Side.PM and (self.remains_id is None or self.missing_person_id is not None):
            raise ValidationError({"remains": _("A post-mortem record belongs to one set of remains.")})


class DentalChart(Owned):
    """One chart per missing person (from the dentist's records) and per remains (the PM
    examination): teeth in FDI notation, checked by :func:`vestige.dvi.odontology.normalise_chart`."""

    charted_on = models.DateField(_("charted on"), null=True, blank=True,
                                  help_text=_("The date of the dentist's record (AM) or of the examination (PM)."))
    source = models.CharField(_("source"), max_length=300, blank=True,
                              help_text=_("e.g. the dentist and clinic, or the examining odontologist."))
    teeth = models.JSONField(_("teeth"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    radiographs = models.ManyToManyField("evidence.EvidenceItem", blank=True, related_name="+",
                                         verbose_name=_("radiographs"))

    class Meta:
        ordering = ["side", "id"]
        constraints = [
            models.UniqueConstraint(fields=["missing_person"], condition=models.Q(side="am"), name="one_am_chart"),
            models.UniqueConstraint(fields=["remains"], condition=models.Q(side="pm"), name="one_pm_chart"),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} dental chart of {self.owner}"


class MarkKind(models.TextChoices):
    SCAR = "scar", _("Scar")
    TATTOO = "tattoo", _("Tattoo")
    PIERCING = "piercing", _("Piercing")
    AMPUTATION = "amputation", _("Amputation")
    BIRTHMARK = "birthmark", _("Birthmark")
    DEFORMITY = "deformity", _("Deformity")
    OTHER = "other", _("Other")


class Mark(Owned):
    """A distinguishing mark: scar, tattoo, piercing, amputation ... where on the body, and what it shows."""

    kind = models.CharField(_("kind"), max_length=12, choices=MarkKind.choices)
    region = models.CharField(_("body region"), max_length=12, choices=BodyRegion.choices)
    description = models.TextField(_("description"), blank=True)
    photo = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("photograph"))

    class Meta:
        ordering = ["side", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_region_display()})"


class EffectCategory(models.TextChoices):
    CLOTHING = "clothing", _("Clothing")
    FOOTWEAR = "footwear", _("Footwear")
    JEWELLERY = "jewellery", _("Jewellery")
    WATCH = "watch", _("Watch")
    DOCUMENT = "document", _("Document")
    PHONE = "phone", _("Phone")
    GLASSES = "glasses", _("Glasses")
    RELIGIOUS = "religious", _("Religious item")
    OTHER = "other", _("Other")


class Effect(Owned):
    """Clothing, personal effects and jewellery: described, photographed, linked to the remains."""

    category = models.CharField(_("category"), max_length=12, choices=EffectCategory.choices)
    description = models.TextField(_("description"))
    photo = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("photograph"))

    class Meta:
        ordering = ["side", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:60]}"


class MedicalKind(models.TextChoices):
    FRACTURE = "fracture", _("Old fracture")
    SURGERY = "surgery", _("Surgery")
    PROSTHESIS = "prosthesis", _("Prosthesis")
    IMPLANT = "implant", _("Implant (with a serial number)")
    DISEASE = "disease", _("Disease or condition")
    OTHER = "other", _("Other")


class MedicalFinding(Owned):
    """Old fractures, surgery, prostheses and implants. An implant's maker and serial number are a
    near-certain identifier: ``serial_key`` is the normalised form matched across AM and PM."""

    kind = models.CharField(_("kind"), max_length=12, choices=MedicalKind.choices)
    region = models.CharField(_("body region"), max_length=12, choices=BodyRegion.choices, default=BodyRegion.OTHER)
    description = models.TextField(_("description"), blank=True)
    maker = models.CharField(_("maker"), max_length=200, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    serial_key = models.CharField(max_length=100, blank=True, editable=False, db_index=True)
    document = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("document or radiograph"))

    class Meta:
        ordering = ["side", "id"]

    def __str__(self) -> str:
        serial = f" {self.maker} {self.serial}".rstrip() if self.serial or self.maker else ""
        return f"{self.get_kind_display()}{serial}"


class PrintKind(models.TextChoices):
    TEN_PRINT = "ten_print", _("Ten-print card")
    PARTIAL = "partial", _("Partial prints")
    LATENT = "latent", _("Latent prints (from the person's belongings)")


class PrintQuality(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    NO_VALUE = "no_value", _("No value")


class FingerprintRecord(Owned):
    """A ten-print card or partial prints, held as an evidence item, with its classification and
    quality. Vestige does not match fingerprints: it records what an AFIS or an examiner found."""

    kind = models.CharField(_("kind"), max_length=10, choices=PrintKind.choices)
    classification = models.CharField(_("classification"), max_length=200, blank=True,
                                      help_text=_("e.g. the Henry formula or the AFIS's pattern classes."))
    quality = models.CharField(_("quality"), max_length=10, choices=PrintQuality.choices)
    item = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("evidence item"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["side", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_quality_display()})"


class Method(models.TextChoices):
    DENTAL = "dental", _("Dental comparison")
    FINGERPRINTS = "fingerprints", _("Fingerprint comparison")
    RECONCILIATION = "reconciliation", _("Reconciliation (all identifiers)")


class Conclusion(models.TextChoices):
    # ABFO's scale for dental comparisons; ACE-V's identification / exclusion / inconclusive for prints.
    IDENTIFICATION = "identification", _("Identification")
    POSSIBLE = "possible", _("Possible identification")
    INCONCLUSIVE = "inconclusive", _("Insufficient evidence / inconclusive")
    EXCLUSION = "exclusion", _("Exclusion")


class Verification(models.TextChoices):
    PENDING = "pending", _("Awaiting verification")
    AGREED = "agreed", _("Verified")
    DISAGREED = "disagreed", _("Disputed by the verifier")


class Comparison(CheckedFields):
    """An examiner's conclusion on one remains against one missing person (ACE-V: analysis,
    comparison and evaluation by the examiner, verification by a second one). A conclusion counts
    on the identification board only once verified."""

    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    remains = models.ForeignKey(Remains, on_delete=models.PROTECT, related_name="+", verbose_name=_("remains"))
    missing_person = models.ForeignKey(MissingPerson, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("missing person"))
    conclusion = models.CharField(_("conclusion"), max_length=16, choices=Conclusion.choices)
    figures = models.JSONField(default=dict, blank=True)  # dental: score and counts when concluded; prints: AFIS score, points
    note = models.TextField(_("note"), blank=True)
    examined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    examined_at = models.DateTimeField(auto_now_add=True)
    verification = models.CharField(max_length=10, choices=Verification.choices, default=Verification.PENDING)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-examined_at", "-id"]
        indexes = [models.Index(fields=["remains", "missing_person"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.remains} / {self.missing_person.ref}: {self.get_conclusion_display()}"

    @property
    def verified(self) -> bool:
        return self.verification == Verification.AGREED
