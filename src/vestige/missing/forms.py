from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from vestige.access import cases_for, scope
from vestige.missing.models import Family, MissingPerson
from vestige.missing.services import PERSON_FIELDS
from vestige.registry.forms import RecordForm


class PersonForm(RecordForm):
    with_case = True  # for the new family, when one is named
    sections = (
        (_("The family"), ("family", "new_family", "contact", "case")),
        (_("The person"), ("family_name", "given_name", "patronymic", "sex", "birth_date", "height_cm")),
        (_("The disappearance"), ("last_seen_on", "last_seen_place", "last_seen_latitude", "last_seen_longitude",
                                  "circumstances")),
        (_("For identification"), ("clothing", "distinguishing_marks", "dental_notes")),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if user is not None:  # only the families of the user's cases
            self.fields["family"].queryset = scope(Family.objects.filter(withdrawn_at__isnull=True), user)

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in PERSON_FIELDS}


PersonForm.base_fields = {
    "family": forms.ModelChoiceField(label=_("Family"), queryset=Family.objects.filter(withdrawn_at__isnull=True),
                                     required=False, help_text=_("Or leave empty and name a new family below.")),
    "new_family": forms.CharField(label=_("New family (name)"), required=False, max_length=200),
    "contact": forms.CharField(label=_("Family contact (encrypted)"), required=False, max_length=300),
    **fields_for_model(MissingPerson, PERSON_FIELDS),
}


class MemberForm(forms.Form):
    code = forms.CharField(label=_("Pedigree id"), max_length=64)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("male", _("Male")), ("female", _("Female")), ("unknown", _("Unknown"))])
    father = forms.CharField(label=_("Father's id"), required=False)
    mother = forms.CharField(label=_("Mother's id"), required=False)
    label = forms.CharField(label=_("Relationship"), required=False)
    deceased = forms.BooleanField(label=_("Deceased"), required=False)
    donor = forms.BooleanField(label=_("Gives a reference sample (consent recorded today)"), required=False)
    contact = forms.CharField(label=_("Donor's contact (encrypted)"), required=False, max_length=300)


class ConsentWithdrawalForm(forms.Form):
    reason = forms.CharField(label=_("Why consent was withdrawn"), widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(forms.Form):
    kept = forms.CharField(label=_("Keep record"), help_text=_("The reference of the record to keep, e.g. MP-00012"))
    reason = forms.CharField(label=_("Reason"), required=False)


class RelativeForm(forms.Form):
    """Add a relative of someone already in the pedigree, as the family describes them."""

    relation = forms.ChoiceField(label=_("Relationship"), choices=[
        ("father", _("father")), ("mother", _("mother")), ("full_sibling", _("full sibling")),
        ("half_sibling_paternal", _("half sibling (same father)")),
        ("half_sibling_maternal", _("half sibling (same mother)")),
        ("child", _("child")), ("spouse", _("spouse / partner"))])
    of = forms.ChoiceField(label=_("Of"), help_text=_("The person already in the pedigree they are related to."))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("unknown", _("Unknown")), ("male", _("Male")), ("female", _("Female"))])
    other_parent = forms.ChoiceField(label=_("Other parent (for a child)"), required=False)
    code = forms.CharField(label=_("Pedigree id (optional)"), required=False, max_length=64)
    label = forms.CharField(label=_("Relationship, in words (optional)"), required=False, max_length=100)
    deceased = forms.BooleanField(label=_("Deceased"), required=False)
    donor = forms.BooleanField(label=_("Gives a reference sample (consent recorded today)"), required=False)
    contact = forms.CharField(label=_("Donor's contact (encrypted)"), required=False, max_length=300)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m.code, f"{m.code} {m.label}".strip()) for m in members]
        self.fields["of"].choices = choices
        self.fields["other_parent"].choices = [("", "—"), *choices]


class MemberEditForm(forms.Form):
    sex = forms.ChoiceField(label=_("Sex"), choices=[("unknown", _("Unknown")), ("male", _("Male")), ("female", _("Female"))])
    father = forms.CharField(label=_("Father's id"), required=False, max_length=64)
    mother = forms.CharField(label=_("Mother's id"), required=False, max_length=64)
    code = forms.CharField(label=_("Pedigree id"), max_length=64)
    label = forms.CharField(label=_("Relationship"), required=False, max_length=100)
    deceased = forms.BooleanField(label=_("Deceased"), required=False)


class ListImportForm(forms.Form):
    """A list of people from another organisation (issue 31, part 3)."""

    file = forms.FileField(label=_("List (CSV or XLSX)"), help_text=_(
        "Columns family_name (or surname, прізвище, фамилия), given_name, patronymic, sex, birth_date, birth_place, "
        "disappeared_on, disappearance_place, unit, source_id; other columns are kept as they came."))
    name = forms.CharField(label=_("Name of the list"), max_length=200)
    source = forms.CharField(label=_("Source organisation"), max_length=200)
    received_on = forms.DateField(label=_("Received on"), required=False)
    threshold = forms.FloatField(label=_("Threshold (match probability)"), initial=0.99, min_value=0.5,
                                 max_value=0.999999, help_text=_("A row's best register record is proposed when the "
                                                                "model gives it at least this probability."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        if user is not None:
            cases = list(cases_for(user))
            if len(cases) > 1:
                self.fields["case"] = forms.ChoiceField(
                    label=_("Case"), choices=[("", "—")] + [(c.code, str(c)) for c in cases],
                    help_text=_("The case this list belongs to: it is linked against that case's register."))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(d, d) for d in ("accept", "reject", "new", "reopen")])
    person = forms.CharField(label=_("Another register record"), required=False, max_length=64,
                             help_text=_("To accept a record other than the one proposed: its reference."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
