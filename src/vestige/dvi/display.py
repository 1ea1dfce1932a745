"""What a person reads of the dental core: states, materials, verdicts and the rules' reasons in
the interface language (the pure core :mod:`vestige.osteology.odontology` speaks English only)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STATES = {
    "sound": _("sound"), "caries": _("caries"), "filled": _("filled"), "crown": _("crown"), "bridge": _("bridge"),
    "implant": _("implant"), "missing": pgettext_lazy("tooth state", "missing"), "missing_am": _("missing (lost in life)"),
    "missing_pm": _("missing (lost after death)"), "missing_unknown": _("missing (when unknown)"),
    "unerupted": _("unerupted"), "not_recoverable": _("not recoverable"),
}
MATERIALS = {
    "amalgam": _("amalgam"), "composite": _("composite"), "glass_ionomer": _("glass ionomer"), "gold": _("gold"),
    "ceramic": _("ceramic"), "metal_ceramic": _("metal-ceramic"), "temporary": _("temporary"), "other": _("other"),
}
VERDICTS = {
    "concordant": _("concordant"), "explainable": _("explainable"), "incompatible": _("incompatible"),
    "not_compared": _("not compared"),
}
REASONS = {
    "a filling lost, leaving a cavity": _("a filling lost, leaving a cavity"),
    "a surface filled ante mortem is not filled post mortem": _("a surface filled ante mortem is not filled post mortem"),
    "absent ante mortem, present post mortem": _("absent ante mortem, present post mortem"),
    "absent in life but present at death (open socket)": _("absent in life but present at death (open socket)"),
    "absent on both": _("absent on both"),
    "an implant ante mortem, a natural tooth post mortem": _("an implant ante mortem, a natural tooth post mortem"),
    "bridge on both": _("bridge on both"),
    "caries ante mortem, sound post mortem: decay is not undone": _("caries ante mortem, sound post mortem: decay is not undone"),
    "caries on both": _("caries on both"),
    "crown on both": _("crown on both"),
    "crowned ante mortem, no crown post mortem": _("crowned ante mortem, no crown post mortem"),
    "deciduous tooth shed; its permanent successor is present": _("deciduous tooth shed; its permanent successor is present"),
    "erupted (and perhaps treated or lost) after the record": _("erupted (and perhaps treated or lost) after the record"),
    "erupted ante mortem, unerupted post mortem": _("erupted ante mortem, unerupted post mortem"),
    "filled ante mortem, sound post mortem": _("filled ante mortem, sound post mortem"),
    "filled on both": _("filled on both"),
    "filled on the same surfaces": _("filled on the same surfaces"),
    "filled on the same surfaces (the material was replaced)": _("filled on the same surfaces (the material was replaced)"),
    "further treatment or loss": _("further treatment or loss"),
    "implant on both": _("implant on both"),
    "lost after death": _("lost after death"),
    "not recorded on both charts": _("not recorded on both charts"),
    "not recoverable post mortem": _("not recoverable post mortem"),
    "part of a bridge ante mortem, a natural unrestored crown post mortem": _("part of a bridge ante mortem, a natural unrestored crown post mortem"),
    "permanent tooth ante mortem, its deciduous predecessor post mortem": _("permanent tooth ante mortem, its deciduous predecessor post mortem"),
    "recorded as absent, found unerupted (impacted)": _("recorded as absent, found unerupted (impacted)"),
    "root canal filling ante mortem, none post mortem": _("root canal filling ante mortem, none post mortem"),
    "root canal treated after the record": _("root canal treated after the record"),
    "sound on both": _("sound on both"),
    "the bridge later removed": _("the bridge later removed"),
    "the bridge replaced by a single crown on the abutment": _("the bridge replaced by a single crown on the abutment"),
    "the crowned tooth later bridged or lost": _("the crowned tooth later bridged or lost"),
    "the filling enlarged after the record": _("the filling enlarged after the record"),
    "the gap later closed by an implant or a bridge": _("the gap later closed by an implant or a bridge"),
    "the implant crown bridged or the implant lost": _("the implant crown bridged or the implant lost"),
    "treated after the record": _("treated after the record"),
    "treated or lost after the ante-mortem record": _("treated or lost after the ante-mortem record"),
    "unerupted on both": _("unerupted on both"),
}


def entry_text(entry: dict | None) -> str:
    """One tooth's record in words: "filled, MO, amalgam, root canal"."""
    if entry is None:
        return str(_("not recorded"))
    parts = [str(STATES.get(entry["state"], entry["state"]))]
    if entry.get("surfaces"):
        parts.append(entry["surfaces"])
    if entry.get("material"):
        parts.append(str(MATERIALS.get(entry["material"], entry["material"])))
    if entry.get("root_canal"):
        parts.append(str(_("root canal")))
    if entry.get("note"):
        parts.append(entry["note"])
    return ", ".join(parts)


def reason_text(reason: str) -> str:
    return str(REASONS.get(reason, reason))


def tooth_rows(comparison) -> list[dict]:
    """The tooth table of a comparison, for a page or a report."""
    return [{"tooth": t.tooth, "am": entry_text(t.am), "pm": entry_text(t.pm), "verdict": t.verdict.value,
             "verdict_label": str(VERDICTS[t.verdict.value]), "reason": reason_text(t.reason),
             "points": round(t.points, 2)} for t in comparison.teeth]
