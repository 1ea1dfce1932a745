"""The registry's one write path: validation, history, withdrawal, atomicity."""

from __future__ import annotations

import pytest

from vestige.errors import Conflict, InvalidInput, PermissionDenied
from vestige.history.models import ChangeRecord
from vestige.history.services import history_of
from vestige.registry import services
from vestige.registry.models import Grave, Remains, Site


def test_create_records_history_with_actor_and_values(admin, site):
    h = list(history_of(site))
    assert len(h) == 1
    assert h[0].action == "created" and h[0].actor == admin
    assert h[0].changes["ref"] == [None, "TST-SITE"]
    # The centroid is derived from the polygon: mean of the 4 distinct vertices.
    assert site.latitude == pytest.approx(49.005) and site.longitude == pytest.approx(37.005)


def test_update_records_only_what_changed(examiner, remains):
    services.update(examiner, remains, {"age_max": 50, "notes": "re-examined"})
    latest = history_of(remains).first()
    assert latest.action == "updated" and latest.actor == examiner
    assert latest.changes == {"age_max": [45, 50], "notes": ["", "re-examined"]}


def test_update_without_change_writes_no_history(examiner, remains):
    before = ChangeRecord.objects.count()
    services.update(examiner, remains, {"age_max": 45})
    assert ChangeRecord.objects.count() == before


def test_withdraw_needs_reason_and_keeps_record(examiner, remains):
    with pytest.raises(InvalidInput) as e:
        services.withdraw(examiner, remains, "  ")
    assert e.value.field == "reason"
    services.withdraw(examiner, remains, "duplicate entry of TST-0002")
    remains.refresh_from_db()
    assert remains.withdrawn and remains.withdrawn_by == examiner
    assert Remains.objects.filter(pk=remains.pk).exists()
    with pytest.raises(Conflict):
        services.update(examiner, remains, {"notes": "x"})
    services.restore(examiner, remains, "not a duplicate after all")
    remains.refresh_from_db()
    assert not remains.withdrawn
    assert [h.action for h in history_of(remains)][:2] == ["restored", "withdrawn"]


@pytest.mark.parametrize("data, field", [
    ({"age_min": 50, "age_max": 40}, "age_max"),
    ({"stature_min_cm": 300}, "stature_min_cm"),
    ({"stature_min_cm": 180, "stature_max_cm": 170}, "stature_max_cm"),
    ({"age_min": 130}, "age_min"),
    ({"sex": "robot"}, "sex"),
    ({"injuries": ["gunshot", "laser"]}, "injuries"),
    ({"torture_signs": "bound_hands"}, "torture_signs"),
    ({"age_min": "abc"}, "age_min"),
    ({"site": "NOPE"}, "site"),
    ({"grave": "9999"}, "grave"),
    ({"exhumation": "EXH-NOPE"}, "exhumation"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_remains_are_refused_with_the_field_named(examiner, remains, data, field):
    before = Remains.objects.get(pk=remains.pk)
    with pytest.raises(InvalidInput) as e:
        services.update(examiner, remains, data)
    assert e.value.field == field, e.value.errors
    after = Remains.objects.get(pk=remains.pk)
    assert (after.age_min, after.age_max, after.stature_min_cm, after.sex) == (
        before.age_min, before.age_max, before.stature_min_cm, before.sex)


def test_grave_from_another_site_is_refused(admin, examiner, remains, other_site):
    g = services.create(admin, Grave, {"site": other_site, "label": "1"})
    with pytest.raises(InvalidInput) as e:
        services.update(examiner, remains, {"grave": g})
    assert e.value.field == "grave"


def test_duplicate_grave_label_within_site_is_refused(admin, grave, other_site):
    with pytest.raises(InvalidInput) as e:
        services.create(admin, Grave, {"site": grave.site, "label": "319"})
    assert e.value.field == "label"
    # The same label at another site is fine.
    assert services.create(admin, Grave, {"site": other_site, "label": "319"}).pk


@pytest.mark.parametrize("geometry, fragment", [
    ({"type": "Point", "coordinates": [37.0, 95.0]}, "latitude 95.0 is out of range"),
    ({"type": "Point", "coordinates": [181, 49]}, "longitude 181 is out of range"),
    ({"type": "Polygon", "coordinates": [[[37, 49], [37.1, 49], [37, 49.1]]]}, "at least 4"),
    ({"type": "Polygon", "coordinates": [[[37, 49], [37.1, 49], [37.1, 49.1], [37, 49.1]]]}, "first and last"),
    ({"type": "LineString", "coordinates": [[37, 49], [38, 50]]}, "Point or Polygon"),
    ({"type": "Point", "coordinates": ["a", 49]}, "must be numbers"),
])
def test_site_geometry_is_validated(admin, geometry, fragment):
    with pytest.raises(InvalidInput) as e:
        services.create(admin, Site, {"ref": "BAD", "name": "x", "kind": "mass_grave", "geometry": geometry})
    assert e.value.field == "geometry"
    assert fragment in e.value.message
    assert not Site.objects.filter(ref="BAD").exists()


def test_grave_coordinates_out_of_range(admin, site):
    with pytest.raises(InvalidInput) as e:
        services.create(admin, Grave, {"site": site, "label": "2", "latitude": 91, "longitude": 37})
    assert e.value.field == "latitude"
    with pytest.raises(InvalidInput) as e:
        services.create(admin, Grave, {"site": site, "label": "2", "latitude": 49})
    assert e.value.field == "longitude"


def test_missing_required_fields_are_all_named(admin):
    with pytest.raises(InvalidInput) as e:
        services.create(admin, Site, {"name": "x"})
    assert set(e.value.errors) == {"ref", "kind", "geometry"}


def test_failed_write_leaves_no_history(admin, site):
    before = ChangeRecord.objects.count()
    with pytest.raises(InvalidInput):
        services.create(admin, Grave, {"site": site, "label": "5", "latitude": 100, "longitude": 0})
    assert ChangeRecord.objects.count() == before
    assert not Grave.objects.filter(label="5").exists()


def test_roles_are_enforced_in_the_service(users, site):
    with pytest.raises(PermissionDenied):
        services.create(users["analyst"], Grave, {"site": site, "label": "7"})
    with pytest.raises(PermissionDenied):
        services.withdraw(users["dna_analyst"], site, "no")
    assert not Grave.objects.filter(label="7").exists()


def test_grave_labels_sort_numerically(admin, site):
    for label in ("10", "2", "1", "B-3"):
        services.create(admin, Grave, {"site": site, "label": label})
    from vestige.registry.listing import GRAVES
    labels = [g.label for g in GRAVES.queryset({"site": "TST-SITE"})]
    assert labels == ["1", "2", "10", "B-3"]


def test_dashboard_overall_equals_sum_of_sites_and_direct_count(admin, examiner, remains, other_site):
    from vestige.registry.stats import dashboard_stats, overall_stats
    services.create(examiner, Remains, {"body_number": "O-1", "site": other_site, "sex": "male",
                                        "age_min": 5, "age_max": 9, "category": "civilian"})
    overall, per_site = dashboard_stats()
    direct = overall_stats()
    assert overall.as_dict() == direct.as_dict()
    # Hand count: TST-0001 is an adult civilian woman with torture signs; O-1 a boy of 5–9.
    assert (overall.remains_total, overall.b_women, overall.b_children, overall.with_torture) == (2, 1, 1, 1)
    assert [s.remains_total for s in per_site] == [1, 1]
