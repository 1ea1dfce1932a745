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
