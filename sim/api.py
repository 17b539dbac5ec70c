"""The simulator from Python: what ``python -m sim``, its sweeps and ``python -m sim.catalog``
do, as functions that return tables (``from sim import run_scenario, comparison, ...``).
The names differ from the modules of the package (``sim.compare``, ``sim.sweep``,
``sim.catalog``, ``sim.export``), which importing would put in their place.

Every function writes the same run folders the command line writes, so a notebook's results
can be opened again with :func:`open_run`, compared with ``python -m sim.compare`` or exported
later. Overrides are given as on the command line (``"jobcenter=small"``) or as a mapping
(``{"jobcenter": "small"}``); a mistake raises :class:`sim.schema.ConfigError` (a ValueError)
with the one line the command line would print, before anything is simulated.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence, Union

import pandas as pd

Overrides = Union[Sequence[str], Mapping[str, object], None]


def _overrides(overrides: Overrides) -> list[str]:
    """``KEY=VALUE`` strings from a list of them or a mapping (lists as ``[a,b]``)."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        out = []
        for k, v in overrides.items():
            if isinstance(v, (list, tuple)):
                v = "[" + ",".join(map(str, v)) + "]"
            elif isinstance(v, bool):
                v = str(v).lower()
            out.append(f"{k}={v}")
        return out
    return [str(o) for o in overrides]


def _with_default(overrides: list[str], key: str, value: str) -> list[str]:
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    return overrides if key in keys else [*overrides, f"{key}={value}"]


@dataclasses.dataclass
class Run:
    """A finished run's folder and its tables (read when first asked for)."""

    dir: Path

    @property
    def metrics(self) -> dict:
        """The first replication's headline figures (``metrics.json``)."""
        return json.loads((self.dir / "metrics.json").read_text(encoding="utf-8"))

    @property
    def info(self) -> dict:
        """Provenance, replications and warm-up (``run_info.json``)."""
        return json.loads((self.dir / "run_info.json").read_text(encoding="utf-8"))

    @property
    def comparison(self) -> pd.DataFrame:
        """The paired comparison with the baseline, one row per figure (``comparison.csv``)."""
        return pd.read_csv(self.dir / "comparison.csv")

    @property
    def replications(self) -> pd.DataFrame:
        """Every figure in every replication, scenario and baseline (``replications.csv``)."""
        return pd.read_csv(self.dir / "replications.csv")

    @property
    def summary(self) -> pd.DataFrame:
        """The first replication by benefit group (``summary.csv``)."""
        return pd.read_csv(self.dir / "summary.csv")

    def events(self) -> pd.DataFrame:
        """The model's event log of the first replication (``events.parquet``)."""
        return pd.read_parquet(self.dir / "events.parquet")

    def process_log(self) -> pd.DataFrame:
        """The flat event log for process mining (:func:`sim.process_log.flat_log`): two events
        per activity instance of a citizen, canonical column names, calendar timestamps from
        the run's ``start_date``."""
        from .process_log import flat_log

        return flat_log(self.events(), self._start_date())

    def export(self, formats: Sequence[str] = ("pm4py", "xes", "ocel")) -> list[Path]:
        """Write the event log in process-mining ``formats`` into the run folder
        (:mod:`sim.export`); returns the files."""
        from .export import export_run

        return export_run(self.dir, list(formats))

    def _start_date(self) -> str:
        import yaml

        from .config import DEFAULT_START_DATE

        cfg = yaml.safe_load((self.dir / "resolved_config.yaml").read_text(encoding="utf-8"))
        return (cfg or {}).get("start_date") or DEFAULT_START_DATE

    def __repr__(self) -> str:
        return f"Run({str(self.dir)!r})"


def open_run(run_dir: Path | str) -> Run:
    """A run folder written earlier (by :func:`run_scenario` or ``python -m sim``)."""
    run_dir = Path(run_dir)
    if not (run_dir / "metrics.json").is_file():
        raise ValueError(f"{run_dir} is not a finished run's folder (it has no metrics.json)")
    return Run(run_dir)


def run_scenario(scenario: str = "baseline", overrides: Overrides = None, *,
                 out_dir: Path | str | None = None, quiet: bool = True) -> Run:
    """Run ``scenario`` against the baseline as ``python -m sim scenario=SCENARIO ...`` does:
    replications with common random numbers, the sensitivity line and a composite's overlap
    where the settings ask for them, and the run folder with its report.

    ``overrides``: as on the command line (``["jobcenter=small", "replications=3"]``);
    ``progress`` is off unless given. ``out_dir``: the run folder (default
    ``outputs/<scenario>/<profile>/<date_time>``, as the command line). ``quiet``: no progress
    lines on stderr. Returns the :class:`Run`.
    """
    from .cli import check_buildable
    from .experiment import compose_comparison, run_experiment, write_experiment
    from .overlap import compose_components, run_overlap
    from .sensitivity import run_sensitivity

    ov = _with_default([f"scenario={scenario}", *_overrides(overrides)], "progress", "false")
    cfg, description, base_cfg, base_description = compose_comparison(ov)
    components = compose_components(ov, description) if cfg.runs_overlap else []
    check_buildable(cfg)
    if out_dir is None:
        out_dir = Path("outputs") / cfg.scenario / cfg.jobcenter.name \
            / time.strftime("%Y-%m-%d_%H-%M-%S")
    log = None if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    exp = run_experiment(cfg, description, base_cfg, base_description, log=log)
    sensitivity = run_sensitivity(exp, log=log)
    overlap = run_overlap(exp, components, log=log) if components else None
    write_experiment(Path(out_dir), exp, sensitivity=sensitivity, overlap=overlap)
    return Run(Path(out_dir))


COMPARED = ["figure", "label", "unit", "replications", "baseline_mean", "scenario_mean",
            "difference", "ci_low", "ci_high", "clear_difference"]
"""The columns :func:`comparison` returns."""


def comparison(run: Run | Path | str, figures: Sequence[str] | None = None) -> pd.DataFrame:
    """The scenario against its baseline: per figure the baseline's and the scenario's mean, the
    mean paired difference and its 95% confidence interval (``ci_low``, ``ci_high``, in the
    figure's unit), and whether the interval excludes zero. ``figures``: these figure ids only
    (``comparison.csv``'s ``figure``), in that order."""
    run = run if isinstance(run, Run) else open_run(run)
    table = run.comparison
    if figures is not None:
        missing = [f for f in figures if f not in set(table["figure"])]
        if missing:
            raise ValueError(f"no figure {', '.join(missing)} in {run.dir / 'comparison.csv'}; "
                             f"figures: {', '.join(table['figure'].head(12))}, ...")
        table = table.set_index("figure").loc[list(figures)].reset_index()
    return table[COMPARED].reset_index(drop=True)


@contextlib.contextmanager
def _command_line(name: str):
    """Run a command-line entry point in this process: its argv restored afterwards, its exit
    with a one-line error turned into a ConfigError carrying that line."""
    from .schema import ConfigError

    from . import output

    argv, command, err = sys.argv[:], output.COMMAND, io.StringIO()
    real_err = sys.stderr
    try:
        sys.stderr = _Tee(err, real_err)
        yield
    except SystemExit as exc:
        if exc.code not in (0, None):
            lines = [ln for ln in err.getvalue().splitlines() if ln.startswith("error:")]
            raise ConfigError(lines[-1][len("error: "):] if lines
                              else f"{name} stopped (exit code {exc.code})") from None
    finally:
        sys.argv = argv
        sys.stderr = real_err
        output.COMMAND = command


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s):
        for st in self.streams:
            st.write(s)
        return len(s)

    def flush(self):
        for st in self.streams:
            st.flush()


def run_sweep(overrides: Overrides, *, out_dir: Path | str) -> pd.DataFrame:
    """A parameter sweep, as ``python -m sim -m KEY=V1,V2 ...`` runs it (Hydra's multirun,
    :mod:`sim.sweep`), into ``out_dir``; returns its ``sweep.csv`` (:func:`read_sweep`).

    ``overrides``: as on the command line, the swept keys with comma lists
    (``["jobcenter.caseworker_pools.adp.caseworkers=6,8,10", "jobcenter=small"]``). Run again
    with the same arguments it resumes: finished points are not run again.
    """
    from . import cli

    ov = _with_default(_overrides(overrides), "progress", "false")
    with _command_line("the sweep"):
        cli.main(["-m", *ov, f"hydra.sweep.dir={Path(out_dir)}"])
    return read_sweep(out_dir)


def read_sweep(sweep_dir: Path | str) -> pd.DataFrame:
    """A sweep's table (``sweep.csv``): one row per point, its swept values and, per figure id,
    the scenario's mean (``<figure>``), the baseline's (``<figure>:baseline``), the difference
    and its 95% CI (``<figure>:difference``, ``:ci_low``, ``:ci_high``)."""
    path = Path(sweep_dir) / "sweep.csv"
    if not path.is_file():
        raise ValueError(f"{sweep_dir} holds no sweep.csv (not a finished sweep's folder)")
    return pd.read_csv(path)


def run_catalog(only: Sequence[str] | None = None, overrides: Overrides = None, *,
            out_dir: Path | str | None = None) -> pd.DataFrame:
    """The scenario catalog, as ``python -m sim.catalog [--only A,B] [--out DIR] KEY=VALUE ...``
    runs it (resumably: finished scenarios are not run again); returns ``catalog.csv``
    (:func:`read_catalog`). ``out_dir`` None: the command line's default folder."""
    from . import catalog as cat
    from .schema import ConfigError

    ov = _with_default(_overrides(overrides), "progress", "false")
    argv = [*(["--only", ",".join(only)] if only else []),
            *(["--out", str(out_dir)] if out_dir is not None else []), *ov]
    with _command_line("the catalog"):
        code = cat.main(argv)
        if code:
            raise SystemExit(code)
    if out_dir is None:
        out_dir = cat.default_folder(cat.settings_of(ov))
    if not (Path(out_dir) / "catalog.csv").is_file():
        raise ConfigError(f"the catalog wrote no table in {out_dir}")
    return read_catalog(out_dir)


def read_catalog(folder: Path | str) -> pd.DataFrame:
    """A catalog's table (``catalog.csv``): one row per scenario, ranked by capacity freed,
    with the changes against the baseline and their confidence intervals (docs/catalog.md)."""
    path = Path(folder) / "catalog.csv"
    if not path.is_file():
        raise ValueError(f"{folder} holds no catalog.csv (not a catalog's folder)")
    return pd.read_csv(path)


def export_logs(run: Run | Path | str, formats: Sequence[str] = ("pm4py", "xes", "ocel")
           ) -> list[Path]:
    """Write a finished run's event log in process-mining ``formats`` (``pm4py``: the flat log
    ``eventlog.parquet``; ``xes``: ``eventlog.xes``; ``ocel``: OCEL 2.0 ``eventlog.ocel.json``)
    into its folder; returns the files (docs/exports.md)."""
    run = run if isinstance(run, Run) else open_run(run)
    return run.export(formats)
