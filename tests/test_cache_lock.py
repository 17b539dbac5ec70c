"""The lock on computing one baseline-cache entry (sim/cache_lock.py): one holder at a time, and
it dies with its process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cache_lock import CacheLock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock(2) is POSIX")

ROOT = Path(__file__).resolve().parent.parent

HOLD = """
import sys, time
from sim.cache_lock import CacheLock
lock = CacheLock(sys.argv[1])
assert lock.acquire(blocking=False)
print("held", flush=True)
time.sleep(600)
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _holder(path: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], env=_env(),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


# --------------------------------------------------------------------------- the lock
def test_a_lock_held_by_another_process_is_refused_until_that_process_is_killed(tmp_path):
    path = tmp_path / "sub" / "rep_0.lock"
    holder = _holder(path)
    try:
        lock = CacheLock(path)
        assert not lock.acquire(blocking=False) and not lock.held
        holder.send_signal(signal.SIGKILL)       # no clean-up: the system lets go of it
        holder.wait(timeout=30)
        assert lock.acquire(blocking=False) and lock.held
        other = CacheLock(path)                  # one holder at a time, also in one process
        assert not other.acquire(blocking=False)
        lock.release()
        assert other.acquire(blocking=False)
        other.release()
    finally:
        holder.kill()
        holder.wait()


def test_a_released_lock_is_free_for_another_process(tmp_path):
    path = tmp_path / "rep_1.lock"
    lock = CacheLock(path)
    assert lock.acquire()
    probe = [sys.executable, "-c", "import sys; from sim.cache_lock import CacheLock; "
             "sys.exit(0 if CacheLock(sys.argv[1]).acquire(blocking=False) else 3)", str(path)]
    assert subprocess.run(probe, env=_env(), timeout=60).returncode == 3
    lock.release()
    assert subprocess.run(probe, env=_env(), timeout=60).returncode == 0


def test_a_forked_worker_does_not_keep_its_parents_lock(tmp_path):
    """A process pool forks its workers while the parent holds the locks of the replications
    they compute: a worker that outlives its parent must not hold them."""
    path = tmp_path / "rep_2.lock"
    lock = CacheLock(path)
    assert lock.acquire()
    pid = os.fork()
    if pid == 0:                                 # the child: its copy holds nothing
        os._exit(0 if not lock.held else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    lock.release()
