"""SNP genotypes from VCF 4.2 files, read with cyvcf2 and checked against the panel.

**Why cyvcf2.** It is htslib's own parser (the reference implementation of VCF/BCF, plain or
bgzipped, indexed or not) behind a small numpy interface: the whole of a 5,000-SNP × 700-sample
file is read in a third of a second, genotypes arrive as an array, and htslib refuses a malformed
line instead of guessing. pysam would bring the same parser with far more than we use;
scikit-allel reads through its own Python parser and loads everything into memory. cyvcf2 is an
optional extra (``pip install vestige[snp]``), imported only when a VCF is read.

Genotypes are alt-allele counts 0, 1, 2 (phase ignored), -1 for a no-call — and for a call whose
``GQ`` is below ``min_gq`` or whose ``DP`` is below ``min_dp`` when the file has them.

**Checked, never repaired**: a record whose ID (or, without an ID, chromosome and position) is not
in the panel; the same ID at another position (another genome build: the file's
``##reference`` is named); positions out of order; a site with more than one ALT allele; REF/ALT
that differ from the panel's — exchanged, or on the other strand (complemented) — are errors that
name the file, the line and the SNP. Nothing is flipped silently. **A/T and C/G SNPs** cannot show
a strand flip by their alleles; the common advice (e.g. PLINK and the Michigan imputation
server's checks) is to drop them when the strand of a file is unknown. A VCF's REF is by
definition on the forward strand of its reference genome, so palindromic SNPs are kept when the
file's REF/ALT equal the panel's and the builds agree; ``drop_palindromic=True`` leaves them out
(for files converted from array reports, whose strand may be TOP/BOT).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.snp.panel import COMPLEMENT, Panel, chrom_name

__all__ = ["SnpGenotypes", "read_vcf", "read_vcf_bytes", "read_vcfs"]


@dataclass
class SnpGenotypes:
    """Genotypes of ``samples`` at the panel's SNPs: ``calls[i, t]`` in {0, 1, 2, -1}."""

    panel: Panel
    samples: list[str]
    calls: np.ndarray  # int8 (n_samples, n_snps)
    sources: dict[str, str] = field(default_factory=dict)  # sample -> file
    notes: list[str] = field(default_factory=list)
    row: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.row = {s: i for i, s in enumerate(self.samples)}

    def __contains__(self, sample: str) -> bool:
        return sample in self.row

    def of(self, sample: str) -> np.ndarray:
        return self.calls[self.row[sample]]

    def call_rate(self, sample: str) -> float:
        return float((self.of(sample) >= 0).mean()) if len(self.panel) else 0.0


def _cyvcf2():
    try:
        import cyvcf2  # the optional [snp] extra: htslib's parser, loaded only to read a VCF
    except ImportError:  # pragma: no cover - depends on the install
        raise KinshipInputError("VCF", "reading VCF files needs the snp extra: pip install 'vestige[snp]'") from None
    return cyvcf2


def _header_lines(path: Path) -> int:
    """The number of ``#`` lines at the top of the file (htslib's header adds lines of its own)."""
    with path.open("rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    n = 0
    try:
        with opener(path, "rb") as f:
            for line in f:
                if not line.startswith(b"#"):
                    break
                n += 1
    except (OSError, EOFError):
        pass
    return n


def read_vcf(path: str | Path, panel: Panel, *, min_gq: float | None = None, min_dp: float | None = None,
             drop_palindromic: bool = False, name: str | None = None) -> SnpGenotypes:
    """The genotypes of every sample of ``path`` at the panel's SNPs (no-calls where the file has
    no record). Frequencies missing from the panel are taken from the file's ``INFO/AF``. ``name``:
    the file's name in messages (an upload read from memory, ``/proc/self/fd/N``)."""
    cyvcf2 = _cyvcf2()
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise KinshipInputError(name, "no such file")
    try:
        vcf = cyvcf2.VCF(str(path), gts012=True, lazy=True, threads=1)
    except (OSError, Exception) as e:  # htslib raises OSError or a bare Exception
        raise KinshipInputError(name, f"not a readable VCF: {e}") from None
    header_lines = _header_lines(path)
    reference = next((ln.split("=", 1)[1] for ln in vcf.raw_header.splitlines() if ln.startswith("##reference=")), None)
    if not vcf.raw_header.startswith("##fileformat=VCF"):
        raise KinshipInputError(f"{name}, line 1", "the file does not start with ##fileformat=VCF")
    samples = list(vcf.samples)
    if not samples:
        raise KinshipInputError(name, "the VCF has no sample columns")
    dup = sorted({s for s in samples if samples.count(s) > 1})
    if dup:
        raise KinshipInputError(name, f"sample column(s) named twice: {', '.join(dup)}")
    calls = np.full((len(samples), len(panel)), -1, dtype=np.int8)
    freq = panel.freq.copy()
    pal = panel.palindromic()
    last: tuple[int, int] | None = None
    done: set[int] = set()
    n = header_lines
    dropped = 0
    it = iter(vcf)
    while True:
        try:
            rec = next(it)
        except StopIteration:
            break
        except Exception as e:  # htslib's parse errors arrive as a bare Exception
            raise KinshipInputError(f"{name}, line {n + 1}", f"cannot be read ({e}); the file may be truncated "
                                                             "or a line malformed") from None
        n += 1
        sid = rec.ID
        c = chrom_name(rec.CHROM)
        where = f"{name}, line {n}, SNP {sid or f'{rec.CHROM}:{rec.POS}'}"
        if not c.isdigit() or not 1 <= int(c) <= 22:
            continue
        ci, pi = int(c), int(rec.POS)
        if last is not None and ci == last[0] and pi <= last[1]:
            raise KinshipInputError(where, f"position {pi} is not after the previous record's ({last[1]}): sort the VCF")
        if last is not None and ci != last[0]:
            done.add(last[0])
            if ci in done:
                raise KinshipInputError(where, f"chromosome {ci} appears again after other chromosomes: sort the VCF")
        last = (ci, pi)
        t = panel.index.get(sid) if sid else None
        if t is None:
            t = panel.by_position.get((ci, pi))
            if t is None:
                raise KinshipInputError(where, f"not in the panel {panel.source} (no SNP with this id or at "
                                               f"chromosome {ci} position {pi})")
        if int(panel.chrom[t]) != ci or int(panel.pos[t]) != pi:
            raise KinshipInputError(where, f"at chromosome {ci} position {pi}, the panel has it at chromosome "
                                           f"{panel.chrom[t]} position {panel.pos[t]}: another genome build? "
                                           f"(the file says reference {reference or 'nothing'})")
        if len(rec.ALT) != 1:
            raise KinshipInputError(where, f"{len(rec.ALT)} ALT alleles ({','.join(rec.ALT) or '.'}): multi-allelic "
                                           "sites are not used; split or remove them")
        r, a = rec.REF.upper(), rec.ALT[0].upper()
        pr, pa = panel.ref[t], panel.alt[t]
        if pr and (r, a) != (pr, pa):
            if (r, a) == (pa, pr):
                why = "REF and ALT exchanged"
            elif (COMPLEMENT.get(r), COMPLEMENT.get(a)) == (pr, pa):
                why = "the other strand"
            else:
                why = "different alleles"
            raise KinshipInputError(where, f"REF/ALT {r}/{a} but the panel has {pr}/{pa} ({why}); "
                                           "nothing is flipped: recode one of the files")
        if not pr and (r not in COMPLEMENT or a not in COMPLEMENT):
            raise KinshipInputError(where, f"REF/ALT {r}/{a}: a SNP has two single bases")
        if pal[t] and drop_palindromic:
            dropped += 1
            continue
        g = np.asarray(rec.gt_types, dtype=np.int8)
        g = np.where(g == 3, -1, g).astype(np.int8)
        if min_gq is not None:
            try:
                gq = rec.format("GQ")
            except KeyError:
                gq = None
            if gq is not None:
                g[gq.reshape(-1)[: len(samples)] < min_gq] = -1
        if min_dp is not None:
            try:
                dp = rec.format("DP")
            except KeyError:
                dp = None
            if dp is not None:
                g[dp.reshape(-1)[: len(samples)] < min_dp] = -1
        calls[:, t] = g
        if np.isnan(freq[t]):
            af = rec.INFO.get("AF")
            if af is not None:
                af = float(f"{float(af[0] if isinstance(af, tuple) else af):.7g}")  # htslib keeps float32
                if not 0.0 < af < 1.0:
                    raise KinshipInputError(where, f"INFO AF {af} is not in (0, 1)")
                freq[t] = af
    vcf.close()
    notes = []
    if dropped:
        notes.append(f"{name}: {dropped} A/T or C/G SNPs left out (strand ambiguous)")
    panel.freq = freq
    return SnpGenotypes(panel, samples, calls, {s: name for s in samples}, notes)


def read_vcf_bytes(data: bytes, name: str, panel: Panel, **options) -> SnpGenotypes:
    """A VCF upload (plain or gzip) read from memory: an anonymous in-memory file (``memfd``) is
    handed to htslib, so genotypes never touch the disk."""
    fd = os.memfd_create("vcf", 0)
    try:
        os.write(fd, data)
        return read_vcf(f"/proc/self/fd/{fd}", panel, name=name, **options)
    finally:
        os.close(fd)


def read_vcfs(paths: list[str | Path], panel: Panel, **options) -> SnpGenotypes:
    """Several VCFs (a sample in one file only) at one panel; every SNP must have a frequency."""
    parts = [read_vcf(p, panel, **options) for p in paths]
    samples, sources, notes = [], {}, list(panel.notes)
    for part in parts:
        for s in part.samples:
            if s in sources:
                raise KinshipInputError(part.sources[s], f"sample {s} is also in {sources[s]}")
            sources[s] = part.sources[s]
            samples.append(s)
        notes.extend(part.notes)
    missing = [panel.ids[i] for i in np.flatnonzero(np.isnan(panel.freq))]
    if missing:
        raise KinshipInputError(panel.source, f"{len(missing)} SNPs without a frequency (neither alt_freq in the "
                                              f"panel nor AF in the VCF): {', '.join(missing[:5])}")
    calls = np.concatenate([p.calls for p in parts], axis=0) if parts else np.zeros((0, len(panel)), np.int8)
    return SnpGenotypes(panel, samples, calls, sources, notes)
