"""The desk-queue layer against Ciw and a bare ``simpy.Resource`` on one M/M/c workload.

Three simulators serve exactly the same customers: Poisson arrivals, exponential service,
``servers`` servers, one first-come-first-served line. The arrival gaps and service times are
drawn once with NumPy (outside the timing) and handed to each:

1. **the desk-queue layer** (:class:`sim.engine.queues.ServerPool`) with every server open
   around the clock at full speed (:func:`run_around_the_clock`, the way tests/test_queueing.py
   verifies it against Erlang C): each job is submitted on arrival and routed by the pool;
2. **Ciw** (``ciw.dists.Sequential`` replaying the drawn gaps and service times; Ciw samples a
   service time when service starts, which in FCFS order is arrival order);
3. **a bare** ``simpy.Resource(env, capacity=servers)``: a source process and one generator per
   customer (request, wait, hold for the service time, release).

With one FCFS line the waits do not depend on which free server takes a customer (the
Kiefer-Wolfowitz recursion), so the three must report the same mean wait up to rounding: that is
the check that they simulate the same system. Each mean wait is also set against Erlang C's: one
run of 100,000 customers (the default), started from an empty system with no warm-up removed,
lands within about 10% of it (the waits are strongly autocorrelated); a run of a few thousand
within a few tens of percent.

Wall time covers building each simulator's model, running it and computing the mean wait; the
random draws are not timed. Customers per second = customers / best wall time. Times: Ciw and
SimPy in minutes, the pool in days (its clock; work in minutes), waits reported in minutes.

This module also holds the Erlang C formulas and the around-the-clock driver of the pool, which
tests/test_queueing.py uses for its verification.
"""
from __future__ import annotations

import gc
import importlib
import math
import time
from typing import Callable, Sequence

import numpy as np
import simpy

from .engine.queues import MINUTES_PER_DAY, Job, ServerPool

MEAN_SERVICE_MINUTES = 30.0
SERVERS = 10
UTILISATION = 0.8
CUSTOMERS = 100_000
QUICK_CUSTOMERS = 10_000
SEED = 0
CIW_INSTALL_HINT = "pip install -e '.[bench]'"
SAME_WAIT_TOLERANCE = 1e-9       # relative: the three mean waits agree up to rounding


# ------------------------------------------------------------------------------ Erlang C
def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: the probability that an arrival to an M/M/c queue has to wait.

    With offered load a = lam/mu (erlangs) and c servers, a < c::

        C(c, a) = T / (sum_{k=0}^{c-1} a^k / k!  +  T),    T = (a^c / c!) * c / (c - a)

    computed through the numerically stable Erlang B recursion B(0) = 1,
    B(k) = a B(k-1) / (k + a B(k-1)), and C = c B(c) / (c - a (1 - B(c))).
    An unstable queue (a >= c) makes every arrival wait: 1.0.
    """
    if offered_load >= servers:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return servers * b / (servers - offered_load * (1.0 - b))


def mmc_mean_wait(servers: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: Wq = C(c, lam/mu) / (c mu - lam); infinite if lam >= c mu.

    (M/M/1: Wq = rho / (mu - lam).) Units: the reciprocal of the rates' time unit.
    """
    if lam >= servers * mu:
        return math.inf
    return erlang_c(servers, lam / mu) / (servers * mu - lam)


# ------------------------------------------------------------------------------ the pool's driver
def run_around_the_clock(pool: ServerPool, arrivals: Sequence[float], minutes: Sequence[float],
                         capacity: float = MINUTES_PER_DAY,
                         server_of: Callable[[int], int] | None = None) -> list[Job]:
    """Feed ``pool`` job k arriving at ``arrivals[k]`` (days, non-decreasing) with
    ``minutes[k]`` minutes of work, every server working every day [d, d+1) with ``capacity``
    minutes of work (1440: full speed, the textbook M/G/c queue), until every queue is empty.

    Before a job arriving on or after day d+1 is submitted, every server works day d, so each
    window is served only once the jobs arriving in it are queued. ``server_of(k)`` names the
    server of job k (None: the pool routes every job). Returns the jobs in arrival order.
    """
    c = pool.n
    serve = pool.serve
    submit = pool.submit
    jobs = []
    day = 0
    for k, (a, s) in enumerate(zip(arrivals, minutes)):
        while a >= day + 1:
            for i in range(c):
                serve(i, day, day + 1, capacity)
            day += 1
        job = Job(a, s)
        jobs.append(job)
        submit(job, None if server_of is None else server_of(k))
    while any(pool.queue):
        for i in range(c):
            serve(i, day, day + 1, capacity)
        day += 1
    return jobs


# ------------------------------------------------------------------------------ the workload
def mmc_workload(customers: int, servers: int = SERVERS, utilisation: float = UTILISATION,
                 mean_service_minutes: float = MEAN_SERVICE_MINUTES, seed: int = SEED) -> dict:
    """Draw an M/M/c workload: ``customers`` exponential arrival gaps (minutes) of rate
    utilisation x servers / mean service, and as many exponential service times (minutes).

    Returns the gaps, arrival times (minutes and days), service times (as Python lists, ready
    for every simulator) and the workload's description with Erlang C's mean wait (minutes)
    and probability of waiting.
    """
    if customers < 1 or servers < 1 or mean_service_minutes <= 0:
        raise ValueError("an M/M/c workload needs customers >= 1, servers >= 1 and a positive "
                         "mean service time")
    if not 0 < utilisation < 1:
        raise ValueError(f"utilisation must lie in (0, 1) for a stable queue, got {utilisation}")
    lam = utilisation * servers / mean_service_minutes            # arrivals per minute
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / lam, customers)
    service = rng.exponential(mean_service_minutes, customers)
    arrivals = np.cumsum(gaps)
    return {
        "gaps": gaps.tolist(),
        "arrival_minutes": arrivals.tolist(),
        "arrival_days": (arrivals / MINUTES_PER_DAY).tolist(),
        "service_minutes": service.tolist(),
        "description": {
            "customers": customers,
            "servers": servers,
            "utilisation": utilisation,
            "mean_service_minutes": mean_service_minutes,
            "arrivals_per_minute": lam,
            "seed": seed,
            "erlang_c_mean_wait_minutes": mmc_mean_wait(servers, lam, 1.0 / mean_service_minutes),
            "erlang_c_p_wait": erlang_c(servers, lam * mean_service_minutes),
        },
    }


# ------------------------------------------------------------------------------ the simulators
def desk_queue_layer(work: dict) -> float:
    """The project's desk-queue layer on ``work``: mean wait in minutes."""
    servers = work["description"]["servers"]
    pool = ServerPool(servers)
    run_around_the_clock(pool, work["arrival_days"], work["service_minutes"])
    waits = pool.waits()
    return sum(waits) / len(waits) * MINUTES_PER_DAY


def simpy_resource(work: dict) -> float:
    """A bare ``simpy.Resource`` with one generator per customer on ``work``: mean wait in
    minutes."""
    servers = work["description"]["servers"]
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer(service: float):
        arrived = env.now
        with desk.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source():
        for gap, service in zip(work["gaps"], work["service_minutes"]):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    env.run()
    return sum(waits) / len(waits)


def load_ciw():
    """The ``ciw`` module, or None when it is not installed (``pip install -e '.[bench]'``)."""
    try:
        return importlib.import_module("ciw")
    except ImportError:
        return None


def ciw_queue(work: dict, ciw=None) -> float:
    """Ciw on ``work`` (its gaps and service times replayed by ``ciw.dists.Sequential``; no
    arrivals after the last customer): mean wait in minutes."""
    ciw = ciw or load_ciw()
    if ciw is None:
        raise ImportError(f"ciw is not installed ({CIW_INSTALL_HINT})")
    d = work["description"]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Sequential(work["gaps"] + [math.inf])],
        service_distributions=[ciw.dists.Sequential(work["service_minutes"])],
        number_of_servers=[d["servers"]],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(d["customers"], method="Complete")
    waits = [r.waiting_time for r in sim.get_all_records()]
    if len(waits) != d["customers"]:
        raise RuntimeError(f"Ciw served {len(waits)} customers, not {d['customers']}")
    return sum(waits) / len(waits)


SIMULATORS = {
    "desk_queue_layer": ("desk-queue layer", desk_queue_layer),
    "simpy_resource": ("bare simpy.Resource", simpy_resource),
    "ciw": ("Ciw", ciw_queue),
}


# ------------------------------------------------------------------------------ the comparison
def compare_queues(customers: int = CUSTOMERS, repeats: int = 5, servers: int = SERVERS,
                   utilisation: float = UTILISATION, seed: int = SEED,
                   mean_service_minutes: float = MEAN_SERVICE_MINUTES) -> dict:
    """Time the three simulators on one M/M/c workload, alternately (one run of each per round,
    ``repeats`` rounds, each keeping its best), so all meet the same machine conditions.

    Returns ``workload`` (its description, with Erlang C's mean wait), ``rows`` (per simulator:
    best, all and CPU seconds, customers per second, mean wait in minutes and its deviation from
    Erlang C; Ciw's row is ``{"skipped": ...}`` when ciw is not installed), ``ratios`` (the
    layer's customers per second over SimPy's and over Ciw's, None when Ciw is skipped) and
    ``same_mean_wait`` (the simulators' mean waits agree up to rounding).
    """
    work = mmc_workload(customers, servers, utilisation, mean_service_minutes, seed)
    d = work["description"]
    ciw = load_ciw()
    names = [n for n in SIMULATORS if n != "ciw" or ciw is not None]
    times: dict[str, list[float]] = {n: [] for n in names}
    cpus: dict[str, list[float]] = {n: [] for n in names}
    waits: dict[str, float] = {}
    for _ in range(max(1, repeats)):
        for n in names:
            fn = SIMULATORS[n][1]
            gc.collect()
            c0 = time.process_time()
            t0 = time.perf_counter()
            waits[n] = fn(work, ciw) if n == "ciw" else fn(work)
            times[n].append(time.perf_counter() - t0)
            cpus[n].append(time.process_time() - c0)
    del work
    expected = d["erlang_c_mean_wait_minutes"]
    rows: dict[str, dict] = {}
    for n in SIMULATORS:
        if n not in names:
            rows[n] = {"label": SIMULATORS[n][0], "skipped": CIW_INSTALL_HINT}
            continue
        best = min(range(len(times[n])), key=times[n].__getitem__)
        seconds = times[n][best]
        rows[n] = {
            "label": SIMULATORS[n][0],
            "seconds": seconds,
            "seconds_all": times[n],
            "cpu_seconds": cpus[n][best],
            "customers": d["customers"],
            "customers_per_second": d["customers"] / seconds if seconds > 0 else math.inf,
            "mean_wait_minutes": waits[n],
            "mean_wait_to_erlang_c": waits[n] / expected - 1.0,
        }
    rows["simpy_resource"]["version"] = _version("simpy")
    if ciw is not None:
        rows["ciw"]["version"] = getattr(ciw, "__version__", None) or _version("ciw")
    layer = rows["desk_queue_layer"]["customers_per_second"]
    ratios = {
        "layer_to_simpy": layer / rows["simpy_resource"]["customers_per_second"],
        "layer_to_ciw": (layer / rows["ciw"]["customers_per_second"]
                         if "skipped" not in rows["ciw"] else None),
    }
    ref = waits["desk_queue_layer"]
    same = all(abs(w - ref) <= SAME_WAIT_TOLERANCE * max(abs(ref), 1e-12)
               for w in waits.values())
    return {"workload": d, "repeats": max(1, repeats), "rows": rows, "ratios": ratios,
            "same_mean_wait": same}


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def table_rows(q: dict) -> list[tuple[str, str]]:
    """The comparison's lines of the bench table: (measure, value)."""
    d = q["workload"]
    out = [(f"5 desk queues M/M/{d['servers']} (rho {d['utilisation']:g})",
            f"{d['customers']:,} customers"),
           ("  desk queues: Erlang C Wq", f"{d['erlang_c_mean_wait_minutes']:.3f} min")]
    for n, r in q["rows"].items():
        # SimPy's version is in the table's header already
        label = r["label"] + (f" {r['version']}" if n == "ciw" and r.get("version") else "")
        if "skipped" in r:
            out.append((f"  {label}: customers/s", f"skipped ({r['skipped']})"))
            continue
        out.append((f"  {label}: customers/s",
                    f"{r['customers_per_second']:,.0f}, Wq {r['mean_wait_minutes']:.3f} min "
                    f"({100 * r['mean_wait_to_erlang_c']:+.1f}%)"))
    out.append(("  layer / bare SimPy customers/s", f"{q['ratios']['layer_to_simpy']:.2f}"))
    ciw_ratio = q["ratios"]["layer_to_ciw"]
    out.append(("  layer / Ciw customers/s",
                f"{ciw_ratio:.2f}" if ciw_ratio is not None else "skipped"))
    if not q["same_mean_wait"]:
        out.append(("  WARNING: mean waits differ", "not the same system"))
    return out
