from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from vestige.claims.models import Claim, Incident, IssuerType, Relation, Status, Witness
from vestige.registry.forms import DATE_WIDGET, RecordForm
from vestige.registry.models import Site


class _Form(RecordForm):
    fields_order: tuple[str, ...] = ()

    def payload(self) -> dict:
        out = {k: v for k, v in self.cleaned_data.items() if k in self.fields_order}
        if self.cleaned_data.get("case"):
            out["case"] = self.cleaned_data["case"]
        return out


class ClaimForm(_Form):
    with_case = True
    fields_order = ("said_on", "date_precision", "quote", "quote_language", "translation", "is_paraphrase",
                    "source_url", "source_note", "source_evidence", "category", "site", "incident", "value_min", "value_max",
                    "qualifier", "unit", "counted", "measure")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(withdrawn_at__isnull=True)
        self.fields["incident"].queryset = Incident.objects.filter(withdrawn_at__isnull=True)

    def payload(self) -> dict:
        data = super().payload()
        data["issuer"] = {"name": self.cleaned_data["issuer_name"], "kind": self.cleaned_data["issuer_kind"]}
        return data


ClaimForm.base_fields = {
    "source_evidence": forms.CharField(label=_("Where it was said: evidence item"), required=False,
                                       help_text=_("An evidence reference, e.g. EV-000012")),
    "issuer_name": forms.CharField(label=_("Issuer"), max_length=200, help_text=_("Person or organisation.")),
    "issuer_kind": forms.ChoiceField(label=_("Issuer type"), choices=IssuerType.choices),
    **fields_for_model(Claim, ClaimForm.fields_order, exclude=("source_url", "source_evidence")),
    # Built here rather than from the model: Django 5.2's URL form field warns unless told its scheme.
    "source_url": forms.URLField(label=_("where it was said (URL)"), required=False, max_length=1000,
                                 assume_scheme="https"),
}
ClaimForm.base_fields = {k: ClaimForm.base_fields[k] for k in ("issuer_name", "issuer_kind", *ClaimForm.fields_order)}


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    rationale = forms.CharField(label=_("Rationale"), widget=forms.Textarea(attrs={"rows": 2}))
    source_assessment = forms.CharField(label=_("Source analysis"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    technical_assessment = forms.CharField(label=_("Technical analysis"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    content_assessment = forms.CharField(label=_("Content analysis"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    geolocation = forms.CharField(label=_("Geolocation"), required=False, widget=forms.Textarea(attrs={"rows": 1}))
    chronolocation = forms.CharField(label=_("Chronolocation"), required=False, widget=forms.Textarea(attrs={"rows": 1}))


class LinkForm(forms.Form):
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    other_claim = forms.CharField(label=_("Claim reference"), required=False, help_text=_("e.g. CLM-0003"))
    site = forms.CharField(label=_("Site reference"), required=False)
    remains = forms.CharField(label=_("Body number"), required=False)
    evidence = forms.CharField(label=_("Evidence item"), required=False, help_text=_("e.g. EV-000012"))
    url = forms.URLField(label=_("Source URL"), required=False, assume_scheme="https")
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class IncidentForm(_Form):
    with_case = True
    fields_order = ("ref", "kind", "title", "started_on", "ended_on", "date_precision", "place", "latitude",
                    "longitude", "description", "reported_fatalities", "source")


IncidentForm.base_fields = fields_for_model(Incident, IncidentForm.fields_order)


class WitnessForm(_Form):
    with_case = True
    fields_order = ("code", "consent_given", "consent_on", "consent_scope", "willing_to_testify", "notes")


WitnessForm.base_fields = {
    **fields_for_model(Witness, WitnessForm.fields_order),
    "full_name": forms.CharField(label=_("Name (encrypted)"), max_length=200, required=False),
    "contact": forms.CharField(label=_("Contact (encrypted)"), max_length=300, required=False),
}


class StatementForm(forms.Form):
    given_on = forms.DateField(label=_("Given on"), widget=DATE_WIDGET)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.CharField(label=_("Recording or transcript (evidence item)"), required=False,
                               help_text=_("e.g. EV-000012"))


class AcledForm(forms.Form):
    file = forms.FileField(label=_("ACLED CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Dry run: check only, write nothing"), required=False, initial=True)
