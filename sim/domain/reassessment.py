"""The formal reassessment of flexjob-unemployment cases (ledighedsydelse).

A citizen who has received the benefit for 12 of the last 18 months is formally reassessed:
10-20 caseworker hours of desk work plus medical certificates, which change the assessment in
about 1% of cases (QB14); a changed assessment ends the spell. The rulebook says which groups
are reassessed and how often (``rules.groups.<group>.reassessment_after_days``). Times are days.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .population import SpellPlan
from .staff import DeskTask

if TYPE_CHECKING:
    from ..config import SimConfig
    from ..engine.streams import Streams
    from .spells import Citizen, Spells

INF = math.inf


class FormalReassessment:
    """The reassessment of one group's citizens every ``after_days`` of their spell."""

    def __init__(self, group: str, after_days: int, cfg: "SimConfig", env, certificates: dict,
                 streams: "Streams", services, spells: "Spells", unmet: dict):
        self.group = group
        self.unmet = unmet                        # work its pool has no staff for (minutes)
        self.after_days = after_days
        self.env = env
        self.ra = cfg.model.ly_reassessment
        self.certificates = certificates
        self.stream = streams[f"reassessment/{group}"]
        self.services = services                  # the group's desk-work routing
        self.spells = spells

    def schedule(self, c: "Citizen", now: float, spell_start: float) -> None:
        """The first reassessment of a spell that started on ``spell_start`` (``now``: today)."""
        step = self.after_days
        k = max(1, math.ceil((now - spell_start) / step))
        c.reassess_day = spell_start + k * step

    def reassess(self, c: "Citizen") -> None:
        """Reassess citizen ``c`` now: desk work, certificates, and maybe a changed outcome."""
        now = self.env.now
        c.reassess_day = now + self.after_days
        ra = self.ra
        self.certificates["reassessment"] += ra.certificates
        changes = self.stream.random() < ra.changes_assessment_share
        spell = c.spell_no

        def done(t: float):
            if changes and c.spell_no == spell and c.end_day > t:
                c.plan = SpellPlan(c.plan.length, ra.destination, "exit", ra.destination, False)
                c.end_day = max(t, self.env.now)
                c.referral_day = INF
                self.spells.wake(c, c.end_day)

        pool, member = self.services.routing.route(c, "ly_reassessment")
        if ra.hours > 0 and pool.n > 0:
            task = DeskTask(c.id, self.group, "ly_reassessment", ra.hours * 60.0, now, done)
            c.tasks.append(task)
            pool.enqueue(member, task)
        elif ra.hours <= 0:
            done(now)                  # no caseworker time needed: decided at once
        else:                          # nobody to do it: counted, the assessment stands
            self.unmet["ly_reassessment"] += ra.hours * 60.0


class NoReassessment:
    """The groups the rulebook does not reassess: no reassessment date (``c.reassess_day``
    stays INF)."""

    __slots__ = ()

    def schedule(self, c: "Citizen", now: float, spell_start: float) -> None:
        """Nothing to schedule."""
