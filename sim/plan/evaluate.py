"""Simulating one staffing of a jobcenter and judging it against the plan's targets.

A *staffing* gives the head count of every planned pool: the caseworker pools by name
(``jobcenter.caseworker_pools.NAME.caseworkers``), ``company_consultants`` and ``admin_staff``.
:class:`Evaluator` runs replications ``0 .. n-1`` of the configuration with that staffing (the
same replications, hence the same citizens and durations, for every staffing: common random
numbers), in a process pool, and keeps each replication's record in the replication cache
(:class:`sim.experiment.BaselineCache`, keyed by the whole configuration), so a staffing judged
before, in this plan or an earlier one, is not simulated again. :func:`measure` turns the
records into each pool's figures with their confidence intervals.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

from ..config import SimConfig
from ..figures import mean_ci
from .targets import PlanSettings

CONSULTANTS = "company_consultants"
ADMIN = "admin_staff"


# --------------------------------------------------------------------------- staffings
def today(cfg: SimConfig) -> dict[str, int]:
    """Each pool's head count in ``cfg`` (pools of nobody are left out: nothing to plan)."""
    jc = cfg.jobcenter
    heads = {name: spec.caseworkers for name, spec in jc.caseworker_pools.items()}
    heads[CONSULTANTS] = jc.company_consultants
    heads[ADMIN] = jc.admin_staff
    return {p: n for p, n in heads.items() if n > 0}


def as_built_staff(cfg: SimConfig) -> SimConfig:
    """``cfg`` with the head counts the model builds, so that a plan speaks of real heads.

    A centre with drawn practice has its staff fitted to its workload when the model is built
    (:func:`sim.practice.staffed`). Here that is done once, and the centre is marked as no longer
    to be fitted, so that the model builds exactly the head counts the plan sets (the
    simulation is the same: only the moment of the fitting moves)."""
    from .. import practice

    centre = practice.resolve(cfg)
    if not centre.drawn:
        return cfg
    cfg = dataclasses.replace(cfg, jobcenter=dataclasses.replace(cfg.jobcenter, practice=centre))
    cfg = practice.staffed(cfg, centre)
    return dataclasses.replace(cfg, jobcenter=dataclasses.replace(
        cfg.jobcenter, practice=dataclasses.replace(centre, drawn=False)))


def with_staffing(cfg: SimConfig, staffing: dict[str, int]) -> SimConfig:
    """``cfg`` with the head counts of ``staffing`` (other pools as they are)."""
    jc = cfg.jobcenter
    pools = {name: (dataclasses.replace(spec, caseworkers=staffing[name])
                    if name in staffing else spec)
             for name, spec in jc.caseworker_pools.items()}
    jc = dataclasses.replace(jc, caseworker_pools=pools,
                             company_consultants=staffing.get(CONSULTANTS,
                                                              jc.company_consultants),
                             admin_staff=staffing.get(ADMIN, jc.admin_staff))
    return dataclasses.replace(cfg, jobcenter=jc)


def staff_type(pool: str) -> str:
    return {CONSULTANTS: "company_consultant", ADMIN: "admin_staff"}.get(pool, "caseworker")


def groups_of(cfg: SimConfig) -> dict[str, list[str]]:
    """The benefit groups each caseworker pool serves (the pools whose talks they are)."""
    return {name: [g for g in spec.serves if g in cfg.jobcenter.groups]
            for name, spec in cfg.jobcenter.caseworker_pools.items()}


def built_pools_of(cfg: SimConfig) -> dict[str, str]:
    """Each pool the model builds, by name, with the planned pool it comes from: itself, or the
    caseworker pool whose groups a mechanism split off into it (a specialised team, a caseload
    cap's pool). Pools a mechanism adds of its own (a booking team) are not planned."""
    from ..model import built_config

    built = built_config(cfg).jobcenter
    owner = {g: name for name, spec in cfg.jobcenter.caseworker_pools.items() for g in spec.serves}
    out = {CONSULTANTS: CONSULTANTS, ADMIN: ADMIN}
    for name, spec in built.caseworker_pools.items():
        if name in cfg.jobcenter.caseworker_pools:
            out[name] = name
        elif spec.serves and spec.serves[0] in owner:
            out[name] = owner[spec.serves[0]]
    return out


# --------------------------------------------------------------------------- figures
@dataclass
class Figure:
    """A figure's mean over the replications and the pessimistic end of its CI."""

    mean: float | None
    bound: float | None
    target: float | None = None

    @property
    def met(self) -> bool:
        if self.target is None:
            return True
        if self.bound is None:
            return False
        return self.bound >= self.target if self._higher_is_better else self.bound <= self.target

    _higher_is_better: bool = True


@dataclass
class PoolFigures:
    """A pool's figures at one staffing: on-time share of each of its groups (lower bounds),
    its own on-time share (all its talks), its desk wait (upper bound) and its required
    utilisation of bookable time."""

    heads: int
    on_time: dict[str, Figure] = field(default_factory=dict)
    pool_on_time: float | None = None
    desk_wait: Figure | None = None
    utilisation: float | None = None
    elastic_hours_a_year: float | None = None

    @property
    def met(self) -> bool:
        return all(f.met for f in self.on_time.values()) and (self.desk_wait is None
                                                              or self.desk_wait.met)

    def missed(self) -> list[str]:
        """The targets missed, in words (for the progress lines)."""
        out = [f"on time {g} {f.bound:.3f} < {f.target:.3f}" if f.bound is not None
               else f"on time {g}: no talks" for g, f in self.on_time.items() if not f.met]
        if self.desk_wait is not None and not self.desk_wait.met:
            out.append(f"desk wait {self.desk_wait.bound:.1f} > {self.desk_wait.target:g} days")
        return out


def _bound(values: list[float], level: float, higher_is_better: bool) -> Figure:
    ci = mean_ci(values, level)
    if ci.mean is None:
        return Figure(None, None)
    half = ci.half_width or 0.0
    return Figure(ci.mean, ci.mean - half if higher_is_better else ci.mean + half,
                  _higher_is_better=higher_is_better)


def measure(cfg: SimConfig, staffing: dict[str, int], records: list[dict],
            settings: PlanSettings, built: dict[str, str]) -> dict[str, PoolFigures]:
    """Each planned pool's figures at ``staffing`` from its replication ``records``."""
    groups = groups_of(cfg)
    out: dict[str, PoolFigures] = {}
    rows = [{r["group"]: r for r in rec["summary"]} for rec in records]
    for pool, heads in staffing.items():
        pf = PoolFigures(heads)
        held_all, on_all = 0, 0
        for g in groups.get(pool, []):
            shares = [r[g]["on_time_share"] for r in rows if g in r
                      and r[g]["on_time_share"] is not None]
            for r in rows:
                if g in r:
                    on_all += r[g]["talks_on_time"]
                    held_all += (r[g]["talks_held"] + r[g]["talks_missed"]
                                 + r[g]["talks_overdue_at_end"])
            target = settings.on_time_target(g)
            if not shares and heads > 0:
                continue                            # a group without mandated talks here
            f = _bound(shares, settings.level, True) if shares else Figure(None, None)
            f.target = target if target > 0 else None
            pf.on_time[g] = f
        pf.pool_on_time = on_all / held_all if held_all else None
        waits, util, elastic = [], [], []
        for rec in records:
            parts = [v for name, v in rec["headline"]["pools"].items() if built.get(name) == pool]
            if not parts:
                continue
            waits.append(max(max(v.get("desk_wait_days") or 0.0,
                                 v.get("work_waiting_days") or 0.0) for v in parts))
            bookable = sum(v["bookable_hours"] for v in parts)
            required = sum((v["required_utilisation"] or 0.0) * v["bookable_hours"]
                           for v in parts)
            util.append(required / bookable if bookable else None)
            h = rec["headline"]
            measured = h["horizon_days"] - h["warmup_days"]
            if measured > 0:
                elastic.append(sum(v["elastic_hours"] for v in parts) * 365.0 / measured)
        if heads == 0:
            pf.desk_wait = Figure(None, None, settings.desk_wait_target(pool))   # never met
        elif waits:
            pf.desk_wait = _bound(waits, settings.level, False)
            pf.desk_wait.target = settings.desk_wait_target(pool)
        known = [u for u in util if u is not None]
        pf.utilisation = sum(known) / len(known) if known else None
        pf.elastic_hours_a_year = sum(elastic) / len(elastic) if elastic else None
        out[pool] = pf
    return out


# --------------------------------------------------------------------------- runs
@dataclass
class Run:
    """One judged staffing: its figures per pool, records' headline means, and how it was got."""

    staffing: dict[str, int]
    pools: dict[str, PoolFigures]
    simulated: int
    reused: int
    seconds: float
    operating_cost_dkk: float | None


class Evaluator:
    """Simulates staffings of ``cfg`` with ``settings.replications`` replications each.

    ``workers``: processes side by side (see :func:`sim.executors.worker_count`); ``cache``:
    the replication cache's folder (None: no cache); ``log``: a function given one line per
    judged staffing (None: quiet).
    """

    def __init__(self, cfg: SimConfig, settings: PlanSettings, workers: int,
                 cache_root=None, log: Callable[[str], None] | None = None, label: str = ""):
        from ..executors import make_pool

        self.cfg = dataclasses.replace(cfg, event_log=False, progress=False)
        self.settings = settings
        self.cache_root = cache_root
        self.log = log
        self.label = label
        self.built = built_pools_of(self.cfg)
        self.pool = make_pool(self.cfg, workers)
        self.runs: list[Run] = []

    def close(self, interrupted: bool = False) -> None:
        from ..executors import stop

        if self.pool is not None:
            if interrupted:
                stop(self.pool)
            else:
                self.pool.shutdown()
            self.pool = None

    def records(self, staffing: dict[str, int]) -> tuple[list[dict], int]:
        """Replication records of ``staffing`` and how many of them came from the cache."""
        from ..experiment import BaselineCache, simulate_record

        cfg = with_staffing(self.cfg, staffing)
        cache = BaselineCache(self.cache_root, cfg) if self.cache_root is not None else None
        n = self.settings.replications
        recs: list[dict | None] = [cache.load(i) if cache else None for i in range(n)]
        reused = sum(r is not None for r in recs)
        todo = [i for i in range(n) if recs[i] is None]
        if self.pool is None:
            for i in todo:
                recs[i] = simulate_record(cfg, i)
                if cache is not None:
                    cache.save(recs[i])
        else:
            futures = {i: self.pool.submit(simulate_record, cfg, i) for i in todo}
            for i, fut in futures.items():
                recs[i] = fut.result()
                if cache is not None:          # kept at once: a Ctrl-C loses no finished one
                    cache.save(recs[i])
        return recs, reused

    def evaluate(self, staffing: dict[str, int], stage: str = "") -> Run:
        """Simulate and measure ``staffing``; the run is kept in :attr:`runs`."""
        t0 = time.perf_counter()
        recs, reused = self.records(staffing)
        pools = measure(self.cfg, staffing, recs, self.settings, self.built)
        costs = [r["headline"]["operating_cost_dkk"] for r in recs]
        run = Run(dict(staffing), pools, len(recs) - reused, reused, time.perf_counter() - t0,
                  sum(costs) / len(costs) if costs else None)
        self.runs.append(run)
        if self.log:
            missed = [f"{p} ({'; '.join(f.missed())})" for p, f in pools.items() if not f.met]
            heads = ", ".join(f"{p} {n}" for p, n in staffing.items())
            how = f"{run.simulated} simulated" + (f", {reused} from the cache" if reused else "")
            self.log(f"{self.label}run {len(self.runs)}{' (' + stage + ')' if stage else ''}: "
                     f"{heads}; " + ("every target met" if not missed
                                     else "missed: " + ", ".join(missed))
                     + f" [{how}, {run.seconds:.0f} s]")
        return run

    def judge(self, staffing: dict[str, int], stage: str = "") -> dict[str, bool]:
        """Per pool, whether its targets are met at ``staffing`` (the search's judge)."""
        return {p: f.met for p, f in self.evaluate(staffing, stage).pools.items()}
