"""Record linkage (issue 31, part 3): name keys across scripts and languages, and the synthetic
lists the model is measured on."""

from __future__ import annotations

import datetime as dt

import pytest

from vestige.linkage.given_names import FEMALE, MALE, given_key, patronymic, patronymic_key
from vestige.linkage.records import Person, keys
from vestige.linkage.synthetic import generate


@pytest.mark.parametrize("a, b", [
    ("Микола", "Николай"), ("Mykola", "Nikolay"), ("Олександр", "Aleksandr"), ("Oleksandr", "Alexandr"),
    ("Ганна", "Анна"), ("Hanna", "Anna"), ("Юрій", "Yuriy"), ("Федір", "Фёдор"), ("Ілля", "Ilya"),
    ("Дарина", "Дарья"), ("Наталія", "Natalya"), ("Євген", "Evgeniy"),
])
def test_a_given_name_keys_alike_in_both_languages_and_both_scripts(a, b):
    assert given_key(a) == given_key(b)


@pytest.mark.parametrize("a, b", [("Микола", "Михайло"), ("Олена", "Ольга"), ("Іван", "Ігор"), ("Павло", "Петро")])
def test_different_names_key_apart(a, b):
    assert given_key(a) != given_key(b)


@pytest.mark.parametrize("form, father", [
    ("Миколайович", "Микола"), ("Миколаївна", "Микола"), ("Николаевич", "Микола"), ("Nikolaevna", "Микола"),
    ("Mykolaiovych", "Микола"), ("Олексійович", "Олексій"), ("Алексеевна", "Олексій"), ("Ильич", "Ілля"),
    ("Григорьевич", "Григорій"), ("Hryhorivna", "Григорій"),
])
def test_a_patronymic_keys_as_the_fathers_name(form, father):
    assert patronymic_key(form) == given_key(father)


def test_the_name_table_is_consistent():
    # every Ukrainian form keys differently (two names of the table never fold together) ...
    male = [given_key(uk) for uk, *_ in MALE]
    female = [given_key(uk) for uk, _ in FEMALE]
    assert len(set(male)) == len(male) and len(set(female)) == len(female)
    # ... and every patronymic of the table leads back to its father's name.
    for uk, _ru, *forms in MALE:
        assert {patronymic_key(f) for f in forms} == {given_key(uk)}, uk
    assert patronymic("Микола", "female") == "Миколаївна"
    assert patronymic("Микола", "male", russian=True) == "Николаевич"


def test_keys_fold_script_and_unit_spelling():
    a = keys(Person("1", "Шевченко", "Тарас", "Григорович", "male", dt.date(1980, 3, 9), unit="в/ч А1234"))
    b = keys(Person("2", "Shevchenko", "Taras", "Grigorievich", "male", dt.date(1980, 3, 9), unit="v/ch A1234"))
    assert (a.surname_key, a.given_key, a.patronymic_key, a.unit_key) == (
        b.surname_key, b.given_key, b.patronymic_key, b.unit_key) == ("sevcenko", "taras", "hrihori", "a1234")  # doubled letters fold: Hryhorii → hrihori
    assert keys(Person("3", "Коваль", birth_year=1975)).birth_year == 1975
    assert keys(Person("4", "")).surname_key is None


def test_the_synthetic_list_says_its_truth():
    s = generate(300, 200, share_registered=0.5, seed=4)
    assert len(s.entries) == 200 and len(s.truth) == 100
    ids = {p.id for p in s.register}
    assert set(s.truth.values()) <= ids and len(set(s.truth.values())) == 100
