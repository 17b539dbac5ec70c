"""Group booking: several citizens called to one window, received in turn by a team (CPH).

In the first part of the contact course (talks booked while the spell is younger than
``first_part_days``) a citizen of a named group has no caseworker of their own. Each talk takes a
*seat* in a *session*: a window of ``window_minutes`` on a workday, reserved in the books of a team
of ``team_size`` caseworkers of the group's pool, to which ``seats`` citizens are called. On the
day the called citizens arrive in a random order; each citizen who shows is received by the first
team member to be free and takes the booking's minutes (preparation, talk, documentation, the
walk to reception). A no-show costs nothing and leaves its minutes to the others; a team member
off sick is covered by the others (fewer servers; if the whole team is off, one colleague with a
free window stands in, else the citizens are called again). Once the spell is past the first part
the citizen gets a caseworker of their own before the next booking and is booked individually by
the group's previous booking policy.

Booking a seat follows the practice's booking rule with the booking lead time: with the latest
timely rule, the latest session on or before the talk's planned day with a free seat, else a new
session on the latest day on or before it where a team can be formed (``team_size`` members each
with the window free in their books, those with most room); failing both the talk is late (the
earliest day after the planned day with either). Sessions are opened on the ``weekdays`` listed.
With ``plan_ahead_days`` > 0 the jobcenter also keeps standing windows: every workday it plans
sessions on the day that far ahead, as many as the seats booked per session day over the last
``demand_days`` need, and calls off a planned session still without a seat once the booking lead
time reaches its day (its window goes back to the books). A cancelled spell frees its seat; a
session left with nobody called is called off.

Seams (:class:`sim.domain.services.GroupServices`): the booking policy (seats; other bookings go to
the previous policy; a seat holds no time of its own, ``holds_time`` False), the caseload policy (no caseworker during the first part) with a
booking adjuster, and ``hold`` (a seat's day holds its whole session; other bookings go to
the previous ``hold``).

Time accounting of a session, for each team member present: the window is reserved in the book
when the session is opened (``pool.take``); on the day, the member's talk minutes inside the window
are appointment time used (``talk_used``); window time left over at the end is given back to the
book (``pool.release``) before the working day is accounted, so it becomes desk time of that day;
minutes beyond the window (overrun) come out of the member's free appointment time of the day,
then out of the day's desk time, and what even that cannot hold is queued as documentation
(background desk work, done when desk time allows). The window of a member off sick is given back.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import NamedTuple

from ..domain.booking import AppointmentBooking, earliest_day, unbookable
from ..engine.metrics import NOT_APPLICABLE
from ..schema import ConfigError, nonneg, positive
from .common import check_groups

NAME = "group_booking"
SEAM = "booking policy"

WINDOW_STARTS_MINUTE = 9 * 60
"""The window opens at 9.00 (CPH: a 9-11 window). Only the event log's clock uses it: the model's
talks of a day are all held in the daily round at the start of the day."""

_EPS = 1e-9


@dataclass
class SessionSettings:
    """A group's own session settings (any left out: the mechanism's general value)."""

    window_minutes: float | None = positive(None)
    team_size: int | None = positive(None)
    seats: int | None = positive(None)


@dataclass
class Config:
    """``groups`` whose first part of the contact course is group-booked; ``first_part_days``:
    talks booked while the spell is younger than this are seats in sessions (assumption: the first
    3 months, VIVE20 5.4); a session is a window of ``window_minutes`` (CPH: 9-11) of a team of
    ``team_size`` caseworkers (CPH: 2) to which ``seats`` citizens are called (CPH: 6), on the
    ``weekdays`` listed (0 Monday ... 4 Friday). Sessions are opened when a seat is needed and,
    with ``plan_ahead_days`` > 0, also planned every workday on the day that many days ahead, as
    many as the seats booked per session day over the last ``demand_days`` need (standing windows,
    kept in the calendar before individual talks fill it). ``by_group`` overrides the three
    session settings for a group."""

    groups: list[str] = field(default_factory=list)
    first_part_days: int = positive(91)
    window_minutes: float = positive(120.0)
    team_size: int = positive(2)
    seats: int = positive(6)
    weekdays: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    plan_ahead_days: int = nonneg(0)
    demand_days: int = positive(28)
    by_group: dict[str, SessionSettings] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        for g in self.by_group:
            if g not in self.groups:
                raise ConfigError(f"'{path}.by_group.{g}' names a group not in '{path}.groups'; "
                                  f"valid: {', '.join(self.groups) or '(none)'}")
        if not self.weekdays:
            raise ConfigError(f"'{path}.weekdays' is empty; list at least one of 0 (Monday) to "
                              "4 (Friday)")
        for i, d in enumerate(self.weekdays):
            if not 0 <= d <= 4:
                raise ConfigError(f"'{path}.weekdays[{i}]' = {d} is not a workday; valid: 0 "
                                  "(Monday) to 4 (Friday)")

    def session(self, group: str) -> tuple[float, int, int]:
        """(window minutes, team size, seats) of ``group``'s sessions."""
        own = self.by_group.get(group) or SessionSettings()
        return (self.window_minutes if own.window_minutes is None else own.window_minutes,
                self.team_size if own.team_size is None else own.team_size,
                self.seats if own.seats is None else own.seats)


class SessionRecord(NamedTuple):
    """One session held (minutes are team minutes, summed over the team)."""

    group: str
    day: int
    seats: int            # citizens called
    shows: int
    no_shows: int
    team: int             # team members present (a stand-in included)
    reserved: float       # window minutes reserved for the whole team
    absent: float         # of them given back because a member was off sick
    used: float           # minutes of the talks held, overrun included
    in_window: float
    overrun: float
    returned: float       # window minutes left over, given back to the book
    deferred: float       # overrun queued as documentation desk work


class Session:
    """A window on ``day`` reserved in the books of ``team``, with the bookings of its seats."""

    __slots__ = ("day", "team", "seats")

    def __init__(self, day: int, team: list[int]):
        self.day = day
        self.team = team
        self.seats: list = []


class GroupSessions:
    """One group's group booking: booking policy, caseload policy and ``hold`` in one.

    ``reserve`` seats a first-part citizen in a session (others: the previous policy);
    ``assign`` gives no caseworker to a spell starting inside the first part;
    ``fix_after_first_part`` (a booking adjuster) gives one once the spell is past it;
    ``hold`` holds a seat's session on its day (other bookings: the previous ``hold``).
    """

    def __init__(self, group: str, config: Config, sv, model, counters: dict):
        self.group = group
        self.pool = sv.pool
        self.window, self.team_size, self.seats = config.session(group)
        self.first_part = config.first_part_days
        self.weekdays = frozenset(config.weekdays)
        inner = sv.booking_policy
        self.inner_reserve = inner.reserve
        self.inner_cancel = inner.cancel
        self.inner_holds_time = inner.holds_time
        self.inner_caseload = sv.caseload
        self.inner_hold = sv.hold
        self.talks = sv.talks
        self.round = model.daily_round
        self.log = model.log
        self.counters = counters
        # the booking rule of the policy wrapped (the practice's, if it is not the baseline's);
        # lead times and the no-show share of the group's talk service
        if isinstance(inner, AppointmentBooking):
            self.latest_timely = inner.latest_timely
        else:
            self.latest_timely = model.cfg.model.talks.booking_rule == "latest_timely"
        self.booking_lead = sv.talks.booking_lead
        self.rebooking_lead = sv.talks.rebooking_lead
        self.no_show_share = sv.talks.no_show_share
        self.s_arrival = model.streams[f"{NAME}/arrival/{group}"]
        self.s_no_show = model.streams[f"{NAME}/no_show/{group}"]
        self.env = model.env
        self.horizon = model.horizon
        self.plan_ahead = config.plan_ahead_days
        self.demand_days = config.demand_days
        # seat reservations made on each day (not at t0: the stock's bookings), for the plan
        self.seat_demand = [0] * (model.horizon + 1)
        self.live: dict[int, list[Session]] = {}   # day -> sessions opened, not yet held
        self.session_of: dict = {}           # seat booking -> its session
        self.open: dict[int, list[Session]] = {}   # day -> sessions with a free seat
        self.open_days: list[int] = []       # the keys of ``open``, sorted
        self.records: list[SessionRecord] = []

    # ------------------------------------------------------------------ caseload
    def assign(self, c, now: float) -> int | None:
        """No caseworker for a spell starting inside the first part; else the previous policy's."""
        if now - c.spell_start < self.first_part:
            return None
        return self.inner_caseload.assign(c, now)

    def fix_after_first_part(self, c, b, now: float) -> None:
        """On a new booking, before it is reserved: a citizen without a caseworker whose spell
        is past the first part gets one (the previous caseload policy's choice) and leaves the
        shared pool."""
        if c.member is None and now - c.spell_start >= self.first_part:
            member = self.inner_caseload.assign(c, now)
            if member is not None:
                self.pool.reassign(c, member)
                self.counters["fixed_after_first_part"] += 1

    # ------------------------------------------------------------------ booking
    def reserve(self, c, b, lead_days: int, now: float) -> None:
        """Seat booking ``b`` in a session, ``lead_days`` from today at the earliest, if the
        citizen is in the first part without a caseworker; else the previous policy books it."""
        if c.member is not None or now - c.spell_start >= self.first_part:
            self.inner_reserve(c, b, lead_days, now)
            return
        today = int(now)
        earliest = earliest_day(lead_days, now)
        cn = self.counters
        if now > 0.0:
            self.seat_demand[today] += 1
        s = self._find_session(b.target, earliest, today)
        if s is None:                # no team can be formed anywhere: the talk cannot be held
            cn["seats_unbookable"] += 1
            self.round.add(unbookable(b, earliest), b)   # counted as missed on its deadline
            return
        seats = s.seats
        seats.append(b)
        self.session_of[b] = s
        if len(seats) >= self.seats:
            self._close(s)
        b.day = s.day
        # who calls the citizen in (the booker's work goes to this member): the team in turn
        b.member = s.team[(len(seats) - 1) % len(s.team)]
        cn["seats_booked"] += 1
        if s.day < b.target:
            cn["seat_days_before_target"] += b.target - s.day
        if s.day > b.due:
            cn["seats_late"] += 1
        self.round.add(s.day, b)

    def cancel(self, c, b) -> None:
        """The citizen's spell ended before talk ``b``: its seat is freed; a session left with
        no one called is called off and its window given back to the team's books."""
        s = self.session_of.pop(b, None)
        if s is None:
            self.inner_cancel(c, b)
            return
        was_full = len(s.seats) >= self.seats
        s.seats.remove(b)
        self.counters["seats_cancelled"] += 1
        if not s.seats:
            if not was_full:
                self._close(s)
            self._call_off(s)
        elif was_full:
            self._open(s)

    def holds_time(self, b) -> bool:
        """True if booking ``b`` holds ``b.minutes`` of ``b.member``'s book on ``b.day``: never
        for a seat (its session's window holds the time), else as the previous policy says."""
        if b in self.session_of:
            return False
        return self.inner_holds_time(b)

    def _call_off(self, s: Session) -> None:
        """Session ``s`` (no longer open for seats) will not be held: its window is given back
        to the team's books."""
        pool, w = self.pool, self.window
        for m in s.team:
            pool.release(s.day, m, w)
        self._forget(s)
        self.counters["sessions_called_off"] += 1
        self.counters["team_minutes_called_off"] += w * len(s.team)

    def _forget(self, s: Session) -> None:
        """``s`` is held or called off: no longer among the day's live sessions."""
        on_day = self.live[s.day]
        on_day.remove(s)
        if not on_day:
            del self.live[s.day]

    def _open(self, s: Session) -> None:
        """``s`` has a free seat."""
        day = s.day
        on_day = self.open.get(day)
        if on_day is None:
            self.open[day] = [s]
            insort(self.open_days, day)
        else:
            on_day.append(s)

    def _close(self, s: Session) -> None:
        """``s`` has no free seat any more (or is held or called off)."""
        day = s.day
        on_day = self.open[day]
        on_day.remove(s)
        if not on_day:
            del self.open[day]
            del self.open_days[bisect_left(self.open_days, day)]

    def _find_session(self, target: int, earliest: int, today: int) -> Session | None:
        """A session with a free seat, or a new one, by the booking rule: with ``latest_timely``
        the latest session on or before ``target`` with a free seat, else a new session on the
        latest day on or before it where a team can be formed; failing both, or by the
        earliest-free rule, the earliest day from then on with either (a session with a seat
        first on a day that has both)."""
        days = self.open_days
        last = min(target, self.pool.n_days - 1)
        if self.latest_timely:
            i = bisect_right(days, last)
            if i and days[i - 1] >= earliest:
                return self.open[days[i - 1]][0]
            d = last
            while d >= earliest:
                s = self._new_session(d, today)
                if s is not None:
                    return s
                d -= 1
            start = max(earliest, last + 1)
        else:
            start = earliest
        i = bisect_left(days, start)
        existing = days[i] if i < len(days) else self.pool.n_days
        d = start
        while d < existing:
            s = self._new_session(d, today)
            if s is not None:
                return s
            d += 1
        if existing < self.pool.n_days:
            return self.open[existing][0]
        return None

    def _new_session(self, day: int, today: int) -> Session | None:
        """Open a session on ``day`` if ``team_size`` members each have the window free there
        (on today, members off sick are passed over): those with most free appointment time."""
        if day % 7 not in self.weekdays:
            return None
        pool = self.pool
        if max(pool.appt[day]) < self.window - _EPS:   # the common case in a full book: nobody
            return None                                # has the window
        free = self._with_window(day, today)
        if len(free) < self.team_size:
            return None
        team = free[:self.team_size]     # the members with most room (ties: the lower number)
        for m in team:
            pool.take(day, m, self.window)
        s = Session(day, team)
        self._open(s)
        self.live.setdefault(day, []).append(s)
        self.counters["sessions_opened"] += 1
        return s

    def _with_window(self, day: int, today: int, exclude=()) -> list[int]:
        """The members (not in ``exclude``) with the whole window free in their appointment
        time on ``day``, less a rounding margin, most free minutes first (ties: the lower
        number); on ``today`` or earlier those off sick are passed over. A window is held in
        appointment time: the long-talk rule of ``members_with_room`` (a day's appointment time
        and desk time together) does not apply to it."""
        w = self.window - _EPS
        row = self.pool.appt[day]
        return [m for m in self.pool.members_with_room(day, w, today, exclude) if row[m] >= w]

    # ------------------------------------------------------------------ the session plan
    def start_plan(self) -> None:
        """Plan standing sessions every day from today (with ``plan_ahead_days`` > 0)."""
        self.env.timeout(0.0).callbacks.append(self._plan)

    def _plan(self, _event) -> None:
        """Every day (before the day's talks): call off the planned sessions still without a
        seat up to the day that booking lead time reaches; on a workday, plan sessions on the day
        ``plan_ahead_days`` ahead, as many as the seats booked per session day over the last
        ``demand_days`` need (made with the day's team where it can be formed)."""
        today = int(self.env.now)
        days = self.open_days
        reach = today + self.booking_lead
        for d in days[:bisect_right(days, reach)]:
            for s in list(self.open[d]):
                if not s.seats:
                    self._close(s)
                    self._call_off(s)
                    self.counters["planned_sessions_unused"] += 1
        if today % 7 < 5:
            day = today + self.plan_ahead
            if day % 7 in self.weekdays and day < self.pool.n_days:
                first = max(0, today - self.demand_days)
                session_days = sum(1 for d in range(first, today) if d % 7 in self.weekdays)
                if session_days:
                    demand = sum(self.seat_demand[first:today]) / session_days
                    want = math.ceil(demand / self.seats - _EPS)
                    for _ in range(want - len(self.live.get(day, ()))):
                        if self._new_session(day, today) is None:
                            self.counters["planned_sessions_without_team"] += 1
                            break
                        self.counters["sessions_planned"] += 1
        if today + 1 < self.horizon:
            self.env.timeout(1.0).callbacks.append(self._plan)

    # ------------------------------------------------------------------ holding
    def hold(self, c, day: int) -> None:
        """The booked day has come: a seat's day holds its whole session; other bookings go to
        the previous ``hold``."""
        s = self.session_of.get(c.talk)
        if s is None:
            self.inner_hold(c, day)
        else:
            self._hold_session(s, day)

    def _stand_in(self, s: Session, day: int) -> int | None:
        """A colleague outside the team, present today with the window free (most room first,
        ties: the lower number)."""
        free = self._with_window(day, day, exclude=s.team)
        return free[0] if free else None

    def _hold_session(self, s: Session, day: int) -> None:
        """Hold session ``s`` today: the team present (or a stand-in; with nobody the seats are
        called again), the citizens' arrival and the team's queue, the team's time, each talk's
        bookkeeping and the session's log row, the no-shows called again, the counters and the
        session's record."""
        self._take_down(s)
        team, reserved, absent = self._team_present(s, day)
        if not team:
            self._call_again_absent(s, day, reserved, absent)
            return
        clock, shown, missing = self._receive(s.seats, team)
        in_window, overrun, returned, deferred = self._account_time(day, team, clock)
        used = in_window + overrun
        resource = self._record_talks(day, team, clock, shown, used)
        self._call_again_no_shows(missing, day, resource)
        rec = SessionRecord(self.group, day, len(s.seats), len(shown), len(missing), len(team),
                            reserved, absent, used, in_window, overrun, returned, deferred)
        self._count(rec)
        self.records.append(rec)

    def _take_down(self, s: Session) -> None:
        """``s`` is being held: no longer open for seats, live, nor the session of its seats."""
        if len(s.seats) < self.seats:
            self._close(s)
        self._forget(s)
        session_of = self.session_of
        for b in s.seats:
            del session_of[b]

    def _team_present(self, s: Session, day: int) -> tuple[list[int], float, float]:
        """(team present, window minutes reserved, of them given back for absence): the window
        of a member off sick goes back to the book; with the whole team off, a colleague with
        the window free stands in (no one: an empty team)."""
        pool, window = self.pool, self.window
        present = pool.present[day]
        team = [m for m in s.team if present[m]]
        absent = window * (len(s.team) - len(team))
        for m in s.team:
            if not present[m]:
                pool.release(day, m, window)
        reserved = window * len(s.team)
        if not team:
            alt = self._stand_in(s, day)
            if alt is not None:
                pool.take(day, alt, window)     # the stand-in's window, reserved today
                reserved += window
                team = [alt]
                self.counters["stand_ins"] += 1
        return team, reserved, absent

    def _call_again_absent(self, s: Session, day: int, reserved: float, absent: float) -> None:
        """Nobody to receive the citizens of ``s``: each is called again to a new seat."""
        cn, gc = self.counters, self.talks.counters
        seats = s.seats
        cn["sessions_rebooked_absent"] += 1
        cn["team_minutes_reserved"] += reserved
        cn["team_minutes_absent"] += absent
        lead = self.rebooking_lead
        cn["seats_moved_absent"] += len(seats)
        for b in list(seats):
            gc.absence_rebookings += 1
            self.reserve(b.citizen, b, lead, day)

    def _receive(self, seats: list, team: list[int]) -> tuple[list[float], list, list]:
        """The called citizens arrive in a random order (Fisher-Yates on the session's stream);
        each who shows goes to the first team member to be free. Returns each member's minutes
        (``clock``, in ``team``'s order), the shows with their start in the window (minutes) and
        the no-shows."""
        order = list(seats)
        u = self.s_arrival.random
        for i in range(len(order) - 1, 0, -1):
            j = int(u() * (i + 1))
            order[i], order[j] = order[j], order[i]
        clock = [0.0] * len(team)
        shown, missing = [], []
        ns, share = self.s_no_show.random, self.no_show_share
        for b in order:
            if share > 0.0 and ns() < share:
                missing.append(b)
                continue
            k = clock.index(min(clock))
            b.member = team[k]
            shown.append((b, clock[k]))
            clock[k] += b.minutes
        return clock, shown, missing

    def _account_time(self, day: int, team: list[int],
                      clock: list[float]) -> tuple[float, float, float, float]:
        """The team's time (see the module's docstring): talk minutes inside the window are
        appointment time used, window time left over goes back to the book, overrun comes out
        of the member's free appointment time, then desk time, then waits as documentation.
        Returns (in window, overrun, returned, deferred) minutes."""
        cn, pool, talks, window = self.counters, self.pool, self.talks, self.window
        in_window = overrun = returned = deferred = 0.0
        talk_used, appt = pool.talk_used, pool.appt[day]
        for k, m in enumerate(team):
            used = clock[k]
            if used <= window:
                in_window += used
                rest = window - used
                if rest > 0.0:
                    returned += rest
                    pool.release(day, m, rest)
                talk_used[m] += used
                continue
            in_window += window
            over = used - window
            overrun += over
            a = appt[m]                     # free appointment time first
            if a > 0.0:
                if a > over:
                    a = over
                pool.take(day, m, a)
                cn["overrun_from_appointment_time"] += a
                over -= a
            if over > 0.0:                  # then the day's desk time
                d = pool.use_desk_time(day, m, over)
                if d > 0.0:
                    cn["overrun_from_desk_time"] += d
                    over -= d
            if over > _EPS:                 # queued: documented at the desk when time allows
                deferred += over
                pool.add_background(m, "talk_documentation", over)
                talks.work_documentation -= over
            else:
                over = 0.0
            talk_used[m] += used - over
        return in_window, overrun, returned, deferred

    def _record_talks(self, day: int, team: list[int], clock: list[float], shown: list,
                      used: float) -> str:
        """Every talk held: the talk service's bookkeeping and log row (then the citizen's next
        booking); the session's log row. Returns the session's resource label (the team)."""
        talks, log = self.talks, self.log
        start_of_day = day + WINDOW_STARTS_MINUTE / 1440.0
        for b, start in shown:
            talks.record_held(b.citizen, b, day, start_of_day + start / 1440.0)
        labels = self.pool.labels
        resource = "+".join(labels[m] for m in team)
        if log.enabled:
            span = max(self.window, max(clock))
            log.add(-1, self.group, "group_session", start_of_day,
                    start_of_day + span / 1440.0, resource, used, NOT_APPLICABLE)
        return resource

    def _call_again_no_shows(self, missing: list, day: int, resource: str) -> None:
        """No-shows cost the team nothing; each is logged and called again to a new seat."""
        gc, log, lead = self.talks.counters, self.log, self.rebooking_lead
        start_of_day = day + WINDOW_STARTS_MINUTE / 1440.0
        for b in missing:
            c = b.citizen
            gc.no_shows += 1
            log.add(c.id, c.group, "no_show", start_of_day, start_of_day, resource, 0.0,
                    NOT_APPLICABLE)
            self.reserve(c, b, lead, day)

    def _count(self, rec: SessionRecord) -> None:
        """A session held: its minutes and citizens in the mechanism's counters."""
        cn = self.counters
        cn["sessions_held"] += 1
        cn["seats_called"] += rec.seats
        cn["shows"] += rec.shows
        cn["no_shows"] += rec.no_shows
        cn["team_minutes_reserved"] += rec.reserved
        cn["team_minutes_absent"] += rec.absent
        cn["team_minutes_used"] += rec.used
        cn["team_minutes_in_window"] += rec.in_window
        cn["team_minutes_overrun"] += rec.overrun
        cn["team_minutes_returned"] += rec.returned
        cn["overrun_deferred"] += rec.deferred

COUNTERS = (
    "sessions_opened", "sessions_held", "sessions_called_off", "sessions_rebooked_absent",
    "stand_ins", "seats_booked", "seats_cancelled", "seats_moved_absent", "seats_unbookable",
    "seats_late", "seat_days_before_target", "seats_called", "shows", "no_shows",
    "team_minutes_reserved", "team_minutes_absent", "team_minutes_called_off",
    "team_minutes_used", "team_minutes_in_window", "team_minutes_overrun",
    "team_minutes_returned", "overrun_from_appointment_time", "overrun_from_desk_time",
    "overrun_deferred", "fixed_after_first_part", "sessions_planned",
    "planned_sessions_unused", "planned_sessions_without_team",
)
"""The mechanism's counters (all groups together; ``GroupSessions.records`` has each session)."""


def install(config: Config, model) -> dict[str, GroupSessions]:
    """Group-book the first part of the contact course of every group in ``config.groups``.

    Returns the groups' :class:`GroupSessions` (for tests); a team larger than the group's pool
    or a window longer than a caseworker's daily appointment time is a :class:`ConfigError`.
    """
    counters = model.counters.mechanism(NAME)
    for k in COUNTERS:
        counters[k] = 0
    installed: dict[str, GroupSessions] = {}
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        window, team, _ = config.session(g)
        pool = sv.pool
        own = config.by_group.get(g) or SessionSettings()

        def where(key: str) -> str:
            inner = f".by_group.{g}" if getattr(own, key) is not None else ""
            return f"mechanisms.{NAME}{inner}.{key}"

        if team > pool.n:
            raise ConfigError(f"'{where('team_size')}' = {team} is larger than pool "
                              f"'{pool.name}' serving {g} ({pool.n} caseworkers); valid: 1 to "
                              f"{pool.n}")
        longest = max(pool.appt_full)
        if window > longest:
            raise ConfigError(f"'{where('window_minutes')}' = {window:g} is longer than a "
                              f"caseworker's daily appointment time in pool '{pool.name}' "
                              f"({longest:.0f} minutes)")
        lead = model.cfg.model.talks.booking_lead_days
        if 0 < config.plan_ahead_days <= lead:
            raise ConfigError(f"'mechanisms.{NAME}.plan_ahead_days' = {config.plan_ahead_days} "
                              f"must be 0 (no plan) or more than the booking lead time "
                              f"('model.talks.booking_lead_days' = {lead})")
        sessions = GroupSessions(g, config, sv, model, counters)
        if config.plan_ahead_days:
            sessions.start_plan()
        sv.booking_policy = sessions
        sv.caseload = sessions
        sv.hold = sessions.hold
        sv.booking_adjusters.append(sessions.fix_after_first_part)
        model.at_warmup_end.append(sessions.records.clear)
        installed[g] = sessions
    return installed


__all__ = ["NAME", "SEAM", "Config", "SessionSettings", "GroupSessions", "SessionRecord",
           "install"]
