"""The command line of ``python -m sim.plan`` (see :mod:`sim.plan`)."""
from __future__ import annotations

import dataclasses
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from ..schema import ConfigError
from . import report
from .evaluate import Evaluator, as_built_staff, staff_type, today
from .search import ceiling, least_staff
from .targets import FIELDS, PlanSettings, check_pools, impossible_targets, split_arguments

EXIT_OK = 0
EXIT_CONFIG_ERROR = 2
EXIT_INTERRUPTED = 130

USAGE = f"""usage: python -m sim.plan [plan.SETTING=VALUE ...] [configuration overrides ...]

The least head count per staff pool (caseworker pools, company consultants, administrative
staff) that meets the targets, judged on the pessimistic end of the confidence interval over
replications with common random numbers. With scenario=NAME the scenario is planned beside the
baseline, showing the staff it could release at the same service.

plan settings (defaults):
  plan.on_time=0.95                 on-time share of mandated talks, every group
  plan.on_time_by_group.GROUP=X     one group's target (0: none)
  plan.desk_wait_days=7             mean wait of desk work in every planned pool (days)
  plan.desk_wait_days_by_pool.POOL=D  one pool's
  plan.pools=[adp,cash_benefit]     the pools to plan (default: all; the others are kept)
  plan.replications=5               replications judged per staffing
  plan.max_runs=40                  staffings simulated at most; then the best plan found
  plan.level=0.95                   confidence level of the judgement
  plan.out=DIR                      folder for plan.md, plan.html, plan.csv, plan_curves.png

Any other argument is a configuration override as for python -m sim (jobcenter=small,
scenario=c2_shared_caseload, horizon_days=365, workers=2, ...). Settings: {", ".join(FIELDS)}.
Exit codes: 0, 2 (a mistake, or targets that no staffing meets), 130 (Ctrl-C)."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _error(message: str) -> int:
    text = message.strip().splitlines()[0] if message.strip() else "error"
    print(f"error: {text}", file=sys.stderr, flush=True)
    return EXIT_CONFIG_ERROR


def default_folder(cfg) -> Path:
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return Path("outputs") / "plan" / cfg.scenario / cfg.jobcenter.name / stamp


def head_costs(cfg) -> dict[str, float]:
    """DKK a year of one more head in each pool: the staff type's wage and the other running
    costs per FTE (QB14 section 1)."""
    from ..model import built_config

    built = built_config(cfg)
    costs = built.model.costs
    out = {}
    for pool in today(cfg):
        factor = built.model.staff_types[staff_type(pool)].hour_rate_factor
        out[pool] = costs.wage_per_fte_dkk * factor + costs.other_services_per_fte_dkk
    return out


def impossible_words(outcome_runs, result, settings: PlanSettings, label: str) -> str:
    """One line: which pools miss their targets even at their ceiling, and by how much."""
    enough = outcome_runs[-1]
    parts = []
    for p in result.impossible:
        f = enough.pools[p]
        now = result.today[p]
        parts.append(f"pool {p} misses them even with {ceiling(now)} heads "
                     f"({ceiling(now) / now:.0f} times today's {now}): {'; '.join(f.missed())}")
    return (f"{label}the targets cannot be met by staffing: " + ", ".join(parts)
            + "; no-shows, rebookings and lead times set this ceiling: lower the target "
            "(plan.on_time, plan.on_time_by_group.GROUP, plan.desk_wait_days)")


def plan_side(cfg, description: dict, settings: PlanSettings, workers: int, cache_root,
              label: str) -> report.PlanOutcome:
    """Search the least staffing of one configuration (the baseline, or a scenario)."""
    now = today(cfg)
    planned = [p for p in now if not settings.pools or p in settings.pools]
    fixed = {p: n for p, n in now.items() if p not in planned}
    t0 = time.perf_counter()
    evaluator = Evaluator(cfg, settings, workers, cache_root, _say, label)
    interrupted = False
    try:
        def judge(staffing, stage):
            full = {**fixed, **staffing}
            verdicts = evaluator.judge({p: full[p] for p in now}, stage)
            return {p: verdicts[p] for p in staffing}

        result = least_staff({p: now[p] for p in planned}, judge, settings.max_runs,
                             floor={p: 1 for p in planned}, cost=head_costs(cfg))
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        evaluator.close(interrupted)
    title = ((description or {}).get("title") or cfg.scenario) if cfg.scenario != "baseline" \
        else "Baseline"
    return report.PlanOutcome(cfg.scenario, title, result, evaluator.runs, fixed,
                              head_costs(cfg), time.perf_counter() - t0, planned, list(now))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return EXIT_OK
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("interrupted: no plan written; the replications simulated so far are kept in the "
              "replication cache, so the same command again goes on from them", file=sys.stderr,
              flush=True)
        return EXIT_INTERRUPTED


@dataclass
class Job:
    """One plan to search: a side (the baseline or the scenario) of one jobcenter, with its
    weight in the country (1 for a single jobcenter)."""

    side: str
    member: str
    weight: float
    cfg: object
    description: dict


def jobs_of(cfg, description: dict, side: str) -> list[Job]:
    """The plans one side needs: its jobcenter, or each member a composite profile simulates
    (:func:`sim.national.members`, replication 0: with ``simulate_per_member`` one per profile,
    weighted by its count)."""
    if not cfg.jobcenter.is_composite:
        return [Job(side, cfg.jobcenter.name, 1.0, as_built_staff(cfg), description)]
    from ..national import members

    return [Job(side, f"{m.profile} {m.index}", m.weight, as_built_staff(m.cfg), description)
            for m in members(cfg, 0)]


def _main(argv: list[str]) -> int:
    from ..executors import worker_count
    from ..experiment import check_cache_dir, compose_comparison, default_cache_dir, is_baseline
    from ..output import writable_problem

    try:
        for a in argv:
            if a.startswith("-"):
                raise ConfigError(f"unknown option '{a}' (python -m sim.plan --help)")
        settings, rest = split_arguments(argv)
        cfg, desc, base_cfg, base_desc = compose_comparison(rest)
        jobs = jobs_of(base_cfg, base_desc, "baseline")
        if not is_baseline(cfg):
            jobs += jobs_of(cfg, desc, cfg.scenario)
        composite = cfg.jobcenter.is_composite
        for job in jobs:
            check_pools(settings, list(today(job.cfg)))
            why = impossible_targets(settings, job.cfg)
            if why:
                raise ConfigError(why)
        check_cache_dir()
        folder = Path(settings.out) if settings.out else default_folder(cfg)
        problem = writable_problem(folder)
        if problem:
            raise ConfigError(f"the plan's folder {folder} cannot be written: {problem}")
    except ConfigError as exc:
        return _error(str(exc))
    workers = worker_count(cfg)
    t0 = time.perf_counter()
    done: list[tuple[Job, report.PlanOutcome]] = []
    for job in jobs:
        where = job.side + (f", {job.member}" if composite else "")
        outcome = plan_side(job.cfg, job.description, settings, workers, default_cache_dir(),
                            f"plan ({where}): ")
        if outcome.result.status == "impossible":
            prefix = "" if where == "baseline" else f"{where}: "
            return _error(impossible_words(outcome.runs, outcome.result, settings, prefix))
        done.append((job, outcome))
    from ..output import atomic_write_text, git_revision, package_versions

    command = " ".join(["python -m sim.plan", *argv])
    if composite:
        from .national import write_national_plan

        files = write_national_plan(folder, [(j.side, j.member, j.weight, o) for j, o in done],
                                    settings, cfg.jobcenter.name, command)
    else:
        files = report.write_plan(folder, [o for _, o in done], settings, cfg.jobcenter.name,
                                  command)
    atomic_write_text(folder / "resolved_config.yaml",
                      yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False,
                                     allow_unicode=True))
    atomic_write_text(folder / "run_info.json", json.dumps({
        "command": command, "plan_settings": dataclasses.asdict(settings),
        "scenario": cfg.scenario, "jobcenter": cfg.jobcenter.name, "seed": cfg.seed,
        "git_revision": git_revision(), "packages": package_versions(),
        "platform": platform.platform(), "workers": workers,
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "sides": [{"scenario": o.scenario, "jobcenter": j.member, "weight": j.weight,
                   "status": o.result.status, "runs": o.result.runs, "today": o.today,
                   "plan": o.plan, "seconds": round(o.seconds, 1)} for j, o in done],
    }, indent=2, default=str))
    if composite:
        from .national import national_lines

        for line in national_lines([(j.side, j.member, j.weight, o) for j, o in done]):
            print(line)
    else:
        for _, o in done:
            print(f"{o.title}: {report.status_words(o, settings)}")
            for line in report.table_lines(o):
                print(line)
            print(report.totals_sentence(o))
    print(f"plan written to {folder}: " + ", ".join(p.name for p in files))
    return EXIT_OK
