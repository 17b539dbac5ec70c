"""One central clarification unit: cases for the rehabilitation team prepared by specialists.

CPH: clarification cases towards disability pension, vocational rehabilitation and flexjob are
handled in five places today, each with its own team; one specialised unit takes them all, with
a professional referral procedure. In the model a case for the rehabilitation team (resource
course, flexjob, disability pension; :mod:`sim.domain.rehabilitation`) is prepared by the
citizen's own caseworker. With the unit:

* ``configure`` takes the unit's caseworkers out of the pools serving ``groups`` (in proportion
  to their size, by largest remainders) into a pool of their own, ``clarification_unit``, which
  serves no group: staffing stays the same;
* ``install`` wraps each group's desk-work routing, so that the preparation (and a pension
  application on the existing documentation, with its certificate request and the team
  meeting) goes to the unit, to whichever member would be free first; it wraps the decision
  path so that the preparation takes ``time_saved_share`` less time, and the own caseworker
  first writes a referral (``referral_minutes`` of desk work, activity
  ``clarification_referral``), after which the case is queued in the unit.

Seam: desk-work routing (with the decision path and a ``configure`` hook). Times are days,
work minutes.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field

from ..domain.staff import DeskTask
from ..schema import ConfigError, nonneg, probability
from .common import check_groups

NAME = "central_clarification"
SEAM = "desk-work routing"
POOL = "clarification_unit"
REFERRAL = "clarification_referral"
MOVED = ("rehab_preparation", "pension_application", "rehab_meeting")
"""The unit's activities: the case's preparation (its certificate request goes with it) and the
team meeting."""
INF = math.inf


@dataclass
class Config:
    """The unit: which groups' cases, its size, its time saving and the referral's minutes."""

    groups: list[str] = field(default_factory=lambda: [
        "kth_activity_ready", "sdp_cat1", "sdp_cat2", "sdp_cat3", "job_clarification",
        "resource_course"])
    fte_per_100_caseworkers: float = nonneg(3.0)
    time_saved_share: float = probability(0.2)
    referral_minutes: float = nonneg(30.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty: the unit needs groups whose cases "
                              "it takes")


def unit_size(config: Config, caseworkers: int) -> int:
    """The unit's caseworkers for ``caseworkers`` in the sending pools: rounded, at least 1."""
    return max(1, round(caseworkers * config.fte_per_100_caseworkers / 100.0))


def configure(config: Config, cfg):
    """``cfg`` with the unit's caseworkers moved out of the pools serving ``config.groups`` into
    pool ``clarification_unit`` (a copy). A composite profile is left as it is: its member
    jobcenters are changed when each is built. One line if the pools cannot spare them."""
    jc = cfg.jobcenter
    if jc.is_composite:
        return cfg
    if POOL in jc.caseworker_pools:
        raise ConfigError(f"'mechanisms.{NAME}' would make pool '{POOL}', which "
                          "'jobcenter.caseworker_pools' has already")
    sending = {name: spec for name, spec in jc.caseworker_pools.items()
               if set(spec.serves) & set(config.groups)}
    total = sum(spec.caseworkers for spec in sending.values())
    if not sending or total == 0:
        raise ConfigError(f"'mechanisms.{NAME}.groups': no caseworkers serve "
                          f"{', '.join(config.groups)} in jobcenter '{jc.name}'")
    members = unit_size(config, total)
    quotas = {p: members * s.caseworkers / total for p, s in sending.items()}
    taken = {p: int(q) for p, q in quotas.items()}
    for p in sorted(quotas, key=lambda p: quotas[p] - taken[p], reverse=True)[
            :members - sum(taken.values())]:
        taken[p] += 1
    pools = {}
    for name, spec in jc.caseworker_pools.items():
        left = spec.caseworkers - taken.get(name, 0)
        if left < 1:
            raise ConfigError(f"'mechanisms.{NAME}' takes {taken[name]} caseworkers from pool "
                              f"'{name}', which has {spec.caseworkers}; lower "
                              f"'mechanisms.{NAME}.fte_per_100_caseworkers'")
        pools[name] = dataclasses.replace(spec, caseworkers=left)
    pools[POOL] = type(next(iter(sending.values())))(caseworkers=members, serves=[])
    return dataclasses.replace(cfg, jobcenter=dataclasses.replace(jc, caseworker_pools=pools))


class UnitRouting:
    """Seam *desk-work routing*: the unit's activities go to the unit (whoever would be free
    first), everything else where it went before."""

    __slots__ = ("inner", "unit")

    def __init__(self, inner, unit):
        self.inner = inner
        self.unit = unit

    def route(self, c, activity: str):
        """(pool, member) to do ``activity`` for citizen ``c``."""
        if activity in MOVED:
            return self.unit, None
        return self.inner.route(c, activity)


class Referral:
    """Seam *decision path*: the own caseworker refers the case to the unit (desk work), then
    the rehabilitation team's path runs with the unit's shorter preparation."""

    __slots__ = ("group", "env", "team", "inner_routing", "minutes", "k", "unmet")

    def __init__(self, group: str, env, team, inner_routing, minutes: float, k, unmet):
        self.group = group
        self.env = env
        self.team = team
        self.inner_routing = inner_routing
        self.minutes = minutes
        self.k = k
        self.unmet = unmet

    def refer(self, c) -> None:
        """Queue the referral with the citizen's caseworker; the case goes to the unit when it
        is written (the spell still running)."""
        k = self.k
        k["referrals"] += 1
        c.referral_day = INF          # referred once
        if self.minutes <= 0:
            self._to_unit(c, c.spell_no)
            return
        pool, member = self.inner_routing.route(c, REFERRAL)
        if pool.n == 0:               # nobody to write it: counted, the case goes on
            self.unmet[REFERRAL] += self.minutes
            self._to_unit(c, c.spell_no)
            return
        spell = c.spell_no
        task = DeskTask(c.id, self.group, REFERRAL, self.minutes, self.env.now,
                        lambda t: self._to_unit(c, spell))
        c.tasks.append(task)
        pool.enqueue(member, task)
        k["referral_minutes"] += self.minutes

    def _to_unit(self, c, spell: int) -> None:
        if c.spell_no != spell:
            return
        self.k["cases_to_unit"] += 1
        self.team.refer(c)


def install(config: Config, model) -> None:
    """Wrap the routing and the decision path of every group in ``config.groups`` that the
    jobcenter has; the unit's pool comes from :func:`configure`."""
    groups = [g for g in config.groups if g in model.services]
    if not groups:
        return
    unit = model.pools.get(POOL)
    if unit is None:
        raise ConfigError(f"'mechanisms.{NAME}': the jobcenter has no pool '{POOL}' "
                          "(a composite profile is changed per member)")
    k = model.counters.mechanism(NAME, {REFERRAL: "indirect_casework"})
    for key in ("referrals", "referral_minutes", "cases_to_unit"):
        k[key] = 0
    k["unit_caseworkers"] = unit.n
    keep = 1.0 - config.time_saved_share
    for g in groups:
        sv = model.services[g]
        inner = sv.decision
        rt = getattr(inner, "rt", None)
        if rt is None:
            raise ConfigError(f"'mechanisms.{NAME}' needs the rehabilitation team's decision "
                              f"path in group '{g}', found {type(inner).__name__}")
        team = copy.copy(inner)               # the same streams, meetings and counters
        team.rt = dataclasses.replace(
            rt, preparation_hours=rt.preparation_hours * keep,
            pension_existing_documentation_hours=rt.pension_existing_documentation_hours * keep)
        own = sv.routing
        sv.routing = UnitRouting(own, unit)
        sv.decision = Referral(g, model.env, team, own, config.referral_minutes, k, inner.unmet)
