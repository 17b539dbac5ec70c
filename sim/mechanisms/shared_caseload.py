"""Shared caseload: a citizen is served by whichever caseworker of the pool has room (QB14 C2).

A talk is booked with any pool member who has room on the day the booking rule picks, and when
that caseworker is ill on the day a colleague with room takes the talk instead of it being moved.
Total time per talk (preparation and documentation) is ``talk_minutes_saved`` shorter. Citizens
judged at risk of long-term unemployment (``at_risk_fixed_share`` of new spells) keep a fixed
caseworker, and so do citizens once their spell is ``fixed_after_days`` old. Seam: the caseload
policy of a group (:class:`sim.seams.CaseloadPolicy`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import nonneg, probability
from .common import check_groups

NAME = "shared_caseload"
SEAM = "caseload policy"


@dataclass
class Config:
    """``groups`` with a shared caseload; ``talk_minutes_saved``: minutes less of preparation
    and documentation per talk with a shared caseload (QB14: 10); ``keep_fixed_groups``: groups
    whose long-term and at-risk citizens keep a fixed caseworker, after ``fixed_after_days`` of
    spell (QB14: 52 weeks) or from the start for ``at_risk_fixed_share`` of new spells."""

    groups: list[str] = field(default_factory=list)
    talk_minutes_saved: float = nonneg(0.0)
    keep_fixed_groups: list[str] = field(default_factory=list)
    fixed_after_days: int = nonneg(364)
    at_risk_fixed_share: float = probability(0.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        check_groups(self.keep_fixed_groups, f"{path}.keep_fixed_groups")


class SharedCaseload:
    """The caseload policy of a group served by the whole pool.

    A new spell joins the shared pool (no caseworker of its own) unless the group keeps its
    long-term and at-risk citizens fixed: then a share of new spells (stream ``at_risk/<group>``)
    and spells already older than ``fixed_after_days`` get a caseworker at once, and a shared
    citizen gets one before the first talk booked after that age. A shared citizen's talks take
    ``talk_minutes_saved`` fewer minutes of preparation and documentation (in proportion).
    """

    __slots__ = ("pool", "keep_fixed", "fixed_after_days", "at_risk_share", "s_at_risk",
                 "saved")

    def __init__(self, pool, config: Config, keep_fixed: bool, stream):
        self.pool = pool
        self.keep_fixed = keep_fixed
        self.fixed_after_days = config.fixed_after_days
        self.at_risk_share = config.at_risk_fixed_share
        self.s_at_risk = stream
        self.saved = config.talk_minutes_saved

    def assign(self, c, now: float) -> int | None:
        """None (the shared pool), or a caseworker for an at-risk or long-term citizen."""
        if self.keep_fixed:
            at_risk = self.s_at_risk.random() < self.at_risk_share
            if at_risk or now - c.spell_start > self.fixed_after_days:
                return self.pool.assign()
        return None

    def adjust(self, c, b, now: float) -> None:
        """On a new booking of a shared citizen: a caseworker of their own if the group keeps
        long-term citizens fixed and the spell has become long-term; otherwise fewer minutes of
        preparation and documentation."""
        if c.member is None:
            if self.keep_fixed and now - c.spell_start > self.fixed_after_days:
                self.pool.reassign(c, self.pool.assign())
                return
            desk = b.preparation + b.documentation
            if desk > 0.0 and self.saved > 0.0:
                b.shorten_desk_minutes(1.0 - min(self.saved, desk) / desk)


def install(config: Config, model) -> None:
    """Give every group in ``config.groups`` that the jobcenter has the shared caseload."""
    keep = set(config.keep_fixed_groups)
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        policy = SharedCaseload(sv.pool, config, g in keep, model.streams[f"at_risk/{g}"])
        sv.caseload = policy
        if policy.keep_fixed or policy.saved > 0.0:
            sv.booking_adjusters.append(policy.adjust)
