"""The map's settlements (issue 29, part 2): today's official names (КАТОТТГ, the 2016
decommunisation and the later renamings) in Ukrainian, their official Latin form (Cabinet of
Ministers Resolution No. 55 of 2010), cities and not their districts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vestige.translit import latin

PLACES = Path(__file__).resolve().parents[2] / "src/vestige/web/static/vendor/geonames/ukraine-settlements.geojson"


@pytest.fixture(scope="module")
def places() -> dict[str, dict]:
    features = json.loads(PLACES.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["name_uk"]: f["properties"] for f in features}


@pytest.mark.parametrize("ukrainian,official", [
    # the resolution's own examples: зг, and є ї й ю я at the start of a word and inside it
    ("Згорани", "Zghorany"), ("Розгон", "Rozghon"), ("Єнакієве", "Yenakiieve"), ("Гаєвич", "Haievych"),
    ("Короп'є", "Koropie"), ("Їжакевич", "Yizhakevych"), ("Кадиївка", "Kadyivka"), ("Мар'їне", "Marine"),
    ("Йосипівка", "Yosypivka"), ("Стрий", "Stryi"), ("Олексій", "Oleksii"), ("Юрій", "Yurii"),
    ("Корюківка", "Koriukivka"), ("Яготин", "Yahotyn"), ("Костянтин", "Kostiantyn"), ("Знам'янка", "Znamianka"),
    ("Феодосія", "Feodosiia"), ("Щербухи", "Shcherbukhy"), ("Гоща", "Hoshcha"), ("Ґалаґан", "Galagan"),
    ("Запоріжжя", "Zaporizhzhia"), ("Кривий Ріг", "Kryvyi Rih"), ("Ізюм", "Izium"),
])
def test_the_official_transliteration(ukrainian, official):
    assert latin(ukrainian) == official


def test_cities_have_todays_names_in_both_scripts(places):
    for uk in ("Одеса", "Донецьк", "Полтава", "Запоріжжя", "Луганськ", "Луцьк", "Ужгород", "Хмельницький",
               "Кропивницький", "Івано-Франківськ", "Кам'янське", "Бахмут", "Покровськ", "Мирноград", "Торецьк",
               "Краматорськ", "Слов'янськ", "Ізюм", "Шептицький", "Чорноморськ", "Звягель", "Самар", "Бровари"):
        assert uk in places, uk
        assert places[uk]["name"] == latin(uk)
    assert places["Ізюм"]["name"] == "Izium" and places["Запоріжжя"]["name"] == "Zaporizhzhia"


def test_no_former_or_russian_name_and_no_city_district(places):
    former = {"Коцюбіїв", "Юзів", "Лтава", "Плоскурів", "Кірово", "Артемівськ", "Красноармійськ", "Дзержинськ",
              "Дніпродзержинськ", "Іллічівськ", "Орджонікідзе", "Комсомольськ", "Владимир", "Тор", "Серго", "Луганск",
              "Луцк", "Шептицкий", "Торецк", "Краматор", "Мірнаград", "Ужгарад", "Червоноград"}
    assert not former & set(places)
    districts = {"Салтівка", "Оболонь", "Дарниця", "Троєщина", "Поділ", "Теремки", "Сихів", "Печерськ"}
    assert not districts & set(places)
    assert not [uk for uk in places if "район" in uk.lower() or uk.endswith(("ск", "цк"))]
