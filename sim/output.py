"""Writing a run's products to its directory, each file atomically.

A file is first written beside its final name and then renamed over it, so an interrupted run
never leaves a half-written file that looks complete.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pandas as pd
import yaml

from .configure import PROJECT_ROOT

if TYPE_CHECKING:                  # the model is imported only to write a run
    from .model import RunResult

_UMASK = os.umask(0)
os.umask(_UMASK)

PACKAGES = ("simpy", "numpy", "scipy", "pandas", "matplotlib", "hydra-core",
            "hydra-joblib-launcher", "omegaconf", "pyarrow", "pyyaml")

COMMAND: list[str] | None = None
"""The arguments as the user gave them (set by :mod:`sim.cli`, which hands Hydra a rewritten
``sys.argv``; in a launcher's worker process from the sweep's job, :func:`sim.sweep.job_env`);
None: ``sys.argv[1:]``. ``run_info.json`` records them as the command."""

LATEST = "latest"
"""Name of the link beside a run folder to the newest run of the same scenario and profile."""


def writable_problem(folder: Path | str) -> str | None:
    """Why files could not be written in ``folder``, or None when they can.

    A folder that does not exist yet is judged by the nearest folder above it that does (where
    it would be created). The check creates and removes an empty folder there, so it sees
    read-only and virtual file systems (``/proc``) as well as permissions; it leaves nothing
    behind.
    """
    folder = Path(folder).absolute()
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    try:
        probe = tempfile.mkdtemp(prefix=".write-check-", dir=existing)
        os.rmdir(probe)
    except OSError as exc:
        return f"cannot create anything in {existing} ({exc.strerror or exc})"
    return None


def point_latest(run_dir: Path | str) -> Path | None:
    """Make ``<parent of run_dir>/latest`` a relative link to ``run_dir``, replacing an older
    link atomically. Returns the link, or None where no link could be made (a file system
    without symbolic links, or a real file or folder of that name, which is left alone)."""
    run_dir = Path(run_dir)
    link = run_dir.parent / LATEST
    if link.exists() and not link.is_symlink():
        return None
    tmp = run_dir.parent / f".{LATEST}.{os.getpid()}.tmp"
    try:
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(run_dir.name, tmp, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()
        return None
    return link


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file in ``path``'s folder, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)      # as an ordinary new file would be, not mkstemp's 0600
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a run depends on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str:
    """The project's git commit (with ``+dirty`` when there are uncommitted changes)."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=10)
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def event_log_frame(result: RunResult) -> pd.DataFrame:
    """The event log as a table with categorical text columns."""
    df = pd.DataFrame(result.log.columns())
    for col in ("group", "activity", "resource", "channel"):
        df[col] = df[col].astype("category")
    df["on_time"] = df["on_time"].astype("int8")
    return df


def write_run(run_dir: Path, result: RunResult, description: dict, extra_info: dict | None = None,
              report: bool = True) -> dict:
    """Write config, provenance, metrics, summary, event log and report; returns the metrics.

    ``extra_info`` is added to ``run_info.json`` (an experiment's replications and warm-up);
    ``report=False`` leaves the single-run report out (a comparison writes its own).
    """
    from .results import group_summary, headline

    run_dir = Path(run_dir)
    cfg = result.cfg
    atomic_write_text(run_dir / "resolved_config.yaml",
                      yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False, allow_unicode=True))
    info = {
        "scenario": cfg.scenario,
        "scenario_description": description,
        "seed": cfg.seed,
        "replication": result.replication,
        "git_revision": git_revision(),
        "packages": package_versions(),
        "platform": platform.platform(),
        "command": " ".join(["python -m sim", *(sys.argv[1:] if COMMAND is None
                                                 else COMMAND)]),
        "wall_seconds": result.wall_seconds,
        **(extra_info or {}),
    }
    atomic_write_text(run_dir / "run_info.json", json.dumps(info, indent=2, default=str))
    metrics = headline(result)
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    summary = group_summary(result)
    atomic_write(run_dir / "summary.csv", lambda p: summary.to_csv(p, index=False))
    if cfg.event_log:
        frame = event_log_frame(result)
        atomic_write(run_dir / "events.parquet", lambda p: frame.to_parquet(p, index=False))
        if cfg.export:                  # process-mining formats (sim.export, docs/exports.md)
            from .export import write_exports

            write_exports(run_dir, frame, cfg.export, cfg.start_date,
                          f"{cfg.scenario} / {cfg.jobcenter.name}")
    if report:
        from .report import write_report

        write_report(run_dir, result, metrics, summary, description)
    return metrics
