"""A list from another organisation for the demo's register (synthetic people): some of the
register's missing persons written as such lists write them — Russian forms, Latin letters,
typing errors, a birth date a day off — and strangers; imported and linked, for a person to review."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from vestige.linkage.model import available
from vestige.linkage.records import Person
from vestige.linkage.synthetic import as_listed, stranger
from vestige.missing import lists
from vestige.missing.models import MissingPerson

HEADER = ["source_id", "прізвище", "ім'я", "по батькові", "стать", "дата народження", "дата зникнення",
          "місце зникнення", "військова частина"]


def load_list(liaison, *, rows: int = 120, seed: int = 31) -> int:
    """Import and link the demo list; the number of its rows (0 when the register is empty)."""
    rng = random.Random(seed)
    register = list(MissingPerson.objects.filter(withdrawn_at__isnull=True).order_by("ref"))
    if not register:
        return 0
    chosen = rng.sample(register, min(len(register), rows // 2))
    people = [as_listed(rng, Person(p.ref, p.family_name, p.given_name, p.patronymic,
                                    p.sex if p.sex != "unknown" else "", p.birth_date,
                                    disappeared_on=p.last_seen_on, disappearance_place=p.last_seen_place),
                        f"NIB-{i + 1:05d}") for i, p in enumerate(chosen)]
    people += [stranger(rng, f"NIB-{i + 1:05d}") for i in range(len(people), rows)]
    rng.shuffle(people)
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(HEADER)
    sexes = {"male": "ч", "female": "ж", "": ""}
    for p in people:
        w.writerow([p.id, p.surname, p.given, p.patronymic, sexes[p.sex],
                    p.birth_date.strftime("%d.%m.%Y") if p.birth_date else "",
                    p.disappeared_on.isoformat() if p.disappeared_on else "", p.disappearance_place, p.unit])
    plist = lists.import_list(liaison, io.BytesIO(text.getvalue().encode()), "nib-list-2024-03.csv", lists.ListInfo(
        "Список НІБ, березень 2024 (синтетичний)", "Національне інформаційне бюро (демонстрація)",
        dt.date(2024, 3, 18)), via="demo").person_list
    if available():  # without the linkage extra the list waits, imported, for linking
        lists.link_list(liaison, plist, via="demo")
    return plist.rows
