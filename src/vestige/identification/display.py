"""Identification results as a person reads them, in the interface's language: the ante-mortem /
post-mortem checks (their names, states and compared values) for the candidate page and the PDF."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vestige.kinship.nongenetic import age_lr, sex_lr, share_lr, stature_lr
from vestige.missing.models import MemberSex
from vestige.registry.models import Sex

CHECK_NAMES = {"sex": gettext_lazy("Sex"), "age": gettext_lazy("Age"), "stature": gettext_lazy("Stature"),
               "dates": gettext_lazy("Dates"), "distance": gettext_lazy("Distance")}
STATES = {"ok": gettext_lazy("consistent"), "conflict": gettext_lazy("conflict"), "unknown": gettext_lazy("unknown")}


def _sex(code: str | None) -> str:

    labels = {**dict(MemberSex.choices), **dict(Sex.choices)}
    return str(labels.get(code, code or "?"))


def _range(lo, hi) -> str:
    return f"{'?' if lo is None else lo}–{'?' if hi is None else hi}"


def _detail(name: str, flag: dict) -> str:
    v = flag.get("values")
    if not v:  # a run from before the values were kept: its English text
        return flag.get("detail", "")
    if name == "sex":
        return _("remains: %(r)s / missing person: %(m)s") % {"r": _sex(v.get("remains")), "m": _sex(v.get("missing"))}
    if name == "age":
        return _("%(age)s years at disappearance / remains %(range)s years") % {
            "age": v.get("age"), "range": _range(v.get("min"), v.get("max"))}
    if name == "stature":
        return _("%(h)s cm in life / remains %(range)s cm") % {"h": v.get("height"), "range": _range(v.get("min"), v.get("max"))}
    if name == "dates":
        return _("last seen %(seen)s / recovered %(found)s") % {"seen": v.get("last_seen"), "found": v.get("recovered")}
    if name == "distance":
        return _("%(km)s km from the last-seen place to the site") % {"km": v.get("km")}
    return flag.get("detail", "")


def checks(flags: dict) -> list[dict]:
    """Each check: its code, translated name, state code and label, and the compared values."""
    return [{"code": name, "name": str(CHECK_NAMES.get(name, name)), "state": f.get("state", "unknown"),
             "state_label": str(STATES.get(f.get("state"), f.get("state", ""))), "detail": _detail(name, f)}
            for name, f in (flags or {}).items()]


SYSTEM_NAMES = {"autosomal": gettext_lazy("Autosomal STRs"), "y": gettext_lazy("Y-STR (paternal line)"),
                "mt": gettext_lazy("mtDNA (maternal line)"), "x": gettext_lazy("X-STR"),
                "snp": gettext_lazy("SNPs (multipoint, linked)")}


def system_lrs(systems: dict | None) -> list[tuple[str, float | None]]:
    """(name, log10 LR or None when not compared) per DNA system of a candidate, autosomal first;
    empty when the run compared no lineage system (the per-marker table says it all)."""
    if not systems or set(systems) <= {"autosomal"}:
        return []
    return [(str(SYSTEM_NAMES[k]), systems[k]) for k in ("autosomal", "y", "mt", "x", "snp") if k in systems]


def segment_rows(segments: dict | None, width: int = 420) -> list[dict]:
    """The candidate page's chromosome picture: per SNP-typed reference, one bar per chromosome
    (scaled to the longest, ``width`` pixels) with the IBD segments shared with the body drawn on it."""
    if not segments or not segments.get("references"):
        return []
    lengths = {int(c): float(v) for c, v in segments.get("lengths", {}).items()}
    longest = max(lengths.values(), default=1.0) or 1.0
    scale = width / longest
    out = []
    for code, ref in segments["references"].items():
        by_chrom: dict[int, list] = {}
        for c, a, b in ref.get("segments", []):
            by_chrom.setdefault(int(c), []).append({"x": round(22 + a * scale, 1), "w": max(round((b - a) * scale, 1), 1.0),
                                                    "title": f"{c}: {a:.1f}–{b:.1f} cM"})
        rows = [{"chrom": c, "y": 4 + 14 * i, "ty": 13 + 14 * i, "w": round(L * scale, 1), "bars": by_chrom.get(c, [])}
                for i, (c, L) in enumerate(sorted(lengths.items()))]
        out.append({"code": code, "n": len(ref.get("segments", [])), "total_cm": ref.get("total_cm", 0.0),
                    "longest_cm": ref.get("longest_cm", 0.0), "rows": rows, "height": 8 + 14 * len(rows),
                    "width": width + 30})
    return out


def nongenetic_lrs(flags: dict | None, log10_lr: float | None, prior: float | None = None) -> dict | None:
    """The candidate's non-genetic LRs (:mod:`vestige.kinship.nongenetic`) from the checks the run
    stored — sex, age, stature, dates, place — and the DNA LR multiplied by them, with the posterior
    that would follow from the run's prior (shown apart: the run's posterior stays the DNA one).
    None when none can be computed."""
    flags = flags or {}
    rows = []
    sex = (flags.get("sex") or {}).get("values") or {}
    v = sex_lr(str(sex.get("remains", "")), str(sex.get("missing", "")))
    if v is not None:
        rows.append((str(gettext_lazy("Sex")), math.log10(v)))
    age = (flags.get("age") or {}).get("values") or {}
    if age.get("age") is not None:
        a = age_lr(float(age["age"]), age.get("min"), age.get("max"))
        if a is not None:
            rows.append((str(gettext_lazy("Age")), math.log10(a)))
    st = (flags.get("stature") or {}).get("values") or {}
    if st.get("height") is not None:
        s = stature_lr(float(st["height"]), st.get("min"), st.get("max"), str(sex.get("missing", "")))
        if s is not None:
            rows.append((str(gettext_lazy("Stature")), math.log10(s)))
    for code in ("dates", "distance"):  # against the register's share for which the same holds
        f = flags.get(code) or {}
        if f.get("state") in ("ok", "conflict"):
            x = share_lr(f["state"] == "ok", (f.get("values") or {}).get("share"))
            if x is not None:
                rows.append((str(CHECK_NAMES[code]), math.log10(x)))
    if not rows:
        return None
    extra = sum(x for _n, x in rows)
    out = {"rows": rows, "combined": None if log10_lr is None else log10_lr + extra, "nongenetic": extra,
           "posterior": None}
    if prior and log10_lr is not None and 0 < prior < 1:
        # what the run's posterior would be with the non-genetic LRs accepted (its prior, the combined LR)
        odds = prior / (1 - prior) * 10 ** min(out["combined"], 300)
        out["posterior"] = odds / (1 + odds)
    return out


GROUP_PAIRS_SHOWN = 12  # a joint assignment's pairs a candidate page lists before it keeps only its own


def trimmed_group(data: dict, body: str | None, person: str | None, keep: int = GROUP_PAIRS_SHOWN) -> dict:
    """A group's best assignments as one candidate's page shows them: an assignment of more than
    ``keep`` pairs keeps only those of this body or this missing person, and says how many others
    (a sampled group of a national run holds thousands: listing them made the page take 0.5 s)."""
    view = GroupPages(data, keep).view(body, person)
    return {**data, "assignments": view["assignments"] if view else list(data.get("assignments", []))}


class GroupPages:
    """Each candidate's view of one stored group (:func:`trimmed_group`'s assignments), for a run to
    store with its candidates when the group is large — thousands of pairs per assignment, which a
    candidate's page would otherwise read and walk on every view. Indexed once per group."""

    def __init__(self, data: dict, keep: int = GROUP_PAIRS_SHOWN) -> None:
        self.keep = keep
        self.parts = []
        for a in data.get("assignments", []):
            by_body: dict[str, list[int]] = {}
            by_person: dict[str, list[int]] = {}
            for i, (b, p) in enumerate(a["pairs"]):
                by_body.setdefault(b, []).append(i)
                by_person.setdefault(p, []).append(i)
            self.parts.append((a, by_body, by_person))
        self.large = any(len(a["pairs"]) > keep for a, _b, _p in self.parts)

    def view(self, body: str | None, person: str | None) -> dict | None:
        """``{"assignments": …}`` as :func:`trimmed_group` gives them; None for a small group (its
        page reads the group itself)."""
        if not self.large:
            return None
        out = []
        for a, by_body, by_person in self.parts:
            if len(a["pairs"]) <= self.keep:
                out.append(a)
                continue
            mine = [a["pairs"][i] for i in sorted({*by_body.get(body, ()), *by_person.get(person, ())})]
            out.append({**a, "pairs": mine, "others": len(a["pairs"]) - len(mine)})
        return {"assignments": out}
