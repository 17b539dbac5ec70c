"""The appointment books of a staff pool: one per member, searched by the booking rule.

Talks are appointments: a talk is reserved in a member's book ahead of its day, at the latest
timely date with room or the earliest free day (the booking rule, :mod:`sim.domain.booking`).
The book of member ``m`` is the free appointment minutes ``appt[d][m]`` of each day ``d``
(filled by the pool's calendars, :mod:`sim.domain.staff`). A talk longer than a whole day's
appointment time takes a day with no other appointment and the rest of its minutes from that
day's desk time, so no talk is too long to be held.

:class:`AppointmentBook` is a part of :class:`sim.domain.staff.StaffPool` (a base class, so that
the search pays no extra attribute lookups); it uses the pool's ``n``, ``n_days``, ``appt``,
``desk``, ``appt_full`` and ``sick``.
"""
from __future__ import annotations

import numpy as np

_EPS = 1e-9

_BLOCK_SHIFT = 3
"""The appointment-book search skips days in blocks of ``1 << _BLOCK_SHIFT`` (8) days, see
:meth:`AppointmentBook._build_search_index`."""


class AppointmentBook:
    """Search, reservation and release of appointment time in the members' books."""

    def _build_search_index(self, appt: np.ndarray) -> None:
        """Structures that make the appointment-book search fast (see ``book_fixed``,
        ``book_shared``); they change no result.

        * ``_appt_by_member[m][d]``: the same free appointment minutes as ``appt[d][m]``,
          member-major, so one member's days are one list. Every write to ``appt`` goes to it too
          (``_take``, ``release``, ``_work_day``): it is always equal to ``appt``.
        * ``_block_max[m][k]``: an upper bound (minutes) of member ``m``'s free appointment
          minutes on the days of block ``k``, the 8 days ``d`` with ``d >> _BLOCK_SHIFT == k``.
          A block whose bound is below what a talk needs holds no day with room and is skipped
          whole.
        * ``_day_max[d]``: an upper bound (minutes) of the free appointment minutes of any
          member on day ``d``; a day whose bound is below what a talk needs is skipped without
          looking at its members.

        Taking time only lowers free minutes, so the bounds stay valid without updating them;
        giving time back (``release``) raises a bound where needed. A bound found too high
        during a search is lowered to the exact maximum (lazy invalidation).
        """
        n_days, b = self.n_days, 1 << _BLOCK_SHIFT
        self._appt_by_member = appt.tolist()       # appt is member-major: appt[m, d]
        if self.n == 0:
            self._block_max, self._day_max = [], [0.0] * n_days
        else:
            blocks = -(-n_days // b)
            padded = np.full((self.n, blocks * b), -np.inf)
            padded[:, :n_days] = appt
            self._block_max = padded.reshape(self.n, blocks, b).max(axis=2).tolist()
            self._day_max = appt.max(axis=0).tolist()
        # the shortest whole day's appointment time of any member (minutes): only talks longer
        # than this can take a day by the long-talk rule (see _room)
        self._min_full = min(self.appt_full) if self.n else 0.0

    def has_room(self, day: int, m: int, minutes: float) -> bool:
        """True if member ``m``'s book has room for ``minutes`` on ``day`` (for a talk longer
        than a whole day's appointment time: the day is empty and its desk time holds the
        rest)."""
        return self._room(day, m, minutes)

    def members_with_room(self, day: int, minutes: float, today: int,
                          exclude=()) -> list[int]:
        """The members with room for ``minutes`` on ``day``, most free appointment minutes first
        (ties: the lower number), without those in ``exclude``; on ``today`` or earlier,
        members off sick are passed over (sickness is not known ahead)."""
        row = self.appt[day]
        sick = self.sick[day] if day <= today else None
        found = [m for m in range(self.n) if m not in exclude
                 and (sick is None or not sick[m]) and self._room(day, m, minutes)]
        found.sort(key=lambda m: -row[m])
        return found

    def _room(self, day: int, m: int, minutes: float) -> bool:
        free = self.appt[day][m]
        if free >= minutes:
            return True
        full = self.appt_full[m]
        return minutes > full and free >= full - _EPS and self.desk[day][m] >= minutes - full

    def _take(self, day: int, m: int, minutes: float) -> None:
        full = self.appt_full[m]
        row = self.appt[day]
        if minutes > full and row[m] < minutes:
            free = row[m] - full
            self.desk[day][m] -= minutes - full
        else:
            free = row[m] - minutes
        row[m] = free
        self._appt_by_member[m][day] = free
        # free minutes only went down: _block_max and _day_max remain upper bounds

    def release(self, day: int, member: int, minutes: float) -> None:
        """Give back reserved appointment time (a cancelled or moved booking)."""
        full = self.appt_full[member]
        row = self.appt[day]
        if minutes > full and row[member] < _EPS:
            free = row[member] + full
            self.desk[day][member] += minutes - full
        else:
            free = row[member] + minutes
        row[member] = free
        self._appt_by_member[member][day] = free
        bmax = self._block_max[member]
        k = day >> _BLOCK_SHIFT
        if free > bmax[k]:
            bmax[k] = free
        if free > self._day_max[day]:
            self._day_max[day] = free

    def book_fixed(self, member: int, due: int, earliest: int, minutes: float,
                   latest_timely: bool) -> int | None:
        """Reserve ``minutes`` of ``member``'s appointment time; returns the day or None.

        With ``latest_timely`` the latest day on or before ``due`` is taken, else the earliest
        day from ``earliest``; when no day before the deadline has room, the earliest day after
        it is taken (the talk will be late).

        A day has room if its free appointment minutes hold the talk, or, for a talk longer than
        a whole day's appointment time, if the day is empty (see ``_room``); either way its free
        minutes are at least ``need``. Blocks of days whose bound in ``_block_max`` is below
        ``need`` are skipped whole; the day found is the same as in a day-by-day search.
        """
        row = self._appt_by_member[member]
        bmax = self._block_max[member]
        full = self.appt_full[member]
        long = minutes > full
        need = full - _EPS if long else minutes
        n_days = self.n_days
        last = due if due < n_days else n_days - 1
        if latest_timely:
            d = last
            while d >= earliest:
                k = d >> _BLOCK_SHIFT
                first = k << _BLOCK_SHIFT
                if bmax[k] < need:          # no day of this block has room
                    d = first - 1
                    continue
                stop = first if first > earliest else earliest
                while d >= stop:
                    if row[d] >= need:
                        if not long:            # _take, inline: the talk fits the free time
                            row[d] -= minutes
                            self.appt[d][member] = row[d]
                            return d
                        if self._room(d, member, minutes):
                            self._take(d, member, minutes)
                            return d
                    d -= 1
                bmax[k] = max(row[first:first + (1 << _BLOCK_SHIFT)])   # lower a stale bound
            d = max(earliest, last + 1)
        else:
            d = earliest
        while d < n_days:
            k = d >> _BLOCK_SHIFT
            first = k << _BLOCK_SHIFT
            end = first + (1 << _BLOCK_SHIFT)
            if bmax[k] < need:
                d = end
                continue
            stop = end if end < n_days else n_days
            while d < stop:
                if row[d] >= need:
                    if not long:                # _take, inline: the talk fits the free time
                        row[d] -= minutes
                        self.appt[d][member] = row[d]
                        return d
                    if self._room(d, member, minutes):
                        self._take(d, member, minutes)
                        return d
                d += 1
            bmax[k] = max(row[first:end])
        return None

    def best_member(self, day: int, minutes: float, today: int) -> int | None:
        """The member with most appointment room on ``day`` for a talk of ``minutes`` (None:
        nobody has room): the first of those with the most free minutes, if these exceed
        ``minutes`` (less a rounding margin). On ``today`` or earlier, members off sick are
        passed over. If nobody has that much, the first member for whom the talk is longer than
        a whole day's appointment time and who has the day empty (see ``_room``)."""
        row = self.appt[day]
        if not row:
            return None
        room = minutes - _EPS
        if day > today:
            most = max(row)                 # the first member with most free minutes
            self._day_max[day] = most       # the exact maximum: a valid, tighter bound
            if most > room:
                return row.index(most)
            sick = None
        else:
            best = None
            sick = self.sick[day]
            for m, free in enumerate(row):
                if free > room and not sick[m]:
                    best, room = m, free
            if best is not None:
                return best
        if minutes > self._min_full:
            for m in range(self.n):
                if (minutes > self.appt_full[m] and (sick is None or not sick[m])
                        and self._room(day, m, minutes)):
                    return m
        return None

    def _shared_need(self, minutes: float) -> float:
        """Free appointment minutes (a lower bound) some member must have on a day for
        ``best_member`` to find anyone for a talk of ``minutes``."""
        need = minutes - _EPS
        if minutes > self._min_full:
            long_need = self._min_full - _EPS
            if long_need < need:
                need = long_need
        return need

    def book_shared(self, due: int, earliest: int, minutes: float, latest_timely: bool,
                    today: int) -> tuple[int, int] | None:
        """Reserve ``minutes`` with whichever member has most room; returns (day, member).

        The days are searched as in ``book_fixed``; days whose bound in ``_day_max`` shows
        that nobody can have room are passed over without asking ``best_member``.
        """
        if self.n == 0:
            return None
        need = self._shared_need(minutes)
        day_max = self._day_max
        n_days = self.n_days
        last = min(due, n_days - 1)
        if latest_timely:
            d = last
            while d >= earliest:
                if day_max[d] >= need:
                    m = self.best_member(d, minutes, today)
                    if m is not None:
                        self._take(d, m, minutes)
                        return d, m
                d -= 1
            d = max(earliest, last + 1)
        else:
            d = earliest
        while d < n_days:
            if day_max[d] >= need:
                m = self.best_member(d, minutes, today)
                if m is not None:
                    self._take(d, m, minutes)
                    return d, m
            d += 1
        return None

    def take(self, day: int, member: int, minutes: float) -> None:
        """Reserve ``minutes`` on ``day`` with ``member`` (who has room, see best_member)."""
        self._take(day, member, minutes)
