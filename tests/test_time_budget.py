"""The baseline's time adds up: required work first, elastic work takes the rest, nothing is
dropped unseen (docs/time_budget.md)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim.configure import compose
from sim.domain.booking import AppointmentBooking
from sim.domain.talks import Booking, DailyRound
from sim.model import run
from sim.results import TIME_BUDGET_LINES, headline

SMALL = ("jobcenter=small", "warmup_days=0", "horizon_days=120", "event_log=false",
         "progress=false")


def _run(*overrides):
    cfg, _ = compose([*SMALL, *overrides])
    return run(cfg)


@pytest.fixture(scope="module")
def small():
    return _run()


def test_every_available_hour_is_in_exactly_one_line(small):
    h = headline(small)
    for st, available in h["available_hours"].items():
        if not available:
            continue
        lines = h["line_hours"][st]
        assert set(lines) == set(TIME_BUDGET_LINES)
        assert sum(lines.values()) == pytest.approx(available, rel=1e-9)
        # used = required + elastic; the rest is non-bookable or unused
        used = h["required_work_hours"][st] + sum(h["elastic_work_hours"][st].values())
        assert used == pytest.approx(h["used_hours"][st], rel=1e-9)


def test_elastic_work_takes_the_slack_so_little_is_idle(small):
    h = headline(small)
    for st in ("caseworker", "company_consultant", "admin_staff"):
        assert h["idle_hours"][st] <= 0.02 * h["available_hours"][st]
        assert sum(h["elastic_work_hours"][st].values()) > 0


def test_elastic_work_gives_way_when_required_work_grows(small):
    busier = _run(*(f"model.groups.{g}.unplanned_contacts_per_month=3.0"
                    for g in ("adp", "kth_job_ready", "kth_activity_ready")))
    h0, h1 = headline(small), headline(busier)
    assert h1["required_work_hours"]["caseworker"] > h0["required_work_hours"]["caseworker"]
    assert (sum(h1["elastic_work_hours"]["caseworker"].values())
            < sum(h0["elastic_work_hours"]["caseworker"].values()))
    # the same people, the same hours: staff time used hardly moves
    assert h1["used_hours"]["caseworker"] == pytest.approx(h0["used_hours"]["caseworker"],
                                                           rel=0.02)


def test_extra_talks_give_way_to_mandated_talks_and_never_count_as_mandated():
    crowded = _run("jobcenter.caseworker_pools.cash_benefit.caseworkers=13")
    none = _run("jobcenter.caseworker_pools.cash_benefit.caseworkers=13",
                "model.groups.kth_job_ready.extra_talks.share=0",
                "model.groups.kth_activity_ready.extra_talks.share=0")
    g = crowded.counters.groups["kth_activity_ready"]
    assert g.extra_talks_held > 0 and g.extra_talks_displaced > 0
    assert none.counters.groups["kth_activity_ready"].extra_talks_held == 0

    def on_time(r):
        gc = r.counters.groups["kth_activity_ready"]
        return gc.talks_on_time / (gc.talks_held + gc.talks_missed + gc.talks_overdue_at_end)

    # extra talks take only time mandated talks leave: timeliness barely changes
    assert on_time(crowded) == pytest.approx(on_time(none), abs=0.03)


def test_a_colleague_takes_a_mandated_talk_that_the_own_caseworker_cannot_hold_in_time():
    cfg, _ = compose(list(SMALL))
    from sim.model import Model
    model = Model(cfg)
    pool = model.pools["adp"]
    policy = AppointmentBooking(pool, DailyRound(model.env, model.horizon), "latest_timely")
    for d in range(10, 30):                      # member 0 is fully booked days 10-29
        pool.take(d, 0, pool.appt[d][0])
    c = SimpleNamespace(member=0)
    b = Booking(c, 20, 13, 5.0, 30.0, 10.0, 0.0, False)
    policy.reserve(c, b, 7, 5.0)
    assert b.member != 0 and 12 <= b.day <= 20    # in time, by a colleague
    model.release()


def test_unplanned_contacts_nobody_reaches_are_counted_as_unmet():
    swamped = _run("jobcenter.caseworker_pools.adp.caseworkers=1")
    assert swamped.counters.unmet_minutes["unplanned_contact"] > 0
    fine = _run()
    assert fine.counters.unmet_minutes.get("unplanned_contact", 0.0) < \
        swamped.counters.unmet_minutes["unplanned_contact"]


def test_work_for_a_pool_without_staff_is_unmet_not_dropped():
    r = _run("jobcenter.admin_staff=0")
    for activity in ("phone_duty", "booking", "journalising"):
        assert r.counters.unmet_minutes[activity] > 0


def test_case_support_makes_its_share_of_the_bookings(small):
    share = small.cfg.model.case_support.booking_share
    am = small.counters.activity_minutes
    by_support = am[("admin_staff", "booking")] + small.counters.backlog_minutes.get("booking", 0)
    by_caseworkers = am[("caseworker", "booking")]
    assert by_support / (by_support + by_caseworkers) == pytest.approx(share, abs=0.05)


@pytest.mark.slow
def test_the_baselines_backlog_does_not_grow_with_the_length_of_the_run():
    one, two = (_run("jobcenter=medium", f"horizon_days={days}", "warmup_days=182")
                for days in (365, 730))
    b1 = sum(one.counters.backlog_minutes.values())
    b2 = sum(two.counters.backlog_minutes.values())
    required = headline(one)["required_work_hours"]
    assert b2 < 1.5 * b1 + 60 * 100                     # not growing (within 100 hours)
    assert b1 / 60 < 0.01 * sum(required.values())     # and small beside a year's work
