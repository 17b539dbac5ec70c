"""Event logs for process-mining tools, from a run's event log.

    python -m sim scenario=a1_flex export=[pm4py,xes,ocel]      # with the run
    python -m sim.export RUN_DIR --format pm4py,xes,ocel        # from a finished run

=========  =========================  ===================================================
format     file in the run folder     what it is
=========  =========================  ===================================================
``pm4py``  ``eventlog.parquet``       the flat log, canonical columns (:mod:`sim.process_log`)
``xes``    ``eventlog.xes``           the same events as XES, IEEE 1849 (:mod:`sim.xes`)
``ocel``   ``eventlog.ocel.json``     the object-centric log, OCEL 2.0 JSON (:mod:`sim.ocel`)
=========  =========================  ===================================================

All are made from the model's log (``events.parquet`` or the run's buffered rows) after the
run, each written atomically; day 0 is the run's ``start_date`` (docs/exports.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

FORMATS = {"pm4py": "eventlog.parquet", "xes": "eventlog.xes", "ocel": "eventlog.ocel.json"}
"""Export format -> the file it writes in the run folder."""

EVENTS = "events.parquet"


def check_formats(formats: Iterable[str]) -> list[str]:
    """The formats asked for, without repeats, in the order given; ValueError naming the valid
    ones for an unknown format."""
    out: list[str] = []
    for f in formats:
        if f not in FORMATS:
            raise ValueError(f"unknown export format {f!r}; valid: {', '.join(FORMATS)}")
        if f not in out:
            out.append(f)
    return out


def write_exports(run_dir: Path | str, frame: pd.DataFrame, formats: Sequence[str],
                  start_date, log_name: str = "jobcenter") -> list[Path]:
    """Write each of ``formats`` of the model's log ``frame`` into ``run_dir``; returns the
    files written. ``start_date``: the calendar date of day 0 (a Monday)."""
    from .process_log import flat_log

    run_dir = Path(run_dir)
    formats = check_formats(formats)
    written = []
    flat = None
    for f in formats:
        path = run_dir / FORMATS[f]
        if f in ("pm4py", "xes") and flat is None:
            flat = flat_log(frame, start_date)
        if f == "pm4py":
            from .output import atomic_write

            atomic_write(path, lambda p: flat.to_parquet(p, index=False))
        elif f == "xes":
            from .xes import write_xes

            write_xes(path, flat, log_name)
        else:
            from .ocel import write_ocel

            write_ocel(path, frame, start_date)
        written.append(path)
    return written


def export_run(run_dir: Path | str, formats: Sequence[str],
               start_date: str | None = None) -> list[Path]:
    """Export the finished run in ``run_dir`` (its ``events.parquet``); ``start_date`` None:
    the run's own (``resolved_config.yaml``), else the default. ValueError when the folder
    holds no event log."""
    import yaml

    run_dir = Path(run_dir)
    formats = check_formats(formats)
    events = run_dir / EVENTS
    if not events.is_file():
        raise ValueError(f"{run_dir} has no {EVENTS}: give the folder of a run made with "
                         "event_log=true (a single jobcenter, not a country)")
    name = "jobcenter"
    resolved = run_dir / "resolved_config.yaml"
    if resolved.is_file():
        cfg = yaml.safe_load(resolved.read_text(encoding="utf-8")) or {}
        start_date = start_date or cfg.get("start_date")
        name = f"{cfg.get('scenario', 'run')} / {(cfg.get('jobcenter') or {}).get('name', '')}"
    if start_date is None:
        from .config import DEFAULT_START_DATE

        start_date = DEFAULT_START_DATE
    from .process_log import day_zero

    day_zero(start_date)
    return write_exports(run_dir, pd.read_parquet(events), formats, start_date, name)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``error: ...``) and exit code 2."""

    def error(self, message: str):
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sim.export",
                description="Write a finished run's event log in process-mining formats.")
    p.add_argument("run_dir", help="the run's folder (holding events.parquet)")
    p.add_argument("--format", default=",".join(FORMATS),
                   help=f"comma list of {', '.join(FORMATS)} (default: all)")
    p.add_argument("--start-date", default=None,
                   help="calendar date of day 0, a Monday (default: the run's start_date)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        formats = check_formats([f.strip() for f in args.format.split(",") if f.strip()])
        if not formats:
            raise ValueError(f"--format is empty; valid: {', '.join(FORMATS)}")
        written = export_run(args.run_dir, formats, args.start_date)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
