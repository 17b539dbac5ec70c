"""Where replications and a country's jobcenters are simulated: processes here, or Ray tasks.

The experiment (:mod:`sim.experiment`) and the national runs (:mod:`sim.national`) hand their
work to a *pool* with one method, ``submit(fn, arg) -> concurrent.futures.Future``, and end it
with :func:`stop` (Ctrl-C: drop what has not started, end what runs) or ``shutdown()``. Two pools
have that shape:

* ``executor=local``: a :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes
  on this machine (0: one per core);
* ``executor=ray``: :class:`RayPool`, each ``submit`` a Ray task on the cluster that
  ``ray.address`` names (``ray.runtime_env`` shipped with it), its result a future as well.

The records do not depend on the pool: every task is one replication of one jobcenter, seeded by
its replication number and, in a country, its member index, so the same configuration gives the
same records on one process, on every core or on a cluster. Only what a task returns travels
back; a task writes no files.
"""
from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator

MAX_LOCAL_WORKERS = 8
"""``workers=0`` with ``executor=local``: one process per core, at most this many."""


def worker_count(cfg, setting: int | None = None) -> int:
    """Tasks side by side for ``cfg``: ``setting`` (default ``cfg.workers``) when above 0, else
    one per core here (at most :data:`MAX_LOCAL_WORKERS`), or the Ray cluster's CPUs."""
    setting = cfg.workers if setting is None else setting
    if setting and setting > 0:
        return setting
    if getattr(cfg, "executor", "local") == "ray":
        ray = connect(cfg)
        return max(1, int(ray.cluster_resources().get("CPU", 1)))
    return max(1, min(os.cpu_count() or 1, MAX_LOCAL_WORKERS))


def make_pool(cfg, n_workers: int):
    """A pool for ``cfg``'s executor with ``n_workers`` tasks side by side, or None when the
    work should run in this process (``executor=local`` with one worker)."""
    if getattr(cfg, "executor", "local") == "ray":
        return RayPool(cfg)
    if n_workers <= 1:
        return None
    pool = ProcessPoolExecutor(max_workers=n_workers, initializer=ignore_interrupt)
    with interrupt_held_back():
        pool.submit(int).result()       # start the workers now, with Ctrl-C held back
    return pool


def ignore_interrupt() -> None:
    """Worker initializer: Ctrl-C reaches the whole process group; the main process alone
    handles it (:func:`stop`), so workers print no tracebacks of their own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def interrupt_held_back() -> Iterator[None]:
    """Run the block with Ctrl-C held back, and raise it (KeyboardInterrupt) after the block.

    A process pool forks its workers on its first task. A Ctrl-C that arrives while the parent
    runs the logging module's at-fork hook is reported as "Exception ignored" and dropped, so
    the run went on as if no key had been pressed; one that reaches a worker before its
    initializer ignores Ctrl-C prints the worker's traceback. Forking inside this block avoids
    both: the parent notes the key and raises it after the block, and a new worker only notes
    it. Outside the main thread, or where Ctrl-C is ignored, the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):          # SIG_IGN (a background run) or SIG_DFL
        yield
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        previous(signal.SIGINT, None)


def stop(pool) -> None:
    """On Ctrl-C: drop the tasks not yet started and end those running at once rather than
    after their replication. A process pool has no public way to end its workers before Python
    3.14 (``terminate_workers``); its ``_processes`` is used where that is missing."""
    if isinstance(pool, RayPool):
        pool.cancel()
        return
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown clears it
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


# --------------------------------------------------------------------------- Ray
def connect(cfg):
    """The ``ray`` module, connected to the cluster of ``cfg.ray`` (once per process: a second
    call reuses the connection). Ray's own start-up lines are kept off the terminal."""
    import ray

    if not ray.is_initialized():
        settings = cfg.ray
        kwargs: dict[str, Any] = {"address": settings.address, "include_dashboard": False,
                                  "log_to_driver": False, "logging_level": "ERROR",
                                  "configure_logging": True}
        if settings.runtime_env:
            kwargs["runtime_env"] = dict(settings.runtime_env)
        if settings.address is None and not os.environ.get("RAY_ADDRESS"):
            kwargs.pop("address")           # a Ray instance of this run's own
        ray.init(**kwargs)
    return ray


class RayPool:
    """A pool whose ``submit(fn, arg)`` runs ``fn(arg)`` as a Ray task (one CPU each) and returns
    a :class:`concurrent.futures.Future` of its result, so that the code written for a process
    pool (``as_completed``, ``result()``) runs on a cluster unchanged."""

    def __init__(self, cfg):
        self._ray = connect(cfg)
        self._remote: dict[Callable, Any] = {}
        self._pending: list[Any] = []

    def submit(self, fn: Callable, *args) -> Future:
        """Run ``fn(*args)`` as a Ray task; the future of its result."""
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=0)(fn)
        ref = remote.remote(*args)
        self._pending.append(ref)
        return ref.future()

    def cancel(self) -> None:
        """End every task this pool started that has not finished (Ctrl-C)."""
        for ref in self._pending:
            try:
                self._ray.cancel(ref, force=True)
            except Exception:       # a task that ended meanwhile cannot be cancelled
                pass
        self._pending.clear()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Forget the tasks (they have all been waited for); the connection stays for the next
        pool of this process."""
        if cancel_futures:
            self.cancel()
        self._pending.clear()
