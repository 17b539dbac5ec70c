"""Working time: every available staff minute is spent exactly once, and never more.

Per staff type: activity + non-bookable + idle minutes == available minutes. Per pool and day:
worked time fits in the bookable time, and worked + idle + non-bookable == available.
"""
from __future__ import annotations

import pytest

from sim.config import BASELINE_STAFF_TYPES
from sim.domain.staff import is_workday
from sim.results import headline

RUNS = ["baseline_120", "a1_flex_180", "c2_shared_180"]
QB14_AVAILABLE_HOURS = 1428


@pytest.fixture(params=RUNS)
def result(request):
    return request.getfixturevalue(request.param)


def _minutes_by_staff(mapping, staff_type):
    return sum(v for (st, _), v in mapping.items() if st == staff_type)


@pytest.mark.parametrize("staff_type", BASELINE_STAFF_TYPES)
def test_activity_non_bookable_and_idle_minutes_add_up_to_available_minutes(result, staff_type):
    c = result.counters
    available = c.available_minutes[staff_type]
    assert available > 0
    spent = (_minutes_by_staff(c.activity_minutes, staff_type)
             + _minutes_by_staff(c.non_bookable_minutes, staff_type)
             + c.idle_minutes[staff_type])
    assert spent == pytest.approx(available, rel=1e-9)


@pytest.mark.parametrize("staff_type", BASELINE_STAFF_TYPES)
def test_idle_minutes_are_never_negative(result, staff_type):
    assert result.counters.idle_minutes[staff_type] >= 0


def test_caseworkers_do_casework(result):
    # guards the identity above against a run in which nothing is ever worked
    c = result.counters
    assert c.activity_minutes[("caseworker", "talk")] > 0
    assert _minutes_by_staff(c.activity_minutes, "caseworker") > 0.2 * c.available_minutes[
        "caseworker"]


def test_non_bookable_minutes_are_the_budgeted_share_of_available_minutes(result):
    c = result.counters
    for pool in result.pools.values():
        assert 0 < pool.non_bookable_share < 1
    for st in BASELINE_STAFF_TYPES:
        pools = [p for p in result.pools.values() if p.staff_type == st]
        expected = sum(sum(p.day_available) * p.non_bookable_share for p in pools)
        assert _minutes_by_staff(c.non_bookable_minutes, st) == pytest.approx(expected, rel=1e-9)


def test_each_non_bookable_line_gets_its_budgeted_hours_per_staff_member(result):
    # e.g. 52 h of sparring per caseworker-year, plus a pool's own extra lines (the sickness
    # pool spars 62 h more), scaled to the horizon
    cfg = result.cfg
    years = cfg.horizon_days / 365.0
    lines = cfg.model.working_time.non_bookable_hours
    assert lines
    pool_specs = cfg.jobcenter.caseworker_pools
    for st, budget in lines.items():
        pools = [p for p in result.pools.values() if p.staff_type == st]
        expected: dict[str, float] = {}
        for p in pools:
            extra = pool_specs[p.name].extra_non_bookable_hours if p.name in pool_specs else {}
            for line in set(budget) | set(extra):
                hours = budget.get(line, 0.0) + extra.get(line, 0.0)
                expected[line] = expected.get(line, 0.0) + p.n * hours * 60.0 * years
        for line, minutes in expected.items():
            got = result.counters.non_bookable_minutes.get((st, line), 0.0)
            assert got == pytest.approx(minutes, rel=1e-9), (st, line)


def test_sickness_caseworkers_spar_more_than_unemployment_insurance_caseworkers(result):
    share = {name: p.non_bookable_share for name, p in result.pools.items()}
    extra = result.cfg.jobcenter.caseworker_pools["sickness"].extra_non_bookable_hours["sparring"]
    available = result.cfg.model.working_time.available_hours
    assert share["sickness"] - share["adp"] == pytest.approx(extra / available, rel=1e-12)


def test_work_per_pool_and_day_fits_in_bookable_time(result):
    for name, p in result.pools.items():
        for day, (avail, worked) in enumerate(zip(p.day_available, p.day_worked)):
            assert worked <= avail * (1 - p.non_bookable_share) + 1e-6, (name, day)


def test_worked_idle_and_non_bookable_minutes_add_up_per_pool_and_day(result):
    for name, p in result.pools.items():
        for day, (avail, worked, idle) in enumerate(
                zip(p.day_available, p.day_worked, p.day_idle)):
            assert idle >= 0, (name, day)
            nb = avail * p.non_bookable_share
            assert worked + idle + nb == pytest.approx(avail, rel=1e-9, abs=1e-6), (name, day)


def test_pools_work_on_weekdays_only(result):
    for name, p in result.pools.items():
        for day, avail in enumerate(p.day_available):
            if not is_workday(day):
                assert avail == 0 and p.day_worked[day] == 0, (name, day)
            elif p.n:
                assert avail > 0, (name, day)


def test_pool_day_series_add_up_to_the_staff_type_counters(result):
    c = result.counters
    for st in BASELINE_STAFF_TYPES:
        pools = [p for p in result.pools.values() if p.staff_type == st]
        assert sum(sum(p.day_available) for p in pools) == pytest.approx(
            c.available_minutes[st], rel=1e-9)
        assert sum(sum(p.day_idle) for p in pools) == pytest.approx(
            c.idle_minutes[st], rel=1e-9)


def test_hours_available_per_fte_over_a_year_equal_the_working_time_budget(baseline_365):
    h = headline(baseline_365)["hours_available_per_fte"]
    budget = baseline_365.cfg.model.working_time.available_hours
    assert h == pytest.approx(budget, abs=1e-6)
    # QB14's 1,428 h. The configured budget is 1924 - 417 - 78 = 1,429 h, hence the 1 h slack.
    assert abs(h - QB14_AVAILABLE_HOURS) <= 1 + 1e-6


def test_every_scheduled_staff_member_gets_the_full_yearly_budget(baseline_365):
    budget_minutes = baseline_365.cfg.model.working_time.available_hours * 60.0
    for name, p in baseline_365.pools.items():
        if p.n:
            assert sum(p.day_available) / p.n == pytest.approx(budget_minutes, rel=1e-9), name


def test_configured_working_time_budget_is_qb14s_1428_hours(default_config):
    assert default_config.model.working_time.available_hours == QB14_AVAILABLE_HOURS
