"""Extra talks: follow-up beyond the legal minimum, the elastic part of the contact plan.

Mandated talks are booked at the latest timely date less a margin (:mod:`sim.domain.talks`).
Between two of them, jobcenters with time to spare hold more (QB14 section 3: a few hold talks
more often than required; VIVE20 5.3: 6-7 talks per full-time person a year, more than the
cadences require). An extra talk is elastic work: it is planned when the next mandated talk is
booked (unless the caseworker has required desk work waiting), in ``share`` of the intervals,
at ``at_interval_share`` of the legal interval after the last talk, on a day within
``window_days`` of that on which the caseworker's appointment book has room for it and for the
day's expected unplanned contacts (none: it is not held). It does not move the legal deadline. It gives way first:

* a mandated talk that finds no room before its deadline pushes out an extra talk booked in
  the same caseworker's book before that deadline (:meth:`ExtraTalks.make_room`, the booking
  policy's fallback);
* an extra talk whose caseworker is ill on the day, or whose citizen does not come, is not
  rebooked.

Extra talks are counted apart from mandated talks (``extra_talks_held``), their minutes as the
activities ``extra_talk`` (the talk itself: direct contact) and ``extra_talk_casework``
(preparation, documentation, the walk to reception and the booking work: indirect casework).
They never count towards the on-time share of mandated talks. Times are days, work minutes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.metrics import IN_PERSON, NOT_APPLICABLE, PHONE
from ..engine.simpy_shortcuts import event_at
from .staff import TALKS_BEGIN
from .talks import ROUND_PRIORITY, Booking

if TYPE_CHECKING:
    from ..config import ExtraTalks as ExtraTalksConfig
    from ..engine.metrics import Counters, EventLog, GroupCounters
    from ..engine.streams import Streams
    from .spells import Citizen
    from .staff import StaffPool
    from .talks import IndividualTalks

BACKLOG_LIMIT_MINUTES = 60.0
"""A caseworker with more required desk work than this waiting (queued tasks, booking and
letters) books no extra talk: required work first."""

EXTRA_ACTIVITIES = {"extra_talk": "direct_contact", "extra_talk_casework": "indirect_casework"}
"""The budget category (QB14 line) of the extra talks' activities."""


class ExtraBooking(Booking):
    """An extra talk reserved in a caseworker's appointment book."""

    __slots__ = ()


class ExtraRound:
    """Every day, after the mandated talks, hold the extra talks booked for it (one for the
    whole jobcenter). ``diary[d]`` lists the extra bookings of day ``d``; an entry is stale
    when its talk was pushed out or its spell ended since."""

    def __init__(self, env, horizon: int):
        self.env = env
        self.horizon = horizon
        self.diary: list[list] = [[] for _ in range(horizon)]

    def add(self, day: int, b: ExtraBooking) -> None:
        """Put extra booking ``b`` in the diary for ``day`` (ignored from the end of the run)."""
        if day < self.horizon:
            self.diary[day].append(b)

    def process(self):
        """The SimPy process of the round (started after the round of mandated talks)."""
        env, diary = self.env, self.diary
        for day in range(self.horizon):
            if env.now < day:
                yield event_at(env, day - env.now, ROUND_PRIORITY)
            todays, diary[day] = diary[day], []
            for b in todays:
                c = b.citizen
                if c.extra_talk is b:
                    c.services.extra_talks.hold(c, b, day)


class NoExtraTalks:
    """Seam *extra talks* for a group whose jobcenter holds no talks beyond the minimum."""

    __slots__ = ()
    make_room = None           # the booking policy has no extra talks to push out

    def plan(self, c: "Citizen", b: Booking, now: float) -> None:
        """Nothing to plan."""

    def cancel(self, c: "Citizen") -> None:
        """Nothing to cancel."""


class ExtraTalks:
    """Seam *extra talks*, the baseline: elastic follow-up talks between the mandated ones.

    One per benefit group; the bookings of a caseworker pool's groups share the pool's index
    of extra talks by member and day (``index``), through which mandated talks of any of them
    push extra talks out.
    """

    def __init__(self, group: str, settings: "ExtraTalksConfig", pool: "StaffPool",
                 talk_format: "IndividualTalks", booking_lead_days: int,
                 booking_work_minutes: float, no_show_share: float, no_show_wait: float,
                 extra_round: ExtraRound, counters: "Counters", log: "EventLog",
                 streams: "Streams"):
        self.group = group
        self.share = settings.share
        self.at_share = settings.at_interval_share
        self.window = settings.window_days
        self.pool = pool
        self.new_booking = talk_format.booking
        self.lead = booking_lead_days
        self.booking_work = booking_work_minutes
        self.no_show_share, self.no_show_wait = no_show_share, no_show_wait
        self.round = extra_round
        self.counters = counters
        self.gc: GroupCounters = counters.groups[group]
        self.log = log
        self.s_plan = streams[f"extra_talk/{group}"]
        self.s_no_show = streams[f"extra_talk_no_show/{group}"]
        # the pool's extra bookings: member -> day -> bookings (shared by the pool's groups)
        index = getattr(pool, "extra_index", None)
        if index is None:
            index = pool.extra_index = [dict() for _ in range(pool.n)]
        self.index: list[dict[int, list[ExtraBooking]]] = index

    # ------------------------------------------------------------------ planning
    def plan(self, c: "Citizen", b: Booking, now: float) -> None:
        """The next mandated talk ``b`` of ``c`` was booked at time ``now``: plan an extra talk
        before it, if this interval has one and a day near the planned one has room."""
        last = c.last_talk_day
        if last is None or c.extra_talk is not None:
            return
        if self.s_plan.random() >= self.share:
            return
        mandated = b.day if b.day is not None else b.due
        planned = int(last + self.at_share * (b.due - last))
        today = int(now)
        first = max(planned - self.window, today + self.lead)
        end = min(planned + self.window, mandated - 1)
        if first > end:
            return
        eb = self.new_booking(c, b.due, planned)
        eb.extra += self.booking_work
        eb.minutes += self.booking_work
        pool = self.pool
        if pool.n == 0:
            return
        if eb.minutes > pool.longest_talk > 0.0:
            eb.fit(pool.longest_talk)
        minutes = eb.minutes
        member = c.member
        backlog, background = pool.desk_queue.backlog, pool.background
        if member is not None and backlog[member] + background[member] > BACKLOG_LIMIT_MINUTES:
            return
        # an extra talk leaves room for the unplanned contacts a day is expected to bring: the
        # member's own citizens' and a share of the shared caseload's
        shared = pool.shared_minutes / pool.n
        contacts = pool.contact_minutes
        # the planned day first, then alternately later and earlier days of the window
        for d in _around(planned, first, end):
            if member is None:
                m = pool.best_member(d, minutes + shared, today)
                if (m is None or backlog[m] + background[m] > BACKLOG_LIMIT_MINUTES
                        or not pool.has_room(d, m, minutes + shared + contacts[m])):
                    continue
            elif pool.has_room(d, member, minutes + shared + contacts[member]):
                m = member
            else:
                continue
            pool.take(d, m, minutes)
            eb.day, eb.member = d, m
            c.extra_talk = eb
            self.index[m].setdefault(d, []).append(eb)
            self.round.add(d, eb)
            return

    def _unindex(self, b: ExtraBooking) -> None:
        todays = self.index[b.member].get(b.day)
        if todays is not None:
            todays.remove(b)
            if not todays:
                del self.index[b.member][b.day]

    def cancel(self, c: "Citizen") -> None:
        """The spell ended: the extra talk booked is not held and its time is given back."""
        b = c.extra_talk
        c.extra_talk = None
        self._unindex(b)
        self.pool.release(b.day, b.member, b.minutes)

    # ------------------------------------------------------------------ giving way
    def make_room(self, c: "Citizen", b: Booking, earliest: int) -> tuple[int, int] | None:
        """Mandated talk ``b`` found no room on or before its deadline: push out extra talks in
        the book of ``c``'s caseworker (any member for a shared caseload) on the latest day from
        ``earliest`` to the deadline where that makes room, and take the time. Returns
        (day, member), or None when no extra talk stands in the way."""
        pool = self.pool
        members = range(pool.n) if c.member is None else (c.member,)
        need = b.minutes
        best = None
        for m in members:
            for d, extras in self.index[m].items():
                if earliest <= d <= b.due and (best is None or d > best[0]):
                    if pool.appt[d][m] + sum(e.minutes for e in extras) >= need:
                        best = (d, m)
        if best is None:
            return None
        d, m = best
        if not push_out(pool, d, m, need, self.counters):
            return None
        pool.take(d, m, need)
        return d, m

    # ------------------------------------------------------------------ holding
    def hold(self, c: "Citizen", b: ExtraBooking, day: int) -> None:
        """The day of extra talk ``b`` has come: hold it, unless its caseworker is ill or the
        citizen does not come (then it is not rebooked)."""
        c.extra_talk = None
        self._unindex(b)
        pool = self.pool
        m = b.member
        gc = self.gc
        st = pool.staff_type
        if pool.sick[day][m]:
            gc.extra_talks_dropped += 1
            return
        if self.s_no_show.random() < self.no_show_share:
            used = min(b.preparation + self.no_show_wait + self.booking_work, b.minutes)
            pool.talk_used[m] += used
            pool.desk[day][m] += b.minutes - used       # the rest of the slot: desk work
            pool.day_elastic[day] += used
            self.counters.work(st, "extra_talk_casework", used)
            gc.extra_talks_dropped += 1
            return
        at = day + TALKS_BEGIN + pool.talk_used[m] / 1440.0
        pool.talk_used[m] += b.minutes
        pool.day_elastic[day] += b.minutes
        self.counters.work(st, "extra_talk", b.talk, pool.name)
        self.counters.work(st, "extra_talk_casework", b.minutes - b.talk)
        gc.extra_talks_held += 1
        for effect in c.services.effects.extra_talk_held:
            effect(c, day, b.phone)
        if self.log.enabled:
            self.log.add(c.id, c.group, "extra_talk", at, at + b.minutes / 1440.0,
                         pool.labels[m], b.minutes, NOT_APPLICABLE, None,
                         PHONE if b.phone else IN_PERSON)


def push_out(pool: "StaffPool", day: int, member: int, need: float,
             counters: "Counters") -> bool:
    """Push extra talks out of ``member``'s book on ``day``, the latest booked first, until
    ``need`` minutes fit (work that must be done there: a mandated talk, a group session);
    True if they fit then. The extra talks pushed out are not held (counted
    ``extra_talks_displaced``)."""
    index = getattr(pool, "extra_index", None)
    extras = index[member].get(day) if index else None
    if not extras:
        return pool.has_room(day, member, need)
    while extras and not pool.has_room(day, member, need):
        e = extras.pop()
        e.citizen.extra_talk = None
        pool.release(day, member, e.minutes)
        counters.groups[e.citizen.group].extra_talks_displaced += 1
    if not extras:
        del index[member][day]
    return pool.has_room(day, member, need)


def _around(planned: int, first: int, end: int):
    """The days from ``first`` to ``end``: ``planned`` (if inside) first, then alternately one
    day later and one day earlier, further out."""
    if first <= planned <= end:
        yield planned
    for k in range(1, max(planned - first, end - planned) + 1):
        if first <= planned + k <= end:
            yield planned + k
        if first <= planned - k <= end:
            yield planned - k
