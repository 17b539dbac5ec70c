"""Time-budget changes: hours a year per FTE that a proposal takes out of a budget line.

Some QB14 proposals change how staff spend a fixed part of their year, not any process: ADP
caseworkers reprioritise the interface with the unemployment-insurance funds (A5), superusers
absorb part of the work of adapting to new rules (A9), better IT skills save minutes a day (D1).
Each item takes ``hours_per_year`` (per FTE) off a non-bookable budget line of a staff type
(``model.working_time.non_bookable_hours``), for all its pools or only the caseworker pools that
serve ``groups``; the hours become bookable time, where required work and elastic work take them
(capacity freed). A negative ``hours_per_year`` adds hours to the line. Seam: the working time
(``configure``, :mod:`sim.mechanisms`).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from ..schema import ConfigError
from .common import check_groups

NAME = "time_budget"
SEAM = "working time"


@dataclass
class Item:
    """``hours_per_year`` per FTE saved on ``line`` of ``staff_type``; with ``groups``, only in
    the caseworker pools serving them."""

    staff_type: str = "caseworker"
    line: str = "admin_around_casework"
    hours_per_year: float = 0.0
    groups: list[str] = field(default_factory=list)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if self.groups and self.staff_type != "caseworker":
            raise ConfigError(f"'{path}.groups' applies to caseworker pools only, not to "
                              f"'{self.staff_type}'")


@dataclass
class Config:
    """``items``: name -> :class:`Item` (names keep items of combined proposals apart)."""

    items: dict[str, Item] = field(default_factory=dict)


def configure(config: Config, cfg):
    """``cfg`` with each item's hours taken off its line (a copy; one line if a line would be
    left negative or does not exist)."""
    if not config.items:
        return cfg
    model = copy.deepcopy(cfg.model)
    lines = model.working_time.non_bookable_hours
    pools = dict(cfg.jobcenter.caseworker_pools)
    for name, item in config.items.items():
        where = f"mechanisms.{NAME}.items.{name}"
        budget = lines.get(item.staff_type)
        if budget is None or item.line not in budget:
            valid = ", ".join(budget or {}) or "none"
            raise ConfigError(f"'{where}.line' = {item.line!r}: staff type "
                              f"'{item.staff_type}' has no such budget line; valid: {valid}")
        if not item.groups:
            budget[item.line] -= item.hours_per_year
            if budget[item.line] < 0:
                raise ConfigError(f"'{where}' takes {item.hours_per_year:g} h off "
                                  f"'{item.line}', which has only "
                                  f"{budget[item.line] + item.hours_per_year:g} h")
            continue
        for pool, spec in pools.items():
            if not set(spec.serves) & set(item.groups):
                continue
            extra = dict(spec.extra_non_bookable_hours)
            extra[item.line] = extra.get(item.line, 0.0) - item.hours_per_year
            if budget[item.line] + extra[item.line] < 0:
                raise ConfigError(f"'{where}' takes {item.hours_per_year:g} h off "
                                  f"'{item.line}' in pool '{pool}', which has only "
                                  f"{budget[item.line] + extra[item.line] + item.hours_per_year:g} h")
            pools[pool] = dataclasses.replace(spec, extra_non_bookable_hours=extra)
    return dataclasses.replace(cfg, model=model,
                               jobcenter=dataclasses.replace(cfg.jobcenter,
                                                             caseworker_pools=pools))


def install(config: Config, model) -> None:
    """Nothing to install: the items act on the working time (:func:`configure`)."""
