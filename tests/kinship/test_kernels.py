"""The compiled scoring kernels against plain numpy on random tables (issue 12 part 1): the
sums bit for bit (the same additions in the same order), the log-sum-exps to rounding, the
best candidates with ties broken towards the first in the families' order, the best two samples
per target as two ``argmax`` passes give them, and the sex filter."""

from __future__ import annotations

import numpy as np
import pytest

from vestige.kinship import kernels
from vestige.kinship.scoring import _block_lse


def _world(seed=1, n_rows=40, n_targets=700, n_block=37, n_markers=6):
    rng = np.random.default_rng(seed)
    stack = rng.normal(-3, 4, size=(n_rows, n_targets))
    stack[rng.random(stack.shape) < 0.05] = -np.inf  # exclusions
    stack[5] = stack[6]  # two identical rows: ties between samples
    stack[:, 11] = stack[:, 12]  # two identical targets: ties between candidates
    rows = rng.integers(0, n_rows, size=(n_markers, n_block))
    extra = rng.normal(0, 1, size=(3, n_targets))
    rows[2, 4], rows[n_markers - 1, 9] = -1, -3  # degraded readings: rows of their own
    return stack, rows, extra


def _reference_sum(stack, rows, extra):
    acc = np.zeros((rows.shape[1], stack.shape[1]))
    for m in range(rows.shape[0]):
        acc += np.where((rows[m] >= 0)[:, None], stack[np.maximum(rows[m], 0)], extra[np.maximum(-1 - rows[m], 0)])
    return acc


def _check_stats(acc, k, natural, row_max, top_v, top_i, best_v, best_i):
    """The statistics the scoring kernel gathers, against numpy on its sums: each sample's best
    score and k best targets (best first, the first in the families' order among equals, LR > 0),
    each target's two best samples (as two ``argmax`` passes give them)."""
    n_block, n_targets = acc.shape
    assert np.array_equal(row_max, acc.max(axis=1))
    for s in range(n_block):
        order = np.lexsort((natural, -acc[s]))  # best first, the first in the families among equals
        want = [t for t in order[:k] if acc[s, t] > -np.inf]
        assert top_i[s, :len(want)].tolist() == want
        assert (top_i[s, len(want):] == -1).all()
    first = acc.argmax(axis=0)
    masked = acc.copy()
    masked[first, np.arange(n_targets)] = -np.inf
    second = masked.argmax(axis=0)
    live = acc.max(axis=0) > -np.inf
    assert best_i[0, live].tolist() == first[live].tolist()
    assert np.array_equal(best_v[0], acc.max(axis=0))
    has_two = masked.max(axis=0) > -np.inf
    assert best_i[1, has_two].tolist() == second[has_two].tolist()


def _accumulate(stack, rows, extra, sample_sex, first, last, unknown, uncertain, good, all_sexes, acc, row_n, col_n,
                k=3, natural=None, add=None, add_at=None):
    """The kernel, its statistics checked against numpy on its sums; returns them."""
    n_block, n_targets = acc.shape
    natural = np.random.default_rng(9).permutation(n_targets) if natural is None else natural
    stats = [np.empty(n_block), np.empty((n_block, k)), np.empty((n_block, k), dtype=np.int64),
             np.empty((2, n_targets)), np.empty((2, n_targets), dtype=np.int64)]
    kernels.accumulate(stack, rows, extra, sample_sex, first, last, unknown, uncertain, good, all_sexes, acc, row_n,
                       col_n, k, natural, *stats, add if add is not None else np.zeros((1, 1)),
                       add_at if add_at is not None else np.zeros(1, dtype=np.int64), add is not None)
    _check_stats(acc, k, natural, *stats)
    return stats


@pytest.mark.parametrize("n_markers", [3, 6, 13, 21])  # the kernel sums 8, then 4, then 1 marker a pass
def test_accumulate_is_the_numpy_sum_and_filters_sexes(n_markers):
    stack, rows, extra = _world(n_markers=n_markers)
    n_block, n_targets = rows.shape[1], stack.shape[1]
    rng = np.random.default_rng(2)
    sample_sex = rng.integers(0, 3, n_block)  # 0 female, 1 male, 2 unknown
    target_sex = np.sort(rng.integers(0, 3, n_targets))  # the search orders the targets by sex
    first = np.searchsorted(target_sex, np.arange(3), side="left")
    last = np.searchsorted(target_sex, np.arange(3), side="right")
    uncertain = rng.random(n_block) < 0.2
    good = rng.random(n_targets) > 0.1
    acc = np.empty((n_block, n_targets))
    row_n = np.zeros(n_block, dtype=np.int64)
    col_n = np.zeros(n_targets, dtype=np.int64)
    _accumulate(stack, rows, extra, sample_sex, first, last, 2, uncertain, good, False, acc, row_n, col_n)
    differ = (sample_sex[:, None] != target_sex[None, :]) & (sample_sex[:, None] != 2) & (target_sex[None, :] != 2)
    allowed = (~differ | uncertain[:, None]) & good[None, :]
    expected = np.where(allowed, _reference_sum(stack, rows, extra), -np.inf)
    assert np.array_equal(acc, expected)  # bit for bit, -inf included
    assert row_n.tolist() == allowed.sum(axis=1).tolist()
    assert col_n.tolist() == allowed.sum(axis=0).tolist()
    _accumulate(stack, rows, extra, sample_sex, first, last, 2, uncertain, good, True, acc, row_n, col_n, k=0)
    assert np.array_equal(acc, np.where(good[None, :], _reference_sum(stack, rows, extra), -np.inf))
    # the lineage systems' log LRs added after the markers: the markers' sum, then + add
    # (compact: only the targets some system compares, here every other one, have a column)
    add = rng.normal(0, 3, (n_block, n_targets))
    add[:, 1::2] = 0.0
    add_at = np.full(n_targets, -1, dtype=np.int64)
    add_at[0::2] = np.arange(len(add_at[0::2]))
    add[:, ::3] = 0.0
    _accumulate(stack, rows, extra, sample_sex, first, last, 2, uncertain, good, True, acc, row_n, col_n, k=4,
                add=np.ascontiguousarray(add[:, 0::2]), add_at=add_at)
    assert np.array_equal(acc, np.where(good[None, :], _reference_sum(stack, rows, extra) + add, -np.inf))
    # no target of unknown sex (its code absent: -1)
    known = target_sex.copy()
    known[known == 2] = 1
    first = np.searchsorted(known, np.arange(3), side="left")
    last = np.searchsorted(known, np.arange(3), side="right")
    sample_known = np.minimum(sample_sex, 1)
    _accumulate(stack, rows, extra, sample_known, first, last, -1, uncertain, good, False, acc, row_n,
                np.zeros(n_targets, dtype=np.int64), k=5)
    allowed = ((sample_known[:, None] == known[None, :]) | uncertain[:, None]) & good[None, :]
    assert np.array_equal(acc, np.where(allowed, _reference_sum(stack, rows, extra), -np.inf))


def test_the_scoring_kernels_statistics_match_numpy():
    stack, rows, extra = _world()
    n_block, n_targets = rows.shape[1], stack.shape[1]
    sample_sex = np.zeros(n_block, dtype=np.int64)
    sample_sex[3] = 1  # a sample compared with nobody: no target of its sex, none of unknown sex
    first, last = np.array([0, n_targets]), np.array([n_targets, n_targets])
    good = np.ones(n_targets, dtype=bool)
    good[20] = False  # a target compared with nobody
    natural = np.random.default_rng(5).permutation(n_targets)  # the targets' order in the families
    if natural[11] > natural[12]:  # the tied targets 11 and 12: 11 comes first in the families
        natural[[11, 12]] = natural[[12, 11]]
    acc = np.empty((n_block, n_targets))
    _row_max, _top_v, top_i, _best_v, _best_i = _accumulate(
        stack, rows, extra, sample_sex, first, last, -1, np.zeros(n_block, dtype=bool), good, False, acc,
        np.zeros(n_block, dtype=np.int64), np.zeros(n_targets, dtype=np.int64), k=5, natural=natural)
    assert (acc[3] == -np.inf).all() and (acc[:, 20] == -np.inf).all()
    # the tied targets 11 and 12: 11 listed first wherever both are among the best
    both = [s for s in range(n_block) if 11 in top_i[s] and 12 in top_i[s]]
    assert both
    for s in both:
        assert top_i[s].tolist().index(11) < top_i[s].tolist().index(12)


def test_block_lse_is_numpys_logaddexp_even_far_below_the_block_best():
    stack, rows, extra = _world()
    acc = _reference_sum(stack, rows, extra)
    acc[3] = -np.inf  # a sample compared with nobody
    acc[:, 20] = -np.inf  # a target compared with nobody
    acc[7] -= 900.0  # a sample whose every score is far below the others' (its own shift)
    acc[:, 30] -= 800.0  # and a target
    acc[0, 0] = 50.0  # the block's best
    row_lse, col_lse = _block_lse(acc, acc.max(axis=1), acc.max(axis=0))
    # np.logaddexp.reduce: an independent pairwise log-sum-exp (no shared shift, no floor); in log
    # space the error is absolute (a few units in the last place of the largest term)
    assert np.allclose(row_lse, np.logaddexp.reduce(acc, axis=1), rtol=1e-14, atol=1e-12)
    assert np.allclose(col_lse, np.logaddexp.reduce(acc, axis=0), rtol=1e-14, atol=1e-12)
    assert abs(row_lse[7] - np.logaddexp.reduce(acc[7])) < 1e-12  # summed with its own shift
    assert row_lse[3] == -np.inf and col_lse[20] == -np.inf


def test_rivals_lists_the_first_other_targets_over_each_threshold():
    stack, rows, extra = _world()
    acc = _reference_sum(stack, rows, extra)
    natural = np.random.default_rng(4).permutation(acc.shape[1])
    pair_row = np.array([0, 0, 2, 5, 5, 5])
    pair_col = np.array([3, 7, 1, 0, 2, 9])
    threshold = np.array([-2.0, 0.0, np.inf, 1.0, -5.0, 3.0])
    out = np.empty((6, 4), dtype=np.int64)
    kernels.rivals(acc, natural, pair_row, pair_col, threshold, 4, out)
    for p in range(6):
        over = [j for j in range(acc.shape[1]) if acc[pair_row[p], j] >= threshold[p] and j != pair_col[p]]
        want = sorted(over, key=lambda j: natural[j])[:4]
        assert out[p].tolist() == want + [-1] * (4 - len(want))


def test_posteriors_are_the_scalar_posterior_pair_by_pair():
    from vestige.kinship.search import posterior, posteriors

    rng = np.random.default_rng(9)
    n = 400
    log_lr = rng.normal(5, 20, n)
    log_lr[::17] = -np.inf  # exclusions
    row_lse = np.logaddexp(log_lr, rng.normal(0, 10, n))
    col_lse = np.logaddexp(log_lr, rng.normal(0, 10, n))
    n_row, n_col = rng.integers(1, 5000, n), rng.integers(1, 5000, n)
    n_row[5], n_col[6] = 9999, 9999  # "nobody else" has prior 1 - n·π = 0 (π = 1/9999)
    prior = 1 / 9999
    got = posteriors(log_lr, row_lse, n_row, col_lse, n_col, prior)
    want = [posterior(float(v), float(r), int(nr), float(c), int(nc), prior)
            for v, r, nr, c, nc in zip(log_lr, row_lse, n_row, col_lse, n_col, strict=True)]
    assert np.allclose(got, want, rtol=1e-14, atol=1e-300)
    assert (got[::17] == 0).all()


def test_families_written_in_any_member_order_share_one_canonical_shape():
    # The same pedigree (parents of a missing son, one typed sister, a typed paternal uncle via the
    # grandparents) written with its members in two different orders: one shape, so one batch,
    # and the search gives each the same LRs.
    from vestige.kinship import Family, Member
    from vestige.kinship.canonical import canonical_structure
    from vestige.kinship.lr import structure_of

    def members(order):
        m = {"GF": Member("GF", "male"), "GM": Member("GM", "female"),
             "F": Member("F", "male", "GF", "GM"), "U": Member("U", "male", "GF", "GM", sample="U"),
             "M": Member("M", "female"), "X": Member("X", "male", "F", "M", missing=True),
             "S": Member("S", "female", "F", "M", sample="S")}
        return [m[k] for k in order]
    a = Family("A", members(["GF", "GM", "F", "U", "M", "X", "S"]))
    b = Family("B", members(["S", "X", "M", "U", "GM", "F", "GF"]))
    shapes = []
    for fam in (a, b):
        raw, _ = structure_of(fam, {m.id for m in fam.typed}, "X")
        canon, perm = canonical_structure(raw)
        shapes.append(canon)
        # perm is a relabelling: parents come first, and each person keeps their role
        placed = {old: new for new, old in enumerate(perm)}
        for new, old in enumerate(perm):
            par = raw.parents[old]
            assert (canon.parents[new] is None) == (par is None)
            if par is not None:
                assert canon.parents[new] == (placed[par[0]], placed[par[1]]) and max(canon.parents[new]) < new
    assert shapes[0] == shapes[1]
    # ... and the search gives both the same LR (to rounding), equal to the per-pair path's
    from tests.kinship.conftest import DATA
    from vestige.kinship import likelihood_ratio, read_frequencies
    from vestige.kinship.io import Profiles
    from vestige.kinship.search import blind_search

    table = read_frequencies(DATA / "norwegian-35-markers.csv")
    markers = ["D3S1358", "VWA", "TH01", "FGA"]
    rng = np.random.default_rng(3)
    profiles = Profiles({s: {m: tuple(rng.choice(table.alleles[m], 2)) for m in markers} for s in ("U", "S", "T")})
    hits = blind_search([a, b], profiles, table, ["T"], all_pairs=True).hits
    assert len(hits) == 2 and abs(hits[0].log_lr - hits[1].log_lr) < 1e-12
    want = likelihood_ratio(a, "X", "T", profiles, table)
    assert abs(hits[0].log10_lr - want.log10_lr) < 1e-9


@pytest.mark.parametrize("parents,evidence,keep", [
    ((None, None, (0, 1), (0, 1), (0, 1)), {2, 3}, 4),  # two typed siblings, a missing sibling
    ((None, None, (0, 1)), {0, 1}, 2),  # both parents typed, a missing child
    ((None, None, (0, 1), (0, 1)), {0, 2}, 3),  # the father and a sibling
    ((None, None, (0, 1), (0, 1)), {1, 2, 3}, 0),  # a missing father: the mother and two children
    ((None, None, (0, 1), (0, 1), (0, 1)), {1, 3}, 4),  # the mother and a sibling; child 2 untyped
    ((None, None, (0, 1), (0, 1)), {0, 2, 3}, 1),  # a missing mother
])
def test_nuclear_families_in_closed_form_equal_the_elimination(parents, evidence, keep):
    # The closed form (kernels.nuclear) against the general variable elimination, on random
    # priors, mutation matrices and (symmetric, as every genotype evidence is) evidence.
    from vestige.kinship.likelihood import Structure, eliminate
    from vestige.kinship.tables import _joint, nuclear_shape

    structure = Structure(parents, frozenset(evidence), keep)
    assert nuclear_shape(structure) is not None
    rng = np.random.default_rng(len(parents) * 10 + keep)
    bsz, a = 7, 5
    prior = rng.dirichlet(np.ones(a), size=bsz)
    male, female = rng.dirichlet(np.ones(a), size=(bsz, a)), rng.dirichlet(np.ones(a), size=(bsz, a))
    ev = {}
    for p in evidence:
        e = rng.random((bsz, a, a))
        ev[p] = e + e.transpose(0, 2, 1)
    want = eliminate(structure, prior, male, female, ev)
    got = _joint(structure, prior, male, female, ev)
    assert np.allclose(got, want, rtol=1e-12, atol=0)


def test_shapes_that_are_not_nuclear_take_the_general_elimination():
    from vestige.kinship.likelihood import Structure
    from vestige.kinship.tables import nuclear_shape

    assert nuclear_shape(Structure((None, None, (0, 1), None, (2, 3)), frozenset({0, 1}), 4)) is None  # grandchild
    assert nuclear_shape(Structure((None, None, None, (0, 2), (0, 1)), frozenset({3}), 4)) is None  # half-siblings
    assert nuclear_shape(Structure((None, None, (0, 1)), frozenset({0, 1, 2}), 2)) is None  # kept person typed


def test_compiled_code_is_cached_where_it_can_be_written(tmp_path, monkeypatch):
    # A service account without a writable home still gets a cache (in the temporary folder),
    # instead of numba refusing to cache (an error at import).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path = kernels.cache_dir()
    assert path.startswith(str(tmp_path / "tmp")) and (tmp_path / "tmp").exists()
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert kernels.cache_dir() == str(tmp_path / "user" / ".cache" / "vestige" / "numba")
