"""HTML forms for registry records.

Forms only parse and type the input; the rules (ranges, cross-field checks, uniqueness) are
applied by the services, whose errors the views put back on the right fields. One rule set.
"""

from __future__ import annotations

import json

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vestige.access import cases_for
from vestige.importers import KINDS
from vestige.registry.models import Exhumation, Grave, Injury, Remains, Site, TortureSign
from vestige.registry.services import FIELDS

# The browser's date picker (it shows the reader's local format, dd.mm.yyyy in Ukrainian, and sends
# ISO 8601); typed dates are read as ISO or dd.mm.yyyy (vestige/formats); records print ISO 8601.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GeoJSONField(forms.JSONField):
    """A JSON text box that shows nothing, not the literal ``null``, when there is no value."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class RecordForm(forms.Form):
    model: type = None
    # (legend, field names) — the form shown in sections (issue 29); fields named nowhere go last.
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def in_sections(self) -> list[tuple[str, list]]:
        """The bound fields grouped as :attr:`sections` says (one untitled group when it says nothing)."""
        placed, out = set(), []
        for legend, names in self.sections:
            fields = [self[n] for n in names if n in self.fields]
            placed |= {n for n in names if n in self.fields}
            if fields:
                out.append((legend, fields))
        rest = [self[n] for n in self.fields if n not in placed]
        if rest:
            out.append((_("Other") if out else "", rest))
        return out
    with_case = False  # the record carries its own case (sites, families, incidents, claims, witnesses)

    def __init__(self, *args, instance=None, user=None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        if self.with_case and instance is None and user is not None:
            cases = list(cases_for(user))
            if len(cases) > 1:  # with one case there is nothing to choose
                self.fields["case"] = forms.ChoiceField(
                    label=_("Case"), choices=[("", "—")] + [(c.code, str(c)) for c in cases],
                    help_text=_("The case this record belongs to: only its members will see it."))
        for f in self.fields.values():
            if isinstance(f.widget, forms.DateInput):
                f.widget = DATE_WIDGET
            elif isinstance(f.widget, forms.Textarea):
                f.widget.attrs.update(rows=3, cols=60)

    def payload(self) -> dict:
        """The cleaned data as the service takes it."""
        out = {k: v for k, v in self.cleaned_data.items() if k in FIELDS[self.model]}
        if self.cleaned_data.get("case"):
            out["case"] = self.cleaned_data["case"]
        return out

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for m in messages:
                self.add_error(field if field in self.fields else None, m)


def _base_fields(model, exclude=()):
    return fields_for_model(model, [f for f in FIELDS[model] if f not in exclude])


class SiteForm(RecordForm):
    model = Site
    with_case = True
    sections = ((_("The site"), ("case", "ref", "name", "kind", "region", "locality", "description")),
                (_("Where it is"), ("geometry", "point_latitude", "point_longitude")),
                (_("Discovery"), ("discovered_on", "discovery_method", "discovery_notes")))
    point_latitude = forms.FloatField(label=_("Point latitude"), required=False,
                                      help_text=_("Instead of GeoJSON: a point's latitude."))
    point_longitude = forms.FloatField(label=_("Point longitude"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["geometry"] = GeoJSONField(
            label=_("Geometry (GeoJSON)"), required=False,
            help_text=_('Point or Polygon, e.g. {"type": "Point", "coordinates": [37.26, 49.17]} '
                         "(longitude first). Leave empty and give a point below instead."),
            widget=forms.Textarea(attrs={"rows": 4}),
        )

    def clean(self):
        data = super().clean()
        lat, lon = data.get("point_latitude"), data.get("point_longitude")
        if not data.get("geometry") and lat is not None and lon is not None:
            data["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        if not data.get("geometry") and not self.errors.get("geometry"):
            self.add_error("geometry", gettext("Give a GeoJSON geometry or a point's latitude and longitude."))
        return data


SiteForm.base_fields.update({k: v for k, v in _base_fields(Site).items() if k not in SiteForm.base_fields})
SiteForm.base_fields = {k: SiteForm.base_fields[k] for k in [*FIELDS[Site], "point_latitude", "point_longitude"]}


class GraveForm(RecordForm):
    model = Grave
    sections = ((_("The grave"), ("site", "label", "marker_type", "inscription", "status", "expected_occupants")),
                (_("Where it is"), ("latitude", "longitude", "position_note")), (_("Notes"), ("notes",)))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(withdrawn_at__isnull=True)


GraveForm.base_fields = _base_fields(Grave)


class ExhumationForm(RecordForm):
    model = Exhumation
    sections = ((_("The exhumation"), ("reference", "site", "started_on", "ended_on")),
                (_("Who"), ("team", "authority")), (_("Notes"), ("notes",)))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(withdrawn_at__isnull=True)


ExhumationForm.base_fields = _base_fields(Exhumation)


class RemainsForm(RecordForm):
    model = Remains
    sections = ((_("Where the body was found"), ("body_number", "site", "grave", "exhumation", "recovered_on")),
                (_("Biological profile"), ("sex", "age_min", "age_max", "stature_min_cm", "stature_max_cm", "category")),
                (_("Findings"), ("injuries", "torture_signs", "cause_of_death", "manner_of_death", "clothing_effects")),
                (_("Notes"), ("notes",)))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(withdrawn_at__isnull=True)
        self.fields["exhumation"].queryset = Exhumation.objects.filter(withdrawn_at__isnull=True)


RemainsForm.base_fields = _base_fields(Remains, exclude=("grave", "injuries", "torture_signs"))
RemainsForm.base_fields.update(
    grave=forms.CharField(label=_("Grave label"), required=False, max_length=64,
                          help_text=_("The marker label of the grave at this site, e.g. 319.")),
    injuries=forms.MultipleChoiceField(label=_("Injuries"), choices=Injury.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple),
    torture_signs=forms.MultipleChoiceField(label=_("Signs of torture"), choices=TortureSign.choices,
                                            required=False, widget=forms.CheckboxSelectMultiple),
)
RemainsForm.base_fields = {k: RemainsForm.base_fields[k] for k in FIELDS[Remains]}


FORMS = {Site: SiteForm, Grave: GraveForm, Exhumation: ExhumationForm, Remains: RemainsForm}


def initial_for(instance) -> dict:
    """Form initial values for editing ``instance``."""
    model = type(instance)
    out = {}
    for name in FIELDS[model]:
        value = getattr(instance, name)
        if name == "grave":
            value = value.label if value else ""
        elif name == "geometry":
            value = json.dumps(value)
        out[name] = value
    return out


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Records"))
    file = forms.FileField(label=_("CSV, XLSX or JSON file"), required=False)
    staged = forms.CharField(widget=forms.HiddenInput, required=False)
    lab = forms.CharField(label=_("Laboratory (DNA files)"), required=False, max_length=200)
    kit = forms.CharField(label=_("Kit (DNA files)"), required=False, max_length=100)
    material = forms.ChoiceField(label=_("Material (remains samples)"), required=False,
                                 choices=[("bone", _("Bone")), ("tooth", _("Tooth")), ("tissue", _("Tissue")),
                                          ("other", _("Other"))])
    dropout = forms.FloatField(label=_("Drop-out probability (degraded samples; 0 for clean profiles)"),
                               required=False, min_value=0.0, max_value=0.99, initial=0.0)
    single = forms.ChoiceField(label=_("One allele written at a marker (DNA files)"), required=False,
                               choices=[("", _("the default: a homozygote, or a possible drop-out if degraded")),
                                        ("homozygote", _("a homozygote (GeneMapper writes it once)")),
                                        ("dropout", _("a possible drop-out (degraded samples)")),
                                        ("refuse", _("refuse the row"))])
    into = forms.CharField(label=_("Into family (GEDCOM trees)"), required=False, max_length=64,
                           help_text=_("An existing family's reference; empty: a new family named after the file."))
    match = forms.CharField(label=_("Registered missing persons in the tree (GEDCOM)"), required=False,
                            max_length=2000, help_text=_("e.g. I3=MP-00012, I7=MP-00020; the dry run proposes them."))
    dry_run = forms.BooleanField(label=_("Dry run: check only, write nothing"), required=False, initial=True)

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, KINDS[k].label) for k in kinds]

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("staged"):
            self.add_error("file", _("Choose a file."))
        return data
