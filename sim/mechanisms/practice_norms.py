"""Practice norms: centres above the average come down to it (QB14 B1-B4, C3, C4, D4, E6).

Many QB14 proposals say "centres above the average come down to it": locally agreed breaks,
sickness absence, internal meetings, staff functions, time per talk, sparring, wage levels,
management information pulled together by hand. Each is a line of a centre's practice
(:mod:`sim.practice`); the norm moves the centre's value before the model is built, after its
staff were fitted to its drawn practice, so the staff stay and the time the norm frees is
capacity freed (or, for wages and staff functions, money). Seam: the centre's practice
(``configure``, :mod:`sim.mechanisms`).

A norm ``to: average`` closes ``realised_share`` of the gap between a centre above the average
and the average, and leaves centres at or below it alone (QB14 assumes no gain there); ``to:
zero`` takes ``realised_share`` of the line away everywhere (B1's breaks beyond lunch).
``except_big_cities`` leaves the four largest cities as they are (QB14 B1). A profile run sits
at the average, so a ``to: average`` norm changes nothing there: such proposals are measured on
drawn centres (``jobcenter.practice=drawn``) or the national run.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from ..practice import LINES, average
from ..schema import ConfigError, probability

NAME = "practice_norms"
SEAM = "centre practice"


@dataclass
class Norm:
    """One line's norm: ``to`` the average (centres above it only) or to zero;
    ``realised_share`` of the way; ``except_big_cities``: not in the four largest cities."""

    to: Literal["average", "zero"] = "average"
    realised_share: float = probability(1.0)
    except_big_cities: bool = False


@dataclass
class Config:
    """``lines``: practice line -> its norm (lines of :data:`sim.practice.LINES`)."""

    lines: dict[str, Norm] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        for line in self.lines:
            if line not in LINES:
                raise ConfigError(f"unknown practice line '{path}.lines.{line}'; valid: "
                                  + ", ".join(LINES))


def normed(value: float, avg: float, norm: Norm) -> float:
    """A centre's ``value`` of a line after ``norm`` (``avg``: the line's national average)."""
    if norm.to == "zero":
        return value * (1.0 - norm.realised_share)
    if value > avg:
        return value - norm.realised_share * (value - avg)
    return value


def configure(config: Config, cfg):
    """``cfg`` with its centre's practice (resolved already) moved by the norms."""
    centre = cfg.jobcenter.practice
    avg = average(cfg.model.practice)
    changes = {}
    for line, norm in config.lines.items():
        value, mean = getattr(centre, line), getattr(avg, line)
        if value is None or mean is None:
            continue
        if norm.except_big_cities and cfg.jobcenter.big_city:
            continue
        changes[line] = normed(value, mean, norm)
    if not changes:
        return cfg
    centre = dataclasses.replace(centre, **changes)
    return dataclasses.replace(cfg, jobcenter=dataclasses.replace(cfg.jobcenter, practice=centre))


def install(config: Config, model) -> None:
    """Nothing to install: the norms act on what the model is built from (:func:`configure`)."""
