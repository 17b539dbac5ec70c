"""The back-test: the model as calibrated on 2013, given a later year's rules and population,
against what that year observed.

A back-test is a prediction: every behaviour parameter stays as calibrated on 2013; only the
rulebook (``rules=lab2019``) and the jobcenter profile (population and staff,
``jobcenter=national2019``) are the later year's. Its figures are data
(``conf/backtest/*.yaml``, named by the profile's ``backtest``): each row is a figure the
year's sources give, with a tolerance fixed before the run (the calibration's tolerance for the
same kind of figure) and a kind:

* a *target* (``relative``, ``points``, ``at_least``, ``at_most``): the simulated mean must lie
  within the tolerance; pass or fail;
* an ``input``: a figure the run was given (the stocks, a take-up), shown beside what the model
  made of it, not a test;
* a ``comparison``: a figure beside a source that measures something else, not a test.

:func:`backtest_values` computes the simulated value of every row from one replication's
national aggregate (:func:`sim.national.country_aggregate`); :func:`sim.calibration.evaluate`
adds the mean, its 95% confidence interval and the verdict; :func:`write_backtest` writes
``backtest.md`` and ``backtest.csv``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from .calibration import (DAYS_PER_MONTH, SICKNESS, Target, _fmt, _sum, _tolerance, evaluate,
                          service_values, target_rows)
from .configure import CONF_DIR, read_yaml
from .schema import ConfigError, build

BACKTEST_DIR = CONF_DIR / "backtest"
NOT_TESTED = ("input", "comparison")
"""Kinds of row that are shown, not judged."""

GROUP_SETS = {
    "adp": ("adp",),
    "job_ready": ("kth_job_ready",),
    "activity_ready": ("kth_activity_ready",),
    "sickness": SICKNESS,
    "four_groups": ("adp", "kth_job_ready", "kth_activity_ready", *SICKNESS),
}
"""VIVE20's groups of the talk counts (section 5.3): sickness benefit without the job
clarification course, which has a benefit of its own."""

STOCK_SETS = {
    "adp": ("adp",),
    "cash_benefit": ("kth_job_ready", "kth_activity_ready"),
    "sickness": (*SICKNESS, "job_clarification"),
    "resource_course": ("resource_course",),
    "ly": ("ly",),
}
"""The groups of VIVE20 table 5.4's stocks (sickness benefit with job clarification)."""


@dataclass
class Backtest:
    """One back-test file: what it tests, under which rulebook, and its rows."""

    title: str
    year: int
    era: str                              # the rulebook the back-test is made under
    reference: dict[str, float] = field(default_factory=dict)   # the calibrated year's figures
    rows: list[Target] = field(default_factory=list)


def load_backtest(name: str) -> tuple[Backtest, list[Target]]:
    """The back-test ``conf/backtest/NAME.yaml`` and its rows as targets."""
    path = BACKTEST_DIR / f"{name}.yaml"
    if not path.is_file():
        valid = sorted(p.stem for p in BACKTEST_DIR.glob("*.yaml"))
        raise ConfigError(f"unknown back-test '{name}'; valid: {', '.join(valid)}")
    data = read_yaml(path, "back-test file")
    spec = build(Backtest, data, f"backtest[{name}]")
    kinds = ("relative", "points", "at_most", "at_least", *NOT_TESTED)
    for t in spec.rows:
        if t.tolerance_kind not in kinds:
            raise ConfigError(f"back-test {name}, row {t.id}: tolerance_kind "
                              f"{t.tolerance_kind!r}; valid: {', '.join(kinds)}")
    return spec, list(spec.rows)


def talks_per_person(agg: dict, names: Sequence[str]) -> float:
    """Talks held (mandated and extra) per full-time person per year in groups ``names``."""
    g = agg["groups"]
    stock = _sum(g, names, "mean_stock")
    talks = _sum(g, names, "talks_held") + _sum(g, names, "extra_talks_held")
    return talks / agg["years"] / stock if stock else math.nan


def spell_months(agg: dict, stock_groups: Sequence[str], entry_groups: Sequence[str]) -> float:
    """Mean spell in months by Little's law: the mean stock of ``stock_groups`` over the
    entries per day into ``entry_groups``."""
    g = agg["groups"]
    entries = _sum(g, entry_groups, "entries") / (agg["years"] * 365.0)
    return _sum(g, stock_groups, "mean_stock") / entries / DAYS_PER_MONTH if entries else math.nan


def backtest_values(agg: dict, reference: dict) -> dict[str, float]:
    """The simulated value of every back-test row from one replication's national aggregate.
    ``reference`` holds the calibrated year's figures the changes are measured from
    (``operating_cost_dkk``: the 2013 operating cost, DKK a year)."""
    g = agg["groups"]
    years = agg["years"]
    out: dict[str, float] = {}
    for key, names in GROUP_SETS.items():
        out[f"talks_per_person_{key}"] = talks_per_person(agg, names)
    four = GROUP_SETS["four_groups"]
    out["talks_total"] = (_sum(g, four, "talks_held") + _sum(g, four, "extra_talks_held")) / years
    out["spell_months_adp"] = spell_months(agg, ("adp",), ("adp",))
    out["spell_months_job_ready"] = spell_months(agg, ("kth_job_ready",), ("kth_job_ready",))
    out["spell_months_activity_ready"] = spell_months(agg, ("kth_activity_ready",),
                                                      ("kth_activity_ready",))
    out["spell_months_sickness"] = spell_months(agg, (*SICKNESS, "job_clarification"), SICKNESS)
    for key, names in STOCK_SETS.items():
        out[f"stock_{key}"] = _sum(g, names, "mean_stock")
    service = service_values(agg)
    for key in ("adp", "job_ready", "activity_ready", "sickness"):
        out[f"active_share_{key}"] = service[f"active_share_{key}"]
    stock = _sum(g, ("kth_activity_ready",), "mean_stock")
    mentor = _sum(g, ("kth_activity_ready",), "mentor_days")
    out["mentor_share_activity_ready"] = mentor / (stock * 365.0 * years) if stock else math.nan
    cost = agg["totals"]["cost_dkk"] / years
    out["operating_cost"] = cost
    base = reference.get("operating_cost_dkk")
    out["operating_cost_change"] = cost / base - 1.0 if base else math.nan
    persons = sum(out[f"stock_{k}"] for k in STOCK_SETS)
    out["operating_cost_per_person"] = cost / persons if persons else math.nan
    return out


def _fmt_row(value, unit: str) -> str:
    if unit == "change":
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return f"{value * 100:+.1f}%"
    if unit == "DKK" and value is not None and not math.isnan(value) and abs(value) < 1e6:
        return f"DKK {value:,.0f}"
    if unit == "talks" and value is not None and not math.isnan(value) and abs(value) >= 1e5:
        return f"{value / 1e6:.2f} million"
    return _fmt(value, unit)


def _verdict(row: dict) -> str:
    kind = row["tolerance_kind"]
    if kind in NOT_TESTED:
        return kind
    return "pass" if row["passed"] else "**fail**"


def _tol(row: dict) -> str:
    if row["tolerance_kind"] == "input":
        return "input, not a test"
    return _tolerance(row)


def report_markdown(spec: Backtest, rows: list[dict], meta: dict) -> str:
    """``backtest.md``: every row with its source value, the simulated mean and 95% CI, the
    tolerance and the verdict; the counts of passes and misses first."""
    tested = [r for r in rows if r["tolerance_kind"] not in NOT_TESTED]
    passed = sum(r["passed"] for r in tested)
    era_note = ("" if meta["rules"] == spec.era else
                f" **This run used the rulebook {meta['rules']}, not {spec.era}: it is not the "
                "back-test itself but what the model predicts for that year's population under "
                "other rules.**")
    lines = [
        f"# {spec.title}",
        "",
        f"Profile: {meta['profile']} ({meta['jobcenters']} jobcenters, {meta['simulated']} "
        f"simulated one by one) · Rulebook: {meta['rules']} · Scenario: {meta['scenario']} · "
        f"Effects: {meta['effects']} · Seed: {meta['seed']} · Replications: "
        f"{meta['replications']} · Measured period: {meta['horizon_days']} days after a "
        f"warm-up of {meta['warmup_days']} days · Run time: {meta['wall_seconds']:.0f} s on "
        f"{meta['workers']} worker process(es)",
        "",
        f"**{passed} of {len(tested)} predictions within tolerance.** Every behaviour parameter "
        f"is as calibrated on 2013; only the rulebook and the population and staff are "
        f"{spec.year}'s, and nothing was fitted to the figures below. The simulated value is "
        "the mean over replications, the interval its 95% confidence interval (t distribution "
        "over replications; shown with two or more). Tolerances are the calibration's for the "
        "same kind of figure. Rows marked *input* are what the run was given, shown beside "
        "what the model made of them; rows marked *comparison* set a figure beside a source "
        "that measures something else. Neither is a test." + era_note,
        "",
        "| Figure | Source | Source value | Simulated | 95% CI | Tolerance | Result |",
        "| --- | --- | ---: | ---: | --- | --- | --- |",
    ]
    lines += target_rows(rows, _fmt_row, _tol, _verdict)
    lines += ["", "What was carried over from 2013, what was assumed for the year, and what each "
              "miss teaches: docs/backtest.md.", ""]
    return "\n".join(lines)


def write_backtest(run_dir: Path, cfg, records: Sequence[dict], wall_seconds: float,
                   workers: int) -> list[dict]:
    """Write ``backtest.md`` and ``backtest.csv`` for the country records of a baseline run of
    a profile that names a back-test (``jobcenter.backtest``); returns the rows."""
    from .national import country_aggregate
    from .output import atomic_write, atomic_write_text

    spec, targets = load_backtest(cfg.jobcenter.backtest)
    values = [backtest_values(country_aggregate(cfg, rec), spec.reference) for rec in records]
    rows = evaluate(values, targets)
    for r in rows:
        if r["tolerance_kind"] in NOT_TESTED:
            r["passed"] = None
    meta = {"profile": cfg.jobcenter.name, "rules": cfg.rules.era,
            "jobcenters": records[0]["headline"]["jobcenters"],
            "simulated": records[0]["headline"]["jobcenters_simulated"],
            "scenario": cfg.scenario, "effects": cfg.effects, "seed": cfg.seed,
            "replications": len(records), "horizon_days": cfg.horizon_days,
            "warmup_days": cfg.warmup_days, "wall_seconds": wall_seconds, "workers": workers}
    atomic_write_text(Path(run_dir) / "backtest.md", report_markdown(spec, rows, meta))
    table = pd.DataFrame(rows)
    table.insert(0, "rules", cfg.rules.era)
    atomic_write(Path(run_dir) / "backtest.csv", lambda p: table.to_csv(p, index=False))
    return rows
