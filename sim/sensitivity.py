"""The sensitivity line of a comparison: its headline effects under other sizes of the spell
effects.

How much service changes the time on benefit is the least certain input of a comparison
(``effects=``, :data:`sim.config.EFFECT_SCALES`). After the main paired comparison, the same
comparison (the scenario and its baseline, the same replication seeds, common random numbers) is
run again with ``effects=none`` and ``effects=high``, at the number of replications the main run
ended with (fixed, no stopping rule), and the headline duration and cost effects of all three are
set side by side (``sensitivity.csv``, the report, the terminal summary). The main run fills its
own row; its figures are the main comparison's. The baseline's replications of each effects level
are cached like any other (the level is part of the cache key). ``sensitivity=false`` skips the
extra runs; a run of the baseline alone has no comparison and no sensitivity.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from .config import EFFECT_SCALES

LEVELS = ("none", "literature", "high")
"""The effects levels every sensitivity line shows (a main run at another level adds its own)."""

FIGURES = ("spell_days", "operating_cost", "benefit_dkk")
"""The headline effects of the line (figure ids of :func:`sim.figures.figures_for`): mean time on
benefit (days), operating cost and benefit payments (DKK per year)."""

STATISTICS = ("baseline_mean", "scenario_mean", "difference", "ci_low", "ci_high")
"""The columns of :func:`sim.figures.comparison_table` kept for each figure."""

COLUMNS = ("effects", "effect_scale", "this_run", "replications",
           *(f"{fid}_{stat}" for fid in FIGURES for stat in STATISTICS))
"""The columns of ``sensitivity.csv``: one row per effects level."""

FILE = "sensitivity.csv"


def levels_for(effects: str) -> list[str]:
    """The effects levels of the line, smallest effect first: none, literature and high, and the
    main run's own level if it is another one (``low``)."""
    return sorted({*LEVELS, effects}, key=lambda level: EFFECT_SCALES[level])


def sensitivity_row(effects: str, this_run: bool, scenario: Sequence[dict],
                    baseline: Sequence[dict]) -> dict:
    """One row of the line: the paired comparison of ``scenario`` and ``baseline`` (records of
    the same replications) at effects level ``effects``, reduced to :data:`FIGURES`."""
    from .figures import comparison_table

    table = comparison_table(scenario, baseline).set_index("figure")
    row = {"effects": effects, "effect_scale": EFFECT_SCALES[effects], "this_run": this_run,
           "replications": len(scenario)}
    for fid in FIGURES:
        for stat in STATISTICS:
            row[f"{fid}_{stat}"] = table.at[fid, stat] if fid in table.index else None
    return row


def run_sensitivity(exp, *, cache_dir: Path | str | None | bool = None,
                    workers: int | None = None,
                    log: Callable[[str], None] | None = None) -> pd.DataFrame | None:
    """The sensitivity table of the finished experiment ``exp`` (one row per effects level, see
    :data:`COLUMNS`), or None when there is none to make (``exp`` is a run of the baseline
    itself, or ``sensitivity=false``).

    Levels other than the main run's are run as comparisons of their own: the main run's
    configurations with only ``effects`` changed (warm-up as resolved by the main run, no event
    log), ``replications`` fixed at the main run's count, the same seed and therefore the same
    random streams. ``cache_dir``, ``workers`` and ``log`` are passed to
    :func:`sim.experiment.run_experiment` (``workers`` None: the main run's).
    """
    from .experiment import run_experiment

    if exp.is_baseline or not exp.cfg.runs_sensitivity:
        return None
    n = exp.replications
    others = [level for level in levels_for(exp.cfg.effects) if level != exp.cfg.effects]
    if log:
        log(f"sensitivity: the comparison again at {' and '.join(f'effects={x}' for x in others)}"
            f" ({n} replication{'s' if n != 1 else ''} each, the same seeds)")
    rows = []
    for level in levels_for(exp.cfg.effects):
        if level == exp.cfg.effects:
            rows.append(sensitivity_row(level, True, exp.scenario_records, exp.baseline_records))
            continue
        cfg = dataclasses.replace(exp.cfg, effects=level, replications=n, event_log=False)
        base = dataclasses.replace(exp.base_cfg, effects=level, replications=n, event_log=False)
        sub = run_experiment(cfg, exp.description, base, exp.base_description,
                             cache_dir=cache_dir, workers=exp.workers if workers is None
                             else workers, log=log,
                             label=f"{cfg.scenario} / {cfg.jobcenter.name}, effects={level}")
        rows.append(sensitivity_row(level, False, sub.scenario_records, sub.baseline_records))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_sensitivity(run_dir: Path | str, table: pd.DataFrame | None) -> None:
    """Write ``sensitivity.csv`` into ``run_dir`` (atomically); with no table, remove one left
    there by an earlier run, so that a report never shows another run's line."""
    from .output import atomic_write

    path = Path(run_dir) / FILE
    if table is None:
        path.unlink(missing_ok=True)
        return
    atomic_write(path, lambda p: table.to_csv(p, index=False))


def load_sensitivity(run_dir: Path | str | None) -> pd.DataFrame | None:
    """The ``sensitivity.csv`` of a run directory, or None when it has none."""
    if run_dir is None:
        return None
    path = Path(run_dir) / FILE
    if not path.is_file():
        return None
    table = pd.read_csv(path)
    table["this_run"] = table["this_run"].astype(bool)
    return table
