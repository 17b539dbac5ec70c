"""Mandated talks: when the next one is due, how it is booked, and holding it on its day.

A talk's life: when a spell starts, and after every talk held or missed, the group's
:class:`TalkService` books the next one. Its deadline comes from the rulebook
(:class:`RulebookDeadlines`); its minutes and channel from the talk format
(:class:`IndividualTalks`); the caseload policy may adjust it; the booking policy reserves a day
and a caseworker (:mod:`sim.domain.booking`); whoever books it gets the booking work. On the
booked day the :class:`DailyRound` hands it back to the service, which holds it, or handles the
caseworker's absence or the citizen's no-show. Each of these parts is a seam
(:mod:`sim.seams`), chosen once per benefit group when the model is built.

Times are days (day 0 is a Monday), work is minutes.
"""
from __future__ import annotations

import math
from itertools import chain, repeat
from typing import TYPE_CHECKING, Callable

from ..engine.metrics import IN_PERSON, NOT_APPLICABLE, PHONE
from ..engine.simpy_shortcuts import event_at
from .staff import TALKS_BEGIN

if TYPE_CHECKING:
    from ..config import GroupBehaviour, TalkPractice
    from ..engine.metrics import EventLog, GroupCounters
    from ..engine.streams import Streams
    from .rules import TalkSchedule
    from .spells import Citizen
    from .staff import StaffPool


class Booking:
    """A talk reserved in a caseworker's appointment book (minutes of each component)."""

    __slots__ = ("citizen", "day", "member", "due", "target", "preparation", "talk",
                 "documentation", "extra", "phone", "minutes")

    def __init__(self, citizen, due, target, preparation, talk, documentation, extra, phone):
        self.citizen = citizen
        self.day: int | None = None
        self.member: int | None = None
        self.due = due                  # the rulebook's deadline
        self.target = target            # the day the jobcenter plans for (<= due)
        self.preparation = preparation
        self.talk = talk
        self.documentation = documentation
        self.extra = extra
        self.phone = phone
        self.minutes = preparation + talk + documentation + extra   # reserved in the book

    def shorten_desk_minutes(self, keep: float) -> None:
        """Keep share ``keep`` of the preparation and documentation minutes."""
        self.preparation *= keep
        self.documentation *= keep
        self.minutes = self.preparation + self.talk + self.documentation + self.extra

    def fit(self, longest: float) -> None:
        """Shorten preparation and documentation so the talk fits in ``longest`` minutes (a
        caseworker's whole bookable day): the rare extreme draw is finished within the day."""
        desk = self.preparation + self.documentation
        over = self.minutes - longest
        if desk > 0 and over > 0:
            self.shorten_desk_minutes(max(0.0, 1.0 - over / desk))


# --------------------------------------------------------------------------- deadlines
class RulebookDeadlines:
    """Seam *deadlines*, the baseline: the rulebook's cadence, planned a margin before it.

    The first talk of a spell is due ``first_talk_days`` after the spell starts; a later one one
    cadence interval after the last talk (the interval in force when it was held). Jobcenters
    call the citizen for the latest timely date (QB14 3) less ``margin_days``, so that a no-show
    or a sick day can be rebooked before the deadline; timeliness is judged against the
    deadline. Talks beyond this legal minimum are extra talks (:mod:`sim.domain.extra_talks`).
    """

    __slots__ = ("schedule", "interval", "margin")

    def __init__(self, schedule: "TalkSchedule", margin_days: int):
        self.schedule = schedule
        self.interval = schedule.constant_interval      # None: it depends on the phase
        self.margin = margin_days

    def next(self, c: "Citizen") -> tuple[int, int]:
        """(deadline, planned day) of citizen ``c``'s next talk."""
        last = c.last_talk_day
        if last is None:
            due = int(c.spell_start + self.schedule.first_talk_days)
            return due, due - self.margin
        interval = self.interval
        if interval is None:
            interval = self.schedule.interval(last - c.spell_start)
        due = int(last + interval)
        return due, due - self.margin


# --------------------------------------------------------------------------- talk format
class IndividualTalks:
    """Seam *talk format*, the baseline: one-to-one talks, in person or by phone.

    Each booking takes one set of draws (:class:`TalkDraws`): preparation, talk and
    documentation minutes, and uniforms for the channel and for late arrival. A phone talk takes
    ``phone_minutes_factor`` of the talk minutes; an in-person talk adds the walk to reception
    and, when the citizen is late, the caseworker's second walk.
    """

    __slots__ = ("next_draws", "kind", "first_talk_extra", "phone_share", "phone_factor",
                 "reception_walk", "late_share", "late_extra")

    def __init__(self, group: str, beh: "GroupBehaviour", practice: "TalkPractice",
                 streams: "Streams", stream: str = "talk", kind: type | None = None):
        t = beh.talk
        self.next_draws = TalkDraws(streams.generator(f"{stream}/{group}"), t.preparation,
                                    t.talk, t.documentation, t.cv).next
        self.kind = kind or Booking             # the class of the bookings made
        self.first_talk_extra = t.first_talk_extra
        self.phone_share, self.phone_factor = beh.phone_share, practice.phone_minutes_factor
        self.reception_walk = practice.reception_walk_minutes
        self.late_share = practice.late_arrival_share
        self.late_extra = practice.late_arrival_extra_minutes

    def booking(self, c: "Citizen", due: int, target: int) -> Booking:
        """A new booking of citizen ``c``'s next talk (not yet in any appointment book)."""
        prep, talk, doc, u_channel, u_late = self.next_draws()
        if c.last_talk_day is None:
            talk += self.first_talk_extra
        phone = u_channel < self.phone_share
        extra = 0.0
        if phone:
            talk *= self.phone_factor
        else:
            extra = self.reception_walk
            if u_late < self.late_share:
                extra += self.late_extra
        return self.kind(c, due, target, prep, talk, doc, extra, phone)


# --------------------------------------------------------------------------- the service
class TalkService:
    """Books and holds the mandated talks of one benefit group.

    Its parts are the group's seams, bound once by :meth:`bind` after every mechanism has been
    installed (:meth:`sim.domain.services.GroupServices.resolve`): booking a talk is a handful
    of bound calls, with no test of which scenario runs.
    """

    def __init__(self, group: str, beh: "GroupBehaviour", practice: "TalkPractice",
                 pool: "StaffPool", admin: "StaffPool", counters: "GroupCounters",
                 log: "EventLog", streams: "Streams", certificate_minutes: float,
                 certificates: dict):
        self.group = group
        self.pool = pool
        self.admin = admin                   # registers citizens who arrive in person
        self.counters = counters
        self.log = log
        self.s_no_show = streams[f"no_show/{group}"]
        self.no_show_share, self.no_show_wait = beh.no_show_share, practice.no_show_wait_minutes
        self.booking_lead, self.rebooking_lead = (practice.booking_lead_days,
                                                  practice.rebooking_lead_days)
        self.first_lead = practice.first_talk_lead_days
        self.s_certificate = streams[f"medical_certificate/{group}"]
        self.cert_share = beh.medical_certificate_share
        self.cert_minutes = certificate_minutes
        self.certificates = certificates         # purchases by kind (the run's counters)
        self.journal_minutes = 0.0               # case support's minutes per document in
        self.reset()

    def bind(self, deadlines, talk_format, reserve, booked, plan_extra, adjust: tuple,
             held: tuple) -> None:
        """Fix the parts: ``deadlines.next``, ``talk_format.booking``, the booking policy's
        ``reserve``, the booker's ``booked``, the extra talks' ``plan`` (an extra talk before
        the mandated one just booked); hooks run on each new booking before it is reserved
        (``adjust``: ``f(c, booking, now)``) and after a talk is held (``held``:
        ``f(c, booking, day, on_time)``: mechanisms' counters, the spell effects)."""
        self.next_deadline = deadlines.next
        self.new_booking = talk_format.booking
        self.reserve = reserve
        self.booked = booked
        self.plan_extra = plan_extra
        self.adjust, self.held = adjust, held

    def reset(self) -> None:
        """Zero the summed talk minutes (start of the run or end of the warm-up)."""
        # caseworker minutes of talks, summed here and handed to the counters at the end
        self.work_preparation = self.work_documentation = 0.0
        self.work_reception_walk = self.work_no_show = 0.0

    def flush(self, counters) -> None:
        """Hand the summed talk minutes to the run's counters (once, at the end of the run)."""
        gc = self.counters
        for activity, minutes in (("talk_preparation", self.work_preparation),
                                  ("talk", gc.talk_minutes),
                                  ("talk_documentation", self.work_documentation),
                                  ("reception_walk", self.work_reception_walk),
                                  ("no_show", self.work_no_show)):
            if minutes:
                counters.work(self.pool.staff_type, activity, minutes, self.pool.name)

    # ------------------------------------------------------------------ booking
    def book_next(self, c: "Citizen", now: float, lead: int | None = None) -> None:
        """Draw the next mandated talk of the spell and book it, at least ``lead`` days ahead
        (default: the practice's booking lead time; for a spell's first talk, visitation, its
        first-talk lead time); ``now`` is the time."""
        due, target = self.next_deadline(c)
        b = self.new_booking(c, due, target)
        for adjust in self.adjust:
            adjust(c, b, now)
        c.talk = b
        if lead is None:
            lead = self.booking_lead if c.last_talk_day is not None else self.first_lead
        self.reserve(c, b, lead, now)
        self.booked(c, b)
        self.plan_extra(c, b, now)

    # ------------------------------------------------------------------ holding
    def hold(self, c: "Citizen", day: int) -> None:
        """The booked day has come: hold the talk, or handle absence, no-show or lack of staff.
        A talk that could not be booked comes here on its deadline and is counted as missed."""
        b = c.talk
        gc = self.counters
        log = self.log
        pool = self.pool
        if b.day is None:                # never booked: counted late, the cadence moves on
            gc.talks_missed += 1
            log.add(c.id, c.group, "talk_missed", b.due, b.due, pool.name, 0.0, 0)
            c.last_talk_day = b.due
            c.talk = None
            c.services.next_talk(c, day)
            return
        if pool.sick[day][b.member]:
            pool.release(day, b.member, b.minutes)
            alt = pool.best_member(day, b.minutes, day) if c.member is None else None
            if alt is None:
                gc.absence_rebookings += 1
                self.reserve(c, b, self.rebooking_lead, day)
                return
            pool.take(day, alt, b.minutes)
            b.member = alt
        if self.s_no_show.random() < self.no_show_share:
            used = b.preparation + self.no_show_wait
            if used > b.minutes:
                used = b.minutes
            at = day + TALKS_BEGIN + pool.talk_used[b.member] / 1440.0
            pool.talk_used[b.member] += used
            pool.desk[day][b.member] += b.minutes - used    # the rest of the slot: desk work
            self.work_no_show += used
            gc.no_shows += 1
            log.add(c.id, c.group, "no_show", at, at + used / 1440.0, pool.labels[b.member],
                    used, NOT_APPLICABLE, None, PHONE if b.phone else IN_PERSON)
            self.reserve(c, b, self.rebooking_lead, day)
            return
        at = day + TALKS_BEGIN + pool.talk_used[b.member] / 1440.0
        pool.talk_used[b.member] += b.minutes
        self.record_held(c, b, day, at)

    def record_held(self, c: "Citizen", b: "Booking", day: int, start: float) -> None:
        """Talk ``b`` of citizen ``c`` was held on ``day`` by ``b.member``, from ``start``
        (days; the log's clock): its minutes, counters, a medical certificate, the log row and
        the spell effects; then the next talk is booked. The caseworker's minutes of the day
        (``talk_used``) are the caller's to count."""
        gc = self.counters
        minutes = b.minutes
        self.work_preparation += b.preparation
        self.work_documentation += b.documentation
        self.work_reception_walk += b.extra
        if not b.phone:
            self.admin.registrations += 1
            gc.in_person_talks += 1
            gc.in_person_talk_minutes += b.talk
        if self.cert_share > 0.0 and self.s_certificate.random() < self.cert_share:
            self.certificates["follow_up"] += 1
            self.pool.add_background(b.member, "certificate_handling", self.cert_minutes)
            self.admin.hand_in("journalising", self.journal_minutes)
        on_time = day <= b.due
        gc.talks_held += 1
        gc.talks_on_time += on_time
        gc.phone_talks += b.phone
        gc.talk_minutes += b.talk
        gc.talk_total_minutes += minutes
        log = self.log
        if log.enabled:
            log.add(c.id, c.group, "talk", start, start + minutes / 1440.0,
                    self.pool.labels[b.member], minutes, int(on_time), None,
                    PHONE if b.phone else IN_PERSON)
        c.last_talk_day = day
        c.talk = None
        for after in self.held:
            after(c, b, day, on_time)
        c.services.next_talk(c, day)


# --------------------------------------------------------------------------- the daily round
ROUND_PRIORITY = 2
"""SimPy orders events at the same time by priority (urgent 0, normal 1): the daily round of
talks comes after both."""


class DailyRound:
    """Every day, hold the talks booked for it, in order of booking.

    ``diary[d]`` lists the bookings to hold on day ``d`` (none beyond the run). The round runs
    after every other event at the start of the day (a lower priority than SimPy's normal
    events), so a talk booked at that moment for that day is still held. An entry is stale when
    its booking was moved, cancelled or replaced since; a booking moved to today itself is
    appended and held in the same round. Each booking is handed to its citizen's group's
    ``hold`` (the talk service's, or a mechanism's that holds talks its own way).
    """

    def __init__(self, env, horizon: int):
        self.env = env
        self.horizon = horizon
        self.diary: list[list | None] = [[] for _ in range(horizon)]

    def add(self, day: int, b: Booking) -> None:
        """Put booking ``b`` in the diary for ``day`` (ignored from the end of the run on)."""
        if day < self.horizon:
            todays = self.diary[day]
            if todays is None:
                raise RuntimeError(f"talk booked on day {day} after that day's talks were held")
            todays.append(b)

    def standing(self, day: int) -> list[Booking]:
        """The bookings still to be held on ``day`` (not moved, cancelled or replaced since;
        the round's own test), in order of booking."""
        todays = self.diary[day] or []
        return [b for b in todays
                if b.citizen.talk is b and (b.day == day or (b.day is None and b.due == day))]

    def process(self):
        """The SimPy process of the round (start it after the initial stock is in)."""
        env, diary = self.env, self.diary
        for day in range(self.horizon):
            if env.now < day:
                yield event_at(env, day - env.now, ROUND_PRIORITY)
            # a list iterator also visits what is appended while it runs: talks moved to today
            for b in diary[day]:
                c = b.citizen
                if c.talk is b and (b.day == day or (b.day is None and b.due == day)):
                    c.services.hold(c, day)
            diary[day] = None


# --------------------------------------------------------------------------- random draws
TALK_DRAWS_BLOCK = 1024
"""Bookings whose draws are made at once (one NumPy call per component)."""


class TalkDraws:
    """The random draws of one talk booking, made in blocks for a whole group.

    Each booking takes one tuple, ``next()``: preparation, talk and documentation minutes
    (lognormal with the group's means and coefficient of variation), and uniforms for the
    channel (phone or in person) and for late arrival. A fixed number of draws per booking keeps
    scenarios that change how talks are handled on the same random numbers talk by talk.
    ``next`` is the ``__next__`` of an iterator over the blocks (no Python call per booking).
    """

    __slots__ = ("next",)

    def __init__(self, rng, preparation: float, talk: float, documentation: float, cv: float):
        params = (rng, (preparation, talk, documentation), cv)
        self.next: Callable[[], tuple] = chain.from_iterable(
            map(_talk_draws_block, repeat(params))).__next__


def _talk_draws_block(params) -> list[tuple[float, float, float, float, float]]:
    """The next block of bookings' draws from ``params`` = (generator, the three components'
    mean minutes, coefficient of variation)."""
    rng, means, cv = params
    n = TALK_DRAWS_BLOCK
    z = rng.standard_normal((3, n))
    u = rng.random((2, n))
    cols = []
    s2 = math.log1p(cv * cv)
    sd = math.sqrt(s2)
    exp = math.exp
    for k, mean in enumerate(means):
        if cv <= 0.0 or mean <= 0.0:
            cols.append([float(mean)] * n)
        else:
            # math.exp (the C library's), not np.exp: NumPy's float64 exp takes its own AVX-512
            # code on CPUs that have it and differs from the C library in the last bit, so the
            # same seed would give other talk minutes on another machine (tests/test_golden.py)
            cols.append([mean * exp(x) for x in (sd * z[k] - 0.5 * s2).tolist()])
    return list(zip(*cols, u[0].tolist(), u[1].tolist()))
