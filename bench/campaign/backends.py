"""Where the cells run: a local process pool (the default), or a Dask cluster.

The cells are independent and deterministic (virtual time, seeded), so any engine that maps
a function over them gives the same table; results come back in the matrix's order either
way. Dask is optional (`pip install -e '.[campaign-dask]'`): with `--scheduler ADDRESS` the
cells go to an existing cluster, without it to a local one of `workers` processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from bench.campaign.kills import run_kill
from bench.campaign.matrix import Cell
from bench.campaign.sessions import Result, run_cell
from controller.core import logs

BACKENDS = ("local", "dask")


def run_one(cell: Cell) -> Result:
    logs.configure("critical")  # a campaign counts trips; it does not print them
    return run_kill(cell) if cell.kind == "kill" else run_cell(cell)


def run_all(
    cells: Sequence[Cell], backend: str = "local", workers: int = 0, scheduler: str = ""
) -> Iterator[Result]:
    workers = workers or os.cpu_count() or 1
    if backend == "local":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(run_one, cells, chunksize=1)
        return
    if backend == "dask":
        yield from _dask(cells, workers, scheduler)
        return
    raise ValueError(f"unknown backend {backend!r}; one of {', '.join(BACKENDS)}")


def _dask(cells: Sequence[Cell], workers: int, scheduler: str) -> Iterator[Result]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise SystemExit(
            "the dask backend needs dask.distributed: pip install -e '.[campaign-dask]'"
        ) from exc
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    try:
        futures = client.map(run_one, list(cells), pure=False)
        for future in futures:  # in the matrix's order
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
