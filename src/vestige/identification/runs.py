"""Matching runs: the blind search, then the joint engine on every group of related pairings.

A run (:func:`execute_run`) reads the consented reference profiles and the remains' accepted
samples (the bones of a confirmed duplicate group as one body, degraded samples with their
drop-out), searches every body against every missing person of every searchable family with the
whole register's prior, and gives the search's pairs to the joint engine
(:func:`vestige.kinship.joint.joint_sparse`): the stored posterior of a candidate is its joint
marginal — it accounts for relatives found together and for competitors on both sides — with
the group's tolerance, its GLR and the flags (indistinguishable relatives, competing remains or
missing persons, sex conflict, drop-out, possible duplicate). The run records its inputs
(frequency table with its SHA-256, mutation model, drop-out settings, prior, engine version),
per-marker LRs, timings and counts. A run is a task (vestige/tasks.py) run by a worker process,
which beats its heartbeat; a run silent for ``VESTIGE_RUN_STALE_S`` is marked failed with that
reason and the next run can start.
Families without any reference profile in force are not searched and are listed as such.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

import vestige
from vestige import tasks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification.consistency import RegisterShares, consistency
from vestige.identification.display import GroupPages
from vestige.identification.flags import flags_inputs
from vestige.identification.lineage import RunLineage, check_choice, run_lineage
from vestige.identification.models import (
    Candidate,
    JointGroup,
    MatchingRun,
    RunStatus,
)
from vestige.identification.run_inputs import Laps, RunInputs, read_run_inputs
from vestige.kinship import Family as KFamily
from vestige.kinship.io import Profiles
from vestige.kinship.joint import JointOptions, JointResult, joint_sparse
from vestige.kinship.pmmatch import pm_match
from vestige.kinship.search import SearchResult, blind_search
from vestige.kinship.snp.relate import ibd_segments
from vestige.missing.models import Donor, Family, MissingPerson
from vestige.registry.models import Remains

ENGINE = f"vestige {vestige.__version__} / kinship joint engine 2"
TOP = 5
DUPLICATE_LR = 1e6  # pm-match: pairs of remains proposed as one person above this
EDGE_LOG_LR = math.log(1e-2)  # the joint engine is given the search's pairs with LR at least this


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


# --- starting and watching -------------------------------------------------------------------

def reap_stale_runs() -> int:
    """Mark failed every running run whose worker has been silent too long (and its task), and
    every queued run whose task failed before it could start. A queued run waits for a worker."""
    cutoff = timezone.now() - timedelta(seconds=settings.VESTIGE_RUN_STALE_S)
    stale = MatchingRun.objects.filter(status=RunStatus.RUNNING).filter(
        heartbeat_at__lt=cutoff) | MatchingRun.objects.filter(
        status=RunStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=cutoff)
    n = 0
    for run in stale:
        last = run.heartbeat_at or run.started_at
        why = (_("The worker stopped: no sign of life since %(t)s (after %(p)d %%). Start a new run.")
               % {"t": last.strftime("%Y-%m-%d %H:%M:%S"), "p": run.progress})
        n += tasks.fail(MatchingRun, run, why, was=RunStatus.RUNNING)
    return n + tasks.fail_queued(MatchingRun)


def start_run(actor, *, site: str = "", families: list[str] | None = None, background: bool = True,
              lineage: dict | None = None) -> MatchingRun:
    """Create a run over all remains (or one site's) against all families (or the ones named)
    and, with ``background``, hand it to a task worker (vestige/tasks.py); the CLI executes it
    itself. ``lineage``: {system: haplotype database pk} (y, mt, x) the run compares with."""
    require(actor, Cap.RUN_START)
    choice = check_choice(lineage or {})
    if site and not Remains.objects.filter(site__ref=site).exists():
        raise InvalidInput(_("No remains at site %(s)r.") % {"s": site}, field="site")
    families = [f.strip() for f in (families or []) if f.strip()]
    unknown = sorted(set(families) - set(Family.objects.filter(ref__in=families).values_list("ref", flat=True)))
    if unknown:
        raise InvalidInput(_("No family %(f)s.") % {"f": ", ".join(unknown)}, field="families")
    reap_stale_runs()
    if MatchingRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise Conflict(_("A matching run is already under way; wait for it to finish."))
    run = MatchingRun.objects.create(started_by=actor, scope_site=site, scope_families=",".join(families),
                                     heartbeat_at=timezone.now(), lineage=choice)
    record(run, Action.CREATED, actor, {"scope": [None, f"{site or 'all remains'}; {','.join(families) or 'all families'}"]})
    if background:
        run.task_id = tasks.enqueue(matching_run, run.pk)
        if run.task_id:
            MatchingRun.objects.filter(pk=run.pk).update(task_id=run.task_id)
            run.message = gettext_noop("Waiting for a task worker")
            MatchingRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(message=run.message)
    return run


def _beat(run_id: int, percent: int | None = None, message: str | None = None) -> None:
    fields = {"heartbeat_at": timezone.now()}
    if percent is not None:
        fields["progress"] = percent
    if message:
        fields["message"] = message
    MatchingRun.objects.filter(pk=run_id).update(**fields)


# --- what a run reads ------------------------------------------------------------------------

# --- the run ---------------------------------------------------------------------------------

@task()
def matching_run(run_id: int) -> str:
    """The task a worker runs for a queued run (once: a run done, failed or taken is left alone)."""
    if not MatchingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).exists():
        return "not queued"
    with tasks.heartbeat(MatchingRun, run_id):
        try:
            return execute_run(run_id).status
        except Exception:  # noqa: BLE001 - execute_run recorded it on the run
            return "failed"


@dataclass
class RunOutcome:
    """What a run's engines found: the search, the joint engine on its pairs, the lineage systems
    used, the candidate rows and groups to store, the proposed duplicates, and engine seconds."""

    res: SearchResult | None
    joint: JointResult | None
    lineage: RunLineage
    rows: list[tuple] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    search_seconds: float = 0.0
    engine_seconds: float = 0.0  # search and joint


def execute_run(run_id: int, progress=None) -> MatchingRun:
    """Run the search and the joint engine and store the candidates; any failure is recorded on
    the run, never lost."""
    t0 = time.perf_counter()
    run = MatchingRun.objects.get(pk=run_id)
    MatchingRun.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, progress=1, message=gettext_noop("Reading profiles"),
                                                 heartbeat_at=timezone.now())
    try:
        laps = Laps()
        inputs = read_run_inputs([f for f in run.scope_families.split(",") if f], run.scope_site, laps)
        _beat(run_id, 5)
        outcome = _match(run, inputs, laps, progress)
        _beat(run_id, 88, _("Looking for bones of one body"))
        found = inputs.found
        outcome.duplicates = _duplicates(inputs)
        laps.lap("duplicates")
        families = inputs.pedigrees.families
        outcome.rows, outcome.groups = _candidate_rows(
            run, inputs, outcome, snp_segments(outcome.lineage.lineage, {f.name: f for f in families}, found.bodies))
        laps.lap("flags")
        _store(run_id, inputs, outcome, laps, t0)
    except Exception as e:  # recorded on the run, never only logged
        MatchingRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                     message=f"{type(e).__name__}: {e}")
        raise
    _plan_donors(run_id)
    return MatchingRun.objects.get(pk=run_id)


def _target_index(families: list[KFamily]) -> dict[tuple[str, str], int]:
    """(family, missing person) → the engines' target index (the families' order)."""
    return {(f.name, mp): j for j, (f, mp) in enumerate((f, mp) for f in families for mp in f.missing)}


def _match(run: MatchingRun, inputs: RunInputs, laps: Laps, progress) -> RunOutcome:
    """The blind search of every body against every missing person, then the joint engine on its
    pairs (the stored posteriors are the joint marginals)."""
    _beat(run.pk, 10, _("Computing likelihood ratios"))
    t_engine = time.perf_counter()

    def engine_progress(what, done, total):
        pct = 10 + int(60 * done / max(total, 1)) if what == "families × markers" else 70 + int(10 * done / max(total, 1))
        _beat(run.pk, pct)
        if progress:
            progress(pct)

    found, families = inputs.found, inputs.pedigrees.families
    lineage = run_lineage({k: int(v) for k, v in (run.lineage or {}).items()},
                          {int(n.split(":", 1)[1]) for names in found.bodies.values() for n in names}, set(inputs.refs))
    laps.lap("lineage")
    res = blind_search(families, inputs.profiles, inputs.table, found.items, bodies=found.bodies, sexes=inputs.sexes,
                       mutation=inputs.mutation, degradation=inputs.degradation, top=TOP,
                       missing_total=inputs.prior_missing, marker_detail=True, progress=engine_progress,
                       map_blocks=_dask_blocks(), lineage=lineage.lineage) if families and found.items else None
    search_seconds = time.perf_counter() - t_engine
    laps.lap("search")
    _beat(run.pk, 80, _("Joint identification of related remains"))
    joint = None
    if res is not None and res.hits:
        index, tindex = {it: i for i, it in enumerate(found.items)}, _target_index(families)
        # Pairings below LR 10^-2 carry a prior-weighted mass of at most ~10^-2/N each: they go to
        # the groups' tolerance (with the pairs the search did not report) instead of
        # tying unrelated remains into one large group.
        edges = [(index[h.sample], tindex[(h.family, h.missing)], h.log_lr) for h in res.hits
                 if h.log_lr >= EDGE_LOG_LR]
        joint = joint_sparse(families, inputs.profiles, inputs.table, found.items, edges, bodies=found.bodies,
                             sexes=inputs.sexes, mutation=inputs.mutation, degradation=inputs.degradation,
                             row_lse={index[k]: v for k, v in res.row_lse.items()},
                             col_lse={tindex[k]: v for k, v in res.col_lse.items() if k in tindex},
                             options=JointOptions(missing_total=inputs.prior_missing, top=0))
    laps.lap("joint")
    return RunOutcome(res, joint, lineage, search_seconds=search_seconds,
                      engine_seconds=time.perf_counter() - t_engine)


def _store(run_id: int, inputs: RunInputs, outcome: RunOutcome, laps: Laps, t0: float) -> None:
    """The candidates, the joint groups and the run's record (inputs, timings, counts), in one
    transaction; the run becomes the current one."""
    res, found, rows, groups_out = outcome.res, inputs.found, outcome.rows, outcome.groups
    with transaction.atomic():
        _insert_candidates(rows)
        JointGroup.objects.bulk_create([JointGroup(run_id=run_id, index=g["index"], data=g) for g in groups_out],
                                       batch_size=2000)
        laps.lap("store")
        MatchingRun.objects.filter(current=True).update(current=False)
        n_samples = sum(len(v) for v in found.bodies.values())
        added = inputs.added
        MatchingRun.objects.filter(pk=run_id).update(
            status=RunStatus.DONE, progress=100, current=True, finished_at=timezone.now(), samples=n_samples,
            missing_persons=len(inputs.pedigrees.mp_by_key), candidates_found=len(rows),
            engine_seconds=round(outcome.engine_seconds, 3),
            total_seconds=round(time.perf_counter() - t0, 3), heartbeat_at=timezone.now(),
            inputs={**_inputs(inputs.table, inputs.mutation, inputs.dropout, res, inputs.missing_total, added),
                    "lineage": outcome.lineage.used, "lineage_notes": outcome.lineage.notes + (res.notes if res else []),
                    **flags_inputs(inputs.pedigree_flags)},
            timings={**laps.phases, "search_engine": round(outcome.search_seconds, 3)},
            counts={"bodies": len(found.items), "remains": sum(1 + len(o) for o in found.others.values()),
                    "samples": n_samples, "degraded_samples": len(found.dropout),
                    "families_searched": len(inputs.pedigrees.families),
                    "families_unsearchable": len(inputs.pedigrees.unsearchable),
                    "missing_persons": len(inputs.pedigrees.mp_by_key), "missing_total": inputs.missing_total,
                    "candidates": len(rows), "groups": len(groups_out),
                    "symmetric": sum(1 for g in groups_out if g.get("symmetric")),
                    "duplicates_proposed": len(outcome.duplicates), "families_skipped": len(res.skipped) if res else 0},
            joint={"groups": len(groups_out),
                   "skipped": [{"family": f, "reason": r} for f, r in (res.skipped if res else [])],
                   "none": _none_of_the_missing(outcome.joint, found.primary, inputs.remains)},
            unsearchable=inputs.pedigrees.unsearchable, duplicates=outcome.duplicates,
            message=_("%(n)d candidates for %(s)d bodies") % {"n": len(rows), "s": len(found.items)}
            + " (" + ", ".join(f"{k} {v} s" for k, v in laps.phases.items()) + ")"
            + ("; " + _("rare alleles added at the minimum frequency: %(a)s") % {
                "a": ", ".join(f"{m} {a}" for m, a, _f in added)} if added else ""))


def _plan_donors(run_id: int) -> None:
    """After the run: which relative to ask for, for the weakly referenced families (the
    planning engine; kept with the run, reused while a family does not change). The run's
    candidates are in force before this starts; a failure here is recorded, the run stays done."""
    from vestige.identification.worklists import (
        plan_weak_families,  # lazy: worklists builds on this module
    )

    run = MatchingRun.objects.get(pk=run_id)
    previous = MatchingRun.objects.filter(status=RunStatus.DONE).exclude(pk=run_id).order_by("-finished_at").first()
    t = time.perf_counter()
    try:
        run.plans = {}
        fresh = plan_weak_families(run, previous)
        MatchingRun.objects.filter(pk=run_id).update(plans=run.plans, timings={**run.timings, "plans (after)": round(
            time.perf_counter() - t, 3), "plans computed": fresh})
    except Exception as e:  # noqa: BLE001 - the planning is advice; the run's results stand
        MatchingRun.objects.filter(pk=run_id).update(message=f"{run.message}; donor planning failed: {e}")


_dask_client = None


def _dask_blocks():
    """With VESTIGE_DASK_SCHEDULER, the blind search scores its blocks of samples on that Dask
    cluster (one client per process, kept); None: here."""
    global _dask_client
    address = settings.VESTIGE_DASK_SCHEDULER
    if not address:
        return None
    from vestige.kinship import distributed  # lazy: the optional dask extra
    if _dask_client is None or _dask_client.status != "running":
        _dask_client = distributed.connect(scheduler=address)
    return distributed.dask_map(_dask_client)


def _inputs(table, mutation, dropout, res, missing_total, added) -> dict:
    values = sorted({round(v, 6) for v in dropout.values()})
    return {"frequency_table": str(Path(settings.VESTIGE_ALLELE_FREQUENCIES).name),
            "frequency_table_sha256": _sha256(settings.VESTIGE_ALLELE_FREQUENCIES),
            "markers": len(table.markers), "mutation": mutation.describe(),
            "dropout": {"samples": len(dropout), "values": values[:20]},
            "prior_per_pair": res.prior if res else None, "missing_total": missing_total,
            "min_allele_frequency": settings.VESTIGE_MIN_ALLELE_FREQUENCY,
            "alleles_added": [f"{m} {a}" for m, a, _f in added], "engine": ENGINE, "top": TOP}


def _duplicates(inputs: RunInputs) -> list[dict]:
    """Pairs of bodies whose samples look like one person (pm-match), best first."""
    profiles, table, degradation, remains = inputs.profiles, inputs.table, inputs.degradation, inputs.remains
    items, bodies, primary = inputs.found.items, inputs.found.bodies, inputs.found.primary
    if len(items) < 2:
        return []
    merged: dict[str, dict] = {}
    for item in items:  # one reading per body: its first sample (the others agree by construction)
        merged[item] = profiles.genotypes[bodies[item][0]]
    deg = type(degradation)({item: (degradation.dropout or {}).get(bodies[item][0], 0.0) for item in items})
    pairs = pm_match(Profiles(merged, "bodies"), table, items, degradation=deg, min_lr=DUPLICATE_LR)
    out = []
    for p in pairs[:500]:
        a, b = remains[primary[p.sample_a]], remains[primary[p.sample_b]]
        out.append({"remains": [a.body_number, b.body_number], "remains_pk": [a.pk, b.pk],
                    "log10_lr": p.log10_lr, "markers_compared": p.markers_compared})
    return out


def snp_segments(lin, families: dict, bodies: dict):
    """A function (body, family, missing) → the IBD segments the body's SNP genotypes share with
    each SNP-typed reference of that family ({} without SNPs), for the candidate page's picture:
    {"references": {code: {"segments": [[chrom, start cM, end cM], ...], "total_cm", "longest_cm"}},
    "lengths": {chrom: cM}}. References are named by their donor code."""
    model = getattr(lin, "snp", None) if lin is not None else None
    if model is None:
        return lambda *_a: {}
    panel = model.genotypes.panel
    lengths = {int(c): round(float(panel.cm[panel.chrom == c].max()), 2) for c in np.unique(panel.chrom)}
    codes: dict[str, str] = {}

    def code(name: str) -> str:
        if name not in codes:
            pk = int(name.split(":", 1)[1])
            codes[name] = Donor.objects.filter(pk=pk).values_list("code", flat=True).first() or name
        return codes[name]

    def segments(body: str, family: str, missing: str) -> dict:
        sample = next((s for s in bodies.get(body, [body]) if model.enough(s)), None)
        fam = families.get(family)
        if sample is None or fam is None:
            return {}
        refs = {}
        for m in fam.typed:
            if m.id != missing and m.sample and model.enough(m.sample):
                segs = ibd_segments(model.calls(sample), model.calls(m.sample), panel,
                                    eps=max(model.error(sample, False), model.error(m.sample, True)))
                refs[code(m.sample)] = {"segments": [[s.chrom, round(s.start_cm, 2), round(s.end_cm, 2)] for s in segs],
                                        "total_cm": round(sum(s.cm for s in segs), 1),
                                        "longest_cm": round(max((s.cm for s in segs), default=0.0), 1)}
        return {"references": refs, "lengths": lengths} if refs else {}

    return segments


def _candidate_rows(run: MatchingRun, inputs: RunInputs, outcome: RunOutcome,
                    segments=None) -> tuple[list[tuple], list[dict]]:
    """Rows for the candidates table and the run's summary of joint groups; ``segments(sample,
    family, missing)``: the shared SNP segments of a pair, where SNPs were compared."""
    res, joint, duplicates = outcome.res, outcome.joint, outcome.duplicates
    found, remains, mp_by_key = inputs.found, inputs.remains, inputs.pedigrees.mp_by_key
    pedigree_flags = inputs.pedigree_flags
    tindex = _target_index(inputs.pedigrees.families)
    items, primary, others, bodies, sample_dropout = found.items, found.primary, found.others, found.bodies, found.dropout
    index = {it: i for i, it in enumerate(items)}

    if res is None:
        return [], []
    marg: dict[tuple[int, int], tuple[float, float, bool]] = {}
    group_of: dict[int, int] = {}
    groups_out = []
    pages: dict[int, GroupPages] = {}  # each stored group's candidate views
    targets = list(tindex)
    if joint is not None:
        for m in joint.marginals:  # the engine's victims and targets are this run's items and targets
            if not m.none_of_the_missing:
                marg[(m.victim, m.target)] = (m.probability, m.tolerance, m.exact)
        for gi, g in enumerate(joint.groups):
            for v in g.victims:
                group_of[v] = gi
            if len(g.victims) > 1 or len(g.targets) > 1 or not g.exact:
                groups_out.append(_group_summary(gi, g, joint, inputs, targets))
                pages[gi] = GroupPages(groups_out[-1])
    dup_of: dict[int, list[str]] = {}
    for d in duplicates:
        a, b = d["remains_pk"]
        dup_of.setdefault(a, []).append(d["remains"][1])
        dup_of.setdefault(b, []).append(d["remains"][0])
    symmetric_pairs = {(s, mp) for g in groups_out for sym in g.get("symmetric", []) for s, mp in sym["pairs"]}
    persons = MissingPerson.objects.in_bulk({mp_by_key[(h.family, h.missing)] for h in res.hits})
    register = RegisterShares()  # the date and place LRs' alternative, read once for the run
    rows = []
    for h in res.hits:
        v, t = index[h.sample], tindex[(h.family, h.missing)]
        p, tol, exact = marg.get((v, t), (h.posterior, 0.0, False))
        if h.log_lr < 0 and p < 1e-3:
            continue
        r = remains[primary[h.sample]]
        mp_id = mp_by_key[(h.family, h.missing)]
        flags = consistency(r, persons[mp_id], register)
        dna = list(h.flags)
        if (r.body_number, persons[mp_id].ref) in symmetric_pairs:
            dna.append("symmetric")
        degraded = [sample_dropout[s] for s in bodies[h.sample] if s in sample_dropout]
        if degraded:
            dna.append(f"degraded:drop-out {max(degraded):g}")
        if len(bodies[h.sample]) > 1:
            dna.append(f"samples:{len(bodies[h.sample])}")
        for o in others[h.sample]:
            dna.append(f"same_body:{remains[o].body_number if o in remains else o}")
        for d in dup_of.get(r.pk, []):
            dna.append(f"possible_duplicate:{d}")
        for c, done in (pedigree_flags or {}).get(h.family, []):  # a resolved flag stays visible as such
            dna.append(f"pedigree_check{'_resolved' if done else ''}:{c.a}-{c.b}")
        glr = joint.glr.get((v, t)) if joint is not None else None
        shared = (segments(h.sample, h.family, h.missing)
                  if segments is not None and (h.systems or {}).get("snp") is not None and (p >= 1e-3 or h.log_lr > 0)
                  else {})
        page = pages[group_of[v]].view(r.body_number, persons[mp_id].ref) if group_of.get(v) in pages else None
        rows.append((run.pk, r.pk, mp_id, h.lr if math.isfinite(h.lr) else 1e308, h.log10_lr, p, h.markers_compared,
                     json.dumps(h.markers or {}), json.dumps(flags), sum(1 for f in flags.values() if f["state"] == "conflict"),
                     res.prior, tol, exact, None if glr is None else glr / math.log(10), json.dumps(dna),
                     group_of.get(v), json.dumps(h.systems or {}), json.dumps(shared),
                     None if page is None else json.dumps(page)))
    return rows, groups_out


def _none_of_the_missing(joint, primary, remains) -> dict[str, list[float]]:
    """Body number → [probability that it is none of the registered missing persons, how far that
    may be off], for every body with a candidate the joint engine saw."""
    if joint is None:
        return {}
    out = {}
    for m in joint.marginals:
        if m.none_of_the_missing and m.sample in primary and primary[m.sample] in remains:
            out[remains[primary[m.sample]].body_number] = [m.probability, m.tolerance]
    return out


def _group_summary(gi: int, g, joint: JointResult, inputs: RunInputs, targets: list[tuple[str, str]]) -> dict:
    """A joint group as the run stores it: its bodies and missing persons, how it was solved, its
    three best assignments and symmetric matches (``targets``: the engines' (family, missing) in order)."""
    items, primary, remains, mp_by_key = inputs.found.items, inputs.found.primary, inputs.remains, inputs.pedigrees.mp_by_key

    def body(v):
        return remains[primary[items[v]]].body_number

    persons = MissingPerson.objects.in_bulk([mp_by_key[targets[t]] for t in g.targets])

    def person(t):
        return persons[mp_by_key[targets[t]]].ref

    out = {"index": gi, "remains": [body(v) for v in g.victims], "missing": [person(t) for t in g.targets],
           "families": sorted({targets[t][0] for t in g.targets}), "exact": g.exact and g.sampled_error is None, "tolerance": g.tolerance,
           "method": g.method, "sampled": g.sampled_error is not None, "assignments": []}
    if g.exact and g.plain is not None:
        for r in range(min(3, len(g.plain))):
            pairs = [[body(v), person(int(t))] for v, t in zip(g.victims, g.assignments[r], strict=True) if t >= 0]
            out["assignments"].append({"pairs": pairs, "log10_lr": float(g.plain[r]) / math.log(10)})
        for s in joint.symmetric:
            if set(s.samples) <= {items[v] for v in g.victims}:
                out.setdefault("symmetric", []).append(
                    {"remains": [remains[primary[x]].body_number for x in s.samples],
                     "pairs": [[remains[primary[sample]].body_number, persons[mp_by_key[(s.family, mp)]].ref]
                               for sample, mp in s.pairs()]})
    else:
        out["reason"] = g.reason
    return out


def _insert_candidates(rows: list[tuple]) -> None:
    """One INSERT per batch for the run's candidates (the run's hot path; see the benchmark)."""
    from django.db import connection

    table = connection.ops.quote_name(Candidate._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = (f"INSERT INTO {table} (run_id, remains_id, missing_person_id, lr, log10_lr, posterior, markers_compared, "
           f"marker_lrs, flags, conflicts, prior, tolerance, exact, log10_glr, dna_flags, \"group\", systems, segments, "
           f"group_view) VALUES (%s, %s, %s, %s, %s, %s, %s, %s{cast}, %s{cast}, %s, %s, %s, %s, %s, %s{cast}, %s, "
           f"%s{cast}, %s{cast}, %s{cast})")
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i:i + 5000])


def current_run() -> MatchingRun | None:
    return MatchingRun.objects.filter(current=True).first()
