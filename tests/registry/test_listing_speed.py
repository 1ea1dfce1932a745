"""Issue 12 part 5: what makes the lists fast must not make them wrong. The total of a list is
remembered per query and per newest change (a recorded edit shows at once, a repeated page does
not count again); the rows formatted in Python are escaped and localized as the template did."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from vestige.registry import services
from vestige.registry.models import Remains


def _total(client, url):
    with CaptureQueriesContext(connection) as q:
        page = client.get(url).content.decode()
    counts = [x for x in q.captured_queries if "COUNT(*)" in x["sql"]]
    return int(re.search(r'<span class="muted">\((\d+)\)</span>', page).group(1)), len(counts), page


def test_the_list_total_is_counted_once_and_a_recorded_change_shows_at_once(client, admin, site, settings):
    settings.VESTIGE_COUNT_CACHE_S = 60
    for n in range(2):
        services.create(admin, Remains, {"body_number": f"B-{n}", "site": site, "sex": "female"})
    client.force_login(admin)
    assert _total(client, "/remains/?sex=female")[:2] == (2, 1)
    assert _total(client, "/remains/?sex=female")[:2] == (2, 0)  # the same query: remembered
    assert _total(client, "/remains/?sex=male")[:2] == (0, 1)  # another query: its own count
    services.create(admin, Remains, {"body_number": "B-9", "site": site, "sex": "female"})
    assert _total(client, "/remains/?sex=female")[:2] == (3, 1)  # a recorded change: counted again
    r = client.get("/api/remains?sex=female", HTTP_ACCEPT="application/json")
    assert r.json()["count"] == 3
    settings.VESTIGE_COUNT_CACHE_S = 0
    assert _total(client, "/remains/?sex=female")[:2] == (3, 1)


def test_rows_formatted_in_python_are_escaped_and_show_choices_in_the_readers_language(client, admin, site):
    services.create(admin, Remains, {"body_number": "<b>X-1</b>", "site": site, "sex": "female", "age_min": 30})
    client.force_login(admin)
    page = client.get("/remains/").content.decode()
    assert "&lt;b&gt;X-1&lt;/b&gt;" in page and "<b>X-1</b>" not in page
    row = re.search(r"<tr><td><a href=\"/remains/\d+/\">&lt;b&gt;X-1&lt;/b&gt;</a></td>(.*?)</tr>", page).group(1)
    assert "<td>TST-SITE</td>" in row and "<td>Female</td>" in row and "<td>—</td>" in row and "<td>30</td>" in row
    page = client.get("/remains/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "<td>Жіноча</td>" in page and "<td>Не визначено</td>" in page


def test_a_page_read_in_two_steps_is_the_slice_of_the_list(admin, site):
    from django.http import QueryDict

    from vestige.records import page_rows
    from vestige.registry.listing import SPECS

    for n in range(23):
        services.create(admin, Remains, {"body_number": f"P-{n:02d}", "site": site, "sex": "male" if n % 3 else "female",
                                         "age_min": None if n % 5 == 0 else 20 + n % 7})
    for query in ("sort=-age_min", "sort=age_min", "sex=male&sort=site", "sort=-body_number", "q=P-1"):
        qs = SPECS[Remains].queryset(QueryDict(query), user=admin)
        for start, stop in ((0, 5), (5, 10), (20, 30), (30, 40), (3, 3)):
            assert [r.pk for r in page_rows(qs, start, stop)] == [r.pk for r in qs[start:stop]], (query, start)


def test_every_list_page_reads_its_rows_in_a_fixed_number_of_queries(client, admin, site):
    from vestige.registry.models import Grave

    for n in range(30):
        g = services.create(admin, Grave, {"site": site, "label": f"G{n}"})
        services.create(admin, Remains, {"body_number": f"Q-{n:02d}", "site": site, "grave": g, "sex": "male"})
    client.force_login(admin)
    for url in ("/remains/", "/graves/", "/sites/", "/exhumations/", "/remains/?sort=-age_min&page=2"):
        client.get(url)
        with CaptureQueriesContext(connection) as q:
            r = client.get(url)
        assert r.status_code == 200 and len(q.captured_queries) <= 7, (url, [x["sql"][:90] for x in q.captured_queries])
    page = client.get("/remains/").content.decode()
    assert "<td>G0</td>" in page and "<td>TST-SITE</td>" in page
