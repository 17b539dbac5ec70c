"""A coordinating caseworker for the activity-ready (the January 2014 cash-benefit reform).

Since the 2014 reform every activity-ready cash-benefit recipient is offered a coordinating
caseworker, who keeps one plan across the municipality's services (health, social services,
education) and the jobcenter's (VIVE20 chapter 1). In the model the citizen keeps their own
caseworker (the baseline's fixed caseload) and that caseworker does the coordination: after
every mandated talk held with a citizen of the groups named, ``minutes_per_talk`` of desk work
(activity ``coordination``, indirect casework), queued through the group's desk-work routing
like any desk task, so it comes out of the caseworkers' time and waits when none is free. With
no caseworker at all it is counted as unmet demand.

A coordinating caseworker is one person who holds the case; a shared caseload, in which any
caseworker of the pool takes the next talk, contradicts it: switching both on for the same group
is a configuration error.

Seam: the group's hooks after a talk held (``talk_held``). Counters (``mechanism_counters``,
measured window): ``coordination_tasks`` (one per talk held in the groups named),
``coordination_minutes``. Times are days, work minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.staff import DeskTask
from ..schema import ConfigError, positive
from .common import check_groups

NAME = "coordinating_caseworker"
SEAM = "holding a talk"

COORDINATION = "coordination"
ACTIVITIES = {COORDINATION: "indirect_casework"}
COUNTERS = ("coordination_tasks", "coordination_minutes")


@dataclass
class Config:
    """``minutes_per_talk`` of coordination after every mandated talk held with a citizen of
    ``groups`` (an assumption: docs/mechanisms.md)."""

    groups: list[str] = field(default_factory=lambda: ["kth_activity_ready"])
    minutes_per_talk: float = positive(20.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name the groups with a coordinating "
                              "caseworker")


def check_together(config: Config, others: dict) -> None:
    """A coordinating caseworker and a shared caseload of the same group contradict each other
    (one line naming the groups)."""
    shared = others.get("shared_caseload")
    if shared is None:
        return
    both = sorted(set(config.groups) & set(shared.groups))
    if both:
        raise ConfigError(f"'mechanisms.{NAME}' and 'mechanisms.shared_caseload' both name "
                          f"{', '.join(both)}: a coordinating caseworker holds the case, a "
                          "shared caseload hands it to whoever has room; leave the group out of "
                          "one of them")


class Coordination:
    """After each talk held: the coordination desk task for the citizen's caseworker."""

    __slots__ = ("minutes", "k", "unmet")

    def __init__(self, config: Config, counters, unmet):
        self.minutes = config.minutes_per_talk
        self.k = counters
        self.unmet = unmet

    def talk_held(self, c, b, day: float, on_time: bool) -> None:
        """Queue the coordination after talk ``b`` with citizen ``c`` on ``day``."""
        k = self.k
        k["coordination_tasks"] += 1
        k["coordination_minutes"] += self.minutes
        pool, member = c.services.routing.route(c, COORDINATION)
        if pool.n == 0:
            self.unmet[COORDINATION] += self.minutes
            return
        task = DeskTask(c.id, c.group, COORDINATION, self.minutes, day, None)
        c.tasks.append(task)
        pool.enqueue(member, task)


def install(config: Config, model) -> None:
    """Add the coordination after every talk held in the groups named that the jobcenter has."""
    counters = model.counters.mechanism(NAME, ACTIVITIES)
    for key in COUNTERS:
        counters[key] = 0
    hook = Coordination(config, counters, model.counters.unmet_minutes).talk_held
    for g in config.groups:
        sv = model.services.get(g)
        if sv is not None:
            sv.talk_held.append(hook)
