"""Which caseworker serves a citizen: the caseload policy (a seam, :mod:`sim.seams`).

The baseline is a fixed caseload: each citizen gets the pool member with the smallest caseload
when a spell starts and keeps that caseworker for the spell; the citizen's unplanned contacts go
to that caseworker's desk. A shared caseload is a mechanism
(:mod:`sim.mechanisms.shared_caseload`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spells import Citizen
    from .staff import StaffPool


class FixedCaseload:
    """Seam *caseload policy*, the baseline: one caseworker per citizen for the whole spell."""

    __slots__ = ("pool",)

    def __init__(self, pool: "StaffPool"):
        self.pool = pool

    def assign(self, c: "Citizen", now: float) -> int | None:
        """The caseworker of citizen ``c``'s new spell (None: the pool has no staff)."""
        return self.pool.assign()
