"""The benchmark: how fast the model runs, against bare SimPy and against its targets.

``python -m sim.bench [--quick] [--out bench/results.json] [--skip-national]`` measures, in one
process, and prints a table (progress goes to stderr); the same figures, with the machine they
were measured on, are written atomically as JSON. ``bench/README.md`` explains every line.

1. **Reference**: a bare-SimPy model doing the medium jobcenter year's work, nothing else: the
   same number of citizen processes and talks, each talk a request of one ``simpy.Resource``
   whose capacity is the medium profile's number of caseworkers, held for the talk's duration.
   Its talks per second are the most the model could reach on this machine with SimPy.
2. **The model** on the medium jobcenter year with the event log on: talks and SimPy events per
   second, the ratio of its talks per second to the reference's, the year's wall time.
3. **The national baseline year** (94 jobcenters, every citizen simulated) on one core, in a
   fresh subprocess: wall time and peak resident memory.
4. **Sweep speed-up**: 20 small-jobcenter runs with one worker process and with one per core.
3b. **The national comparison** ``python -m sim scenario=a1_flex jobcenter=national`` as a user
   runs it (every core, the default replications and warm-up, sensitivity and overlap at their
   defaults), in a fresh subprocess with an empty baseline cache: its wall time (the issue's
   "at most 10 minutes" on this 2-core machine class) and its ratio to the national year of part
   3 measured in the same run (how many one-core national years one comparison costs), with the
   replications it made and the capacity freed it found.
5. **Desk queues**: the desk-queue layer (``sim.engine.queues``), Ciw and a bare
   ``simpy.Resource`` serving the same M/M/c customers (``sim.bench_queues``): customers per
   second side by side, their ratios, and each one's mean wait against Erlang C's.

Timings are the best of 5 (1 with ``--quick``), the reference and the model timed alternately so
both meet the same machine conditions (the three desk-queue simulators likewise); the SimPy events are counted in a separate run with
:meth:`simpy.Environment.step` wrapped, so the counting does not slow the timed runs. A fixed
pure-Python loop timed at the start and the end shows how fast the machine ran meanwhile.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import gc
import importlib
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import simpy

from . import bench_queues
from .configure import PROJECT_ROOT, compose

DEFAULT_OUT = PROJECT_ROOT / "bench" / "results.json"
MEAN_TALK_MINUTES = 80.0
YEAR_DAYS = 365.0
SWEEP_RUNS = 20
NATIONAL_RUNS = 2
SWEEP_HORIZON_DAYS = 120
GIB = 1024 ** 3

# name -> (comparison, threshold, unit) ; "ge": value >= threshold, "le": value <= threshold
TARGETS = {
    "model_to_reference_ratio": ("ge", 0.40, ""),
    "medium_year_wall_seconds": ("le", 1.0, "s"),
    "national_wall_seconds": ("le", 60.0, "s"),
    "national_peak_rss_bytes": ("le", 2 * GIB, "B"),
    "sweep_speedup": ("ge", 1.7, "x"),
    "national_comparison_wall_seconds": ("le", 600.0, "s"),
}

# Every part simulates exactly its horizon: the warm-up is pinned to 0 (the default in conf/ may
# add one, which would make a "year" 1.5 years of simulation and change the benchmark's meaning).
NO_WARMUP = "warmup_days=0"
MEDIUM_OVERRIDES = ["event_log=true", "progress=false", NO_WARMUP]
NATIONAL_OVERRIDES = ["jobcenter=national", "event_log=false", "progress=false", NO_WARMUP]


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- helpers
@contextmanager
def count_events() -> Iterator[list[int]]:
    """Count the events every :class:`simpy.Environment` processes while the block runs.

    Yields a one-element list holding the count. ``Environment.step`` is wrapped on the class
    (the model creates its own environment) and restored afterwards.
    """
    counter = [0]
    original = simpy.core.Environment.step

    def step(self):
        original(self)              # raises EmptySchedule / StopSimulation: not counted
        counter[0] += 1

    simpy.core.Environment.step = step
    try:
        yield counter
    finally:
        simpy.core.Environment.step = original


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, list[float], Any, float]:
    """Run ``fn`` ``repeats`` times.

    Returns (best wall seconds, all wall seconds, last return value, CPU seconds of the best
    run). Wall time well above CPU time means the process waited for a core: other work ran.
    """
    times = []
    cpus = []
    value = None
    for _ in range(max(1, repeats)):
        gc.collect()
        c0 = time.process_time()
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    best = min(range(len(times)), key=times.__getitem__)
    return times[best], times, value, cpus[best]


def caseworkers_of(cfg) -> int:
    """Caseworkers of a (single) jobcenter profile, all pools together."""
    return sum(p.caseworkers for p in cfg.jobcenter.caseworker_pools.values())


def talks_of(result) -> int:
    """Talks held in a model run, all groups together."""
    return sum(g.talks_held for g in result.counters.groups.values())


# ---------------------------------------------------------------------------- 1. reference
def reference_model(citizens: int, talks: int, caseworkers: int, seed: int = 0,
                    mean_talk_minutes: float = MEAN_TALK_MINUTES,
                    horizon_days: float = YEAR_DAYS) -> dict:
    """Build and run the bare-SimPy reference once; returns what it did.

    Each of ``citizens`` processes arrives at a uniform time in the year and holds its share of
    ``talks`` (a multinomial split, so the total is exact) one after another, with exponential
    gaps scaled to spread them over the rest of the year (uniform talk times, in effect; every
    talk is requested before ``horizon_days``); each talk requests one of
    ``caseworkers`` (a :class:`simpy.Resource`) and holds it for an exponential duration of mean
    ``mean_talk_minutes`` (in days: minutes / 1440). The environment runs until every process
    has finished, so exactly ``talks`` talks are held.
    """
    if citizens < 1 or talks < 0 or caseworkers < 1:
        raise ValueError("the reference needs citizens >= 1, talks >= 0 and caseworkers >= 1")
    rng = np.random.default_rng(seed)
    arrivals = rng.uniform(0.0, horizon_days, citizens)
    per_citizen = rng.multinomial(talks, np.full(citizens, 1.0 / citizens))
    # k talks of a citizen: k + 1 exponential gaps scaled to fill (arrival, horizon) exactly,
    # the last one dropped, so every talk is requested within the year
    seg = per_citizen + 1
    seg_start = np.concatenate(([0], np.cumsum(seg)[:-1]))
    e = rng.exponential(1.0, talks + citizens)
    e *= np.repeat((horizon_days - arrivals) / np.add.reduceat(e, seg_start), seg)
    keep = np.ones(e.size, dtype=bool)
    keep[seg_start + seg - 1] = False
    gaps = e[keep].tolist()
    durations = rng.exponential(mean_talk_minutes / 1440.0, talks).tolist()
    starts = np.concatenate(([0], np.cumsum(per_citizen))).tolist()
    arrivals = arrivals.tolist()

    env = simpy.Environment()
    caseworker = simpy.Resource(env, capacity=caseworkers)
    held = [0]

    def citizen(first: int, last: int, arrival: float):
        yield env.timeout(arrival)
        for k in range(first, last):
            yield env.timeout(gaps[k])
            with caseworker.request() as req:
                yield req
                yield env.timeout(durations[k])
            held[0] += 1

    for i in range(citizens):
        env.process(citizen(starts[i], starts[i + 1], arrivals[i]))
    env.run()
    return {"citizens": citizens, "talks": held[0], "caseworkers": caseworkers,
            "end_day": float(env.now)}


def reference_talks_per_second(citizens: int, talks: int, caseworkers: int, seed: int = 0,
                               repeats: int = 3,
                               mean_talk_minutes: float = MEAN_TALK_MINUTES,
                               events: int | None = None) -> dict:
    """Time the reference (best of ``repeats``) and count its SimPy events in one more run
    (unless ``events`` is given, from an earlier count)."""
    def once():
        return reference_model(citizens, talks, caseworkers, seed, mean_talk_minutes)

    best, times, done, cpu = best_of(repeats, once)
    if events is None:
        with count_events() as counted:
            once()
        events = counted[0]
    events = [events]
    return {
        "citizens": citizens,
        "talks_requested": talks,
        "talks_held": done["talks"],
        "caseworkers": caseworkers,
        "mean_talk_minutes": mean_talk_minutes,
        "last_talk_ends_day": done["end_day"],
        "seconds": best,
        "seconds_all": times,
        "cpu_seconds": cpu,
        "talks_per_second": done["talks"] / best if best > 0 else float("inf"),
        "simpy_events": events[0],
        "simpy_events_per_second": events[0] / best if best > 0 else float("inf"),
        "events_per_talk": events[0] / done["talks"] if done["talks"] else None,
    }


def interleaved(repeats: int, reference: Callable[[int | None], dict],
                model: Callable[[], dict]) -> tuple[dict, dict]:
    """Time the reference and the model alternately, one run each per round, ``repeats``
    rounds; each keeps its best run. On a machine whose speed drifts (a shared cloud host),
    alternating keeps the two measured under the same conditions, so their ratio is fair."""
    ref = mod = None
    ref_all: list[float] = []
    mod_all: list[float] = []
    for _ in range(max(1, repeats)):
        r = reference(ref["simpy_events"] if ref else None)
        m = model()
        ref_all += r["seconds_all"]
        mod_all += m["seconds_all"]
        if ref is None or r["seconds"] < ref["seconds"]:
            ref = r
        if mod is None or m["seconds"] < mod["seconds"]:
            mod = m
    ref["seconds_all"], mod["seconds_all"] = ref_all, mod_all
    return ref, mod


def machine_speed(loops: int = 2_000_000, repeats: int = 5) -> dict:
    """Seconds of a fixed pure-Python loop, best and worst of ``repeats``: how fast this
    machine runs Python at the moment (a cloud host's speed can drift by a factor of two)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        s = 0
        for i in range(loops):
            s += i
        times.append(time.perf_counter() - t0)
    return {"loops": loops, "best_seconds": min(times), "worst_seconds": max(times)}


# ---------------------------------------------------------------------------- 2. the model
def medium_workload(overrides: list[str] | None = None) -> tuple[Any, dict]:
    """Compose the medium year, run it once with SimPy events counted; (cfg, workload)."""
    from .model import run

    cfg, _ = compose(overrides or MEDIUM_OVERRIDES)
    with count_events() as events:
        result = run(cfg)
    talks = talks_of(result)
    return cfg, {
        "jobcenter": cfg.jobcenter.name,
        "scenario": cfg.scenario,
        "seed": cfg.seed,
        "horizon_days": cfg.horizon_days,
        "warmup_days": cfg.warmup_days,
        "event_log": cfg.event_log,
        "citizens": result.counters.citizens,
        "talks": talks,
        "caseworkers": caseworkers_of(cfg),
        "event_log_rows": len(result.log) if cfg.event_log else 0,
        "simpy_events": events[0],
        "events_per_talk": events[0] / talks if talks else None,
        "counting_run_seconds": result.wall_seconds,
    }


def model_talks_per_second(cfg, workload: dict, repeats: int = 3) -> dict:
    """Time ``run(cfg)`` (best of ``repeats``): the medium year's wall time, talks and events/s."""
    from .model import run

    best, times, result, cpu = best_of(repeats, lambda: run(cfg))
    talks = talks_of(result)
    if talks != workload["talks"] or result.counters.citizens != workload["citizens"]:
        raise RuntimeError("the model is not deterministic: timed and counting runs differ "
                           f"({talks} vs {workload['talks']} talks)")
    return {
        "seconds": best,
        "seconds_all": times,
        "cpu_seconds": cpu,
        "talks": talks,
        "talks_per_second": talks / best,
        "simpy_events": workload["simpy_events"],
        "simpy_events_per_second": workload["simpy_events"] / best,
    }


# ---------------------------------------------------------------------------- 3. national
NATIONAL_CODE = textwrap.dedent("""
    import json, resource, sys, time
    t0 = time.perf_counter()
    from sim.configure import compose
    from sim.national import run_national
    cfg, _ = compose({overrides!r})
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    out = run_national(cfg, replications=1, workers=1)
    t2 = time.perf_counter()
    tot = out["replications"][0]["totals"]
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({{
        "wall_seconds": t2 - t1,
        "compose_seconds": t1 - t0,
        "run_national_wall_seconds": out["wall_seconds"],
        "ru_maxrss_kib": ru.ru_maxrss,
        "cpu_seconds_process": ru.ru_utime + ru.ru_stime,
        "cpu_seconds": time.process_time() - cpu1,
        "jobcenters": out["jobcenters"],
        "members_simulated": out["members"],
        "workers": out["workers"],
        "citizens": tot["citizens"],
        "talks": tot["talks"],
    }}))
""")


def national_year(overrides: list[str] | None = None, timeout: float = 3600.0) -> dict:
    """The national year on one core in a fresh Python process: wall time and peak RSS."""
    code = NATIONAL_CODE.format(overrides=list(overrides or NATIONAL_OVERRIDES))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJECT_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"national run failed (exit {proc.returncode}):\n{tail}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["peak_rss_bytes"] = data["ru_maxrss_kib"] * 1024
    data["subprocess_seconds"] = total
    return data


def best_national_year(runs: int = 2, year: Callable[[], dict] | None = None) -> dict:
    """The national year ``runs`` times, each in a fresh process: the fastest run's figures,
    with every run's wall time (``wall_seconds_all``) and the highest peak memory of all."""
    year = year or national_year
    results = [year() for _ in range(max(1, runs))]
    best = dict(min(results, key=lambda r: r["wall_seconds"]))
    best["wall_seconds_all"] = [r["wall_seconds"] for r in results]
    best["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in results)
    best["runs"] = len(results)
    return best


COMPARISON_SCENARIO = "a1_flex"
"""The scenario of the national comparison timed in part 3b."""


def national_comparison(scenario: str = COMPARISON_SCENARIO, jobcenter: str = "national",
                        overrides: list[str] | None = None, timeout: float = 7200.0) -> dict:
    """``python -m sim scenario=SCENARIO jobcenter=JOBCENTER`` in a fresh process, with a
    baseline cache and run folder of its own (both sides simulated): wall time, replications and
    the capacity freed it reports (FTE, with its 95% interval)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
        run_dir = Path(tmp) / "run"
        env = dict(os.environ, SIM_BASELINE_CACHE=str(Path(tmp) / "cache"))
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PROJECT_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        args = [f"scenario={scenario}", f"jobcenter={jobcenter}", "progress=false",
                "event_log=false", *(overrides or []), f"hydra.run.dir={run_dir}"]
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"national comparison failed (exit {proc.returncode}):\n{tail}")
        info = json.loads((run_dir / "run_info.json").read_text(encoding="utf-8"))
        from .compare import RunData
        from .figures import capacity_freed

        run = RunData.load(run_dir)
        freed = capacity_freed(run.scenario, run.baseline)
    return {"scenario": scenario, "wall_seconds": wall, "replications": info["replications"],
            "stopping": (info.get("stopping") or {}).get("reason"),
            "workers": info.get("workers"),
            "capacity_freed_fte": freed["fte"].mean if freed else None,
            "capacity_freed_half_width": freed["fte"].half_width if freed else None}


# ---------------------------------------------------------------------------- 4. sweep
def _sweep_job(cfg) -> tuple[int, int, int]:
    """One sweep run (in a worker process): citizens, talks held, citizens alive at the end."""
    from .model import run

    result = run(cfg)
    return result.counters.citizens, talks_of(result), result.alive_at_end


def _busy(n: int) -> int:
    """A pure-Python busy loop: the machine's own parallel ceiling, free of the model."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def _time_pool(job_name: str, args: list, workers: int) -> tuple[float, list, float]:
    # As ``python -m sim.bench`` this module is ``__main__``; hand the pool the function of the
    # importable module so that it pickles by name under any start method.
    job = getattr(importlib.import_module("sim.bench"), job_name)
    c0 = _children_cpu()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        out = list(pool.map(job, args))
    wall = time.perf_counter() - t0
    return wall, out, _children_cpu() - c0


def _children_cpu() -> float:
    """CPU seconds of this process's finished (reaped) child processes."""
    import resource                 # Unix only

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def sweep_speedup(n_runs: int = SWEEP_RUNS, workers: int | None = None,
                  horizon_days: int = SWEEP_HORIZON_DAYS, jobcenter: str = "small",
                  busy_loop: int = 2_000_000, repeats: int = 1) -> dict:
    """``n_runs`` small runs (seeds 0..n_runs-1) with 1 worker process, then with ``workers``;
    ``repeats`` times alternately, the best time of each counted.

    The configuration is composed once and its seed replaced per run (the same as composing
    ``seed=i``; Hydra's composition is not part of what is timed). Every timing includes the
    process pool's start-up. speed-up = t(1 worker) / t(``workers``). With ``busy_loop`` > 0
    the same is done with ``n_runs`` pure-Python loops of that many steps (no model, no
    pickling of results): the speed-up this machine itself gives at the moment, as a ceiling.
    """
    workers = workers or usable_cores()
    cfg, _ = compose([f"jobcenter={jobcenter}", f"horizon_days={horizon_days}",
                      "event_log=false", "progress=false", NO_WARMUP])
    cfgs = [dataclasses.replace(cfg, seed=i) for i in range(n_runs)]
    runs_1, runs_n = [], []           # (seconds, results, CPU seconds) of each repetition
    for _ in range(max(1, repeats)):
        runs_1.append(_time_pool("_sweep_job", cfgs, 1))
        runs_n.append(_time_pool("_sweep_job", cfgs, workers))
    t1, out1, cpu1 = min(runs_1, key=lambda r: r[0])
    tn, outn, cpun = min(runs_n, key=lambda r: r[0])
    times_1, times_n = [r[0] for r in runs_1], [r[0] for r in runs_n]
    ceiling = None
    if busy_loop > 0:
        # the same pool pattern on a busy loop: what this machine gives right now
        b1, _, _ = _time_pool("_busy", [busy_loop] * n_runs, 1)
        bn, _, _ = _time_pool("_busy", [busy_loop] * n_runs, workers)
        ceiling = {"seconds_1_worker": b1, "seconds_n_workers": bn, "speedup": b1 / bn}
    return {
        "runs": n_runs,
        "jobcenter": jobcenter,
        "horizon_days": horizon_days,
        "workers": workers,
        "seconds_1_worker": t1,
        "seconds_n_workers": tn,
        "seconds_1_worker_all": times_1,
        "seconds_n_workers_all": times_n,
        "cpu_seconds_1_worker": cpu1,
        "cpu_seconds_n_workers": cpun,
        "speedup": t1 / tn,
        "identical_results": out1 == outn,
        "citizens": sum(o[0] for o in out1),
        "talks": sum(o[1] for o in out1),
        "busy_loop_ceiling": ceiling,
    }


# ---------------------------------------------------------------------------- machine
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_info() -> dict:
    from .output import git_revision, package_versions

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cores": usable_cores(),
        "memory_total_bytes": memory_total_bytes(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": package_versions(),
        "git_revision": git_revision(),
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float] | None:
    """1-, 5- and 15-minute load averages (other work on the machine skews the timings)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


# ---------------------------------------------------------------------------- targets & table
def judge(name: str, value: float | None, applicable: bool = True) -> dict:
    op, threshold, unit = TARGETS[name]
    if value is None:
        met = None
        status = "skipped"
    elif not applicable:
        met = None
        status = "n/a"
    else:
        met = bool(value >= threshold if op == "ge" else value <= threshold)
        status = "met" if met else "NOT met"
    return {"name": name, "value": value, "comparison": op, "threshold": threshold,
            "unit": unit, "met": met, "status": status}


def _fmt_bytes(b: float) -> str:
    return f"{b / GIB:.2f} GiB" if b >= GIB else f"{b / 1024 ** 2:.0f} MiB"


def _fmt_target(t: dict) -> str:
    sign = ">=" if t["comparison"] == "ge" else "<="
    thr = t["threshold"]
    if t["unit"] == "B":
        return f"{sign} {_fmt_bytes(thr)}"
    return f"{sign} {thr:g}{' ' + t['unit'] if t['unit'] == 's' else t['unit']}"


def format_table(res: dict) -> str:
    m, w = res["machine"], res["workload"]
    ref, mod, nat, sw = res["reference"], res["model"], res["national"], res["sweep"]
    tg = {t["name"]: t for t in res["targets"]}
    reps = res["repeats"]
    lines = [
        f"Benchmark {m['date']}{'  (--quick)' if res['quick'] else ''}",
        f"machine: {m['cpu_model']}, {m['usable_cores']} of {m['cpu_count']} cores, "
        + (f"{_fmt_bytes(m['memory_total_bytes'])} RAM, " if m["memory_total_bytes"] else "")
        + f"Python {m['python']}, SimPy {m['packages'].get('simpy', '?')}, "
        f"NumPy {m['packages'].get('numpy', '?')}, git {m['git_revision'][:12]}"
        + ("+dirty" if m["git_revision"].endswith("+dirty") else ""),
        f"workload: {w['jobcenter']} jobcenter, {w['horizon_days']} days "
        f"(warm-up {w['warmup_days']}), scenario "
        f"{w['scenario']}, seed {w['seed']}: {w['citizens']:,} citizens, {w['talks']:,} talks, "
        f"{w['caseworkers']} caseworkers; timings best of {reps}",
    ]
    la0, la1 = m.get("load_average_at_start"), res.get("load_average_at_end")
    if la0 and la1:
        lines.append(f"load average (1 min) at start {la0[0]:.2f}, at end {la1[0]:.2f}"
                     + ("  -- other work was running: timings may be pessimistic"
                        if max(la0[0], la1[0]) > 0.5 else ""))
    sp = res.get("machine_speed")
    if sp:
        lines.append("machine speed, a fixed Python loop (best-worst of 5): "
                     f"{sp['start']['best_seconds']:.3f}-{sp['start']['worst_seconds']:.3f} s at "
                     f"start, {sp['end']['best_seconds']:.3f}-{sp['end']['worst_seconds']:.3f} s "
                     "at end")
    lines += [
        "",
    ]
    rows: list[tuple[str, str, str, str]] = []

    def row(label, value, target=None):
        t = tg.get(target) if target else None
        rows.append((label, value, _fmt_target(t) if t else "", t["status"] if t else ""))

    row("1 reference (bare SimPy): talks/s", f"{ref['talks_per_second']:,.0f}")
    row("  reference: SimPy events/s", f"{ref['simpy_events_per_second']:,.0f}")
    row("  reference: events per talk", f"{ref['events_per_talk']:.2f}")
    row("  reference: wall time", f"{ref['seconds']:.3f} s (cpu {ref['cpu_seconds']:.3f})")
    row("2 model (event_log=true): talks/s", f"{mod['talks_per_second']:,.0f}")
    row("  model: SimPy events/s", f"{mod['simpy_events_per_second']:,.0f}")
    row("  model: events per talk", f"{w['events_per_talk']:.2f}")
    row("  model / reference talks/s", f"{mod['talks_per_second'] / ref['talks_per_second']:.3f}",
        "model_to_reference_ratio")
    row("  medium year wall time", f"{mod['seconds']:.3f} s (cpu {mod['cpu_seconds']:.3f})",
        "medium_year_wall_seconds")
    if nat is None:
        row("3 national year, 1 core: wall time", "skipped", "national_wall_seconds")
        row("  national year: peak RSS", "skipped", "national_peak_rss_bytes")
    else:
        row(f"3 national year, 1 core: wall time (best of {nat.get('runs', 1)})",
            f"{nat['wall_seconds']:.1f} s (cpu {nat['cpu_seconds']:.1f})",
            "national_wall_seconds")
        if nat.get("runs", 1) > 1:
            row("  national year: every run",
                ", ".join(f"{t:.1f}" for t in nat["wall_seconds_all"]) + " s")
        row("  national year: peak RSS", _fmt_bytes(nat["peak_rss_bytes"]),
            "national_peak_rss_bytes")
        row("  national year: citizens, talks",
            f"{nat['citizens']:,.0f}, {nat['talks']:,.0f}")
        row("  national year: talks/s", f"{nat['talks'] / nat['wall_seconds']:,.0f}")
    comp = res.get("national_comparison")
    if comp is None:
        row(f"3b national comparison ({COMPARISON_SCENARIO}): wall time", "skipped",
            "national_comparison_wall_seconds")
    else:
        row(f"3b national comparison ({comp['scenario']}, {comp['workers']} workers): wall time",
            f"{comp['wall_seconds']:.0f} s", "national_comparison_wall_seconds")
        if nat is not None:
            row("  comparison / national year (1 core)",
                f"{comp['wall_seconds'] / nat['wall_seconds']:.2f}")
        row("  comparison: replications, capacity freed",
            f"{comp['replications']}, {comp['capacity_freed_fte']:,.1f} "
            f"± {comp['capacity_freed_half_width'] or 0:,.1f} FTE")
    row(f"4 sweep {sw['runs']} small runs: 1 worker",
        f"{sw['seconds_1_worker']:.2f} s (cpu {sw['cpu_seconds_1_worker']:.2f})")
    row(f"  sweep: {sw['workers']} workers",
        f"{sw['seconds_n_workers']:.2f} s (cpu {sw['cpu_seconds_n_workers']:.2f})")
    row(f"  sweep speed-up ({sw['workers']} workers)", f"{sw['speedup']:.2f}x", "sweep_speedup")
    if sw.get("busy_loop_ceiling"):
        row("  same pool, busy loop: speed-up", f"{sw['busy_loop_ceiling']['speedup']:.2f}x")
    if res.get("queues"):
        for label, value in bench_queues.table_rows(res["queues"]):
            row(label, value)
    headers = ("measure", "value", "target", "status")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(4)]

    def fmt(r):
        return (f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}").rstrip()

    lines.append(fmt(headers))
    lines.append(fmt(tuple("-" * n for n in widths)))
    lines.extend(fmt(r) for r in rows)
    if not sw["identical_results"]:
        lines.append("WARNING: the sweep's results differ between 1 and "
                     f"{sw['workers']} workers")
    met = [t for t in res["targets"] if t["met"] is not None]
    lines.append("")
    lines.append(f"targets met: {sum(t['met'] for t in met)} of {len(met)}"
                 + (f" ({len(res['targets']) - len(met)} not measured)"
                    if len(met) < len(res["targets"]) else ""))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- main
def benchmark(quick: bool = False, skip_national: bool = False, seed: int = 0,
              sweep_runs: int = SWEEP_RUNS, national_runs: int = NATIONAL_RUNS,
              queue_customers: int | None = None) -> dict:
    """Run every part; returns the results (machine, workload, parts, targets, table).

    ``queue_customers``: customers of the desk-queue comparison (default
    ``bench_queues.CUSTOMERS``, ``bench_queues.QUICK_CUSTOMERS`` with ``quick``).
    """
    repeats = 1 if quick else 5
    skip_national = skip_national or quick
    machine = machine_info()

    log("medium year: composing and running once with SimPy events counted")
    cfg, workload = medium_workload()
    log(f"medium year: {workload['citizens']:,} citizens, {workload['talks']:,} talks, "
        f"{workload['caseworkers']} caseworkers, {workload['simpy_events']:,} SimPy events")

    speed_start = machine_speed()
    log(f"1-2 reference (bare SimPy) and model (medium year with event log), alternately: "
        f"best of {repeats}")
    reference, model = interleaved(
        repeats,
        lambda events: reference_talks_per_second(workload["citizens"], workload["talks"],
                                                  workload["caseworkers"], seed, 1,
                                                  events=events),
        lambda: model_talks_per_second(cfg, workload, 1))
    log(f"1 reference: {reference['talks_per_second']:,.0f} talks/s")
    log(f"2 model: {model['talks_per_second']:,.0f} talks/s, {model['seconds']:.3f} s")
    del cfg
    gc.collect()

    national = None
    if skip_national:
        log("3 national year: skipped")
    else:
        log(f"3 national year on one core, in a fresh subprocess each time, best of "
            f"{national_runs} (takes minutes)")
        national = best_national_year(national_runs)
        log(f"3 national year: {national['wall_seconds']:.1f} s "
            f"(all: {', '.join(f'{t:.1f}' for t in national['wall_seconds_all'])} s), "
            f"peak RSS {_fmt_bytes(national['peak_rss_bytes'])}")

    comparison = None
    if skip_national:
        log("3b national comparison: skipped")
    else:
        log(f"3b national comparison: python -m sim scenario={COMPARISON_SCENARIO} "
            "jobcenter=national, every core, an empty baseline cache (takes minutes)")
        comparison = national_comparison()
        log(f"3b national comparison: {comparison['wall_seconds']:.0f} s, "
            f"{comparison['replications']} replications")

    sweep_repeats = 1 if quick else 3
    log(f"4 sweep: {sweep_runs} small runs with 1 worker, then {usable_cores()} workers, "
        f"alternately: best of {sweep_repeats}")
    sweep = sweep_speedup(sweep_runs, repeats=sweep_repeats)
    log(f"4 sweep: speed-up {sweep['speedup']:.2f}x")

    if queue_customers is None:
        queue_customers = bench_queues.QUICK_CUSTOMERS if quick else bench_queues.CUSTOMERS
    log(f"5 desk queues: M/M/{bench_queues.SERVERS} at {bench_queues.UTILISATION:g}, "
        f"{queue_customers:,} customers, the layer, bare SimPy and Ciw alternately: "
        f"best of {repeats}")
    queues = bench_queues.compare_queues(queue_customers, repeats=repeats, seed=seed)
    log("5 desk queues: " + ", ".join(
        f"{r['label']} " + ("skipped" if "skipped" in r else f"{r['customers_per_second']:,.0f}/s")
        for r in queues["rows"].values()))

    ratio = model["talks_per_second"] / reference["talks_per_second"]
    targets = [
        judge("model_to_reference_ratio", ratio),
        judge("medium_year_wall_seconds", model["seconds"]),
        judge("national_wall_seconds", national["wall_seconds"] if national else None),
        judge("national_peak_rss_bytes", national["peak_rss_bytes"] if national else None),
        judge("sweep_speedup", sweep["speedup"], applicable=sweep["workers"] >= 2),
        judge("national_comparison_wall_seconds",
              comparison["wall_seconds"] if comparison else None),
    ]
    res = {"quick": quick, "repeats": repeats, "machine": machine, "workload": workload,
           "reference": reference, "model": {**model, "ratio_to_reference": ratio},
           "national": national, "national_comparison": comparison, "sweep": sweep,
           "queues": queues, "targets": targets,
           "load_average_at_end": load_average(),
           "machine_speed": {"start": speed_start, "end": machine_speed()}}
    res["table"] = format_table(res)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.bench",
        description="Benchmark the simulator against bare SimPy and its performance targets.")
    parser.add_argument("--quick", action="store_true",
                        help="one repetition instead of five, national year skipped")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"JSON results file (default: {DEFAULT_OUT.relative_to(PROJECT_ROOT)}"
                             " in the project folder)")
    parser.add_argument("--skip-national", action="store_true",
                        help="skip the national year and the national comparison (minutes "
                             "long)")
    parser.add_argument("--sweep-runs", type=int, default=SWEEP_RUNS,
                        help=f"runs in the sweep part (default {SWEEP_RUNS})")
    parser.add_argument("--national-runs", type=int, default=NATIONAL_RUNS,
                        help=f"national years timed, the best counted (default {NATIONAL_RUNS})")
    parser.add_argument("--queue-customers", type=int, default=None,
                        help="customers of the desk-queue comparison (default "
                             f"{bench_queues.CUSTOMERS:,}; {bench_queues.QUICK_CUSTOMERS:,} "
                             "with --quick)")
    args = parser.parse_args(argv)
    if args.sweep_runs < 1:
        parser.error("--sweep-runs must be at least 1")
    if args.national_runs < 1:
        parser.error("--national-runs must be at least 1")
    if args.queue_customers is not None and args.queue_customers < 1:
        parser.error("--queue-customers must be at least 1")

    from .output import atomic_write_text

    res = benchmark(quick=args.quick, skip_national=args.skip_national,
                    sweep_runs=args.sweep_runs, national_runs=args.national_runs,
                    queue_customers=args.queue_customers)
    atomic_write_text(args.out, json.dumps(res, indent=2) + "\n")
    print(res["table"])
    log(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
