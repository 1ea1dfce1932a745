"""The person record both sides of a linkage are read into, and the comparison keys made from it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from vestige.linkage.given_names import given_key, patronymic_key
from vestige.linkage.names import name_key, transliterate

__all__ = ["Person", "Keys", "keys"]


@dataclass(frozen=True)
class Person:
    """One person as a register or a list writes them (names in any script)."""

    id: str
    surname: str
    given: str = ""
    patronymic: str = ""
    sex: str = ""  # "male", "female" or "" (not said)
    birth_date: dt.date | None = None
    birth_place: str = ""
    disappeared_on: dt.date | None = None
    disappearance_place: str = ""
    unit: str = ""  # a serviceman's unit (e.g. "в/ч А1234")
    birth_year: int | None = None  # when a list gives only the year


@dataclass(frozen=True)
class Keys:
    """What the comparisons read: spelling-, script- and language-insensitive keys."""

    unique_id: str
    surname_key: str | None
    given_key: str | None
    patronymic_key: str | None
    sex: str | None
    birth_date: dt.date | None
    birth_year: int | None
    birth_place_key: str | None
    disappeared_on: dt.date | None
    disappearance_place_key: str | None
    unit_key: str | None


def _unit_key(unit: str) -> str | None:
    """A unit by its number when it has one (в/ч А1234, v/ch A1234 → a1234), else by its name."""
    latin = transliterate(unit or "").lower()
    number = re.search(r"([a-z]?)\s*(\d{3,})", latin)
    if number:
        return number.group(1) + number.group(2)
    return name_key(unit) or None


def keys(p: Person) -> Keys:
    return Keys(
        unique_id=p.id,
        surname_key=name_key(p.surname) or None,
        given_key=given_key(p.given) or None,
        patronymic_key=patronymic_key(p.patronymic) or None,
        sex=p.sex if p.sex in ("male", "female") else None,
        birth_date=p.birth_date,
        birth_year=p.birth_date.year if p.birth_date else p.birth_year,
        birth_place_key=name_key(p.birth_place) or None,
        disappeared_on=p.disappeared_on,
        disappearance_place_key=name_key(p.disappearance_place) or None,
        unit_key=_unit_key(p.unit),
    )
