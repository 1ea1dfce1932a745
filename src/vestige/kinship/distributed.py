"""The blind search on a Dask cluster (extra ``[dask]``): the LR tables are built on the workers,
a task per part of one family shape (:func:`vestige.kinship.tables.table_part`), gathered into
one table, then the blocks of samples are scored on the workers (:func:`vestige.kinship.scoring.score_block`),
each worker holding the tables once; the results come back in order to be folded exactly as on
one machine (see :func:`vestige.kinship.search.blind_search`), so the output is identical to the
single-process search.

    client = connect(scheduler="tcp://10.0.0.5:8786")   # a running cluster
    client = connect(workers=2)                         # or a local one, N worker processes
    blind_search(..., map_blocks=dask_map(client))

PURE: imports nothing from Django or the rest of Vestige; Dask is imported when used, with a
message naming the extra when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from vestige.kinship.errors import KinshipInputError


def _distributed():
    try:
        import distributed
    except ImportError:
        raise KinshipInputError.option("dask", "distributed matching needs Dask: pip install 'vestige[dask]'") from None
    return distributed


def connect(*, scheduler: str | None = None, workers: int | None = None):
    """A Dask client: to the scheduler at ``scheduler``, or to a new local cluster of ``workers``
    processes (one thread each: the scoring is numpy, and processes share no GIL)."""
    distributed = _distributed()
    if scheduler:
        return distributed.Client(scheduler)
    if not workers or workers < 1:
        raise KinshipInputError.option("dask_workers", f"{workers!r}: give 1 or more workers")
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address="127.0.0.1:0", silence_logs=40)  # any free port: two clusters never collide
    return distributed.Client(cluster)


def close(client) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def dask_map(client) -> Callable[[Callable, object, list[int]], Iterator]:
    """``map_blocks`` for :func:`blind_search`: ship the context once to every worker, score each
    block as one task, yield the results in block order."""
    def run(fn: Callable, ctx: object, starts: Iterable[int]) -> Iterator:
        starts = list(starts)
        shared = client.scatter(ctx, broadcast=True, hash=False)
        futures = client.map(fn, [shared] * len(starts), starts, pure=False)
        try:
            for f in futures:
                yield f.result()
                f.release()
        finally:
            client.cancel(futures)
            client.cancel(shared)
    return run
