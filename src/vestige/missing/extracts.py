"""Register extracts (issue 31, part 2): a numbered, dated PDF extract of a missing person's record,
which families present for pensions and other entitlements, and which anyone can check.

- **Issue** (a liaison): the record's fields as the extract states them — register number, name,
  sex, date of birth, date and place of disappearance, circumstances and the case's status — kept
  with the extract as printed; a number ``EX-YYYY-NNNNNN``
  and a random check code; an event in the person's history.
- **Verify** (anyone, no login: ``/verify/extract/NUMBER/?c=CODE``, the QR code's link): only that
  an extract with that number and code was issued, when, and whether it was revoked — nothing of
  the person. A wrong code is answered exactly as an unknown number.
- **Revoke** (a liaison, with a reason): the extract stays, marked revoked; an event in the history.
"""

from __future__ import annotations

import io
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.history.models import Action
from vestige.history.services import record
from vestige.missing.models import MissingPerson, RegisterExtract
from vestige.printing import e, numbered_pages, register_fonts, styles, table_font, who

__all__ = ["issue_extract", "revoke_extract", "get_extract", "verify_extract", "extract_pdf"]

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def _fields(person: MissingPerson) -> dict:
    return {"ref": person.ref, "surname": person.family_name, "given_name": person.given_name,
            "patronymic": person.patronymic, "sex": person.get_sex_display(),
            "birth_date": person.birth_date.isoformat() if person.birth_date else "",
            "last_seen_on": person.last_seen_on.isoformat() if person.last_seen_on else "",
            "last_seen_place": person.last_seen_place, "circumstances": person.circumstances,
            "status": person.get_status_display(), "status_code": person.status}


def issue_extract(actor, ref: str) -> RegisterExtract:
    require(actor, Cap.MISSING_WRITE)
    try:
        person = access.get(actor, MissingPerson, ref=ref)
    except MissingPerson.DoesNotExist:
        raise NotFound(_("No missing person %(r)r.") % {"r": ref}) from None
    if person.withdrawn_at is not None:
        raise Conflict(_("The record of %(r)s was withdrawn: no extract can be issued.") % {"r": ref})
    year = timezone.now().year
    with transaction.atomic():
        last = (RegisterExtract.objects.select_for_update().filter(number__startswith=f"EX-{year}-")
                .order_by("-number").values_list("number", flat=True).first())
        n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        extract = RegisterExtract.objects.create(
            number=f"EX-{year}-{n:06d}", check_code="".join(secrets.choice(CODE_ALPHABET) for _ in range(10)),
            missing_person=person, fields=_fields(person), issued_by=actor)
        record(person, Action.UPDATED, actor, {"register extract": [None, f"{extract.number} issued"]})
    return extract


def get_extract(actor, number: str) -> RegisterExtract:
    require(actor, Cap.MISSING_READ)
    try:
        extract = RegisterExtract.objects.select_related("missing_person", "issued_by").get(number=number)
    except RegisterExtract.DoesNotExist:
        raise NotFound(_("No extract %(n)s.") % {"n": number}) from None
    access.get(actor, MissingPerson, pk=extract.missing_person_id)  # the person's case must be the reader's
    return extract


def revoke_extract(actor, number: str, reason: str) -> RegisterExtract:
    require(actor, Cap.MISSING_WRITE)
    extract = get_extract(actor, number)
    if not (reason or "").strip():
        raise InvalidInput(_("Say why the extract is revoked."), field="reason")
    if extract.revoked_at is not None:
        raise Conflict(_("Extract %(n)s was revoked already.") % {"n": number})
    with transaction.atomic():
        RegisterExtract.objects.filter(pk=extract.pk).update(revoked_at=timezone.now(), revoked_by=actor,
                                                             revoke_reason=reason.strip())
        record(extract.missing_person, Action.UPDATED, actor,
               {"register extract": [f"{number} issued", f"{number} revoked: {reason.strip()}"]})
    extract.refresh_from_db()
    return extract


def verify_extract(number: str, code: str) -> RegisterExtract | None:
    """The extract with this number and check code, or None (a wrong code and an unknown number
    look alike)."""
    extract = RegisterExtract.objects.filter(number=(number or "").strip().upper()).first()
    if extract is None or not secrets.compare_digest(extract.check_code, (code or "").strip().upper()):
        return None
    return extract


def extract_pdf(extract: RegisterExtract, verify_url: str, organisation: str) -> bytes:
    """The extract as printed: its number and date, the record's fields, who issued it, and a QR code
    of ``verify_url``."""
    import qrcode  # the QR library the two-factor set-up uses
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


    register_fonts()
    st = styles()
    buf = io.BytesIO()
    f = extract.fields
    title = _("Extract from the register of missing persons")
    doc = SimpleDocTemplate(buf, pagesize=A4, title=f"{title} {extract.number}", leftMargin=20 * mm,
                            rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    cell = st["BodyText"].clone("cell", fontSize=10, leading=13)
    name = " ".join(x for x in (f.get("surname"), f.get("given_name"), f.get("patronymic")) if x)
    rows = [(_("Register number"), f.get("ref")), (_("Surname, given name, patronymic"), name), (_("Sex"), f.get("sex")),
            (_("Date of birth"), f.get("birth_date")), (_("Date of disappearance"), f.get("last_seen_on")),
            (_("Place of disappearance"), f.get("last_seen_place")), (_("Circumstances"), f.get("circumstances")),
            (_("Status of the case"), f.get("status"))]
    table = Table([[Paragraph(e(a), cell), Paragraph(e(b or "—"), cell)] for a, b in rows], colWidths=[55 * mm, 115 * mm])
    table.setStyle(TableStyle([*table_font(), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    qr = qrcode.make(verify_url)
    png = io.BytesIO()
    qr.save(png, format="PNG")
    png.seek(0)
    issued = timezone.localtime(extract.issued_at).strftime("%Y-%m-%d %H:%M")
    story = [Paragraph(e(organisation), st["Heading2"]), Paragraph(e(title), st["Title"]),
             Paragraph(e(_("No. %(n)s of %(d)s") % {"n": extract.number, "d": issued}), st["Heading2"]),
             Spacer(1, 6), table, Spacer(1, 10),
             Paragraph(e(_("Issued by %(who)s on %(d)s.") % {"who": who(extract.issued_by), "d": issued}), st["Normal"]),
             Spacer(1, 8),
             Image(png, width=35 * mm, height=35 * mm, hAlign="LEFT"),
             Paragraph(e(_("Check this extract: %(url)s — number %(n)s, check code %(c)s. The page says only whether "
                           "the extract is genuine, when it was issued and whether it was revoked.") % {
                 "url": verify_url.split("?")[0], "n": extract.number, "c": extract.check_code}), st["Normal"])]
    doc.build(story, canvasmaker=numbered_pages())
    return buf.getvalue()
