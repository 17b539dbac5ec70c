"""The scenario catalog: ``python -m sim.catalog [--only A,B] [--source S] [--out DIR] [K=V ...]``.

Runs every scenario of the catalog (or a selection) against the baseline, each as the single run
``python -m sim scenario=NAME KEY=VALUE ... sensitivity=false overlap=false`` would, and writes
one table of all of them (:mod:`sim.catalog_report`): ``catalog.csv``, ``catalog.md`` and
``catalog.html``, ranked by capacity freed.

The catalog is every scenario of the four sources the help groups names by
(:data:`sim.cli.SCENARIO_FAMILIES`: QB14, CPH, DA22, VIVE20), and every composite scenario
whose components all come from one of them (``qb14_all``). The baseline is what each row is
compared with, not a row; ``baseline_copy`` (a control of the comparison machinery) and
``meetings_fortnightly`` (a face-validity check of the spell effects against research
experiments) are checks of the model, not proposals, and are not in it (:data:`NOT_IN_CATALOG`).

A catalog *folder* (default ``outputs/catalog/<profile>``, with the other overrides in its
name) holds:

* ``catalog.json``: the overrides every scenario runs with, the code version (a SHA-256 of
  ``sim/``, :func:`sim.experiment.code_version`) and of ``conf/``. A run into a folder made with
  other overrides or another version stops before anything is simulated: results of different
  code or settings are never mixed in one table;
* ``runs/<scenario>/``: each scenario's complete run folder (:func:`sim.experiment
  .write_experiment`). A scenario runs in ``runs/.partial-<scenario>/`` and is renamed into place
  after its last file, ``catalog_entry.json`` (the row, the scenario file's hash), is written:
  a folder under its own name is finished and never run again; a partial one is removed and run
  again. So a killed catalog resumes where it stopped;
* ``catalog.csv``, ``catalog.md``, ``catalog.html``, ``catalog_effects.png`` and, for a
  composite whose components have all run, ``overlap.csv``: rewritten (atomically) after every
  finished scenario, of every finished scenario in the folder.

Every check comes before the first simulation: the selection, the overrides, the folder (writable,
a catalog of the same settings and version, no other catalog run writing to it), the baseline
cache, and every selected scenario's composition (composed and its model built once). A mistake
is one line on stderr and exit code 2. Ctrl-C is one line and exit code 130: finished scenarios
are kept, the running one is removed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TextIO

from .schema import ConfigError

if TYPE_CHECKING:
    from .catalog_report import OverlapNote

EXIT_OK = 0
EXIT_CONFIG_ERROR = 2
EXIT_INTERRUPTED = 130

FORMAT = 1
"""Version of the catalog folder's layout (``catalog.json``, ``catalog_entry.json``)."""
SETTINGS = "catalog.json"
RUNS = "runs"
ENTRY = "catalog_entry.json"
"""Written last into a scenario's run folder: the scenario is finished."""
PARTIAL = ".partial-"
"""Prefix of the folder a scenario runs in until it is finished."""
LOCK = ".catalog.lock"
"""Held by the catalog run writing to the folder (its process id and host)."""
DEFAULT_ROOT = Path("outputs") / "catalog"

FORCED = ("sensitivity=false", "overlap=false")
"""Added to every scenario's overrides: the sensitivity line is not a catalog column, and a
composite's overlap is computed from the catalog's own runs of its components."""
DEFAULTS = ("event_log=false",)
"""The catalog's defaults where the overrides do not set the key: no event log per scenario."""
NOT_SETTINGS = ("progress", "workers", "event_log")
"""Keys that change neither a scenario's figures nor its records: they may differ between the
runs that fill one catalog folder."""
REFUSED = {
    "scenario": "the scenarios are chosen with --only NAME,NAME or --source "
                "QB14|CPH|DA22|VIVE20, not scenario=",
    "sensitivity": "the sensitivity line is not a catalog column; run one scenario with "
                   "python -m sim scenario=NAME for it",
    "overlap": "a composite's overlap comes from the catalog's own runs of its components",
}
"""Override keys the catalog does not take, and why."""

NOT_IN_CATALOG = {
    "baseline": "the baseline is what every row is compared with, not a row of its own",
    "baseline_copy": "a control of the comparison machinery (it changes nothing), not a proposal",
    "meetings_fortnightly": "a face-validity check of the spell effects against research "
                            "experiments, not a proposal",
    "talk_cadence": "the talk-cadence knob of the parameter sweeps, not a proposal",
    "era_2019": "a comparison of legislation eras (the 2019 rules against those of 2014), not "
                "a proposal",
}
"""Scenarios that are not catalog entries, and why."""


# --------------------------------------------------------------------------- the catalog
def _configure():
    from . import configure

    return configure


def families() -> list[str]:
    """The catalog's sources, in the order of :data:`sim.cli.SCENARIO_FAMILIES`."""
    from .cli import SCENARIO_FAMILIES

    return [f for f, _ in SCENARIO_FAMILIES]


def components_of(name: str) -> list[str]:
    """The component scenarios of a composite scenario (empty for a single one)."""
    return list(_configure().load_scenario(name)["compose"])


def family_of(name: str) -> str | None:
    """The source (QB14, CPH, DA22, VIVE20) of a scenario of the catalog, or None for a
    scenario outside it: by the name's prefix, or for a composite the source all its
    components share."""
    from .cli import SCENARIO_FAMILIES

    if name in NOT_IN_CATALOG:
        return None
    for family, prefix in SCENARIO_FAMILIES:
        if re.match(prefix, name):
            return family
    found = {family_of(c) for c in components_of(name)}
    return found.pop() if len(found) == 1 and None not in found else None


def is_composite(name: str) -> bool:
    """True for a composite scenario (``compose:`` in its file)."""
    return bool(components_of(name))


def catalog() -> dict[str, str]:
    """Every scenario of the catalog and its source, in running order: by source, single
    scenarios by name, then composites (whose overlap needs the single ones)."""
    out: dict[str, tuple[int, bool, str]] = {}
    order = families()
    for name in _configure().scenarios():
        family = family_of(name)
        if family is not None:
            out[name] = (order.index(family), is_composite(name), family)
    return {n: out[n][2] for n in sorted(out, key=lambda n: (out[n][0], out[n][1], n))}


def select(only: Sequence[str] | None, source: str | None) -> list[str]:
    """The scenarios to run, in catalog order: all, those of ``source``, or those named in
    ``only`` (and of ``source`` when both are given). An unknown name, a scenario outside the
    catalog or of another source is a one-line :class:`ConfigError`."""
    import difflib

    entries = catalog()
    if source is not None:
        valid = families()
        match = [f for f in valid if f.lower() == source.lower()]
        if not match:
            raise ConfigError(f"unknown source '{source}'; valid sources: {', '.join(valid)}")
        source = match[0]
    if not only:
        return [n for n, f in entries.items() if source is None or f == source]
    names = [n.strip() for n in only if n.strip()]
    if not names:
        raise ConfigError("--only needs scenario names, e.g. --only a1_flex,c2_shared_caseload")
    existing = _configure().scenarios()
    for name in names:
        if name in NOT_IN_CATALOG:
            raise ConfigError(f"'{name}' is not in the catalog: {NOT_IN_CATALOG[name]}")
        if name not in entries:
            if name in existing:
                raise ConfigError(f"'{name}' is not in the catalog (no source of "
                                  f"{', '.join(families())}); run it with python -m sim "
                                  f"scenario={name}")
            close = difflib.get_close_matches(name, list(entries), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown scenario '{name}' in --only{hint}; python -m sim.catalog "
                              "--list names the catalog's scenarios")
        if source is not None and entries[name] != source:
            raise ConfigError(f"'{name}' is a {entries[name]} scenario, not {source}; drop "
                              "--source or the name")
    chosen = set(names)
    return [n for n in entries if n in chosen]


# --------------------------------------------------------------------------- settings
def settings_of(overrides: Sequence[str]) -> dict[str, str]:
    """The overrides as ``{key: value}`` (the last value of a key given twice, the catalog's
    :data:`DEFAULTS` where not given), checked: ``key=value`` syntax and no key of
    :data:`REFUSED`. One-line :class:`ConfigError` otherwise."""
    from .configure import parse_overrides

    out: dict[str, str] = {}
    for o in overrides:
        key, sep, value = o.partition("=")
        if not sep or not key:
            raise ConfigError(f"'{o}' is not a key=value override; arguments are overrides "
                              "such as jobcenter=small replications=3 (python -m sim.catalog "
                              "--help)")
        key = key.lstrip("+")
        if key.startswith("hydra") or key.startswith("~"):
            raise ConfigError(f"'{o}': the catalog takes configuration overrides only "
                              "(the folder is --out DIR)")
        if key in REFUSED:
            raise ConfigError(f"'{o}': {REFUSED[key]}")
        out.pop(key, None)
        out[key] = value
    parse_overrides([f"{k}={v}" for k, v in out.items()])      # the values' syntax
    for default in DEFAULTS:
        key, _, value = default.partition("=")
        out.setdefault(key, value)
    return out


def recorded(settings: dict[str, str]) -> dict[str, str]:
    """The settings a catalog folder is tied to: all but :data:`NOT_SETTINGS`, by key."""
    return {k: settings[k] for k in sorted(settings) if k not in NOT_SETTINGS}


def profile_of(settings: dict[str, str]) -> str:
    """The jobcenter profile the settings choose (``conf/config.yaml``'s default otherwise)."""
    import yaml

    if "jobcenter" in settings:
        return settings["jobcenter"]
    conf = yaml.safe_load((_configure().CONF_DIR / "config.yaml").read_text(encoding="utf-8"))
    for item in conf.get("defaults") or []:
        if isinstance(item, dict) and "jobcenter" in item:
            return str(item["jobcenter"])
    return "default"


def default_folder(settings: dict[str, str]) -> Path:
    """``outputs/catalog/<profile>``, with every other recorded setting in the name
    (``outputs/catalog/small+horizon_days=180+replications=2``): the same command gives the same
    folder, and so resumes; other settings give another folder."""
    rest = [f"{k}={v}" for k, v in recorded(settings).items() if k != "jobcenter"]
    name = "+".join(re.sub(r"[^A-Za-z0-9._=,-]", "_", part)
                    for part in [profile_of(settings), *rest])
    if len(name) > 100:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"{name[:80]}+{digest}"
    return DEFAULT_ROOT / name


def _hash_files(paths: Sequence[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def conf_version() -> str:
    """SHA-256 of the configuration files (``conf/``, every file by relative path)."""
    root = _configure().CONF_DIR
    return _hash_files(sorted(p for p in root.rglob("*") if p.is_file()), root)


def scenario_version(name: str) -> str:
    """SHA-256 of the scenario's file and, for a composite, of its components' files."""
    root = _configure().SCENARIO_DIR
    names = [name, *components_of(name)]
    return _hash_files([root / f"{n}.yaml" for n in names], root)


# --------------------------------------------------------------------------- the folder
@dataclass
class Entry:
    """A finished scenario of a catalog folder (its ``catalog_entry.json``)."""

    scenario: str
    data: dict

    @property
    def row(self) -> dict:
        return self.data["row"]


class Folder:
    """A catalog folder: its settings, its finished scenarios, its lock."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def runs(self) -> Path:
        return self.path / RUNS

    def run_dir(self, scenario: str) -> Path:
        return self.runs / scenario

    def partial_dir(self, scenario: str) -> Path:
        return self.runs / f"{PARTIAL}{scenario}"

    # ----------------------------------------------------------------- checks
    def check(self, settings: dict[str, str], code: str, conf: str) -> None:
        """Fail in one line when the folder cannot hold this catalog: not writable, not a
        catalog folder, made with other settings or another version, or in use."""
        from .output import writable_problem

        where = self.path
        problem = writable_problem(where)
        if problem:
            raise ConfigError(f"the catalog folder {where} cannot be written: {problem}; give "
                              "a writable one with --out DIR")
        if where.exists() and not where.is_dir():
            raise ConfigError(f"the catalog folder {where} is a file; give a folder with "
                              "--out DIR")
        saved = self.settings()
        if saved is None:
            if where.is_dir() and any(where.iterdir()):
                raise ConfigError(f"{where} holds files but is not a catalog folder (no "
                                  f"{SETTINGS}); give an empty or new folder with --out DIR")
            return
        afresh = f"give another folder with --out DIR, or delete {where} to start afresh"
        if saved.get("format") != FORMAT:
            raise ConfigError(f"the catalog folder {where} was written by another version of "
                              f"python -m sim.catalog (layout {saved.get('format')}, this one "
                              f"{FORMAT}); {afresh}")
        if saved.get("code_version") != code:
            raise ConfigError(f"the catalog folder {where} was made by another version of the "
                              f"simulator's code (sim/ has changed since: "
                              f"{str(saved.get('code_version'))[:12]} there, {code[:12]} now), "
                              f"whose results cannot be mixed with this one's; {afresh}")
        if saved.get("conf_version") != conf:
            raise ConfigError(f"the catalog folder {where} was made with other configuration "
                              f"files (conf/ has changed since), whose results cannot be mixed "
                              f"with these; {afresh}")
        theirs, ours = saved.get("settings") or {}, recorded(settings)
        if theirs != ours:
            diff = [f"{k}={theirs.get(k, '(not set)')} there, {ours.get(k, '(not set)')} here"
                    for k in sorted({*theirs, *ours}) if theirs.get(k) != ours.get(k)]
            raise ConfigError(f"the catalog folder {where} was run with other settings ("
                              + "; ".join(diff) + "); give the same ones to resume it, or "
                              + afresh)
        holder = self.lock_holder()
        if holder is not None:
            raise ConfigError(f"another catalog run (process {holder.get('pid')} on "
                              f"{holder.get('host')}) is writing to {where}; wait for it to "
                              f"end, or delete {where / LOCK} if it is not running")

    def settings(self) -> dict | None:
        """The folder's ``catalog.json``, or None when there is none; a file that cannot be read
        is a one-line :class:`ConfigError`."""
        path = self.path / SETTINGS
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} cannot be read ({exc}); delete {self.path} to start "
                              "afresh") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path} is not a catalog's settings; delete {self.path} to start "
                              "afresh")
        return data

    def entries(self) -> dict[str, Entry]:
        """The finished scenarios: folders of ``runs/`` under a scenario's name with a readable
        ``catalog_entry.json`` of this layout."""
        out = {}
        if not self.runs.is_dir():
            return out
        for d in sorted(self.runs.iterdir()):
            if d.name.startswith(PARTIAL) or not d.is_dir():
                continue
            try:
                data = json.loads((d / ENTRY).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("format") == FORMAT \
                    and data.get("scenario") == d.name and isinstance(data.get("row"), dict):
                out[d.name] = Entry(d.name, data)
        return out

    def check_entries(self, entries: dict[str, Entry], code: str) -> None:
        """Fail in one line when a finished scenario was run by other code than ``code`` (the
        folder's version), or its file (or a component's) has changed or gone since it ran:
        its row would describe another scenario."""
        for name, entry in entries.items():
            if entry.data.get("code_version") != code:
                raise ConfigError(f"scenario {name} in the catalog folder {self.path} was run "
                                  "by another version of the simulator's code; delete "
                                  f"{self.run_dir(name)} to run it again, or give another "
                                  "folder with --out DIR")
            try:
                current = scenario_version(name)
            except (ConfigError, OSError):
                current = None
            if current != entry.data.get("scenario_version"):
                what = "has no scenario file any more" if current is None else \
                    "has a scenario file (or component) that changed since it ran"
                raise ConfigError(f"scenario {name} in the catalog folder {self.path} {what}; "
                                  f"delete {self.run_dir(name)} to run it again, or give "
                                  "another folder with --out DIR")

    def unfinished(self, entries: dict[str, Entry]) -> list[Path]:
        """Folders of ``runs/`` a killed run left: partial runs and runs without their entry."""
        if not self.runs.is_dir():
            return []
        return [d for d in sorted(self.runs.iterdir())
                if d.is_dir() and (d.name.startswith(PARTIAL) or d.name not in entries)]

    # ----------------------------------------------------------------- the lock
    def lock_holder(self) -> dict | None:
        """The live catalog run holding the folder's lock, or None (no lock, or a stale one
        of a process on this host that has ended)."""
        path = self.path / LOCK
        try:
            holder = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if holder.get("host") == socket.gethostname():
            try:
                os.kill(int(holder.get("pid")), 0)
            except ProcessLookupError:
                return None
            except (PermissionError, TypeError, ValueError):
                pass
        return holder

    def lock(self) -> None:
        """Take the folder's lock (a stale one is replaced); a live holder is a one-line
        :class:`ConfigError`."""
        path = self.path / LOCK
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.lock_holder()
                if holder is not None:
                    raise ConfigError(f"another catalog run (process {holder.get('pid')}) is "
                                      f"writing to {self.path}") from None
                path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(me)
            return
        raise ConfigError(f"the lock {path} could not be taken")

    def unlock(self) -> None:
        (self.path / LOCK).unlink(missing_ok=True)


# --------------------------------------------------------------------------- composition
@dataclass
class Planned:
    """A scenario to run: its configurations (:func:`sim.experiment.compose_comparison`) and the
    overrides it runs with."""

    scenario: str
    family: str
    cfg: Any
    description: dict
    base_cfg: Any
    base_description: dict
    overrides: list[str]                  # as python -m sim takes them, scenario= first
    ignored: list[str]                    # catalog overrides of mechanisms it does not use
    version: str                          # scenario_version() when it was composed


def scenario_overrides(scenario: str, settings: dict[str, str]) -> tuple[list[str], list[str]]:
    """The overrides ``scenario`` runs with (``scenario=NAME`` first, then the catalog's, then
    :data:`FORCED`), and the catalog's overrides it leaves out: those of a mechanism neither it
    nor the baseline switches on, which would switch that mechanism on (as a composite's
    components leave them out, :func:`sim.overlap.split_component_overrides`)."""
    from .overlap import split_component_overrides

    given = [f"{k}={v}" for k, v in settings.items()]
    kept, ignored = split_component_overrides(given, scenario)
    kept = [o for o in kept if o != f"scenario={scenario}"]
    return [f"scenario={scenario}", *kept, *FORCED], ignored


def plan(scenario: str, family: str, settings: dict[str, str]) -> Planned:
    """Compose ``scenario`` and its baseline and build its model once (a mechanism checks there
    what depends on the jobcenter): every mistake is a one-line :class:`ConfigError` before
    anything runs."""
    from .cli import check_buildable
    from .experiment import compose_comparison

    overrides, ignored = scenario_overrides(scenario, settings)
    version = scenario_version(scenario)
    try:
        cfg, description, base_cfg, base_description = compose_comparison(overrides)
        check_buildable(cfg)
    except ConfigError as exc:
        raise ConfigError(f"scenario {scenario}: {exc}") from None
    return Planned(scenario, family, cfg, description, base_cfg, base_description, overrides,
                   ignored, version)


# --------------------------------------------------------------------------- progress
class Progress:
    """One bar over the whole catalog and a line per finished scenario.

    The bar's fraction is the scenarios finished (``done_before``: in earlier runs) plus the
    running scenario's share of its replications (its expected number: ``replications=N``, or
    for ``auto`` the mean of the scenarios finished so far, at first ``min_replications`` plus
    the look-ahead); the time left is the mean time per scenario run so far times the scenarios
    still to run (while the first runs, from its own progress)."""

    def __init__(self, todo: Sequence[str], enabled: bool, done_before: int = 0,
                 stream: TextIO | None = None, out: TextIO | None = None):
        from .progress import ProgressBar

        self.todo = list(todo)
        self.before = done_before
        self.stream = stream or sys.stderr
        self.out = out or sys.stdout
        self.bar = ProgressBar("catalog", stream=self.stream) if enabled and todo else None
        self.durations: list[float] = []
        self.replication_counts: list[int] = []
        self.current: str | None = None
        self.expected = 1
        self.reps_done = 0
        self.first_rep = 0.0
        self.t_start = time.perf_counter()

    def start(self, scenario: str, cfg) -> None:
        """``scenario`` starts (``cfg``: its configuration, for the replications expected)."""
        from .experiment import LOOKAHEAD

        self.current = scenario
        self.t_start = time.perf_counter()
        self.reps_done, self.first_rep = 0, 0.0
        if cfg.replications != "auto":
            self.expected = int(cfg.replications)
        elif self.replication_counts:
            self.expected = max(1, round(sum(self.replication_counts)
                                         / len(self.replication_counts)))
        else:
            self.expected = max(cfg.min_replications, 2) + LOOKAHEAD
        self.draw()

    def _running_share(self) -> float:
        done = self.reps_done + (self.first_rep if self.reps_done == 0 else 0.0)
        return min(done / max(self.expected, 1), 0.95)

    def seconds_left(self) -> float | None:
        """The time the catalog still needs, or None before anything can be estimated."""
        k = len(self.durations)
        share = self._running_share() if self.current else 0.0
        elapsed = time.perf_counter() - self.t_start if self.current else 0.0
        if k:
            per = sum(self.durations) / k
        elif share > 0:
            per = elapsed / share
        else:
            return None
        remaining = len(self.todo) - k - (1 if self.current else 0)
        running = max(per - elapsed, 0.0) if self.current else 0.0
        return running + per * max(remaining, 0)

    def draw(self) -> None:
        if self.bar is None:
            return
        from .run_estimate import duration_words

        k = len(self.durations)
        total = len(self.todo)
        left = self.seconds_left()
        label = f"catalog: {self.before + k} of {self.before + total} done"
        if self.current:
            label += f", running {self.current}"
        if k < total:
            label += f", {duration_words(left)} left" if left is not None else ", estimating"
        self.bar.label = label
        share = self._running_share() if self.current else 0.0
        self.bar((self.before + k + share) / max(self.before + total, 1))

    def log_for(self, scenario: str) -> Callable[[str], None]:
        """The ``log`` of :func:`sim.experiment.run_experiment` for ``scenario`` (its
        ``label``): counts the replications done from its per-replication lines."""
        pattern = re.compile(re.escape(scenario) + r": replication (\d+)\b")

        def log(message: str) -> None:
            m = pattern.match(message)
            if m:
                self.reps_done = max(self.reps_done, int(m.group(1)))
                self.draw()
        return log

    def factory(self, _label: str) -> Callable[[float], None]:
        """The ``progress_factory`` of :func:`sim.experiment.run_experiment`: replication 1's
        progress moves the catalog's bar."""
        def update(fraction: float) -> None:
            self.first_rep = min(max(fraction, 0.0), 1.0)
            self.draw()
        return update

    def finish(self, scenario: str, replications: int, line: str) -> None:
        """``scenario`` finished after ``replications``: its line on stdout, the bar redrawn."""
        self.durations.append(time.perf_counter() - self.t_start)
        self.replication_counts.append(replications)
        self.current = None
        self.say(line)
        self.draw()

    def say(self, line: str) -> None:
        """A line on stdout, clearing the bar's line on a terminal first."""
        self.clear()
        print(line, file=self.out, flush=True)

    def clear(self) -> None:
        """Erase the bar's line on a terminal (before a last line of the catalog's own)."""
        if self.bar is not None and self.bar.tty:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()


# --------------------------------------------------------------------------- the table
def overlap_note(folder: Folder, composite: str, entries: dict[str, Entry],
                 selected: Sequence[str], settings: dict[str, str], cache: dict
                 ) -> "OverlapNote":
    """The overlap of ``composite`` from the catalog's own runs of it and of its components
    (:func:`sim.overlap.replication_differences` on the replications all of them hold), or
    the reason there is none. ``settings``: the catalog's overrides (for the equivalent single
    run); ``cache`` keeps the last result per set of runs."""
    from .catalog_report import OverlapNote
    from .compare import RunData, RunDirError
    from .overlap import overlap_table, replication_differences

    loaded = _configure().load_scenario(composite)
    title = " ".join(str(loaded["description"].get("title") or composite).split())
    components = list(loaded["compose"])
    missing = [c for c in [*components, composite] if c not in entries]
    if missing:
        unselected = [c for c in missing if c not in selected]
        pending = [c for c in missing if c in selected]
        parts = []
        if pending:
            parts.append(f"{_names(pending)} {'has' if len(pending) == 1 else 'have'} not "
                         "finished yet")
        if unselected:
            parts.append(f"{_names(unselected)} {'was' if len(unselected) == 1 else 'were'} "
                         "not in the selection (--only, --source) and not run into this "
                         "folder before")
        return OverlapNote(composite, title, reason="; ".join(parts)
                           + f" (it needs {composite} and each of its {len(components)} "
                             "proposals alone)")
    key = tuple((c, entries[c].data.get("finished_at")) for c in [composite, *components])
    if cache.get(composite, (None,))[0] == key:
        return cache[composite][1]
    try:
        runs = {c: RunData.load(folder.run_dir(c)) for c in [composite, *components]}
    except (RunDirError, OSError, ValueError) as exc:
        return OverlapNote(composite, title, reason=f"a run folder cannot be read ({exc})")
    keys = {(r.info.get("baseline_cache") or {}).get("key") for r in runs.values()}
    warmups = {r.info.get("warmup_days") for r in runs.values()}
    if len(keys) > 1 or len(warmups) > 1:
        note = OverlapNote(composite, title, reason="the runs were not made against the same "
                           "baseline (their baseline cache keys or warm-ups differ: the "
                           "baseline's configuration or the code changed between them)")
    else:
        counts = {c: r.replications for c, r in runs.items()}
        n = min(counts.values())
        singles = [(c, runs[c].title, runs[c].scenario[:n], runs[c].baseline[:n])
                   for c in components]
        by_rep = replication_differences(singles, runs[composite].scenario[:n],
                                         runs[composite].baseline[:n])
        command = " ".join(["python -m sim", f"scenario={composite}",
                            *(f"{k}={v}" for k, v in recorded(settings).items()
                              if k != "replications"), f"replications={n}", "sensitivity=false",
                            "overlap=true"])
        note = OverlapNote(composite, runs[composite].title, overlap_table(by_rep), by_rep,
                           replications=n, counts=counts, command=command)
    cache[composite] = (key, note)
    return note


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return shown


def write_tables(folder: Folder, selected: Sequence[str], settings: dict[str, str],
                 code: str, overlap_cache: dict) -> None:
    """Rewrite the catalog's table of every finished scenario in the folder (atomically)."""
    from .catalog_report import CatalogInfo, write_catalog

    entries = folder.entries()
    rows = [e.row for e in entries.values()]
    composites = [n for n in dict.fromkeys([*entries, *selected]) if is_composite(n)]
    overlaps = [overlap_note(folder, c, entries, selected, settings, overlap_cache)
                for c in composites]
    first = next(iter(entries.values()), None)
    data = first.data if first else {}
    replications = sorted({e.data.get("replications_setting") for e in entries.values()},
                          key=str)
    info = CatalogInfo(
        profile=data.get("profile") or profile_of(settings), settings=recorded(settings),
        code_version=code, horizon_days=data.get("horizon_days"),
        warmup_days=data.get("warmup_days"), seed=data.get("seed"),
        replications=(", ".join(str(r) for r in replications) + _replication_range(entries)
                      if entries else None),
        pending=[s for s in selected if s not in entries],
        ignored={n: e.data.get("ignored_overrides") or [] for n, e in entries.items()})
    write_catalog(folder.path, rows, info, overlaps)


def _replication_range(entries: dict[str, Entry]) -> str:
    counts = [e.row.get("replications") for e in entries.values()]
    counts = [c for c in counts if c is not None]
    if not counts or min(counts) == max(counts):
        return ""
    return f" ({min(counts)} to {max(counts)} per scenario)"


# --------------------------------------------------------------------------- running
def check_versions(code: str, conf: str, folder: Folder) -> None:
    """Fail in one line when the simulator's code or configuration files on disk are no longer
    ``code`` and ``conf``, the versions the catalog folder holds: a scenario run now could mix
    the two (modules imported later, worker processes, the baseline cache's key)."""
    from .experiment import code_version

    changed = [what for what, now, then in (("code (sim/)", code_version(), code),
                                            ("configuration files (conf/)", conf_version(),
                                             conf)) if now != then]
    if changed:
        raise ConfigError(f"the simulator's {' and '.join(changed)} changed while the catalog "
                          f"was running; the scenarios finished before the change are kept in "
                          f"{folder.path}, the running one was removed; restore them to go "
                          "on, or give another folder with --out DIR for the new version")


def run_one(folder: Folder, p: Planned, progress: Progress, code: str, conf: str) -> Entry:
    """Run ``p`` into ``runs/.partial-<scenario>`` and move it into place once its entry, the
    last file, is written; ``code``, ``conf``: the catalog's versions, checked before the
    scenario starts and before it is moved into place. An interruption or failure removes the
    partial folder."""
    from . import output
    from .catalog_report import catalog_row
    from .experiment import cache_key, run_experiment, write_experiment
    from .output import atomic_write_text

    partial = folder.partial_dir(p.scenario)
    shutil.rmtree(partial, ignore_errors=True)
    check_versions(code, conf, folder)
    progress.start(p.scenario, p.cfg)
    t0 = time.perf_counter()
    saved_command = output.COMMAND
    try:
        exp = run_experiment(p.cfg, p.description, p.base_cfg, p.base_description,
                             log=progress.log_for(p.scenario),
                             progress_factory=progress.factory, label=p.scenario)
        output.COMMAND = p.overrides
        write_experiment(partial, exp)
        title = " ".join(str(p.description.get("title") or p.scenario).split())
        row = catalog_row(p.scenario, title, p.family, bool(p.description.get("components")),
                          exp.scenario_records, exp.baseline_records)
        row.update({"warmup_days": exp.cfg.warmup_days, "horizon_days": exp.cfg.horizon_days,
                    "wall_seconds": round(time.perf_counter() - t0, 3),
                    "run_folder": f"{RUNS}/{p.scenario}"})
        data = {"format": FORMAT, "scenario": p.scenario, "title": title, "source": p.family,
                "scenario_version": p.version,
                "code_version": code, "config_key": cache_key(exp.cfg, code),
                "baseline_key": exp.cache.get("key"), "profile": exp.cfg.jobcenter.name,
                "seed": exp.cfg.seed, "horizon_days": exp.cfg.horizon_days,
                "warmup_days": exp.cfg.warmup_days,
                "replications_setting": exp.cfg.replications,
                "stopping": exp.stopping.reason,
                "command": " ".join(["python -m sim", *p.overrides]),
                "ignored_overrides": p.ignored, "finished_at": time.time(), "row": row}
        check_versions(code, conf, folder)
        atomic_write_text(partial / ENTRY, json.dumps(data, indent=2, default=str))
        final = folder.run_dir(p.scenario)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        output.COMMAND = saved_command
    return Entry(p.scenario, data)


def result_line(entry: Entry) -> str:
    """The terminal's line for a finished scenario: capacity freed with its interval."""
    from .comparison_report import fmt_ci, fmt_diff, fmt_money

    r = entry.row
    text = f"{entry.scenario}: "
    fte = r.get("capacity_freed_fte")
    if fte is None:
        text += "capacity freed not available"
    else:
        ci = fmt_ci("fte", "FTE", r.get("capacity_freed_fte_ci_low"),
                    r.get("capacity_freed_fte_ci_high"))
        text += f"capacity freed {fmt_diff('fte', 'FTE', fte)}"
        text += f" (95% CI {ci})" if ci != "–" else ""
        if r.get("capacity_freed_dkk") is not None:
            sign = "" if r["capacity_freed_dkk"] >= 0 else "minus "
            text += f", worth {sign}{fmt_money(r['capacity_freed_dkk'])} a year"
    n = r.get("replications")
    return text + f"; {n} replication{'s' if n != 1 else ''}, {r.get('wall_seconds', 0):.0f} s"


# --------------------------------------------------------------------------- command line
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``error: ...``) and exit code 2."""

    def error(self, message: str):
        raise ConfigError(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sim.catalog", add_help=False,
                usage="python -m sim.catalog [--only A,B] [--source QB14|CPH|DA22|VIVE20] "
                      "[--out DIR] [--list] [KEY=VALUE ...]")
    p.add_argument("--only", default=None)
    p.add_argument("--source", default=None)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--list", action="store_true")
    p.add_argument("-h", "--help", action="store_true")
    p.add_argument("overrides", nargs="*")
    return p


def usage() -> str:
    """The text of ``python -m sim.catalog --help``."""
    return "\n".join([
        "usage: python -m sim.catalog [--only A,B] [--source QB14|CPH|DA22|VIVE20] [--out DIR]",
        "                             [KEY=VALUE ...]",
        "       python -m sim.catalog --list [--source SOURCE]     the catalog's scenarios",
        "",
        "Runs every scenario of the catalog (or a selection) against the baseline and writes one",
        "table of all of them, ranked by capacity freed: catalog.html, catalog.md, catalog.csv.",
        "Resumable: a finished scenario is never run again; run the same command again after",
        "Ctrl-C or a crash and it goes on where it stopped.",
        "",
        "  --only A,B        these scenarios only (names as in python -m sim.catalog --list)",
        "  --source SOURCE   the scenarios of one source: " + ", ".join(families()),
        "  --out DIR         the catalog folder [outputs/catalog/<profile>, with the other",
        "                    overrides in its name]",
        "  KEY=VALUE         overrides for every scenario, as python -m sim takes them:",
        "                    jobcenter=small|medium|...|national_sample|national,",
        "                    replications=N|auto, seed=N, horizon_days=N, workers=N, ...",
        "",
        "Each scenario runs as python -m sim scenario=NAME KEY=VALUE ... sensitivity=false",
        "overlap=false would, into DIR/runs/NAME/. More: docs/catalog.md",
    ])


def list_text(source: str | None) -> str:
    """The text of ``--list``: the catalog's scenarios with their source and title."""
    from .configure import scenario_titles

    titles = scenario_titles()
    names = select(None, source)
    entries = catalog()
    return "\n".join([f"  {n:<28} {entries[n]:<7} {titles.get(n, '')}".rstrip() for n in names])


def _transient(text: str) -> None:
    """A status line on a terminal's stderr that the next one (or ``""``) overwrites; nothing
    elsewhere, so that a mistake found while checking stays the one line on stderr."""
    if getattr(sys.stderr, "isatty", lambda: False)():
        sys.stderr.write("\r" + " " * 110 + "\r" + text[:110])
        sys.stderr.flush()


def _error(message: str) -> int:
    print(f"error: {message.strip().splitlines()[0] if message.strip() else 'error'}",
          file=sys.stderr)
    return EXIT_CONFIG_ERROR


def _interrupted(note: str) -> int:
    """End a Ctrl-C with one line on stderr (over a status line on a terminal); exit code 130."""
    _transient("")
    print(f"interrupted: {note}", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code (0, 2 for a mistake, 130 for Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return _interrupted("the catalog had not started; nothing was run")


def _main(argv: list[str]) -> int:
    from .experiment import check_cache_dir, code_version

    try:
        args = parser().parse_intermixed_args(argv)
        if args.help:
            print(usage())
            return EXIT_OK
        if args.list:
            print(list_text(args.source))
            return EXIT_OK
        for o in args.overrides:
            if o.startswith("-"):
                raise ConfigError(f"unknown option '{o}' (python -m sim.catalog --help)")
        only = None if args.only is None else args.only.split(",")
        selected = select(only, args.source)
        if not selected:
            raise ConfigError("the selection holds no scenario")
        settings = settings_of(args.overrides)
        folder = Folder(args.out if args.out is not None else default_folder(settings))
        code, conf = code_version(), conf_version()
        folder.check(settings, code, conf)
        check_cache_dir()
        entries = folder.entries() if folder.settings() is not None else {}
        folder.check_entries(entries, code)
        family = catalog()
        todo = [s for s in selected if s not in entries]
        planned = []
        for i, s in enumerate(todo, 1):
            _transient(f"catalog: checking scenario {i} of {len(todo)} ({s}) before running")
            planned.append(plan(s, family[s], settings))
        _transient("")
    except ConfigError as exc:
        _transient("")
        return _error(str(exc))
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
        folder.lock()
    except ConfigError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"the catalog folder {folder.path} cannot be written: {exc}")
    try:
        return _run(folder, selected, settings, code, conf, entries, planned)
    finally:
        folder.unlock()


def _run(folder: Folder, selected: list[str], settings: dict[str, str], code: str, conf: str,
         entries: dict[str, Entry], planned: list[Planned]) -> int:
    """Run the planned scenarios into ``folder`` one after the other, rewriting the table after
    each (the folder's checks have passed and its lock is held)."""
    from .output import atomic_write_text

    if folder.settings() is None:
        atomic_write_text(folder.path / SETTINGS, json.dumps({
            "format": FORMAT, "code_version": code, "conf_version": conf,
            "settings": recorded(settings), "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }, indent=2))
    for d in folder.unfinished(entries):
        shutil.rmtree(d, ignore_errors=True)
    overlap_cache: dict = {}
    progress = Progress([p.scenario for p in planned],
                        enabled=bool(planned) and bool(planned[0].cfg.progress),
                        done_before=len([s for s in selected if s in entries]))
    if entries:
        progress.say(f"catalog: {len(entries)} scenario{'s' if len(entries) != 1 else ''} "
                     f"finished earlier in {folder.path}"
                     + (f"; {len(planned)} to run" if planned else "; nothing to run"))
    write_tables(folder, selected, settings, code, overlap_cache)
    running = None
    try:
        for p in planned:
            running = p.scenario
            entry = run_one(folder, p, progress, code, conf)
            running = None
            progress.finish(p.scenario, entry.row.get("replications") or 0, result_line(entry))
            write_tables(folder, selected, settings, code, overlap_cache)
    except KeyboardInterrupt:
        progress.clear()
        done = len(folder.entries())
        what = f"the running scenario {running} was removed; " if running else ""
        return _interrupted(f"{done} finished scenario{'s' if done != 1 else ''} kept in "
                            f"{folder.path}; {what}run the same command again to go on")
    except ConfigError as exc:
        progress.clear()
        return _error(f"scenario {running}: {exc}" if running else str(exc))
    progress.clear()
    finished = folder.entries()
    print(f"catalog: {len([s for s in selected if s in finished])} of {len(selected)} selected "
          f"scenarios finished ({len(planned)} run now); {len(finished)} in the table: "
          f"{folder.path / 'catalog.html'}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
