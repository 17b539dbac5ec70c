"""The appointment-book search (StaffPool.book_fixed, book_shared, best_member) against a plain
day-by-day reference.

The pool skips days with the help of bounds on the free minutes (see
``StaffPool._build_search_index``); that must never change which day and member are chosen.
Random sequences of bookings, cancellations, moves and working days in crowded books are run
through both and compared call by call, and the bounds are checked to stay valid.
"""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import simpy

from sim.domain.staff import _BLOCK_SHIFT, _EPS, StaffPool, is_workday
from sim.engine.metrics import Counters, EventLog

HORIZON = 40


class ReferenceBook:
    """The appointment book searched day by day and member by member (the plain algorithm)."""

    def __init__(self, pool: StaffPool):
        self.n, self.n_days = pool.n, pool.n_days
        self.appt_full = list(pool.appt_full)
        self.appt = [list(r) for r in pool.appt]
        self.desk = [list(r) for r in pool.desk]
        self.sick = pool.sick

    def _room(self, day, m, minutes):
        free = self.appt[day][m]
        if free >= minutes:
            return True
        full = self.appt_full[m]
        return minutes > full and free >= full - _EPS and self.desk[day][m] >= minutes - full

    def take(self, day, m, minutes):
        full = self.appt_full[m]
        if minutes > full and self.appt[day][m] < minutes:
            self.appt[day][m] -= full
            self.desk[day][m] -= minutes - full
        else:
            self.appt[day][m] -= minutes

    def release(self, day, m, minutes):
        full = self.appt_full[m]
        if minutes > full and self.appt[day][m] < _EPS:
            self.appt[day][m] += full
            self.desk[day][m] += minutes - full
        else:
            self.appt[day][m] += minutes

    def _search_order(self, due, earliest, latest_timely):
        """Days in the order a booking tries them: back from the deadline to ``earliest``
        (latest timely), or forward from ``earliest``; then forward after the deadline."""
        last = min(due, self.n_days - 1)
        days = []
        if latest_timely:
            days = list(range(last, earliest - 1, -1))
            start = max(earliest, last + 1)
        else:
            start = earliest
        return days + list(range(start, self.n_days))

    def book_fixed(self, member, due, earliest, minutes, latest_timely):
        long = minutes > self.appt_full[member]
        for d in self._search_order(due, earliest, latest_timely):
            if self.appt[d][member] >= minutes or (long and self._room(d, member, minutes)):
                self.take(d, member, minutes)
                return d
        return None

    def best_member(self, day, minutes, today):
        best, room = None, minutes - _EPS
        sick = self.sick[day] if day <= today else None
        for m, free in enumerate(self.appt[day]):
            if free > room and (sick is None or not sick[m]):
                best, room = m, free
        if best is None:
            for m in range(self.n):
                if (minutes > self.appt_full[m] and (sick is None or not sick[m])
                        and self._room(day, m, minutes)):
                    return m
        return best

    def book_shared(self, due, earliest, minutes, latest_timely, today):
        for d in self._search_order(due, earliest, latest_timely):
            m = self.best_member(d, minutes, today)
            if m is not None:
                self.take(d, m, minutes)
                return d, m
        return None

    def work_day(self, day, present):
        for m in range(self.n):
            if present[m]:
                self.appt[day][m] = self.desk[day][m] = 0.0


def make_pool(default_config, members: int, share: float, seed: int) -> StaffPool:
    wt = dataclasses.replace(default_config.model.working_time, sickness_days=25)
    return StaffPool(simpy.Environment(), "test", "caseworker", members, wt, HORIZON, share,
                     np.random.default_rng(seed), Counters(HORIZON), EventLog())


def check_index(pool: StaffPool) -> None:
    """The member-major copy equals ``appt``; the bounds are at or above every free minute."""
    b = 1 << _BLOCK_SHIFT
    for m, row in enumerate(pool._appt_by_member):
        assert row == [pool.appt[d][m] for d in range(pool.n_days)]
        for k, bound in enumerate(pool._block_max[m]):
            assert bound >= max(row[k * b:(k + 1) * b])
    for d, bound in enumerate(pool._day_max):
        assert bound >= max(pool.appt[d])


@pytest.mark.parametrize("seed", range(8))
def test_search_finds_the_same_day_and_member_as_a_day_by_day_search(default_config, seed):
    rnd = random.Random(seed)
    pool = make_pool(default_config, members=rnd.choice([1, 3, 5]),
                     share=rnd.choice([0.3, 0.6]), seed=seed)
    ref = ReferenceBook(pool)
    full = min(pool.appt_full)
    booked = []                                    # (day, member, minutes) held in the book
    for today in range(HORIZON):
        for _ in range(rnd.randint(5, 40)):
            r = rnd.random()
            if r < 0.75 or not booked:
                # short talks, talks of a whole day, longer ones (desk time), zero minutes
                minutes = rnd.choice([rnd.uniform(0.05, 0.7) * full, full,
                                      full * rnd.uniform(1.0, 1.4), 0.0])
                earliest = today + rnd.choice([0, 1, 3, 10])
                due = earliest + rnd.randint(-5, 60)
                latest = rnd.random() < 0.8
                if rnd.random() < 0.5:
                    m = rnd.randrange(pool.n)
                    got = pool.book_fixed(m, due, earliest, minutes, latest)
                    assert got == ref.book_fixed(m, due, earliest, minutes, latest)
                    if got is not None:
                        booked.append((got, m, minutes))
                else:
                    got = pool.book_shared(due, earliest, minutes, latest, today)
                    assert got == ref.book_shared(due, earliest, minutes, latest, today)
                    if got is not None:
                        booked.append((got[0], got[1], minutes))
            elif r < 0.9:                          # a cancelled booking
                day, m, minutes = booked.pop(rnd.randrange(len(booked)))
                pool.release(day, m, minutes)
                ref.release(day, m, minutes)
            else:                                  # moved to whoever has room that day
                day, m, minutes = booked.pop(rnd.randrange(len(booked)))
                pool.release(day, m, minutes)
                ref.release(day, m, minutes)
                alt = pool.best_member(day, minutes, today)
                assert alt == ref.best_member(day, minutes, today)
                if alt is not None:
                    pool.take(day, alt, minutes)
                    ref.take(day, alt, minutes)
                    booked.append((day, alt, minutes))
            assert pool.appt == ref.appt and pool.desk == ref.desk
        if is_workday(today):
            pool._work_day(today, pool.counters, pool.log, pool.name, pool.staff_type)
            ref.work_day(today, pool.present[today])
            booked = [b for b in booked if b[0] > today]
        assert pool.appt == ref.appt and pool.desk == ref.desk
        check_index(pool)
