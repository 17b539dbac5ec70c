"""Writing a national (composite) run: calibration report, national figures, jobcenter table."""
from __future__ import annotations

import dataclasses
import json
import platform
import sys
from pathlib import Path

import pandas as pd
import yaml

from .calibration import evaluate, load_targets, report_markdown, simulated_values
from .config import SimConfig
from .output import atomic_write, atomic_write_text, git_revision, package_versions


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


def write_national(run_dir: Path, cfg: SimConfig, result: dict,
                   description: dict | None = None) -> list[dict]:
    """Write ``calibration.md``, ``calibration.csv``, ``national.json``, ``jobcenters.csv`` and
    the run's provenance (``resolved_config.yaml``, ``run_info.json``).

    ``result`` is what :func:`sim.national.run_national` returned. Returns the calibration rows.
    """
    run_dir = Path(run_dir)
    values = [simulated_values(a) for a in result["replications"]]
    rows = evaluate(values, load_targets())
    meta = {"profile": cfg.jobcenter.name, "jobcenters": result["jobcenters"],
            "simulated": result["members"], "scenario": cfg.scenario, "seed": cfg.seed,
            "replications": len(result["replications"]), "horizon_days": cfg.horizon_days,
            "warmup_days": cfg.warmup_days, "wall_seconds": result["wall_seconds"],
            "workers": result["workers"]}
    atomic_write_text(run_dir / "calibration.md", report_markdown(rows, meta))
    table = pd.DataFrame(rows)
    atomic_write(run_dir / "calibration.csv", lambda p: table.to_csv(p, index=False))
    national = {"meta": meta, "per_replication": values,
                "cost_lines_dkk": [a["cost_lines_dkk"] for a in result["replications"]],
                "offers": [_offers(a) for a in result["replications"]],
                "benefits": [_benefits(a) for a in result["replications"]]}
    atomic_write_text(run_dir / "national.json", json.dumps(national, indent=2))
    jobcenters = pd.DataFrame([{
        "replication": o["replication"], "jobcenter": o["index"], "profile": o["profile"],
        "weight": o["weight"], "citizens": o["headline"]["citizens_simulated"],
        "talks_held": o["headline"]["talks_held"],
        "on_time_share": o["headline"]["talks_on_time_share"],
        "operating_cost_dkk": o["headline"]["operating_cost_dkk"],
        "fte": o["fte_total"], "wall_seconds": o["headline"]["wall_seconds"]}
        for o in result["member_outputs"]])
    atomic_write(run_dir / "jobcenters.csv", lambda p: jobcenters.to_csv(p, index=False))
    atomic_write_text(run_dir / "resolved_config.yaml",
                      yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False, allow_unicode=True))
    info = {"scenario": cfg.scenario, "scenario_description": description or {},
            "seed": cfg.seed, "replications": meta["replications"],
            "jobcenter_seeds": "numpy SeedSequence([seed, jobcenter index])",
            "git_revision": git_revision(), "packages": package_versions(),
            "platform": platform.platform(), "command": " ".join(["python -m sim", *sys.argv[1:]]),
            "wall_seconds": result["wall_seconds"], "workers": result["workers"]}
    atomic_write_text(run_dir / "run_info.json", json.dumps(info, indent=2))
    return rows
