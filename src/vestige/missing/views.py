"""Pages for missing persons and families. Writes go through :mod:`vestige.missing.services`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access, hooks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput
from vestige.history.models import Action
from vestige.history.services import history_of, record
from vestige.linkage.names import name_key
from vestige.missing import extracts, family_access, pedigrees, services
from vestige.missing.forms import (
    ConsentWithdrawalForm,
    MemberEditForm,
    MemberForm,
    MergeForm,
    PersonForm,
    RelativeForm,
)
from vestige.missing.models import Donor, Family, MissingPerson, MissingStatus, Sharing
from vestige.missing.pedigree import pedigree_svg
from vestige.missing.pedigrees import pedtools_table
from vestige.tables import table_response


def person_list(request):
    require(request.user, Cap.MISSING_READ)
    qs = access.scope(MissingPerson.objects.filter(withdrawn_at__isnull=True), request.user).select_related("family")
    q = request.GET.get("q", "").strip()
    if q:
        qs = services.search_names(qs, q)
    if (status := request.GET.get("status")) in MissingStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("ref"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "missing/person_list.html", {"page": page, "q": q, "status": request.GET.get("status", ""),
                                                        "statuses": MissingStatus.choices, "query": params.urlencode(),
                                                        "can_write": request.user.can(Cap.MISSING_WRITE)})


def person_export(request):
    """The register as CSV: ante-mortem data only (no DNA, no contacts)."""
    from django.utils import timezone

    require(request.user, Cap.MISSING_READ)
    qs = services.search_names(access.scope(MissingPerson.objects.filter(withdrawn_at__isnull=True),
                                             request.user).select_related("family"),
                               request.GET.get("q", ""))

    def rows():
        yield ["ref", "family", *services.PERSON_FIELDS, "status"]
        for p in qs.order_by("ref").iterator(chunk_size=2000):
            yield [p.ref, p.family.ref, *["" if getattr(p, f) is None else getattr(p, f) for f in services.PERSON_FIELDS],
                   p.status]

    return table_response(request, rows(), f"missing-{timezone.now():%Y%m%d-%H%M%S}")


def person_detail(request, ref):
    require(request.user, Cap.MISSING_READ)
    person = access.get(request.user, MissingPerson.objects.select_related("family", "member"), ref=ref)
    return render(request, "missing/person_detail.html", {
        "person": person, "duplicates": services.possible_duplicates(person) if not person.withdrawn else [],
        **hooks.single("missing.person_results")(person, request.user),
        "history": history_of(person)[:200], "merge_form": MergeForm(),
        "timeline": hooks.single("missing.person_timeline")(person),
        "can_write": request.user.can(Cap.MISSING_WRITE),
        "pedigree": mark_safe(pedigree_svg(person.family, highlight=person.member_id)),
        "extracts": person.extracts.select_related("issued_by"),
    })


def person_form(request):
    require(request.user, Cap.MISSING_WRITE)
    if request.method == "POST":
        form = PersonForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            if not request.POST.get("confirm_new"):  # issue 29: possible duplicates before saving, not after
                draft = MissingPerson(family_name=d["family_name"], given_name=d["given_name"],
                                      birth_date=d.get("birth_date"),
                                      name_key=name_key(f"{d['family_name']} {d['given_name']} {d.get('patronymic') or ''}"))
                dups = [(o, s) for o, s in services.possible_duplicates(draft) if access.visible(request.user, o)]
                if dups:
                    return render(request, "claims/form.html", {"form": form, "title": _("Report a missing person"),
                                                                "back": "/missing/", "duplicates": dups})
            try:
                family = d["family"] or services.create_family(request.user, d["new_family"] or d["family_name"],
                                                               contact=d["contact"], case=d.get("case") or None)
                person = services.create_missing_person(request.user, family, form.payload())
                messages.success(request, _("%(obj)s registered.") % {"obj": person.ref})
                return redirect(person.get_absolute_url())
            except InvalidInput as e:
                form.add_service_errors(e.errors or {None: [e.message]})
    else:
        form = PersonForm(user=request.user)
    return render(request, "claims/form.html", {"form": form, "title": _("Report a missing person"), "back": "/missing/"})


def person_edit(request, ref):
    require(request.user, Cap.MISSING_WRITE)
    person = access.get(request.user, MissingPerson, ref=ref)
    if request.method == "POST":
        form = PersonForm(request.POST, instance=person, user=request.user)
        if form.is_valid():
            try:
                services.update_missing_person(request.user, person, form.payload())
                messages.success(request, _("%(obj)s saved.") % {"obj": person.ref})
                return redirect(person.get_absolute_url())
            except InvalidInput as e:
                form.add_service_errors(e.errors or {None: [e.message]})
    else:
        form = PersonForm(user=request.user, initial={f: getattr(person, f) for f in services.PERSON_FIELDS} | {"family": person.family},
                          instance=person)
    for name in ("family", "new_family", "contact"):  # the family is not changed here
        form.fields.pop(name, None)
    return render(request, "claims/form.html", {"form": form, "title": person.ref, "back": person.get_absolute_url()})


COMPARED = ("family_name", "given_name", "patronymic", "sex", "birth_date", "height_cm", "last_seen_on",
            "last_seen_place", "last_seen_latitude", "last_seen_longitude", "circumstances", "clothing",
            "distinguishing_marks", "dental_notes", "status")


def person_compare(request, ref, other):
    """Two possible duplicates side by side, each field's values with the differences marked, and
    the merge either way (issue 29: merging no longer needs the other code typed by hand)."""
    require(request.user, Cap.MISSING_READ)
    qs = MissingPerson.objects.select_related("family")
    a, b = access.get(request.user, qs, ref=ref), access.get(request.user, qs, ref=other)
    rows = []
    for name in COMPARED:
        field = MissingPerson._meta.get_field(name)
        va, vb = (getattr(x, f"get_{name}_display")() if field.choices else getattr(x, name) for x in (a, b))
        rows.append({"label": field.verbose_name, "a": "" if va is None else va, "b": "" if vb is None else vb,
                     "differ": (va or "") != (vb or "")})
    rows.insert(0, {"label": _("Family"), "a": a.family.ref, "b": b.family.ref, "differ": a.family_id != b.family_id})
    return render(request, "missing/person_compare.html", {
        "a": a, "b": b, "rows": rows, "can_write": request.user.can(Cap.MISSING_WRITE) and not (a.withdrawn or b.withdrawn)})


@require_POST
def person_merge(request, ref):
    require(request.user, Cap.MISSING_WRITE)  # the role first: a refused role learns nothing of the record
    person = access.get(request.user, MissingPerson, ref=ref)
    form = MergeForm(request.POST)
    if form.is_valid():
        kept = access.get(request.user, MissingPerson, ref=form.cleaned_data["kept"].strip())
        try:
            services.merge(request.user, person, kept, form.cleaned_data["reason"])
        except (Conflict, InvalidInput) as exc:  # said on the record's page, nothing changed
            messages.error(request, exc.message)
            return redirect(person.get_absolute_url())
        messages.success(request, _("%(a)s merged into %(b)s.") % {"a": person.ref, "b": kept.ref})
        return redirect(kept.get_absolute_url())
    messages.error(request, _("Name the record to keep."))
    return redirect(person.get_absolute_url())


def family_list(request):
    require(request.user, Cap.MISSING_READ)
    qs = access.scope(Family.objects.filter(withdrawn_at__isnull=True), request.user)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "missing/family_list.html", {"page": page, "query": ""})


def family_detail(request, ref, shown: dict | None = None, family_contact: str | None = None):
    require(request.user, Cap.MISSING_READ)
    family = access.get(request.user, Family, ref=ref)
    shown = shown or {}
    members = list(family.members.select_related("father", "mother"))
    return render(request, "missing/family_detail.html", {
        "family": family, "pedigree": mark_safe(pedigree_svg(family)),
        "members": members, "relative_form": RelativeForm(members=members, prefix="rel"),
        "carries": {m.pk for m in members if hasattr(m, "donor") or hasattr(m, "missing_person")}
        | {m.father_id for m in members if m.father_id} | {m.mother_id for m in members if m.mother_id},
        "persons": family.missing_persons.filter(withdrawn_at__isnull=True),
        "donors": family.donors.prefetch_related("profiles").select_related("member"),
        "history": history_of(family)[:200], "member_form": MemberForm(prefix="add"), "withdraw_form": ConsentWithdrawalForm(),
        "can_write": request.user.can(Cap.MISSING_WRITE), "can_dna": request.user.can(Cap.DNA_READ),
        "can_contact": request.user.can(Cap.CONTACT_READ), "shown": shown, "family_contact": family_contact,
        "accesses": family.accesses.select_related("created_by").prefetch_related("events")[:20]
        if request.user.can(Cap.CONTACT_READ) else [],
        "family_messages": family_access.messages_of(family) if request.user.can(Cap.CONTACT_READ) else [],
        "sharing_choices": Sharing.choices,
        "sexes": [("unknown", _("Unknown")), ("male", _("Male")), ("female", _("Female"))],
    })


@require_POST
def family_member(request, ref):
    require(request.user, Cap.MISSING_WRITE)  # the role first: a refused role learns nothing of the record
    family = access.get(request.user, Family, ref=ref)
    form = MemberForm(request.POST, prefix="add")
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(family.get_absolute_url())
    d = form.cleaned_data
    try:
        if d["donor"]:
            services.add_donor(request.user, family, d["code"], consent_on=dt.date.today(), sex=d["sex"],
                               father=d["father"] or None, mother=d["mother"] or None, label=d["label"],
                               contact=d["contact"])
        else:
            services.add_member(request.user, family, d["code"], d["sex"], father=d["father"] or None,
                                mother=d["mother"] or None, deceased=d["deceased"], label=d["label"])
        messages.success(request, _("Pedigree updated."))
    except InvalidInput as e:
        messages.error(request, e.message)
    return redirect(family.get_absolute_url())


@require_POST
def donor_withdraw_consent(request, code):
    require(request.user, Cap.MISSING_WRITE)  # the role first: a refused role learns nothing of the record
    donor = access.get(request.user, Donor, code=code)
    form = ConsentWithdrawalForm(request.POST)
    if form.is_valid():
        services.withdraw_consent(request.user, donor, dt.date.today(), form.cleaned_data["reason"])
        messages.success(request, _("Consent withdrawn: the profile is out of all later matching runs."))
    return redirect(donor.family.get_absolute_url())


@require_POST
def donor_show(request, code, what):
    """Decrypt a donor's profile or contact for a role that may see it (recorded), shown once."""
    require(request.user, Cap.DNA_READ if what == "profile" else Cap.CONTACT_READ)
    donor = access.get(request.user, Donor, code=code)
    shown = {}
    if what == "profile":
        for p in donor.profiles.all():
            shown.setdefault("profiles", []).append(
                {"lab": p.lab, "kit": p.kit, "genotypes": services.read_profile(request.user, p.profile_encrypted, donor)})
    else:
        shown["contact"] = services.read_contact(request.user, donor)
    # Rendered in the answer to this POST, never stored (not in the session, not in a cache).
    response = family_detail(request, donor.family.ref, shown={donor.code: shown})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def family_contact(request, ref):
    """Decrypt the family's contact (given at registration) for a role that may see it; the
    viewing is recorded in the family's history and the value is shown once, in this answer."""
    require(request.user, Cap.CONTACT_READ)
    family = access.get(request.user, Family, ref=ref)
    contact = services.read_contact(request.user, family) if family.contact_encrypted else ""
    response = family_detail(request, family.ref, family_contact=contact or _("none recorded"))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def family_relative(request, ref):
    """Add a relative by relationship (and, if they give a sample, their donor record)."""
    require(request.user, Cap.MISSING_WRITE)  # the role first: a refused role learns nothing of the record
    family = access.get(request.user, Family, ref=ref)
    form = RelativeForm(request.POST, members=list(family.members.all()), prefix="rel")
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(family.get_absolute_url())
    d = form.cleaned_data
    try:
        with transaction.atomic():
            m = pedigrees.add_relative(request.user, family, d["relation"], d["of"], sex=d["sex"], code=d["code"],
                                       other_parent=d["other_parent"], label=d["label"], deceased=d["deceased"])
            if d["donor"]:
                services.add_donor(request.user, family, m.code, consent_on=dt.date.today(), contact=d["contact"])
        messages.success(request, _("%(c)s added to the pedigree.") % {"c": m.code})
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(family.get_absolute_url())


@require_POST
def member_edit(request, ref, code):
    require(request.user, Cap.MISSING_WRITE)  # the role first: a refused role learns nothing of the record
    family = access.get(request.user, Family, ref=ref)
    member = access.get(request.user, family.members, code=code)
    form = MemberEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(family.get_absolute_url())
    d = form.cleaned_data
    try:
        pedigrees.update_member(request.user, member, sex=d["sex"], father=d["father"], mother=d["mother"],
                                code=d["code"], label=d["label"], deceased=d["deceased"])
        messages.success(request, _("%(c)s saved.") % {"c": d["code"]})
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(family.get_absolute_url())


@require_POST
def member_remove(request, ref, code):
    require(request.user, Cap.MISSING_WRITE)  # the role first: a refused role learns nothing of the record
    family = access.get(request.user, Family, ref=ref)
    member = access.get(request.user, family.members, code=code)
    try:
        pedigrees.remove_member(request.user, member)
        messages.success(request, _("%(c)s removed from the pedigree.") % {"c": code})
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(family.get_absolute_url())


def person_report(request, ref):
    """The case file of a missing person as PDF, in the reader's language (no DNA, no contacts);
    the candidates only for a role that reads identification results."""
    require(request.user, Cap.MISSING_READ)
    person = access.get(request.user, MissingPerson.objects.select_related("family", "member"), ref=ref)
    results = hooks.single("missing.person_results")(person, request.user, printed=True)
    record(person, Action.VIEWED, request.user, {"case file": [None, "printed"]})
    pdf = hooks.single("missing.person_pdf")(person, results["candidates"], results["identifications"],
                                            history_of(person)[:300])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="case-file-{person.ref}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def family_pedtools(request, ref):
    """The family's pedigree as pedtools (R) and forrel read it: ``id fid mid sex``, tab-separated."""
    from django.http import HttpResponse


    require(request.user, Cap.MISSING_READ)
    family = access.get(request.user, Family, ref=ref)
    response = HttpResponse(pedtools_table(family), content_type="text/tab-separated-values; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{family.ref}.ped"'
    return response


# --- register extracts (issue 31) --------------------------------------------------------------

@require_POST
def extract_issue(request, ref):
    try:
        extract = extracts.issue_extract(request.user, ref)
    except (Conflict, InvalidInput) as e:
        messages.error(request, e.message)
        return redirect("missing:person-detail", ref=ref)
    messages.success(request, _("Extract %(n)s issued.") % {"n": extract.number})
    return redirect("missing:extract-pdf", number=extract.number)


def extract_download(request, number):
    extract = extracts.get_extract(request.user, number)
    url = request.build_absolute_uri(reverse("missing:extract-verify", args=[extract.number])) + f"?c={extract.check_code}"
    pdf = extracts.extract_pdf(extract, url, settings.VESTIGE_ORGANISATION)
    record(extract.missing_person, Action.VIEWED, request.user, {"register extract": [None, f"{number} printed"]})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="extract-{extract.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def extract_revoke(request, number):
    try:
        extract = extracts.revoke_extract(request.user, number, request.POST.get("reason", ""))
    except (Conflict, InvalidInput) as e:
        messages.error(request, e.message)
        extract = extracts.get_extract(request.user, number)
        return redirect(extract.missing_person.get_absolute_url())
    messages.success(request, _("Extract %(n)s revoked.") % {"n": extract.number})
    return redirect(extract.missing_person.get_absolute_url())


def extract_verify(request, number):
    """Public: is this extract genuine? Its number, date and state only."""
    extract = extracts.verify_extract(number, request.GET.get("c", ""))
    return render(request, "missing/extract_verify.html", {"extract": extract, "number": number[:32],
                                                          "organisation": settings.VESTIGE_ORGANISATION},
                  status=200 if extract else 404)
