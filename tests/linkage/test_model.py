"""Record linkage of lists against the register (issue 31, part 3): the Fellegi–Sunter weights
against a hand derivation, and precision and recall on synthetic lists with known truth. Needs the
``linkage`` extra (Splink, DuckDB)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from vestige.linkage.records import Person
from vestige.linkage.synthetic import generate

pytest.importorskip("splink")
model = pytest.importorskip("vestige.linkage.model")


def test_the_match_weight_is_the_fellegi_sunter_sum_by_hand():
    """Three register records and two list rows: too few for sampling u or EM, so the weights
    are the stated priors and can be derived by hand (Fellegi & Sunter 1969: the weight of a
    level is log2(m/u); the prior is log2(λ/(1-λ))):

    surname exact           log2(0.90 / 0.0015)   =  9.2288
    given name exact        log2(0.94 / 0.0129)   =  6.1872
    patronymic exact        log2(0.95 / 0.0221)   =  5.4258
    sex exact               log2(0.99 / 0.5)      =  0.9855
    birth date within a day log2(0.07 / 0.00009)  =  9.6032
    (birth place, disappearance, unit not recorded: 0)
    prior: nothing agrees exactly on surname, given name and birth date, so λ is one expected
    match among the 3 × 2 pairs, 1/6: log2((1/6) / (5/6)) = -2.3219
    total 29.1086; probability 2^w / (1 + 2^w).
    """
    register = [Person("MP-1", "Шевченко", "Тарас", "Григорович", "male", dt.date(1980, 3, 9)),
                Person("MP-2", "Коваленко", "Олена", "", "female", dt.date(1990, 1, 1)),
                Person("MP-3", "Бондар", "Іван")]
    entries = [Person("1", "Shevchenko", "Taras", "Grigorievich", "male", dt.date(1980, 3, 10)),
               Person("2", "Stranger", "Someone")]
    result = model.link(register, entries)
    assert not result.trained
    assert result.prior_log2_odds == pytest.approx(math.log2(0.2), abs=1e-9)
    (p,) = result.proposals
    assert (p.entry_id, p.person_id) == ("1", "MP-1")
    by_field = {c.field: c for c in p.comparisons}
    assert by_field["birth_date"].level == "within a day"
    assert by_field["birth_date"].weight == pytest.approx(math.log2(0.07 / 0.00009), abs=1e-3)
    assert by_field["unit_key"].level == "not recorded" and by_field["unit_key"].weight == 0
    hand = 9.2288 + 6.1872 + 5.4258 + 0.9855 + 9.6032 - 2.3219
    assert p.match_weight == pytest.approx(hand, abs=2e-3)
    assert p.match_probability == pytest.approx(2 ** hand / (1 + 2 ** hand), rel=1e-6)


def test_nothing_to_link_is_no_proposal():
    assert model.link([], [Person("1", "X")]).proposals == []
    assert model.link([Person("MP-1", "X")], []).proposals == []


@pytest.mark.parametrize("n_register, n_list, share, seed", [(400, 3000, 0.08, 7), (3000, 2500, 0.5, 8)])
def test_precision_and_recall_on_synthetic_lists(n_register, n_list, share, seed):
    """The issue's bar (precision ≥ 0.99, recall ≥ 0.95 above the default threshold) on lists with
    typing errors, Russian forms and Latin spellings, dates off by a day and namesakes who are
    other people: a small register (priors, no EM) and a larger one (EM)."""
    s = generate(n_register, n_list, share_registered=share, seed=seed)
    result = model.link(s.register, s.entries)
    right = sum(1 for p in result.proposals if s.truth.get(p.entry_id) == p.person_id)
    assert right / len(result.proposals) >= 0.99
    assert right / len(s.truth) >= 0.95
    assert result.trained == (min(n_register, n_list) >= model.MIN_ROWS_TO_TRAIN)
