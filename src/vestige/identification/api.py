"""JSON API: matching runs, candidates (statistics, never DNA), the joint result, decisions,
same-individual groups, worklists and identification statistics."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.api_types import Limit
from vestige.errors import NotFound
from vestige.identification import services
from vestige.identification.models import Candidate, DuplicateGroup, Identification, MatchingRun
from vestige.registry.models import Remains

router = Router(tags=["identification"])


class CandidateOut(Schema):
    id: int
    run: int
    body_number: str
    missing_person: str
    family: str
    member: str
    log10_lr: float | None
    posterior: float
    tolerance: float
    exact: bool
    log10_glr: float | None
    prior: float
    markers_compared: int
    conflicts: int
    flags: list[str]


class RunOut(Schema):
    id: int
    status: str
    progress: int
    message: str
    current: bool
    started_at: dt.datetime
    finished_at: dt.datetime | None
    inputs: dict
    counts: dict
    timings: dict

    @staticmethod
    def resolve_id(obj):
        return obj.pk


class RunIn(Schema):
    site: str = ""
    families: list[str] = []
    lineage: dict[str, int] = {}  # system (y, mt, x, snp) → population database (or SNP panel) id


class ProposeIn(Schema):
    basis: str = ""
    below_threshold_reason: str = ""


class DecisionIn(Schema):
    confirm: bool
    note: str = ""


class NotifyIn(Schema):
    on: dt.date
    how: str


class ReturnIn(Schema):
    on: dt.date


class IdentificationOut(Schema):
    id: int
    remains: str
    missing_person: str
    status: str
    posterior: float | None
    identified_by: str
    basis: str
    proposed_by: str
    decided_by: str | None
    notified_on: dt.date | None
    returned_on: dt.date | None

    @staticmethod
    def resolve_id(obj):
        return obj.pk

    @staticmethod
    def resolve_remains(obj):
        return obj.remains.body_number

    @staticmethod
    def resolve_missing_person(obj):
        return obj.missing_person.ref

    @staticmethod
    def resolve_proposed_by(obj):
        return obj.proposed_by.username

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by.username if obj.decided_by_id else None


class SameBodyIn(Schema):
    remains: list[str]
    basis: str


class SameBodyOut(Schema):
    id: int
    remains: list[str]
    status: str
    basis: str

    @staticmethod
    def resolve_id(obj):
        return obj.pk

    @staticmethod
    def resolve_remains(obj):
        return sorted(obj.remains.values_list("body_number", flat=True))


def _run(run: int | None) -> MatchingRun:
    r = MatchingRun.objects.filter(pk=run).first() if run else services.current_run()
    if r is None:
        raise NotFound("no matching run" + (f" {run}" if run else " yet"))
    return r


@router.get("/candidates", response=list[CandidateOut], url_name="candidate-list")
def candidates(request, run: int | None = None, remains: str = "", missing_person: str = "", min_posterior: float = 0.0,
               limit: Limit = 100):
    """Candidates of a run (default: the current one), best posterior first. Statistics only."""
    require(request.user, Cap.IDENT_READ)
    r = _run(run) if run else services.current_run()
    if r is None:
        return []
    return list(services.candidate_rows(r, min_posterior=min_posterior, remains=remains, missing_person=missing_person,
                                        limit=limit, actor=request.user))


@router.get("/identification/stats", url_name="identify-stats")
def identification_stats(request, site: str = ""):
    require(request.user, Cap.REGISTRY_READ)
    return services.stats(site, request.user)  # the user's cases only; another case's site: 404


@router.get("/identification/joint", url_name="identify-joint")
def joint(request, run: int | None = None):
    """The run's joint result: related remains solved together, their best assignments, the
    matches the DNA cannot tell apart; the families that cannot be searched; possible duplicates."""
    require(request.user, Cap.IDENT_READ)
    return services.joint_result(_run(run), actor=request.user)


@router.post("/identification/runs", response={201: RunOut}, url_name="run-start")
def start_run(request, payload: RunIn):
    """Start a matching run (in the background; poll ``GET /identification/runs/{id}``)."""
    return Status(201, services.start_run(request.user, site=payload.site, families=payload.families,
                                          lineage=payload.lineage))


@router.get("/identification/runs/{run_id}", response=RunOut, url_name="run-get")
def get_run(request, run_id: int):
    require(request.user, Cap.IDENT_READ)
    services.reap_stale_runs()
    return access.get(request.user, MatchingRun, pk=run_id)


@router.get("/identification/worklists/{name}", url_name="worklist")
def worklist(request, name: str):
    """What waits for whom: confirm, notify, return, donors, no-candidate, duplicates, discordant."""
    return services.worklist(name, request.user)


@router.post("/identification/candidates/{candidate_id}/propose", response={201: IdentificationOut},
             url_name="propose")
def propose(request, candidate_id: int, payload: ProposeIn):
    c = access.get(request.user, Candidate, pk=candidate_id)
    basis = payload.basis or services.basis_text(c)
    return Status(201, services.propose(request.user, c, basis, below_threshold_reason=payload.below_threshold_reason,
                                        via="api"))


@router.post("/identification/decisions/{ident_id}/decide", response=IdentificationOut, url_name="decide")
def decide(request, ident_id: int, payload: DecisionIn):
    return services.decide(request.user, access.get(request.user, Identification, pk=ident_id), payload.confirm, payload.note,
                           via="api")


@router.post("/identification/decisions/{ident_id}/notify", response=IdentificationOut, url_name="notify")
def notify(request, ident_id: int, payload: NotifyIn):
    return services.record_notification(request.user, access.get(request.user, Identification, pk=ident_id), payload.on,
                                        payload.how, via="api")


@router.post("/identification/decisions/{ident_id}/return", response=IdentificationOut, url_name="return")
def returned(request, ident_id: int, payload: ReturnIn):
    return services.record_return(request.user, access.get(request.user, Identification, pk=ident_id), payload.on, via="api")


@router.post("/identification/same-body", response={201: SameBodyOut}, url_name="same-body")
def same_body(request, payload: SameBodyIn):
    found = list(access.scope(Remains.objects.filter(body_number__in=payload.remains), request.user))
    missing = set(payload.remains) - {r.body_number for r in found}
    if missing:
        raise NotFound(f"no remains {', '.join(sorted(missing))}")
    return Status(201, services.propose_duplicate(request.user, found, payload.basis, via="api"))


@router.post("/identification/same-body/{group_id}/decide", response=SameBodyOut, url_name="same-body-decide")
def same_body_decide(request, group_id: int, payload: DecisionIn):
    return services.decide_duplicate(request.user, access.get(request.user, DuplicateGroup, pk=group_id), payload.confirm,
                                     payload.note, via="api")
