"""The national parts of a comparison report: how the country was simulated, and the figures by
jobcenter size class (the rest of a national report is a jobcenter's, from country records).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from .comparison_report import fmt_ci, fmt_diff, fmt_money, fmt_value

CLASS_WORDS = {"small": "Small jobcenters", "medium": "Mid-size jobcenters",
               "large": "Large jobcenters", "copenhagen": "Copenhagen"}

COLUMNS = (("capacity_freed_fte", "fte", "FTE", "Capacity freed"),
           ("capacity_freed_dkk", "dkk", "DKK per year", "Worth a year"),
           ("operating_cost", "dkk", "DKK per year", "Operating cost"),
           ("on_time_share", "share", "%", "On-time share"),
           ("spell_days", "days", "days", "Mean time on benefit"))
"""The columns of the report's table by size class: figure id, kind, unit, heading."""

LEVEL_COLUMNS = (("operating_cost", "dkk", "DKK per year", "Operating cost"),
                 ("required_work_fte", "fte", "FTE", "Required work"),
                 ("on_time_share", "share", "%", "On-time share"),
                 ("spell_days", "days", "days", "Mean time on benefit"))
"""The columns of a baseline run's table by size class."""


def is_country(run) -> bool:
    """Whether a run's records are a country's (:mod:`sim.national_record`)."""
    return bool(run.baseline and run.baseline[0].get("members"))


def how_estimated(run) -> str:
    """One paragraph: which jobcenters were simulated, and what the intervals cover."""
    h = run.baseline[0]["headline"]
    n, k = h["jobcenters"], h["jobcenters_simulated"]
    per_class = ((run.config or {}).get("jobcenter") or {}).get("sample_per_class") or 0
    practice = ((run.config or {}).get("jobcenter") or {}).get("practice")
    differ = ("each with its own local practice drawn from QB14's spreads and the country "
              "centred on the national average (docs/practice.md)" if practice == "drawn"
              else "every jobcenter at the national average practice")
    if per_class:
        return (f"**How Denmark was estimated.** Each replication simulates a new random sample "
                f"of {per_class} jobcenters of each size class ({k} of the {n}; Copenhagen, a "
                f"class of one, always), {differ}, and weights each by its class's count over "
                f"the sample's size. The estimate of every national total is unbiased in each "
                f"replication; the replications differ in which jobcenters they sample as well "
                f"as in their random numbers, so the confidence intervals include the error of "
                f"sampling jobcenters. Both sides of a replication simulate the same "
                f"jobcenters. The full country, `jobcenter=national`, simulates all {n}.")
    return (f"**How Denmark was simulated.** All {n} jobcenters, each as its own simulation with "
            f"its own random streams, {differ}, added up replication by replication; both sides "
            f"of a replication simulate the same jobcenters with the same random numbers.")


def _rows_of(table, size_class: str) -> dict:
    sub = table[table["size_class"] == size_class]
    return {r["figure"]: r for _, r in sub.iterrows()}


def size_class_rows(table, baseline_only: bool) -> list[list[str]]:
    """The report's rows by size class from ``by_size_class.csv``'s table
    (:func:`sim.national_output.size_class_table`)."""
    out = []
    for size_class in dict.fromkeys(table["size_class"]):
        rows = _rows_of(table, size_class)
        first = next(iter(rows.values()))
        cells = [CLASS_WORDS.get(size_class, size_class),
                 f"{int(first['jobcenters'])} ({int(first['simulated'])} simulated)"]
        for fid, kind, unit, _ in (LEVEL_COLUMNS if baseline_only else COLUMNS):
            r = rows.get(fid)
            if r is None:
                cells.append("–")
            elif baseline_only:
                cells.append(f"{fmt_value(kind, unit, r['baseline_mean'])} "
                             f"({fmt_value(kind, unit, r['ci_low'])} to "
                             f"{fmt_value(kind, unit, r['ci_high'])})")
            else:
                value = fmt_money(r["difference"]) if fid == "capacity_freed_dkk" \
                    else fmt_diff(kind, unit, r["difference"])
                cells.append(f"{value} ({fmt_ci(kind, unit, r['ci_low'], r['ci_high'])})")
        out.append(cells)
    return out


def country_section(doc, runs) -> None:
    """``## Denmark by jobcenter size class``: how the country was simulated and, per size
    class, the paired differences (or, for the baseline alone, the levels) with their 95%
    intervals. Nothing for a jobcenter's runs."""
    from .national_output import size_class_table

    runs = [r for r in runs if is_country(r)]
    if not runs:
        return
    doc.h(2, "Denmark by jobcenter size class")
    doc.p(how_estimated(runs[0]))
    for r in runs:
        baseline_only = r.is_baseline
        table = size_class_table(r.scenario, r.scenario if baseline_only else r.baseline)
        if len(runs) > 1:
            doc.h(3, r.title)
        heads = [c[3] for c in (LEVEL_COLUMNS if baseline_only else COLUMNS)]
        doc.table(["Size class", "Jobcenters", *heads], size_class_rows(table, baseline_only))
    doc.p("Each cell is the mean over the replications with its 95% confidence interval. "
          + ("" if all(r.is_baseline for r in runs) else
             "Capacity freed is the baseline's required work less the scenario's (plus any "
             "time at work gained), worth its hours at the wage cost per hour whether or not "
             "staff are released; the other columns are the scenario less the baseline. ")
          + "Size classes as VIVE20 table 6.1 (small, mid-size and large jobcenters; Aarhus, "
          "Odense and Aalborg count as large); Copenhagen is its own class. The classes add up "
          "to the national figures above.")


def country_lines(run_dir: Path | str, exp) -> list[str]:
    """Lines for the terminal after a national run: capacity freed by size class (a
    comparison) or the calibration's verdict (the baseline)."""
    import pandas as pd

    run_dir = Path(run_dir)
    out = []
    if exp.is_baseline:
        path = run_dir / "backtest.csv"
        if path.is_file():
            rows = pd.read_csv(path)
            tested = rows[~rows["tolerance_kind"].isin(["input", "comparison"])]
            passed = int((tested["passed"] == True).sum())  # noqa: E712 (read as objects)
            out.append(f"  back-test: {passed} of {len(tested)} predictions within tolerance "
                       "(backtest.md)")
            return out
        path = run_dir / "calibration.csv"
        if path.is_file():
            rows = pd.read_csv(path)
            targets = rows[rows["tolerance_kind"] != "comparison"]
            out.append(f"  calibration: {int(targets['passed'].sum())} of {len(targets)} "
                       "targets within tolerance (calibration.md)")
        return out
    path = run_dir / "by_size_class.csv"
    if not path.is_file():
        return out
    table = pd.read_csv(path)
    parts = []
    for size_class in dict.fromkeys(table["size_class"]):
        r = _rows_of(table, size_class).get("capacity_freed_fte")
        if r is not None:
            parts.append(f"{CLASS_WORDS.get(size_class, size_class).lower()} "
                         f"{fmt_diff('fte', 'FTE', r['difference'])}")
    if parts:
        out.append("  Capacity freed by size class: " + ", ".join(parts) + " (by_size_class.csv)")
    return out


def country_files(runs: Sequence) -> list[str]:
    """The national files of a run folder, for the report's list of files."""
    if not any(is_country(r) for r in runs):
        return []
    files = ["`jobcenters.csv`: every jobcenter simulated, by side and replication (profile, "
             "size class, weight, citizens, talks, on-time share, operating cost, FTE)",
             "`by_size_class.csv`: the figures by size class with their confidence intervals"]
    if all(r.is_baseline for r in runs):
        if all((Path(r.run_dir) / "backtest.csv").is_file() for r in runs
               if getattr(r, "run_dir", None)):
            files.append("`backtest.md`, `backtest.csv`: every back-test figure against its "
                         "source (docs/backtest.md)")
        else:
            files.append("`calibration.md`, `calibration.csv`, `national.json`: every "
                         "calibration target against its source (docs/calibration.md)")
    return files
