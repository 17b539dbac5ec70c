"""When a talk is booked, and who does the booking work.

Two seams (:mod:`sim.seams`):

* the **booking policy** finds the day and the caseworker: :class:`AppointmentBooking` reserves
  the talk in the caseworkers' appointment books by the practice's booking rule, at the latest
  timely date with room (``latest_timely``, what most jobcenters do, QB14) or the earliest free
  day (``earliest_free``);
* **who books** does the booking work (calling the citizen in, the invitation letter):
  :class:`CaseworkerBooks`, the citizen's own caseworker, at the desk (the baseline).

Days count from the start of the run; work is minutes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import TalkPractice
    from .spells import Citizen
    from .staff import StaffPool
    from .talks import Booking, DailyRound


def earliest_day(lead_days: int, now: float) -> int:
    """The first day a talk booked at time ``now`` may be held: ``lead_days`` ahead (0: today
    itself, when the day has not begun; otherwise tomorrow at the earliest)."""
    today = int(now)
    return today + lead_days if lead_days > 0 or now == today else today + 1


def unbookable(b: "Booking", earliest: int) -> int:
    """Booking ``b`` found no staff time anywhere: it cannot be held, and comes up on its
    deadline (no earlier than ``earliest``) to be counted as missed. Returns that day."""
    b.day = b.member = None
    if b.due < earliest:
        b.due = earliest
    b.target = b.due
    return b.due


class AppointmentBooking:
    """Seam *booking policy*, the baseline: a talk goes into a caseworker's appointment book.

    A citizen with a caseworker of their own is booked in that caseworker's book; a citizen of
    a shared caseload (``member`` None) with whichever member has most room on the day found.
    When no room exists before the deadline, extra talks in the way give way
    (``make_room``), or else a colleague of the pool with room before the deadline takes the
    talk (cover for holidays and full diaries); failing both the talk is late (the first day
    with room after it, in the own caseworker's book); when no caseworker has time at all it
    cannot be held and is counted as missed on its deadline.
    """

    __slots__ = ("pool", "round", "latest_timely", "make_room")

    def __init__(self, pool: "StaffPool", daily_round: "DailyRound", rule: str):
        self.pool = pool
        self.round = daily_round
        self.latest_timely = rule == "latest_timely"
        # f(c, booking, earliest) -> (day, member) or None: elastic work that gives way to a
        # talk that would otherwise be late (the extra talks' make_room); None: nothing does
        self.make_room = None

    def reserve(self, c: "Citizen", b: "Booking", lead_days: int, now: float) -> None:
        """Put booking ``b`` in the appointment book, ``lead_days`` from today at the earliest
        (0: today itself, when the day has not begun), and in the diary for its day; ``now``
        is the time."""
        today = int(now)
        # earliest_day, inline (it runs for every booking and rebooking)
        earliest = today + lead_days if lead_days > 0 or now == today else today + 1
        pool = self.pool
        if b.minutes > pool.longest_talk > 0.0:
            b.fit(pool.longest_talk)
        day = member = None
        if c.member is None:
            got = pool.book_shared(b.target, earliest, b.minutes, self.latest_timely, today)
            if got is not None:
                day, member = got
        elif pool.n:
            day = pool.book_fixed(c.member, b.target, earliest, b.minutes, self.latest_timely)
            member = c.member
        if (day is None or day > b.due) and earliest <= b.due:
            room = None
            if self.make_room is not None:
                room = self.make_room(c, b, earliest)    # extra talks give way to a mandated one
            if room is None and c.member is not None:
                room = self._cover(b, earliest, today)   # a colleague takes it in time
            if room is not None:
                if day is not None:
                    pool.release(day, member, b.minutes)
                day, member = room
        if day is None:                   # no caseworker time anywhere: the talk cannot be held
            comes_up = unbookable(b, earliest)
        else:
            comes_up = day
            b.day, b.member = day, member
        # DailyRound.add, inline (one call fewer for every booking and rebooking)
        rnd = self.round
        if comes_up < rnd.horizon:
            todays = rnd.diary[comes_up]
            if todays is None:
                raise RuntimeError(f"talk booked on day {comes_up} after that day's talks "
                                   "were held")
            todays.append(b)

    def _cover(self, b: "Booking", earliest: int, today: int) -> tuple[int, int] | None:
        """A colleague in the pool with room for talk ``b`` on a day from ``earliest`` to its
        deadline (the latest such day by the latest-timely rule), the time reserved; None if
        nobody has room in time. A manager facing sanctions has a mandated talk covered rather
        than held late (the caseworker on holiday or fully booked)."""
        pool = self.pool
        got = pool.book_shared(b.due, earliest, b.minutes, True, today)
        if got is None:
            return None
        if got[0] > b.due:
            pool.release(got[0], got[1], b.minutes)
            return None
        return got

    def cancel(self, c: "Citizen", b: "Booking") -> None:
        """Talk ``b`` will not be held as booked (the spell ended, or the talk gives way to
        other work and is booked again): its appointment time is given back."""
        if b.day is not None:
            self.pool.release(b.day, b.member, b.minutes)

    def holds_time(self, b: "Booking") -> bool:
        """True if booking ``b`` holds ``b.minutes`` of ``b.member``'s appointment book on
        ``b.day`` (so that cancelling it gives that time back)."""
        return b.day is not None and b.member is not None


class CaseworkerBooks:
    """Seam *who books*, the baseline: booking is split between case-support staff and the
    caseworker who holds the talk (QB14: the 679 case-support staff do booking, phone duty and
    letters, caseworkers spend 5-98 hours a year on "other administration, e.g. booking and
    mail"). Each booking brings ``talks.booking_minutes`` and ``talks.letter_rewrite_minutes``
    (QB14 3) of work. With probability ``case_support.booking_share`` (stream
    ``booking_split/<group>``) case support makes it (``StaffPool.hand_in``); otherwise the
    caseworker does, at the desk: the pool turns each caseworker's count of bookings into that
    work when the day's desk hours end (``StaffPool.booking_work``, set here)."""

    __slots__ = ("pool", "support", "share", "draw", "work")

    def __init__(self, pool: "StaffPool", practice: "TalkPractice", support: "StaffPool",
                 support_share: float, stream):
        self.pool = pool
        self.support = support
        self.share = support_share
        self.draw = stream.random
        self.work = tuple((act, mins) for act, mins in (
            ("booking", practice.booking_minutes),
            ("invitation_letter", practice.letter_rewrite_minutes)) if mins > 0)
        pool.booking_work = self.work

    def support_books(self) -> bool:
        """Whether case support makes the booking now being made (one draw per booking)."""
        return self.share > 0.0 and self.draw() < self.share

    def booked(self, c: "Citizen", b: "Booking") -> None:
        """Talk ``b`` was booked: case support or the caseworker does the booking work."""
        if self.support_books():
            self.by_support(c, b)
        else:
            self.by_caseworker(c, b)

    def by_support(self, c: "Citizen", b: "Booking") -> None:
        """Case support calls the citizen in and sends the letter (today's desk work)."""
        for act, mins in self.work:
            self.support.hand_in(act, mins)

    def by_caseworker(self, c: "Citizen", b: "Booking") -> None:
        """Count the booking for its caseworker (or the citizen's), whose desk gets its booking
        work at the end of the day."""
        member = b.member if b.member is not None else c.member
        if member is not None:
            self.pool.bookings[member] += 1


class NoBookingWork:
    """Seam *who books*, when booking takes no staff time (``talks.booking_minutes`` and
    ``talks.letter_rewrite_minutes`` both 0)."""

    __slots__ = ()

    def support_books(self) -> bool:
        """Nobody makes bookings: not case support either."""
        return False

    def booked(self, c: "Citizen", b: "Booking") -> None:
        """Nothing to do."""

    by_caseworker = by_support = booked
