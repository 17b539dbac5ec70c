"""Parameter sweeps: ``python -m sim -m KEY=V1,V2,V3 ...``.

What a sweep adds to Hydra's multirun:

* every point knows what it is: its own overrides (the swept ones, e.g. ``no_show_share=0.1``)
  name its folder (``<n>_no_show_share=0.1``), its report title and its ``run_info.json``;
* every point is composed and built before the first one runs (:func:`check_points`), so a bad
  value in the last point stops the sweep in one line before anything is simulated;
* the sweep's folder follows from the command (``multirun/<swept keys>-<hash>``), so the same
  command again resumes it: finished points are skipped (:func:`finished`); so does
  ``resume=DIR``, which reruns the sweep recorded in ``DIR/sweep.json`` (:func:`resume_arguments`);
* points side by side (Hydra's joblib launcher, ``hydra/launcher=joblib``) share the cores: each
  runs as many replication processes as :func:`point_workers` gives it; the command reaches the
  launcher's worker processes with the job (:func:`job_env`);
* at the end, :class:`SweepSummary` (a Hydra callback) writes ``sweep.csv`` (one row per point),
  a response-curve chart per key figure and ``sweep.html``.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path
from typing import Any, Sequence

from hydra.experimental.callback import Callback
from omegaconf import OmegaConf

from .schema import ConfigError

POINT_KEY = "sweep_point"
"""Key of ``run_info.json`` holding the point's own overrides (``{key: value}``)."""

KEY_FIGURES = (("on_time_share", "Mandated talks held on time, all groups", "share"),
               ("operating_cost", "Operating cost", "DKK per year"),
               ("staff_time_used_fte", "Staff time used on casework", "FTE"),
               ("talks_held", "Talks held, all groups", "talks"),
               ("benefit_dkk", "Benefit payments to citizens", "DKK per year"))
"""The figures the response-curve charts show (``comparison.csv``'s ``figure`` ids)."""

NOT_IN_FOLDER_NAME = ("workers",)
"""Keys that do not change a point's results: left out of the sweep folder's hash (unless swept),
so that a sweep started with one ``workers=`` is resumed with another."""

COMMAND_ENV = "SIM_SWEEP_COMMAND"
"""``hydra.job.env_set`` entry carrying the sweep's command to every point (:func:`job_env`)."""
POINTS_ENV = "SIM_SWEEP_POINTS"
"""``hydra.job.env_set`` entry carrying the sweep's number of points (:func:`job_env`)."""

JOBLIB_LAUNCHER = "hydra_plugins.hydra_joblib_launcher."
RAY_LAUNCHER = "hydra_plugins.hydra_ray_launcher."
"""Module prefixes of the ``_target_`` of Hydra's joblib and Ray launchers."""


# --------------------------------------------------------------------------- the points
def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def points(overrides: Sequence[str]) -> list[list[str]]:
    """The sweep's points in Hydra's order (its basic sweeper's cartesian product): each a list
    of ``key=value`` overrides."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def swept_keys(pts: Sequence[Sequence[str]]) -> list[str]:
    """The keys whose value differs between points, in the order of the command line."""
    values: dict[str, set[str]] = {}
    for point in pts:
        for o in point:
            values.setdefault(_key(o), set()).add(o.split("=", 1)[1] if "=" in o else "")
    return [k for k, v in values.items() if len(v) > 1]


def short_names(keys: Sequence[str]) -> dict[str, str]:
    """Each key by its last part (``no_show_share``), with more parts where two would clash."""
    out = {}
    for k in keys:
        parts = k.split(".")
        n = 1
        while n < len(parts) and sum(1 for j in keys if j.split(".")[-n:] == parts[-n:]) > 1:
            n += 1
        out[k] = ".".join(parts[-n:])
    return out


def own_overrides(task_overrides: Sequence[str], swept: Sequence[str]) -> dict[str, str]:
    """The point's own settings: ``{key: value}`` of its swept overrides."""
    return {_key(o): o.split("=", 1)[1] for o in task_overrides if _key(o) in swept and "=" in o}


def label(own: dict[str, str]) -> str:
    """``no_show_share=0.1,phone_share=0.3``: the point's name in folders, titles and files."""
    names = short_names(list(own))
    return ",".join(f"{names[k]}={v}" for k, v in own.items())


def _point_from_dirname(dirname: str) -> str:
    """Resolver ``sim_point``: Hydra's ``override_dirname`` of a point (only its swept
    overrides, see :func:`hydra_settings`) as its short :func:`label` (``point`` if none)."""
    own = {}
    for item in [i for i in dirname.split(",") if "=" in i]:
        k, v = item.split("=", 1)
        own[k.lstrip("+~")] = v
    return (label(own) or "point").replace("/", "_")


OmegaConf.register_new_resolver("sim_point", _point_from_dirname, replace=True)


def sweep_dir_name(overrides: Sequence[str], swept: Sequence[str]) -> str:
    """``multirun/<swept keys>-<hash of the command's overrides>``: the same command, the same
    folder (so that running it again resumes it). The launcher and its settings (``hydra...``
    overrides, not among ``overrides``) and :data:`NOT_IN_FOLDER_NAME` do not count."""
    named = [o for o in overrides if _key(o) not in NOT_IN_FOLDER_NAME or _key(o) in swept]
    digest = hashlib.sha256("\n".join(sorted(named)).encode()).hexdigest()[:8]
    names = "+".join(short_names(list(swept)).values()) or "sweep"
    return f"multirun/{names}-{digest}"


def hydra_settings(overrides: Sequence[str], pts: Sequence[Sequence[str]],
                   given: dict[str, str]) -> list[str]:
    """The Hydra overrides that name the sweep's folder and its points' folders: fixed
    overrides are left out of ``override_dirname``, the sweep folder follows from the command
    (unless ``hydra.sweep.dir`` is given)."""
    swept = swept_keys(pts)
    fixed = sorted({_key(o) for point in pts for o in point} - set(swept))
    out = [f"hydra.job.config.override_dirname.exclude_keys=[{','.join(fixed)}]"]
    if "hydra.sweep.dir" not in given:
        out.append(f"hydra.sweep.dir={sweep_dir_name(overrides, swept)}")
    return out


def check_points(pts: Sequence[Sequence[str]]) -> None:
    """Compose and build every point before any runs: a ConfigError names the point."""
    from .cli import check_buildable
    from .configure import compose

    swept = swept_keys(pts)
    for point in pts:
        try:
            check_buildable(compose(list(point))[0])
        except ConfigError as exc:
            name = label(own_overrides(point, swept)) or " ".join(point)
            raise ConfigError(f"sweep point {name}: {exc}; nothing was run") from None


# --------------------------------------------------------------------------- points side by side
def _task_keys(hydra_config) -> set[str]:
    return {_key(o) for o in hydra_config.overrides.task}


def point_workers(hydra_config, n_points: int | None, cores: int) -> int | None:
    """How many replication processes each point of a sweep is to run, so that the points
    running side by side never keep more processes busy than there are ``cores``; None: the
    point's own ``workers`` setting.

    ``hydra_config`` is the point's Hydra configuration (``HydraConfig.get()``), ``n_points``
    the sweep's number of points (None: not known, as many as there are cores).

    * ``workers=`` given on the command line: None (it is respected).
    * Hydra's joblib launcher runs P = min(K, points, cores) points at once, K its ``n_jobs``
      counted as joblib counts it (-1, its default: every core; -2: all but one; null: 1);
      each point gets max(1, cores // P).
    * Hydra's Ray launcher places the points on Ray's CPUs itself: 1 each (None when
      ``executor=`` is given, which decides where replications run).
    * Any other launcher (Hydra's basic one runs the points one after another): None.
    """
    given = _task_keys(hydra_config)
    if "workers" in given:
        return None
    target = str(hydra_config.launcher.get("_target_", ""))
    if target.startswith(RAY_LAUNCHER):
        return None if "executor" in given else 1
    if not target.startswith(JOBLIB_LAUNCHER):
        return None
    cores = max(1, cores)
    n_jobs = hydra_config.launcher.get("n_jobs", -1)
    if n_jobs is None:
        k = 1
    else:
        n_jobs = int(n_jobs)
        k = max(cores + 1 + n_jobs, 1) if n_jobs < 0 else max(n_jobs, 1)
    side_by_side = min(k, n_points or cores, cores)
    return max(1, cores // side_by_side)


def launcher_settings(overrides: Sequence[str]) -> list[str]:
    """Hydra overrides the chosen launcher needs, and a one-line error if it is not installed.

    ``hydra/launcher=ray`` needs the ``cluster`` extra. Hydra's Ray launcher asks Ray for a small
    object store of the run's own, which Ray refuses when it connects to a running cluster
    (``hydra.launcher.ray.init.address``, or ``RAY_ADDRESS``): then the request is left out.
    """
    import importlib.util
    import os

    values = {o.split("=", 1)[0].lstrip("+"): o.split("=", 1)[1] for o in overrides if "=" in o}
    if values.get("hydra/launcher") != "ray":
        return []
    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None \
            or importlib.util.find_spec("ray") is None:
        raise ConfigError("hydra/launcher=ray needs Ray and Hydra's Ray launcher, which are not "
                          "installed: pip install -e '.[cluster]' (or hydra/launcher=joblib to "
                          "run the points side by side on this machine)")
    address = values.get("hydra.launcher.ray.init.address", os.environ.get("RAY_ADDRESS"))
    if address in (None, "", "null") or "hydra.launcher.ray.init.object_store_memory" in values:
        return []
    return ["+hydra.launcher.ray.init.object_store_memory=null"]


def _encode(argv: Sequence[str]) -> str:
    # unpadded URL-safe base64 of a JSON list: letters, digits, - and _ only, which Hydra's
    # override grammar reads as a plain string (it starts with W, from '[', never a number)
    return base64.urlsafe_b64encode(json.dumps(list(argv)).encode()).decode().rstrip("=")


def _decode(text: str) -> list[str]:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())


def job_env(command: Sequence[str], n_points: int) -> list[str]:
    """The Hydra overrides that hand every point the sweep's command (as the user gave it, for
    its ``run_info.json``) and number of points (for :func:`point_workers`) through
    ``hydra.job.env_set``: it travels with each job's configuration, so it reaches the points
    under any launcher, also in its worker processes, where :mod:`sim.cli` never read the
    command line."""
    return [f"++hydra.job.env_set.{COMMAND_ENV}={_encode(command)}",
            f"++hydra.job.env_set.{POINTS_ENV}={int(n_points)}"]


def sweep_command(hydra_config) -> list[str] | None:
    """The sweep's command as :func:`job_env` handed it to a point, or None (not a sweep)."""
    text = (hydra_config.job.get("env_set") or {}).get(COMMAND_ENV)
    return _decode(str(text)) if text else None


def sweep_size(hydra_config) -> int | None:
    """The sweep's number of points as :func:`job_env` handed it to a point, or None."""
    text = (hydra_config.job.get("env_set") or {}).get(POINTS_ENV)
    return int(text) if text else None


# --------------------------------------------------------------------------- resume
RESUME_KEY = "resume"
RESUME_MAY_CHANGE = ("workers", "progress")
"""Settings ``resume=DIR`` may change from the recorded sweep's: they do not change results."""
_RESUME_VALID = ("beside resume=DIR give only -m, workers=N, progress=true|false, "
                 "hydra/launcher=NAME or hydra.launcher.KEY=VALUE")


def _sweep_folders(near: Path) -> list[str]:
    """Up to five sweep folders (holding ``sweep.json``) in ``near``, for an error message."""
    try:
        found = sorted(str(p.parent) for p in near.glob("*/sweep.json"))
    except OSError:
        found = []
    return found[:5]


def _where(value: str) -> str:
    """What ``resume=`` could be given instead of ``value``: the sweep folder holding it (a
    point's folder), or the sweep folders beside it (or in ``multirun/``)."""
    folder = Path(value)
    if value and (folder.parent / "sweep.json").is_file():
        return f"the sweep's folder above it is resume={folder.parent}"
    for near in dict.fromkeys([folder.parent, Path("multirun")]):
        found = _sweep_folders(near) if near != Path(".") else []
        if found:
            return f"sweeps in {near}: {', '.join(found)}"
    return "a sweep's folder is multirun/<swept keys>-<hash>, holding sweep.json"


def resume_arguments(argv: Sequence[str]) -> list[str]:
    """``argv`` with ``resume=DIR`` replaced by the sweep recorded in ``DIR/sweep.json``
    (``-m`` and its overrides; ``hydra.sweep.dir=DIR`` where its folder would not follow from
    them); ``argv`` itself without ``resume=``.

    Beside it only ``-m``, the settings of :data:`RESUME_MAY_CHANGE`, the launcher's
    (``hydra/launcher=``, ``hydra.launcher.*``) and overrides the sweep already has may be
    given; anything else, a missing folder or one without a readable ``sweep.json`` is a
    one-line ConfigError.
    """
    argv = list(argv)
    given = [a for a in argv if a.split("=", 1)[0].lstrip("+") == RESUME_KEY]
    if not given:
        return argv
    if len(given) > 1:
        raise ConfigError(f"resume= is given {len(given)} times; give one sweep folder")
    value = given[0].split("=", 1)[1]
    folder = Path(value)
    if not value:
        raise ConfigError(f"resume= needs a sweep's folder (resume=DIR); {_where('')}")
    if not folder.is_dir():
        raise ConfigError(f"resume={value}: there is no folder {value}; {_where(value)}")
    record = folder / "sweep.json"
    if not record.is_file():
        raise ConfigError(f"resume={value}: {value} holds no sweep.json (a sweep writes it when "
                          f"it starts), so it is not a sweep's folder; {_where(value)}")
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))["overrides"]
        if not isinstance(recorded, list) or not all(isinstance(o, str) for o in recorded):
            raise ValueError("overrides is not a list of key=value")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"resume={value}: {record} cannot be read as a sweep's record ({exc}); "
                          "give a folder a sweep wrote") from None
    from .configure import MECHANISMS

    # as the user typed them: the command line adds the ++ of a mechanism's key for Hydra
    overrides = [o[2:] if o.startswith(f"++{MECHANISMS}.") else o for o in recorded]
    by_key = {_key(o): i for i, o in enumerate(overrides)}
    launcher = []
    for arg in argv:
        if arg in given or arg in ("-m", "--multirun"):
            continue
        key = _key(arg)
        if arg.startswith("-"):
            raise ConfigError(f"resume={value}: {arg} cannot be combined with resume=; "
                              f"{_RESUME_VALID}")
        if key == "hydra/launcher" or key.startswith("hydra.launcher."):
            launcher.append(arg)
        elif key in RESUME_MAY_CHANGE and "=" in arg:
            if key in by_key:
                overrides[by_key[key]] = arg
            else:
                overrides.append(arg)
        elif key in by_key and overrides[by_key[key]].lstrip("+") == arg.lstrip("+"):
            continue                    # the sweep's own setting again
        else:
            had = f"the sweep has {overrides[by_key[key]]}" if key in by_key else \
                f"the sweep does not set {key}"
            raise ConfigError(f"resume={value} resumes the sweep recorded in {record}; {arg} "
                              f"contradicts it ({had}); {_RESUME_VALID}")
    out = ["-m", *overrides, *launcher]
    try:
        pts = points(overrides)
        recorded_swept = swept_keys(points(recorded))
    except Exception as exc:            # Hydra's parser: a hand-edited record
        raise ConfigError(f"resume={value}: the overrides in {record} cannot be read "
                          f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                          "give a folder a sweep wrote") from None
    for key in set(recorded_swept) & set(RESUME_MAY_CHANGE):
        if key in by_key and overrides[by_key[key]] != recorded[by_key[key]]:
            raise ConfigError(f"resume={value} resumes the sweep recorded in {record}; "
                              f"{overrides[by_key[key]]} contradicts it (the sweep's points "
                              f"differ in {key}: {recorded[by_key[key]]}); give resume={value} "
                              "alone or with the launcher's settings")
    if Path(sweep_dir_name(overrides, swept_keys(pts))).resolve() != folder.resolve():
        if any(c in value for c in ",'\"[]{}()=${} "):
            raise ConfigError(f"resume={value}: Hydra would read the characters of this folder's "
                              "name as syntax; rename it without , ' \" [ ] { } ( ) = $ "
                              "or spaces")
        out.append(f"hydra.sweep.dir={value}")
    return out


def finished(run_dir: Path, own: dict[str, str]) -> bool:
    """Whether ``run_dir`` holds a finished run of the same point (its ``run_info.json`` is
    written last and names the same overrides)."""
    try:
        info = json.loads((Path(run_dir) / "run_info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get(POINT_KEY) == own and (Path(run_dir) / "metrics.json").is_file()


def clear_unfinished(run_dir: Path) -> None:
    """Remove what an interrupted run of this point left (Hydra's ``.hydra`` stays)."""
    import shutil

    for p in Path(run_dir).iterdir():
        if p.name == ".hydra":
            continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the summary
def point_rows(sweep_dir: Path):
    """One row per finished point of ``sweep_dir``: its swept values and, per figure of its
    ``comparison.csv``, scenario mean, baseline mean, difference and the difference's CI."""
    import pandas as pd

    rows = []
    for folder in sorted(Path(sweep_dir).iterdir(), key=lambda p: (len(p.name), p.name)):
        info_path, comp_path = folder / "run_info.json", folder / "comparison.csv"
        if not (folder.is_dir() and info_path.is_file() and comp_path.is_file()):
            continue
        info = json.loads(info_path.read_text(encoding="utf-8"))
        row: dict[str, Any] = {"point": folder.name}
        for k, v in (info.get(POINT_KEY) or {}).items():
            row[k] = _number(v)
        row["replications"] = info.get("replications")
        comp = pd.read_csv(comp_path)
        for r in comp.itertuples(index=False):
            f = r.figure
            row[f"{f}"] = r.scenario_mean
            row[f"{f}:baseline"] = r.baseline_mean
            row[f"{f}:difference"] = r.difference
            row[f"{f}:ci_low"] = r.ci_low
            row[f"{f}:ci_high"] = r.ci_high
        rows.append(row)
    return pd.DataFrame(rows)


def _number(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def response_chart(frame, key: str, figure: str, title: str, unit: str, path: Path) -> bool:
    """The scenario's figure against the swept value, with the 95% CI of its difference from
    the baseline as a band around it, and the baseline's level; False if not numeric."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    if figure not in frame or not pd.api.types.is_numeric_dtype(frame[key]):
        return False
    d = frame.sort_values(key)
    x, y = d[key].astype(float), d[figure].astype(float)
    base = d[f"{figure}:baseline"].astype(float)
    low = base + d[f"{figure}:ci_low"].astype(float)
    high = base + d[f"{figure}:ci_high"].astype(float)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.fill_between(x, low, high, alpha=0.25, label="95% CI (paired with the baseline)")
    ax.plot(x, y, marker="o", label="scenario")
    ax.plot(x, base, linestyle="--", color="grey", label="baseline")
    ax.set_xlabel(key)
    ax.set_ylabel(unit)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    from .output import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return True


def heat_map(frame, keys: Sequence[str], figure: str, title: str, path: Path) -> bool:
    """A two-parameter sweep's figure as a grid of the two swept values."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if figure not in frame:
        return False
    grid = frame.pivot_table(index=keys[0], columns=keys[1], values=figure)
    fig, ax = plt.subplots(figsize=(6, 4))
    im = ax.imshow(grid.values, aspect="auto", origin="lower")
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.set_xlabel(keys[1])
    ax.set_ylabel(keys[0])
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    from .output import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return True


def summarise(sweep_dir: Path | str) -> list[Path]:
    """Write ``sweep.csv``, the charts and ``sweep.html`` of ``sweep_dir``; returns the files."""
    from .output import atomic_write, atomic_write_text

    sweep_dir = Path(sweep_dir)
    frame = point_rows(sweep_dir)
    if frame.empty:
        return []
    info = _sweep_info(sweep_dir)
    keys = [k for k in info.get("swept", []) if k in frame]
    written = [sweep_dir / "sweep.csv"]
    atomic_write(written[0], lambda tmp: frame.to_csv(tmp, index=False))
    charts = []
    for figure, title, unit in KEY_FIGURES:
        name = f"sweep_{figure}.png"
        if len(keys) == 1 and response_chart(frame, keys[0], figure, title, unit,
                                             sweep_dir / name):
            charts.append((name, title))
        elif len(keys) == 2 and heat_map(frame, keys, figure, title, sweep_dir / name):
            charts.append((name, title))
    written += [sweep_dir / n for n, _ in charts]
    atomic_write_text(sweep_dir / "sweep.html", _html(frame, keys, charts, sweep_dir, info))
    written.append(sweep_dir / "sweep.html")
    return written


def _sweep_info(sweep_dir: Path) -> dict:
    try:
        return json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _html(frame, keys, charts, sweep_dir: Path, info: dict) -> str:
    shown = ["point", *keys, "replications"]
    for figure, _, _ in KEY_FIGURES:
        shown += [c for c in (figure, f"{figure}:difference", f"{figure}:ci_low",
                              f"{figure}:ci_high") if c in frame]
    table = frame[shown].to_html(index=False, float_format=lambda v: f"{v:,.4g}", border=0)
    images = "".join(
        f"<figure><img alt='{html.escape(t)}' src='data:image/png;base64,"
        f"{base64.b64encode((sweep_dir / n).read_bytes()).decode()}'>"
        f"<figcaption>{html.escape(t)} ({html.escape(n)})</figcaption></figure>"
        for n, t in charts)
    command = html.escape(info.get("command", ""))
    heading = html.escape("Sweep summary" + (": " + ", ".join(short_names(keys).values())
                                             if keys else ""))    # names the sweep in its tab
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{heading}</title>"
            "<style>body{font-family:sans-serif;max-width:60em;"
            "margin:2em auto}table{border-collapse:collapse;font-size:85%}td,th{padding:2px 6px;"
            "border-bottom:1px solid #ccc;text-align:right}img{max-width:100%}</style></head>"
            f"<body><h1>{heading}</h1><p>{len(frame)} points, swept: "
            f"{html.escape(', '.join(keys) or 'nothing')}.</p><p><code>{command}</code></p>"
            "<p>Each point is a scenario run against the baseline with common random numbers; "
            "differences are the scenario minus the baseline, with 95% confidence intervals "
            "(sweep.csv has every figure).</p>"
            f"{images}{table}</body></html>")


class SweepSummary(Callback):
    """Hydra callback: at the end of a multirun, :func:`summarise` the sweep's folder."""

    def on_multirun_start(self, config, **kwargs) -> None:
        from .output import atomic_write_text

        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        task = list(config.hydra.overrides.task)
        from . import output

        atomic_write_text(sweep_dir / "sweep.json", json.dumps(
            {"command": "python -m sim " + " ".join(output.COMMAND or ["-m", *task]),
             "overrides": task, "swept": swept_keys(points(task))}, indent=2))

    def on_multirun_end(self, config, **kwargs) -> None:
        written = summarise(Path(config.hydra.sweep.dir))
        if written:
            print(f"sweep summary: {written[0]}, {written[-1]}")
