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
    ``pending_information_share`` (stream ``pending_information/<group>``). The citizens whose
    pending talk was postponed are remembered until it is held, which counts it
    (``talks_postponed/<group>`` in the mechanism's counters).
    """

    __slots__ = ("inner", "stream", "share", "days", "pending", "counters", "key")

    def __init__(self, group: str, inner, stream, share: float, days: int, counters: dict):
        self.inner = inner.next
        self.stream = stream
        self.share = share
        self.days = days
        self.pending: set[int] = set()           # citizens whose next talk is postponed
        self.counters = counters
        self.key = f"talks_postponed/{group}"
        counters[self.key] = 0

    def next(self, c) -> tuple[int, int]:
        """(deadline, planned day) of citizen ``c``'s next talk."""
        due, target = self.inner(c)
        if c.last_talk_day is not None and self.stream.random() < self.share:
            self.pending.add(c.id)
            return due + self.days, target + self.days
        self.pending.discard(c.id)
        return due, target

    def held(self, c, b, day: int, on_time: bool) -> None:
        """A talk was held: count it if it was a postponed one."""
        if c.id in self.pending:
            self.pending.discard(c.id)
            self.counters[self.key] += 1


def install(config: Config, model) -> None:
    """Wrap the deadlines of every group in ``config.groups`` that the jobcenter has."""
    if config.pending_information_share <= 0.0:
        return
    counters = model.counters.mechanism(NAME)
    for g in config.groups:
        sv = model.services.get(g)
        if sv is not None:
            deadlines = PostponedDeadlines(g, sv.deadlines,
                                           model.streams[f"pending_information/{g}"],
                                           config.pending_information_share, config.max_days,
                                           counters)
            sv.deadlines = deadlines
            sv.talk_held.append(deadlines.held)
