"""Claims (who said what, when, with what figure), their verification, incidents and witnesses.

Claimed, recorded and verified figures are kept apart: a claim's quantity is what the issuer
said; the registry's counts are computed (``vestige.reports``); a figure is "verified" only
through a claim whose status is verified (UN HRMMU practice: only individually verified figures).
Writes go through :mod:`vestige.claims.services`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vestige.records import CheckedFields, Withdrawable
from vestige.registry.models import Grave, Remains, Site


class IssuerType(models.TextChoices):
    OFFICIAL = "official", _("Official")
    WITNESS = "witness", _("Witness")
    MEDIA = "media", _("Media")
    NGO = "ngo", _("NGO")
    PERPETRATOR_SIDE = "perpetrator_side", _("Perpetrator side")
    OTHER = "other", _("Other")


class Issuer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=IssuerType.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("issuer")
        verbose_name_plural = _("issuers")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="issuer_unique")]

    def __str__(self) -> str:
        return self.name


class ClaimCategory(models.TextChoices):
    DEAD = "dead", _("Number of dead")
    GRAVES = "graves", _("Graves")
    TORTURE = "torture", _("Torture")
    CAUSE_OF_DEATH = "cause_of_death", _("Cause of death")
    PERPETRATOR = "perpetrator", _("Perpetrator")
    PLACE = "place", _("Place")
    DATE = "date", _("Date")
    IDENTIFIED = "identified", _("Identified")
    OTHER = "other", _("Other")


Category = ClaimCategory  # the name the code uses; the API's schema calls it ClaimCategory


class Qualifier(models.TextChoices):
    EXACT = "exact", _("exactly")
    AT_LEAST = "at_least", _("at least")
    UP_TO = "up_to", _("up to")
    ABOUT = "about", _("about")


class Unit(models.TextChoices):
    GRAVES = "graves", _("graves")
    BODIES = "bodies", _("bodies")
    PERSONS = "persons", _("persons")
    KM2 = "km2", _("km²")
    OTHER = "other", _("other")


class Measure(models.TextChoices):
    """The registry figure a claimed quantity can be checked against (reconciliation)."""

    REMAINS = "remains_total", _("bodies recovered")
    GRAVES = "graves_recorded", _("graves")
    TORTURE = "with_torture", _("bodies with signs of torture")
    IDENTIFIED = "identified", _("identified")
    CHILDREN = "b_children", _("children")
    SERVICEMEN = "b_servicemen", _("servicemen")
    WOMEN = "b_women", _("women")
    MEN = "b_men", _("men")
    UNDETERMINED = "b_undetermined", _("sex undetermined")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    CORROBORATED = "corroborated", _("Corroborated")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")
    REFUTED = "refuted", _("Refuted")


class DatePrecision(models.TextChoices):
    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class IncidentType(models.TextChoices):
    AIRSTRIKE = "airstrike", _("Airstrike")
    SHELLING = "shelling", _("Shelling or missile strike")
    KILLING = "killing", _("Killing of civilians")
    DETENTION = "detention", _("Detention or disappearance")
    TORTURE = "torture", _("Torture")
    BATTLE = "battle", _("Armed clash")
    OTHER = "other", _("Other")


class Incident(Withdrawable):

    IDENTIFIERS = ('ref',)
    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"), help_text=_("The case this record belongs to."))
    ref = models.CharField(_("reference"), max_length=40, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=IncidentType.choices)
    title = models.CharField(_("title"), max_length=200)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)
    date_precision = models.CharField(_("date precision"), max_length=8, choices=DatePrecision.choices,
                                      default=DatePrecision.DAY)
    place = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True,
                                 validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), null=True, blank=True,
                                  validators=[MinValueValidator(-180), MaxValueValidator(180)])
    description = models.TextField(_("description"), blank=True)
    reported_fatalities = models.PositiveIntegerField(_("reported fatalities"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True, help_text=_("e.g. an ACLED event id"))
    sites = models.ManyToManyField(Site, blank=True, related_name="incidents", verbose_name=_("sites"))
    remains = models.ManyToManyField(Remains, blank=True, related_name="incidents", verbose_name=_("remains"))

    class Meta:
        ordering = ["-started_on", "ref"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("claims:incident-detail", args=[self.ref])

    def clean(self) -> None:
        if isinstance(self.started_on, dt.date) and isinstance(self.ended_on, dt.date) and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("The end date is before the start date.")})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude": _("Give both latitude and longitude, or neither.")})


class Claim(Withdrawable):

    IDENTIFIERS = ('ref',)
    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"), help_text=_("The case this record belongs to."))
    ref = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="claims", verbose_name=_("issuer"))
    said_on = models.DateField(_("date"))
    date_precision = models.CharField(_("date precision"), max_length=8, choices=DatePrecision.choices,
                                      default=DatePrecision.DAY)
    quote = models.TextField(_("quote (original language)"),
                             help_text=_("Short quotation in the original language, or a paraphrase (tick below)."))
    quote_language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("e.g. uk, ru, en"))
    translation = models.TextField(_("translation"), blank=True)
    is_paraphrase = models.BooleanField(_("paraphrase, not a quotation"), default=False)
    source_url = models.URLField(_("where it was said (URL)"), blank=True, max_length=1000)
    source_note = models.CharField(_("source note"), max_length=300, blank=True,
                                   help_text=_("Publication, statement or document."))
    source_evidence = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="claims_said", verbose_name=_("where it was said (evidence item)"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
                             verbose_name=_("site"))
    grave = models.ForeignKey(Grave, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
                              verbose_name=_("grave"))
    remains = models.ForeignKey(Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
                                verbose_name=_("remains"))
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
                                 verbose_name=_("incident"))
    value_min = models.DecimalField(_("value (or lower bound)"), max_digits=14, decimal_places=2, null=True, blank=True)
    value_max = models.DecimalField(_("upper bound of a range"), max_digits=14, decimal_places=2, null=True, blank=True)
    qualifier = models.CharField(_("qualifier"), max_length=10, choices=Qualifier.choices, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, blank=True)
    counted = models.CharField(_("what was counted"), max_length=300, blank=True,
                               help_text=_("The definition, e.g. 'bodies exhumed, civilians and servicemen'."))
    measure = models.CharField(_("compare with the registry's"), max_length=20, choices=Measure.choices, blank=True,
                               help_text=_("Which computed figure this quantity claims, for reconciliation."))
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.REPORTED,
                              editable=False)

    class Meta:
        ordering = ["said_on", "ref"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [models.Index(fields=["site", "category"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.ref} ({self.issuer}, {self.said_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("claims:claim-detail", args=[self.ref])

    @property
    def has_quantity(self) -> bool:
        return self.value_min is not None

    def interval(self) -> tuple[float, float] | None:
        """The values the claim allows: exact v → [v, v]; at least v → [v, ∞); up to v → [0, v];
        about v → [0.9v, 1.1v]; a range → [min, max]."""
        if self.value_min is None:
            return None
        lo = float(self.value_min)
        if self.value_max is not None:
            return lo, float(self.value_max)
        return {
            Qualifier.AT_LEAST: (lo, float("inf")),
            Qualifier.UP_TO: (0.0, lo),
            Qualifier.ABOUT: (0.9 * lo, 1.1 * lo),
        }.get(self.qualifier, (lo, lo))

    def quantity_text(self) -> str:
        if self.value_min is None:
            return ""
        def num(v):
            return f"{v:,.0f}" if v == int(v) else f"{v:,}"
        value = num(self.value_min) + (f"–{num(self.value_max)}" if self.value_max is not None else "")
        q = self.get_qualifier_display() if self.qualifier and self.qualifier != Qualifier.EXACT else ""
        return " ".join(x for x in (str(q), value, str(self.get_unit_display()) if self.unit else "") if x)

    def clean(self) -> None:
        errors = {}
        if self.value_max is not None and self.value_min is None and self.qualifier in ("", Qualifier.EXACT,
                                                                                           Qualifier.UP_TO):
            # an upper bound alone ("up to 450") is the figure with its qualifier, as it is stored
            self.value_min, self.value_max, self.qualifier = self.value_max, None, Qualifier.UP_TO
        if self.value_min is not None and self.value_max is not None and self.value_max < self.value_min:
            errors["value_max"] = _("The upper bound is below the lower bound.")
        if self.value_max is not None and self.value_min is None:  # "at least" or "about" an upper bound
            errors["value_min"] = _("Give the lower bound of the range.")
        if self.value_min is not None and not self.unit:
            errors["unit"] = _("Say what the figure counts (a unit).")
        if self.value_min is not None and self.value_min < 0:
            errors["value_min"] = _("A count cannot be negative.")
        if not any((self.site_id, self.grave_id, self.remains_id, self.incident_id)):
            errors["site"] = _("Say what the claim is about: a site, grave, remains or incident.")
        if self.grave_id and self.site_id and self.grave.site_id != self.site_id:
            errors["grave"] = _("This grave is at another site.")
        if errors:
            raise ValidationError(errors)


class Verification(models.Model):
    """One change of a claim's verification status, with the Berkeley Protocol assessments."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verifications")
    from_status = models.CharField(max_length=14, choices=Status.choices)
    to_status = models.CharField(max_length=14, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)
    rationale = models.TextField(_("rationale"))
    source_assessment = models.TextField(_("source analysis"), blank=True,
                                         help_text=_("Who is the source, how would they know, their record."))
    technical_assessment = models.TextField(_("technical analysis"), blank=True,
                                            help_text=_("Integrity of the material: metadata, hashes, manipulation."))
    content_assessment = models.TextField(_("content analysis"), blank=True,
                                          help_text=_("Does the content fit what is known?"))
    geolocation = models.TextField(_("geolocation"), blank=True)
    chronolocation = models.TextField(_("chronolocation"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class Relation(models.TextChoices):
    SUPPORTS = "supports", _("supports")
    CONTRADICTS = "contradicts", _("contradicts")


class ClaimLink(CheckedFields):
    """Something that supports or contradicts a claim: another claim, a record, or a source."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="links")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    other_claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grave = models.ForeignKey(Grave, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    remains = models.ForeignKey(Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(blank=True, max_length=1000)
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]

    @property
    def target(self):
        return self.other_claim or self.site or self.grave or self.remains or self.evidence or self.url

    def independent_of(self, claim: Claim) -> bool:
        """A source independent of the claim's issuer: a record, a URL, or another issuer's claim."""
        if self.other_claim_id:
            return self.other_claim.issuer_id != claim.issuer_id
        return True


class Willingness(models.TextChoices):
    YES = "yes", _("Willing to testify")
    NO = "no", _("Not willing")
    UNDECIDED = "undecided", _("Undecided")


class Witness(Withdrawable):
    """A person who gives testimony, known by a code. The identity is encrypted at rest."""

    IDENTIFIERS = ('code',)

    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"), help_text=_("The case this record belongs to."))
    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("e.g. W-017"))
    identity_encrypted = models.TextField(editable=False, blank=True)
    consent_given = models.BooleanField(_("consent given"), default=False)
    consent_on = models.DateField(_("consent date"), null=True, blank=True)
    consent_scope = models.CharField(_("consent scope"), max_length=300, blank=True,
                                     help_text=_("What the testimony may be used for."))
    willing_to_testify = models.CharField(_("willing to testify"), max_length=10, choices=Willingness.choices,
                                          default=Willingness.UNDECIDED)
    notes = models.TextField(_("notes"), blank=True)
    issuer = models.OneToOneField(Issuer, null=True, blank=True, on_delete=models.PROTECT, related_name="witness")

    class Meta:
        ordering = ["code"]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("claims:witness-detail", args=[self.code])


class Statement(CheckedFields):
    """A witness statement: its date, summary, and the recording or transcript as an evidence item."""

    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="statements")
    given_on = models.DateField(_("given on"))
    summary = models.TextField(_("summary"))
    evidence_reference = models.CharField(_("evidence reference"), max_length=200, blank=True)
    evidence = models.ForeignKey("evidence.EvidenceItem", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="statements", verbose_name=_("recording or transcript"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["given_on", "id"]
