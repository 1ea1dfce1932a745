"""An item's metadata and custody as a person reads them: labelled, formatted, no ``None``, no
raw JSON up front (the canonical entry stays one click away, for whoever verifies it)."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LABELS = {
    "width": gettext_lazy("width (px)"), "height": gettext_lazy("height (px)"), "format": gettext_lazy("format"),
    "taken_at": gettext_lazy("taken at"), "taken_at_source": gettext_lazy("time taken read from"),
    "taken_at_zone": gettext_lazy("time zone of the time taken"), "modified_at": gettext_lazy("file modified at (EXIF)"), "latitude": gettext_lazy("latitude"), "longitude": gettext_lazy("longitude"),
    "camera": gettext_lazy("camera"), "orientation": gettext_lazy("orientation (EXIF)"), "phash": gettext_lazy("perceptual hash"), "pages": gettext_lazy("pages"),
    "document": gettext_lazy("document properties"), "streams": gettext_lazy("streams"),
    "duration_s": gettext_lazy("duration"), "creation_time": gettext_lazy("created (as the file says)"),
    "location": gettext_lazy("location tag (as the file says)"), "wacz": gettext_lazy("web archive (WACZ)"),
    "wacz_check": gettext_lazy("web archive check"),
    "capture": gettext_lazy("web capture"), "c2pa": gettext_lazy("content credentials (C2PA)"), "frame_interval_s": gettext_lazy("frames hashed every (s)"), "capture_media_errors": gettext_lazy("media not downloaded"),
}
WACZ_STATES = {"valid": gettext_lazy("valid: every file matches its hash and the signature verifies"),
               "unsigned": gettext_lazy("unsigned: every file matches its hash, nobody signed the archive"),
               "untrusted": gettext_lazy("signed by a certificate whose root is not trusted here"),
               "invalid": gettext_lazy("INVALID")}
HIDDEN = {"exif", "steps", "frame_phashes", "frame_phashes_c90", "frame_phashes_c80"}  # the raw EXIF block, the steps done, per-frame hashes


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def metadata_rows(meta: dict) -> list[tuple[str, str]]:
    """(label, value) for each metadata key that has a value."""
    rows = []
    for key, value in meta.items():
        if key in HIDDEN or value in (None, "", [], {}):
            continue
        if key == "duration_s":
            shown = _duration(float(value))
        elif key in ("latitude", "longitude"):
            shown = f"{float(value):.5f}"
        elif key == "streams":
            shown = "; ".join(" ".join(str(x) for x in (s.get("type"), s.get("codec"),
                                                         f"{s['width']}×{s['height']}" if s.get("width") else None)
                                       if x) for s in value)
        elif key == "pages" and isinstance(value, list):
            shown = "; ".join(p.get("url") or "" for p in value[:20]) + (" …" if len(value) > 20 else "")
        elif key == "wacz":
            shown = _("yes")
        elif key == "wacz_check" and isinstance(value, dict):
            shown = _wacz_check(value)
        elif key == "c2pa" and isinstance(value, dict):
            shown = _credentials(value)
        elif key == "capture" and isinstance(value, dict):
            shown = _capture(value)
        elif key == "capture_media_errors" and isinstance(value, list):
            shown = "; ".join(f"{m.get('url')}: {m.get('error')}" for m in value)
        elif isinstance(value, dict):
            shown = "; ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
        else:
            shown = str(value)
        rows.append((str(LABELS.get(key, key.replace("_", " "))), shown))
    return rows


C2PA_STATES = {"Trusted": gettext_lazy("valid, signed by a trusted signer"),
               "Valid": gettext_lazy("valid (the signer is on no trust list here)"),
               "Invalid": gettext_lazy("INVALID: the file or its manifest changed after signing"),
               "remote": gettext_lazy("stored remotely (not fetched)")}


def _credentials(c: dict) -> str:
    parts = [str(C2PA_STATES.get(c.get("state"), c.get("state")))]
    signer = c.get("signer") or {}
    if signer:
        parts.append(_("signed by %(who)s") % {"who": ", ".join(str(signer[k]) for k in ("name", "issuer") if signer.get(k))})
    if c.get("manifest_url"):
        parts.append(_("manifest at %(u)s") % {"u": c["manifest_url"]})
    if c.get("generator"):
        parts.append(_("made with %(g)s") % {"g": ", ".join(c["generator"])})
    if c.get("actions"):
        parts.append(_("claimed actions: %(a)s") % {"a": ", ".join(a.get("action", "?") for a in c["actions"])})
    if c.get("ingredients"):
        parts.append(_("ingredients: %(i)s") % {"i": ", ".join(c["ingredients"])})
    parts += c.get("problems") or []
    return "; ".join(parts)


def _capture(c: dict) -> str:
    parts = []
    if c.get("final_url"):
        parts.append(_("%(url)s, final address %(final)s, HTTP %(status)s") % {
            "url": c.get("url"), "final": c["final_url"], "status": c.get("status") or "?"})
    elif c.get("media_url") or c.get("url"):
        parts.append(_("from %(url)s") % {"url": c.get("media_url") or c.get("url")})
    for r in c.get("redirects") or []:
        parts.append(_("redirect %(status)s from %(url)s") % {"status": r.get("status"), "url": r.get("url")})
    if c.get("captured"):
        parts.append(_("captured %(t)s") % {"t": c["captured"]})
    if c.get("exchanges"):
        parts.append(_("%(n)s HTTP exchanges recorded") % {"n": c["exchanges"]})
    if c.get("versions"):
        parts.append(", ".join(f"{k} {v}" for k, v in c["versions"].items() if v))
    if c.get("extractor"):
        parts.append(f"yt-dlp: {c['extractor']}")
    return "; ".join(str(p) for p in parts)


def _wacz_check(check: dict) -> str:
    parts = [str(WACZ_STATES.get(check.get("state"), check.get("state")))]
    signer = check.get("signer") or {}
    if signer.get("kind") == "anonymous":
        parts.append(_("anonymous key SHA-256 %(fp)s") % {"fp": signer.get("public_key_sha256", "")})
    elif signer.get("kind") == "domain":
        parts.append(_("signed for %(domain)s, root %(root)s") % {"domain": signer.get("domain") or "?",
                                                                   "root": signer.get("root") or "?"})
        if signer.get("timestamp"):
            parts.append(_("timestamped %(t)s") % {"t": signer["timestamp"]})
    parts += check.get("problems") or []
    return "; ".join(parts)


def _summary(kind: str, details: dict) -> str:
    d = {k: v for k, v in details.items() if k != "facts" and v not in (None, "", [], {})}
    if kind == "received":
        return _("file “%(name)s”") % {"name": d.pop("name", "")} + "".join(
            f"; {k.replace('_', ' ')}: {v}" for k, v in d.items())
    if kind == "hashed":
        return f"SHA-256 {d.get('sha256', '')}, {d.get('size', '?')} B, {d.get('type', '')}"
    if kind == "step_failed":
        return f"{d.get('step', '')}: {d.get('error', '')}"
    if kind == "metadata":
        return str(d.get("step", "")) + (f" ({', '.join(d['keys'])})" if d.get("keys") else "")
    if kind == "linked":
        return _("to %(t)s") % {"t": d.get("to", "")}
    if kind == "unlinked":
        return _("from %(t)s: %(r)s") % {"t": d.get("from", ""), "r": d.get("reason", "")}
    if kind == "downloaded" and d.get("shown"):
        return _("shown in full in the browser")
    if kind == "derived":
        return f"{d.get('derivative', '')} ({d.get('derivation', '')})"
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in d.items() if not isinstance(v, (dict, list))) or "—"


def custody_rows(events) -> list[dict]:
    """Each event: index, kind label, time, actor, a one-line summary, and its canonical entry."""
    rows = []
    for e in events:
        try:
            body = json.loads(e.data)
        except ValueError:
            body = {}
        rows.append({"index": e.index, "kind": e.get_kind_display(), "time": str(body.get("time", ""))[:19].replace("T", " "),
                     "actor": body.get("actor", ""), "summary": _summary(e.kind, body.get("details") or {}),
                     "data": e.data})
    return rows
