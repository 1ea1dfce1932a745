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


def test_stature_lr_by_hand():
    # A man's range 170-180 cm widened by 5: 165-185. Under N(176, 7): z = (165-176)/7 = -1.5714
    # and (185-176)/7 = 1.2857; Phi(1.2857) = 0.900727, Phi(-1.5714) = 0.058037 (normal tables),
    # P(T1) = 0.842690. Height 178 inside: 0.95/0.842690 = 1.12734; 190 outside: 0.05/0.157310.
    from vestige.kinship.nongenetic import stature_lr
    assert stature_lr(178, 170, 180, "male") == pytest.approx(0.95 / 0.842690, rel=1e-4)
    assert stature_lr(190, 170, 180, "male") == pytest.approx(0.05 / 0.157310, rel=1e-4)
    # A woman of 160 against 155-165 (150-170 widened) under N(164, 6.5): z = -2.1538 and 0.9231;
    # Phi = 0.015629 and 0.822024: P(T1) = 0.806395
    assert stature_lr(160, 155, 165, "female") == pytest.approx(0.95 / 0.806395, rel=1e-4)
    assert stature_lr(160, None, None, "female") is None


def test_share_lr_by_hand():
    # last seen before the recovery, as 60 % of the register: 0.95/0.6; not so: 0.05/0.4
    from vestige.kinship.nongenetic import share_lr
    assert share_lr(True, 0.6) == pytest.approx(0.95 / 0.6)
    assert share_lr(False, 0.6) == pytest.approx(0.05 / 0.4)
    assert share_lr(True, None) is None
