"""What a matching run reads before its engines run: the reference profiles in force (decrypted
for the run only) on the pedigrees of the families still missing someone, the remains' accepted
samples as bodies (the bones of a confirmed duplicate group as one), their sexes and drop-out, and
the register's count of missing persons (the prior's N). :func:`read_run_inputs` gathers it as one
:class:`RunInputs`; :mod:`vestige.identification.runs` runs the engines on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from vestige.dnafiles import frequency_table
from vestige.identification.flags import run_flags
from vestige.identification.models import (
    DecisionStatus,
    DuplicateGroup,
    RemainsSample,
    SampleStatus,
)
from vestige.identification.samples import decrypt_profile
from vestige.kinship import Family as KFamily
from vestige.kinship import KinshipInputError
from vestige.kinship import Member as KMember
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.missing.models import Donor, Family, Member, MissingPerson, MissingStatus
from vestige.missing.services import profiles_for_matching
from vestige.registry.models import Remains, Sex

__all__ = ["Laps", "RunBodies", "RunInputs", "RunPedigrees", "donor_members", "mutation_model", "read_run_inputs",
           "run_bodies", "run_pedigrees"]


def mutation_model() -> MutationModel:
    return MutationModel.uniform(settings.VESTIGE_MUTATION_MODEL, settings.VESTIGE_MUTATION_RATE)


@dataclass
class Laps:
    """The seconds each phase of a run took, in order (the run's ``timings``)."""

    phases: dict[str, float] = field(default_factory=dict)
    mark: float = field(default_factory=time.perf_counter)

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self.mark, 3)
        self.mark = now


@dataclass
class RunPedigrees:
    """The kinship families a run searches, each missing person's pk by (family ref, pedigree id),
    and the families that cannot be searched yet (``{"family", "reason"}``)."""

    families: list[KFamily]
    mp_by_key: dict[tuple[str, str], int]
    unsearchable: list[dict]


def run_pedigrees(typed_by_family: dict[int, dict[int, str]], only: list[str] | None = None) -> RunPedigrees:
    """Kinship families of every family with a missing person still missing, built from plain
    rows (10^4 families in a fraction of a second); a map (family ref, pedigree id) → missing
    person pk; and the families that cannot be searched yet (no reference profile in force)."""

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
    families, mp_by_key, unsearchable = [], {}, []
    for fam_pk, rows in by_family.items():
        typed = typed_by_family.get(fam_pk, {})
        if not typed:
            unsearchable.append({"family": refs[fam_pk], "reason": "no reference profile with consent in force"})
            continue
        code = {r[0]: r[2] for r in rows}
        try:
            fam = KFamily(refs[fam_pk], [
                KMember(id=r[2], sex=r[3], father=code.get(r[4]), mother=code.get(r[5]), missing=r[0] in missing,
                        sample=typed.get(r[0]), deceased=r[6]) for r in rows], source=refs[fam_pk])
        except KinshipInputError as e:
            unsearchable.append({"family": refs[fam_pk], "reason": e.message})
            continue
        families.append(fam)
        for r in rows:
            if r[0] in missing:
                mp_by_key[(refs[fam_pk], r[2])] = missing[r[0]][0]
    return RunPedigrees(families, mp_by_key, unsearchable)


@dataclass
class RunBodies:
    """What a run searches: each body (a remains, or a confirmed duplicate group) and its samples."""

    items: list[str]  # the bodies' names, in order (``B:<primary pk>``): the engines' victims
    bodies: dict[str, list[str]]  # body → its accepted samples' names (``S:<pk>``)
    primary: dict[str, int]  # body → the remains pk it is shown as
    others: dict[str, list[int]]  # body → the other remains pks of its duplicate group
    profiles: dict[str, dict]  # sample name → its genotypes (decrypted for this run only)
    dropout: dict[str, float]  # sample name → its drop-out probability, where degraded


def run_bodies(site: str = "") -> RunBodies:
    """The remains to search (of one site, or all): per body its accepted samples."""
    qs = RemainsSample.objects.filter(remains__withdrawn_at__isnull=True, status=SampleStatus.ACCEPTED)
    if site:
        qs = qs.filter(remains__site__ref=site)
    samples_of: dict[int, list[tuple[str, dict, float]]] = {}
    for s in qs.only("pk", "code", "remains_id", "profile_encrypted", "dropout").order_by("pk"):
        samples_of.setdefault(s.remains_id, []).append((f"S:{s.pk}", decrypt_profile(s.profile_encrypted, s.code),
                                                         s.dropout))
    group_of: dict[int, int] = {}
    for g in DuplicateGroup.objects.filter(status=DecisionStatus.CONFIRMED).prefetch_related("remains"):
        pks = sorted(r.pk for r in g.remains.all())
        for pk in pks:
            group_of[pk] = pks[0]
    items, bodies, primary, others, profiles, dropout = [], {}, {}, {}, {}, {}
    seen: dict[int, str] = {}
    for rpk in sorted(samples_of):
        head = group_of.get(rpk, rpk)
        if head not in seen:
            name = f"B:{head}"
            seen[head] = name
            items.append(name)
            bodies[name] = []
            primary[name] = head if head in samples_of else rpk
            others[name] = []
        name = seen[head]
        if rpk != primary[name]:
            others[name].append(rpk)
        for sname, genotypes, d in samples_of[rpk]:
            bodies[name].append(sname)
            profiles[sname] = genotypes
            if d:
                dropout[sname] = d
    return RunBodies(items, bodies, primary, others, profiles, dropout)




def donor_members(refs):
    """(donor pk, member pk, family pk) of the donors with usable profiles."""

    return Donor.objects.filter(pk__in=refs).values_list("pk", "member_id", "family_id")


@dataclass
class RunInputs:
    """Everything a run's engines read (profiles decrypted for this run only, never stored)."""

    table: FrequencyTable
    mutation: MutationModel
    refs: dict  # donor pk → genotypes
    pedigrees: RunPedigrees
    found: RunBodies
    remains: dict[int, Remains]  # the bodies' primary remains by pk
    profiles: Profiles  # references (``DON:<pk>``) and samples (``S:<pk>``) together
    added: list[tuple[str, str, float]]  # rare alleles added to the table at the minimum frequency
    pedigree_flags: dict
    dropout: dict[str, float]  # sample or reference name → its drop-out probability
    sexes: dict[str, str]  # body → male, female or unknown
    missing_total: int  # missing persons in the register (still missing, not withdrawn)

    @property
    def degradation(self) -> Degradation:
        return Degradation(self.dropout)

    @property
    def prior_missing(self) -> int:
        """N of the prior: the register's missing persons, at least those searched."""
        return max(self.missing_total, sum(len(f.missing) for f in self.pedigrees.families), 1)


def read_run_inputs(scope_families: list[str], scope_site: str, laps: Laps) -> RunInputs:
    """Read and decrypt what a run of these families (all when empty) and this site (all when
    empty) searches; each phase timed in ``laps``."""
    table = frequency_table()
    refs, ref_dropout = profiles_for_matching(with_dropout=True)
    laps.lap("decrypt references")
    typed_by_family: dict[int, dict[int, str]] = {}
    for donor, member, family in donor_members(refs):
        typed_by_family.setdefault(family, {})[member] = f"DON:{donor}"
    pedigrees = run_pedigrees(typed_by_family, scope_families)
    laps.lap("pedigrees")
    found = run_bodies(scope_site)
    laps.lap("decrypt samples")
    remains = {r.pk: r for r in Remains.objects.filter(pk__in=set(found.primary.values())).select_related(
        "site", "exhumation")}
    profiles = Profiles({**{f"DON:{d}": g for d, g in refs.items()}, **found.profiles}, source="vestige")
    added = profiles.check_against(table, add_missing=settings.VESTIGE_MIN_ALLELE_FREQUENCY)
    # issue 27: each family's typed references against its pedigree before matching; a flagged
    # family's candidates carry the flag (kinship/check.py, forrel's checkPairwise)
    pedigree_flags = run_flags(pedigrees.families, profiles, table)
    laps.lap("pedigree checks")
    sexes = {}
    for item in found.items:
        r = remains[found.primary[item]]
        sexes[item] = "unknown" if r.sex == Sex.UNDETERMINED else r.sex
    missing_total = MissingPerson.objects.filter(withdrawn_at__isnull=True, status=MissingStatus.MISSING).count()
    return RunInputs(table, mutation_model(), refs, pedigrees, found, remains, profiles, added, pedigree_flags,
                     {**found.dropout, **{f"DON:{d}": v for d, v in ref_dropout.items()}}, sexes, missing_total)
