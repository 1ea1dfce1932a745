"""Bag export and verification from the pages, as background jobs (issue 13): progress, result,
the ledger key's fingerprint, the bag to download that verifies on its own; a tampered file is
found; a job whose worker died is marked failed; roles and owners are respected."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from vestige.errors import InvalidInput
from vestige.evidence import blobstore, custody, services
from vestige.evidence.models import EvidenceJob


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.VESTIGE_TASKS_INLINE = True


@pytest.fixture
def items(users, site):
    inv = users["investigator"]
    return [services.ingest(inv, io.BytesIO(f"statement {i}".encode()), f"s{i}.txt", links={"site": site.ref}).item
            for i in range(2)]


def test_export_a_sites_bag_from_the_page_and_verify_it_with_python_alone(client, users, items, tmp_path):
    client.force_login(users["investigator"])
    r = client.post("/evidence/jobs/", {"kind": "export", "site": "TST-SITE"})
    assert r.status_code == 302
    job = EvidenceJob.objects.get()
    page = client.get(job.get_absolute_url()).content.decode()
    assert job.status == "done" and 'data-status="done"' in page and "The bag was written and verifies." in page
    assert custody.fingerprint() in page  # the key's fingerprint, to compare with the bag's
    assert sorted(job.result["items"]) == sorted(i.ref for i in items)
    download = client.get(f"/evidence/jobs/{job.pk}/bag.zip")
    data = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(tmp_path / "unzipped")
    (bag,) = (tmp_path / "unzipped").iterdir()
    # The bag's own verifier, run as a court would: a separate Python, no Vestige imported.
    out = subprocess.run([sys.executable, str(bag / "data" / "verify.py"), str(bag), "--fingerprint",
                          custody.fingerprint()], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    # Each item's export is in its custody record.
    assert all(i.events.filter(kind="exported").exists() for i in items)


def test_verification_from_the_page_finds_a_tampered_file(client, users, items):
    client.force_login(users["investigator"])
    client.post("/evidence/jobs/", {"kind": "verify"})
    ok = EvidenceJob.objects.get()
    assert ok.status == "done" and ok.result["problems"] == []
    path = blobstore.path_for(items[0].blob.sha256)
    path.chmod(0o644)
    path.write_bytes(b"altered")
    client.post("/evidence/jobs/", {"kind": "verify", "items": items[0].ref})
    bad = EvidenceJob.objects.exclude(pk=ok.pk).get()
    page = client.get(bad.get_absolute_url()).content.decode()
    assert bad.status == "done" and bad.result["problems"] and items[0].ref in page and 'id="problems"' in page


def test_jobs_say_what_is_wrong_and_respect_roles_and_owners(client, users, items):
    client.force_login(users["investigator"])
    r = client.post("/evidence/jobs/", {"kind": "export", "site": "NOWHERE"}, follow=True)
    assert "No site" in r.content.decode() and not EvidenceJob.objects.exists()
    r = client.post("/evidence/jobs/", {"kind": "export", "items": "EV-999999"}, follow=True)
    assert "No evidence item EV-999999" in r.content.decode()
    client.post("/evidence/jobs/", {"kind": "export", "all": "on"})
    job = EvidenceJob.objects.get()
    # The analyst may read evidence but not export it; nor see another person's job.
    client.force_login(users["analyst"])
    assert client.post("/evidence/jobs/", {"kind": "export", "all": "on"}).status_code == 403
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(f"/evidence/jobs/{job.pk}/bag.zip").status_code == 404
    client.force_login(users["auditor"])  # auditors see every job
    assert client.get(job.get_absolute_url()).status_code == 200


def test_a_job_whose_worker_died_is_marked_failed_with_the_reason(client, users, settings):
    job = EvidenceJob.objects.create(kind="verify", status="running", progress=15, requested_by=users["investigator"],
                                     heartbeat_at=timezone.now() - timedelta(seconds=settings.VESTIGE_RUN_STALE_S + 5))
    client.force_login(users["investigator"])
    page = client.get(job.get_absolute_url()).content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and "no sign of life" in job.message and "after 15 %" in job.message
    assert 'data-status="failed"' in page


def _worker_batch():
    """django-tasks' database worker, as `vestige worker --batch` runs it: what is queued, then exit."""
    from django.core.management import call_command

    call_command("db_worker", queue_name="*", batch=True, reload=False, startup_delay=False, verbosity=0)


@pytest.mark.django_db(transaction=True)  # the worker checks its connection between tasks, as in production
def test_a_job_waits_in_the_task_queue_until_a_worker_runs_it_and_a_dead_workers_job_starts_again(
        client, users, items, settings):
    from django_tasks_db.models import DBTaskResult

    settings.VESTIGE_TASKS_INLINE = False
    client.force_login(users["investigator"])
    assert client.post("/evidence/jobs/", {"kind": "verify"}).status_code == 302
    job = EvidenceJob.objects.get()
    assert job.status == "queued" and job.progress == 0
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-status="queued"' in page and "Queued for a task worker" in page
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "READY" and task.task_path == "vestige.evidence.jobs.evidence_job"
    assert 'id="no-worker"' not in page  # just queued: nothing to worry about yet
    DBTaskResult.objects.filter(id=job.task_id).update(enqueued_at=timezone.now() - timedelta(seconds=60))
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="no-worker"' in page and "No task worker has taken this for 6" in page  # 60 s (or 61)
    # The worker is killed -9 mid-way: the task claimed, the job running, its heartbeat silent.
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", worker_ids=["gone"])
    EvidenceJob.objects.filter(pk=job.pk).update(status="running", progress=15,
                                                 heartbeat_at=timezone.now() - timedelta(seconds=settings.VESTIGE_RUN_STALE_S + 5))
    page = client.get(job.get_absolute_url()).content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and "no sign of life" in job.message and 'id="job-retry"' in page
    assert DBTaskResult.objects.get(id=job.task_id).status == "FAILED"
    _worker_batch()  # a failed task is not taken up again by itself
    assert EvidenceJob.objects.get(pk=job.pk).status == "failed"
    # "Start it again": a new job with the same request, run by the next worker.
    r = client.post(f"/evidence/jobs/{job.pk}/retry/")
    again = EvidenceJob.objects.exclude(pk=job.pk).get()
    assert r.status_code == 302 and r["Location"] == again.get_absolute_url()
    assert again.kind == "verify" and again.params == job.params and again.status == "queued"
    _worker_batch()
    again.refresh_from_db()
    assert again.status == "done" and again.result["problems"] == [] and sorted(again.result["items"]) == sorted(
        i.ref for i in items)
    assert DBTaskResult.objects.get(id=again.task_id).status == "SUCCESSFUL"
    # Only a failed job starts again; another person's job is not theirs to start.
    r = client.post(f"/evidence/jobs/{again.pk}/retry/", follow=True)
    assert "Only a failed job can be started again." in r.content.decode()
    client.force_login(users["analyst"])
    assert client.post(f"/evidence/jobs/{job.pk}/retry/").status_code == 404
    assert client.get(f"/evidence/jobs/{job.pk}/retry/").status_code == 405


@pytest.mark.django_db(transaction=True)  # the worker checks its connection between tasks, as in production
def test_a_large_upload_is_received_by_a_worker_and_survives_a_dead_one(client, users, site, settings, tmp_path):
    from vestige.evidence import jobs
    from vestige.evidence.models import EvidenceItem

    settings.VESTIGE_TASKS_INLINE = False
    settings.VESTIGE_INTAKE_TASK_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    data = bytes(range(256)) * (24 * 1024)  # 6 MiB: above the (lowered) threshold and streamed to disk
    big = io.BytesIO(data)
    big.name = "long-video.bin"
    client.force_login(users["investigator"])
    r = client.post("/evidence/upload/", {"files": big, "site": site.ref, "source": "phone of a witness",
                                          "acquired_at": "2022-09-16T10:00:00Z"})
    job = EvidenceJob.objects.get()
    assert r.status_code == 302 and r["Location"] == job.get_absolute_url()
    assert job.kind == "ingest" and job.status == "queued" and not EvidenceItem.objects.exists()
    staged = jobs.staged_dir() / job.params["file"]
    assert staged.read_bytes() == data and job.params["links"] == {"site": site.ref}
    # Killed after the blob was stored but before the item was finished: the staged upload stays.
    EvidenceJob.objects.filter(pk=job.pk).update(status="running", progress=5,
                                                 heartbeat_at=timezone.now() - timedelta(seconds=settings.VESTIGE_RUN_STALE_S + 5))
    jobs.reap_stale()
    job.refresh_from_db()
    assert job.status == "failed" and staged.exists()
    again = jobs.retry(users["investigator"], job)
    assert not staged.exists() and (jobs.staged_dir() / again.params["file"]).exists()
    _worker_batch()
    again.refresh_from_db()
    item = EvidenceItem.objects.get(derived_from__isnull=True)
    assert again.status == "done" and again.result["items"] == [item.ref] and again.result["created"]
    assert blobstore.path_for(item.blob.sha256).read_bytes() == data
    assert item.links.get().site == site and item.provenance.get().source == "phone of a witness"
    assert not (jobs.staged_dir() / again.params["file"]).exists()  # received: the staged copy is gone
    page = client.get(again.get_absolute_url()).content.decode()
    assert f'href="/evidence/{item.ref}/"' in page and "Received." in page
    # Its file gone (cleaned by hand), a failed intake asks for a new upload rather than failing silently.
    with pytest.raises(InvalidInput, match="upload it again"):
        jobs.retry(users["investigator"], job)


def test_a_large_upload_with_a_wrong_link_is_refused_at_once_and_nothing_is_staged(client, users, settings, tmp_path):
    from vestige.evidence import jobs

    settings.VESTIGE_TASKS_INLINE = False
    settings.VESTIGE_INTAKE_TASK_BYTES = 1024 * 1024
    big = io.BytesIO(b"x" * (6 * 1024 * 1024))
    big.name = "v.bin"
    client.force_login(users["investigator"])
    r = client.post("/evidence/upload/", {"files": big, "site": "NO-SUCH"}, follow=True)
    assert "NO-SUCH" in r.content.decode()
    assert not EvidenceJob.objects.exists()
    assert not jobs.staged_dir().exists() or not any(jobs.staged_dir().iterdir())


def test_links_are_added_and_removed_after_upload_as_custody_events(client, users, site, grave, items):
    from vestige.evidence.facts import facts_of

    item = items[0]
    client.force_login(users["investigator"])
    r = client.post(f"/evidence/{item.ref}/links/", {"grave": f"{site.ref}#{grave.label}"}, follow=True)
    assert "1 link(s) added." in r.content.decode()
    assert item.links.filter(grave=grave).exists() and item.events.filter(kind="linked").count() == 2
    link = item.links.get(grave=grave)
    # Removing needs a reason; the link goes, the event stays and the facts follow.
    assert "Say why" in client.post(f"/evidence/{item.ref}/links/{link.pk}/remove/", {"reason": ""},
                                    follow=True).content.decode()
    client.post(f"/evidence/{item.ref}/links/{link.pk}/remove/", {"reason": "wrong grave"})
    assert not item.links.filter(grave=grave).exists()
    last = item.events.order_by("index").last()
    assert last.kind == "unlinked" and "wrong grave" in last.data
    assert facts_of(item)["links"] == ["site:TST-SITE"]  # the grave's link gone from the facts
    assert services.verify(users["investigator"], [item.ref]) == []  # the record and its ledger agree
    client.post("/evidence/jobs/", {"kind": "export", "items": item.ref})
    assert EvidenceJob.objects.get().result["problems"] == []  # and its bag verifies, the removal in it
    # A role that may only read evidence cannot link.
    client.force_login(users["analyst"])
    assert client.post(f"/evidence/{item.ref}/links/", {"site": site.ref}).status_code == 403


def test_full_size_viewer_and_register_table_filters(client, users, site, grave):
    from tests.files import jpeg as _jpeg

    inv = users["investigator"]
    photo = services.ingest(inv, io.BytesIO(_jpeg(4)), "grave.jpg", links={"grave": f"{site.ref}#{grave.label}"}).item
    note = services.ingest(inv, io.BytesIO(b"a note"), "note.txt", links={"site": site.ref}).item
    client.force_login(inv)
    page = client.get(f"/evidence/{photo.ref}/").content.decode()
    # Blurred until asked: the page shows the (blurred) thumbnail; the original is fetched on request.
    assert 'id="show-full"' in page and "blur(14px)" in page
    before = photo.events.filter(kind="downloaded").count()
    full = client.get(f"/evidence/{photo.ref}/view/")
    assert full["Content-Type"] == "image/jpeg" and b"".join(full.streaming_content) == _jpeg(4)
    assert photo.events.filter(kind="downloaded").count() == before + 1
    assert client.get(f"/evidence/{note.ref}/view/").status_code == 404  # not a picture or a recording
    # The register as a table, filtered by type, grave, remains and dates.
    table = client.get("/evidence/?view=table&type=image").content.decode()
    assert 'id="register"' in table and photo.ref in table and note.ref not in table
    by_grave = client.get(f"/evidence/?view=table&grave={site.ref}%23{grave.label}").content.decode()
    assert photo.ref in by_grave and note.ref not in by_grave
    assert note.ref in client.get("/evidence/?view=table&type=text").content.decode()
    assert photo.ref not in client.get("/evidence/?view=table&from=2999-01-01").content.decode()
    bad = client.get("/evidence/?from=01.13.2026")
    assert bad.status_code == 400 and "is not a date" in bad.content.decode()


def test_bulk_link_export_and_verify_from_the_register(client, users, site, grave, items):
    client.force_login(users["investigator"])
    refs = [i.ref for i in items]
    r = client.post("/evidence/bulk/", {"items": refs, "action": "link", "grave": f"{site.ref}#{grave.label}"},
                    follow=True)
    assert "2 link(s) added to 2 item(s)." in r.content.decode()
    assert all(i.links.filter(grave=grave).exists() for i in items)
    # A bad target links nothing (all or none) and says why.
    r = client.post("/evidence/bulk/", {"items": refs, "action": "link", "remains": "NO-SUCH"}, follow=True)
    assert "No remains" in r.content.decode() and not any(i.links.filter(remains__isnull=False).exists() for i in items)
    r = client.post("/evidence/bulk/", {"items": refs, "action": "export"})
    job = EvidenceJob.objects.get()
    assert r["Location"] == job.get_absolute_url() and sorted(job.result["items"]) == sorted(refs)
    assert "Select at least one item." in client.post("/evidence/bulk/", {"action": "verify"}, follow=True).content.decode()
    client.force_login(users["analyst"])  # reads evidence, may not link it
    assert client.post("/evidence/bulk/", {"items": refs, "action": "link", "site": site.ref}).status_code == 403


def test_the_jobs_page_prefills_nothing_odd(client, users):
    """Issue 29: both fields showed `<generator object MultiValueDict.items …>` (a QueryDict's items()
    method rendered), and a verify started from the page then failed."""
    client.force_login(users["investigator"])
    page = client.get("/evidence/jobs/").content.decode()
    assert "generator object" not in page and 'name="items" placeholder="EV-000001" value=""' in page
    page = client.get("/evidence/jobs/?items=EV-000007").content.decode()
    assert 'value="EV-000007"' in page
