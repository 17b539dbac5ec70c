"""The rulebook applied: talk deadlines (TalkSchedule) and latest-timely booking.

The end-to-end part runs the model with ample sickness-benefit capacity (see
``conftest.AMPLE_SICKNESS_CAPACITY``) so that nothing but the rules decides when a talk is held.
"""
from __future__ import annotations

import dataclasses
import numpy as np
import pandas as pd
import pytest
import simpy

from sim.domain.staff import StaffPool, is_workday
from sim.engine.metrics import Counters, EventLog
from sim.domain.rules import TalkSchedule

SDP_CAT2_INTERVAL = 28


def events(result) -> pd.DataFrame:
    return pd.DataFrame(result.log.columns())


def latest_workday_on_or_before(day: int) -> int:
    while not is_workday(day):
        day -= 1
    return day


# --------------------------------------------------------------------------- TalkSchedule
@pytest.fixture(scope="module")
def schedules(default_config):
    return {g: TalkSchedule(r) for g, r in default_config.rules.groups.items()}


def test_first_talk_of_a_spell_is_due_first_talk_days_after_the_spell_starts(schedules):
    assert schedules["sdp_cat2"].next_due(spell_start=10, last_talk_day=None) == 10 + 56
    assert schedules["adp"].next_due(spell_start=3, last_talk_day=None) == 3 + 14
    assert schedules["kth_job_ready"].next_due(spell_start=0, last_talk_day=None) == 7


def test_sickness_category_2_talks_are_due_every_4_weeks(schedules):
    s = schedules["sdp_cat2"]
    assert s.interval(0) == 28 and s.interval(500) == 28
    assert s.next_due(spell_start=0, last_talk_day=60) == 88
    assert s.next_due(spell_start=100, last_talk_day=130) == 158


def test_category_1_and_3_talks_are_due_every_3_months(schedules):
    assert schedules["sdp_cat1"].next_due(0, 60) == 151
    assert schedules["sdp_cat3"].next_due(0, 60) == 151


def test_fractional_last_talk_day_rounds_the_deadline_down(schedules):
    # initial-stock spells get a fractional "last talk" day; the deadline is a whole day
    assert schedules["sdp_cat2"].next_due(spell_start=-40.0, last_talk_day=-3.4) == 24


def test_job_ready_cash_benefit_cadence_switches_from_42_to_91_days_at_spell_day_91(schedules):
    s = schedules["kth_job_ready"]
    assert s.interval(0) == 42
    assert s.interval(90) == 42
    assert s.interval(90.99) == 42
    assert s.interval(91) == 91
    assert s.interval(400) == 91
    # the interval in force when the previous talk was held decides the next deadline
    assert s.next_due(spell_start=0, last_talk_day=84) == 84 + 42
    assert s.next_due(spell_start=0, last_talk_day=91) == 91 + 91
    assert s.next_due(spell_start=20, last_talk_day=110) == 110 + 42   # spell day 90
    assert s.next_due(spell_start=20, last_talk_day=111) == 111 + 91   # spell day 91


def test_single_phase_cadence_applies_from_day_zero_on(schedules):
    s = schedules["adp"]
    assert [s.interval(d) for d in (0, 1, 90, 91, 1000)] == [91] * 5


# --------------------------------------------------------------------------- appointment book
HORIZON = 60
APPOINTMENT_SHARE = 0.7


@pytest.fixture()
def pool(default_config):
    """A two-member caseworker pool without any absence; every workday has the same room."""
    wt = dataclasses.replace(default_config.model.working_time, planned_absence_days=0,
                             sickness_days=0, summer_holiday_weeks=0)
    p = StaffPool(simpy.Environment(), "test", "caseworker", 2, wt, HORIZON, APPOINTMENT_SHARE,
                  np.random.default_rng(0), Counters(HORIZON), EventLog())
    workdays = sum(is_workday(d) for d in range(HORIZON))
    per_day = wt.available_hours * 60.0 * HORIZON / 365.0 / workdays
    p.room = per_day * (1 - p.non_bookable_share) * APPOINTMENT_SHARE   # appointment minutes/day
    p.talk = 0.6 * p.room          # one such talk fits in a day, two do not
    return p


def test_latest_timely_booking_takes_the_deadline_day_when_it_is_a_free_workday(pool):
    assert is_workday(25)
    assert pool.book_fixed(0, due=25, earliest=10, minutes=pool.talk, latest_timely=True) == 25


def test_latest_timely_booking_moves_a_weekend_deadline_to_the_friday_before(pool):
    assert (26 % 7, 27 % 7) == (5, 6)                      # Saturday, Sunday
    assert pool.book_fixed(0, due=27, earliest=10, minutes=pool.talk, latest_timely=True) == 25
    assert pool.book_fixed(1, due=26, earliest=10, minutes=pool.talk, latest_timely=True) == 25


def test_latest_timely_booking_skips_days_without_room_in_the_caseworkers_book(pool):
    assert pool.book_fixed(0, due=25, earliest=10, minutes=pool.talk, latest_timely=True) == 25
    # day 25 is now too full for member 0: the next talk goes to Thursday
    assert pool.book_fixed(0, due=25, earliest=10, minutes=pool.talk, latest_timely=True) == 24
    # member 1's book is untouched
    assert pool.book_fixed(1, due=25, earliest=10, minutes=pool.talk, latest_timely=True) == 25


def test_booking_without_room_before_the_deadline_takes_the_first_free_day_after_it(pool):
    for d in range(22, 26):                                 # fill Tuesday to Friday
        assert pool.book_fixed(0, due=d, earliest=d, minutes=pool.talk, latest_timely=True) == d
    assert pool.book_fixed(0, due=25, earliest=22, minutes=pool.talk, latest_timely=True) == 28


def test_latest_timely_booking_never_books_before_the_earliest_day(pool):
    # deadline already inside the booking lead time: the earliest allowed day is taken (late)
    assert pool.book_fixed(0, due=12, earliest=15, minutes=pool.talk, latest_timely=True) == 15


def test_earliest_free_booking_takes_the_first_workday_with_room(pool):
    assert (12 % 7, 13 % 7) == (5, 6)
    assert pool.book_fixed(0, due=25, earliest=12, minutes=pool.talk, latest_timely=False) == 14
    assert pool.book_fixed(0, due=25, earliest=12, minutes=pool.talk, latest_timely=False) == 15


def test_shared_booking_takes_the_member_with_most_room_on_the_latest_timely_day(pool):
    small = 0.2 * pool.room
    assert pool.book_fixed(0, due=25, earliest=10, minutes=small, latest_timely=True) == 25
    assert pool.book_shared(due=25, earliest=10, minutes=pool.talk, latest_timely=True,
                            today=5) == (25, 1)
    # member 0 (0.8 of a day's room left) now has more room than member 1 (0.4)
    assert pool.book_shared(due=25, earliest=10, minutes=pool.talk, latest_timely=True,
                            today=5) == (25, 0)
    # nobody has room left on day 25: the day before
    day, _member = pool.book_shared(due=25, earliest=10, minutes=pool.talk, latest_timely=True,
                                    today=5)
    assert day == 24


# --------------------------------------------------------------------------- model run
@pytest.fixture(scope="module")
def cat2_talks(ample_sickness_run):
    df = events(ample_sickness_run)
    return df[(df.group == "sdp_cat2") & (df.activity == "talk")].sort_values(["citizen", "start"])


def test_ample_capacity_run_has_nothing_disturbing_category_2_bookings(ample_sickness_run):
    gc = ample_sickness_run.counters.groups["sdp_cat2"]
    assert gc.talks_held > 300
    assert gc.no_shows == 0
    assert gc.absence_rebookings == 0
    assert gc.talks_missed == 0
    assert max(ample_sickness_run.pools["sickness"].caseload) <= 1


def _follow_up_pairs(cat2_talks):
    pairs = []
    for cid, rows in cat2_talks.groupby("citizen"):
        days = rows["start"].astype(int).tolist()
        pairs.extend((cid, a, b) for a, b in zip(days, days[1:]))
    return pairs


def test_sickness_category_2_talks_are_at_most_4_weeks_apart(cat2_talks):
    pairs = _follow_up_pairs(cat2_talks)
    assert len(pairs) > 300, "too few follow-up talks to test the cadence"
    too_far = [(cid, a, b) for cid, a, b in pairs if b - a > SDP_CAT2_INTERVAL]
    assert too_far == []


def test_sickness_category_2_follow_up_talks_are_booked_at_the_latest_timely_date(
        cat2_talks, ample_sickness_run):
    # the latest timely date less the booking margin (the margin leaves room to rebook)
    margin = ample_sickness_run.cfg.model.talks.booking_margin_days
    assert margin > 0
    pairs = _follow_up_pairs(cat2_talks)
    assert len(pairs) > 300
    planned = {a: latest_workday_on_or_before(a + SDP_CAT2_INTERVAL - margin) for _, a, _ in pairs}
    wrong = [(cid, a, b, planned[a]) for cid, a, b in pairs if b != planned[a]]
    assert wrong == [], f"{len(wrong)} of {len(pairs)} follow-ups not on the planned day"
    # 28 days less a 7-day margin is whole weeks, so after a talk held on a weekday the planned
    # day is a weekday too and the follow-up lands exactly 21 days later; the weekend case is
    # covered by the pool tests.
    assert all(b - a == SDP_CAT2_INTERVAL - margin for _, a, b in pairs)


def test_sickness_category_2_talks_are_all_on_time_with_ample_capacity(cat2_talks):
    assert len(cat2_talks) > 300
    assert (cat2_talks["on_time"] == 1).all()


def test_talks_of_the_initial_stock_due_in_the_first_week_are_held_on_time(cat2_talks):
    # the stock at t0 had its next talk booked before the run began: the booking lead time of
    # new invitations does not make these talks late
    first_week = cat2_talks[cat2_talks["start"] < 7]
    assert len(first_week) > 10
    assert (first_week["on_time"] == 1).all()


@pytest.mark.parametrize("run_fixture", ["baseline_120", "ample_sickness_run"])
def test_talks_are_held_only_on_working_days(run_fixture, request):
    df = events(request.getfixturevalue(run_fixture))
    talk_days = df.loc[df.activity.isin(["talk", "no_show"]), "start"].astype(int)
    assert len(talk_days) > 0
    assert talk_days.map(is_workday).all()


def test_talk_longer_than_a_days_appointment_time_is_still_held(ample_sickness_run):
    # every sickness citizen has a caseworker of their own; nothing should ever be missed
    gc = ample_sickness_run.counters.groups
    assert sum(gc[g].talks_missed for g in ("sdp_cat1", "sdp_cat2", "sdp_cat3")) == 0


def test_a_talk_longer_than_a_days_appointment_time_takes_an_empty_day_and_desk_time(pool):
    minutes = pool.room + 30.0              # cannot fit in one day's appointment time
    day = pool.book_fixed(0, due=25, earliest=10, minutes=minutes, latest_timely=True)
    assert day == 25
    assert pool.appt[25][0] == pytest.approx(0.0)
    desk_before = pool.desk[24][0]
    assert pool.desk[25][0] == pytest.approx(desk_before - 30.0)
    pool.release(25, 0, minutes)            # cancelling gives both parts back
    assert pool.appt[25][0] == pytest.approx(pool.room)
    assert pool.desk[25][0] == pytest.approx(desk_before)


def test_a_long_talk_skips_days_that_already_hold_an_appointment(pool):
    pool.book_fixed(0, due=25, earliest=10, minutes=pool.talk, latest_timely=True)
    day = pool.book_fixed(0, due=25, earliest=10, minutes=pool.room + 30.0, latest_timely=True)
    assert day == 24
