"""Synthetic people for testing and measuring the linkage: a register, and a list from another
organisation whose rows are either people of the register written the way other lists write them
(another script, Russian forms of names, typing errors, a date off by a day) or people the register
does not hold — many of them namesakes of registered people. Every person is invented; the truth
(which row is which registered person) is returned beside the data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from vestige.linkage.given_names import FEMALE, MALE, patronymic
from vestige.linkage.names import transliterate
from vestige.linkage.records import Person

__all__ = ["Synthetic", "generate", "register_like", "as_listed", "stranger"]

_ROOTS = (
    "Коваль", "Шевч", "Мельн", "Бойч", "Ткач", "Кравч", "Олійн", "Лис", "Гончар", "Савч", "Руд", "Бондар",
    "Поліщ", "Марч", "Мороз", "Павл", "Петр", "Кушн", "Василь", "Гриц", "Клим", "Захарч", "Сидор", "Левч",
    "Харч", "Кузьм", "Остап", "Пилип", "Дем", "Семен", "Тарас", "Мирон", "Яковл", "Гнат", "Охрім", "Бабич",
    "Білоус", "Зінч", "Гайд", "Кравц", "Литвин", "Мазур", "Нестер", "Орл", "Приход", "Різнич", "Сав", "Тимч",
    "Устим", "Федор", "Хом", "Цибул", "Чорн", "Швед", "Щерб", "Юрч", "Ярем", "Вовк", "Гуцал", "Дяч",
    "Єрем", "Жук", "Іщ", "Кирил", "Лук", "Мартин", "Наум", "Осип", "Проц", "Ром", "Стеф", "Тур",
)
_SUFFIXES = ("енко", "ук", "ик", "ишин", "ак", "ів", "ченко", "инський", "ович", "ан")
_PLACES = (
    "Ізюм", "Харків", "Балаклія", "Куп'янськ", "Чугуїв", "Лозова", "Бахмут", "Маріуполь", "Херсон", "Буча",
    "Ірпінь", "Бородянка", "Чернігів", "Суми", "Миколаїв", "Запоріжжя", "Мелітополь", "Краматорськ",
    "Слов'янськ", "Лиман", "Святогірськ", "Вовчанськ", "Великий Бурлук", "Борова", "Оскіл", "Пісочин",
)
_UNITS = tuple(f"в/ч А{n:04d}" for n in (1234, 2167, 3301, 4009, 4125, 7016, 7034, 1302, 2260, 3008))
# Russian renderings of Ukrainian place names (the list of the other party writes them so)
_RU_PLACE = {"Ізюм": "Изюм", "Харків": "Харьков", "Куп'янськ": "Купянск", "Чугуїв": "Чугуев",
             "Чернігів": "Чернигов", "Миколаїв": "Николаев", "Запоріжжя": "Запорожье",
             "Слов'янськ": "Славянск", "Пісочин": "Песочин", "Бородянка": "Бородянка"}
_RU_LETTERS = str.maketrans({"і": "и", "ї": "и", "є": "е", "І": "И", "Ї": "И", "Є": "Е", "'": "", "’": ""})
_KEYBOARD_SLIPS = "абвгдеіїклмнопрстуфхцчшщ"


@dataclass(frozen=True)
class Synthetic:
    register: list[Person]
    entries: list[Person]
    truth: dict[str, str]  # entry id → register id, for the entries that are registered people


def _surname(rng: random.Random, sex: str) -> str:
    root, suffix = rng.choice(_ROOTS), rng.choice(_SUFFIXES)
    if suffix == "инський" and sex == "female":
        suffix = "инська"
    return root + suffix


def _person(rng: random.Random, pid: str) -> Person:
    sex = rng.choice(("male", "female"))
    given = rng.choice(MALE)[0] if sex == "male" else rng.choice(FEMALE)[0]
    father = rng.choice(MALE)[0]
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    gone = dt.date(2022, 2, 24) + dt.timedelta(days=rng.randrange(900))
    soldier = sex == "male" and rng.random() < 0.5
    return Person(
        id=pid, surname=_surname(rng, sex), given=given, patronymic=patronymic(father, sex), sex=sex,
        birth_date=born, birth_place=rng.choice(_PLACES), disappeared_on=gone,
        disappearance_place=rng.choice(_PLACES), unit=rng.choice(_UNITS) if soldier else "",
    )


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "replace", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_KEYBOARD_SLIPS) + word[i + 1:]


def _russian(p: Person) -> Person:
    given = next((ru for uk, ru, *_ in MALE if uk == p.given), None) or next(
        (ru for uk, ru in FEMALE if uk == p.given), p.given)
    father = next((uk for uk, _ru, *forms in MALE if p.patronymic in forms), None)
    return replace(
        p, given=given, surname=p.surname.translate(_RU_LETTERS),
        patronymic=patronymic(father, p.sex, russian=True) if father else p.patronymic,
        birth_place=_RU_PLACE.get(p.birth_place, p.birth_place.translate(_RU_LETTERS)),
        disappearance_place=_RU_PLACE.get(p.disappearance_place, p.disappearance_place.translate(_RU_LETTERS)),
    )


def _latin(p: Person) -> Person:
    return replace(p, surname=transliterate(p.surname), given=transliterate(p.given),
                   patronymic=transliterate(p.patronymic), birth_place=transliterate(p.birth_place),
                   disappearance_place=transliterate(p.disappearance_place), unit=transliterate(p.unit))


def as_listed(rng: random.Random, p: Person, eid: str) -> Person:
    """A registered person as another organisation's list writes them."""
    q = replace(p, id=eid)
    script = rng.random()
    if script < 0.15:
        q = _russian(q)
    elif script < 0.25:
        q = _latin(_russian(q))
    elif script < 0.45:
        q = _latin(q)
    if rng.random() < 0.10:
        q = replace(q, surname=_typo(rng, q.surname))
    if rng.random() < 0.05:
        q = replace(q, given=_typo(rng, q.given))
    if q.birth_date is not None:
        r = rng.random()
        if r < 0.08:
            q = replace(q, birth_date=q.birth_date + dt.timedelta(days=rng.choice((-1, 1))))
        elif r < 0.10 and q.birth_date.day <= 12:
            q = replace(q, birth_date=dt.date(q.birth_date.year, q.birth_date.day, q.birth_date.month))
        elif r < 0.14:
            q = replace(q, birth_date=None)
    if rng.random() < 0.2:
        q = replace(q, patronymic="")
    if rng.random() < 0.3:
        q = replace(q, birth_place="")
    if q.disappeared_on is not None and rng.random() < 0.3:
        q = replace(q, disappeared_on=q.disappeared_on + dt.timedelta(days=rng.randrange(-10, 11)))
    if rng.random() < 0.3:
        q = replace(q, disappeared_on=None, disappearance_place="")
    return q


def _namesake(rng: random.Random, p: Person, eid: str) -> Person:
    """Someone else of the same surname and given name (the hard case: not the same person)."""
    other = _person(rng, eid)
    return replace(other, surname=p.surname, given=p.given, sex=p.sex,
                   patronymic=patronymic(rng.choice(MALE)[0], p.sex))


def stranger(rng: random.Random, pid: str) -> Person:
    """An invented person (in no register)."""
    return _person(rng, pid)


def register_like(n: int, *, seed: int = 1, prefix: str = "MP-") -> list[Person]:
    rng = random.Random(seed)
    return [_person(rng, f"{prefix}{i + 1:06d}") for i in range(n)]


def generate(n_register: int, n_list: int, *, share_registered: float = 0.6, share_namesakes: float = 0.15,
             seed: int = 1) -> Synthetic:
    """A register of ``n_register`` people and a list of ``n_list`` rows: ``share_registered`` of
    them registered people (each at most once), ``share_namesakes`` namesakes of registered people
    who are not them, the rest strangers."""
    register = register_like(n_register, seed=seed)
    rng = random.Random(seed + 1)
    n_true = min(int(n_list * share_registered), n_register)
    n_namesake = int(n_list * share_namesakes)
    chosen = rng.sample(register, n_true)
    entries, truth = [], {}
    for i, p in enumerate(chosen):
        eid = f"L{i + 1:06d}"
        entries.append(as_listed(rng, p, eid))
        truth[eid] = p.id
    for i in range(n_true, n_true + n_namesake):
        entries.append(as_listed(rng, _namesake(rng, rng.choice(register), f"L{i + 1:06d}"), f"L{i + 1:06d}"))
    for i in range(n_true + n_namesake, n_list):
        entries.append(as_listed(rng, _person(rng, f"L{i + 1:06d}"), f"L{i + 1:06d}"))
    rng.shuffle(entries)
    return Synthetic(register, entries, truth)
