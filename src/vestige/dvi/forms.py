"""Forms of the DVI sections: each validates its fields; the evidence item is named by its reference."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vestige.dvi.models import Conclusion, Effect, FingerprintRecord, Mark, MedicalFinding, Method
from vestige.dvi.services import EVIDENCE_FIELDS, SECTIONS

MODELS = {"marks": Mark, "effects": Effect, "medical": MedicalFinding, "fingerprints": FingerprintRecord}
TITLES = {"marks": _("Distinguishing marks"), "effects": _("Clothing and personal effects"),
          "medical": _("Medical findings and implants"), "fingerprints": _("Fingerprints")}
EVIDENCE_LABELS = {"photo": _("photograph (evidence reference)"), "document": _("document or radiograph (evidence "
                                                                                 "reference)"),
                   "item": _("ten-print card or prints (evidence reference)")}


def section_form(section: str):
    """A form class for one section: the model's fields, the evidence item as its reference (EV-…)."""
    model, fields = SECTIONS[section]
    plain = [f for f in fields if f not in EVIDENCE_FIELDS]
    attrs = {"Meta": type("Meta", (), {"model": model, "fields": plain,
                                       "widgets": {"description": forms.Textarea(attrs={"rows": 2}),
                                                   "notes": forms.Textarea(attrs={"rows": 2})}})}
    for f in fields:
        if f in EVIDENCE_FIELDS:
            attrs[f] = forms.CharField(label=EVIDENCE_LABELS[f], required=False, max_length=20)
    form = type(f"{section.title()}Form", (forms.ModelForm,), attrs)

    def values(self) -> dict:
        return {f: self.cleaned_data.get(f) for f in fields}

    form.values = values
    return form


class ComparisonForm(forms.Form):
    method = forms.ChoiceField(label=_("method"), choices=[(Method.DENTAL, Method.DENTAL.label),
                                                            (Method.FINGERPRINTS, Method.FINGERPRINTS.label)])
    conclusion = forms.ChoiceField(label=_("conclusion"), choices=Conclusion.choices)
    note = forms.CharField(label=_("basis / note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
