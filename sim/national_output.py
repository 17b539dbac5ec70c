"""Writing a national (composite) run: provenance, the jobcenter table, the figures by size class
and, for the baseline, the calibration report.

A national run is an experiment like a jobcenter's (:mod:`sim.experiment`, its records are
:mod:`sim.national_record`'s), so ``comparison.csv``, ``replications/`` and the report are
written as for a jobcenter; what differs is written here:

* ``jobcenters.csv``: one row per side, replication and jobcenter simulated (profile, size
  class, weight, citizens, talks, on-time share, operating cost, FTE, run time);
* ``by_size_class.csv``: the paired comparison of the key figures for each size class
  (:func:`size_class_table`);
* ``metrics.json`` and ``summary.csv``: the country's first replication (headline, per group);
* for a run of the baseline: ``calibration.md``, ``calibration.csv`` and ``national.json``
  (every calibration target against its source, :mod:`sim.calibration`), or, for a profile
  that names a back-test (``national2019``), ``backtest.md`` and ``backtest.csv``
  (:mod:`sim.backtest`).
"""
from __future__ import annotations

import dataclasses
import json
import platform
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd
import yaml

from .calibration import evaluate, load_targets, report_markdown, simulated_values
from .config import SimConfig
from .output import atomic_write, atomic_write_text, git_revision, package_versions

CLASS_FIGURES = ("operating_cost", "benefit_dkk", "required_work_fte", "on_time_share",
                 "spell_days", "days_to_first_offer", "rehab_wait_days", "talks_held")
"""The figures of the table by size class (:func:`sim.figures.figures_for` ids), after
capacity freed."""

CLASS_WORDS = {"small": "Small", "medium": "Medium-size", "large": "Large",
               "copenhagen": "Copenhagen"}


def _offers(agg: dict) -> dict:
    """One replication's offers: running cost (DKK per year, not part of operation) and the
    share of benefit-days in an active offer, by group."""
    years = agg["years"]
    return {"offer_running_cost_dkk": agg["totals"]["offer_running_cost_dkk"] / years,
            "offer_running_cost_dkk_by_group": {g: dkk / years for g, dkk in
                                                agg["offer_running_cost_dkk_by_group"].items()},
            "active_share_by_group": {g: v["active_share"] for g, v in agg["groups"].items()}}


def _benefits(agg: dict) -> dict:
    """One replication's benefit payments to citizens (DKK per year, not part of operation),
    all groups and by group."""
    years = agg["years"]
    return {"benefit_dkk": agg["totals"]["benefit_dkk"] / years,
            "benefit_dkk_by_group": {g: dkk / years
                                     for g, dkk in agg["benefit_dkk_by_group"].items()}}


def write_calibration(run_dir: Path, cfg: SimConfig, records: Sequence[dict],
                      wall_seconds: float, workers: int) -> list[dict]:
    """Write ``calibration.md``, ``calibration.csv`` and ``national.json`` for the country
    records of a baseline run; returns the calibration rows."""
    from .national import country_aggregate

    aggregates = [country_aggregate(cfg, rec) for rec in records]
    values = [simulated_values(a) for a in aggregates]
    rows = evaluate(values, load_targets())
    meta = {"profile": cfg.jobcenter.name,
            "jobcenters": records[0]["headline"]["jobcenters"],
            "simulated": records[0]["headline"]["jobcenters_simulated"],
            "scenario": cfg.scenario, "seed": cfg.seed, "replications": len(records),
            "horizon_days": cfg.horizon_days, "warmup_days": cfg.warmup_days,
            "wall_seconds": wall_seconds, "workers": workers}
    atomic_write_text(run_dir / "calibration.md", report_markdown(rows, meta))
    table = pd.DataFrame(rows)
    atomic_write(run_dir / "calibration.csv", lambda p: table.to_csv(p, index=False))
    national = {"meta": meta, "per_replication": values,
                "cost_lines_dkk": [a["cost_lines_dkk"] for a in aggregates],
                "offers": [_offers(a) for a in aggregates],
                "benefits": [_benefits(a) for a in aggregates]}
    atomic_write_text(run_dir / "national.json", json.dumps(national, indent=2))
    return rows


def jobcenter_rows(records: Sequence[dict], side: str) -> list[dict]:
    """``jobcenters.csv``'s rows of one side's country records."""
    return [{"side": side, "replication": rec["replication"], "jobcenter": m["index"],
             "profile": m["profile"], "size_class": m["size_class"], "weight": m["weight"],
             "citizens": m["headline"]["citizens_simulated"],
             "talks_held": m["headline"]["talks_held"],
             "on_time_share": m["headline"]["talks_on_time_share"],
             "operating_cost_dkk": m["headline"]["operating_cost_dkk"],
             "fte": m["fte_total"], "wall_seconds": m["headline"]["wall_seconds"]}
            for rec in records for m in rec["members"]]


def size_class_table(scenario: Sequence[dict], baseline: Sequence[dict]) -> pd.DataFrame:
    """For each size class: jobcenters (in the country and simulated per replication), capacity
    freed (FTE, DKK a year) and the paired comparison of :data:`CLASS_FIGURES`, each with its
    95% interval over the replications. A run of the baseline alone (``scenario is baseline``)
    gives each figure's mean and interval instead (difference columns empty)."""
    from .figures import capacity_freed, comparison_table, level_table
    from .national_record import class_records

    same = scenario is baseline
    scen = [class_records(r) for r in scenario]
    base = scen if same else [class_records(r) for r in baseline]
    rows = []
    for name in scen[0]:
        s = [c[name] for c in scen]
        b = [c[name] for c in base]
        h = b[0]["headline"]
        common = {"size_class": name, "jobcenters": h["jobcenters"],
                  "simulated": h["jobcenters_simulated"]}
        if same:
            table = level_table(s)
            for _, r in table[table["figure"].isin(CLASS_FIGURES)].iterrows():
                rows.append({**common, "figure": r["figure"], "label": r["label"],
                             "unit": r["unit"], "baseline_mean": r["mean"],
                             "ci_low": r["ci_low"], "ci_high": r["ci_high"]})
            continue
        freed = capacity_freed(s, b)
        if freed is not None:
            for fid, iv, unit in (("capacity_freed_fte", freed["fte"], "FTE"),
                                  ("capacity_freed_dkk", freed["dkk"], "DKK per year")):
                rows.append({**common, "figure": fid, "label": "Capacity freed", "unit": unit,
                             "difference": iv.mean, "ci_low": iv.low, "ci_high": iv.high})
        table = comparison_table(s, b)
        for _, r in table[table["figure"].isin(CLASS_FIGURES)].iterrows():
            rows.append({**common, "figure": r["figure"], "label": r["label"], "unit": r["unit"],
                         "baseline_mean": r["baseline_mean"], "scenario_mean": r["scenario_mean"],
                         "difference": r["difference"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"]})
    return pd.DataFrame(rows, columns=["size_class", "jobcenters", "simulated", "figure", "label",
                                       "unit", "baseline_mean", "scenario_mean", "difference",
                                       "ci_low", "ci_high"])


def write_country(run_dir: Path, exp) -> dict:
    """The files of a national experiment that a jobcenter's first replication would give
    (provenance, ``metrics.json``, ``summary.csv``) and the national ones (module docstring);
    returns the scenario's first-replication headline."""
    from .output import COMMAND

    run_dir = Path(run_dir)
    cfg = exp.cfg
    atomic_write_text(run_dir / "resolved_config.yaml",
                      yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False, allow_unicode=True))
    first = exp.scenario_records[0]
    info = {"scenario": cfg.scenario, "scenario_description": exp.description,
            "seed": cfg.seed, "jobcenter_seeds": "numpy SeedSequence([seed, jobcenter index])",
            "jobcenters": first["headline"]["jobcenters"],
            "jobcenters_simulated": first["headline"]["jobcenters_simulated"],
            "sample_per_class": cfg.jobcenter.sample_per_class,
            "git_revision": git_revision(), "packages": package_versions(),
            "platform": platform.platform(),
            "command": " ".join(["python -m sim", *(sys.argv[1:] if COMMAND is None
                                                     else COMMAND)]),
            "wall_seconds": exp.wall_seconds, **exp.info()}
    atomic_write_text(run_dir / "run_info.json", json.dumps(info, indent=2, default=str))
    metrics = first["headline"]
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    summary = pd.DataFrame(first["summary"])
    atomic_write(run_dir / "summary.csv", lambda p: summary.to_csv(p, index=False))
    rows = jobcenter_rows(exp.scenario_records, "scenario")
    if not exp.is_baseline:
        rows += jobcenter_rows(exp.baseline_records, "baseline")
    jobcenters = pd.DataFrame(rows)
    atomic_write(run_dir / "jobcenters.csv", lambda p: jobcenters.to_csv(p, index=False))
    classes = size_class_table(exp.scenario_records,
                               exp.scenario_records if exp.is_baseline else exp.baseline_records)
    atomic_write(run_dir / "by_size_class.csv", lambda p: classes.to_csv(p, index=False))
    if exp.is_baseline and cfg.jobcenter.backtest:
        from .backtest import write_backtest

        write_backtest(run_dir, cfg, exp.scenario_records, exp.wall_seconds, exp.workers)
    elif exp.is_baseline:
        write_calibration(run_dir, cfg, exp.scenario_records, exp.wall_seconds, exp.workers)
    return metrics
