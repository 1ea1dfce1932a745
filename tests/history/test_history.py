"""The change log (vestige.history): what a change records, in what order it is read back, and the
references it numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from vestige.history.models import Action
from vestige.history.services import diff, history_of, next_reference, record, snapshot
from vestige.registry import services
from vestige.registry.models import Site

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[37.0, 49.0], [37.01, 49.0], [37.01, 49.01], [37.0, 49.01], [37.0, 49.0]]]}


def test_diff_keeps_only_what_changed():
    # by hand: a unchanged, b 2 → 3, c absent before and None after (no change), d new
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None, "d": "x"}) == {"b": [2, 3], "d": [None, "x"]}


def test_snapshot_is_json_safe(site):
    # a date is written as ISO 8601, so that the change log stays plain JSON
    assert snapshot(site, ["ref", "discovered_on"]) == {"ref": "TST-SITE", "discovered_on": "2022-09-15"}


def test_a_change_is_read_back_newest_first_with_who_why_and_through_which_door(admin, site):
    record(site, Action.UPDATED, admin, {"name": ["Test burial site", "Renamed"]}, reason="survey", via="cli")
    rows = list(history_of(site))
    newest, created = rows[0], rows[-1]
    assert (newest.action, newest.actor, newest.changes, newest.reason, newest.via) == (
        Action.UPDATED, admin, {"name": ["Test burial site", "Renamed"]}, "survey", "cli")
    assert created.action == Action.CREATED and newest.at >= created.at


def test_next_reference_continues_after_a_number_typed_by_hand(admin):
    assert next_reference(Site, "ref", "HX-", 4) == "HX-0001"  # nothing with the prefix yet
    services.create(admin, Site, {"ref": "HX-0007", "name": "Typed by hand", "kind": "burial_site",
                                  "geometry": SQUARE, "discovered_on": dt.date(2022, 9, 15)})
    # the counter already stands at 1 (the reference above was only proposed): 2..6 are free
    assert next_reference(Site, "ref", "HX-", 4) == "HX-0002"


def test_a_new_counter_starts_after_the_largest_number_in_use(admin):
    for ref in ("HY-0007", "HY-12", "HY-DRAFT"):  # compared as numbers; a non-number is ignored
        services.create(admin, Site, {"ref": ref, "name": ref, "kind": "burial_site", "geometry": SQUARE,
                                      "discovered_on": dt.date(2022, 9, 15)})
    assert next_reference(Site, "ref", "HY-", 4) == "HY-0013"
