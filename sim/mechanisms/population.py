"""Population: a proposal that changes who is in a benefit group, as factors on its size.

Some proposals change the number of citizens a group holds rather than how they are served: a
minimum of 8 flexjob hours a week (DA22) means fewer people are granted a flexjob, and so fewer
become flexjob-unemployed. Each named group's initial stock (citizens at t0) and yearly inflow of
new spells are multiplied by its factors; the staff stay as the profile has them, so the work
that no longer comes in is capacity freed. Stocks are rounded to whole citizens. Seam: the
population (``configure``, :mod:`sim.mechanisms`): the model is built from the changed volumes,
and nothing of the mechanism runs while it runs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..schema import ConfigError, nonneg
from .common import check_groups

NAME = "population"
SEAM = "population"


@dataclass
class GroupFactors:
    """Factors on one group's size: ``stock_factor`` on the citizens at t0, ``inflow_factor`` on
    the new spells a year (1: as the profile has it)."""

    stock_factor: float = nonneg(1.0)
    inflow_factor: float = nonneg(1.0)


@dataclass
class Config:
    """``groups``: benefit group -> :class:`GroupFactors`."""

    groups: dict[str, GroupFactors] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        check_groups(list(self.groups), f"{path}.groups")


def scaled(volume, factors: GroupFactors):
    """``volume`` (a :class:`sim.config.GroupVolume`) with its factors applied (a copy)."""
    return dataclasses.replace(volume,
                               initial_stock=int(round(volume.initial_stock
                                                       * factors.stock_factor)),
                               inflow_per_year=volume.inflow_per_year * factors.inflow_factor)


def configure(config: Config, cfg):
    """``cfg`` with each named group's stock and inflow scaled (a copy; ``cfg`` is not changed).
    A composite profile is left as it is: its member jobcenters are scaled when each is built.
    A group the jobcenter does not have is a one-line ConfigError."""
    jc = cfg.jobcenter
    if jc.is_composite or not config.groups:
        return cfg
    groups = dict(jc.groups)
    for g, factors in config.groups.items():
        if g not in groups:
            raise ConfigError(f"'mechanisms.{NAME}.groups' names '{g}', which jobcenter "
                              f"'{jc.name}' does not have; valid: {', '.join(groups)}")
        groups[g] = scaled(groups[g], factors)
    return dataclasses.replace(cfg, jobcenter=dataclasses.replace(jc, groups=groups))


def install(config: Config, model) -> None:
    """Nothing to install: the factors act on the jobcenter's volumes (:func:`configure`)."""
