"""Long work as durable tasks: matching runs, bag exports and verifications, web captures and the
intake of large uploads.

The framework is django-tasks (the backport of Django 6's ``django.tasks``) with its database
backend (django-tasks-db): a task is a row in the database Vestige already has (SQLite by default,
PostgreSQL in a deployment), so nothing else has to run, a queued task survives a restart of the
web server, and upgrading to Django 6 only changes an import. A worker is ``vestige worker``
(``db_worker`` underneath); ``vestige serve`` and ``vestige demo`` start ``VESTIGE_TASK_WORKERS`` of
them beside the web server. Celery, RQ or Huey would each add a broker to deploy and to secure.

The tasks themselves live with the app that owns the work, at module level so that a worker
imports them by their path: ``vestige.identification.runs.matching_run`` and
``vestige.evidence.jobs.evidence_job``; this module is what they share. The work itself is recorded on Vestige's own rows (:class:`MatchingRun`, :class:`EvidenceJob`):
what was asked, progress, the result or the reason it failed. Those rows are what the pages show,
never a thread of the web process. While a task runs, a thread of the *worker* touches the row's
heartbeat every ``VESTIGE_HEARTBEAT_S``; a row silent for ``VESTIGE_RUN_STALE_S`` belongs to a
worker that died (killed, out of memory, the machine restarted): :func:`lost` marks it failed with
that reason and fails its task too, and the user can start it again.
"""

from __future__ import annotations

import contextlib
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

WORKER_LOST = "vestige.tasks.WorkerLost"


@contextlib.contextmanager
def heartbeat(model, pk: int):
    """Touch ``model``'s row ``pk`` every VESTIGE_HEARTBEAT_S while the block runs (in a worker)."""
    if settings.VESTIGE_TASKS_INLINE:  # the caller's own work: it beats at each step itself
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.VESTIGE_HEARTBEAT_S):
                with contextlib.suppress(Exception):  # a locked database: the next beat will do
                    model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        finally:
            connection.close()

    thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{model.__name__}-{pk}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def enqueue(work, *args) -> str:
    """Hand ``work`` to a worker (its task id), or do it here and now with VESTIGE_TASKS_INLINE."""
    if settings.VESTIGE_TASKS_INLINE:
        work.call(*args)
        return ""
    return str(work.enqueue(*args).id)


def lost(task_id: str, why: str) -> None:
    """The task ``task_id`` ran in a worker that died: fail it with ``why`` (no worker will)."""
    if not task_id:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status__in=["READY", "RUNNING"]).update(
        status="FAILED", finished_at=timezone.now(), exception_class_path=WORKER_LOST, traceback=why)


def failure(task_id: str) -> str | None:
    """Why the task failed before the work could record it (its last traceback line), if it did."""
    if not task_id:
        return None
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.filter(id=task_id, status="FAILED").values("traceback").first()
    if row is None:
        return None
    lines = [line for line in (row["traceback"] or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "the task failed"


def unclaimed_for(task_id: str) -> int | None:
    """Seconds the task has waited with no worker taking it (None: taken, finished, or inline)."""
    if not task_id:
        return None
    from django_tasks_db.models import DBTaskResult

    enqueued = DBTaskResult.objects.filter(id=task_id, status="READY").values_list("enqueued_at", flat=True).first()
    return None if enqueued is None else int((timezone.now() - enqueued).total_seconds())


NO_WORKER_S = 15  # a task waiting longer than this: the page asks whether a worker runs


def fail(model, row, why: str, *, was: str) -> int:
    """Mark ``row`` (a MatchingRun or an EvidenceJob) failed with ``why`` if it is still ``was``
    (``running``: its worker died, and its task is failed too; ``queued``: its task failed)."""
    n = model.objects.filter(pk=row.pk, status=was).update(status="failed", finished_at=timezone.now(),
                                                           message=why[:2000])
    if n and was == "running":
        lost(row.task_id, why)
    return n


def fail_queued(model) -> int:
    """Fail every queued row of ``model`` whose task failed before the work could start."""
    n = 0
    for row in model.objects.filter(status="queued").exclude(task_id=""):
        why = failure(row.task_id)
        if why:
            n += fail(model, row, why, was="queued")
    return n
