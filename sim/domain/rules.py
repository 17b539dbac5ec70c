"""The rulebook applied: when the next mandated talk of a spell falls due.

Deadlines are data (``conf/rules/*.yaml``); this module only reads them. Days count from the start
of the simulation; ``spell_day`` is the number of days since the spell began.
"""
from __future__ import annotations

from ..config import GroupRules


class TalkSchedule:
    """Talk deadlines of one benefit group."""

    __slots__ = ("first_talk_days", "_from", "_interval", "constant_interval")

    def __init__(self, rules: GroupRules):
        self.first_talk_days = rules.first_talk_days
        self._from = [p.from_day for p in rules.cadence]
        self._interval = [p.interval_days for p in rules.cadence]
        # one interval from the spell's first day on (None: several phases)
        self.constant_interval = (self._interval[0]
                                  if len(self._interval) == 1 and self._from[0] <= 0 else None)

    def interval(self, spell_day: float) -> int:
        """Maximum days between talks for a spell that is ``spell_day`` days old."""
        if self.constant_interval is not None:
            return self.constant_interval
        iv = self._interval[0]
        for start, value in zip(self._from, self._interval):
            if spell_day >= start:
                iv = value
            else:
                break
        return iv

    def next_due(self, spell_start: float, last_talk_day: float | None) -> int:
        """Latest timely day of the next talk.

        The first talk of a spell (visitation) is due ``first_talk_days`` after the spell starts;
        later talks are due one cadence interval after the previous talk, the interval being the
        one in force when the previous talk was held.
        """
        if last_talk_day is None:
            return int(spell_start + self.first_talk_days)
        return int(last_talk_day + self.interval(last_talk_day - spell_start))

    def next_planned(self, spell_start: float, last_talk_day: float | None,
                     share: float) -> int:
        """The day the jobcenter plans the next talk for: ``share`` of the interval after the
        last talk (the first talk is planned for its deadline)."""
        if last_talk_day is None:
            return int(spell_start + self.first_talk_days)
        return int(last_talk_day + share * self.interval(last_talk_day - spell_start))
