"""Points side by side compute the baseline once (sim/cache_lock.py, sim.experiment.run_experiment):
a process locks the baseline replications it computes, another waits for them (computing other
replications meanwhile) and reads them from the cache; a lock dies with its process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cache_lock import CacheLock
from sim.experiment import compose_comparison, run_experiment

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock(2) is POSIX")

ROOT = Path(__file__).resolve().parent.parent
POINT = ["scenario=a1_flex", "jobcenter=small", "horizon_days=60", "warmup_days=0",
         "replications=4", "event_log=false", "progress=false"]

HOLD = """
import sys, time
from sim.cache_lock import CacheLock
lock = CacheLock(sys.argv[1])
assert lock.acquire(blocking=False)
print("held", flush=True)
time.sleep(600)
"""

POINT_RUN = """
import json, pathlib, sys, time
import sim.experiment as ex

cache, ready, go, out = sys.argv[1:5]
cfg, desc, base, base_desc = ex.compose_comparison(json.loads(sys.argv[5]))
simulated = []
real = ex.simulate_record
def counting(c, i):
    if c.scenario == "baseline":
        simulated.append(i)
    return real(c, i)
ex.simulate_record = counting
pathlib.Path(ready).touch()
while not pathlib.Path(go).exists():        # the processes start side by side
    time.sleep(0.005)
exp = ex.run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=1, log=None)
def plain(rec):
    rec = json.loads(json.dumps(rec))
    rec.pop("wall_seconds")
    rec["headline"].pop("wall_seconds")
    return rec
pathlib.Path(out).write_text(json.dumps({
    "cache": exp.cache, "baseline_simulated": simulated,
    "scenario": [plain(r) for r in exp.scenario_records],
    "baseline": [plain(r) for r in exp.baseline_records]}))
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _plain(rec: dict) -> dict:
    rec = json.loads(json.dumps(rec))
    rec.pop("wall_seconds")
    rec["headline"].pop("wall_seconds")
    return rec


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


# --------------------------------------------------------------------------- points side by side
@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """The point run in one process from an empty cache of its own."""
    cfg, desc, base, base_desc = compose_comparison(POINT)
    exp = run_experiment(cfg, desc, base, base_desc, workers=1, log=None,
                         cache_dir=tmp_path_factory.mktemp("alone"))
    return exp


def _start(tmp_path: Path, cache: Path, name: str) -> tuple[subprocess.Popen, Path, Path]:
    ready, out = tmp_path / f"{name}.ready", tmp_path / f"{name}.json"
    proc = subprocess.Popen([sys.executable, "-c", POINT_RUN, str(cache), str(ready),
                             str(tmp_path / "go"), str(out), json.dumps(POINT)],
                            env=_env(), cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    return proc, ready, out


def _finish(proc: subprocess.Popen, out: Path) -> dict:
    try:
        _, err = proc.communicate(timeout=120)   # a deadlock fails here
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.read_text())


def test_two_points_side_by_side_compute_each_baseline_replication_once(tmp_path, alone):
    cache = tmp_path / "cache"
    started = [_start(tmp_path, cache, name) for name in ("a", "b")]
    deadline = time.time() + 90
    while not all(ready.exists() for _, ready, _ in started) and time.time() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    runs = [_finish(proc, out) for proc, _, out in started]

    n = len(alone.baseline_records)
    done = sorted(i for run in runs for i in run["baseline_simulated"])
    assert done == list(range(n))                # each replication once, by one of the two
    for run in runs:
        # what a point says it simulated and reused is what it did
        assert run["cache"]["simulated"] == len(run["baseline_simulated"])
        assert run["cache"]["reused"] == n - len(run["baseline_simulated"])
        assert run["baseline"] == [_plain(r) for r in alone.baseline_records]
        assert run["scenario"] == [_plain(r) for r in alone.scenario_records]
    assert sorted(p.name for p in (cache / alone.cache["key"]).glob("rep_*.json")) == \
        [f"rep_{i}.json" for i in range(n)]


def test_a_point_waiting_for_a_replication_another_holds_computes_others_meanwhile(
        tmp_path, alone):
    """This test holds replication 0's lock (as another point computing it would) while the
    point, which wants replication 0 first, computes replication 1 under its own lock: each
    holds what the other needs. The point lets go of 1 before it waits for 0 again, so both go
    on; it reads 0 from the cache (reused) and its figures are those of a run alone."""
    cache = tmp_path / "cache"
    key_dir = cache / alone.cache["key"]
    zero = CacheLock(key_dir / "rep_0.lock")
    assert zero.acquire(blocking=False)
    (tmp_path / "go").touch()
    proc, _, out = _start(tmp_path, cache, "a")
    try:
        deadline = time.time() + 90
        while not (key_dir / "rep_1.lock").exists() and time.time() < deadline:
            time.sleep(0.002)
        one = CacheLock(key_dir / "rep_1.lock")
        held_by_point = not one.acquire(blocking=False)
        one.release()
        rec = json.loads((Path(alone.cache["dir"]) / "rep_0.json").read_text())
        (key_dir / "rep_0.json.part").write_text(json.dumps(rec))
        (key_dir / "rep_0.json.part").rename(key_dir / "rep_0.json")
    finally:
        zero.release()
    run = _finish(proc, out)
    assert held_by_point
    assert run["baseline_simulated"] == [1, 2, 3]
    assert run["cache"]["reused"] == 1 and run["cache"]["simulated"] == 3
    assert run["baseline"] == [_plain(r) for r in alone.baseline_records]
    assert run["scenario"] == [_plain(r) for r in alone.scenario_records]


def test_a_point_computes_a_replication_whose_holder_was_killed(tmp_path, alone):
    cache = tmp_path / "cache"
    key_dir = cache / alone.cache["key"]
    holder = _holder(key_dir / "rep_0.lock")     # a point that dies before it saves rep 0
    (tmp_path / "go").touch()
    proc, _, out = _start(tmp_path, cache, "a")
    try:
        deadline = time.time() + 90
        while not (key_dir / "rep_3.json").exists() and time.time() < deadline:
            time.sleep(0.01)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        run = _finish(proc, out)
    finally:
        holder.kill()
        holder.wait()
    assert sorted(run["baseline_simulated"]) == [0, 1, 2, 3]
    assert run["cache"]["reused"] == 0
    assert run["baseline"] == [_plain(r) for r in alone.baseline_records]
