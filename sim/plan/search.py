"""The least head count per staff pool that meets each pool's targets: a joint monotone search.

The search knows nothing of jobcenters. It is given the pools' head counts today and a *judge*:
a function that simulates one staffing (``{pool: heads}``) and says, for every pool, whether the
targets that pool answers for are met there. It relies on one property of staff pools: service
improves with staff, so for each pool there is a least head count from which its targets are
met. It finds it for all pools at once:

1. **Today.** The staffing of today is judged. A pool that meets its targets there has an upper
   bound (it needs at most today's heads); one that misses them a lower bound.
2. **Enough.** If some pool misses its targets, the staffing with every such pool at its
   ceiling (:func:`ceiling`, several times today's heads) is judged. A pool that misses its
   targets even there cannot be helped by staff: the search ends and says so (the targets are
   impossible), instead of searching on.
3. **Bracket and bisect.** Every pool still open is moved in the same run: towards its bound in
   steps that double (1, 2, 4, ... heads, from today's), then by bisection between the largest
   head count known to fail and the smallest known to pass. All pools are probed in each run,
   so the number of runs grows with the log of the widest bracket, not with the number of pools.
4. **Checked at the end.** Pools interact (they share desk work and citizens), so a pool's
   verdict in the probes came with the other pools at probe values. The plan (each pool at its
   least passing count) is judged as a whole; a pool that misses there gets one more head, until
   all pass. Then every pool at one head fewer is judged at once: a pool that still passes with
   all the others reduced too would pass with them at the plan (service improves with staff), so
   it gets one head fewer and the plan is judged again. When none passes so, each pool is tried
   alone at one head fewer, the others at the plan, unless a run already showed it failing there
   (one head fewer, the others at the plan or above); the plan is then a least staffing: no pool
   can lose a head without missing its own targets.

Each judged staffing is one *run* (of several replications, see :mod:`sim.plan.evaluate`).
``max_runs`` bounds them; a search stopped by it returns the least costly staffing that met
every target so far, and says that it was stopped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

Staffing = dict[str, int]
Judge = Callable[[Staffing, str], Mapping[str, bool]]
"""Judges one staffing (and is told the search's stage, for progress lines): for every pool of
the staffing, True when its targets are met."""

CEILING_FACTOR = 3.0
"""Head counts tried as "enough staff": this many times today's, and at least
:data:`CEILING_EXTRA` more (assumption: a pool three times its size that still misses its
targets is limited by something staff cannot change, such as no-shows or lead times)."""
CEILING_EXTRA = 5


def ceiling(today: int) -> int:
    """The head count a pool is tried at to see whether staff can meet its targets at all."""
    return max(int(math.ceil(today * CEILING_FACTOR)), today + CEILING_EXTRA)


def first_step(today: int) -> int:
    """The first step (heads) away from today's head count: a tenth of it, at least one."""
    return max(1, int(round(today * 0.1)))


@dataclass
class Probe:
    """One judged staffing and the verdicts per pool; ``stage`` says why it was run."""

    staffing: Staffing
    verdicts: dict[str, bool]
    stage: str


@dataclass
class SearchResult:
    """The outcome of :func:`least_staff`.

    ``plan``: the least head count per pool found (None when no staffing met every target);
    ``status``: ``"planned"``, ``"impossible"`` (``impossible`` names the pools that missed their
    targets at their ceiling) or ``"budget"`` (stopped by ``max_runs``; ``plan`` is then the
    least costly staffing judged that met every target, if any); ``probes``: every judged staffing
    in order.
    """

    today: Staffing
    plan: Staffing | None
    status: str
    probes: list[Probe] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return len(self.probes)


class _Budget(Exception):
    """The search has used its runs."""


class _Search:
    def __init__(self, today: Mapping[str, int], judge: Judge, max_runs: int,
                 floor: Mapping[str, int], cost: Mapping[str, float]):
        self.today = {p: int(n) for p, n in today.items()}
        self.judge = judge
        self.max_runs = max_runs
        self.floor = {p: int(floor.get(p, 0)) for p in self.today}
        self.cost = {p: float(cost.get(p, 1.0)) for p in self.today}
        self.probes: list[Probe] = []
        self.seen: dict[tuple, dict[str, bool]] = {}
        # per pool: the largest head count known to miss, the smallest known to meet
        self.fail = {p: self.floor[p] - 1 for p in self.today}
        self.ok: dict[str, int | None] = {p: None for p in self.today}
        self.step = {p: first_step(n) for p, n in self.today.items()}

    # ------------------------------------------------------------------ runs
    def run(self, staffing: Staffing, stage: str) -> dict[str, bool]:
        key = tuple(sorted(staffing.items()))
        if key in self.seen:                     # judged before: the same replications again
            return self.seen[key]
        if len(self.probes) >= self.max_runs:
            raise _Budget
        verdicts = {p: bool(v) for p, v in self.judge(dict(staffing), stage).items()}
        missing = set(staffing) - set(verdicts)
        if missing:
            raise ValueError(f"the judge gave no verdict for {sorted(missing)}")
        self.seen[key] = verdicts
        self.probes.append(Probe(dict(staffing), verdicts, stage))
        for p, met in verdicts.items():
            if met:
                self.ok[p] = staffing[p] if self.ok[p] is None else min(self.ok[p], staffing[p])
            else:
                self.fail[p] = max(self.fail[p], staffing[p])
        return verdicts

    def settled(self, p: str) -> bool:
        return self.ok[p] is not None and self.ok[p] - self.fail[p] <= 1

    def next_heads(self, p: str) -> int:
        """Pool ``p``'s head count in the next probe."""
        ok, fail = self.ok[p], self.fail[p]
        if self.settled(p):
            return ok
        if ok is None:                            # only failures: step up from the largest
            return fail + self.step[p]
        if fail < self.floor[p]:                  # only passes: step down from the smallest
            return max(ok - self.step[p], self.floor[p])
        if self._stepping(p):                      # towards today's far side, doubling
            guess = fail + self.step[p] if self.today[p] <= fail else ok - self.step[p]
            if fail < guess < ok:
                return guess
        return (fail + ok) // 2

    def _stepping(self, p: str) -> bool:
        return self.step[p] < (self.ok[p] - self.fail[p]) // 2

    # ------------------------------------------------------------------ stages
    def search(self) -> SearchResult:
        try:
            verdicts = self.run(self.today, "today")
            missing = [p for p, met in verdicts.items() if not met]
            if missing:
                enough = dict(self.today)
                for p in missing:
                    enough[p] = ceiling(self.today[p])
                verdicts = self.run(enough, "enough staff")
                hopeless = [p for p in missing if not verdicts[p]]
                if hopeless:
                    return SearchResult(self.today, None, "impossible", self.probes, hopeless)
            while not all(self.settled(p) for p in self.today):
                probe = {p: self.next_heads(p) for p in self.today}
                for p in self.today:
                    if not self.settled(p):
                        self.step[p] *= 2
                self.run(probe, "bracket and bisect")
            return self.check()
        except _Budget:
            return SearchResult(self.today, self.best_passing(), "budget", self.probes)

    def check(self) -> SearchResult:
        plan = {p: self.ok[p] for p in self.today}
        raised: set[str] = set()          # pools the check added a head to: never lowered again
        while True:
            verdicts = self.run(plan, "check: the plan")
            short = [p for p, met in verdicts.items() if not met]
            if short:
                for p in short:
                    plan[p] += 1
                raised.update(short)
                continue
            lower = {p: n if p in raised else max(n - 1, self.floor[p]) for p, n in plan.items()}
            if lower == plan:
                break
            verdicts = self.run(lower, "check: one head fewer")
            spare = [p for p in plan if lower[p] < plan[p] and verdicts[p]]
            if not spare:
                spare = self.spare_alone(plan, lower)
            if not spare:
                break
            for p in spare:
                plan[p] -= 1
        return SearchResult(self.today, plan, "planned", self.probes)

    def spare_alone(self, plan: Staffing, lower: Staffing) -> list[str]:
        """The first pool that meets its targets with one head fewer while the others keep the
        plan's (empty: none). A pool that missed its targets in a run with one head fewer and
        every other pool at the plan's head count or more needs no run of its own: with the
        others at the plan it would miss them too."""
        for p in plan:
            if lower[p] == plan[p]:
                continue
            known = any(pr.staffing[p] == lower[p] and not pr.verdicts[p]
                        and all(pr.staffing[q] >= plan[q] for q in plan if q != p)
                        for pr in self.probes)
            if known:
                continue
            alone = {**plan, p: lower[p]}
            if self.run(alone, f"check: {p} one head fewer")[p]:
                return [p]
        return []

    def best_passing(self) -> Staffing | None:
        passing = [pr.staffing for pr in self.probes if all(pr.verdicts.values())]
        if not passing:
            return None
        return min(passing, key=lambda s: sum(self.cost[p] * n for p, n in s.items()))


def least_staff(today: Mapping[str, int], judge: Judge, max_runs: int = 40,
                floor: Mapping[str, int] | None = None,
                cost: Mapping[str, float] | None = None) -> SearchResult:
    """The least head count per pool that meets every pool's targets (see the module's text).

    ``today``: each pool's head count now; ``judge``: simulates a staffing and returns, per pool,
    whether its targets are met; ``max_runs``: the most staffings judged; ``floor``: the fewest
    heads a pool may have (default 0); ``cost``: the cost of one head per pool (DKK a year), used
    only to choose the best staffing found when the budget ends a search.
    """
    if max_runs < 1:
        raise ValueError(f"max_runs must be at least 1, got {max_runs}")
    for p, n in today.items():
        if n < 0:
            raise ValueError(f"pool {p}: a head count of 0 or more is needed, got {n}")
    return _Search(today, judge, max_runs, floor or {}, cost or {}).search()
