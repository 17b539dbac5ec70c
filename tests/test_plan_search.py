"""The capacity planner's search (sim.plan.search) on its own: against Erlang C on the queue
layer, and on judges whose answer is known."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from sim.bench_queues import erlang_c, run_around_the_clock
from sim.engine.queues import MINUTES_PER_DAY, ServerPool
from sim.figures import mean_ci
from sim.plan.search import ceiling, least_staff

MEAN_SERVICE = 30.0            # minutes
CUSTOMERS = 20_000             # per replication; the first tenth is a warm-up
REPLICATIONS = 5
WAITED = 1e-7                  # minutes: a longer wait counts as having waited
LOADS = {"reception": 4.0, "desk": 8.0, "phones": 15.0}     # offered load, erlangs


@lru_cache(maxsize=None)
def workload(pool: str, replication: int) -> tuple[list[float], list[float]]:
    """Poisson arrivals (days) and exponential service times (minutes) of one replication: the
    same for every head count (common random numbers)."""
    rng = np.random.default_rng([2013, list(LOADS).index(pool), replication])
    lam = LOADS[pool] / MEAN_SERVICE                          # arrivals per minute
    arrivals = np.cumsum(rng.exponential(1.0 / lam, CUSTOMERS)) / MINUTES_PER_DAY
    return arrivals.tolist(), rng.exponential(MEAN_SERVICE, CUSTOMERS).tolist()


@lru_cache(maxsize=None)
def p_wait_upper_bound(pool: str, servers: int) -> float:
    """The upper end of the 95% CI over the replications of the probability of waiting, for
    ``servers`` servers open around the clock (the textbook M/M/c queue)."""
    shares = []
    for r in range(REPLICATIONS):
        arrivals, minutes = workload(pool, r)
        queue = ServerPool(servers, monitor_from=arrivals[CUSTOMERS // 10])
        run_around_the_clock(queue, arrivals, minutes)
        waits = queue.waits()
        shares.append(sum(w * MINUTES_PER_DAY > WAITED for w in waits) / len(waits))
    return mean_ci(shares).high


def queue_judge(alpha: float, calls: list | None = None):
    """Per pool: is the probability of waiting at most ``alpha`` (upper bound of its CI)?"""
    def judge(staffing, stage):
        if calls is not None:
            calls.append(dict(staffing))
        return {p: p_wait_upper_bound(p, n) <= alpha for p, n in staffing.items()}
    return judge


def erlang_c_staffing(load: float, alpha: float) -> int:
    """The fewest servers whose Erlang C probability of waiting is at most ``alpha``."""
    c = int(math.floor(load)) + 1
    while erlang_c(c, load) > alpha:
        c += 1
    return c


def test_erlang_c_staffing_is_found_for_every_queue_at_once():
    """alpha = 0.2 lies well between Erlang C's probabilities at the answer and one server fewer
    for each load (4: 0.135 / 0.285, 8: 0.14 / 0.245, 15: 0.16 / 0.244), so the simulated
    intervals separate them."""
    alpha = 0.2
    expected = {p: erlang_c_staffing(a, alpha) for p, a in LOADS.items()}
    assert expected == {"reception": 7, "desk": 12, "phones": 20}
    today = {"reception": 5, "desk": 20, "phones": 18}      # too few, too many, too few
    result = least_staff(today, queue_judge(alpha), max_runs=40)
    assert result.status == "planned"
    assert result.plan == expected
    assert result.runs < 20


def test_the_needed_staff_never_falls_when_the_target_rises():
    today = {"reception": 6, "desk": 12, "phones": 20}
    plans = [least_staff(today, queue_judge(alpha)).plan for alpha in (0.4, 0.3, 0.2, 0.1, 0.05)]
    for looser, stricter in zip(plans, plans[1:]):
        assert all(stricter[p] >= looser[p] for p in today), (looser, stricter)
    assert plans[-1] != plans[0]


def test_a_target_that_staff_cannot_reach_is_impossible_after_two_runs():
    """Pool a would need 100 heads (its ceiling from 5 today is 15); pool b is reachable. The
    search stops after today's run and the run with every missing pool at its ceiling."""
    calls = []

    def judge(staffing, stage):
        calls.append(dict(staffing))
        return {"a": staffing["a"] >= 100, "b": staffing["b"] >= 9}
    result = least_staff({"a": 5, "b": 6}, judge)
    assert result.status == "impossible" and result.plan is None
    assert result.impossible == ["a"]
    assert calls == [{"a": 5, "b": 6}, {"a": ceiling(5), "b": ceiling(6)}]


def threshold_judge(need):
    """Pool p meets its target from ``need(staffing)[p]`` heads on."""
    def judge(staffing, stage):
        n = need(staffing)
        return {p: staffing[p] >= n[p] for p in staffing}
    return judge


def test_pools_that_interact_are_planned_together_and_checked():
    """Pool b needs more staff when pool a is small (a's unfinished work lands on b); the probes
    see b with a at probe values, and the check at the end finds the least plan."""
    def need(s):
        return {"a": 10, "b": 6 + max(0, 10 - s["a"])}
    result = least_staff({"a": 4, "b": 3}, threshold_judge(need))
    assert result.status == "planned" and result.plan == {"a": 10, "b": 6}


def test_pools_with_spare_staff_are_planned_down_to_their_floor():
    result = least_staff({"a": 12, "b": 3}, threshold_judge(lambda s: {"a": 0, "b": 1}),
                         floor={"a": 1, "b": 1})
    assert result.plan == {"a": 1, "b": 1}


def test_the_budget_ends_the_search_with_the_cheapest_staffing_that_met_every_target():
    need = {"a": 17, "b": 9}
    result = least_staff({"a": 15, "b": 12}, threshold_judge(lambda s: need), max_runs=3,
                         cost={"a": 1.0, "b": 1.0})
    assert result.status == "budget" and result.runs == 3
    passing = [pr.staffing for pr in result.probes if all(pr.verdicts.values())]
    assert passing and result.plan == min(passing, key=lambda s: s["a"] + s["b"])
    assert result.plan["a"] >= 17 and result.plan["b"] >= 9


def test_a_noisy_judge_still_ends_with_a_plan_that_it_judged_as_meeting_every_target():
    """Near its threshold a simulated judge may pass at n and fail at n + 1; the search must
    end, and its plan is a staffing that was judged to meet every target."""
    rng = np.random.default_rng(7)
    noise = {}

    def judge(staffing, stage):
        key = tuple(sorted(staffing.items()))
        if key not in noise:
            noise[key] = {p: n + rng.normal(0, 1.0) for p, n in staffing.items()}
        return {p: noise[key][p] >= 12 for p in staffing}
    result = least_staff({"a": 8, "b": 20, "c": 12}, judge, max_runs=60)
    assert result.status == "planned"
    verdicts = judge(result.plan, "")
    assert all(verdicts.values())
    assert all(10 <= n <= 15 for n in result.plan.values())


def test_bad_search_settings_are_refused():
    with pytest.raises(ValueError, match="max_runs"):
        least_staff({"a": 1}, threshold_judge(lambda s: {"a": 1}), max_runs=0)
    with pytest.raises(ValueError, match="head count"):
        least_staff({"a": -1}, threshold_judge(lambda s: {"a": 1}))
