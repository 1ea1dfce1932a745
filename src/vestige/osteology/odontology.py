"""Dental charts in FDI notation and their comparison, ante-mortem (AM) against post-mortem (PM).

PURE: no Django, no database. A *chart* is a mapping ``{"16": {"state": "filled", "surfaces":
"MO", "material": "amalgam", "root_canal": False}, ...}`` keyed by the FDI two-digit tooth
number (ISO 3950: quadrant 1–4 permanent, 5–8 deciduous; tooth 1–8 permanent, 1–5 deciduous). A
tooth absent from a chart is *not recorded* and is never compared: a dentist's record lists what
was treated, and "not written down" is not "sound" (a chart may say ``others_sound`` to mean it).

Comparison follows the reasoning of the INTERPOL DVI Guide (2023, Annexe 7 "Forensic
odontology", the AM/PM comparison step) and of the forensic odontology literature (Pretty &
Sweet, *Br Dent J* 190 (2001) 359–366; ABFO Body Identification Guidelines, *J Am Dent Assoc*
125 (1994) 1244–1254; Adams, *J Forensic Sci* 48 (2003) 487–496): time runs from AM to PM, and
dental treatment only goes one way — a sound tooth can decay, be filled, crowned, root-treated,
extracted and replaced by an implant or a bridge pontic; none of that is ever undone. So a
difference is either

- **concordant**: the same state (a filling on the same surfaces);
- **explainable**: the PM state can follow the AM state by later treatment or loss (AM sound →
  PM filled; AM filled MO → PM filled MOD; any tooth → PM lost after death; an AM deciduous tooth
  → its permanent successor);
- **incompatible**: the PM state cannot follow the AM state (AM filled → PM sound; AM missing →
  PM present; AM crown → PM filled only; AM root canal → PM no root canal; AM erupted → PM
  unerupted).

Every reason is a fixed English sentence (translated where it is shown). Every rule is in :data:`RULES` (or in :func:`compare_tooth` where it depends on surfaces) with
its reason, and each is tested. The *score* ranks candidates (it is a ranking aid, not a
probability: the odontologist reviews the tooth table and records the conclusion on the ABFO
scale): each concordant tooth adds points by how rare its state is in adults (a matching crown
says more than a matching sound tooth), an explainable one takes a little away, and each
incompatible tooth takes away :data:`INCOMPATIBLE_POINTS` (see :data:`CONCORDANT_POINTS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache


class ToothState(StrEnum):
    SOUND = "sound"
    CARIES = "caries"
    FILLED = "filled"
    CROWN = "crown"
    BRIDGE = "bridge"  # part of a bridge (a pontic replacing the tooth, or a crowned abutment)
    IMPLANT = "implant"
    MISSING = "missing"  # AM: absent (extracted or never there) on the date of the record
    MISSING_AM = "missing_am"  # PM: lost in life (healed socket)
    MISSING_PM = "missing_pm"  # PM: lost after death (open socket, sharp margins)
    MISSING_UNKNOWN = "missing_unknown"  # PM: absent, when it was lost cannot be told
    UNERUPTED = "unerupted"
    NOT_RECOVERABLE = "not_recoverable"  # PM: the jaw or the tooth was not recovered or cannot be charted


STATE_LABELS = {
    ToothState.SOUND: "sound", ToothState.CARIES: "caries", ToothState.FILLED: "filled",
    ToothState.CROWN: "crown", ToothState.BRIDGE: "bridge", ToothState.IMPLANT: "implant",
    ToothState.MISSING: "missing", ToothState.MISSING_AM: "missing (lost in life)",
    ToothState.MISSING_PM: "missing (lost after death)", ToothState.MISSING_UNKNOWN: "missing (when unknown)",
    ToothState.UNERUPTED: "unerupted", ToothState.NOT_RECOVERABLE: "not recoverable",
}

AM_STATES = frozenset(ToothState) - {ToothState.MISSING_AM, ToothState.MISSING_PM, ToothState.MISSING_UNKNOWN,
                                     ToothState.NOT_RECOVERABLE}
PM_STATES = frozenset(ToothState) - {ToothState.MISSING}

MATERIALS = ("amalgam", "composite", "glass_ionomer", "gold", "ceramic", "metal_ceramic", "temporary", "other")
SURFACES = "MODBL"  # mesial, occlusal/incisal, distal, buccal/labial, lingual/palatal
SURFACE_ALIASES = {"I": "O", "V": "B", "F": "B", "P": "L",  # incisal, vestibular, facial, palatal
                   # as Ukrainian charts write them: медіальна, дистальна, оклюзійна (жувальна),
                   # вестибулярна (щічна, губна), лінгвальна (язикова), піднебінна. «Р» is left out:
                   # різальний край (incisal) to one examiner, a Latin P (palatal) typed in Cyrillic to another.
                   "М": "M", "Д": "D", "О": "O", "Ж": "O", "В": "B", "Щ": "B", "Г": "B", "Л": "L", "Я": "L", "П": "L"}

PERMANENT = tuple(f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9))
DECIDUOUS = tuple(f"{q}{t}" for q in (5, 6, 7, 8) for t in range(1, 6))
TEETH = PERMANENT + DECIDUOUS
ORDER = {t: i for i, t in enumerate(TEETH)}


class Verdict(StrEnum):
    CONCORDANT = "concordant"
    EXPLAINABLE = "explainable"
    INCOMPATIBLE = "incompatible"
    NOT_COMPARED = "not_compared"


class ChartError(ValueError):
    """A chart that cannot be read: names the tooth, the field and the value."""

    def __init__(self, message: str, tooth: str = "", field: str = ""):
        super().__init__(message)
        self.tooth, self.field = tooth, field


# --- reading and normalising -----------------------------------------------------------------

def successor(tooth: str) -> str | None:
    """The permanent tooth that replaces a deciduous one (55 → 15, 71 → 31); None for a permanent tooth."""
    q, t = int(tooth[0]), int(tooth[1])
    return f"{q - 4}{t}" if q >= 5 else None


def normalise_surfaces(value: str, tooth: str = "") -> str:
    """Surface letters in the canonical order MODBL (``"dom"`` → ``"MOD"``; I, V/F, P accepted)."""
    letters = set()
    for ch in re.sub(r"[\s,;/+-]", "", value or "").upper():
        ch = SURFACE_ALIASES.get(ch, ch)
        if ch not in SURFACES:
            raise ChartError(f"tooth {tooth}: surface {ch!r} is not one of M, O (I), D, B (V, F), L (P) "
                             "or М, О (Ж), Д, В (Щ, Г), Л (Я, П)", tooth, "surfaces")
        letters.add(ch)
    return "".join(s for s in SURFACES if s in letters)


def normalise_tooth(tooth: str, entry: Mapping, *, side: str) -> dict:
    """One tooth's entry checked and in canonical form; raises :class:`ChartError` naming what is wrong."""
    code = str(tooth).strip()
    if code not in TEETH:
        raise ChartError(f"{code!r} is not an FDI tooth number (11–48 permanent, 51–85 deciduous)", code, "tooth")
    if not isinstance(entry, Mapping):
        raise ChartError(f"tooth {code}: expected an object with a state, got {entry!r}", code, "state")
    raw = str(entry.get("state", "")).strip().lower()
    try:
        state = ToothState(raw)
    except ValueError:
        raise ChartError(f"tooth {code}: state {raw!r} is not one of {', '.join(s.value for s in ToothState)}",
                         code, "state") from None
    allowed = AM_STATES if side == "am" else PM_STATES
    if state not in allowed:
        raise ChartError(f"tooth {code}: state {state.value!r} is only used in a "
                         f"{'post' if side == 'am' else 'ante'}-mortem chart", code, "state")
    out: dict = {"state": state.value}
    surfaces = normalise_surfaces(str(entry.get("surfaces") or ""), code)
    if surfaces:
        if state not in (ToothState.FILLED, ToothState.CARIES):
            raise ChartError(f"tooth {code}: surfaces are given for fillings and caries, not for {state.value}",
                             code, "surfaces")
        out["surfaces"] = surfaces
    material = str(entry.get("material") or "").strip().lower().replace(" ", "_").replace("-", "_")
    if material:
        if material not in MATERIALS:
            raise ChartError(f"tooth {code}: material {material!r} is not one of {', '.join(MATERIALS)}",
                             code, "material")
        out["material"] = material
    rc = entry.get("root_canal", False)
    if isinstance(rc, str):
        rc = rc.strip().lower() in ("1", "true", "yes", "y", "rct")
    if rc:
        if state in (ToothState.MISSING, ToothState.MISSING_AM, ToothState.MISSING_PM, ToothState.MISSING_UNKNOWN,
                     ToothState.IMPLANT, ToothState.UNERUPTED, ToothState.NOT_RECOVERABLE):
            raise ChartError(f"tooth {code}: a root canal filling needs a tooth ({state.value} has none)",
                             code, "root_canal")
        out["root_canal"] = True
    note = str(entry.get("note") or "").strip()
    if note:
        out["note"] = note
    return out


def normalise_chart(teeth: Mapping, *, side: str, others_sound: bool = False) -> dict[str, dict]:
    """A whole chart checked; with ``others_sound`` every permanent tooth not listed is sound (the
    dentist examined the whole mouth). Deciduous and permanent records of one position together
    are allowed (a mixed dentition)."""
    if side not in ("am", "pm"):
        raise ChartError(f"side must be 'am' or 'pm', not {side!r}")
    if not isinstance(teeth, Mapping):
        raise ChartError("a chart is an object keyed by FDI tooth number")
    out = {str(k).strip(): normalise_tooth(k, v, side=side) for k, v in teeth.items()}
    if others_sound:
        for t in PERMANENT:
            out.setdefault(t, {"state": ToothState.SOUND.value})
    return dict(sorted(out.items(), key=lambda kv: TEETH.index(kv[0])))


# --- the rules --------------------------------------------------------------------------------

S = ToothState
PRESENT_NATURAL = (S.SOUND, S.CARIES, S.FILLED, S.CROWN)  # a natural crown is in the mouth
GONE_PM = (S.MISSING_AM, S.MISSING_UNKNOWN)

# (AM state, PM state) → (verdict, reason). Fillings on both sides and root canals are decided in
# compare_tooth (they depend on the surfaces); NOT_RECOVERABLE and unrecorded teeth are never compared.
RULES: dict[tuple[ToothState, ToothState], tuple[Verdict, str]] = {}


def _rule(am: Iterable[ToothState], pm: Iterable[ToothState], verdict: Verdict, reason: str) -> None:
    for a in am:
        for p in pm:
            RULES[(a, p)] = (verdict, reason)


V = Verdict
# Anything present at death may be lost after death: the open socket says nothing of life.
_rule(AM_STATES - {S.MISSING}, [S.MISSING_PM], V.EXPLAINABLE, "lost after death")
_rule([S.MISSING], [S.MISSING_PM], V.INCOMPATIBLE, "absent in life but present at death (open socket)")
# A sound tooth can be treated or lost later.
_rule([S.SOUND], [S.SOUND], V.CONCORDANT, "sound on both")
_rule([S.SOUND], [S.CARIES, S.FILLED, S.CROWN, S.BRIDGE, S.IMPLANT, *GONE_PM], V.EXPLAINABLE,
      "treated or lost after the ante-mortem record")
_rule([S.SOUND, S.CARIES, S.FILLED, S.CROWN, S.BRIDGE, S.IMPLANT], [S.UNERUPTED], V.INCOMPATIBLE,
      "erupted ante mortem, unerupted post mortem")
# Caries does not heal; it is filled, crowned or extracted.
_rule([S.CARIES], [S.SOUND], V.INCOMPATIBLE, "caries ante mortem, sound post mortem: decay is not undone")
_rule([S.CARIES], [S.CARIES], V.CONCORDANT, "caries on both")
_rule([S.CARIES], [S.FILLED, S.CROWN, S.BRIDGE, S.IMPLANT, *GONE_PM], V.EXPLAINABLE, "treated after the record")
# A filling is never removed to leave a sound tooth; it may be enlarged, crowned, or the tooth lost.
_rule([S.FILLED], [S.SOUND], V.INCOMPATIBLE, "filled ante mortem, sound post mortem")
_rule([S.FILLED], [S.CARIES], V.EXPLAINABLE, "a filling lost, leaving a cavity")
_rule([S.FILLED], [S.CROWN, S.BRIDGE, S.IMPLANT, *GONE_PM], V.EXPLAINABLE, "further treatment or loss")
# A crown is not replaced by a smaller restoration.
_rule([S.CROWN], [S.SOUND, S.CARIES, S.FILLED], V.INCOMPATIBLE, "crowned ante mortem, no crown post mortem")
_rule([S.CROWN], [S.CROWN], V.CONCORDANT, "crown on both")
_rule([S.CROWN], [S.BRIDGE, S.IMPLANT, *GONE_PM], V.EXPLAINABLE, "the crowned tooth later bridged or lost")
# A bridge (pontic or abutment) can be lost or replaced by an implant, not by a natural tooth.
_rule([S.BRIDGE], [S.SOUND, S.CARIES, S.FILLED], V.INCOMPATIBLE, "part of a bridge ante mortem, a natural "
      "unrestored crown post mortem")
_rule([S.BRIDGE], [S.CROWN], V.EXPLAINABLE, "the bridge replaced by a single crown on the abutment")
_rule([S.BRIDGE], [S.BRIDGE], V.CONCORDANT, "bridge on both")
_rule([S.BRIDGE], [S.IMPLANT, *GONE_PM], V.EXPLAINABLE, "the bridge later removed")
# An implant stays; a natural tooth does not grow back in its place.
_rule([S.IMPLANT], [S.SOUND, S.CARIES, S.FILLED, S.CROWN], V.INCOMPATIBLE, "an implant ante mortem, a natural "
      "tooth post mortem")
_rule([S.IMPLANT], [S.IMPLANT], V.CONCORDANT, "implant on both")
_rule([S.IMPLANT], [S.BRIDGE, *GONE_PM], V.EXPLAINABLE, "the implant crown bridged or the implant lost")
# A missing tooth never comes back; its gap can be closed by an implant or a bridge pontic.
_rule([S.MISSING], [S.SOUND, S.CARIES, S.FILLED, S.CROWN], V.INCOMPATIBLE, "absent ante mortem, present post mortem")
_rule([S.MISSING], GONE_PM, V.CONCORDANT, "absent on both")
_rule([S.MISSING], [S.IMPLANT, S.BRIDGE], V.EXPLAINABLE, "the gap later closed by an implant or a bridge")
_rule([S.MISSING], [S.UNERUPTED], V.EXPLAINABLE, "recorded as absent, found unerupted (impacted)")
# An unerupted tooth may erupt, and then be treated or lost.
_rule([S.UNERUPTED], [S.UNERUPTED], V.CONCORDANT, "unerupted on both")
_rule([S.UNERUPTED], [S.SOUND, S.CARIES, S.FILLED, S.CROWN, S.BRIDGE, S.IMPLANT, *GONE_PM], V.EXPLAINABLE,
      "erupted (and perhaps treated or lost) after the record")

# Points are log10 likelihood ratios in spirit: a concordant tooth scores log10(1 / how common its
# state is in adult mouths) — a shared crown says more than a shared sound tooth — an explainable
# difference is less likely for the same person than no change (log10 ≈ the chance of treatment in
# the interval over the chance of the PM state in anyone), and an incompatible tooth is what a
# charting error would give (log10 of an error rate of about 1 % over the chance of the pair in
# anyone). Prevalences are orders of magnitude from adult dental health surveys (Kassebaum et al.,
# J Dent Res 93 (2014) 20S; Adams, J Forensic Sci 48 (2003) 487): they rank, they are not a
# probability of identity. A sound tooth on both: log10(0.95 / 0.75) ≈ 0.1 (it stays sound in the
# same mouth; three adult teeth in four are sound).
CONCORDANT_POINTS = {S.SOUND: 0.1, S.CARIES: 1.4, S.FILLED: 0.7, S.CROWN: 1.5, S.BRIDGE: 2.0, S.IMPLANT: 2.0,
                     S.MISSING: 1.2, S.UNERUPTED: 1.3}
SURFACE_POINTS = 1.0  # the same set of filled surfaces (about one filling pattern in ten)
MATERIAL_POINTS = 0.3  # the same filling material
ROOT_CANAL_POINTS = 1.0
EXPLAINABLE_POINTS = -0.5
INCOMPATIBLE_POINTS = 3.0


@dataclass(frozen=True)
class ToothComparison:
    tooth: str
    am: dict | None
    pm: dict | None
    verdict: Verdict
    reason: str
    points: float = 0.0

    def as_dict(self) -> dict:
        return {"tooth": self.tooth, "am": self.am, "pm": self.pm, "verdict": self.verdict.value,
                "reason": self.reason, "points": round(self.points, 2)}


def _filled_pair(am: dict, pm: dict) -> tuple[Verdict, str, float]:
    a, p = set(am.get("surfaces", "")), set(pm.get("surfaces", ""))
    if a and p and not a <= p:
        return V.INCOMPATIBLE, "a surface filled ante mortem is not filled post mortem", 0.0
    if a == p:
        points = CONCORDANT_POINTS[S.FILLED] + (SURFACE_POINTS if a else 0.0)
        same_material = am.get("material") and am.get("material") == pm.get("material")
        if same_material:
            points += MATERIAL_POINTS
        if am.get("material") and pm.get("material") and not same_material:
            return V.CONCORDANT, "filled on the same surfaces (the material was replaced)", points
        return V.CONCORDANT, "filled on the same surfaces" if a else "filled on both", points
    return V.EXPLAINABLE, "the filling enlarged after the record", EXPLAINABLE_POINTS


def compare_tooth(tooth: str, am: dict | None, pm: dict | None) -> ToothComparison:
    """One tooth: AM entry against PM entry (either may be None: not recorded)."""
    if am is None or pm is None:
        return ToothComparison(tooth, am, pm, V.NOT_COMPARED, "not recorded on both charts")
    a, p = S(am["state"]), S(pm["state"])
    if p == S.NOT_RECOVERABLE:
        return ToothComparison(tooth, am, pm, V.NOT_COMPARED, "not recoverable post mortem")
    if a == S.FILLED and p == S.FILLED:
        verdict, reason, points = _filled_pair(am, pm)
    else:
        verdict, reason = RULES[(a, p)]
        points = CONCORDANT_POINTS[a] if verdict == V.CONCORDANT else 0.0
        if verdict == V.EXPLAINABLE and p != S.MISSING_PM:  # a loss after death says nothing either way
            points = EXPLAINABLE_POINTS
    # A root canal filling is not removed; one done later is explainable.
    if am.get("root_canal") and not pm.get("root_canal") and p in PRESENT_NATURAL + (S.BRIDGE,):
        verdict, reason, points = V.INCOMPATIBLE, "root canal filling ante mortem, none post mortem", 0.0
    elif am.get("root_canal") and pm.get("root_canal") and verdict == V.CONCORDANT:
        points += ROOT_CANAL_POINTS
    elif pm.get("root_canal") and not am.get("root_canal") and verdict == V.CONCORDANT:
        verdict, reason, points = V.EXPLAINABLE, "root canal treated after the record", EXPLAINABLE_POINTS
    if verdict == V.INCOMPATIBLE:
        points = -INCOMPATIBLE_POINTS
    return ToothComparison(tooth, am, pm, verdict, reason, points)


@dataclass
class DentalComparison:
    """The whole chart: every tooth's verdict, the counts and the score."""

    teeth: list[ToothComparison] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for t in self.teeth:
            out[t.verdict.value] += 1
        return out

    @property
    def compared(self) -> int:
        return sum(1 for t in self.teeth if t.verdict != V.NOT_COMPARED)

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.teeth), 2)

    @property
    def compatible(self) -> bool:
        return self.counts[V.INCOMPATIBLE.value] == 0

    def as_dict(self, teeth: bool = True) -> dict:
        c = self.counts
        out = {"score": self.score, "compared": self.compared, "concordant": c["concordant"],
               "explainable": c["explainable"], "incompatible": c["incompatible"], "compatible": self.compatible}
        if teeth:
            out["teeth"] = [t.as_dict() for t in self.teeth]
        return out


def _present(entry: dict | None) -> bool:
    return entry is not None and S(entry["state"]) in PRESENT_NATURAL + (S.BRIDGE,)


def compare(am: Mapping[str, dict], pm: Mapping[str, dict]) -> DentalComparison:
    """AM chart against PM chart, both normalised (:func:`normalise_chart`), tooth by tooth in FDI order.

    A deciduous tooth recorded AM whose position holds its permanent successor PM (and no PM
    record of the deciduous tooth) was shed: explainable. A permanent tooth recorded AM whose
    deciduous predecessor is still there PM is incompatible (teeth are not shed backwards)."""
    out = DentalComparison()
    for tooth in sorted(am.keys() | pm.keys(), key=ORDER.__getitem__):
        a, p = am.get(tooth), pm.get(tooth)
        succ = successor(tooth)
        if succ is not None and a is not None and p is None and _present(pm.get(succ)):
            out.teeth.append(ToothComparison(tooth, a, None, V.EXPLAINABLE,
                                             "deciduous tooth shed; its permanent successor is present", 0.0))
            continue
        if succ is None and a is not None and p is None and _present(a):
            pred = f"{int(tooth[0]) + 4}{tooth[1]}" if int(tooth[1]) <= 5 else None
            if pred and _present(pm.get(pred)):
                out.teeth.append(ToothComparison(tooth, a, None, V.INCOMPATIBLE,
                                                 "permanent tooth ante mortem, its deciduous predecessor post mortem",
                                                 -INCOMPATIBLE_POINTS))
                continue
        out.teeth.append(compare_tooth(tooth, a, p))
    return out


@dataclass(frozen=True)
class Ranked:
    key: str
    comparison: DentalComparison


def _keyed(chart: Mapping[str, dict]) -> dict[str, tuple] | None:
    """A chart as hashable tuples per tooth, or None when it holds deciduous teeth (whose shedding
    rules need the whole comparison)."""
    out = {}
    for t, e in chart.items():
        if t[0] > "4":
            return None
        out[t] = (e["state"], e.get("surfaces", ""), e.get("material", ""), bool(e.get("root_canal")), e.get("note", ""))
    return out


@lru_cache(maxsize=65536)
def _pair(am: tuple, pm: tuple) -> tuple[str, float]:
    def entry(k):
        return {"state": k[0], **({"surfaces": k[1]} if k[1] else {}), **({"material": k[2]} if k[2] else {}),
                **({"root_canal": True} if k[3] else {})}
    c = compare_tooth("", entry(am), entry(pm))
    return c.verdict.value, c.points


def _fast(am: dict[str, tuple], pm: dict[str, tuple]) -> tuple[float, int, int]:
    """(score, incompatible, compared) of :func:`compare` without building the tooth table."""
    score, bad, compared = 0.0, 0, 0
    for t, a in am.items():
        p = pm.get(t)
        if p is None:
            continue
        verdict, points = _pair(a, p)
        if verdict != "not_compared":
            compared += 1
            bad += verdict == "incompatible"
        score += points
    return round(score, 2), bad, compared


def rank(pm: Mapping[str, dict], ams: Mapping[str, Mapping[str, dict]], *, top: int = 0,
         min_compared: int = 1) -> list[Ranked]:
    """Every AM chart against one PM chart, best first: the highest score (incompatible teeth count
    against it), then fewest incompatible teeth, then the key (a stable order). Charts sharing
    fewer than ``min_compared`` compared teeth are left out. Only the charts returned get their
    tooth table built (ranking 500 charts against 500 takes about a second)."""
    pm_k = _keyed(pm)
    order = []
    for k, am in ams.items():
        am_k = _keyed(am) if pm_k is not None else None
        if am_k is None:
            c = compare(am, pm)
            figures = (c.score, c.counts["incompatible"], c.compared)
        else:
            figures = _fast(am_k, pm_k)
        if figures[2] >= min_compared:
            order.append((-figures[0], figures[1], k))
    order.sort()
    if top:
        order = order[:top]
    return [Ranked(k, compare(ams[k], pm)) for _, _, k in order]


def usable(pm: Mapping[str, dict]) -> bool:
    """A PM chart with at least one informative tooth (treated, missing or an implant), the usual
    threshold below which a dental comparison is not attempted (sound-only charts rank nothing)."""
    return any(S(e["state"]) not in (S.SOUND, S.NOT_RECOVERABLE, S.MISSING_PM) for e in pm.values())
