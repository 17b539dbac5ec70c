"""Talk cadence: mandated talks due more or less often than the rulebook says, a sweep knob.

In the baseline a group's next mandated talk is due one cadence interval after the last talk,
the interval being the rulebook's for the spell's day (``rules.groups.<g>.cadence``,
:class:`sim.domain.rules.TalkSchedule`). Here every interval of the named groups is multiplied
by ``factor`` (rounded to whole days, at least one day): 0.5 calls the citizens twice as often,
2 half as often. The first talk (visitation) keeps its deadline. The extra or fewer talks come
out of, or go back to, the same caseworkers' time; the spell effects turn the talks held into a
shorter or longer time on benefit (docs/effects.md).

Because it is a mechanism, an override of it applies to the scenario only and the baseline keeps
the rulebook's cadence, so ``python -m sim -m scenario=talk_cadence
mechanisms.talk_cadence.factor=0.5,0.75,1.5,2`` draws the response curve against one baseline
computed once (an override of ``rules.groups.<g>.cadence`` would move the baseline too).

Seam: deadlines, through ``configure`` (:mod:`sim.mechanisms`): the model is built from a copy of
the rulebook with the groups' intervals scaled. No random numbers of its own; nothing counted
besides the groups' own talk counters.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from ..config import GROUPS
from ..schema import ConfigError, positive
from .common import check_groups

NAME = "talk_cadence"
SEAM = "deadlines"

MAX_FACTOR = 12.0
"""The largest factor accepted: a year between talks for a group the rulebook calls monthly."""


@dataclass
class Config:
    """``factor``: multiplies every cadence interval of ``groups`` (1: the rulebook's cadence;
    assumption to sweep). ``groups``: the benefit groups whose talks it applies to (default:
    every group)."""

    factor: float = positive(1.0)
    groups: list[str] = field(default_factory=lambda: list(GROUPS))

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name at least one of: "
                              + ", ".join(GROUPS))
        if self.factor > MAX_FACTOR:
            raise ConfigError(f"'{path}.factor' = {self.factor:g} must be at most "
                              f"{MAX_FACTOR:g} (a factor on the days between mandated talks)")


def scaled_interval(interval_days: int, factor: float) -> int:
    """``interval_days`` times ``factor``, in whole days (at least 1)."""
    return max(1, round(interval_days * factor))


def configure(config: Config, cfg):
    """``cfg`` with the cadence intervals of ``config.groups`` scaled by ``config.factor`` (a
    copy; ``cfg`` itself is not changed). A group the rulebook does not have is skipped, as the
    model serves only the groups it has."""
    if config.factor == 1.0:
        return cfg
    rules = copy.deepcopy(cfg.rules)
    for g in config.groups:
        rg = rules.groups.get(g)
        if rg is None:
            continue
        rg.cadence = [dataclasses.replace(p, interval_days=scaled_interval(p.interval_days,
                                                                            config.factor))
                      for p in rg.cadence]
    return dataclasses.replace(cfg, rules=rules)


def install(config: Config, model) -> None:
    """Nothing to install: the factor acts on the rulebook the model is built from
    (:func:`configure`)."""
