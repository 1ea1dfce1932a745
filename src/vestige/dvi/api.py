"""JSON API of the DVI records: charts and sections per missing person (AM, by reference) or per
remains (PM, by body number), dental and implant matches, comparisons (ACE-V), the board and its
proposal, and the exchange file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Body, Router, Schema, Status

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dvi import board as boards
from vestige.dvi import exchange
from vestige.dvi import services as dvi
from vestige.dvi.models import Comparison

router = Router(tags=["dvi"])


class ChartIn(Schema):
    teeth: dict[str, dict[str, Any]]
    charted_on: dt.date | None = None
    source: str = ""
    notes: str = ""
    others_sound: bool = False
    radiographs: list[str] | None = None


class ComparisonIn(Schema):
    method: str
    remains: str
    missing_person: str
    conclusion: str
    note: str = ""


class VerifyIn(Schema):
    agree: bool
    note: str = ""


class ProposeIn(Schema):
    basis: str = ""
    conflicts_explained: str = ""


def _chart_dict(chart) -> dict | None:
    if chart is None:
        return None
    return {"charted_on": chart.charted_on, "source": chart.source, "notes": chart.notes, "teeth": chart.teeth,
            "radiographs": [i.ref for i in chart.radiographs.all()]}


def _comparison(c: Comparison) -> dict:
    return {"id": c.pk, "method": c.method, "remains": c.remains.body_number, "missing_person": c.missing_person.ref,
            "conclusion": c.conclusion, "verification": c.verification, "note": c.note, "figures": c.figures,
            "examined_by": c.examined_by.username, "verified_by": c.verified_by.username if c.verified_by_id else None}


@router.get("/dvi/{side}/{key}", url_name="dvi-record")
def get_record(request, side: str, key: str):
    """Everything recorded for one missing person (``am``, by reference) or remains (``pm``, by body number)."""
    dvi.require_side(request.user, side)
    owner = dvi.find_owner(request.user, side, key)
    rows = dvi.records_of(request.user, owner)
    out = {"side": side, "key": key, "dental": _chart_dict(dvi.chart_of(owner))}
    for name, objs in rows.items():
        fields = dvi.SECTIONS[name][1]
        out[name] = [{"id": o.pk, **{f: (getattr(o, f).ref if f in dvi.EVIDENCE_FIELDS and getattr(o, f) else
                                         getattr(o, f)) for f in fields}} for o in objs]
    return out


@router.put("/dvi/{side}/{key}/chart", url_name="dvi-chart")
def put_chart(request, side: str, key: str, payload: ChartIn):
    dvi.require_side(request.user, side, write=True)
    owner = dvi.find_owner(request.user, side, key)
    chart = dvi.save_chart(request.user, owner, payload.teeth, charted_on=payload.charted_on, source=payload.source,
                           notes=payload.notes, others_sound=payload.others_sound, radiographs=payload.radiographs,
                           via="api")
    return _chart_dict(chart)


@router.post("/dvi/{side}/{key}/{section}", response={201: dict}, url_name="dvi-add")
def add_record(request, side: str, key: str, section: str, payload: dict[str, Any] = Body(...)):  # noqa: B008
    """Add a mark, effect, medical finding or fingerprint record (``section``: marks, effects,
    medical, fingerprints); evidence items by reference."""
    dvi.require_side(request.user, side, write=True)
    owner = dvi.find_owner(request.user, side, key)
    obj = dvi.add_record(request.user, section, owner, payload, via="api")
    return Status(201, {"id": obj.pk, "section": section, "text": str(obj)})


@router.get("/dvi-matches/dental", url_name="dvi-dental")
def dental(request, remains: str = "", top: int = 5):
    """Every PM chart (or one body's, with its tooth table) ranked against the AM charts."""
    return dvi.dental_matches(request.user, remains=remains, top=max(1, min(top, 100)))


@router.get("/dvi-matches/implants", url_name="dvi-implants")
def implants(request):
    return dvi.implant_matches(request.user)


@router.post("/dvi-comparisons", response={201: dict}, url_name="dvi-compare")
def compare(request, payload: ComparisonIn):
    require(request.user, Cap.DVI_COMPARE)
    r = dvi.find_owner(request.user, "pm", payload.remains)
    mp = dvi.find_owner(request.user, "am", payload.missing_person)
    c = dvi.record_comparison(request.user, payload.method, r, mp, payload.conclusion, note=payload.note, via="api")
    return Status(201, _comparison(c))


@router.post("/dvi-comparisons/{pk}/verify", url_name="dvi-verify")
def verify(request, pk: int, payload: VerifyIn):
    require(request.user, Cap.DVI_COMPARE)
    c = access.get(request.user, Comparison.objects.select_related("remains", "missing_person", "examined_by"), pk=pk)
    return _comparison(dvi.verify_comparison(request.user, c, payload.agree, payload.note, via="api"))


@router.get("/dvi-board/{remains}/{missing_person}", url_name="dvi-board")
def get_board(request, remains: str, missing_person: str):
    require(request.user, Cap.IDENT_READ)
    r = dvi.find_owner(request.user, "pm", remains)
    mp = dvi.find_owner(request.user, "am", missing_person)
    return boards.summary(boards.board(request.user, r, mp))


@router.post("/dvi-board/{remains}/{missing_person}/propose", response={201: dict}, url_name="dvi-propose")
def propose(request, remains: str, missing_person: str, payload: ProposeIn):
    require(request.user, Cap.BOARD)
    r = dvi.find_owner(request.user, "pm", remains)
    mp = dvi.find_owner(request.user, "am", missing_person)
    basis = payload.basis or boards.default_basis(boards.board(request.user, r, mp))
    ident = boards.propose(request.user, r, mp, basis, conflicts_explained=payload.conflicts_explained, via="api")
    return Status(201, {"id": ident.pk, "identified_by": ident.identified_by, "status": ident.status})


@router.get("/dvi-exchange", url_name="dvi-export")
def export(request, case: str = ""):
    """The documented exchange JSON (format ``vestige-dvi-exchange``, version 1)."""
    return exchange.export(request.user, case=case)


@router.post("/dvi-exchange", url_name="dvi-import")
def load(request, payload: dict[str, Any] = Body(...)):  # noqa: B008
    return exchange.load(request.user, payload, via="api")
