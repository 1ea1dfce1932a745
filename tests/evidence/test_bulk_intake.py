"""Bulk intake records a batch of files in one custody batch (one transaction, one head) and
loses nothing when it fails: what was committed verifies, what was not leaves no row and no event."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import IntegrityError, transaction

from tests.evidence.test_evidence import _photo
from vestige.errors import IntegrityFailure
from vestige.evidence import custody, ledger_check, services
from vestige.evidence.facts import facts_of
from vestige.evidence.models import CustodyEvent, EvidenceItem, TreeHeadRecord


@pytest.mark.parametrize("provenance", [
    {}, {"source": "Telegram", "source_url": "https://t.me/x/1", "collected_by": "OSINT team", "method": "download",
         "acquired_at": dt.datetime(2022, 9, 16, 10, 42, 5, 123456, tzinfo=dt.UTC), "source_hash": "sha256:00"},
])
def test_the_facts_written_at_intake_are_those_the_database_gives_back(users, provenance):
    item = services.ingest(users["investigator"], io.BytesIO(_photo(seed=7)), "IMG_7.JPG", provenance=provenance).item
    received = item.events.get(kind="received")
    import json

    recorded = json.loads(received.data)["details"]["facts"]
    fresh = facts_of(item)
    # after intake the item gained metadata (and perhaps a failed step): compare what intake knew
    for key in ("sha256", "sha1", "md5", "size", "media_type", "original_name", "derived_from", "derivation",
                "provenance", "links"):
        assert recorded[key] == fresh[key], key
    thumb = item.derivatives.get()
    assert json.loads(thumb.events.get(kind="received").data)["details"]["facts"] == facts_of(thumb)
    assert ledger_check.check_ledger().problems == []


def _folder(tmp_path, n: int):
    folder = tmp_path / "photos"  # not tmp_path itself: VESTIGE_HOME lies there too
    folder.mkdir()
    for i in range(n):
        (folder / f"IMG_{i:03d}.jpg").write_bytes(_photo(seed=100 + i, size=(96, 64)))
    return folder


def test_a_folder_is_recorded_in_batches_with_one_head_each(users, tmp_path):
    heads = TreeHeadRecord.objects.count()
    results = services.ingest_paths(users["investigator"], [_folder(tmp_path, services.BATCH + 5)])
    assert len(results) == services.BATCH + 5 and all(r.item.derivatives.count() == 1 for r in results)
    assert TreeHeadRecord.objects.count() - heads <= 3  # two batches (and perhaps the final sign_head)
    assert ledger_check.check_ledger().problems == [] and services.verify(users["administrator"]) == []


def test_a_failure_in_the_second_batch_keeps_the_first_and_undoes_the_second(users, tmp_path, monkeypatch):
    folder = _folder(tmp_path, services.BATCH + 5)
    real = services.ingest
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += kwargs.get("derived_from") is None  # files, not their thumbnails
        if calls["n"] == services.BATCH + 3 and kwargs.get("derived_from") is None:
            raise OSError("disk unplugged")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "ingest", failing)
    with pytest.raises(OSError, match="disk unplugged"):
        services.ingest_paths(users["investigator"], [folder])
    originals = EvidenceItem.objects.filter(derived_from__isnull=True)
    assert originals.count() == services.BATCH  # the first batch, committed
    assert ledger_check.check_ledger().problems == []
    monkeypatch.setattr(services, "ingest", real)
    again = services.ingest_paths(users["investigator"], [folder])  # a re-run completes the rest
    assert sum(r.created for r in again) == 5 and originals.count() == services.BATCH + 5
    assert ledger_check.check_ledger().problems == []


def test_a_batch_whose_savepoint_dropped_an_items_row_is_undone_whole(users):
    inv = users["investigator"]
    before = (EvidenceItem.objects.count(), CustodyEvent.objects.count())
    with pytest.raises((IntegrityFailure, IntegrityError)):
        with custody.batch():
            services.ingest(inv, io.BytesIO(b"first file"), "a.txt")
            try:
                with transaction.atomic():  # a caller's savepoint: its item row goes, its events were counted
                    services.ingest(inv, io.BytesIO(b"second file"), "b.txt")
                    raise ValueError("changed my mind")
            except ValueError:
                pass
    assert (EvidenceItem.objects.count(), CustodyEvent.objects.count()) == before
    assert ledger_check.check_ledger().problems == []
