"""Replications, common random numbers, the baseline cache and the stopping rule.

A run of a scenario is an *experiment*: replications ``0, 1, 2, ...`` of the scenario and of the
baseline. Replication ``i`` of either side uses the random streams keyed by (seed, ``i``, stream
name) (:mod:`sim.engine.streams`), so both sides see the same citizens, arrivals and durations
wherever the scenario does not change them (common random numbers), and the paired difference
``scenario_i - baseline_i`` varies far less than either side.

* The baseline configuration is the scenario's composed configuration with ``scenario=baseline``
  and the same command-line overrides (:func:`baseline_config`), except overrides of a mechanism
  the baseline does not switch on: they apply to the scenario only, and the experiment records
  them (:func:`split_baseline_overrides`, ``run_info.json``, the report).
* Baseline replications are cached under ``outputs/.baseline_cache/<key>/rep_<i>.json``, where
  the key is a SHA-256 of the resolved baseline configuration and of the simulator's source code
  (:func:`cache_key`); a later run of another scenario with the same baseline reuses them.
  Runs side by side (a sweep's points under the joblib or Ray launcher) compute each once: a
  run computes a replication holding its lock (``rep_<i>.lock``, :mod:`sim.cache_lock`), and
  another that needs it computes other replications meanwhile and then reads it.
* ``replications=auto`` adds replications until the key differences are known precisely enough
  (:func:`precision_status`), in the style of Hoad, Robinson and Davies (2010): a minimum number,
  a look-ahead of :data:`LOOKAHEAD` replications once the target is met, and a budget.
* ``warmup_days=auto`` sets the warm-up with MSER-5 on pilot runs of the baseline
  (:mod:`sim.warmup`).

Each replication leaves a *record* (:func:`record`): JSON-ready headline, per-group summary and
a few series. Records are what the comparison and the report are computed from, so a report can
be rebuilt from files (``python -m sim.compare``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .cache_lock import CacheLock
from .config import GROUPS, SimConfig
from .executors import make_pool, stop as stop_pool, worker_count
from .figures import figures_for, key_figures, mean_ci, paired_ci, values
from .run_estimate import (duration_words, precision_words, replications_needed,
                           seconds_left)
from .output import atomic_write_text

SIM_DIR = Path(__file__).resolve().parent
BASELINE = "baseline"
LOOKAHEAD = 2
"""Replications the precision must keep holding for before ``auto`` stops (Hoad et al. use 5;
2 keeps a default comparison well under a minute; ``min_replications`` is the other guard)."""

CACHE_ENV = "SIM_BASELINE_CACHE"
"""Environment variable naming another baseline-cache folder (e.g. in tests)."""

RUN_CONTROL = ("progress", "event_log", "replications", "precision", "min_replications",
               "max_replications", "workers", "executor", "ray", "sensitivity", "overlap",
               "export", "start_date")
"""Configuration keys that do not change what one replication computes (left out of the key)."""

AUTO_WARMUP_PILOTS = 3
"""Pilot replications ``warmup_days=auto`` averages before applying MSER-5."""


# --------------------------------------------------------------------------- configurations
def is_baseline(cfg: SimConfig) -> bool:
    return cfg.scenario == BASELINE


IGNORED = "ignored_overrides"
"""Key of the baseline's description listing the overrides the baseline left out."""


def baseline_mechanisms() -> set[str]:
    """The mechanisms the baseline switches on (``conf/config.yaml`` and
    ``scenarios/baseline.yaml``; none today)."""
    import yaml

    from .configure import CONF_DIR, load_scenario

    conf = yaml.safe_load((CONF_DIR / "config.yaml").read_text(encoding="utf-8")) or {}
    return {*(conf.get("mechanisms") or {}), *load_scenario(BASELINE)["mechanisms"]}


def _mechanism_of(override: str) -> str | None:
    """``postponement`` for ``mechanisms.postponement.max_days=7`` (or ``++mechanisms...``)."""
    parts = override.split("=", 1)[0].lstrip("+~").split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "mechanisms" else None


def split_overrides(overrides: Sequence[str], scenario: str, used: set[str]
                    ) -> tuple[list[str], list[str]]:
    """The overrides for composing ``scenario`` instead of the one asked for, and those it leaves
    out: an override of a mechanism not in ``used`` would switch that mechanism on there, so it
    applies to the scenario asked for only. The scenario choice is replaced by ``scenario``."""
    kept, ignored = [], []
    for o in overrides:
        if o.split("=", 1)[0].lstrip("+~") == "scenario":
            continue
        m = _mechanism_of(o)
        (ignored if m is not None and m not in used else kept).append(o)
    return [*kept, f"scenario={scenario}"], [o.lstrip("+") for o in ignored]


def split_baseline_overrides(overrides: Sequence[str]) -> tuple[list[str], list[str]]:
    """The overrides for the baseline's composition, and those it leaves out: an override of a
    mechanism the baseline does not switch on applies to the scenario only (it would switch the
    mechanism on in the baseline too). The scenario choice is replaced by the baseline."""
    return split_overrides(overrides, BASELINE, baseline_mechanisms())


def baseline_overrides(overrides: Sequence[str]) -> list[str]:
    """The same command-line overrides with the scenario replaced by the baseline, without
    those of mechanisms the baseline does not use (:func:`split_baseline_overrides`)."""
    return split_baseline_overrides(overrides)[0]


def _noting_ignored(description: dict, ignored: list[str]) -> dict:
    return {**description, IGNORED: ignored} if ignored else description


def compose_comparison(overrides: Sequence[str]) -> tuple[SimConfig, dict, SimConfig, dict]:
    """Compose the scenario's and the baseline's configurations from the same overrides.

    The baseline's description lists under :data:`IGNORED` the overrides it left out.
    """
    from .configure import compose

    cfg, description = compose(list(overrides))
    if is_baseline(cfg):
        return cfg, description, cfg, description
    kept, ignored = split_baseline_overrides(overrides)
    base_cfg, base_description = compose(kept)
    return cfg, description, base_cfg, _noting_ignored(base_description, ignored)


def baseline_config(composed, task_overrides: Sequence[str]) -> tuple[SimConfig, dict]:
    """The baseline's configuration from a Hydra-composed configuration of the scenario.

    Equivalent to ``compose`` with ``scenario=baseline`` (composition differs only in the
    ``scenario`` key; the scenario's changes are merged after it), but usable inside a running
    Hydra task, where composing again would disturb Hydra's global state.
    """
    from omegaconf import DictConfig, OmegaConf

    from .configure import apply_scenario

    raw = OmegaConf.to_container(composed, resolve=True) if isinstance(composed, DictConfig) \
        else dict(composed)
    raw.pop("hydra", None)
    raw["scenario"] = BASELINE
    kept, ignored = split_baseline_overrides(task_overrides)
    for o in ignored:           # Hydra composed them into the mechanisms node: take them out
        (raw.get("mechanisms") or {}).pop(_mechanism_of(o), None)
    cfg, description = apply_scenario(raw, kept)
    return cfg, _noting_ignored(description, ignored)


def code_version(root: Path = SIM_DIR) -> str:
    """SHA-256 of the simulator's source files (every ``*.py`` under ``sim/``, sub-packages
    included, by relative path): changes with any code edit, committed or not."""
    h = hashlib.sha256()
    for rel in sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")):
        h.update(rel.encode())
        h.update((root / rel).read_bytes())
    return h.hexdigest()


def replication_config(cfg: SimConfig) -> dict:
    """The configuration as a plain dictionary without the keys that do not change results."""
    d = dataclasses.asdict(cfg)
    for k in RUN_CONTROL:
        d.pop(k, None)
    if cfg.jobcenter.is_composite:      # a country's results depend on its members' profiles
        from .national import profile_data

        d["member_profiles"] = {name: profile_data(name) for name in cfg.jobcenter.members}
    return d


def cache_key(cfg: SimConfig, version: str | None = None) -> str:
    """SHA-256 of the resolved configuration (JSON, sorted keys) and of the code version."""
    text = json.dumps(replication_config(cfg), sort_keys=True, default=str)
    h = hashlib.sha256(text.encode())
    h.update((version or code_version()).encode())
    return h.hexdigest()


def default_cache_dir() -> Path:
    """``$SIM_BASELINE_CACHE`` or ``outputs/.baseline_cache`` (beside Hydra's run folders)."""
    return Path(os.environ.get(CACHE_ENV) or Path("outputs") / ".baseline_cache")


def check_cache_dir(root: Path | str | None = None) -> None:
    """Fail in one line, before anything is simulated, when the baseline cache (``root``, by
    default :func:`default_cache_dir`) cannot be written."""
    from .output import writable_problem
    from .schema import ConfigError

    root = Path(root or default_cache_dir())
    problem = writable_problem(root)
    if problem:
        raise ConfigError(f"the baseline cache {root} cannot be written: {problem}; set "
                          f"{CACHE_ENV}=DIR to a writable folder")


# --------------------------------------------------------------------------- records
def _jsonable(x: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, NaN to None, tuples to lists."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if isinstance(x, float) and math.isnan(x):
        return None
    return x



def record(result) -> dict:
    """What one replication leaves behind, as JSON-ready data.

    ``headline`` and ``summary`` are :func:`sim.results.headline` and
    :func:`sim.results.group_summary`; ``series`` holds the weekly stocks (days from the start
    of the simulation, warm-up included), each caseworker pool's weekly utilisation, and the
    measured period's completed spell lengths, days to first offer and rehabilitation-team waits
    per group (days, one decimal).
    """
    from .results import group_summary, headline, weekly_utilisation

    c = result.counters
    summary = group_summary(result)
    stock_days = [d for d, _ in c.stock_samples]
    stock = {g: [s[i] for _, s in c.stock_samples] for i, g in enumerate(GROUPS)}
    utilisation = {}
    for name, pool in result.pools.items():
        if pool.staff_type == "caseworker" and pool.n > 0:
            weeks, shares = weekly_utilisation(pool)
            utilisation[name] = {"weeks": weeks, "percent": shares}

    def lists(attr):
        return {g: [round(x, 1) for x in getattr(c.groups[g], attr)] for g in GROUPS
                if getattr(c.groups[g], attr)}

    return _jsonable({
        "scenario": result.cfg.scenario,
        "replication": result.replication,
        "wall_seconds": result.wall_seconds,
        "headline": headline(result),
        "summary": summary.to_dict("records"),
        "series": {
            "warmup_days": result.cfg.warmup_days,
            "stock": {"days": stock_days, "by_group": stock},
            "utilisation": utilisation,
            "completed_spell_days": lists("completed_spell_days"),
            "first_offer_days": lists("first_offer_days"),
            "rehab_wait_days": lists("rehab_wait_days"),
        },
    })


def simulate_record(cfg: SimConfig, replication: int) -> dict:
    """Run replication ``replication`` of ``cfg`` and return its record (worker entry point)."""
    from .model import run

    return record(run(cfg, replication=replication))


# --------------------------------------------------------------------------- the cache
class BaselineCache:
    """Per-replication baseline records in ``<root>/<key>/rep_<i>.json``."""

    def __init__(self, root: Path | str, cfg: SimConfig, version: str | None = None):
        self.root = Path(root)
        self.key = cache_key(cfg, version)
        self.dir = self.root / self.key
        self._cfg = cfg

    def path(self, replication: int) -> Path:
        return self.dir / f"rep_{replication}.json"

    def load(self, replication: int) -> dict | None:
        """The cached record of ``replication``, or None (also for an unreadable file)."""
        try:
            rec = json.loads(self.path(replication).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return rec if rec.get("replication") == replication else None

    def save(self, rec: dict) -> None:
        """Store ``rec`` (atomically), and once the configuration it belongs to."""
        meta = self.dir / "config.json"
        if not meta.exists():
            atomic_write_text(meta, json.dumps(replication_config(self._cfg), indent=1,
                                               sort_keys=True, default=str))
        atomic_write_text(self.path(rec["replication"]), json.dumps(rec))

    def lock(self, replication: int | str) -> CacheLock:
        """The lock a process holds while it computes ``replication`` (or ``"warmup"``) for this
        key, so that processes side by side compute it once (:mod:`sim.cache_lock`)."""
        name = f"rep_{replication}" if isinstance(replication, int) else str(replication)
        return CacheLock(self.dir / f"{name}.lock")

    def load_warmup(self) -> dict | None:
        try:
            return json.loads((self.dir / "warmup.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_warmup(self, info: dict) -> None:
        atomic_write_text(self.dir / "warmup.json", json.dumps(info, indent=1))


# --------------------------------------------------------------------------- stopping rule
def precision_target(difference: float | None, level: float | None, precision: float) -> float:
    """The largest acceptable CI half-width of a difference (or of a mean, ``difference=None``).

    For a mean: ``precision x |mean|`` (relative precision, as in Hoad et al.). For a paired
    difference: ``precision x max(|difference|, precision x |baseline level|)``: a difference is
    to be known to within ``precision`` of its own size; a difference smaller than ``precision``
    of the baseline level counts as small, and is to be known to within ``precision`` of that
    threshold (0.25% of the baseline level at the default 5%), so a near-zero effect does not
    demand endless replications. A difference of exactly zero in every replication has a
    half-width of zero and always meets its target.
    """
    if difference is None:
        return precision * abs(level or 0.0)
    return precision * max(abs(difference), precision * abs(level or 0.0))


def precision_status(scenario: Sequence[dict], baseline: Sequence[dict] | None,
                     precision: float) -> list[dict]:
    """For each key figure: replications, CI half-width, target, met (True/False).

    ``baseline=None`` (the scenario is the baseline): the target is on the mean itself. A key
    figure that no replication (no pair of replications) holds is left out: records written
    before the figure existed cannot stop the rule, nor hold it up for ever. The key figures
    are those of :func:`sim.figures.key_figures`: operating cost, required work (whose change is
    capacity freed; staff time used in records without it), talks held, the on-time share.
    """
    out = []
    for fig in key_figures(scenario[0]):
        s = values(fig, scenario)
        if baseline is None:
            m = mean_ci(s)
            if m.n == 0:
                continue
            hw, est, level = m.half_width, None, m.mean
        else:
            p = paired_ci(s, values(fig, baseline))
            if p.difference.n == 0:
                continue
            hw, est, level = p.difference.half_width, p.difference.mean, p.baseline.mean
        target = precision_target(est, level, precision)
        met = hw is not None and (hw == 0.0 or hw <= target)
        out.append({"figure": fig.id, "label": fig.label, "unit": fig.unit, "kind": fig.kind,
                    "estimate": est if baseline is not None else level, "half_width": hw,
                    "target": target, "met": met})
    return out


@dataclass
class Stopping:
    """How many replications were run and why."""

    setting: Any                      # the ``replications`` value: a number or "auto"
    replications: int = 0
    reason: str = ""
    converged_at: int | None = None   # auto: first n of the final run of met targets
    status: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)   # per n: all met?

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _stop_auto(n: int, all_met: bool, state: Stopping, n_min: int, n_max: int) -> bool:
    """One step of the sequential procedure at ``n`` replications; True to stop."""
    if all_met:
        if state.converged_at is None:
            state.converged_at = n
        if n - state.converged_at >= LOOKAHEAD:
            state.reason = (f"the precision target was met at {state.converged_at} replications "
                            f"and still held after {LOOKAHEAD} more (look-ahead)")
            return True
    else:
        state.converged_at = None
    if n >= n_max:
        if state.converged_at is not None:
            state.reason = (f"the precision target was met at {state.converged_at} replications; "
                            f"the budget of {n_max} replications ended the look-ahead")
        else:
            unmet = [s["label"] for s in state.status if not s["met"]]
            state.reason = (f"the budget of {n_max} replications was reached before the "
                            f"precision target was met for: {'; '.join(unmet)}")
        return True
    return False


def stopping_decision(cfg: SimConfig, scenario: Sequence[dict],
                      baseline: Sequence[dict] | None, state: Stopping | None = None) -> Stopping:
    """Apply the stopping rule to replications ``1..len(scenario)`` in order.

    Returns the decision at the first ``n`` where the rule stops (``state.replications``),
    or at ``len(scenario)`` when it does not stop yet (``state.reason`` empty).
    """
    state = state or Stopping(cfg.replications)
    n_done = len(scenario)
    start = len(state.history) + 1
    for n in range(start, n_done + 1):
        if cfg.replications != "auto":
            state.replications = n
            if n >= cfg.replications:
                state.reason = f"the number of replications was set to {cfg.replications}"
                return state
            continue
        n_min = max(cfg.min_replications, 2)
        n_max = max(cfg.max_replications, n_min)
        state.replications = n
        if n < 2:
            state.history.append({"n": n, "met": False})
            if n >= n_max:
                state.reason = "the budget allows one replication only"
                return state
            continue
        state.status = precision_status(scenario[:n], None if baseline is None
                                        else baseline[:n], cfg.precision)
        all_met = all(s["met"] for s in state.status)
        state.history.append({"n": n, "met": all_met,
                              "half_widths": {s["figure"]: s["half_width"] for s in state.status}})
        if n < n_min:
            if n >= n_max:
                return state
            continue
        if _stop_auto(n, all_met, state, n_min, n_max):
            return state
    return state


# --------------------------------------------------------------------------- warm-up
def resolve_warmup(cfg: SimConfig, base_cfg: SimConfig, cache_root: Path | None,
                   log: Callable[[str], None]) -> tuple[SimConfig, SimConfig, dict]:
    """Replace ``warmup_days=auto`` by the MSER-5 choice on pilot runs of the baseline."""
    if cfg.warmup_days != "auto":
        return cfg, base_cfg, {"days": cfg.warmup_days, "method": "fixed",
                               "setting": cfg.warmup_days}
    from .warmup import PILOT_DAYS, auto_warmup

    cache = BaselineCache(cache_root, base_cfg) if cache_root is not None else None
    info = cache.load_warmup() if cache else None
    lock = cache.lock("warmup") if cache and info is None else None
    try:
        if lock is not None and lock.acquire():     # another process may be choosing it
            info = cache.load_warmup()
        if info is None:
            log(f"warm-up: MSER-5 on {AUTO_WARMUP_PILOTS} pilot runs of the baseline "
                f"({PILOT_DAYS} days each)")
            choice = auto_warmup(base_cfg, replications=AUTO_WARMUP_PILOTS, days=PILOT_DAYS)
            info = {"days": choice.days, "method": f"{choice.method} on the average of "
                    f"{AUTO_WARMUP_PILOTS} pilot runs of the baseline ({choice.pilot_days} days "
                    "each)", "setting": "auto", "deciding_series": choice.deciding_series,
                    "per_series": choice.per_series}
            if cache:
                cache.save_warmup(info)
    finally:
        if lock is not None:
            lock.release()
    days = int(info["days"])
    log(f"warm-up: {days} days ({info['method']})")
    return (dataclasses.replace(cfg, warmup_days=days),
            dataclasses.replace(base_cfg, warmup_days=days), info)


# --------------------------------------------------------------------------- the experiment
@dataclass
class Experiment:
    """A finished experiment: the records of both sides and how they came about."""

    cfg: SimConfig
    description: dict
    base_cfg: SimConfig
    base_description: dict
    scenario_records: list[dict]
    baseline_records: list[dict]
    first_result: Any                       # RunResult of the scenario's replication 0 (None
                                            # for a country)
    stopping: Stopping
    warmup: dict
    cache: dict
    workers: int
    wall_seconds: float

    @property
    def is_baseline(self) -> bool:
        return is_baseline(self.cfg)

    @property
    def replications(self) -> int:
        return len(self.scenario_records)

    @property
    def is_country(self) -> bool:
        """A national (composite) experiment: its records are countries', and it has no single
        jobcenter's first replication (``first_result`` is None)."""
        return self.cfg.jobcenter.is_composite

    @property
    def baseline_ignored(self) -> list[str]:
        """Command-line overrides applied to the scenario only (mechanisms the baseline does not
        use)."""
        return [] if self.is_baseline else list(self.base_description.get(IGNORED) or [])

    def info(self) -> dict:
        """What ``run_info.json`` records about the experiment."""
        return {
            "replications": self.replications,
            "replications_setting": self.stopping.setting,
            "stopping": self.stopping.as_dict(),
            "precision": self.cfg.precision,
            "min_replications": self.cfg.min_replications,
            "max_replications": self.cfg.max_replications,
            "lookahead": LOOKAHEAD,
            "warmup": self.warmup,
            "warmup_days": self.cfg.warmup_days,
            "horizon_days": self.cfg.horizon_days,
            "baseline_scenario": BASELINE,
            "baseline_is_scenario": self.is_baseline,
            "baseline_ignored_overrides": self.baseline_ignored,
            "baseline_cache": self.cache,
            "workers": self.workers,
            "experiment_wall_seconds": self.wall_seconds,
            "replication_wall_seconds": {
                "scenario": [r.get("wall_seconds") for r in self.scenario_records],
                "baseline": [r.get("wall_seconds") for r in self.baseline_records],
            },
        }


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_experiment(cfg: SimConfig, description: dict, base_cfg: SimConfig | None = None,
                   base_description: dict | None = None, *,
                   cache_dir: Path | str | None | bool = None, workers: int | None = None,
                   log: Callable[[str], None] | None = _stderr,
                   progress_factory: Callable[[str], Callable[[float], None]] | None = None,
                   label: str | None = None) -> Experiment:
    """Run the scenario ``cfg`` and its baseline ``base_cfg`` replication by replication.

    ``cache_dir``: the baseline cache's root (None: :func:`default_cache_dir`; False: no
    cache). ``workers``: processes (None: ``cfg.workers``; 1 runs in this process). The records
    do not depend on ``workers``: replications run in batches, but the stopping rule is applied
    one replication at a time and the records beyond its stop are dropped. ``label`` names the
    experiment in the progress lines (default: scenario / jobcenter profile).
    """
    t0 = time.perf_counter()
    log = log or (lambda _m: None)
    base_cfg = base_cfg or cfg
    base_description = base_description if base_description is not None else description
    same = is_baseline(cfg)
    if same:
        base_cfg, base_description = cfg, description
    cache_root = None if cache_dir is False else Path(cache_dir or default_cache_dir())
    cfg, base_cfg, warmup = resolve_warmup(cfg, base_cfg, cache_root, log)
    if same:
        base_cfg = cfg
    quiet = dataclasses.replace(cfg, event_log=False, progress=False)
    base_quiet = dataclasses.replace(base_cfg, event_log=False, progress=False)
    cache = BaselineCache(cache_root, base_quiet) if cache_root is not None else None
    n_workers = worker_count(cfg, workers)
    label = label or f"{cfg.scenario} / {cfg.jobcenter.name}"
    budget = cfg.replications if cfg.replications != "auto" else max(cfg.max_replications, 1)

    scen: list[dict] = []
    base: list[dict] = []
    from_cache: set[int] = set()
    made_here: set[int] = set()     # baseline replications this process cached ahead while it
                                    # waited for another's: found in the cache, but not reused
    held: dict[int, CacheLock] = {}     # baseline replications this process is computing
    first_result = None
    state = Stopping(cfg.replications)
    pool = None                     # made on first need (sim.executors.make_pool)

    country = cfg.jobcenter.is_composite

    def cached(i: int) -> dict | None:
        # replication 0 of a jobcenter is always simulated in full (its event log, metrics)
        if cache is None or (same and i == 0 and not country):
            return None
        return cache.load(i)

    def simulate_baseline(i: int) -> dict:
        nonlocal pool
        if country:
            pool = pool or make_pool(cfg, n_workers)
            return _country_replication(i, base_quiet, base_quiet, True, {}, pool, label,
                                        None)["s"]
        return simulate_record(base_quiet, i)

    def claim(reps: list[int], hits: dict[int, dict]) -> set[int]:
        """Lock the baseline replications of ``reps`` this process is to compute for the cache
        (into ``held``; those found cached meanwhile go into ``hits``); returns those another
        process side by side is computing, to be read from the cache once it is done."""
        elsewhere = set()
        for i in reps:
            if cache is None or i in hits:
                continue
            full = same and i == 0 and not country      # simulated here in any case
            lock = cache.lock(i)
            if not lock.acquire(blocking=False):
                if not full:
                    elsewhere.add(i)
                continue
            held[i] = lock
            rec = None if full else cache.load(i)       # written by one that has just let go
            if rec is not None:
                hits[i] = rec
                held.pop(i).release()
        return elsewhere

    def help_ahead(ahead: range) -> bool:
        """Compute, for the cache, one baseline replication of ``ahead`` that is neither cached
        nor being computed; False if there is none."""
        for j in ahead:
            if j in made_here or cache.path(j).exists():
                continue
            lock = cache.lock(j)
            if not lock.acquire(blocking=False):
                continue
            try:
                if cache.load(j) is None:
                    cache.save(simulate_baseline(j))
                    made_here.add(j)
                    return True
            finally:
                lock.release()
        return False

    def wait_for(i: int, ahead: range) -> tuple[dict, bool]:
        """Baseline replication ``i``, which another process was computing: ``(its cached
        record, True)`` once that process lets go of it, or ``(this process's own, False)`` if
        it left none (it was interrupted). Meanwhile this process computes replications
        ``ahead`` for the cache. It waits holding no lock of its own."""
        lock = cache.lock(i)
        try:
            while not lock.acquire(blocking=False):
                if not help_ahead(ahead):
                    lock.acquire()
            rec = cache.load(i)
            if rec is not None:
                return rec, True
            rec = simulate_baseline(i)
            cache.save(rec)
            return rec, False
        finally:
            lock.release()

    try:
        while len(scen) < budget:
            i0 = len(scen)
            hit = cached(i0)
            jobs_per_rep = (0 if hit is not None else 1) if same else (1 if hit else 2)
            batch = max(1, n_workers // max(jobs_per_rep, 1)) if n_workers > 1 else 1
            if country:           # its jobcenters fill the workers: one replication at a time
                batch = 1
            reps = list(range(i0, min(budget, i0 + batch)))
            hits = {i: cached(i) for i in reps}
            hits = {i: r for i, r in hits.items() if r is not None}
            elsewhere = claim(reps, hits)
            skip = {**hits, **dict.fromkeys(elsewhere)}     # not computed here: filled in below
            if country:
                pool = pool or make_pool(cfg, n_workers)
                new = _country_replication(reps[0], quiet, base_quiet, same, skip, pool, label,
                                           progress_factory if cfg.progress else None)
                new_scen = {reps[0]: new.get("s") or skip.get(reps[0])}
                new_base = new_scen if same else {reps[0]: new.get("b") or skip.get(reps[0])}
            else:
                pool, new_scen, new_base, result0 = _jobcenter_batch(
                    reps, cfg, quiet, base_quiet, same, skip, pool, n_workers, label,
                    progress_factory)
                if result0 is not None:
                    first_result = result0
            for i in reps:      # this process's records for the cache, saved before it waits
                if i not in skip and cache is not None:
                    rec = new_scen[i] if same else new_base[i]
                    if same and i == 0 and not country:      # as the quiet runs record it
                        rec = dict(rec, headline={**rec["headline"], "event_log_rows": 0})
                    cache.save(rec)
                if i in held:
                    held.pop(i).release()
            for i in sorted(elsewhere):     # holding no lock now: no two processes wait in a ring
                rec, theirs = wait_for(i, range(reps[-1] + 1, budget))
                (new_scen if same else new_base)[i] = rec
                if theirs:
                    hits[i] = rec
            for i in reps:
                scen.append(new_scen[i])
                base.append(new_scen[i] if same else new_base[i])
                if i in hits and i not in made_here:
                    from_cache.add(i)
            state = stopping_decision(cfg, scen, None if same else base, state)
            shown = reps[:state.replications - i0] if state.reason else reps
            for i in shown:
                _log_replication(log, label, cfg, i, scen[i], None if same else base[i],
                                 i in from_cache, state, same, time.perf_counter() - t0)
            if state.reason:
                del scen[state.replications:]
                del base[state.replications:]
                break
    except KeyboardInterrupt:
        if pool is not None:
            stop_pool(pool)
        raise
    finally:
        for lock in held.values():
            lock.release()
        if pool is not None:
            pool.shutdown()
    reused = len([i for i in from_cache if i < len(scen)])
    if not state.reason:
        state.reason = f"the number of replications was set to {budget}"
        state.replications = len(scen)
    log(f"{label}: {len(scen)} replication{'s' if len(scen) != 1 else ''}: {state.reason}")
    cache_info = {"dir": str(cache.dir) if cache else None, "key": cache.key if cache else None,
                  "reused": reused, "simulated": len(scen) - reused}
    return Experiment(cfg, description, base_cfg, base_description, scen, base, first_result,
                      state, warmup, cache_info, n_workers, time.perf_counter() - t0)


def _jobcenter_batch(reps: list[int], cfg: SimConfig, quiet: SimConfig, base_quiet: SimConfig,
                     same: bool, hits: dict[int, dict], pool, n_workers: int, label: str,
                     progress_factory) -> tuple[Any, dict, dict, Any]:
    """Replications ``reps`` of a jobcenter on the sides not in the cache: ``(pool, scenario
    records, baseline records, RunResult of replication 0 or None)``. Replication 0 of the
    scenario runs in this process with its progress bar and event log; the others run in the
    pool (made here on first need) when there is more than one worker."""
    futures = {}
    for i in reps:
        jobs = []
        if i > 0 and not (same and i in hits):
            jobs.append(("s", quiet))
        if not same and i not in hits:
            jobs.append(("b", base_quiet))
        for side, c in jobs:
            if n_workers > 1:
                pool = pool or make_pool(cfg, n_workers)
                futures[(side, i)] = pool.submit(simulate_record, c, i)
    new_scen, new_base = {}, {}
    first_result = None
    for i in reps:
        if i == 0:
            from .model import run

            bar = progress_factory(f"{label}, replication 1") \
                if progress_factory and cfg.progress else None
            first_result = run(cfg, replication=0, progress=bar)
            new_scen[0] = record(first_result)
        elif same and i in hits:
            new_scen[i] = hits[i]
        elif ("s", i) not in futures:
            new_scen[i] = simulate_record(quiet, i)
        if not same:
            if i in hits:
                new_base[i] = hits[i]
            elif ("b", i) not in futures:
                new_base[i] = simulate_record(base_quiet, i)
    for (side, i), fut in futures.items():
        (new_scen if side == "s" else new_base)[i] = fut.result()
    return pool, new_scen, new_base, first_result


def _country_replication(i: int, cfg: SimConfig, base_cfg: SimConfig, same: bool,
                         hits: dict[int, dict], pool, label: str,
                         progress_factory: Callable[[str], Callable[[float], None]] | None
                         ) -> dict[str, dict]:
    """Replication ``i`` of a country on the sides not in the cache (``hits``): ``{"s": ...,
    "b": ...}``, every jobcenter of both sides in one pool (:func:`sim.national.
    simulate_countries`), with one progress bar over them."""
    from .national import simulate_countries

    jobs = []
    if not (same and i in hits):
        jobs.append(("s", cfg, i))
    if not same and i not in hits:
        jobs.append(("b", base_cfg, i))
    if not jobs:
        return {}
    bar = progress_factory(f"{label}, replication {i + 1}") if progress_factory else None
    return simulate_countries(jobs, pool, bar)


def _log_replication(log, label, cfg, i, srec, brec, cached, state, same,
                     elapsed: float | None = None) -> None:
    """One line on stderr per replication: run times, the replications and time still to go
    (an estimate with ``auto``), and for ``auto`` the precision so far in plain words."""
    n = i + 1
    auto = cfg.replications == "auto"
    n_min = max(cfg.min_replications, 2)
    n_max = max(cfg.max_replications, n_min)
    # the estimate rests on the stopping rule's state, which is that of the batch's last
    # replication: shown on that replication's line only
    latest = n == len(state.history) or not auto
    total = replications_needed(cfg.replications, n, state.status if auto else [],
                                state.converged_at, n_min if auto else n, n_max, LOOKAHEAD)
    if state.reason:
        total = state.replications
    text = f"{label}: replication {n}"
    if not auto:
        text += f" of {cfg.replications}"
    elif state.reason:
        text += f" of {total} (auto)"
    elif latest:
        text += f" of about {total} (auto, at most {cfg.max_replications})"
    else:
        text += f" (auto, at most {cfg.max_replications})"
    if same and cached:
        text += ": from the cache"
    else:
        text += f": {srec.get('wall_seconds', 0):.1f} s"
    if brec is not None:
        text += ", baseline " + ("from the cache" if cached else
                                 f"{brec.get('wall_seconds', 0):.1f} s")
    if elapsed is not None and latest and total > n and not state.reason:
        text += (f"; {total - n} more to go, {duration_words(seconds_left(elapsed, n, total))} "
                 "left" + (" (an estimate from the precision so far)" if auto else ""))
    if auto and n == len(state.history) and state.status \
            and state.history[-1].get("half_widths") is not None:
        text += "; precision: " + ", ".join(precision_words(s) for s in state.status)
    log(text)


# --------------------------------------------------------------------------- files
def write_records(run_dir: Path, exp: Experiment) -> None:
    """``replications/scenario/rep_<i>.json`` (and ``replications/baseline/...``)."""
    run_dir = Path(run_dir)
    sides = [("scenario", exp.scenario_records)]
    if not exp.is_baseline:
        sides.append(("baseline", exp.baseline_records))
    for side, recs in sides:
        for rec in recs:
            atomic_write_text(run_dir / "replications" / side / f"rep_{rec['replication']}.json",
                              json.dumps(rec))


def replications_frame(exp_or_records, baseline_records=None, is_base: bool = False):
    """One row per side and replication with every reported figure (wide table)."""
    import pandas as pd

    if isinstance(exp_or_records, Experiment):
        scen, base, is_base = (exp_or_records.scenario_records, exp_or_records.baseline_records,
                               exp_or_records.is_baseline)
    else:
        scen, base = exp_or_records, baseline_records or []
    figs = figures_for((base or scen)[0])
    rows = []
    sides = [("scenario", scen)] + ([] if is_base else [("baseline", base)])
    for side, recs in sides:
        for rec in recs:
            row = {"side": side, "scenario": rec["scenario"], "replication": rec["replication"]}
            for f in figs:
                row[f.id] = values(f, [rec])[0]
            rows.append(row)
    return pd.DataFrame(rows)


def write_experiment(run_dir: Path, exp: Experiment, write_report: bool = True,
                     sensitivity=None, overlap=None) -> dict:
    """Write the run directory of an experiment; returns the metrics of replication 0.

    Replication 0 of the scenario gives ``metrics.json``, ``summary.csv`` and
    ``events.parquet`` as a single run always has; the experiment adds the per-replication
    records, ``replications.csv``, ``comparison.csv``, ``sensitivity.csv`` (the table
    ``sensitivity`` of :func:`sim.sensitivity.run_sensitivity`, when given), ``overlap.csv``
    (a composite's :func:`sim.overlap.run_overlap`, when given) and the comparison report.
    """
    from .figures import comparison_table
    from .output import atomic_write, write_run
    from .overlap import write_overlap
    from .sensitivity import write_sensitivity

    run_dir = Path(run_dir)
    if exp.is_country:          # no single jobcenter's first replication to write in detail
        from .national_output import write_country

        single = False
        metrics = write_country(run_dir, exp)
    else:
        single = exp.replications == 1 and exp.is_baseline
        metrics = write_run(run_dir, exp.first_result, exp.description, extra_info=exp.info(),
                            report=single)
    write_records(run_dir, exp)
    frame = replications_frame(exp)
    atomic_write(run_dir / "replications.csv", lambda p: frame.to_csv(p, index=False))
    table = comparison_table(exp.scenario_records, exp.baseline_records)
    atomic_write(run_dir / "comparison.csv", lambda p: table.to_csv(p, index=False))
    write_sensitivity(run_dir, sensitivity)
    write_overlap(run_dir, overlap)
    if write_report and not single:
        from .compare import RunData, build_report

        build_report([RunData.from_experiment(exp, run_dir)], run_dir)
    return metrics


def summary_lines(exp: Experiment, sensitivity=None) -> list[str]:
    """A few lines for the terminal: replications, warm-up, capacity freed (where the records
    hold required work), the key differences and, given the table of
    :func:`sim.sensitivity.run_sensitivity`, the sensitivity line."""
    from .comparison_report import (fmt_ci, fmt_diff, fmt_money, fmt_value, ignored_text,
                                    sensitivity_line)
    from .figures import capacity_freed, comparison_table

    n = exp.replications
    lines = [f"{n} replication{'s' if n != 1 else ''} ({exp.stopping.reason}); warm-up "
             f"{exp.cfg.warmup_days} days; baseline replications reused from the cache: "
             f"{exp.cache.get('reused', 0)}"]
    if exp.baseline_ignored:
        lines.append(ignored_text(exp.baseline_ignored, quote=""))
    table = comparison_table(exp.scenario_records, exp.baseline_records)
    kinds = {f.id: (f.kind, f.unit) for f in figures_for(exp.baseline_records[0])}
    freed = None if exp.is_baseline else capacity_freed(exp.scenario_records,
                                                        exp.baseline_records)
    if freed is not None and freed["fte"].mean is not None:
        f, m = freed["fte"], freed["dkk"]
        ci = fmt_ci("fte", "FTE", f.low, f.high)
        what = "Capacity freed" if f.mean >= 0 else "Capacity freed: none; required work added"
        lines.append(f"  {what}: {abs(f.mean):,.2f} FTE"
                     + (f" (95% CI {ci})" if ci != "–" else "")
                     + (f", worth {fmt_money(m.mean)} a year at the wage cost per hour"
                        if m.mean is not None else ""))
    shown = ["operating_cost", "benefit_dkk", "required_work_fte", "elastic_work_fte", "staff_time_used_fte",
             "talks_held", "on_time_share"]
    for _, r in table[table["figure"].isin(shown)].iterrows():
        kind, unit = kinds[r["figure"]]
        if exp.is_baseline:
            lines.append(f"  {r['label']}: {fmt_value(kind, unit, r['baseline_mean'])}")
            continue
        ci = fmt_ci(kind, unit, r["ci_low"], r["ci_high"])
        lines.append(f"  {r['label']}: {fmt_value(kind, unit, r['baseline_mean'])} -> "
                     f"{fmt_value(kind, unit, r['scenario_mean'])}, difference "
                     f"{fmt_diff(kind, unit, r['difference'])}"
                     + (f" (95% CI {ci})" if ci != "–" else ""))
    if sensitivity is not None:
        lines.append("  " + sensitivity_line(sensitivity, markup=False))
    return lines
