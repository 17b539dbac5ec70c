"""Who is in the jobcenter: spell lengths and exits, the initial stock at t0, the inflow.

A spell's outcome is drawn when it starts: an exit route (by its share) and a gamma-distributed
length with the route's mean and standard deviation. Together these give a duration-dependent
exit hazard per group. The rulebook's duration limits (sickness benefit to job clarification at
22 weeks, unemployment insurance exhausted after 2 years) cut long spells short.

The initial stock is drawn from the same outcomes, length-biased: a jobcenter observed at t0 holds
long spells more often than new arrivals do, and each stock spell has already run a uniform share
of its length (the renewal-theory picture of a system in steady state).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ExitRoute, SimConfig
from ..engine.streams import Streams

DAYS_PER_MONTH = 365.25 / 12


@dataclass(slots=True)
class SpellPlan:
    """The drawn fate of one spell: days until it ends (or is referred), and how it ends."""

    length: float          # days from spell start to end, or to referral for rehabilitation routes
    route: str             # exit route name, or "limit" when the duration limit ends the spell
    to: str                # "exit" or the group transferred into
    destination: str       # exit destination when to == "exit"
    via_rehab_team: bool
    limit_u: float = 1.0   # the draw that decides the duration limit's outcome (apply_limit)


class SpellPlanner:
    """Draws spell outcomes per group from the model's exit routes and the rulebook's limits."""

    def __init__(self, cfg: SimConfig, streams: Streams):
        self.cfg = cfg
        self.streams = streams
        self._routes: dict[str, list[tuple[str, ExitRoute]]] = {}
        self._cum: dict[str, list[float]] = {}
        self._gamma: dict[tuple[str, str], _GammaBlock] = {}
        self._drawing: dict[str, tuple] = {}
        self._limits = {g: r.duration_limit for g, r in cfg.rules.groups.items()}
        for g, beh in cfg.model.groups.items():
            routes = list(beh.exits.items())
            self._routes[g] = routes
            acc, cum = 0.0, []
            for _, r in routes:
                acc += r.share
                cum.append(acc)
            cum[-1] = 1.0
            self._cum[g] = cum

    def draw(self, group: str) -> SpellPlan:
        """Draw the outcome of a new spell in ``group``."""
        d = self._drawing.get(group)
        if d is None:       # the group's streams, made on first use
            d = self._drawing[group] = (self.streams[f"spell_route/{group}"], self._cum[group],
                                        self._routes[group], self.streams[f"limit/{group}"])
        s_route, cum, routes, s_limit = d
        i = s_route.choice(cum)
        name, route = routes[i]
        lengths = self._gamma.get((group, name))
        if lengths is None:     # the route's stream, made on first use
            lengths = self._gamma[(group, name)] = _GammaBlock(
                self.streams.generator(f"spell_length/{group}/{name}"), route.mean_months,
                route.sd_months)
        length = lengths.next()
        return self.apply_limit(group, name, route, length, s_limit.random())

    def apply_limit(self, group: str, name: str, route: ExitRoute, length: float,
                    u: float) -> SpellPlan:
        """The plan of a spell of ``length`` days drawn on route ``name``, with the rulebook's
        duration limit applied (``u``: the uniform draw that decides the limit's outcome)."""
        lim = self._limits[group]
        if lim is not None and length > lim.days:
            if u < lim.share:
                if lim.to == "other":
                    return SpellPlan(lim.days, "limit", "exit", "other", False, u)
                return SpellPlan(lim.days, "limit", lim.to, "other", False, u)
            if lim.otherwise == "exit":
                return SpellPlan(lim.days, "limit", "exit", "other", False, u)
        return SpellPlan(length, name, route.to, route.destination, route.via_rehab_team, u)

    def routes_of(self, group: str) -> list[tuple[str, ExitRoute]]:
        """The group's exit routes (name, route), in the configuration's order."""
        return self._routes[group]

    def limit_of(self, group: str):
        """The rulebook's duration limit of the group (None: none)."""
        return self._limits[group]

    def initial_stock(self, group: str, n: int, rehab_pipeline_days: float):
        """Draw ``n`` spells in progress at t0: a list of (SpellPlan, elapsed days).

        Candidates are drawn as for new spells and resampled with weight proportional to the time
        they spend in the group (length bias); the elapsed time is a uniform share of that time.
        """
        if n <= 0:
            return []
        rng = self.streams.generator(f"initial_stock/{group}")
        k = max(8 * n, 2000)
        routes = self._routes[group]
        cum = np.array(self._cum[group])
        idx = np.searchsorted(cum, rng.random(k), side="right").clip(max=len(routes) - 1)
        lengths = np.empty(k)
        for i, (_, r) in enumerate(routes):          # gamma lengths, one vector per route
            mask = idx == i
            shape = (r.mean_months / r.sd_months) ** 2
            scale = r.sd_months ** 2 / r.mean_months * DAYS_PER_MONTH
            lengths[mask] = rng.gamma(shape, scale, int(mask.sum()))
        limit_u = rng.random(k)
        # time each candidate spends in the group (vectorised form of _apply_limit)
        rehab = np.array([r.via_rehab_team for _, r in routes])[idx]
        in_group = lengths.copy()
        lim = self.cfg.rules.groups[group].duration_limit
        cut = np.zeros(k, dtype=bool)
        if lim is not None:
            over = lengths > lim.days
            cut = over & ((limit_u < lim.share) | (lim.otherwise == "exit"))
            in_group[cut] = lim.days
        in_group[rehab & ~cut] += rehab_pipeline_days
        chosen = rng.choice(k, size=n, replace=True, p=in_group / in_group.sum())
        elapsed = rng.random(n) * in_group[chosen]
        return [(self.apply_limit(group, routes[idx[c]][0], routes[idx[c]][1],
                                   float(lengths[c]), float(limit_u[c])), float(e))
                for c, e in zip(chosen.tolist(), elapsed.tolist())]


class _GammaBlock:
    """Gamma variates with a given mean and sd (months), returned in days, drawn in blocks."""

    __slots__ = ("rng", "shape", "scale", "buf", "i")

    def __init__(self, rng: np.random.Generator, mean_months: float, sd_months: float):
        self.rng = rng
        self.shape = (mean_months / sd_months) ** 2
        self.scale = sd_months ** 2 / mean_months * DAYS_PER_MONTH
        self.buf: list[float] = []
        self.i = 0

    def next(self) -> float:
        if self.i >= len(self.buf):
            self.buf = self.rng.gamma(self.shape, self.scale, 512).tolist()
            self.i = 0
        v = self.buf[self.i]
        self.i += 1
        return v
