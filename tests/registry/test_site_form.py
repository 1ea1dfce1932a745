"""Issue 29: a new site without a geometry answered 500 and lost what was typed; a polygon whose
latitude and longitude are swapped was accepted."""

from __future__ import annotations

import json

from vestige.registry.models import Site


def test_a_site_without_geometry_is_400_with_what_was_typed(login, admin):
    c = login(admin)
    r = c.post("/sites/new/", {"ref": "NEW-SITE", "name": "Forest burial", "kind": "mass_grave", "geometry": ""})
    assert r.status_code == 400
    page = r.content.decode()
    assert 'value="Forest burial"' in page and not Site.objects.filter(ref="NEW-SITE").exists()


def test_a_polygon_with_swapped_coordinates_is_refused(login, admin):
    c = login(admin)
    # Kharkiv oblast (lat 49.2, lon 37.3) written latitude first: a polygon in Iran
    ring = [[49.20, 37.25], [49.22, 37.25], [49.22, 37.28], [49.20, 37.28], [49.20, 37.25]]
    r = c.post("/sites/new/", {"ref": "SWAP-1", "name": "Swapped", "kind": "mass_grave", "region": "Kharkiv",
                               "geometry": json.dumps({"type": "Polygon", "coordinates": [ring]})})
    assert r.status_code == 400 and not Site.objects.filter(ref="SWAP-1").exists()
    assert "swapped" in r.content.decode().lower()


def test_record_forms_come_in_sections(client, admin, site):
    """Issue 29: forms in sections (not one long column), every field in one of them."""
    import re

    client.force_login(admin)
    for url, legends in (("/remains/new/", ["Where the body was found", "Biological profile", "Findings"]),
                         ("/sites/new/", ["The site", "Where it is", "Discovery"]),
                         ("/missing/new/", ["The family", "The person", "The disappearance"])):
        page = client.get(url).content.decode()
        found = re.findall(r'<fieldset class="form-section"><legend>([^<]+)</legend>', page)
        assert found[:len(legends)] == legends, (url, found)
        assert page.count('class="form-section"') == len(found)
        assert '<fieldset class="form-section">' in page and page.count("<fieldset") >= len(legends)
