"""The front door: ``python -m sim scenario=a1_flex [jobcenter=medium] [key=value ...]``.

``--help`` prints a short usage text with the scenarios (:func:`usage`), ``list`` the scenarios
and profiles. Configuration mistakes, and a run folder or baseline cache that cannot be written,
end with one line on stderr and exit code 2 before anything is simulated or written. A good
configuration runs under Hydra, which makes the run directory (``outputs/...``) and supports
``-m`` sweeps. Ctrl-C ends a run with one line and exit code 130, and removes the unfinished run
folder (or marks it, when it held files before the run).
"""
from __future__ import annotations

import difflib
import shutil
import sys
from pathlib import Path

import yaml

from .configure import (CONF_DIR, apply_scenario, check_keys_only, compose, hydra_overrides,
                        options, scenario_titles)
from .schema import ConfigError
from . import sweep as _sweep  # noqa: F401  registers the sim_point resolver of sweep folders

EXIT_CONFIG_ERROR = 2
EXIT_INTERRUPTED = 130              # 128 + SIGINT, as shells report a Ctrl-C
_HYDRA_FLAGS = ("-m", "--multirun", "-h", "--help", "--hydra-help", "-c", "--cfg", "--info",
                "--resolve", "-p", "--package", "--shell-completion", "-cp", "--config-path",
                "-cn", "--config-name", "-cd", "--config-dir", "--version")
_NO_RUN_FLAGS = ("--hydra-help", "-c", "--cfg", "--info", "--shell-completion", "-sc",
                 "--version")
"""Hydra flags that print something and run nothing (no folders to check)."""
_FLAGS_WITH_VALUE = ("-c", "--cfg", "--info", "-p", "--package", "-cp", "--config-path",
                     "-cn", "--config-name", "-cd", "--config-dir")
"""Hydra flags followed by a value (``--cfg job``), which is not an override."""
_NO_FILE_LOG = "hydra/job_logging=none"
"""Hydra's job logging would leave an empty ``cli.log`` in every run folder; the run's products
are its files (``run_info.json`` records the command)."""
INCOMPLETE = "INCOMPLETE"
"""Marker file left in a run folder that held files before a run that was interrupted."""

_keep_on_interrupt: Path | None = None
"""A run folder given with ``hydra.run.dir`` that held files before the run: an interrupted run
marks it (:data:`INCOMPLETE`) instead of removing it."""


def fail(message: str) -> None:
    """Print a one-line configuration error and exit with code 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_CONFIG_ERROR)


def _interrupted(note: str) -> None:
    """End a Ctrl-C with one line on stderr and exit code 130."""
    newline = "\n" if getattr(sys.stderr, "isatty", lambda: False)() else ""  # after a bar
    print(f"{newline}interrupted: {note}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_INTERRUPTED)


def _abandon(run_dir: Path) -> None:
    """Remove the unfinished run folder (or mark it, see :data:`_keep_on_interrupt`) and end
    the Ctrl-C."""
    if _keep_on_interrupt is not None and run_dir.resolve() == _keep_on_interrupt.resolve():
        try:
            (run_dir / INCOMPLETE).write_text(
                "This run was interrupted (Ctrl-C) before it finished; the files in this folder "
                "may be from an earlier run or incomplete.\n", encoding="utf-8")
        except OSError:
            pass
        _interrupted(f"the run folder {run_dir} held files before this run; it is kept and "
                     f"marked {INCOMPLETE}")
    shutil.rmtree(run_dir, ignore_errors=True)
    _interrupted(f"nothing was kept; the unfinished run folder {run_dir} was removed")


# --------------------------------------------------------------------------- help and list
def _defaults() -> dict:
    """The top-level defaults of ``conf/config.yaml`` and its default choices of groups."""
    conf = yaml.safe_load((CONF_DIR / "config.yaml").read_text(encoding="utf-8")) or {}
    for item in conf.get("defaults") or []:
        if isinstance(item, dict):
            conf.update({k: v for k, v in item.items() if not str(k).startswith("override")})
    return conf


def _columns(rows: list[tuple[str, str]], width: int = 24) -> list[str]:
    return [f"  {left:<{width - 1}} {right}".rstrip() for left, right in rows]


def _scenario_lines() -> list[str]:
    return _columns(list(scenario_titles().items()))


SCENARIO_FAMILIES = (("QB14", r"[a-f]\d"), ("CPH", "cph_"), ("DA22", "da_"), ("VIVE20", "vive_"))
"""The catalogs the help groups scenario names by (name prefix as a regular expression)."""


def _scenario_name_lines(width: int = 90) -> list[str]:
    """Every scenario's name, grouped by catalog and wrapped: the help stays short however many
    there are (``python -m sim list`` gives each one's title)."""
    import re
    import textwrap

    groups: dict[str, list[str]] = {}
    for name in scenario_titles():
        family = next((f for f, prefix in SCENARIO_FAMILIES if re.match(prefix, name)), "other")
        groups.setdefault(family, []).append(name)
    out = []
    for family in [*(f for f, _ in SCENARIO_FAMILIES), "other"]:
        if family in groups:
            out += textwrap.wrap(" ".join(groups[family]), width, initial_indent=f"  {family:<8}",
                                 subsequent_indent=" " * 10)
    return out


def usage() -> str:
    """The text of ``python -m sim --help``."""
    d = _defaults()
    profiles = ", ".join(options("jobcenter"))
    lines = [
        "usage: python -m sim [scenario=NAME] [jobcenter=PROFILE] [KEY=VALUE ...]",
        "       python -m sim -m scenario=NAME,NAME [KEY=VALUE ...]   several runs (multirun)",
        "       python -m sim -m hydra/launcher=joblib KEY=V1,V2 ...  its points side by side",
        "       python -m sim -m resume=multirun/FOLDER               resume a sweep",
        "       python -m sim list                                    scenarios and profiles",
        "",
        "Simulates a scenario and the baseline (replications with common random numbers) and",
        "writes the comparison to outputs/<scenario>/<profile>/<date_time>/; the link",
        "outputs/<scenario>/<profile>/latest points to the newest run.",
        "",
        "Common overrides [default]:",
        *_columns([
            ("scenario=NAME", f"a scenario below [{d.get('scenario')}]"),
            ("jobcenter=PROFILE", f"{profiles} [{d.get('jobcenter')}]"),
            ("seed=N", f"base seed of every random stream [{d.get('seed')}]"),
            ("horizon_days=N", f"measured days, after the warm-up [{d.get('horizon_days')}]"),
            ("warmup_days=N|auto", "days simulated before measuring starts "
                                   f"[{d.get('warmup_days')}]"),
            ("replications=N|auto", "replications of each side; auto: until precise enough "
                                    f"[{d.get('replications')}]"),
            ("workers=N", f"processes side by side; 0: one per CPU core [{d.get('workers')}]"),
            ("effects=LEVEL", "service's effect on duration: none, low, literature, high "
                              f"[{d.get('effects')}]"),
            ("sensitivity=false", "skip the comparison again at effects=none and effects=high "
                                  "(true: run it for a national profile too)"),
            ("overlap=false", "a composite scenario (qb14_all): skip running each "
                              "component alone"),
            ("event_log=false", "leave out events.parquet"),
            ("export=[pm4py,xes,ocel]", "also the event log for process mining (any of them; "
                                        "docs/exports.md)"),
            ("progress=false", "no progress lines on stderr"),
            ("hydra.run.dir=DIR", "write the run folder to DIR"),
            ("KEY.KEY=VALUE", "any value in conf/, e.g. "
                              "model.groups.adp.no_show_share=0.1"),
            ("mechanisms.NAME.KEY=V", "a mechanism's setting, e.g. "
                                      "mechanisms.postponement.max_days=7"),
        ]),
        "",
        "Scenarios (scenarios/; each one's title: python -m sim list):",
        *_scenario_name_lines(),
        "",
        "Compare finished runs:   python -m sim.compare outputs/a1_flex/medium/latest [RUN_DIR ...]",
        "Every key and its value: python -m sim --cfg job",
        "Hydra's own options:     python -m sim --hydra-help",
        "More: README.md, docs/mechanisms.md",
    ]
    return "\n".join(lines)


def list_text() -> str:
    """The text of ``python -m sim list``."""
    return "\n".join(["Scenarios (scenarios/; run one with python -m sim scenario=NAME):",
                      *_scenario_lines(),
                      "",
                      "Jobcenter profiles (conf/jobcenter/; choose one with jobcenter=NAME): "
                      + ", ".join(options("jobcenter"))])


def check_bare_words(argv: list[str]) -> None:
    """Fail in one line on an argument that is not ``key=value`` nor a Hydra flag, suggesting
    ``scenario=`` or ``jobcenter=`` where the word is (close to) one of their names."""
    after_flag = False
    for arg in argv:
        if after_flag or arg.startswith("-") or "=" in arg:
            after_flag = arg in _FLAGS_WITH_VALUE
            continue
        for key, valid in (("scenario", list(scenario_titles())),
                           ("jobcenter", options("jobcenter"))):
            close = [arg] if arg in valid else difflib.get_close_matches(arg, valid, n=1)
            if close:
                raise ConfigError(f"'{arg}' is not a key=value override; did you mean "
                                  f"{key}={close[0]}?")
        raise ConfigError(f"'{arg}' is not a key=value override; arguments are overrides such as "
                          "scenario=a1_flex seed=7 (python -m sim --help lists them)")


# --------------------------------------------------------------------------- output folders
def _last_value(argv: list[str], key: str) -> str | None:
    """The value of the last ``key=value`` (or ``+key=``, ``++key=``) argument, or None."""
    value = None
    for arg in argv:
        k, sep, v = arg.partition("=")
        if sep and k.lstrip("+") == key:
            value = v
    return value


def _fixed_part(value: str) -> Path:
    """The part of a Hydra folder setting before its first interpolation (``${now:...}``)."""
    return Path(value.split("${", 1)[0] or ".")


def check_output_folders(argv: list[str], cfg=None) -> None:
    """Fail in one line when the run folder (a sweep's folder for ``-m``) or the baseline cache
    cannot be written: before anything is simulated, rather than as a traceback."""
    from .experiment import check_cache_dir
    from .output import writable_problem

    global _keep_on_interrupt
    sweep = any(a in ("-m", "--multirun") for a in argv)
    key = "hydra.sweep.dir" if sweep else "hydra.run.dir"
    given = _last_value(argv, key)
    if given is not None:
        folder = _fixed_part(given)
    elif sweep:
        folder = Path("multirun")
    else:
        folder = Path("outputs") / cfg.scenario / cfg.jobcenter.name if cfg else Path("outputs")
    problem = writable_problem(folder)
    if problem:
        raise ConfigError(f"the run folder {folder} cannot be written: {problem}; give a writable "
                          f"one with {key}=DIR")
    if not sweep and given is not None and "${" not in given and folder.is_dir() \
            and any(folder.iterdir()):
        _keep_on_interrupt = folder.absolute()
    check_cache_dir()


def _task(cfg) -> None:
    """Hydra task: validate, simulate, write the run directory."""
    from hydra.core.hydra_config import HydraConfig

    from . import output
    from .sweep import sweep_command

    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    if output.COMMAND is None:      # a launcher's worker process: the command came with the job
        output.COMMAND = sweep_command(hc)
    try:
        _run(cfg, hc, run_dir)
    except KeyboardInterrupt:
        point = _point(hc)
        if point is not None:
            _abandon_point(run_dir, point)
        _abandon(run_dir)


def _point(hc) -> dict | None:
    """A sweep point's own overrides (``{key: value}``), or None outside a sweep."""
    from hydra.types import RunMode

    from .sweep import own_overrides

    if hc.mode != RunMode.MULTIRUN:
        return None
    fixed = set(hc.job.config.override_dirname.exclude_keys or [])
    keys = [o.split("=", 1)[0].lstrip("+~") for o in hc.overrides.task]
    return own_overrides(list(hc.overrides.task), [k for k in keys if k not in fixed])


def _abandon_point(run_dir: Path, point: dict) -> None:
    """Ctrl-C in a sweep: remove the point's folder unless it had finished (Ctrl-C came while
    it printed its summary), and the sweep's folder when no point had finished (the same
    command again resumes from the finished ones). In a launcher's worker process the
    KeyboardInterrupt goes on to the main process, which ends the sweep."""
    from .sweep import finished

    done = finished(run_dir, point)
    if not done:
        shutil.rmtree(run_dir, ignore_errors=True)
    if not _ran_main:               # the main process, interrupted too, reports it
        raise KeyboardInterrupt
    _end_sweep(run_dir.parent, "" if done else f"the unfinished point {run_dir.name} was removed; ")


def _end_sweep(sweep_dir: Path, removed: str = "") -> None:
    """End a Ctrl-C in a sweep: keep the finished points, or remove the sweep's folder (and an
    emptied ``multirun/``) when none had finished."""
    from .sweep import POINT_KEY

    done = [p for p in sweep_dir.iterdir() if p.is_dir() and (p / "run_info.json").is_file()
            and POINT_KEY in (p / "run_info.json").read_text(encoding="utf-8")] \
        if sweep_dir.is_dir() else []
    if done:
        _interrupted(f"{removed}{len(done)} finished "
                     f"point{'s' if len(done) != 1 else ''} kept in {sweep_dir}: the same command, "
                     f"or python -m sim -m resume={sweep_dir}, resumes the sweep")
    shutil.rmtree(sweep_dir, ignore_errors=True)
    try:
        sweep_dir.parent.rmdir()            # multirun/, when this sweep was all it held
    except OSError:
        pass
    _interrupted(f"no point had finished; the sweep folder {sweep_dir} was removed")


def _latest(hc, run_dir: Path) -> None:
    """Point ``latest`` beside a single run's folder at it, where Hydra chose the folder
    (``outputs/<scenario>/<profile>/<date_time>``); print the link."""
    from hydra.types import RunMode

    from .output import point_latest

    chosen = any(o.split("=", 1)[0].lstrip("+") == "hydra.run.dir" for o in hc.overrides.hydra)
    if hc.mode != RunMode.RUN or chosen:
        return
    link = point_latest(run_dir)
    if link is not None:
        try:
            link = link.relative_to(Path.cwd())
        except ValueError:
            pass
        print(f"latest run: {link}")


def _run(cfg, hc, run_dir: Path) -> None:
    """Validate, simulate and write the run directory (the body of :func:`_task`)."""
    from .experiment import baseline_config, run_experiment, summary_lines, write_experiment
    from .overlap import component_configs, overlap_lines, run_overlap
    from .progress import ProgressBar
    from .sensitivity import run_sensitivity

    import dataclasses
    import os

    point = _point(hc)
    workers = None                  # the run's own setting
    if point is not None:
        from .sweep import clear_unfinished, finished, label, point_workers, sweep_size

        workers = point_workers(hc, sweep_size(hc), os.cpu_count() or 1)

        if finished(run_dir, point):
            print(f"sweep point {label(point)}: finished in an earlier run, skipped ({run_dir})")
            return
        clear_unfinished(run_dir)
    try:
        sim_cfg, description = apply_scenario(cfg, list(hc.overrides.task))
        if point is not None:
            description = {**description,
                           "title": f"{description.get('title') or sim_cfg.scenario} "
                                    f"({label(point)})"}
            if sim_cfg.sensitivity == "auto":   # a sweep's points: the curve, not 3x the time
                sim_cfg = dataclasses.replace(sim_cfg, sensitivity=False)
        base_cfg, base_description = baseline_config(cfg, list(hc.overrides.task))
        components = component_configs(cfg, list(hc.overrides.task), description) \
            if sim_cfg.runs_overlap else []
    except ConfigError as exc:
        fail(str(exc))
    name = f"{sim_cfg.scenario} / {sim_cfg.jobcenter.name}" \
        + (f" ({label(point)})" if point is not None else "")
    try:
        if not _built_before_hydra:
            check_buildable(sim_cfg)    # a -m sweep's point is composed only here
        log = None if not sim_cfg.progress else (lambda m: print(m, file=sys.stderr, flush=True))
        exp = run_experiment(sim_cfg, description, base_cfg, base_description, workers=workers,
                             progress_factory=ProgressBar if sim_cfg.progress else None, log=log,
                             label=name)
        sensitivity = run_sensitivity(exp, log=log,      # None for the baseline alone
                                      workers=workers)
        overlap = run_overlap(exp, components, log=log,   # None unless a composite scenario
                              workers=workers,
                              progress_factory=ProgressBar if sim_cfg.progress else None)
    except ConfigError as exc:
        fail(str(exc))
    metrics = write_experiment(run_dir, exp, sensitivity=sensitivity, overlap=overlap)
    if point is not None:           # last: marks the point finished (sim.sweep.finished)
        import json

        from .output import atomic_write_text
        from .sweep import POINT_KEY

        info = json.loads((run_dir / "run_info.json").read_text(encoding="utf-8"))
        atomic_write_text(run_dir / "run_info.json",
                          json.dumps({**info, POINT_KEY: point}, indent=2))
    (run_dir / INCOMPLETE).unlink(missing_ok=True)      # left by an earlier, interrupted run
    share = metrics["talks_on_time_share"]
    seconds = exp.scenario_records[0].get("wall_seconds") or 0.0
    print(f"{name}: "
          + (f"{metrics['jobcenters']} jobcenters ({metrics['jobcenters_simulated']} simulated "
             "in each replication), " if exp.is_country else "")
          + f"{metrics['citizens_simulated']:,.0f} citizens, "
          f"{metrics['talks_held']:,.0f} talks held"
          + (f" ({share:.1%} on time)" if share is not None else "")
          + f", operating cost DKK {metrics['operating_cost_dkk'] / 1e6:,.1f} million"
          + (f" over {sim_cfg.horizon_days:,} days" if sim_cfg.horizon_days != 365 else "")
          + f", {seconds:.1f} s (replication 1)")
    lines = summary_lines(exp, sensitivity) + overlap_lines(overlap)
    if exp.is_country:
        from .national_report import country_lines

        lines += country_lines(run_dir, exp)
    for line in lines:
        print(line)
    print(f"results: {run_dir}")
    _latest(hc, run_dir)


def _sweep_settings(argv: list[str]) -> list[str]:
    """For a ``-m`` sweep: check every point (one bad value: one line, nothing run) and return
    the Hydra overrides that name its folders (:func:`sim.sweep.hydra_settings`) and hand each
    point the command ``argv`` and the number of points (:func:`sim.sweep.job_env`)."""
    from .sweep import check_points, hydra_settings, job_env, launcher_settings, points

    if not any(a in ("-m", "--multirun") for a in argv):
        return []
    overrides, skip = [], False
    for a in argv:
        if skip or a.startswith("-"):
            skip = a in _FLAGS_WITH_VALUE
            continue
        overrides.append(a)
    task = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    given = {o.split("=", 1)[0].lstrip("+"): o for o in overrides if o.lstrip("+").startswith("hydra")}
    pts = points(task)
    check_points(pts)
    settings = [*hydra_settings(task, pts, given), *job_env(argv, len(pts)),
                *launcher_settings(overrides)]
    global _sweep_dir
    folder = next((o.split("=", 1)[1] for o in [*settings, *given.values()]
                   if o.lstrip("+").startswith("hydra.sweep.dir=")), "")
    _sweep_dir = Path(folder) if folder and "${" not in folder else None
    return settings


_sweep_dir: Path | None = None
"""The sweep's folder (a ``-m`` run), for a Ctrl-C between two points."""


_built_before_hydra = False
"""Whether :func:`_main` built the composed configuration already (a single run; a sweep's
points are composed by Hydra and checked in :func:`_run`)."""

_ran_main = False
"""Whether this process read the command line (:func:`_main`). A launcher's worker process
(joblib, Ray) runs points for the main process and leaves a Ctrl-C to it to report."""


def check_buildable(cfg) -> None:
    """Build the model once without running it: a mechanism checks there what depends on the
    jobcenter (a team larger than its pool, a session longer than a working day) and raises a
    one-line ConfigError, which must come before anything is written. A country (composite
    profile) builds every one of its jobcenters, each with its own practice and staff."""
    from .model import Model, paused_cyclic_gc

    if cfg.jobcenter.is_composite:
        import dataclasses

        from .national import members

        country = dataclasses.replace(cfg, jobcenter=dataclasses.replace(
            cfg.jobcenter, sample_per_class=0, simulate_per_member=0))
        configs = [m.cfg for m in members(country)]
    else:
        configs = [cfg]
    with paused_cyclic_gc():
        for c in configs:
            Model(c, 0).release()


def main(argv: list[str] | None = None) -> None:
    """Validate the command line and the output folders, then hand the run to Hydra."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(usage())
        return
    if argv == ["list"]:
        print(list_text())
        return
    try:
        _main(argv)
    except KeyboardInterrupt:
        if _sweep_dir is not None and _sweep_dir.is_dir():   # between two points of a sweep
            _abandon_between_points(_sweep_dir)
        _interrupted("the run had not started; nothing was written")


def _abandon_between_points(sweep_dir: Path) -> None:
    """Ctrl-C in a sweep outside a point's run (Hydra was making the next point's folder)."""
    from .sweep import POINT_KEY

    for p in sweep_dir.iterdir():
        info = p / "run_info.json"
        if p.is_dir() and not (info.is_file() and POINT_KEY in info.read_text(encoding="utf-8")):
            shutil.rmtree(p, ignore_errors=True)
    _end_sweep(sweep_dir)


def _main(argv: list[str]) -> None:
    from . import output
    from .sweep import resume_arguments

    global _ran_main
    _ran_main = True
    try:
        argv = resume_arguments(argv)       # resume=DIR: the sweep recorded in DIR
        command = argv
        check_bare_words(argv)
        if not any(a in _HYDRA_FLAGS or a.split("=")[0] in _HYDRA_FLAGS for a in argv):
            global _built_before_hydra
            cfg = compose(argv)[0]
            check_buildable(cfg)
            _built_before_hydra = True
            check_output_folders(argv, cfg)
        else:                       # e.g. a -m sweep: Hydra composes each run
            check_keys_only(argv)
            if not any(a.split("=")[0] in _NO_RUN_FLAGS for a in argv):
                argv = [*argv, *_sweep_settings(argv)]
                check_output_folders(argv)
    except ConfigError as exc:
        fail(str(exc))
    import hydra

    output.COMMAND = command
    logging = [] if any(a.split("=")[0].lstrip("+") == "hydra/job_logging" for a in argv) \
        else [_NO_FILE_LOG]
    sys.argv = [sys.argv[0], *hydra_overrides(argv), *logging]
    hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(_task)()
