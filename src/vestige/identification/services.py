"""Remains DNA samples, matching runs, candidates and identification decisions.

A matching run (:func:`execute_run`) reads the consented reference profiles and the remains'
samples, runs the kinship engine's blind search, and stores per remains the best candidates
(LR ≥ 1, top 5) with their per-marker LRs and non-DNA consistency flags. The new run becomes
current; earlier runs and their candidates are kept for the record.

Decisions follow ICMP practice: a DNA analyst proposes; a second authorised person confirms
(nobody confirms their own proposal); below a posterior of 99.95 % a written reason is needed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import crypto
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, PermissionDenied
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification.models import (
    Candidate,
    DecisionStatus,
    Identification,
    MatchingRun,
    RemainsSample,
    RunStatus,
)
from vestige.missing.models import Family, MissingPerson, MissingStatus
from vestige.missing.services import kinship_family, profiles_for_matching
from vestige.registry.models import Remains, RemainsStatus, Sex

THRESHOLD = 0.9995  # posterior needed without a written reason (ICMP practice)
TOP = 5


def frequency_table():
    from vestige.kinship import read_frequencies

    return read_frequencies(settings.VESTIGE_ALLELE_FREQUENCIES)


def mutation_model():
    from vestige.kinship.mutation import MutationModel

    return MutationModel.uniform(settings.VESTIGE_MUTATION_MODEL, settings.VESTIGE_MUTATION_RATE)


# --- samples ---------------------------------------------------------------------------------

def _decrypt_profile(encrypted: str) -> dict[str, tuple[str, str]]:
    return {m: (a, b) for m, (a, b) in json.loads(crypto.decrypt(encrypted)).items()}


@transaction.atomic
def add_remains_sample(actor, remains: Remains, genotypes: dict[str, tuple[str, str]], *, material: str, lab: str,
                       kit: str, taken_on=None, code: str = "", via: str = "web") -> RemainsSample:
    """Record a DNA sample of ``remains``; it must agree with the body's earlier samples."""
    require(actor, Cap.DNA_WRITE)
    if not genotypes:
        raise InvalidInput(_("The profile has no typed marker."), field="profile")
    if not lab or not kit:
        raise InvalidInput(_("Record the laboratory and the kit."), field="lab" if not lab else "kit")
    for earlier in remains.dna_samples.all():
        for marker, g in _decrypt_profile(earlier.profile_encrypted).items():
            new = genotypes.get(marker)
            if new is not None and sorted(new) != sorted(g):
                raise InvalidInput(
                    _("%(body)s, marker %(m)s: %(new)s disagrees with sample %(s)s (%(old)s); the samples of one "
                      "body must agree") % {"body": remains.body_number, "m": marker, "new": "/".join(new),
                                             "s": earlier.code, "old": "/".join(g)}, field="profile")
    n = remains.dna_samples.count() + 1
    sample = RemainsSample(code=code or f"{remains.body_number}-S{n}", remains=remains, material=material, lab=lab,
                           kit=kit, taken_on=taken_on, recorded_by=actor, markers=len(genotypes),
                           profile_encrypted=crypto.encrypt(json.dumps({m: list(g) for m, g in sorted(genotypes.items())})))
    sample.full_clean()
    sample.save()
    record(remains, Action.UPDATED, actor, {"DNA sample": [None, f"{sample.code}: {sample.markers} markers"]}, via=via)
    return sample


def remains_profiles(site: str = "") -> dict[int, dict[str, tuple[str, str]]]:
    """Remains pk → consensus genotypes over its samples (they agree by construction)."""
    qs = RemainsSample.objects.filter(remains__withdrawn_at__isnull=True)
    if site:
        qs = qs.filter(remains__site__ref=site)
    out: dict[int, dict[str, tuple[str, str]]] = {}
    for s in qs.only("remains_id", "profile_encrypted"):
        out.setdefault(s.remains_id, {}).update(_decrypt_profile(s.profile_encrypted))
    return out


# --- matching runs ---------------------------------------------------------------------------

def start_run(actor, *, site: str = "", families: list[str] | None = None, background: bool = True) -> MatchingRun:
    """Create a run over all remains (or one site's) against all families (or the ones named),
    and execute it (in a background thread for the web app)."""
    require(actor, Cap.RUN_START)
    if site and not Remains.objects.filter(site__ref=site).exists():
        raise InvalidInput(_("No remains at site %(s)r.") % {"s": site}, field="site")
    families = [f.strip() for f in (families or []) if f.strip()]
    unknown = sorted(set(families) - set(Family.objects.filter(ref__in=families).values_list("ref", flat=True)))
    if unknown:
        raise InvalidInput(_("No family %(f)s.") % {"f": ", ".join(unknown)}, field="families")
    if MatchingRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise Conflict(_("A matching run is already under way; wait for it to finish."))
    run = MatchingRun.objects.create(started_by=actor, scope_site=site, scope_families=",".join(families))
    record(run, Action.CREATED, actor, {"scope": [None, f"{site or 'all remains'}; {','.join(families) or 'all families'}"]})
    if background and settings.VESTIGE_TASKS_INLINE:
        execute_run(run.pk)
    if background and not settings.VESTIGE_TASKS_INLINE:
        threading.Thread(target=_run_in_thread, args=(run.pk,), daemon=True, name=f"matching-run-{run.pk}").start()
    return run


def _run_in_thread(run_id: int) -> None:
    try:
        execute_run(run_id)
    finally:
        close_old_connections()


def _progress(run_id: int, percent: int, message: str = "") -> None:
    MatchingRun.objects.filter(pk=run_id).update(progress=percent, **({"message": message} if message else {}))


def execute_run(run_id: int, progress=None) -> MatchingRun:
    """Run the search and store the candidates; any failure is recorded on the run, never lost."""
    t0 = time.perf_counter()
    run = MatchingRun.objects.get(pk=run_id)
    MatchingRun.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, progress=1, message=_("Reading profiles"))
    try:
        from vestige.kinship.io import Profiles
        from vestige.kinship.search import blind_search

        phases: dict[str, float] = {}
        mark = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            phases[name] = round(now - mark, 3)
            mark = now

        table = frequency_table()
        refs = profiles_for_matching()
        lap("decrypt references")
        typed_by_family: dict[int, dict[int, str]] = {}
        for donor, member, family in _donor_members(refs):
            typed_by_family.setdefault(family, {})[member] = f"DON:{donor}"
        scope = [f for f in run.scope_families.split(",") if f]
        families, mp_by_key = _pedigrees(typed_by_family, scope)
        lap("pedigrees")
        samples = remains_profiles(run.scope_site)
        lap("decrypt samples")
        remains = {r.pk: r for r in Remains.objects.filter(pk__in=samples).select_related("site", "exhumation")}
        profiles = Profiles({**{f"DON:{d}": g for d, g in refs.items()}, **{f"R:{pk}": g for pk, g in samples.items()}},
                            source="vestige")
        added = profiles.check_against(table, add_missing=settings.VESTIGE_MIN_ALLELE_FREQUENCY)
        sexes = {f"R:{pk}": ("unknown" if r.sex == Sex.UNDETERMINED else r.sex) for pk, r in remains.items()}
        _progress(run_id, 10, _("Computing likelihood ratios"))
        t_engine = time.perf_counter()

        def engine_progress(what, done, total):
            pct = 10 + int(70 * done / max(total, 1)) if what == "families × markers" else 80 + int(10 * done / max(total, 1))
            _progress(run_id, pct)
            if progress:
                progress(pct)

        hits = blind_search(families, profiles, table, list(sexes), sexes=sexes, mutation=mutation_model(),
                            top=TOP, progress=engine_progress).hits if families and sexes else []
        engine = time.perf_counter() - t_engine
        lap("engine")
        _progress(run_id, 90, _("Storing candidates"))
        kept = [h for h in hits if h.lr >= 1.0]
        persons = MissingPerson.objects.in_bulk({mp_by_key[(h.family, h.missing)] for h in kept})
        rows = []
        for h in kept:
            r = remains[int(h.sample[2:])]
            mp_id = mp_by_key[(h.family, h.missing)]
            flags = consistency(r, persons[mp_id])
            rows.append((run.pk, r.pk, mp_id, h.lr if math.isfinite(h.lr) else 1e308, h.log10_lr, h.posterior,
                         h.markers_compared, "{}", json.dumps(flags),
                         sum(1 for f in flags.values() if f["state"] == "conflict")))
        lap("flags")
        with transaction.atomic():
            _insert_candidates(rows)
            lap("store")
            MatchingRun.objects.filter(current=True).update(current=False)
            MatchingRun.objects.filter(pk=run_id).update(
                status=RunStatus.DONE, progress=100, current=True, finished_at=timezone.now(), samples=len(samples),
                missing_persons=len(mp_by_key), candidates_found=len(rows), engine_seconds=round(engine, 3),
                total_seconds=round(time.perf_counter() - t0, 3),
                message=_("%(n)d candidates for %(s)d remains") % {"n": len(rows), "s": len(samples)}
                + " (" + ", ".join(f"{k} {v} s" for k, v in phases.items()) + ")"
                + ("; " + _("rare alleles added at the minimum frequency: %(a)s") % {"a": ", ".join(f"{m} {a}" for m, a, _f in added)} if added else ""))
    except Exception as e:  # recorded on the run, never only logged
        MatchingRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                     message=f"{type(e).__name__}: {e}")
        raise
    return MatchingRun.objects.get(pk=run_id)


def _pedigrees(typed_by_family: dict[int, dict[int, str]], only: list[str] | None = None):
    """Kinship families of every family with a missing person still missing, built from plain
    rows (no model instances: 10^4 families in a fraction of a second), and a map
    (family ref, pedigree id) → missing person pk."""
    from vestige.kinship import Family as KFamily
    from vestige.kinship import Member as KMember
    from vestige.missing.models import Member

    qs = Family.objects.filter(withdrawn_at__isnull=True)
    if only:
        qs = qs.filter(ref__in=only)
    refs = dict(qs.values_list("pk", "ref"))
    missing = {member: (pk, fam) for pk, fam, member in MissingPerson.objects.filter(
        withdrawn_at__isnull=True, status=MissingStatus.MISSING, family_id__in=refs).values_list("pk", "family_id", "member_id")}
    by_family: dict[int, list[tuple]] = {}
    for row in Member.objects.filter(family_id__in={f for _p, f in missing.values()}).values_list(
            "pk", "family_id", "code", "sex", "father_id", "mother_id", "deceased").order_by("family_id", "pk"):
        by_family.setdefault(row[1], []).append(row)
    families, mp_by_key = [], {}
    for fam_pk, rows in by_family.items():
        code = {r[0]: r[2] for r in rows}
        typed = typed_by_family.get(fam_pk, {})
        families.append(KFamily(refs[fam_pk], [
            KMember(id=r[2], sex=r[3], father=code.get(r[4]), mother=code.get(r[5]), missing=r[0] in missing,
                    sample=typed.get(r[0]), deceased=r[6]) for r in rows], source=refs[fam_pk]))
        for r in rows:
            if r[0] in missing:
                mp_by_key[(refs[fam_pk], r[2])] = missing[r[0]][0]
    return families, mp_by_key


def _insert_candidates(rows: list[tuple]) -> None:
    """One INSERT per batch for the run's candidates (the run's hot path; see the benchmark)."""
    from django.db import connection

    table = connection.ops.quote_name(Candidate._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = (f"INSERT INTO {table} (run_id, remains_id, missing_person_id, lr, log10_lr, posterior, markers_compared, "
           f"marker_lrs, flags, conflicts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s{cast}, %s{cast}, %s)")
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i:i + 5000])


def _donor_members(refs):
    """(donor pk, member pk, family pk) of the donors with usable profiles."""
    from vestige.missing.models import Donor

    return Donor.objects.filter(pk__in=refs).values_list("pk", "member_id", "family_id")


def _haversine_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def consistency(r: Remains, mp: MissingPerson) -> dict[str, dict]:
    """Non-DNA consistency of remains with a missing person: each check ``ok``, ``conflict`` or
    ``unknown`` with the values compared. Tolerances: age ±2 years, stature ±5 cm."""
    out = {}
    if r.sex == Sex.UNDETERMINED or mp.sex == "unknown":
        out["sex"] = {"state": "unknown", "detail": f"{r.sex} / {mp.sex}"}
    else:
        out["sex"] = {"state": "ok" if r.sex == mp.sex else "conflict", "detail": f"{r.sex} / {mp.sex}"}
    recovered = r.recovered_on or (r.exhumation.started_on if r.exhumation_id else None)
    if mp.birth_date and (r.age_min is not None or r.age_max is not None):
        at = mp.last_seen_on or recovered or dt.date.today()
        age = (at - mp.birth_date).days / 365.25
        lo, hi = (r.age_min or 0) - 2, (r.age_max if r.age_max is not None else 120) + 2
        out["age"] = {"state": "ok" if lo <= age <= hi else "conflict",
                      "detail": f"{age:.0f} y at disappearance / {r.age_min}–{r.age_max} y"}
    else:
        out["age"] = {"state": "unknown", "detail": ""}
    if mp.height_cm and (r.stature_min_cm or r.stature_max_cm):
        lo, hi = (r.stature_min_cm or 0) - 5, (r.stature_max_cm or 300) + 5
        out["stature"] = {"state": "ok" if lo <= mp.height_cm <= hi else "conflict",
                          "detail": f"{mp.height_cm} cm / {r.stature_min_cm}–{r.stature_max_cm} cm"}
    else:
        out["stature"] = {"state": "unknown", "detail": ""}
    if mp.last_seen_on and recovered:
        out["dates"] = {"state": "ok" if mp.last_seen_on <= recovered else "conflict",
                        "detail": f"last seen {mp.last_seen_on} / recovered {recovered}"}
    else:
        out["dates"] = {"state": "unknown", "detail": ""}
    if mp.last_seen_latitude is not None and r.site_id:
        km = _haversine_km(mp.last_seen_latitude, mp.last_seen_longitude, r.site.latitude, r.site.longitude)
        out["distance"] = {"state": "ok" if km <= settings.VESTIGE_MAX_DISTANCE_KM else "conflict",
                           "detail": f"{km:.0f} km from the last-seen place to the site"}
    else:
        out["distance"] = {"state": "unknown", "detail": ""}
    return out


def marker_lrs(candidate: Candidate) -> dict[str, float]:
    """Per-marker LRs of a candidate, computed exactly on first view and kept on the candidate.

    Statistics only: the profiles are decrypted inside this function and never shown.
    """
    if candidate.marker_lrs:
        return candidate.marker_lrs
    from vestige.kinship.io import Profiles
    from vestige.kinship.lr import likelihood_ratio

    family = candidate.missing_person.family
    refs = profiles_for_matching(family=family)  # this family's profiles only
    typed = {member: f"DON:{donor}" for donor, member, fam in _donor_members(refs) if fam == family.pk}
    kfam = kinship_family(family, typed=typed)
    sample = remains_profiles_for(candidate.remains)
    profiles = Profiles({**{f"DON:{d}": g for d, g in refs.items() if f"DON:{d}" in typed.values()}, "SAMPLE": sample},
                        source="vestige")
    table = frequency_table()
    profiles.check_against(table, add_missing=settings.VESTIGE_MIN_ALLELE_FREQUENCY)
    result = likelihood_ratio(kfam, candidate.missing_person.member.code, "SAMPLE", profiles, table, mutation_model())
    markers = {m: v for m, v in result.markers.items() if m in sample}  # typed in the sample: compared
    Candidate.objects.filter(pk=candidate.pk).update(marker_lrs=markers)
    candidate.marker_lrs = markers
    return markers


def remains_profiles_for(remains: Remains) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for s in remains.dna_samples.all():
        out.update(_decrypt_profile(s.profile_encrypted))
    return out


def current_run() -> MatchingRun | None:
    return MatchingRun.objects.filter(current=True).first()


# --- decisions -------------------------------------------------------------------------------

@transaction.atomic
def propose(actor, candidate: Candidate, basis: str, *, below_threshold_reason: str = "", via: str = "web") -> Identification:
    require(actor, Cap.IDENT_PROPOSE)
    if not candidate.run.current:
        raise Conflict(_("This candidate is from a superseded run; use the current run's candidates."))
    if not (basis or "").strip():
        raise InvalidInput(_("State the basis of the identification."), field="basis")
    if candidate.posterior < THRESHOLD and not below_threshold_reason.strip():
        raise InvalidInput(_("The posterior is below 99.95 %%; a written reason is needed."), field="below_threshold_reason")
    open_ = Identification.objects.filter(status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED])
    if open_.filter(remains=candidate.remains).exists() or open_.filter(missing_person=candidate.missing_person).exists():
        raise Conflict(_("These remains or this missing person already have an open or confirmed identification."))
    ident = Identification.objects.create(remains=candidate.remains, missing_person=candidate.missing_person,
                                          candidate=candidate, posterior=candidate.posterior, basis=basis.strip(),
                                          below_threshold_reason=below_threshold_reason.strip(), proposed_by=actor)
    for obj in (candidate.remains, candidate.missing_person):
        record(obj, Action.UPDATED, actor, {"identification": [None, f"proposed: {candidate.remains} = {candidate.missing_person.ref}"]},
               reason=basis, via=via)
    return ident


@transaction.atomic
def decide(actor, ident: Identification, confirm: bool, note: str = "", *, via: str = "web") -> Identification:
    require(actor, Cap.IDENT_CONFIRM)
    ident = Identification.objects.select_for_update().get(pk=ident.pk)
    if ident.status != DecisionStatus.PROPOSED:
        raise Conflict(_("This identification is already %(s)s.") % {"s": ident.get_status_display()})
    if ident.proposed_by_id == actor.pk:
        raise PermissionDenied(_("Nobody confirms their own proposal: a second person must decide."))
    ident.status = DecisionStatus.CONFIRMED if confirm else DecisionStatus.REJECTED
    ident.decided_by, ident.decided_at, ident.decision_note = actor, timezone.now(), note
    ident.save()
    word = "confirmed" if confirm else "rejected"
    if confirm:
        _set_status(ident.remains, "status", RemainsStatus.IDENTIFIED, actor, via)
        _set_status(ident.missing_person, "status", MissingStatus.IDENTIFIED, actor, via)
    else:
        for obj in (ident.remains, ident.missing_person):
            record(obj, Action.UPDATED, actor, {"identification": ["proposed", word]}, reason=note, via=via)
    return ident


def _set_status(obj, field: str, value: str, actor, via: str) -> None:
    old = getattr(obj, field)
    setattr(obj, field, value)
    obj.save(update_fields=[field, "updated_at"])
    record(obj, Action.UPDATED, actor, {field: [old, value]}, via=via)


@transaction.atomic
def record_notification(actor, ident: Identification, on: dt.date, how: str, *, via: str = "web") -> Identification:
    require(actor, Cap.NOTIFY)
    ident = Identification.objects.select_for_update().get(pk=ident.pk)
    if ident.status != DecisionStatus.CONFIRMED:
        raise Conflict(_("Only a confirmed identification is notified to the family."))
    if not (how or "").strip():
        raise InvalidInput(_("Say how the family was told."), field="how")
    ident.notified_on, ident.notified_how, ident.notified_by = on, how.strip(), actor
    ident.save(update_fields=["notified_on", "notified_how", "notified_by"])
    record(ident.missing_person, Action.UPDATED, actor, {"family notified": [None, f"{on}: {how}"]}, via=via)
    return ident


@transaction.atomic
def record_return(actor, ident: Identification, on: dt.date, *, via: str = "web") -> Identification:
    require(actor, Cap.NOTIFY)
    ident = Identification.objects.select_for_update().get(pk=ident.pk)
    if ident.notified_on is None:
        raise Conflict(_("Record the notification of the family first."))
    ident.returned_on = on
    ident.save(update_fields=["returned_on"])
    _set_status(ident.remains, "status", RemainsStatus.RETURNED, actor, via)
    return ident


# --- statistics ------------------------------------------------------------------------------

def stats(site: str = "") -> dict:
    """The figures of ``vestige identify stats``: computed, never typed in."""
    mps = MissingPerson.objects.filter(withdrawn_at__isnull=True)
    missing_total = mps.count()
    identified = mps.filter(status=MissingStatus.IDENTIFIED).count()
    remains = Remains.objects.filter(withdrawn_at__isnull=True)
    if site:
        remains = remains.filter(site__ref=site)
    remains_total = remains.count()
    remains_identified = remains.filter(status__in=[RemainsStatus.IDENTIFIED, RemainsStatus.RETURNED]).count()
    run = current_run()
    with_candidate = set(Candidate.objects.filter(run=run).values_list("remains_id", flat=True)) if run else set()
    without = remains.exclude(pk__in=with_candidate).count()
    return {"missing": missing_total, "identified": identified,
            "accounted_for_pct": round(100.0 * identified / missing_total, 2) if missing_total else 0.0,
            "remains_total": remains_total, "remains_identified": remains_identified,
            "remains_without_candidate": without}


def weak_families() -> list[tuple[Family, str]]:
    """Families whose references are too weak to identify anyone: no consented profile, or only
    relatives more distant than first degree (kinship coefficient below 1/4) and fewer than two."""
    from vestige.kinship.lr import _kinship

    refs = profiles_for_matching()
    donors = {d: m for d, m, _f in _donor_members(refs)}
    out = []
    for fam in Family.objects.filter(withdrawn_at__isnull=True).prefetch_related("members", "missing_persons", "donors"):
        mps = [mp for mp in fam.missing_persons.all() if mp.withdrawn_at is None and mp.status == MissingStatus.MISSING]
        if not mps:
            continue
        typed = [donors[d.pk] for d in fam.donors.all() if d.pk in donors]
        if not typed:
            out.append((fam, _("no reference profile")))
            continue
        code = {m.pk: m.code for m in fam.members.all()}
        phi = _kinship(kinship_family(fam))
        best = max(phi(code[t], mp.member.code) for t in typed for mp in mps)
        if best < 0.25 and len(typed) < 2:
            out.append((fam, _("only a distant relative (kinship %(k)s)") % {"k": f"{best:.4g}"}))
    return out


def frequencies_path() -> Path:
    return Path(settings.VESTIGE_ALLELE_FREQUENCIES)
