"""Record-level access: who sees and changes which records, by case membership.

Every case record belongs to one case (:class:`vestige.accounts.models.Case`), directly (sites,
families, incidents, claims, witnesses, evidence items carry a ``case``) or through its parent
(a grave through its site, a donor through its family ...). A user sees and changes only the
records of the cases they are a member of; the administrator and the auditor work across
cases. A candidate identification belongs to both sides: the body's case and the family's.

The rule is applied in two places, both here: :func:`scope` filters a queryset (every list,
export, search and count a person sees), and :func:`check`/:func:`get` refuse one record
(every page, API read and service write). A record outside the user's cases is *not found*
(404), never "forbidden": its existence is not disclosed. Roles still decide what a person may
do (:mod:`vestige.accounts.roles`); cases decide to which records.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from vestige.accounts.models import Case
from vestige.errors import InvalidInput, NotFound, PermissionDenied

CROSS_CASE_ROLES = {"administrator", "auditor"}

# model label → the ORM paths to its case (in scope when any of them is one of the user's cases).
PATHS: dict[str, tuple[str, ...]] = {
    "registry.site": ("case",),
    "registry.grave": ("site__case",),
    "registry.exhumation": ("site__case",),
    "registry.remains": ("site__case",),
    "registry.skeletalelement": ("site__case",),
    "missing.family": ("case",),
    "missing.member": ("family__case",),
    "missing.missingperson": ("family__case",),
    "missing.donor": ("family__case",),
    "missing.referenceprofile": ("donor__family__case",),
    "missing.personlist": ("case",),
    "missing.listentry": ("person_list__case",),
    "claims.incident": ("case",),
    "claims.claim": ("case",),
    "claims.claimlink": ("claim__case",),
    "claims.witness": ("case",),
    "claims.statement": ("witness__case",),
    "evidence.evidenceitem": ("case",),
    "identification.remainssample": ("remains__site__case",),
    "identification.candidate": ("remains__site__case", "missing_person__family__case"),
    "identification.identification": ("remains__site__case", "missing_person__family__case"),
    "identification.duplicategroup": ("remains__site__case",),
    "dvi.dentalchart": ("remains__site__case", "missing_person__family__case"),
    "dvi.mark": ("remains__site__case", "missing_person__family__case"),
    "dvi.effect": ("remains__site__case", "missing_person__family__case"),
    "dvi.medicalfinding": ("remains__site__case", "missing_person__family__case"),
    "dvi.fingerprintrecord": ("remains__site__case", "missing_person__family__case"),
    "dvi.comparison": ("remains__site__case", "missing_person__family__case"),
}


MULTI_VALUED = {"identification.duplicategroup"}


def sees_all(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active
                and user.role in CROSS_CASE_ROLES)


def case_ids(user) -> frozenset[int]:
    """The user's cases (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_vestige_case_ids", None)
    if cached is None:
        cached = frozenset(user.case_memberships.values_list("case_id", flat=True))
        user._vestige_case_ids = cached
    return cached


def _label(model) -> str:
    return model._meta.label_lower


def scope(qs: QuerySet, user) -> QuerySet:
    """Only the rows of ``qs`` that ``user`` may see."""
    paths = PATHS.get(_label(qs.model))
    if paths is None or sees_all(user):
        return qs
    ids = case_ids(user)
    if not ids:
        return qs.none()
    q = reduce(or_, (Q(**{f"{p}__in": ids}) for p in paths))
    # Several paths, or one through a many-to-many relation, can match a row more than once.
    return qs.filter(q).distinct() if len(paths) > 1 or _label(qs.model) in MULTI_VALUED else qs.filter(q)


def visible(user, obj: Model) -> bool:
    if obj is None:
        return False
    if PATHS.get(_label(type(obj))) is None or sees_all(user):
        return True
    return scope(type(obj).objects.filter(pk=obj.pk), user).exists()


def check(user, obj: Model):
    """``obj`` if ``user`` may see it; NotFound otherwise (the record is not disclosed)."""
    if not visible(user, obj):
        raise NotFound(_("No such record."))
    return obj


def get(user, model_or_qs, **lookup):
    """The one record matching ``lookup`` among those ``user`` may see, or NotFound."""
    if isinstance(model_or_qs, QuerySet):
        qs = model_or_qs
    elif hasattr(model_or_qs, "get_queryset"):  # a related manager (family.members)
        qs = model_or_qs.all()
    else:
        qs = model_or_qs._default_manager.all()
    try:
        return scope(qs, user).get(**lookup)
    except qs.model.DoesNotExist:
        raise NotFound(_("No %(m)s %(k)s.") % {"m": qs.model._meta.verbose_name,
                                               "k": ", ".join(str(v) for v in lookup.values())}) from None


def case_of(obj: Model):
    """The case ``obj`` belongs to (through its parents), or None."""

    paths = PATHS.get(_label(type(obj)))
    if not paths:
        return None
    target = obj
    for part in paths[0].split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target if isinstance(target, Case) else None


def require_member(user, case) -> None:
    if case is None or sees_all(user) or case.pk in case_ids(user):
        return
    raise PermissionDenied(_("You are not a member of case %(c)s.") % {"c": case.code})


def case_for_new(user, given=None, *, parent: Model | None = None):
    """The case a new record goes into: its parent's (a grave goes where its site is), else the
    one named (``given``: a Case or its code), else the user's only case, else the only case
    there is; a user must be a member of it."""

    if parent is not None:
        check(user, parent)
        case = case_of(parent)
        if case is not None:
            return case
    if given:
        if isinstance(given, Case):
            case = given
        else:
            case = Case.objects.filter(code=str(given).strip()).first()
            if case is None:
                raise InvalidInput(_("No case %(c)r.") % {"c": given}, field="case")
        require_member(user, case)
        return case
    mine = list(Case.objects.filter(pk__in=case_ids(user))) if not sees_all(user) else list(Case.objects.all()[:2])
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise PermissionDenied(_("You are a member of no case: an administrator must add you to one."))
    choices = ", ".join(c.code for c in (Case.objects.filter(pk__in=case_ids(user)) if not sees_all(user)
                                            else Case.objects.all()))
    raise InvalidInput(_("Choose the case for this record (one of: %(c)s).") % {"c": choices}, field="case")


def cases_for(user) -> QuerySet:
    """The cases a user may put records into (for the forms' case menus)."""

    return Case.objects.all() if sees_all(user) else Case.objects.filter(pk__in=case_ids(user))
