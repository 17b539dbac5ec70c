"""A low fixed caseload: at most ``citizens_per_caseworker`` citizens of a group per caseworker
(VIVE20: about 40 activity-ready citizens per caseworker, in jobcenters with successful
citizen trajectories).

* **Staff needed** (``configure``, before the model is built): each capped group gets a team of
  its own, ``<pool>_<group>`` (with the pool's extra non-bookable hours), or the groups together
  one team named ``team``, of ``ceil(stock / citizens_per_caseworker)`` caseworkers, the stock
  being the profile's ``initial_stock`` of the groups (the calibrated stock the inflows keep). The rest of the pool
  keeps the caseworkers the required work of its other groups gives it in the baseline
  (:func:`sim.mechanisms.specialisation.expected_work`, shared out by largest remainders), so
  that the caseworkers added are the cap's cost in staff. A team already large enough keeps its
  share (the cap does not bind). A composite profile is left as it is: its member jobcenters are
  capped when each is built.
* **Talk interval** (``talk_interval_days``, 0: the rulebook's): the cadence the low caseload
  buys, a talk due every ``talk_interval_days`` of the spell for the capped groups (booked a
  week before, as every talk), so that the time the cap gives goes to talks; otherwise it goes
  to elastic work (extra talks, longer casework).
* **How the cap binds** (the caseload policy): a new spell goes to the team member with the
  smallest caseload, as in the baseline; an assignment to a member already at the cap (every
  member full: the stock is above its mean) is counted, with the largest caseload seen.

Seam: the caseload policy of the capped groups (``assign`` wrapped), with the pool's split. No
random streams of its own. Times are days.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field

from ..schema import ConfigError, nonneg, positive
from .common import check_groups
from .specialisation import allocate, expected_work, sub_pool

NAME = "caseload_cap"
SEAM = "caseload policy"

COUNTERS = ("assignments", "assignments_over_cap", "max_caseload")
"""Over the measured period: new spells assigned in the capped teams, those assigned to a
member already at the cap, and the largest caseload a member had at an assignment; at the end
also ``caseworkers/<team>``, ``caseworkers_without_cap/<team>`` and ``caseworkers_added``."""


@dataclass
class Config:
    """``groups`` with a capped caseload (VIVE20: activity-ready cash benefit);
    ``citizens_per_caseworker``: the cap (VIVE20: about 40); ``talk_interval_days``: days between
    the capped groups' mandated talks (0: the rulebook's cadence; assumption); ``team``: the
    name of one team for all the groups (they must share a pool; empty: a team per group,
    ``<pool>_<group>``); ``keep_extra_hours``: the team keeps its pool's extra non-bookable
    hours (false: the staff type's lines only, e.g. a team of other staff than the pool's)."""

    groups: list[str] = field(default_factory=lambda: ["kth_activity_ready"])
    citizens_per_caseworker: float = positive(40.0)
    talk_interval_days: int = nonneg(0)
    team: str = ""
    keep_extra_hours: bool = True

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name at least one benefit group")
        if len(set(self.groups)) != len(self.groups):
            raise ConfigError(f"'{path}.groups' names a group twice: {self.groups}")
        if 0 < self.talk_interval_days <= 7:
            raise ConfigError(f"'{path}.talk_interval_days' = {self.talk_interval_days} must be "
                              "0 (the rulebook's cadence) or more than the 7-day booking margin")


def staff_needed(stock: float, cap: float) -> int:
    """Caseworkers needed so that ``stock`` citizens are at most ``cap`` per caseworker."""
    return math.ceil(stock / cap - 1e-9) if stock > 0 else 0


def plan(config: Config, cfg) -> dict[str, dict]:
    """The capped teams: team pool -> {groups, of (the pool split), needed, without_cap}."""
    jc = cfg.jobcenter
    work = None
    out: dict[str, dict] = {}
    for g in config.groups:
        home = next((n for n, p in jc.caseworker_pools.items() if g in p.serves), None)
        if home is None:
            raise ConfigError(f"'mechanisms.{NAME}.groups' names '{g}', which no caseworker pool "
                              "serves")
        name = config.team or sub_pool(home, g)
        t = out.setdefault(name, {"groups": [], "of": home, "stock": 0})
        if t["of"] != home:
            raise ConfigError(f"'mechanisms.{NAME}.team' = {config.team!r} joins groups of two "
                              f"pools ({t['of']}, {home}); one team takes groups of one pool")
        t["groups"].append(g)
        t["stock"] += jc.groups[g].initial_stock if g in jc.groups else 0
    for name, t in out.items():
        spec = jc.caseworker_pools[t["of"]]
        t["needed"] = staff_needed(t["stock"], config.citizens_per_caseworker)
        if set(t["groups"]) == set(spec.serves):
            t["pool"] = t["of"] if not config.team else name
            t["without_cap"] = spec.caseworkers
            continue
        if work is None:
            work = expected_work(cfg)
        shares = allocate(spec.caseworkers, {x: work.get(x, 0.0) for x in spec.serves},
                          f"jobcenter.caseworker_pools.{t['of']}")
        t["pool"] = name
        t["without_cap"] = sum(shares[x] for x in t["groups"])
    return out


def configure(config: Config, cfg):
    """``cfg`` with a team of its own for each capped group, sized to the cap, and the capped
    groups' talk interval (a copy; ``cfg`` itself is not changed)."""
    jc = cfg.jobcenter
    if jc.is_composite:
        return cfg
    teams = plan(config, cfg)
    pools = dict(jc.caseworker_pools)
    for name, t in teams.items():
        spec = jc.caseworker_pools[t["of"]]
        size = max(t["needed"], t["without_cap"])
        extra = dict(spec.extra_non_bookable_hours) if config.keep_extra_hours else {}
        if name == t["of"]:
            pools[name] = dataclasses.replace(spec, caseworkers=size,
                                              extra_non_bookable_hours=extra)
            continue
        if name in jc.caseworker_pools:
            raise ConfigError(f"'mechanisms.{NAME}' would make pool '{name}', which "
                              "'jobcenter.caseworker_pools' has already")
        rest = [x for x in pools[t["of"]].serves if x not in t["groups"]]
        pools[t["of"]] = dataclasses.replace(
            pools[t["of"]], caseworkers=pools[t["of"]].caseworkers - t["without_cap"], serves=rest)
        pools[name] = dataclasses.replace(spec, caseworkers=size, serves=list(t["groups"]),
                                          extra_non_bookable_hours=extra)
    pools = {n: p for n, p in pools.items() if p.serves}
    rules = cfg.rules
    if config.talk_interval_days > 0:
        rules = copy.deepcopy(cfg.rules)
        for g in config.groups:
            rg = rules.groups[g]
            rg.cadence = [dataclasses.replace(rg.cadence[0], from_day=0,
                                              interval_days=config.talk_interval_days)]
    # the plan travels with the mechanism's settings, for the counters (not a field: not a
    # setting, and not compared between runs)
    settings = dataclasses.replace(config)
    settings.teams = {name: t["without_cap"] for name, t in teams.items()}
    mechanisms = {**cfg.mechanisms, NAME: settings}
    return dataclasses.replace(cfg, rules=rules, mechanisms=mechanisms,
                               jobcenter=dataclasses.replace(jc, caseworker_pools=pools))


class CappedCaseload:
    """Seam *caseload policy* of a capped group: the previous policy's choice (the member with
    the smallest caseload), counted when that member is already at the cap."""

    __slots__ = ("pool", "inner", "cap", "k")

    def __init__(self, sv, cap: float, counters):
        self.pool = sv.pool
        self.inner = sv.caseload.assign
        self.cap = cap
        self.k = counters

    def assign(self, c, now: float) -> int | None:
        """The caseworker of ``c``'s new spell."""
        member = self.inner(c, now)
        if member is not None:
            k = self.k
            load = self.pool.caseload[member]
            k["assignments"] += 1
            if load >= self.cap:
                k["assignments_over_cap"] += 1
            if load + 1 > k["max_caseload"]:
                k["max_caseload"] = load + 1
        return member


def install(config: Config, model) -> None:
    """The capped groups' caseload policy; the teams' sizes recorded at the end."""
    k = model.counters.mechanism(NAME)
    for key in COUNTERS:
        k[key] = 0
    sizes = {}
    teams = getattr(config, "teams", {})
    added = 0
    for g in config.groups:
        sv = model.services[g]
        sv.caseload = CappedCaseload(sv, config.citizens_per_caseworker, k)
    for name, without_cap in teams.items():
        n = model.pools[name].n
        sizes[f"caseworkers/{name}"] = n
        sizes[f"caseworkers_without_cap/{name}"] = without_cap
        added += n - without_cap
    sizes["caseworkers_added"] = added

    def record_sizes():
        k.update(sizes)
    model.at_finish.append(record_sizes)
