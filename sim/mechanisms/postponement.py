"""Postponement of due talks while the case awaits information (QB14 proposal A1).

A due follow-up talk may move back by ``max_days`` when the case awaits new information (a
doctor, an operation, a clarification; for unemployment insurance a parallel a-kasse talk just
held). The next talk is then due one full cadence interval after the postponed one, so
postponement thins the talks of a spell, and some spells end inside the window without the
talk. Seam: the deadlines of a group's talks (:class:`sim.seams.Deadlines`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import nonneg, probability
from .common import check_groups

NAME = "postponement"
SEAM = "deadlines"


@dataclass
class Config:
    """``groups`` whose due talks may be postponed; ``pending_information_share``: share of
    due follow-up talks whose case awaits information (an assumption: the source gives none);
    ``max_days``: how far such a talk moves back (QB14: up to 2 weeks)."""

    groups: list[str] = field(default_factory=list)
    pending_information_share: float = probability(0.0)
    max_days: int = nonneg(0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")


class PostponedDeadlines:
    """The deadlines of a group whose due follow-up talks may be postponed.

    Wraps the group's deadlines: a follow-up talk (not the first talk of a spell) is moved back
    by ``max_days``, deadline and planned day alike, with probability
    ``pending_information_share`` (stream ``pending_information/<group>``).
    """

    __slots__ = ("inner", "stream", "share", "days")

    def __init__(self, inner, stream, share: float, days: int):
        self.inner = inner.next
        self.stream = stream
        self.share = share
        self.days = days

    def next(self, c) -> tuple[int, int, bool]:
        """(deadline, planned day, postponed) of citizen ``c``'s next talk."""
        due, target, postponed = self.inner(c)
        if c.last_talk_day is not None and self.stream.random() < self.share:
            return due + self.days, target + self.days, True
        return due, target, postponed


def install(config: Config, model) -> None:
    """Wrap the deadlines of every group in ``config.groups`` that the jobcenter has."""
    if config.pending_information_share <= 0.0:
        return
    for g in config.groups:
        sv = model.services.get(g)
        if sv is not None:
            sv.deadlines = PostponedDeadlines(sv.deadlines,
                                              model.streams[f"pending_information/{g}"],
                                              config.pending_information_share, config.max_days)
