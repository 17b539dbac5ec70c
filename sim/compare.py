"""Compare scenarios with the baseline: ``python -m sim.compare RUN_DIR [RUN_DIR ...] [--out DIR]``.

Every run directory written by ``python -m sim scenario=X`` holds the per-replication records of
the scenario (``replications/scenario/rep_<i>.json``) and of its baseline
(``replications/baseline/rep_<i>.json``; a run of the baseline itself holds only the first),
with ``run_info.json`` (description, replications, warm-up), ``resolved_config.yaml`` and, for
a comparison with its sensitivity line, ``sensitivity.csv``. This
module loads such directories and writes one report (``report.md``, ``report.html``, the PNGs
and ``comparison.csv``) comparing all of them with the baseline. A scenario run writes its own
report with the same code.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .figures import comparison_table
from .sensitivity import load_sensitivity


class RunDirError(ValueError):
    """A folder is not a complete run directory."""


def _load_records(folder: Path) -> list[dict]:
    paths = sorted(folder.glob("rep_*.json"), key=lambda p: int(p.stem.split("_")[1]))
    recs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    for i, r in enumerate(recs):
        if r.get("replication") != i:
            raise RunDirError(f"{folder}: replications are not numbered 0..{len(recs) - 1}")
    return recs


@dataclass
class RunData:
    """One scenario's experiment as the report needs it."""

    name: str
    description: dict
    config: dict
    info: dict
    scenario: list[dict]
    baseline: list[dict]
    run_dir: Path | None = None
    notes: list[str] = field(default_factory=list)
    sensitivity: pd.DataFrame | None = None     # sensitivity.csv (sim.sensitivity), if any

    @property
    def is_baseline(self) -> bool:
        return bool(self.info.get("baseline_is_scenario", self.name == "baseline"))

    @property
    def title(self) -> str:
        return self.description.get("title") or self.name

    @property
    def replications(self) -> int:
        return len(self.scenario)

    @classmethod
    def load(cls, run_dir: Path | str) -> "RunData":
        """Read a run directory (see the module docstring)."""
        run_dir = Path(run_dir)
        info_path = run_dir / "run_info.json"
        if not info_path.is_file():
            raise RunDirError(f"{run_dir} is not a run directory (no run_info.json)")
        info = json.loads(info_path.read_text(encoding="utf-8"))
        config = yaml.safe_load((run_dir / "resolved_config.yaml").read_text(encoding="utf-8")) \
            if (run_dir / "resolved_config.yaml").is_file() else {}
        scen = _load_records(run_dir / "replications" / "scenario")
        if not scen:
            raise RunDirError(f"{run_dir} holds no replications (replications/scenario/ is "
                              "missing or empty; was it written by an older version?)")
        is_base = bool(info.get("baseline_is_scenario", info.get("scenario") == "baseline"))
        base = scen if is_base else _load_records(run_dir / "replications" / "baseline")
        if len(base) != len(scen):
            raise RunDirError(f"{run_dir}: {len(scen)} scenario but {len(base)} baseline "
                              "replications")
        return cls(info.get("scenario", scen[0]["scenario"]),
                   info.get("scenario_description") or {}, config or {}, info, scen, base,
                   run_dir, sensitivity=load_sensitivity(run_dir))

    @classmethod
    def from_experiment(cls, exp, run_dir: Path | str) -> "RunData":
        """An experiment just written to ``run_dir`` (its run_info.json holds the provenance)."""
        import dataclasses

        run_dir = Path(run_dir)
        info = json.loads((run_dir / "run_info.json").read_text(encoding="utf-8"))
        return cls(exp.cfg.scenario, exp.description, dataclasses.asdict(exp.cfg), info,
                   exp.scenario_records, exp.baseline_records, run_dir,
                   sensitivity=load_sensitivity(run_dir))

    def table(self) -> pd.DataFrame:
        return comparison_table(self.scenario, self.baseline)


def select_runs(runs: list[RunData]) -> tuple[list[RunData], list[str]]:
    """The runs to compare, and notes for the reader about what was set aside or differs."""
    notes = []
    scenarios = [r for r in runs if not r.is_baseline]
    if scenarios and len(scenarios) < len(runs):
        notes.append("Runs of the baseline alone were left out: every scenario run carries "
                     "its own baseline replications.")
        runs = scenarios
    keys = {(r.info.get("baseline_cache") or {}).get("key") for r in runs}
    if len(keys) > 1:
        notes.append("The scenarios were not run against the same baseline (their configuration, "
                     "seed, warm-up, run length or code differ); each is compared with its own "
                     "baseline, and the baseline column shows the first one's.")
    reps = {r.replications for r in runs}
    if len(reps) > 1:
        notes.append("The scenarios have different numbers of replications: "
                     + ", ".join(f"{r.title}: {r.replications}" for r in runs) + ".")
    return runs, notes


def build_report(runs: list[RunData], out_dir: Path | str) -> Path:
    """Write report.md, report.html, the PNGs and comparison.csv into ``out_dir``."""
    from .comparison_report import write_comparison_report

    out_dir = Path(out_dir)
    runs, notes = select_runs(runs)
    return write_comparison_report(runs, out_dir, notes)


def combined_table(runs: list[RunData]) -> pd.DataFrame:
    """The comparison tables of several runs, one block of rows per scenario."""
    frames = []
    for r in runs:
        t = r.table()
        t.insert(0, "scenario", r.name)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main(argv: list[str] | None = None) -> int:
    """Command line: build one report from existing run directories."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.compare",
        description="Build one report comparing the scenarios of existing run directories "
                    "(written by python -m sim scenario=...) with the baseline.")
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the report (default: outputs/comparisons/<date_time>)")
    args = parser.parse_args(argv)
    try:
        runs = [RunData.load(d) for d in args.run_dirs]
    except (RunDirError, OSError, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    out = args.out or Path("outputs") / "comparisons" / time.strftime("%Y-%m-%d_%H-%M-%S")
    build_report(runs, out)
    print(f"report: {out / 'report.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
