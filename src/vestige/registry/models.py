"""Sites, graves, exhumations and remains: the registry every other record links to.

Writes go through :mod:`vestige.registry.services` only. Validation lives on the models
(``clean`` and field validators) so that forms, the API, imports and the CLI apply one rule set.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from vestige.records import CheckedFields, Withdrawable  # noqa: F401 (re-exported for the other apps)
from vestige.registry.geo import km_outside, looks_swapped, validate_geometry


class SiteKind(models.TextChoices):
    MASS_GRAVE = "mass_grave", _("Mass grave")
    BURIAL_SITE = "burial_site", _("Burial site")
    CEMETERY_SECTION = "cemetery_section", _("Cemetery section")
    TRENCH = "trench", _("Trench")
    STRIKE_SITE = "strike_site", _("Strike site")
    DETENTION_SITE = "detention_site", _("Detention site")
    TORTURE_SITE = "torture_site", _("Torture site")


class DiscoveryMethod(models.TextChoices):
    ONLINE_MEDIA = "online_media", _("Online video or photo")
    WITNESS = "witness", _("Witness report")
    OFFICIAL = "official", _("Official report")
    FIELD_SURVEY = "field_survey", _("Field survey")
    REMOTE_SENSING = "remote_sensing", _("Satellite or aerial imagery")
    OTHER = "other", _("Other")


class Site(Withdrawable):

    IDENTIFIERS = ('ref',)
    case = models.ForeignKey("accounts.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"), help_text=_("The case this record belongs to."))
    ref = models.CharField(
        _("reference"), max_length=32, unique=True,
        validators=[models.fields.validators.RegexValidator(
            r"^[A-Z0-9][A-Z0-9-]*$", _("Use capital letters, digits and hyphens, e.g. IZM-PISH."))],
        help_text=_("Short unique code, e.g. IZM-PISH."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=SiteKind.choices)
    region = models.CharField(_("region"), max_length=100, blank=True)
    locality = models.CharField(_("locality"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    geometry = models.JSONField(
        _("geometry"), help_text=_("GeoJSON Point or Polygon in WGS 84 (longitude, latitude).")
    )
    # Derived from the geometry by the service on every save; used to sort, list and map.
    latitude = models.FloatField(_("latitude"), editable=False)
    longitude = models.FloatField(_("longitude"), editable=False)
    discovered_on = models.DateField(_("discovered on"), null=True, blank=True)
    discovery_method = models.CharField(
        _("how discovered"), max_length=32, choices=DiscoveryMethod.choices, blank=True
    )
    discovery_notes = models.TextField(_("discovery notes"), blank=True)

    class Meta:
        ordering = ["ref"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return f"{self.ref} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("registry:site-detail", args=[self.ref])

    def clean(self) -> None:
        if self.geometry in (None, "", {}):
            raise ValidationError({"geometry": _("Give the site's location: a point or a polygon (longitude, latitude).")})
        try:
            validate_geometry(self.geometry)
        except ValidationError as e:
            raise ValidationError({"geometry": e.messages}) from None
        swapped = looks_swapped(self.geometry, settings.VESTIGE_AREA_BOUNDS)
        if swapped:
            raise ValidationError({"geometry": swapped})


class MarkerType(models.TextChoices):
    WOODEN_CROSS = "wooden_cross", _("Wooden cross")
    PLAQUE = "plaque", _("Plaque")
    HEADSTONE = "headstone", _("Headstone")
    NONE = "none", _("None")
    OTHER = "other", _("Other")


class GraveStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    EXHUMED = "exhumed", _("Exhumed")


def _position(lat, lon) -> tuple[float, float] | None:
    """(lat, lon) as numbers in range, or None when either is absent or not yet a valid number."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


_LEADING_NUMBER = re.compile(r"^\s*(\d{1,9})")


class Grave(Withdrawable):

    IDENTIFIERS = ('label',)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="graves", verbose_name=_("site"))
    label = models.CharField(_("marker label"), max_length=64, help_text=_("Number or label on the marker, e.g. 319."))
    # Derived from the label (its leading number) so that 2 sorts before 10.
    label_number = models.IntegerField(null=True, editable=False)
    marker_type = models.CharField(_("marker type"), max_length=16, choices=MarkerType.choices, default=MarkerType.NONE)
    inscription = models.TextField(_("inscription"), blank=True)
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    position_note = models.CharField(_("position note"), max_length=200, blank=True)
    expected_occupants = models.PositiveIntegerField(
        _("expected occupants"), null=True, blank=True,
        validators=[MaxValueValidator(10000)],
        help_text=_("Number of people the marker or witnesses say are buried here."),
    )
    status = models.CharField(_("status"), max_length=16, choices=GraveStatus.choices, default=GraveStatus.RECORDED)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["site__ref", "label_number", "label"]
        verbose_name = _("grave")
        verbose_name_plural = _("graves")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "label"], name="grave_label_unique_in_site",
                violation_error_message=_("A grave with this label already exists at this site."),
            )
        ]
        indexes = [models.Index(fields=["site", "label_number"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.site.ref} #{self.label}"

    def get_absolute_url(self) -> str:
        return reverse("registry:grave-detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        if (
            self.site_id and self.label
            and Grave.objects.filter(site_id=self.site_id, label=self.label).exclude(pk=self.pk).exists()
        ):
            errors["label"] = _("A grave labelled %(label)r already exists at this site.") % {"label": self.label}
        position = _position(self.latitude, self.longitude)
        if position is not None and self.site_id and "latitude" not in errors:
            from django.conf import settings


            site = self.site
            lat, lon = position
            if site.geometry:
                km = km_outside(site.geometry, lat, lon)
                if km > settings.VESTIGE_GRAVE_MAX_KM:
                    hint = ""
                    if km_outside(site.geometry, -lat, lon) <= settings.VESTIGE_GRAVE_MAX_KM:
                        hint = " " + _("With the latitude's sign reversed (%(lat)s) it would lie at the site.") % {
                            "lat": -lat}
                    elif km_outside(site.geometry, lat, -lon) <= settings.VESTIGE_GRAVE_MAX_KM:
                        hint = " " + _("With the longitude's sign reversed (%(lon)s) it would lie at the site.") % {
                            "lon": -lon}
                    elif km_outside(site.geometry, lon, lat) <= settings.VESTIGE_GRAVE_MAX_KM:
                        hint = " " + _("Latitude and longitude look swapped.")
                    errors["latitude"] = _(
                        "This position is %(km).0f km from site %(site)s (at %(lat).5f, %(lon).5f); a grave lies at "
                        "its site (within %(max)g km).") % {"km": km, "site": site.ref, "lat": site.latitude,
                                                            "lon": site.longitude,
                                                            "max": settings.VESTIGE_GRAVE_MAX_KM} + hint
        if errors:
            raise ValidationError(errors)
        m = _LEADING_NUMBER.match(self.label or "")
        self.label_number = int(m.group(1)) if m else None


class Exhumation(Withdrawable):

    IDENTIFIERS = ('reference',)
    reference = models.CharField(_("reference"), max_length=32, unique=True, help_text=_("e.g. EXH-IZM-2022-09."))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="exhumations", verbose_name=_("site"))
    team = models.CharField(_("team"), max_length=200)
    authority = models.CharField(_("authority"), max_length=200, help_text=_("Who ordered or authorised it."))
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-started_on", "reference"]
        verbose_name = _("exhumation")
        verbose_name_plural = _("exhumations")

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("registry:exhumation-detail", args=[self.pk])

    def clean(self) -> None:
        if (
            isinstance(self.started_on, dt.date) and isinstance(self.ended_on, dt.date)
            and self.ended_on < self.started_on
        ):
            raise ValidationError({"ended_on": _("The end date is before the start date.")})


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNDETERMINED = "undetermined", _("Undetermined")


class Injury(models.TextChoices):
    GUNSHOT = "gunshot", _("Gunshot")
    STAB = "stab", _("Stab")
    SHRAPNEL = "shrapnel", _("Shrapnel")
    BLAST = "blast", _("Blast")
    BLUNT = "blunt", _("Blunt force")


class TortureSign(models.TextChoices):
    BOUND_HANDS = "bound_hands", _("Bound hands")
    LIGATURE = "ligature", _("Ligature marks")
    ROPE_AROUND_NECK = "rope_around_neck", _("Rope around neck")
    FRACTURES = "fractures", _("Fractures")


class MannerOfDeath(models.TextChoices):
    HOMICIDE = "homicide", _("Homicide")
    ACCIDENT = "accident", _("Accident")
    NATURAL = "natural", _("Natural")
    SUICIDE = "suicide", _("Suicide")
    UNDETERMINED = "undetermined", _("Undetermined")
    PENDING = "pending", _("Pending")


class RemainsCategory(models.TextChoices):
    CIVILIAN = "civilian", _("Civilian")
    SERVICEMAN = "serviceman", _("Serviceman")
    UNDETERMINED = "undetermined", _("Undetermined")


Category = RemainsCategory  # the name the code uses; the API's schema calls it RemainsCategory


class RemainsStatus(models.TextChoices):
    UNIDENTIFIED = "unidentified", _("Unidentified")
    IDENTIFIED = "identified", _("Identified")
    RETURNED = "returned", _("Returned to family")


def _numbers(*values) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


ADULT_AGE = 18  # years; a child is someone whose estimated maximum age is below this


@deconstructible
class ChoiceListValidator:
    """A JSON list whose items are all among ``allowed``, none twice."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = list(allowed)

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError(_("Must be a list of values."))
        bad = [v for v in value if v not in self.allowed]
        if bad:
            raise ValidationError(
                _("Unknown value(s) %(bad)s; allowed: %(ok)s")
                % {"bad": ", ".join(map(str, bad)), "ok": ", ".join(self.allowed)}
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("A value is listed twice."))

    def __eq__(self, other) -> bool:
        return isinstance(other, ChoiceListValidator) and other.allowed == self.allowed


class Remains(Withdrawable):
    """A post-mortem case: a body or body parts, with the examiner's findings."""

    IDENTIFIERS = ('body_number',)
    LIST_CHOICES = {"injuries": Injury, "torture_signs": TortureSign}  # coded lists, shown by their labels

    body_number = models.CharField(_("body number"), max_length=64, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="remains", verbose_name=_("site"))
    grave = models.ForeignKey(
        Grave, on_delete=models.PROTECT, related_name="remains", null=True, blank=True, verbose_name=_("grave")
    )
    exhumation = models.ForeignKey(
        Exhumation, on_delete=models.PROTECT, related_name="remains", null=True, blank=True,
        verbose_name=_("exhumation"),
    )
    recovered_on = models.DateField(_("recovered on"), null=True, blank=True)
    sex = models.CharField(_("estimated sex"), max_length=16, choices=Sex.choices, default=Sex.UNDETERMINED)
    age_min = models.PositiveSmallIntegerField(
        _("minimum age (years)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    age_max = models.PositiveSmallIntegerField(
        _("maximum age (years)"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    stature_min_cm = models.PositiveSmallIntegerField(
        _("minimum stature (cm)"), null=True, blank=True, validators=[MinValueValidator(40), MaxValueValidator(250)]
    )
    stature_max_cm = models.PositiveSmallIntegerField(
        _("maximum stature (cm)"), null=True, blank=True, validators=[MinValueValidator(40), MaxValueValidator(250)]
    )
    injuries = models.JSONField(
        _("injuries"), default=list, blank=True, validators=[ChoiceListValidator(Injury.values)]
    )
    torture_signs = models.JSONField(
        _("signs of torture"), default=list, blank=True, validators=[ChoiceListValidator(TortureSign.values)]
    )
    cause_of_death = models.CharField(_("cause of death"), max_length=300, blank=True)
    manner_of_death = models.CharField(
        _("manner of death"), max_length=16, choices=MannerOfDeath.choices, default=MannerOfDeath.PENDING
    )
    clothing_effects = models.TextField(_("clothing and effects"), blank=True)
    category = models.CharField(
        _("civilian or serviceman"), max_length=16, choices=Category.choices, default=Category.UNDETERMINED
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RemainsStatus.choices, default=RemainsStatus.UNIDENTIFIED
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["body_number"]
        verbose_name = _("remains")
        verbose_name_plural = _("remains")
        indexes = [
            models.Index(fields=["site", "body_number"]),
            models.Index(fields=["status"]),
            models.Index(fields=["sex"]),
        ]

    def __str__(self) -> str:
        return self.body_number

    def get_absolute_url(self) -> str:
        return reverse("registry:remains-detail", args=[self.pk])

    @property
    def injury_labels(self) -> list[str]:
        return [str(Injury(v).label) if v in Injury.values else v for v in self.injuries]

    @property
    def torture_labels(self) -> list[str]:
        return [str(TortureSign(v).label) if v in TortureSign.values else v for v in self.torture_signs]

    @property
    def is_child(self) -> bool:
        return self.age_max is not None and self.age_max < ADULT_AGE

    def clean(self) -> None:
        # clean() runs even when a field failed its own check; compare only values that are numbers.
        errors: dict[str, str] = {}
        if _numbers(self.age_min, self.age_max) and self.age_min > self.age_max:
            errors["age_max"] = _("The maximum age is below the minimum age.")
        if _numbers(self.stature_min_cm, self.stature_max_cm) and self.stature_min_cm > self.stature_max_cm:
            errors["stature_max_cm"] = _("The maximum stature is below the minimum stature.")
        if self.grave_id and self.site_id and self.grave.site_id != self.site_id:
            errors["grave"] = _("This grave is at another site (%(site)s).") % {"site": self.grave.site.ref}
        if self.exhumation_id and self.site_id and self.exhumation.site_id != self.site_id:
            errors["exhumation"] = _("This exhumation was at another site (%(site)s).") % {
                "site": self.exhumation.site.ref
            }
        if errors:
            raise ValidationError(errors)


class ElementSide(models.TextChoices):
    LEFT = "L", _("Left")
    RIGHT = "R", _("Right")
    MIDLINE = "M", _("Midline")
    UNKNOWN = "U", _("Side unknown")


class AssociationBasis(models.TextChoices):
    """Why a bone is said to belong to an individual (issue 31, part 4)."""

    ARTICULATION = "articulation", _("Articulation (found in anatomical position, or joints fit)")
    PAIR_MATCH = "pair_match", _("Osteometric pair-match")
    OSTEOMETRY = "osteometry", _("Osteometric sorting (size and robusticity)")
    DNA = "dna", _("DNA")
    VISUAL = "visual", _("Visual pair-match (morphology, taphonomy)")


class SkeletalElement(models.Model):
    """One bone (or fragment) of a commingled context as the anthropologist records it: which
    element (Osteoware's names), side, portion, completeness and taphonomy; assembled into an
    individual (a :class:`Remains`) with the basis of the association, or not (yet)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="elements")
    grave = models.ForeignKey(Grave, null=True, blank=True, on_delete=models.PROTECT, related_name="elements")
    context = models.CharField(_("context"), max_length=100, help_text=_("The grave, trench or bag, as labelled."))
    element = models.CharField(_("element"), max_length=40)
    side = models.CharField(_("side"), max_length=1, choices=ElementSide.choices, default=ElementSide.UNKNOWN)
    portion = models.CharField(_("portion"), max_length=60, blank=True, help_text=_("e.g. complete, proximal, "
                                                                                   "distal, shaft"))
    completeness = models.FloatField(_("completeness (%)"), default=100.0,
                                     validators=[MinValueValidator(0.1), MaxValueValidator(100)])
    taphonomy = models.CharField(_("taphonomy"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    remains = models.ForeignKey("Remains", null=True, blank=True, on_delete=models.PROTECT, related_name="elements")
    basis = models.CharField(_("basis"), max_length=16, choices=AssociationBasis.choices, blank=True)
    associated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    associated_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "context", "element", "side", "code"]
        verbose_name = _("skeletal element")
        verbose_name_plural = _("skeletal elements")

    def __str__(self) -> str:
        return f"{self.code} {self.element} {self.side}"
