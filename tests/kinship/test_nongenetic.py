"""Non-genetic LRs (issue 27, part 4) against the definitions of mispitools, by hand."""

import pytest

from vestige.kinship.nongenetic import age_lr, sex_lr


def test_sex_lr_by_hand():
    # mispitools lr_sex: matching (1 - eps)/Ps_MP, not matching eps/Ps_other; eps 0.05, Ps (0.5, 0.5)
    assert sex_lr("male", "male") == pytest.approx(0.95 / 0.5)
    assert sex_lr("female", "male") == pytest.approx(0.05 / 0.5)
    assert sex_lr("female", "female", female=0.52) == pytest.approx(0.95 / 0.52)
    assert sex_lr("male", "female", female=0.52) == pytest.approx(0.05 / 0.48)
    assert sex_lr("undetermined", "male") is None


def test_age_lr_by_hand():
    # a range 30-40 widened by 2 years: 28-42, P(T1) = 14/80 under the uniform model of ages 1-80
    assert age_lr(35, 30, 40) == pytest.approx(0.95 / (14 / 80))
    assert age_lr(50, 30, 40) == pytest.approx(0.05 / (66 / 80))
    assert age_lr(35, None, None) is None
    # an open range up to the model's span
    assert age_lr(70, 60, None) == pytest.approx(0.95 / ((80 - 58) / 80))
