"""Staff pools and their working time: calendars, caseloads, desk queues and the working day.

Every member of a pool has a calendar of working days (day 0 is a Monday; Saturdays and Sundays
are closed). On a day present, a member's available minutes are split into

* the non-bookable share of the working-time budget (administration, meetings, training, breaks,
  sparring: ``working_time.non_bookable_hours``), spent whatever happens;
* appointment time, into which talks are booked ahead (the appointment book,
  :mod:`sim.domain.appointment_book`);
* desk time, in which unplanned contacts come first, then queued tasks (offer start-up,
  rehabilitation preparation, reassessments) first come, first served during desk hours
  (:class:`sim.engine.queues.ServerPool`, one server per member), then booking work and letters.

Appointment time still unbooked when the day comes is used as desk time; what remains unused is
idle. Hence used + idle = available for every member and day, and work never exceeds time.
Holidays are known ahead (no appointments are booked on them); sickness days are not, so talks
booked on a day the caseworker falls ill have to be moved.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..config import WorkingTime
from ..engine.metrics import NOT_APPLICABLE, Counters, EventLog
from ..engine.queues import Job, ServerPool
from ..engine.streams import Stream
from .appointment_book import _BLOCK_SHIFT, _EPS, AppointmentBook

CALENDAR_MARGIN_DAYS = 400
"""Days of calendar beyond the horizon, so talks falling late can still be booked."""

DESK_OPENS = 8.0 / 24.0
DESK_CLOSES = 16.0 / 24.0
"""Desk work is done between these times of day (fractions of a day): a task queued later in
the day waits for the next working day. Only the order of events depends on them; the minutes
of work a day holds come from the working-time budget."""

TALKS_BEGIN = DESK_OPENS
"""A caseworker's talks of a day (and no-shows, extra talks) follow one another from this time
of day (fraction of a day), in the order the daily round holds them. Only the event log's clock
uses it: which talks a day holds comes from the appointment book."""


def is_workday(day: int) -> bool:
    """Monday to Friday (day 0 is a Monday)."""
    return day % 7 < 5


class DeskTask(Job):
    """A piece of desk work for a citizen: queued at ``requested`` (day), ``minutes`` long.

    ``on_done(day)`` is called with the time the work is finished.
    """

    __slots__ = ("citizen", "group", "activity", "on_done")

    def __init__(self, citizen, group, activity, minutes, requested, on_done):
        super().__init__(requested, minutes)
        self.citizen = citizen
        self.group = group
        self.activity = activity
        self.on_done: Callable[[float], None] | None = on_done


class StaffPool(AppointmentBook):
    """A team of one staff type with calendars, appointment books and desk queues.

    ``appointment_share`` is the share of bookable time open for talk appointments (0 for staff
    who hold no talks).
    """

    def __init__(self, env, name: str, staff_type: str, members: int, wt: WorkingTime,
                 horizon_days: int, appointment_share: float, rng: np.random.Generator,
                 counters: Counters, log: EventLog, measure_from: int = 0,
                 extra_non_bookable: dict[str, float] | None = None,
                 daily_background: dict[str, float] | None = None):
        self.env = env
        self.name = name
        self.staff_type = staff_type
        self.n = members
        self.horizon = horizon_days            # last simulated day + 1 (warm-up included)
        self.measure_from = measure_from       # first day after the warm-up
        self.n_days = horizon_days + CALENDAR_MARGIN_DAYS
        self.counters = counters
        self.log = log
        self.rng = rng
        lines = dict(wt.non_bookable_hours.get(staff_type, {}))
        for line, hours in (extra_non_bookable or {}).items():
            lines[line] = lines.get(line, 0.0) + hours
        total_nb = sum(lines.values())
        if total_nb >= wt.available_hours:
            raise ValueError(f"pool {name}: non-bookable hours leave no bookable time")
        # work each member present does every day whatever else happens (minutes per day)
        self.daily_background = dict(daily_background or {})
        self.non_bookable_share = total_nb / wt.available_hours
        # each non-bookable budget line's share, keyed as in Counters.non_bookable_minutes
        self._nb_lines = [((staff_type, k), v / total_nb) for k, v in lines.items()] \
            if total_nb > 0 else []
        self._build_calendars(wt, appointment_share)
        # the staff stream's numbers after the calendars: unplanned contacts per member and day
        self._contact_draws = Stream(rng)
        self.desk_queue = ServerPool(members, monitor_from=measure_from)
        self._serving = 0                          # the member whose desk work is being done
        self.background = [0.0] * members
        self.background_by_activity = [dict() for _ in range(members)]
        self.caseload = [0] * members
        self.contact_rate = [0.0] * members       # expected unplanned contacts per workday
        self.contact_minutes = [0.0] * members    # expected unplanned minutes per workday
        self.callbacks = [0.0] * members          # unplanned contacts to call back (minutes)
        self.shared_rate = 0.0
        self.shared_minutes = 0.0
        self.talk_used = [0.0] * members           # minutes of talks held today per member
        # talks booked per member (their booking and letter work, see CaseworkerBooks) and
        # reception registrations for anyone in the pool, turned into desk work daily
        self.bookings = [0] * members
        self.booking_work: tuple[tuple[str, float], ...] = ()
        self.registrations = 0
        self.registration_minutes = 0.0
        # work other pools hand in during the day (activity -> minutes), shared out among the
        # members present when the day's desk hours end (see hand_in)
        self.handed_in: dict[str, float] = {}
        # unplanned contacts first reach this pool's phone duty (minutes per contact; None: no
        # phone duty), and the elastic work that takes what is left of a day (see set_elastic)
        self.phone_duty: StaffPool | None = None
        self.phone_duty_minutes = 0.0
        self.elastic_activity: str | None = None
        self.elastic_day_share = 0.0
        self.labels = [f"{name}:{m}" for m in range(members)]
        # per-day series for the whole pool (minutes)
        self.day_available = [0.0] * horizon_days
        self.day_worked = [0.0] * horizon_days
        self.day_idle = [0.0] * horizon_days
        self.day_elastic = [0.0] * horizon_days    # of day_worked: elastic work, extra talks
        self._day = 0                              # the day whose desk hours end next
        if members > 0:
            env.timeout(DESK_CLOSES).callbacks.append(self._desk_hours_end)

    # ------------------------------------------------------------------ calendars
    def _build_calendars(self, wt: WorkingTime, appointment_share: float) -> None:
        n, n_days, rng = self.n, self.n_days, self.rng
        work = np.array([is_workday(d) for d in range(n_days)])
        workdays = np.flatnonzero(work)
        years = math.ceil(n_days / 365)
        workdays_of_year = [workdays[(workdays >= y * 365) & (workdays < (y + 1) * 365)]
                            for y in range(years)]
        planned = np.zeros((n, n_days), dtype=bool)
        sick = np.zeros((n, n_days), dtype=bool)
        for m in range(n):
            for y in range(years):
                y0 = y * 365
                weeks = wt.summer_holiday_weeks
                if weeks:
                    start = y0 + 7 * (26 + int(rng.integers(0, 4)))
                    planned[m, start:start + 7 * weeks] = True
                days_left = wt.planned_absence_days - 5 * weeks
                in_year = workdays_of_year[y]
                year_days = in_year[~planned[m, in_year]]
                k = min(len(year_days), max(0, int(round(days_left))))
                if k:
                    planned[m, rng.choice(year_days, size=k, replace=False)] = True
                present = year_days[~planned[m, year_days]]
                k_sick = min(len(present), int(rng.poisson(wt.sickness_days)))
                if k_sick:
                    sick[m, rng.choice(present, size=k_sick, replace=False)] = True
        present = work[None, :] & ~planned & ~sick
        horizon_present = present[:, self.measure_from: self.horizon].sum(axis=1)
        annual = wt.available_hours * 60.0 * (self.horizon - self.measure_from) / 365.0
        # minutes available per present day, so each member's measured period holds exactly
        # the budget
        per_day = np.where(horizon_present > 0, annual / np.maximum(horizon_present, 1), 0.0)
        bookable = per_day * (1.0 - self.non_bookable_share)
        open_days = work[None, :] & ~planned        # sickness is not known when booking
        appt = np.where(open_days, (bookable * appointment_share)[:, None], 0.0)
        desk = np.where(open_days, (bookable * (1.0 - appointment_share))[:, None], 0.0)
        self.appt_full = (bookable * appointment_share).tolist()   # a whole day's appointment time
        # the longest talk a day can hold: its whole bookable time (0 with no staff)
        self.longest_talk = float(bookable.min()) - 1e-6 if n else 0.0
        self.per_day_available = per_day.tolist()
        # day-major, present[d][m] and sick[d][m], for the simulated days only (no one asks
        # about presence beyond the run; the appointment book reaches further)
        self.present = present[:, :self.horizon].T.tolist()
        self.sick = sick[:, :self.horizon].T.tolist()
        self.appt = appt.T.tolist()                # free appointment minutes, appt[d][m]
        self.desk = desk.T.tolist()                # free desk minutes, desk[d][m]
        self._build_search_index(appt)

    # ------------------------------------------------------------------ caseloads
    def assign(self) -> int | None:
        """The member with the smallest caseload (a new fixed-caseload citizen)."""
        if self.n == 0:
            return None
        cl = self.caseload
        m = cl.index(min(cl))
        return m

    def reassign(self, c, member: int | None) -> None:
        """Citizen ``c`` of this pool gets caseworker ``member`` (None: the shared pool) instead
        of the one they had, with their caseload and unplanned contacts."""
        self.leave(c.member, c.contact_rate, c.contact_minutes)
        c.member = member
        self.join(member, c.contact_rate, c.contact_minutes)

    def join(self, member: int | None, rate: float, minutes: float) -> None:
        """A citizen joins ``member``'s caseload (None: the shared pool)."""
        if member is None:
            self.shared_rate += rate
            self.shared_minutes += rate * minutes
        else:
            self.caseload[member] += 1
            self.contact_rate[member] += rate
            self.contact_minutes[member] += rate * minutes

    def leave(self, member: int | None, rate: float, minutes: float) -> None:
        """A citizen leaves ``member``'s caseload (None: the shared pool)."""
        if member is None:
            self.shared_rate -= rate
            self.shared_minutes -= rate * minutes
        else:
            self.caseload[member] -= 1
            self.contact_rate[member] -= rate
            self.contact_minutes[member] -= rate * minutes

    def set_elastic(self, activity: str, max_day_share: float) -> None:
        """Let ``activity`` (elastic work) take what is left of each member's day, up to
        ``max_day_share`` of the member's bookable minutes of the day."""
        self.elastic_activity = activity
        self.elastic_day_share = max_day_share

    # ------------------------------------------------------------------ desk work
    def hand_in(self, activity: str, minutes: float) -> None:
        """Work for this pool as a whole (case support's share of booking, phone duty,
        journalising): done by the members present when today's desk hours end, after their
        queued desk work. With no staff in the pool it is counted as unmet demand."""
        if self.n == 0:
            self.counters.unmet_minutes[activity] += minutes
            return
        handed = self.handed_in
        handed[activity] = handed.get(activity, 0.0) + minutes

    def shortest_queue(self) -> int | None:
        """The member with the fewest minutes of desk work queued."""
        return self.desk_queue.least_backlog()

    def enqueue(self, member: int | None, task: DeskTask,
                among: list[int] | None = None) -> None:
        """Queue ``task`` for ``member`` (None: whoever of ``among``, default all, would be free
        first; with no staff at all the task is never done)."""
        if member is None and among:
            member = self.desk_queue.route(task.requested, among)
        self.desk_queue.submit(task, member)

    def present_at_next_desk_hours(self, now: float) -> list[int]:
        """The members present on the first working day, from time ``now`` (days) on, whose desk
        hours are still to come (empty: nobody before the end of the run)."""
        day = int(now)
        if now - day >= DESK_CLOSES:
            day += 1
        present = self.present
        while day < len(present):
            row = present[day]
            if any(row):
                return [m for m, p in enumerate(row) if p]
            day += 1
        return []

    def use_desk_time(self, day: int, member: int, minutes: float) -> float:
        """Take up to ``minutes`` of ``member``'s free desk time on ``day`` (work that runs over
        its appointment); returns the minutes taken."""
        row = self.desk[day]
        took = minutes if minutes < row[member] else max(row[member], 0.0)
        row[member] -= took
        return took

    def add_background(self, member: int | None, activity: str, minutes: float) -> None:
        """Work with no one waiting for it (booking, letters): done when desk time allows.

        ``member`` None: the member with the least work waiting (queued desk tasks plus
        background), so that work of the whole pool (offer follow-up) is shared out rather than
        piled on whoever has an empty desk queue."""
        if minutes <= 0:
            return
        if member is None:
            if self.n == 0:               # nobody in the pool: the work is unmet demand
                self.counters.unmet_minutes[activity] += minutes
                return
            backlog, background = self.desk_queue.backlog, self.background
            loads = [backlog[m] + background[m] for m in range(self.n)]
            member = loads.index(min(loads))
        self.background[member] += minutes
        acts = self.background_by_activity[member]
        acts[activity] = acts.get(activity, 0.0) + minutes

    def _desk_work(self, task: DeskTask, minutes: float) -> None:
        self.counters.work(self.staff_type, task.activity, minutes, self.name)

    def _desk_done(self, task: DeskTask, t: float) -> None:
        self.log.add(task.citizen, task.group, task.activity, task.requested, t,
                     self.labels[self._serving], task.minutes, NOT_APPLICABLE, task.started)
        if task.on_done is not None:
            task.on_done(t)

    def _desk_hours_end(self, _event) -> None:
        """Every day when desk hours end (a timeout's callback, no SimPy process to resume): on
        a working day, unplanned contacts, desk work, background work and time accounting for
        the day; then the same at the end of the next day's desk hours."""
        day = self._day
        if is_workday(day):
            self._work_day(day, self.counters, self.log, self.name, self.staff_type)
        self._day = day + 1
        self.env.timeout(1.0).callbacks.append(self._desk_hours_end)

    def _duty_desk(self, k: int, present, appt, desk, counts) -> list[float]:
        """Minutes of the shared caseload's ``k`` unplanned contacts today given to each member:
        one at a time to the member present with most time left after their own citizens'
        contacts and call-backs (the first of equals), as a duty desk passes calls on."""
        each = self.shared_minutes / self.shared_rate          # minutes per contact
        free = []
        for m in range(self.n):
            if not present[m]:
                free.append(-math.inf)
                continue
            own = self.callbacks[m]
            if counts is not None and counts[m] and self.contact_rate[m] > 0:
                own += counts[m] * self.contact_minutes[m] / self.contact_rate[m]
            free.append(appt[m] + desk[m] - own)
        given = [0.0] * self.n
        for _ in range(k):
            m = free.index(max(free))
            given[m] += each
            free[m] -= each
        return given

    def _work_day(self, day, counters, log, name, st):
        present = self.present[day]
        appt, desk = self.appt[day], self.desk[day]
        n_present = sum(present)
        # unplanned contacts per member today (Poisson) from the member's own citizens; those of
        # a shared caseload go to the duty desk, which hands each to the member with most time
        rates = self.contact_rate
        counts = self._contact_draws.poisson_counts(rates) if any(rates) else None
        duty = None
        shared_count = 0
        if self.shared_rate > 0.0 and n_present:
            shared_count = self._contact_draws.poisson_counts([self.shared_rate])[0]
            if shared_count:
                duty = self._duty_desk(shared_count, present, appt, desk, counts)
        # work arriving today that is not tied to a member's own citizens: shared out
        arriving = dict(self.daily_background) if self.daily_background else {}
        if n_present and self.registrations:
            arriving["reception_registration"] = (arriving.get("reception_registration", 0.0)
                                                  + self.registrations
                                                  * self.registration_minutes / n_present)
            self.registrations = 0
        if n_present and self.handed_in:
            for act, mins in self.handed_in.items():
                arriving[act] = arriving.get(act, 0.0) + mins / n_present
            self.handed_in = {}
        arriving_total = sum(arriving.values()) if arriving else 0
        done: dict[str, float] = {}          # background minutes worked today, by activity
        available = worked_total = idle_total = elastic_total = 0.0
        contact_minutes_total = unmet_contact_total = 0.0
        elastic_share = self.elastic_day_share
        nb_share = self.non_bookable_share
        bookable_share = 1.0 - nb_share
        talk_used, bookings = self.talk_used, self.bookings
        callbacks = self.callbacks
        background, by_activity = self.background, self.background_by_activity
        dq = self.desk_queue
        backlog = dq.backlog
        per_day_available = self.per_day_available
        contact_rate, contact_minutes = self.contact_rate, self.contact_minutes
        booking_work = self.booking_work
        # the day's unbooked appointment time is used up (set to 0 below); keep the search
        # index equal to appt and its bounds valid
        appt_by_member, block_max = self._appt_by_member, self._block_max
        blk = day >> _BLOCK_SHIFT
        if self._day_max[day] < 0.0:
            self._day_max[day] = 0.0
        for m in range(self.n):
            if not present[m]:
                continue
            tu = talk_used[m]
            avail = per_day_available[m]
            available += avail
            budget = appt[m] + desk[m]
            appt[m] = desk[m] = 0.0
            appt_by_member[m][day] = 0.0
            if block_max[m][blk] < 0.0:        # a rounding residue below zero was wiped out
                block_max[m][blk] = 0.0
            worked = 0.0
            acts = by_activity[m]
            if arriving_total:
                for act, mins in arriving.items():
                    acts[act] = acts.get(act, 0.0) + mins
                background[m] += arriving_total
            k = bookings[m]
            if k:
                bookings[m] = 0
                for act, mins in booking_work:
                    acts[act] = acts.get(act, 0.0) + k * mins
                    background[m] += k * mins
            # unplanned contacts are served first: yesterday's not reached (call-backs), then
            # today's; what is not reached today is called back tomorrow, and a call-back not
            # reached on its day is counted as unmet demand
            new = 0.0
            if counts is not None and counts[m]:
                rate = contact_rate[m]
                if rate > 0:
                    new = counts[m] * contact_minutes[m] / rate
            if duty is not None:
                new += duty[m]
            back = callbacks[m]
            if new or back:
                want = back + new
                w = want if want < budget else budget
                budget -= w
                worked += w
                contact_minutes_total += w
                if w < back:
                    unmet_contact_total += back - w
                    callbacks[m] = new
                else:
                    callbacks[m] = want - w
            if budget > _EPS and backlog[m] > _EPS:
                self._serving = m
                w = dq.serve(m, day + DESK_OPENS, day + DESK_CLOSES, budget,
                             self._desk_work, self._desk_done)
                budget -= w
                worked += w
            bg = background[m]
            if bg > _EPS and budget > _EPS:
                if bg <= budget:                # all of it: nothing is left over
                    w = bg
                    for act, mins in acts.items():
                        done[act] = done.get(act, 0.0) + mins
                    acts.clear()
                else:                           # a share of each activity, the rest waits
                    w = budget
                    share = w / bg
                    for act, mins in acts.items():
                        done[act] = done.get(act, 0.0) + mins * share
                        acts[act] = mins * (1.0 - share)
                background[m] = bg - w
                budget -= w
                worked += w
            if elastic_share and budget > _EPS:
                # elastic work takes what is left, up to its share of the bookable day
                w = avail * bookable_share * elastic_share
                if w > budget:
                    w = budget
                budget -= w
                worked += w
                elastic_total += w
            idle = avail * bookable_share - tu - worked
            if -1e-6 < idle < 0.0:             # rounding; a real shortfall stays visible
                idle = 0.0
            worked_total += tu + worked
            idle_total += idle
        self.talk_used = [0.0] * self.n            # a new day of talks
        for act, mins in done.items():
            counters.work(st, act, mins, name)
        nb_total = available * nb_share
        nb_minutes = counters.non_bookable_minutes
        for key, frac in self._nb_lines:
            nb_minutes[key] += nb_total * frac
        if contact_minutes_total:
            counters.work(st, "unplanned_contact", contact_minutes_total, name)
            log.add(-1, "", "unplanned_contact", day + DESK_CLOSES, day + DESK_CLOSES, name,
                    contact_minutes_total)
        if unmet_contact_total:
            counters.unmet_minutes["unplanned_contact"] += unmet_contact_total
        if (counts is not None or shared_count) and self.phone_duty is not None:
            calls = (sum(counts) if counts is not None else 0) + shared_count
            self.phone_duty.hand_in("phone_duty", calls * self.phone_duty_minutes)
        if elastic_total:
            counters.work(st, self.elastic_activity, elastic_total, name)
        counters.available_minutes[st] += available
        counters.idle_minutes[st] += idle_total
        self.day_available[day] = available
        self.day_worked[day] = worked_total
        self.day_idle[day] = idle_total
        self.day_elastic[day] += elastic_total
