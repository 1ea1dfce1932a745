"""JSON API for sites, graves, exhumations and remains: list, get, create, update, withdraw,
restore, history. Same services, same rules, as the HTML forms."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.api_types import Limit, Offset
from vestige.history.services import history_of
from vestige.records import cached_count, page_rows
from vestige.registry import services
from vestige.registry.listing import SPECS
from vestige.registry.models import (
    Category,
    DiscoveryMethod,
    Exhumation,
    Grave,
    GraveStatus,
    MannerOfDeath,
    MarkerType,
    Remains,
    Sex,
    Site,
    SiteKind,
)

router = Router(tags=["registry"])
MAX_LIMIT = 1000


class Reason(Schema):
    reason: str


class ChangeOut(Schema):
    at: dt.datetime
    actor: str
    action: str
    changes: dict
    reason: str
    via: str

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username


# --- sites -------------------------------------------------------------------------------

class SiteIn(Schema):
    case: str = ""  # the case (code); default: your only case
    ref: str
    name: str
    kind: SiteKind
    geometry: dict[str, Any]
    region: str = ""
    locality: str = ""
    description: str = ""
    discovered_on: dt.date | None = None
    discovery_method: DiscoveryMethod | None = None
    discovery_notes: str = ""


class SitePatch(Schema):
    ref: str | None = None
    name: str | None = None
    kind: SiteKind | None = None
    geometry: dict[str, Any] | None = None
    region: str | None = None
    locality: str | None = None
    description: str | None = None
    discovered_on: dt.date | None = None
    discovery_method: DiscoveryMethod | None = None
    discovery_notes: str | None = None


class SiteOut(Schema):
    ref: str
    name: str
    kind: str
    region: str
    locality: str
    description: str
    geometry: dict
    latitude: float
    longitude: float
    discovered_on: dt.date | None
    discovery_method: str
    discovery_notes: str
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str


# --- graves ------------------------------------------------------------------------------

class GraveIn(Schema):
    site: str = Field(description="site reference, e.g. IZM-PISH")
    label: str
    marker_type: MarkerType = MarkerType.NONE
    inscription: str = ""
    latitude: float | None = None
    longitude: float | None = None
    position_note: str = ""
    expected_occupants: int | None = None
    status: GraveStatus = GraveStatus.RECORDED
    notes: str = ""


class GravePatch(Schema):
    site: str | None = None
    label: str | None = None
    marker_type: MarkerType | None = None
    inscription: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    position_note: str | None = None
    expected_occupants: int | None = None
    status: GraveStatus | None = None
    notes: str | None = None


class GraveOut(Schema):
    id: int
    site: str
    label: str
    marker_type: str
    inscription: str
    latitude: float | None
    longitude: float | None
    position_note: str
    expected_occupants: int | None
    status: str
    notes: str
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_site(obj):
        return obj.site.ref


# --- exhumations -------------------------------------------------------------------------

class ExhumationIn(Schema):
    reference: str
    site: str
    team: str
    authority: str
    started_on: dt.date
    ended_on: dt.date | None = None
    notes: str = ""


class ExhumationPatch(Schema):
    reference: str | None = None
    site: str | None = None
    team: str | None = None
    authority: str | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    notes: str | None = None


class ExhumationOut(Schema):
    id: int
    reference: str
    site: str
    team: str
    authority: str
    started_on: dt.date
    ended_on: dt.date | None
    notes: str
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_site(obj):
        return obj.site.ref


# --- remains -----------------------------------------------------------------------------

class RemainsIn(Schema):
    body_number: str
    site: str
    grave: str | None = Field(None, description="grave label at the same site")
    exhumation: str | None = Field(None, description="exhumation reference")
    recovered_on: dt.date | None = None
    sex: Sex = Sex.UNDETERMINED
    age_min: int | None = None
    age_max: int | None = None
    stature_min_cm: int | None = None
    stature_max_cm: int | None = None
    injuries: list[str] = []
    torture_signs: list[str] = []
    cause_of_death: str = ""
    manner_of_death: MannerOfDeath = MannerOfDeath.PENDING
    clothing_effects: str = ""
    category: Category = Category.UNDETERMINED
    notes: str = ""


class RemainsPatch(Schema):
    body_number: str | None = None
    site: str | None = None
    grave: str | None = None
    exhumation: str | None = None
    recovered_on: dt.date | None = None
    sex: Sex | None = None
    age_min: int | None = None
    age_max: int | None = None
    stature_min_cm: int | None = None
    stature_max_cm: int | None = None
    injuries: list[str] | None = None
    torture_signs: list[str] | None = None
    cause_of_death: str | None = None
    manner_of_death: MannerOfDeath | None = None
    clothing_effects: str | None = None
    category: Category | None = None
    notes: str | None = None


class RemainsOut(Schema):
    id: int
    body_number: str
    site: str
    grave: str | None
    exhumation: str | None
    recovered_on: dt.date | None
    sex: str
    age_min: int | None
    age_max: int | None
    stature_min_cm: int | None
    stature_max_cm: int | None
    injuries: list[str]
    torture_signs: list[str]
    cause_of_death: str
    manner_of_death: str
    clothing_effects: str
    category: str
    status: str
    notes: str
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_site(obj):
        return obj.site.ref

    @staticmethod
    def resolve_grave(obj):
        return obj.grave.label if obj.grave_id else None

    @staticmethod
    def resolve_exhumation(obj):
        return obj.exhumation.reference if obj.exhumation_id else None


def _page_schema(name: str, item: type[Schema]) -> type[Schema]:
    return type(name, (Schema,), {"__annotations__": {"count": int, "limit": int, "offset": int, "items": list[item]}})


def _register(path: str, model, lookup: str, lookup_type: type, In, Patch, Out) -> None:
    """Add list, get, create, update, withdraw, restore and history for one model."""
    spec = SPECS[model]
    Page = _page_schema(f"{model.__name__}Page", Out)
    name = model.__name__.lower()
    item_path = f"/{path}/{{{lookup}}}"

    def get(request, key):
        return get_object_or_404(spec.queryset({"withdrawn": "include"}, user=request.user), **{lookup: key})

    def list_(request, limit: Limit = 50, offset: Offset = 0):
        require(request.user, Cap.REGISTRY_READ)
        limit = max(1, min(limit, MAX_LIMIT))
        offset = max(0, offset)
        qs = spec.queryset(request.GET, user=request.user)
        return {"count": cached_count(qs), "limit": limit, "offset": offset, "items": page_rows(qs, offset, offset + limit)}

    def detail(request, key):
        require(request.user, Cap.REGISTRY_READ)
        return get(request, key)

    def create(request, payload):
        return Status(201, services.create(request.user, model, payload.dict(), via="api"))

    def update(request, key, payload):
        return services.update(request.user, get(request, key), payload.dict(exclude_unset=True), via="api")

    def withdraw(request, key, payload: Reason):
        return services.withdraw(request.user, get(request, key), payload.reason, via="api")

    def restore(request, key, payload: Reason):
        return services.restore(request.user, get(request, key), payload.reason, via="api")

    def history(request, key):
        require(request.user, Cap.HISTORY_READ)
        return list(history_of(get(request, key))[:500])

    list_.__doc__ = f"List {path}. Query: q (search), sort, withdrawn (exclude|include|only), " + ", ".join(
        f.name for f in spec.filters) + "; limit (≤ 1000), offset."
    # ninja reads parameters from the signature; the path parameter's name and type vary by model.
    def sig(fn, params):
        fn.__signature__ = inspect.Signature(
            [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            + [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=t) for n, t in params]
        )

    sig(detail, [(lookup, lookup_type)])
    sig(create, [("payload", In)])
    sig(update, [(lookup, lookup_type), ("payload", Patch)])
    sig(withdraw, [(lookup, lookup_type), ("payload", Reason)])
    sig(restore, [(lookup, lookup_type), ("payload", Reason)])
    sig(history, [(lookup, lookup_type)])

    def keyed(fn):
        def wrapper(request, **kwargs):
            key = kwargs.pop(lookup)
            return fn(request, key, **kwargs)
        wrapper.__signature__ = fn.__signature__
        wrapper.__doc__ = fn.__doc__
        wrapper.__name__ = fn.__name__
        return wrapper

    router.get(f"/{path}", response=Page, url_name=f"{name}-list", operation_id=f"list_{name}")(list_)
    router.get(item_path, response=Out, url_name=f"{name}-get", operation_id=f"get_{name}")(keyed(detail))
    router.post(f"/{path}", response={201: Out}, url_name=f"{name}-create", operation_id=f"create_{name}")(create)
    router.patch(item_path, response=Out, url_name=f"{name}-update", operation_id=f"update_{name}")(keyed(update))
    router.post(f"{item_path}/withdraw", response=Out, url_name=f"{name}-withdraw",
                operation_id=f"withdraw_{name}")(keyed(withdraw))
    router.post(f"{item_path}/restore", response=Out, url_name=f"{name}-restore",
                operation_id=f"restore_{name}")(keyed(restore))
    router.get(f"{item_path}/history", response=list[ChangeOut], url_name=f"{name}-history",
               operation_id=f"history_{name}")(keyed(history))


_register("sites", Site, "ref", str, SiteIn, SitePatch, SiteOut)
_register("graves", Grave, "id", int, GraveIn, GravePatch, GraveOut)
_register("exhumations", Exhumation, "id", int, ExhumationIn, ExhumationPatch, ExhumationOut)
_register("remains", Remains, "id", int, RemainsIn, RemainsPatch, RemainsOut)
