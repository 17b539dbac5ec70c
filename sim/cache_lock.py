"""Locks on computing one entry of the baseline cache, so that processes side by side compute it
once.

Points of a sweep run side by side (Hydra's joblib or Ray launcher) often share one baseline.
Each baseline replication's cache file has a lock file beside it (``rep_<i>.lock``); a process
computes the replication only while it holds the lock, and another that needs the same
replication finds it held, does other work, and then reads the cached record the first one wrote
(:func:`sim.experiment.run_experiment`).

The lock is ``flock(2)`` on that file: the operating system releases it when the process ends,
however it ends (Ctrl-C, a kill, a crash), so an interrupted run never leaves a lock that holds
up the next one; the next run finds the record missing and computes it. Lock files stay (empty):
removing a lock file another process waits on would let two processes hold "the" lock.

Where ``flock`` is missing (Windows) or the file system refuses it, a lock is always granted
and each process computes what it does not find in the cache, as it would without locks. The
lock is only as wide as the file system: on nodes of a cluster that do not share the cache's
folder, each node computes the baseline for itself.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

try:
    import fcntl
except ImportError:                     # Windows: no flock; every lock is granted
    fcntl = None

_HELD: set["CacheLock"] = set()
"""The locks this process holds (by a descriptor of its own)."""


def _forget_in_child() -> None:
    """After a fork (a process pool's workers): close the child's copies of the parent's lock
    descriptors, so that a worker outliving its parent (a kill) does not keep the parent's locks,
    and let the child's copies of the lock objects hold nothing."""
    for lock in _HELD:
        try:
            os.close(lock._fd)
        except OSError:
            pass
        lock._fd = None
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


class CacheLock:
    """An exclusive lock on the file ``path``, held by at most one process at a time."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock: wait for it (``blocking``) or give up at once; True when it is held.
        Ctrl-C while waiting raises KeyboardInterrupt, holding nothing."""
        if self._fd is not None:
            return True
        if fcntl is None:
            self._fd = -1
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            self._fd = -1               # the file system has no locks: as if granted
            return True
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD.add(self)
        return True

    def release(self) -> None:
        """Let go of the lock (nothing if it is not held)."""
        fd, self._fd = self._fd, None
        if fd is None or fd < 0:
            return
        _HELD.discard(self)
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)  # explicitly: a forked child may share the descriptor
        finally:
            os.close(fd)
