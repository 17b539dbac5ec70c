"""Which staff member does a piece of desk work: desk-work routing (a seam, :mod:`sim.seams`).

Desk work for a citizen (offer start-up, rehabilitation preparation, a reassessment) queues
first come, first served at a staff member's desk (:mod:`sim.engine.queues`). The baseline
sends it to the citizen's own caseworker, or, for a citizen of a shared caseload, to the member
of the pool who would be free first.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spells import Citizen
    from .staff import StaffPool


class OwnCaseworker:
    """Seam *desk-work routing*, the baseline: the citizen's caseworker does it."""

    __slots__ = ()

    def route(self, c: "Citizen", activity: str) -> tuple["StaffPool", int | None]:
        """(pool, member) to queue ``activity`` for citizen ``c`` with (member None: whoever
        of the pool would be free first)."""
        return c.pool, c.member
