"""Queueing theory against the staff pools' desk queues (``sim.engine.queues.ServerPool``).

With every server working around the clock at full speed (a window of one day holding 1440
minutes of work), a :class:`ServerPool` fed Poisson arrivals and routing every job itself is the
textbook M/G/c queue with one first-come-first-served line (Kiefer-Wolfowitz). This module checks:

1. **The formulas** used as the reference, against textbook special cases: Erlang C (probability
   of waiting and mean wait in queue Wq of M/M/c) and Pollaczek-Khinchine (Wq of M/G/1).
2. **The pool against the formulas.** Each case runs R independent replications (fixed seeds,
   so the module is deterministic) of n customers from an empty pool; the first 10% of arrivals
   are a warm-up (``monitor_from``). Over the replications a 95% Student-t confidence interval is
   formed for the mean wait, for P(wait) and for the time-average queue length Lq
   (``queue_statistics``); the analytic value must lie inside. M/M/c covers 1-20 servers at
   utilisation 0.2-0.95; M/D/1 and M/G/1 (uniform service) are checked against Pollaczek-Khinchine.
3. **Power: the check can fail.** The same replications must *reject* Erlang C for one server
   more or one fewer, and the M/M/1 run the M/D/1 formula (and vice versa); a pool that routes
   round robin, and one whose servers work 10% slow, must fail the Erlang C check; every
   interval must be narrow enough (mean wait: half-width <= 15% of the value; P(wait): <= 0.02)
   that a model error of that size cannot hide in it.
4. **Little's law on the pool**: ``queue_statistics`` gives mean_queue_length = arrival_rate x
   mean_wait (exactly from ``monitor_from``, within 1% on an interior window).
5. **Routing, job by job**: at full speed every job starts exactly when it would in one FCFS
   line in front of c servers (Kiefer-Wolfowitz), also below full speed; servers working in
   8-hour windows keep routed jobs' waits (in working minutes) within 25% of one FCFS line.
6. **Servers that work in windows** (8 hours a day): work is conserved, no job starts before it
   arrives or outside a window, no window holds more than its capacity, a server with work
   waiting never idles, and a job given to a named server stays with it, in FIFO order.

Each interval is a 95% interval, so a correct pool misses about one interval in twenty by
chance: the CI version has 27 (9 cases x 3 correlated measures) and passes with the fixed seeds.
After changing a case, its size or ``BASE_SEED``, a single miss is not yet evidence of a fault:
run the thorough version, whose intervals are about four times narrower, before suspecting the
pool. The default run is sized for CI (about 25 s on two cores). ``SIM_THOROUGH=1`` adds a thorough
version: 30 replications, four times the customers and more cases (about 10 minutes); without it
those tests are skipped. ``python -m tests.test_queueing [--thorough]`` (from the project root)
prints the table of docs/verification_queueing.md. Times in days, work in minutes throughout.
"""
from __future__ import annotations

import heapq
import math
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest
from scipy import stats

from sim.bench_queues import erlang_c, mmc_mean_wait, run_around_the_clock
from sim.engine.queues import MINUTES_PER_DAY, Job, ServerPool

THOROUGH = os.environ.get("SIM_THOROUGH") == "1"
THOROUGH_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(not THOROUGH, reason="thorough queueing verification (about 10 minutes): "
                                            "run with SIM_THOROUGH=1"),
]

BASE_SEED = 2013
MEAN_SERVICE = 30.0          # minutes, every case
WARM_UP_SHARE = 0.1          # of the arrivals, not monitored
LEVEL = 0.95                 # confidence level of every interval
WAITED = 1e-7                # minutes: a wait above this counts as having waited
CI_REPLICATIONS = 10
THOROUGH_REPLICATIONS = 30
RESOLUTION_WAIT = 0.15       # max CI half-width of the mean wait, relative to the analytic value
RESOLUTION_P_WAIT = 0.02     # max CI half-width of P(wait), absolute
GAMMA_SHAPE = 0.5            # gamma service of the thorough M/G/1 case: cv^2 = 1/shape = 2


# ------------------------------------------------------------------------------ formulas
# Erlang C (erlang_c, mmc_mean_wait) and the pool's around-the-clock driver live in
# sim/bench_queues.py, shared with the benchmark's desk-queue comparison.
def mg1_mean_wait(lam: float, mean_service: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of M/G/1: Wq = lam E[S^2] / (2 (1 - rho)),
    rho = lam E[S]; infinite if rho >= 1. M/D/1: E[S^2] = s^2; exponential: E[S^2] = 2 s^2."""
    rho = lam * mean_service
    if rho >= 1.0:
        return math.inf
    return lam * second_moment / (2.0 * (1.0 - rho))


def t_interval(values, level: float = LEVEL) -> tuple[float, float]:
    """Student-t confidence interval for the mean of independent replications."""
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + level / 2.0, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


# ------------------------------------------------------------------------------ cases
SERVICES = ("exponential", "deterministic", "uniform", "gamma")


@dataclass(frozen=True)
class Case:
    """An M/G/c queue: ``servers``, utilisation ``rho``, service law, customers per replication
    and replications."""

    servers: int
    rho: float
    customers: int
    service: str = "exponential"
    replications: int = CI_REPLICATIONS

    @property
    def id(self) -> str:
        law = {"exponential": "M", "deterministic": "D"}.get(self.service, "G")
        extra = "" if law != "G" else f"-{self.service}"
        return f"M/{law}/{self.servers}{extra}-rho{self.rho:g}"

    @property
    def lam(self) -> float:
        """Arrivals per minute."""
        return self.rho * self.servers / MEAN_SERVICE

    def service_moments(self) -> tuple[float, float]:
        """E[S], E[S^2] (minutes, minutes^2)."""
        s = MEAN_SERVICE
        second = {"exponential": 2.0 * s * s, "deterministic": s * s,
                  "uniform": (2.0 * s) ** 2 / 3.0,                   # U(0, 2s)
                  "gamma": s * s * (1.0 + 1.0 / GAMMA_SHAPE)}[self.service]
        return s, second

    def analytic_mean_wait(self, servers: int | None = None) -> float:
        """Wq in minutes (Erlang C for exponential service, else Pollaczek-Khinchine, c = 1);
        ``servers`` replaces the case's number of servers at the same arrival rate."""
        c = self.servers if servers is None else servers
        if self.service == "exponential":
            return mmc_mean_wait(c, self.lam, 1.0 / MEAN_SERVICE)
        assert c == 1, "Pollaczek-Khinchine is for one server"
        return mg1_mean_wait(self.lam, *self.service_moments())

    def analytic_p_wait(self, servers: int | None = None) -> float:
        """P(wait): Erlang C for M/M/c; rho for any M/G/1 (an arrival waits iff the server is
        busy, and Poisson arrivals see time averages)."""
        c = self.servers if servers is None else servers
        if self.service == "exponential":
            return erlang_c(c, self.lam * MEAN_SERVICE)
        assert c == 1
        return self.rho

    def analytic_queue_length(self) -> float:
        """Lq = lam Wq (Little's law; dimensionless)."""
        return self.lam * self.analytic_mean_wait()


# Customers per replication grow with the variance of the mean wait (heavy traffic, many servers).
MMC_CASES = [
    Case(1, 0.2, 20_000), Case(1, 0.5, 40_000), Case(2, 0.8, 60_000), Case(3, 0.5, 60_000),
    Case(5, 0.9, 100_000), Case(10, 0.7, 40_000), Case(20, 0.95, 150_000),
]
MG1_CASES = [Case(1, 0.7, 30_000, "deterministic"), Case(1, 0.6, 30_000, "uniform")]
THOROUGH_MMC_CASES = [
    Case(c.servers, c.rho, 4 * c.customers, replications=THOROUGH_REPLICATIONS) for c in MMC_CASES
] + [Case(1, 0.8, 400_000, replications=THOROUGH_REPLICATIONS),
     Case(4, 0.95, 800_000, replications=THOROUGH_REPLICATIONS),
     Case(50, 0.9, 200_000, replications=THOROUGH_REPLICATIONS)]
THOROUGH_MG1_CASES = [
    Case(c.servers, c.rho, 4 * c.customers, c.service, THOROUGH_REPLICATIONS) for c in MG1_CASES
] + [Case(1, 0.9, 800_000, "deterministic", THOROUGH_REPLICATIONS),
     Case(1, 0.6, 400_000, "gamma", THOROUGH_REPLICATIONS)]


def _params(ci_cases, thorough_cases):
    return ([pytest.param(c, id=c.id) for c in ci_cases]
            + [pytest.param(c, id=f"thorough-{c.id}", marks=THOROUGH_MARKS)
               for c in thorough_cases])


# ------------------------------------------------------------------------------ simulation
def _service_minutes(rng: np.random.Generator, service: str, n: int) -> np.ndarray:
    s = MEAN_SERVICE
    if service == "exponential":
        return rng.exponential(s, n)
    if service == "deterministic":
        return np.full(n, s)
    if service == "uniform":
        return rng.uniform(0.0, 2.0 * s, n)
    if service == "gamma":
        return rng.gamma(GAMMA_SHAPE, s / GAMMA_SHAPE, n)
    raise ValueError(service)


@dataclass(frozen=True)
class Replication:
    mean_wait: float            # minutes, monitored jobs
    p_wait: float
    queue_length: float         # time-average jobs waiting (queue_statistics, monitored span)
    little_gap_exact: float     # |L - lam W| / L over [monitor_from, last arrival)
    little_gap_interior: float  # the same over the middle 80% of that span
    monitored: int              # monitored arrivals
    waits_counted: int          # waits() entries


def simulate(case: Case, replication: int, routing: str = "pool",
             speed: float = 1.0) -> Replication:
    """One replication of ``case``: servers open around the clock, one-day windows holding
    ``speed`` x 1440 minutes of work. ``routing``: "pool" (the pool chooses) or "round_robin"
    (job k named to server k mod c, a deliberately wrong model)."""
    rng = np.random.default_rng([BASE_SEED, case.servers, round(case.rho * 1000),
                                 SERVICES.index(case.service), case.customers, replication])
    n, c = case.customers, case.servers
    arrivals = np.cumsum(rng.exponential(1.0 / case.lam, n)) / MINUTES_PER_DAY
    minutes = _service_minutes(rng, case.service, n)
    first = int(n * WARM_UP_SHARE)
    t0 = float(arrivals[first])
    pool = ServerPool(c, monitor_from=t0)
    run_around_the_clock(pool, arrivals.tolist(), minutes.tolist(), speed * MINUTES_PER_DAY,
                         None if routing == "pool" else (lambda k: k % c))
    waits = np.asarray(pool.waits()) * MINUTES_PER_DAY

    def little_gap(q: dict[str, float]) -> float:
        return abs(q["mean_queue_length"] - q["arrival_rate"] * q["mean_wait"]) \
            / q["mean_queue_length"]

    t1 = float(arrivals[-1])
    span = t1 - t0
    whole = pool.queue_statistics(t0, t1)
    return Replication(
        mean_wait=float(waits.mean()),
        p_wait=float((waits > WAITED).mean()),
        queue_length=whole["mean_queue_length"],
        little_gap_exact=little_gap(whole),
        little_gap_interior=little_gap(pool.queue_statistics(t0 + 0.1 * span, t1 - 0.1 * span)),
        monitored=int((arrivals >= t0).sum()),
        waits_counted=len(waits),
    )


def replications(case: Case, routing: str = "pool", speed: float = 1.0) -> tuple[Replication, ...]:
    """The case's replications, run once per session and shared by every test."""
    return _replications(case, routing, speed)


@lru_cache(maxsize=None)
def _replications(case: Case, routing: str, speed: float) -> tuple[Replication, ...]:
    return tuple(simulate(case, r, routing, speed) for r in range(case.replications))


def interval(case: Case, field: str, routing: str = "pool", speed: float = 1.0):
    return t_interval([getattr(r, field) for r in replications(case, routing, speed)])


def _inside(value: float, ci: tuple[float, float]) -> bool:
    return ci[0] <= value <= ci[1]


# ------------------------------------------------------------------------------ 1. the formulas
def test_erlang_c_reduces_to_the_mm1_textbook_values():
    for rho in (0.1, 0.5, 0.9):
        mu = 1.0 / MEAN_SERVICE
        lam = rho * mu
        assert erlang_c(1, rho) == pytest.approx(rho)                     # P(wait) = rho
        assert mmc_mean_wait(1, lam, mu) == pytest.approx(rho / (mu - lam))


def test_erlang_c_matches_the_mm2_closed_form():
    # M/M/2: P(wait) = 2 rho^2 / (1 + rho), Wq = rho^2 / (mu (1 - rho^2))
    mu = 1.0 / MEAN_SERVICE
    for rho in (0.3, 0.8, 0.95):
        assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho ** 2 / (1 + rho))
        wq = rho ** 2 / (mu * (1 - rho ** 2))
        assert mmc_mean_wait(2, 2 * rho * mu, mu) == pytest.approx(wq)
    assert erlang_c(2, 1.6) == pytest.approx(0.711111, abs=1e-6)


def test_erlang_c_recursion_equals_the_factorial_definition():
    for c, a in ((3, 1.5), (10, 7.0), (20, 19.0), (50, 45.0)):
        tail = a ** c / math.factorial(c) * c / (c - a)
        direct = tail / (sum(a ** k / math.factorial(k) for k in range(c)) + tail)
        assert erlang_c(c, a) == pytest.approx(direct, rel=1e-12)


def test_unstable_queues_wait_forever():
    assert erlang_c(2, 2.0) == 1.0
    assert mmc_mean_wait(2, 2.0, 1.0) == math.inf
    assert mg1_mean_wait(1.0, 1.0, 1.0) == math.inf


def test_pollaczek_khinchine_reduces_to_mm1_for_exponential_service():
    s = MEAN_SERVICE
    for rho in (0.2, 0.7):
        lam = rho / s
        assert mg1_mean_wait(lam, s, 2 * s * s) == pytest.approx(mmc_mean_wait(1, lam, 1 / s))


def test_pollaczek_khinchine_md1_waits_half_as_long_as_mm1():
    s = MEAN_SERVICE
    for rho in (0.2, 0.7, 0.95):
        lam = rho / s
        assert mg1_mean_wait(lam, s, s * s) == pytest.approx(mmc_mean_wait(1, lam, 1 / s) / 2)
    assert mg1_mean_wait(0.7 / s, s, s * s) == pytest.approx(35.0)   # 0.7 * 30 / (2 * 0.3)


def test_student_t_interval_of_known_values():
    lo, hi = t_interval([1.0, 2.0, 3.0])
    half = 4.302652730 * 1.0 / math.sqrt(3)  # t(0.975, df=2) * sd / sqrt(n)
    assert (lo, hi) == pytest.approx((2.0 - half, 2.0 + half))


# ------------------------------------------------------------------------------ 2. pool vs theory
@pytest.mark.parametrize("case", _params(MMC_CASES, THOROUGH_MMC_CASES))
def test_mean_wait_matches_erlang_c(case):
    ci = interval(case, "mean_wait")
    assert _inside(case.analytic_mean_wait(), ci), \
        f"Erlang C Wq {case.analytic_mean_wait():.3f} min outside the 95% CI {ci}"


@pytest.mark.parametrize("case", _params(MMC_CASES, THOROUGH_MMC_CASES))
def test_probability_of_waiting_matches_erlang_c(case):
    ci = interval(case, "p_wait")
    assert _inside(case.analytic_p_wait(), ci), \
        f"Erlang C P(wait) {case.analytic_p_wait():.4f} outside the 95% CI {ci}"


@pytest.mark.parametrize("case", _params(MG1_CASES, THOROUGH_MG1_CASES))
def test_mean_wait_matches_pollaczek_khinchine(case):
    ci = interval(case, "mean_wait")
    assert _inside(case.analytic_mean_wait(), ci), \
        f"Pollaczek-Khinchine Wq {case.analytic_mean_wait():.3f} min outside the 95% CI {ci}"


@pytest.mark.parametrize("case", _params(MG1_CASES, THOROUGH_MG1_CASES))
def test_single_server_probability_of_waiting_is_the_utilisation(case):
    assert _inside(case.rho, interval(case, "p_wait"))


@pytest.mark.parametrize("case", _params(MMC_CASES, THOROUGH_MMC_CASES))
def test_time_average_queue_length_matches_erlang_c(case):
    """Lq from ``queue_statistics`` (time-average jobs waiting) against lam x Wq."""
    ci = interval(case, "queue_length")
    assert _inside(case.analytic_queue_length(), ci), \
        f"Lq {case.analytic_queue_length():.4f} outside the 95% CI {ci}"


@pytest.mark.parametrize("case", _params(MMC_CASES + MG1_CASES,
                                         THOROUGH_MMC_CASES + THOROUGH_MG1_CASES))
def test_queue_statistics_obey_littles_law(case):
    """From ``monitor_from`` every job in the queue arrived in the window, so the time-average
    queue length equals arrival rate x mean wait up to rounding; on an interior window only the
    jobs already waiting at its start differ."""
    for r in replications(case):
        assert r.waits_counted == r.monitored        # every monitored job started, counted once
        assert r.little_gap_exact < 1e-9
        assert r.little_gap_interior < 0.01


# ------------------------------------------------------------------------------ 3. power
@pytest.mark.parametrize("case", _params(MMC_CASES, THOROUGH_MMC_CASES))
def test_check_rejects_erlang_c_for_one_server_more_or_fewer(case):
    wait, p_wait = interval(case, "mean_wait"), interval(case, "p_wait")
    wrong = [case.servers + 1] + ([case.servers - 1] if case.servers > 1 else [])
    for c in wrong:
        assert not _inside(case.analytic_mean_wait(servers=c), wait), f"{c} servers"
        assert not _inside(case.analytic_p_wait(servers=c), p_wait), f"{c} servers"


@pytest.mark.parametrize("case", _params(MMC_CASES + MG1_CASES,
                                         THOROUGH_MMC_CASES + THOROUGH_MG1_CASES))
def test_intervals_are_narrow_enough_to_expose_a_15_percent_error(case):
    lo, hi = interval(case, "mean_wait")
    assert (hi - lo) / 2 <= RESOLUTION_WAIT * case.analytic_mean_wait()
    lo, hi = interval(case, "p_wait")
    assert (hi - lo) / 2 <= RESOLUTION_P_WAIT


def test_check_rejects_the_wrong_service_time_distribution():
    mm1 = next(c for c in MMC_CASES if (c.servers, c.rho) == (1, 0.5))
    md1 = next(c for c in MG1_CASES if c.service == "deterministic")
    as_md1 = Case(1, mm1.rho, mm1.customers, "deterministic")        # Wq half of M/M/1's
    as_mm1 = Case(1, md1.rho, md1.customers)                         # Wq twice M/D/1's
    assert not _inside(as_md1.analytic_mean_wait(), interval(mm1, "mean_wait"))
    assert not _inside(as_mm1.analytic_mean_wait(), interval(md1, "mean_wait"))


POWER_CASE = Case(3, 0.5, 20_000)   # M/M/3: Wq 4.74 min; the wrong pools below wait 8-15 min


def test_check_rejects_a_pool_that_routes_round_robin():
    """Separate queues fed in turn (ignoring who is free) wait about three times as long."""
    assert not _inside(POWER_CASE.analytic_mean_wait(),
                       interval(POWER_CASE, "mean_wait", routing="round_robin"))
    assert not _inside(POWER_CASE.analytic_p_wait(),
                       interval(POWER_CASE, "p_wait", routing="round_robin"))


def test_check_rejects_servers_working_ten_percent_slow():
    """Windows holding 1296 instead of 1440 minutes a day: the queue is not the nominal M/M/3."""
    assert not _inside(POWER_CASE.analytic_mean_wait(),
                       interval(POWER_CASE, "mean_wait", speed=0.9))
    assert not _inside(POWER_CASE.analytic_p_wait(),
                       interval(POWER_CASE, "p_wait", speed=0.9))


# ------------------------------------------------------------------------------ exact routing
def _fcfs_line_starts(arrivals, minutes, servers: int, speed: float = 1.0) -> list[float]:
    """Start days under one FCFS line in front of ``servers`` servers that never stop."""
    free = [0.0] * servers
    starts = []
    for a, s in zip(arrivals, minutes):
        start = max(a, heapq.heappop(free))
        heapq.heappush(free, start + s / speed / MINUTES_PER_DAY)
        starts.append(start)
    return starts


def _always_on_pool_starts(arrivals, minutes, servers: int, speed: float = 1.0) -> list[float]:
    pool = ServerPool(servers, speed=speed)
    jobs = run_around_the_clock(pool, arrivals, minutes, speed * MINUTES_PER_DAY)
    return [j.started for j in jobs]


def _poisson_jobs(servers: int, rho: float, n: int, seed: int):
    rng = np.random.default_rng([BASE_SEED, seed, servers])
    arrivals = np.cumsum(rng.exponential(MEAN_SERVICE / (rho * servers), n)) / MINUTES_PER_DAY
    return arrivals.tolist(), rng.exponential(MEAN_SERVICE, n).tolist()


@pytest.mark.parametrize("servers", [1, 2, 5, 20])
def test_pool_at_full_speed_is_one_fcfs_line_job_by_job(servers):
    """Kiefer-Wolfowitz: every job starts exactly when it would in a single FCFS line."""
    arrivals, minutes = _poisson_jobs(servers, 0.9, 4000, seed=1)
    assert _always_on_pool_starts(arrivals, minutes, servers) == pytest.approx(
        _fcfs_line_starts(arrivals, minutes, servers), abs=1e-9)


def test_pool_below_full_speed_is_one_fcfs_line_job_by_job():
    arrivals, minutes = _poisson_jobs(3, 0.5, 4000, seed=2)
    assert _always_on_pool_starts(arrivals, minutes, 3, speed=0.9) == pytest.approx(
        _fcfs_line_starts(arrivals, minutes, 3, speed=0.9), abs=1e-9)


# ------------------------------------------------------------------------------ 5. working windows
WINDOW = (8 / 24, 16 / 24)      # 08:00-16:00 every day
WINDOW_MINUTES = (WINDOW[1] - WINDOW[0]) * MINUTES_PER_DAY


def _run_in_windows(capacity: float, servers: int = 3, days: int = 40, seed: int = 3,
                    name_every: int | None = 4):
    """Poisson arrivals round the clock (load 0.8 of the windows' capacity); every
    ``name_every``-th job is named to a server (None: none), the rest routed by the pool. Servers
    work 08:00-16:00 with ``capacity`` minutes a window until every job is done. Returns what the
    pool did, for the checks."""
    rng = np.random.default_rng([BASE_SEED, seed])
    per_day = 0.8 * servers * capacity / MEAN_SERVICE
    arrivals = np.sort(rng.uniform(0.0, days, rng.poisson(per_day * days))).tolist()
    minutes = rng.exponential(MEAN_SERVICE, len(arrivals)).tolist()
    pool = ServerPool(servers)
    jobs = [Job(a, s) for a, s in zip(arrivals, minutes)]
    server_of: dict[int, int] = {}                  # id(job) -> server it was submitted to
    order: list[list[Job]] = [[] for _ in range(servers)]
    worked_by: dict[int, dict[int, float]] = {id(j): {} for j in jobs}
    finished: dict[int, float] = {}
    windows = []                                    # (server, start, end, worked, must_be_full)
    k = 0
    day = 0
    while k < len(jobs) or any(pool.queue):
        start, end = day + WINDOW[0], day + WINDOW[1]
        while k < len(jobs) and jobs[k].requested < end:
            named = None if name_every is None or k % name_every else (k // name_every) % servers
            i = pool.submit(jobs[k], named)
            assert named is None or i == named
            server_of[id(jobs[k])] = i
            order[i].append(jobs[k])
            k += 1
        for i in range(servers):
            def on_work(job, w, i=i):
                worked_by[id(job)][i] = worked_by[id(job)].get(i, 0.0) + w

            def on_finish(job, t):
                finished[id(job)] = t

            worked = pool.serve(i, start, end, capacity, on_work, on_finish)
            # a job that arrived by the window's start and is still queued: the server never idled
            full = bool(pool.queue[i]) and pool.queue[i][0].requested <= start
            windows.append((i, start, end, worked, full))
        day += 1
        assert day < days + 100, "the pool does not empty"
    return pool, jobs, server_of, order, worked_by, finished, windows


@pytest.mark.parametrize("capacity", [WINDOW_MINUTES, WINDOW_MINUTES / 2],
                         ids=["full-speed", "half-speed"])
def test_servers_working_in_windows_conserve_work(capacity):
    pool, jobs, server_of, order, worked_by, finished, windows = _run_in_windows(capacity)
    assert len(finished) == len(jobs) and all(j.remaining <= 1e-9 for j in jobs)
    for j in jobs:
        assert sum(worked_by[id(j)].values()) == pytest.approx(j.minutes, abs=1e-6)
    assert sum(w[3] for w in windows) == pytest.approx(sum(j.minutes for j in jobs), rel=1e-12)
    assert max(abs(b) for b in pool.backlog) < 1e-6
    for _, _, _, worked, full in windows:
        assert worked <= capacity + 1e-9                 # never more than the window's capacity
        if full:
            assert worked == pytest.approx(capacity)     # and all of it while work is waiting


@pytest.mark.parametrize("capacity", [WINDOW_MINUTES, WINDOW_MINUTES / 2],
                         ids=["full-speed", "half-speed"])
def test_jobs_start_after_arrival_inside_a_window_at_the_windows_speed(capacity):
    _, jobs, _, _, _, finished, _ = _run_in_windows(capacity)
    clock_minutes_per_work_minute = WINDOW_MINUTES / capacity
    for j in jobs:
        assert j.started >= j.requested
        into_day = j.started - math.floor(j.started)
        assert WINDOW[0] - 1e-9 <= into_day < WINDOW[1]
        done = finished[id(j)]
        if math.floor(done) == math.floor(j.started) and done - math.floor(done) <= WINDOW[1]:
            assert (done - j.started) * MINUTES_PER_DAY == pytest.approx(
                j.minutes * clock_minutes_per_work_minute, abs=1e-6)


@pytest.mark.parametrize("capacity", [WINDOW_MINUTES, WINDOW_MINUTES / 2],
                         ids=["full-speed", "half-speed"])
def test_jobs_stay_with_their_server_in_fifo_order(capacity):
    _, jobs, server_of, order, worked_by, finished, _ = _run_in_windows(capacity)
    for j in jobs:
        assert set(worked_by[id(j)]) == {server_of[id(j)]}       # only its own server worked on it
    for queue in order:
        for before, after in zip(queue, queue[1:]):
            assert after.started >= finished[id(before)] - 1e-12  # one job at a time, in order


def _open_minutes_before(t: float) -> float:
    """Window minutes (08:00-16:00 every day) before day ``t``: the servers' working time."""
    day = math.floor(t)
    into = min(max(t - day - WINDOW[0], 0.0), WINDOW[1] - WINDOW[0])
    return (day * (WINDOW[1] - WINDOW[0]) + into) * MINUTES_PER_DAY


def test_routed_jobs_wait_as_in_one_fcfs_line_when_servers_work_in_windows():
    """Servers sharing 8-hour windows at full speed are, in working time, servers that never stop:
    one FCFS line in front of them is the Kiefer-Wolfowitz recursion on working-time arrivals.
    The pool's routed jobs should wait about as long (within 25%), in working minutes."""
    _, jobs, *_ = _run_in_windows(WINDOW_MINUTES, name_every=None)
    arrivals = [_open_minutes_before(j.requested) for j in jobs]
    pool_wait = np.mean([_open_minutes_before(j.started) - a for j, a in zip(jobs, arrivals)])
    line_starts = _fcfs_line_starts([a / MINUTES_PER_DAY for a in arrivals],
                                    [j.minutes for j in jobs], 3)
    line_wait = np.mean([s * MINUTES_PER_DAY - a for s, a in zip(line_starts, arrivals)])
    assert pool_wait <= 1.25 * line_wait


def test_a_job_named_to_a_busy_server_waits_for_it_while_another_is_idle():
    pool = ServerPool(2)
    first, second = Job(0.0, 60.0), Job(0.0, 30.0)
    assert pool.submit(first, 0) == 0
    assert pool.submit(second, 0) == 0
    assert pool.serve(1, 0.0, 1.0, MINUTES_PER_DAY) == 0.0
    assert pool.serve(0, 0.0, 1.0, MINUTES_PER_DAY) == pytest.approx(90.0)
    assert second.started * MINUTES_PER_DAY == pytest.approx(60.0)
    assert pool.waits() == pytest.approx([0.0, 60.0 / MINUTES_PER_DAY])


# ------------------------------------------------------------------------------ the docs table
def _ci(ci: tuple[float, float], digits: int) -> str:
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _table(mmc_cases, mg1_cases) -> str:
    """Markdown: every case's analytic values against the 95% intervals of the replications."""
    rows = ["| case | customers x replications | Wq analytic (min) | Wq 95% CI (min) "
            "| CI half-width | P(wait) analytic | P(wait) 95% CI | Lq analytic | Lq 95% CI |",
            "|---|---|---|---|---|---|---|---|---|"]
    for case in mmc_cases + mg1_cases:
        w, p, q = (interval(case, f) for f in ("mean_wait", "p_wait", "queue_length"))
        theory = "Erlang C" if case.service == "exponential" else "P-K"
        half = (w[1] - w[0]) / 2 / case.analytic_mean_wait()
        rows.append(
            f"| {case.id} ({theory}) | {case.customers:,} x {case.replications} "
            f"| {case.analytic_mean_wait():.3f} | {_ci(w, 3)} | {100 * half:.1f}% "
            f"| {case.analytic_p_wait():.4f} | {_ci(p, 4)} "
            f"| {case.analytic_queue_length():.4f} | {_ci(q, 4)} |")
    return "\n".join(rows)


def _power_table(mmc_cases, mg1_cases) -> str:
    """Markdown: wrong reference values (or wrong pools) against the intervals; all must miss."""
    rows = ["| simulated | compared with | Wq reference (min) | Wq 95% CI (min) "
            "| P(wait) reference | P(wait) 95% CI |", "|---|---|---|---|---|---|"]

    def row(what, against, case, wait, p_wait, **variant):
        w, p = interval(case, "mean_wait", **variant), interval(case, "p_wait", **variant)
        rows.append(f"| {what} | {against} | {wait:.3f} | {_ci(w, 3)} | "
                    + (f"{p_wait:.4f} | {_ci(p, 4)} |" if p_wait is not None else "- | - |"))

    for case in mmc_cases:
        for c in [case.servers + 1] + ([case.servers - 1] if case.servers > 1 else []):
            row(case.id, f"Erlang C, {c} servers", case, case.analytic_mean_wait(servers=c),
                case.analytic_p_wait(servers=c))
    mm1 = next(c for c in mmc_cases if (c.servers, c.rho) == (1, 0.5))
    md1 = next(c for c in mg1_cases if c.service == "deterministic" and c.rho == 0.7)
    row(mm1.id, "M/D/1 formula", mm1,
        Case(1, mm1.rho, mm1.customers, "deterministic").analytic_mean_wait(), None)
    row(md1.id, "M/M/1 formula", md1, Case(1, md1.rho, md1.customers).analytic_mean_wait(), None)
    row(f"{POWER_CASE.id}, round-robin routing", "Erlang C", POWER_CASE,
        POWER_CASE.analytic_mean_wait(), POWER_CASE.analytic_p_wait(), routing="round_robin")
    row(f"{POWER_CASE.id}, servers at 90% speed", "Erlang C", POWER_CASE,
        POWER_CASE.analytic_mean_wait(), POWER_CASE.analytic_p_wait(), speed=0.9)
    return "\n".join(rows)


if __name__ == "__main__":
    import sys
    import time

    started = time.perf_counter()
    if "--thorough" in sys.argv:
        print(_table(THOROUGH_MMC_CASES, THOROUGH_MG1_CASES))
        print()
        print(_power_table(THOROUGH_MMC_CASES, THOROUGH_MG1_CASES))
    else:
        print(_table(MMC_CASES, MG1_CASES))
        print()
        print(_power_table(MMC_CASES, MG1_CASES))
    print(f"\n({time.perf_counter() - started:.0f} s)")
