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
    When no room exists before the deadline the talk is late (the first day with room after
    it); when no caseworker has time at all it cannot be held and is counted as missed on its
    deadline.
    """

    __slots__ = ("pool", "round", "latest_timely")

    def __init__(self, pool: "StaffPool", daily_round: "DailyRound", rule: str):
        self.pool = pool
        self.round = daily_round
        self.latest_timely = rule == "latest_timely"

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
    """Seam *who books*, the baseline: the caseworker who holds the talk books it and writes
    the invitation letter, as desk work of the day (``talks.booking_minutes`` and
    ``talks.letter_rewrite_minutes`` per booking, QB14 3). The pool turns each caseworker's
    count of bookings into that work when the day's desk hours end (``StaffPool.booking_work``,
    set here)."""

    __slots__ = ("pool",)

    def __init__(self, pool: "StaffPool", practice: "TalkPractice"):
        self.pool = pool
        pool.booking_work = tuple((act, mins) for act, mins in (
            ("booking", practice.booking_minutes),
            ("invitation_letter", practice.letter_rewrite_minutes)) if mins > 0)

    def booked(self, c: "Citizen", b: "Booking") -> None:
        """Talk ``b`` was booked: count it for its caseworker (or the citizen's), whose desk gets
        its booking work at the end of the day."""
        member = b.member if b.member is not None else c.member
        if member is not None:
            self.pool.bookings[member] += 1


class NoBookingWork:
    """Seam *who books*, when booking takes no staff time (``talks.booking_minutes`` and
    ``talks.letter_rewrite_minutes`` both 0)."""

    __slots__ = ()

    def booked(self, c: "Citizen", b: "Booking") -> None:
        """Nothing to do."""
