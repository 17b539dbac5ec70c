"""A country of jobcenters: every member simulated as its own jobcenter, results added up.

A composite profile (``conf/jobcenter/national.yaml``) lists member profiles and how many
jobcenters of each the country has. Each jobcenter is a separate simulation with its own seed
(pooling citizens of different jobcenters would overstate the gains of shared caseloads), run in
worker processes. ``simulate_per_member`` > 0 simulates only that many jobcenters of each profile
and weights them up to the profile's count: a documented, cheaper estimate of the same national
figures (shares and ratios are unchanged by the weighting; totals are weighted sums).
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import yaml

from . import practice
from .config import EXPOSURES, JobcenterProfile, SimConfig
from .configure import CONF_DIR
from .schema import ConfigError, build

MAIN_GROUPS = {              # the calibration's group aggregates (VIVE20 table 5.4)
    "adp": ("adp",),
    "cash_benefit": ("kth_job_ready", "kth_activity_ready"),
    "sickness": ("sdp_cat1", "sdp_cat2", "sdp_cat3", "job_clarification"),
    "ly": ("ly",),
}


@dataclass
class Member:
    """One jobcenter to simulate: its profile, index in the country and weight."""

    profile: str
    index: int
    weight: float
    cfg: SimConfig


def profile_data(name: str, seen: tuple[str, ...] = ()) -> dict:
    """The settings of profile ``conf/jobcenter/NAME.yaml``, with those of the profile its
    ``defaults`` list names first (as Hydra composes it: ``defaults: [large, _self_]``)."""
    path = CONF_DIR / "jobcenter" / f"{name}.yaml"
    if not path.is_file():
        valid = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ConfigError(f"composite profile names unknown member '{name}'; valid: "
                          + ", ".join(valid))
    if name in seen:
        raise ConfigError(f"profile '{name}' takes its defaults from itself")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict = {}
    for base in data.pop("defaults", None) or []:
        if base != "_self_":
            out = _merged(out, profile_data(str(base), (*seen, name)))
    return _merged(out, data)


def _merged(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else v
    return out


def load_profile(name: str) -> JobcenterProfile:
    """A single-jobcenter profile from ``conf/jobcenter/NAME.yaml``."""
    profile = build(JobcenterProfile, profile_data(name), f"jobcenter[{name}]")
    if profile.is_composite:
        raise ConfigError(f"member '{name}' is itself a composite profile")
    return profile


def member_seed(seed: int, index: int) -> int:
    """The base seed of jobcenter ``index`` in a country run with base ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def members(cfg: SimConfig, replication: int = 0) -> list[Member]:
    """The jobcenters a composite run simulates in replication ``replication``, with weights.

    With ``practice: drawn`` each jobcenter has its own fixed practice
    (:func:`sim.practice.draw_centre`, from ``practice_seed`` and its index in the country), and
    the simulated ones are centred together (weighted by their weight and staff) so that the
    country's mean of every line is the national average.

    With ``sample_per_class`` = n > 0 (``national_sample``) the country is built in full (and
    centred in full), and each replication simulates a new simple random sample of n jobcenters
    of each size class (:func:`stratified_sample`), each weighted by its class's count over n: an
    unbiased estimate of the country's totals in every replication, whose spread over
    replications holds the spread between jobcenters as well as the simulation's noise.
    """
    per_class = cfg.jobcenter.sample_per_class
    if per_class > 0:
        full = dataclasses.replace(cfg, jobcenter=dataclasses.replace(
            cfg.jobcenter, sample_per_class=0, simulate_per_member=0))
        return stratified_sample(members(full), per_class, cfg.seed, replication)
    out = _members(cfg)
    if cfg.jobcenter.practice != "drawn" or not out:
        return out
    spread = cfg.model.practice
    raw = [practice.draw_centre(spread, cfg.jobcenter.practice_seed, m.index) for m in out]
    # centred on the staff each centre has: first the profiles' staff, then the staff fitted to
    # the centred practice (the staff the model schedules; sickness moves their hours)
    weights = [m.weight * m.cfg.jobcenter.total_fte for m in out]
    for _ in range(2):
        centres = practice.centre_country(raw, weights, spread)
        weights = [m.weight * practice.scheduled_staff(practice.staffed(
            dataclasses.replace(m.cfg, jobcenter=dataclasses.replace(m.cfg.jobcenter,
                                                                     practice=c)), c))
            for m, c in zip(out, centres)]
    for m, centre in zip(out, centres):
        m.cfg = dataclasses.replace(m.cfg, jobcenter=dataclasses.replace(m.cfg.jobcenter,
                                                                         practice=centre))
    return out


def size_class(member: Member) -> str:
    """The member's size class (``jobcenter.size_class``: small, medium, large, copenhagen), or
    its profile's name where the profile names none."""
    return member.cfg.jobcenter.size_class or member.profile


def stratified_sample(country: list[Member], per_class: int, seed: int,
                      replication: int) -> list[Member]:
    """``per_class`` jobcenters of each size class of ``country``, drawn without replacement
    from a stream keyed by (``seed``, ``replication``), each weighted by the class's count over
    the sample's size; a class of at most ``per_class`` jobcenters is taken whole (weight 1).
    The same seed and replication give the same sample on both sides of a comparison."""
    classes: dict[str, list[Member]] = {}
    for m in country:
        classes.setdefault(size_class(m), []).append(m)
    rng = np.random.default_rng(np.random.SeedSequence([seed, replication, 0x5A3D]))
    chosen: list[Member] = []
    for name in sorted(classes):
        pool = classes[name]
        n = min(per_class, len(pool))
        picks = sorted(rng.choice(len(pool), size=n, replace=False)) if n < len(pool) \
            else range(len(pool))
        chosen += [dataclasses.replace(pool[i], weight=pool[i].weight * len(pool) / n)
                   for i in picks]
    return sorted(chosen, key=lambda m: m.index)


def _members(cfg: SimConfig) -> list[Member]:
    out: list[Member] = []
    index = 0
    per = cfg.jobcenter.simulate_per_member
    for name, count in cfg.jobcenter.members.items():
        if count == 0:
            continue
        profile = load_profile(name)
        n_sim = count if per <= 0 else min(per, count)
        for k in range(count):
            if k < n_sim:
                member_cfg = dataclasses.replace(cfg, jobcenter=profile,
                                                 seed=member_seed(cfg.seed, index))
                member_cfg.validate("")
                out.append(Member(name, index, count / n_sim, member_cfg))
            index += 1
    return out


def replication_plans(cfg: SimConfig, replications: int, first: int = 0) -> list[list[Member]]:
    """The jobcenters of replications ``first .. first + replications - 1`` (the same ones in
    each unless the profile samples anew per replication)."""
    if cfg.jobcenter.sample_per_class > 0:
        return [members(cfg, r) for r in range(first, first + replications)]
    plan = members(cfg)
    return [plan] * replications


def member_record(args: tuple[Member, int]) -> dict:
    """Simulate one jobcenter (one replication); returns its record
    (:func:`sim.experiment.record`) with a ``member`` entry: profile, index in the country,
    weight, size class, FTE and scheduled staff as built (worker entry point)."""
    from .experiment import record
    from .model import run

    member, replication = args
    result = run(member.cfg, replication)
    rec = record(result)
    rec["member"] = {"profile": member.profile, "index": member.index, "weight": member.weight,
                     "size_class": size_class(member),
                     "fte_total": result.cfg.jobcenter.total_fte,
                     "scheduled_staff": sum(p.n for p in result.pools.values())}
    return rec


def simulate_countries(jobs: Sequence[tuple[Any, SimConfig, int]], pool=None,
                       progress: Callable[[float], None] | None = None) -> dict[Any, dict]:
    """Replications of countries: each job ``(key, cfg, replication)`` is every member of
    ``cfg``'s country in that replication (:func:`replication_plans`), simulated in ``pool``
    (a process pool; None: in this process), largest jobcenters first so that the last tasks
    to finish are short ones; returns ``{key: record}`` (:func:`sim.national_record.
    country_record`). ``progress`` gets the share of member simulations done. Each record's
    ``wall_seconds`` is its share of the elapsed time, in proportion to its members' run
    times (the jobs share the pool)."""
    from concurrent.futures import as_completed

    from .national_record import country_record

    tasks = [(key, m, r) for key, cfg, r in jobs for m in replication_plans(cfg, 1, first=r)[0]]
    tasks.sort(key=lambda t: -_size(t[1]))
    t0 = time.perf_counter()
    done: dict[Any, list[dict]] = {key: [] for key, _, _ in jobs}
    if pool is None:
        for n, (key, m, r) in enumerate(tasks, 1):
            done[key].append(member_record((m, r)))
            if progress:
                progress(n / len(tasks))
    else:
        futures = {pool.submit(member_record, (m, r)): key for key, m, r in tasks}
        for n, fut in enumerate(as_completed(futures), 1):
            done[futures[fut]].append(fut.result())
            if progress:
                progress(n / len(tasks))
    elapsed = time.perf_counter() - t0
    busy = sum(rec.get("wall_seconds") or 0.0 for recs in done.values() for rec in recs) or 1.0
    out = {}
    for key, cfg, r in jobs:
        recs = sorted(done[key], key=lambda rec: rec["member"]["index"])
        out[key] = country_record(cfg, r, recs)
        out[key]["wall_seconds"] = elapsed * out[key]["wall_seconds"] / busy
    return out


def run_member(args: tuple[Member, int]) -> dict:
    """Simulate one jobcenter (one replication); returns what :func:`aggregate` reads of it:
    its headline and per-group summary, weight, FTE and scheduled staff."""
    rec = member_record(args)
    return {**rec["member"], "replication": rec["replication"], "headline": rec["headline"],
            "summary": rec["summary"]}


UNSCHEDULED = "management_and_staff_functions"
"""The line-hours key of the staff the model does not schedule (cost only)."""


def aggregate(outputs: list[dict], horizon_days: int, available_hours: float,
              unscheduled_lines: dict[str, float] | None = None) -> dict:
    """National figures of one replication from its members' outputs (weighted sums).

    ``unscheduled_lines``: the available hours per FTE-year of management and staff functions
    by QB14 line (``working_time.unscheduled_staff_lines``), added to ``line_hours``. Besides
    operation, ``totals["offer_running_cost_dkk"]`` (and by group,
    ``offer_running_cost_dkk_by_group``) holds the offers' running cost (DKK over the horizon),
    and each group's ``offer_days_active``, ``stock_days`` and ``active_share`` (offer-days /
    stock-days) the time citizens spent in an active offer; ``totals["benefit_dkk"]`` (and
    ``benefit_dkk_by_group``) the benefit payments to citizens (DKK over the horizon).
    """
    years = horizon_days / 365.0
    line_hours: dict[str, dict[str, float]] = {}
    pool_hours: dict[str, dict[str, float]] = {}
    required = unmet = elastic = 0.0
    tot = {"fte": 0.0, "scheduled_staff": 0.0, "cost_dkk": 0.0, "citizens": 0.0, "talks": 0.0,
           "talks_on_time": 0.0, "talks_due": 0.0, "offer_running_cost_dkk": 0.0,
           "benefit_dkk": 0.0}
    offer_cost: dict[str, float] = {}
    benefit: dict[str, float] = {}
    avail: dict[str, float] = {}
    direct: dict[str, float] = {}
    group: dict[str, dict[str, float]] = {}
    cost_lines: dict[str, float] = {}
    for out in outputs:
        w = out["weight"]
        h = out["headline"]
        tot["fte"] += w * out["fte_total"]
        tot["scheduled_staff"] += w * out["scheduled_staff"]
        tot["cost_dkk"] += w * h["operating_cost_dkk"]
        tot["citizens"] += w * h["citizens_simulated"]
        tot["offer_running_cost_dkk"] += w * h["offer_running_cost_dkk"]
        for g, dkk in h["offer_running_cost_dkk_by_group"].items():
            offer_cost[g] = offer_cost.get(g, 0.0) + w * dkk
        tot["benefit_dkk"] += w * (h.get("benefit_dkk") or 0.0)
        for g, dkk in (h.get("benefit_dkk_by_group") or {}).items():
            benefit[g] = benefit.get(g, 0.0) + w * dkk
        for key, dkk in h["cost_lines_dkk"].items():
            cost_lines[key] = cost_lines.get(key, 0.0) + w * dkk
        for st, lines in h.get("line_hours", {}).items():
            into = line_hours.setdefault(st, {})
            for line, hours in lines.items():
                into[line] = into.get(line, 0.0) + w * hours
        unscheduled = out["fte_total"] - out["scheduled_staff"]
        if unscheduled_lines and unscheduled > 0:
            into = line_hours.setdefault(UNSCHEDULED, {})
            for line, hours in unscheduled_lines.items():
                into[line] = into.get(line, 0.0) + w * unscheduled * hours * years
        for name, p in h.get("pools", {}).items():
            into = pool_hours.setdefault(name, {"available": 0.0, "direct": 0.0,
                                                "staff_type": p["staff_type"]})
            into["available"] += w * p["available_hours"]
            into["direct"] += w * (p.get("direct_contact_share") or 0.0) * p["available_hours"]
        required += w * sum(h.get("required_work_hours", {}).values())
        elastic += w * sum(v for acts in h.get("elastic_work_hours", {}).values()
                           for v in acts.values())
        unmet += w * sum(h.get("unmet_work_minutes", {}).values()) / 60.0
        for st, hours in h["available_hours"].items():
            avail[st] = avail.get(st, 0.0) + w * hours
            share = h["direct_contact_share"].get(st) or 0.0
            direct[st] = direct.get(st, 0.0) + w * share * hours
        for row in out["summary"]:
            g = group.setdefault(row["group"], {})
            entries = row["inflow_new"] + row["inflow_reentry"] + row["transfers_in"]
            in_person_minutes = (row["mean_in_person_talk_minutes"] or 0.0) * row["in_person_talks"]
            for key, value in (("mean_stock", row["mean_stock"]), ("entries", entries),
                               ("talks_held", row["talks_held"]),
                               ("talks_on_time", row["talks_on_time"]),
                               ("extra_talks_held", row.get("extra_talks_held", 0)),
                               ("talks_due", row["talks_held"] + row["talks_missed"]
                                + row["talks_overdue_at_end"]),
                               ("in_person_talks", row["in_person_talks"]),
                               ("in_person_minutes", in_person_minutes),
                               ("offer_days_active", row["offer_days_active"]),
                               ("stock_days", row["mean_stock"] * horizon_days),
                               ("job_spell_days", row.get("job_spell_days", 0.0)),
                               ("mentor_days", row.get("mentor_days", 0.0)),
                               *((f"exposure_{k}", row.get(f"exposure_{k}", 0.0))
                                 for k in EXPOSURES)):
                g[key] = g.get(key, 0.0) + w * (value or 0.0)
    for g in group.values():
        tot["talks"] += g["talks_held"]
        tot["talks_on_time"] += g["talks_on_time"]
        tot["talks_due"] += g["talks_due"]
    for g in group.values():
        g["active_share"] = g["offer_days_active"] / g["stock_days"] if g["stock_days"] else None
    tot["required_work_hours"] = required
    tot["elastic_work_hours"] = elastic
    tot["unmet_work_hours"] = unmet
    return {"totals": tot, "available_hours": avail, "direct_hours": direct, "groups": group,
            "cost_lines_dkk": cost_lines, "offer_running_cost_dkk_by_group": offer_cost,
            "benefit_dkk_by_group": benefit,
            "years": years, "budget_hours": available_hours,
            "line_hours": line_hours, "pool_hours": pool_hours}


def run_national(cfg: SimConfig, replications: int = 1, workers: int = 0,
                 progress: Callable[[float], None] | None = None) -> dict:
    """Simulate every member jobcenter for each replication; returns per-replication aggregates
    (:func:`aggregate`, what the calibration reads), the country records
    (:func:`simulate_countries`) and every member's output.

    ``workers`` = 0 uses every core. Results are identical whatever the number of workers.
    """
    if not replication_plans(cfg, 1)[0]:
        raise ConfigError(f"composite profile '{cfg.jobcenter.name}' has no members to simulate")
    from .executors import make_pool, stop, worker_count

    workers = worker_count(cfg, workers) if cfg.executor == "ray" \
        else (workers or os.cpu_count() or 1)
    t0 = time.perf_counter()
    jobs = [(r, cfg, r) for r in range(replications)]
    pool = make_pool(cfg, workers)
    if pool is None:
        records = simulate_countries(jobs, None, progress)
    else:
        try:
            records = simulate_countries(jobs, pool, progress)
        except KeyboardInterrupt:        # Ctrl-C: the workers end at once, without tracebacks
            stop(pool)
            raise
        pool.shutdown()
    records = [records[r] for r in range(replications)]
    return {"replications": [country_aggregate(cfg, rec) for rec in records],
            "records": records, "members": len(records[0]["members"]),
            "jobcenters": sum(cfg.jobcenter.members.values()),
            "member_outputs": member_outputs(records),
            "wall_seconds": time.perf_counter() - t0, "workers": workers}


def country_aggregate(cfg: SimConfig, rec: dict) -> dict:
    """The calibration's national figures (:func:`aggregate`) of a country record."""
    return aggregate(rec["members"], cfg.horizon_days, cfg.model.working_time.available_hours,
                     cfg.model.working_time.unscheduled_staff_lines)


def member_outputs(records: Sequence[dict]) -> list[dict]:
    """Every member of the country records, with its replication (one row per jobcenter and
    replication: profile, index, weight, size class, FTE, headline, per-group summary)."""
    return [{**m, "replication": rec["replication"]} for rec in records for m in rec["members"]]


def _size(member: Member) -> float:
    return sum(v.initial_stock + v.inflow_per_year for v in member.cfg.jobcenter.groups.values())
