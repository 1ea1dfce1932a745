"""Remains DNA samples: recording, import from lab files, and the agreement of one body's samples.

Several bones of one body are independent readings of one genotype. A new sample *agrees* with
the body's earlier ones when, at every marker, some genotype could give all their readings —
so a bone that lost an allele by drop-out agrees with one that shows both, and the two are
combined in matching. A real disagreement (no genotype explains both) does not refuse the file:
the sample is stored as *discordant*, kept out of matching, and shown for a person to resolve
(accept it — e.g. after re-typing — or exclude it).
"""

from __future__ import annotations

import json
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access, crypto
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dnafiles import check_labels, read_dna_upload
from vestige.errors import Conflict, ImportRejected, InvalidInput, NotFound, RowError
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification.models import MatchingRun, Material, RemainsSample, SampleStatus
from vestige.importers import dropout_of
from vestige.kinship.observe import reading, weight_table
from vestige.registry.importing import ImportReport
from vestige.registry.models import Remains, SkeletalElement


def decrypt_profile(encrypted: str, code: str) -> dict[str, tuple[str, str | None]]:
    """A remains sample's profile; ``code`` is the sample's, to which the ciphertext is bound."""
    return {m: (a, b) for m, (a, b) in json.loads(crypto.decrypt(encrypted, crypto.context("sample.profile", code))).items()}


def _readings(genotypes, dropout):
    return {m: reading(a, b, dropout) for m, (a, b) in genotypes.items()}


def disagreements(new: dict, new_dropout: float, earlier: list[tuple[str, dict, float]]) -> list[str]:
    """Markers at which no genotype explains the new sample and an earlier one (with their
    drop-out rates): ``"D3S1358: 15/16 vs 14/17 (PM-1-S1)"``."""
    out = []
    mine = _readings(new, new_dropout)
    for code, genotypes, d in earlier:
        theirs = _readings(genotypes, d)
        for marker, r in mine.items():
            other = theirs.get(marker)
            if other is None:
                continue
            _union, w = weight_table([r, other], lambda _a: 0.0)
            if not (w > 0).any():
                shown = "/".join(x for x in new[marker] if x) or "?"
                was = "/".join(x for x in genotypes[marker] if x) or "?"
                out.append(f"{marker}: {shown} vs {was} ({code})")
    return out


def _check_profile(genotypes: dict, dropout: float) -> None:

    if not genotypes:
        raise InvalidInput(_("The profile has no typed marker."), field="profile")
    check_labels(genotypes)
    if not 0.0 <= dropout < 1.0:
        raise InvalidInput(_("The drop-out probability must be in [0, 1)."), field="dropout")
    if dropout == 0.0 and any(b is None for _a, b in genotypes.values()):
        raise InvalidInput(_("One allele only at some marker: give the sample's drop-out probability."),
                           field="dropout")


@transaction.atomic
def add_remains_sample(actor, remains: Remains, genotypes: dict[str, tuple[str, str | None]], *, material: str,
                       lab: str, kit: str, taken_on=None, code: str = "", dropout: float = 0.0,
                       via: str = "web") -> RemainsSample:
    """Record a DNA sample of ``remains``. One that no genotype reconciles with the body's other
    accepted samples is kept as discordant (out of matching) with the markers named."""
    require(actor, Cap.DNA_WRITE)
    access.check(actor, remains)
    _check_profile(genotypes, dropout)
    if not lab or not kit:
        raise InvalidInput(_("Record the laboratory and the kit."), field="lab" if not lab else "kit")
    if material not in Material.values:
        raise InvalidInput(_("Material must be one of: %(v)s.") % {"v": ", ".join(Material.values)}, field="material")
    if remains.withdrawn_at is not None:
        raise Conflict(_("%(b)s is withdrawn; restore it before adding samples.") % {"b": remains.body_number})
    earlier = [(s.code, decrypt_profile(s.profile_encrypted, s.code), s.dropout)
               for s in remains.dna_samples.filter(status=SampleStatus.ACCEPTED)]
    bad = disagreements(genotypes, dropout, earlier)
    n = remains.dna_samples.count() + 1
    sample = RemainsSample(code=code or f"{remains.body_number}-S{n}", remains=remains, material=material, lab=lab,
                           kit=kit, taken_on=taken_on, recorded_by=actor, markers=len(genotypes), dropout=dropout,
                           status=SampleStatus.DISCORDANT if bad else SampleStatus.ACCEPTED,
                           note=(_("Disagrees with the body's other samples: %(m)s") % {"m": "; ".join(bad)}) if bad else "")
    sample.profile_encrypted = crypto.encrypt(json.dumps({m: list(g) for m, g in sorted(genotypes.items())}),
                                              crypto.context("sample.profile", sample.code))
    if RemainsSample.objects.filter(code=sample.code).exists():
        raise Conflict(_("A sample %(c)s is already recorded.") % {"c": sample.code})
    sample.full_clean()
    sample.save()
    record(remains, Action.UPDATED, actor, {"DNA sample": [None, f"{sample.code}: {sample.markers} markers"
                                                            + (f", drop-out {dropout:g}" if dropout else "")
                                                            + (" — DISCORDANT" if bad else "")]}, via=via)
    return sample


@transaction.atomic
def resolve_sample(actor, sample: RemainsSample, accept: bool, note: str, *, via: str = "web") -> RemainsSample:
    """A person decides a discordant sample: accept it into matching, or exclude it."""
    require(actor, Cap.DNA_WRITE)
    access.check(actor, sample)
    if not (note or "").strip():
        raise InvalidInput(_("Say why."), field="note")
    sample = RemainsSample.objects.select_for_update().get(pk=sample.pk)
    if sample.status != SampleStatus.DISCORDANT:
        raise Conflict(_("%(c)s is not waiting for a decision.") % {"c": sample.code})
    old = sample.status
    sample.status = SampleStatus.ACCEPTED if accept else SampleStatus.EXCLUDED
    sample.note = f"{sample.note}\n{note.strip()}".strip()
    sample.save(update_fields=["status", "note"])
    record(sample.remains, Action.UPDATED, actor, {f"DNA sample {sample.code}": [old, sample.status]}, reason=note,
           via=via)
    return sample


def import_samples(actor, data: BinaryIO, name: str, *, lab: str, kit: str, material: str = "bone",  # noqa: PLR0913
                   dropout: float = 0.0, dry_run: bool = False, via: str = "import", single: str | None = None):
    """Remains samples from a lab file (sample column = body number): all rows or none; a dry run
    lists every bad cell. Disagreement between bones of one body is flagged, not refused."""

    require(actor, Cap.DNA_WRITE)
    problems = []
    if material not in Material.values:
        problems.append(RowError(0, "material", material, _("one of %(v)s") % {"v": ", ".join(Material.values)}))
    parsed = read_dna_upload(data.read(), name, lab=lab, kit=kit, dropout=dropout, single=single)
    problems += parsed.errors
    bodies = {r.body_number: r for r in access.scope(Remains.objects.filter(body_number__in=list(parsed.profiles)), actor)}
    for sample, line in parsed.lines.items():
        r = bodies.get(sample)
        if r is None:
            problems.append(RowError(line, "sample", sample, _("no remains with this body number")))
        elif r.withdrawn_at is not None:
            problems.append(RowError(line, "sample", sample, _("these remains are withdrawn")))
    report = ImportReport("remains samples", name, parsed.rows, 0, dry_run, problems)
    if dry_run:
        return report
    if problems:
        raise ImportRejected(name, problems)
    with transaction.atomic():
        for sample, genotypes in parsed.profiles.items():
            add_remains_sample(actor, bodies[sample], genotypes, material=material, lab=lab, kit=kit, dropout=dropout,
                               via=via)
    report.created = len(parsed.profiles)
    return report


def samples_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict, via: str):
    """The ``import:samples`` hook of :mod:`vestige.importers`."""
    return import_samples(actor, data, name, lab=options.get("lab", ""), kit=options.get("kit", ""),
                          material=options.get("material") or "bone", dropout=dropout_of(options), dry_run=dry_run,
                          via=via, single=options.get("single") or None)


def sampled_elements(element_ids: list[int]) -> set[int]:
    """The ``registry.element_samples`` hook: which of these skeletal elements a DNA sample was cut from."""
    return set(RemainsSample.objects.filter(element_id__in=element_ids).values_list("element_id", flat=True))


@transaction.atomic
def set_sample_element(actor, sample: RemainsSample, element_code: str, *, via: str = "web") -> RemainsSample:
    """Record which bone of the inventory ``sample`` was cut from (it must be a bone of the sample's
    individual: assemble it there first)."""
    require(actor, Cap.DNA_WRITE)
    access.check(actor, sample)
    element = SkeletalElement.objects.filter(code=element_code.strip()).first()
    if element is None or not access.visible(actor, element):
        raise NotFound(_("No skeletal element %(c)s.") % {"c": element_code})
    if element.remains_id != sample.remains_id:
        raise Conflict(_("%(e)s is not a bone of %(b)s: assemble it into that individual first.")
                       % {"e": element.code, "b": sample.remains.body_number})
    before = sample.element.code if sample.element_id else None
    sample.element = element
    sample.save(update_fields=["element"])
    record(sample, Action.UPDATED, actor, {"element": [before, element.code]}, via=via)
    return sample


def dna_associations(site_id: int) -> list[dict]:
    """The ``registry.dna_associations`` hook: pairs of individuals of a site whose DNA the current
    matching run's pm-match says is one person ("remains" body numbers, log10 LR), best first —
    for a person to accept on the skeletal inventory (moving the bones) and, as one body in
    matching, on the same-body decision."""
    run = MatchingRun.objects.filter(current=True).first()
    if run is None or not run.duplicates:
        return []
    here = set(Remains.objects.filter(site_id=site_id, withdrawn_at__isnull=True).values_list("pk", flat=True))
    return [{"remains": d["remains"], "log10_lr": d["log10_lr"], "markers_compared": d.get("markers_compared")}
            for d in run.duplicates if set(d["remains_pk"]) <= here]
