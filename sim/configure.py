"""From command line to a validated :class:`SimConfig`: Hydra composition, scenario, overrides.

Order of precedence (last wins): ``conf/`` defaults and the chosen jobcenter/rules/model files,
the scenario's ``changes`` and ``mechanisms``, then the command-line overrides. Every failure is
a :class:`ConfigError` with a one-line message; a path that moved to a mechanism (:data:`MOVED`)
names its new place.
"""
from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from .config import GROUPS, SimConfig, load
from .schema import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = PROJECT_ROOT / "conf"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
CONFIG_GROUPS = ("jobcenter", "rules", "model")
SCENARIO_KEYS = ("description", "mechanisms", "changes")
MECHANISMS = "mechanisms"

MOVED = {
    # old path (and everything under it) -> (new path, why it moved if the path does not say)
    "model.postponement": ("mechanisms.postponement", ""),
    "model.caseload.shared_groups": ("mechanisms.shared_caseload.groups", ""),
    "model.caseload.shared_talk_minutes_saved": ("mechanisms.shared_caseload.talk_minutes_saved",
                                                 ""),
    "model.caseload": ("mechanisms.shared_caseload", ""),
    "model.talks.booked_by": ("mechanisms.central_booking", "booking by others than the "
                              "caseworker is the central_booking mechanism"),
}
MOVED.update({
    f"model.groups.{g}.planned_interval_share": (
        f"model.groups.{g}.extra_talks",
        "mandated talks are booked at the deadline less model.talks.booking_margin_days, and "
        "talks beyond the legal minimum are extra talks (docs/time_budget.md)")
    for g in GROUPS})
"""Configuration paths that moved (to a mechanism, ``sim/mechanisms/``, or elsewhere), for
one-line errors."""


def options(group: str) -> list[str]:
    """Names of the YAML files of a config group (``jobcenter``, ``rules``, ``model``)."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def scenarios() -> list[str]:
    """Names of the scenarios in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def _unknown(kind: str, name: str, valid: list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return ConfigError(f"unknown {kind} '{name}'{hint}; valid {kind}s: {', '.join(valid)}")


def moved(key: str) -> str | None:
    """The error message for an old configuration path (see :data:`MOVED`), or None."""
    key = key.lstrip("+~")
    parts = key.split(".")
    for i in range(len(parts), 0, -1):             # the longest old path that ``key`` is under
        if ".".join(parts[:i]) in MOVED:
            new, why = MOVED[".".join(parts[:i])]
            return (f"'{key}' has moved to '{'.'.join([new, *parts[i:]])}'"
                    + (f": {why}" if why else ""))
    return None


def check_moved(keys: list[str], where: str = "") -> None:
    """Fail in one line on the first key that uses an old path, naming the new one."""
    for key in keys:
        message = moved(key)
        if message:
            raise ConfigError(where + message)


def _leaf_paths(tree: dict, prefix: str = "") -> list[str]:
    """Dotted paths of the leaves of a nested mapping (an empty mapping counts as a leaf)."""
    out = []
    for k, v in tree.items():
        path = f"{prefix}{k}"
        out += _leaf_paths(v, path + ".") if isinstance(v, dict) and v else [path]
    return out


def read_yaml(path: Path, what: str = "file") -> Any:
    """The parsed YAML file ``path`` (an empty file gives ``{}``); a syntax error is a one-line
    ConfigError naming the file, the line and the column (counted from 1) and the problem."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) \
            or str(exc).strip().splitlines()[0]
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{what} {path.name} is not valid YAML{where}: {problem}") from None


def scenario_titles() -> dict[str, str]:
    """Each scenario's name and the title in its description (for ``--help`` and ``list``); a
    file that cannot be read gets the reason instead of a title."""
    titles = {}
    for name in scenarios():
        try:
            data = read_yaml(SCENARIO_DIR / f"{name}.yaml", "scenario file")
        except (ConfigError, OSError) as exc:
            titles[name] = f"(cannot be read: {exc})"
            continue
        description = data.get("description") if isinstance(data, dict) else None
        title = description.get("title") if isinstance(description, dict) else None
        titles[name] = " ".join(str(title).split()) if title else ""
    return titles


def load_scenario(name: str) -> dict[str, Any]:
    """The scenario file as a dictionary with ``description``, ``mechanisms`` and ``changes``."""
    valid = scenarios()
    if name not in valid:
        raise _unknown("scenario", str(name), valid)
    path = SCENARIO_DIR / f"{name}.yaml"
    data = read_yaml(path, "scenario file")
    if not isinstance(data, dict):
        raise ConfigError(f"scenario file {path.name} must hold a mapping")
    for key in data:
        if key not in SCENARIO_KEYS:
            raise ConfigError(
                f"unknown key '{key}' in scenario {name}; valid keys: {', '.join(SCENARIO_KEYS)}")
    changes = data.get("changes") or {}
    if not isinstance(changes, dict):
        raise ConfigError(f"'changes' in scenario {name} must be a mapping")
    mechanisms = data.get("mechanisms") or {}
    if not isinstance(mechanisms, dict):
        raise ConfigError(f"'mechanisms' in scenario {name} must be a mapping of mechanism names "
                          "to their settings")
    check_moved(_leaf_paths(changes), f"scenario {name}, changes: ")
    return {"description": data.get("description") or {}, "mechanisms": mechanisms,
            "changes": changes}


def parse_overrides(overrides: list[str]) -> list[tuple[str, Any]]:
    """(key, value) pairs of plain ``key=value`` command-line overrides."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(overrides)
    except Exception as exc:  # hydra's grammar errors carry multi-line messages
        raise ConfigError(f"cannot read the override(s) {' '.join(overrides)}: "
                          + str(exc).strip().splitlines()[0])
    return [(o.key_or_group, o.value()) for o in parsed]


def hydra_overrides(overrides: list[str]) -> list[str]:
    """The overrides as Hydra is to read them: ``mechanisms.<name>.<key>=v`` becomes
    ``++mechanisms.<name>.<key>=v``, since ``mechanisms`` is empty in ``conf/`` and Hydra refuses
    to add keys to it otherwise (the registry checks them instead, :func:`check_key`)."""
    return ["++" + o if o.startswith(MECHANISMS + ".") else o for o in overrides]


def check_group_choices(pairs: list[tuple[str, Any]]) -> None:
    """Fail early, in one line, on an unknown jobcenter, rulebook, model or scenario name."""
    for key, value in pairs:
        if key in CONFIG_GROUPS and str(value) not in options(key):
            kind = {"jobcenter": "jobcenter profile", "rules": "rulebook"}.get(key, key)
            raise _unknown(kind, str(value), options(key))
        if key == "scenario":
            load_scenario(str(value))


def apply_scenario(composed: DictConfig | dict, task_overrides: list[str]) -> tuple[SimConfig, dict]:
    """Merge the scenario and then the command-line overrides into the composed config.

    Returns the validated config and the scenario's description.
    """
    base = OmegaConf.create(composed if isinstance(composed, dict) else
                            OmegaConf.to_container(composed, resolve=True))
    base.pop("hydra", None)
    OmegaConf.set_struct(base, False)
    scenario = load_scenario(str(base.get("scenario", "baseline")))
    merged = OmegaConf.merge(base, OmegaConf.create(scenario["changes"]),
                             OmegaConf.create({"mechanisms": scenario["mechanisms"]}))
    for key, value in parse_overrides([o for o in task_overrides if not o.startswith("hydra")]):
        if key in CONFIG_GROUPS or key == "scenario":
            continue
        OmegaConf.update(merged, key, value, merge=True, force_add=True)
    raw = OmegaConf.to_container(merged, resolve=True)
    return load(raw), scenario["description"]


def compose(overrides: list[str]) -> tuple[SimConfig, dict]:
    """Compose ``conf/`` with Hydra's API and build the validated config (no run directory)."""
    from hydra import compose as hydra_compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    plain = [o for o in overrides if not o.startswith("hydra.")]
    pairs = parse_overrides(plain)
    check_moved([k for k, _ in pairs])
    check_group_choices(pairs)
    choices = [o for o, (k, _) in zip(plain, pairs) if k in CONFIG_GROUPS]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            defaults = hydra_compose(config_name="config", overrides=choices)
            for key, _ in pairs:
                if key not in CONFIG_GROUPS and not key.startswith(("+", "~")):
                    check_key(defaults, key)
            cfg = hydra_compose(config_name="config", overrides=hydra_overrides(plain))
    except ConfigError:
        raise
    except Exception as exc:
        raise _compose_error(exc, plain) from None
    finally:
        GlobalHydra.instance().clear()
    return apply_scenario(cfg, plain)


def check_key(cfg: DictConfig, key: str) -> None:
    """Fail in one line when dotted ``key`` does not exist, naming the valid keys at its level.

    Keys under ``mechanisms.`` are checked against the mechanism registry instead
    (:func:`check_mechanism_key`).
    """
    if key.startswith(MECHANISMS + "."):
        return check_mechanism_key(key)
    node: Any = cfg
    path = []
    for part in key.split("."):
        if not isinstance(node, DictConfig):
            raise ConfigError(f"'{'.'.join(path)}' has no sub-keys; cannot set '{key}'")
        if part not in node:
            valid = [str(k) for k in node.keys() if str(k) != "hydra"]
            close = difflib.get_close_matches(part, valid, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            where = ".".join([*path, part])
            raise ConfigError(f"unknown key '{where}'{hint}; valid keys here: {', '.join(valid)}")
        node = node[part]
        path.append(part)


def check_mechanism_key(key: str) -> None:
    """Fail in one line on an unknown mechanism or an unknown key of its ``Config``."""
    from .mechanisms import config_class

    name, *rest = key.split(".")[1:]
    try:
        cls = config_class(name)         # a ConfigError naming the valid mechanisms if unknown
    except ImportError:
        raise ConfigError(f"mechanism '{MECHANISMS}.{name}' is registered but not available "
                          "yet (sim/mechanisms/ has no module for it)") from None
    valid = [f.name for f in dataclasses.fields(cls)]
    if rest and rest[0] not in valid:
        close = difflib.get_close_matches(rest[0], valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"unknown key '{MECHANISMS}.{name}.{rest[0]}'{hint}; valid keys of "
                          f"mechanism {name}: {', '.join(valid)}")


def check_keys_only(args: list[str]) -> None:
    """What can be checked of arguments not composed here (a ``-m`` sweep): old paths and the
    keys of mechanisms (their values are checked when each run is composed)."""
    keys = [a.split("=", 1)[0].lstrip("+~") for a in args if not a.startswith("-")]
    check_moved(keys)
    for key in keys:
        if key.startswith(MECHANISMS + "."):
            check_mechanism_key(key)


def _compose_error(exc: Exception, overrides: list[str]) -> ConfigError:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "Could not override" in first or "not in struct" in text:
        key = first.split("'")[1] if "'" in first else first
        top = ["scenario", "seed", "horizon_days", "warmup_days", "event_log", "progress",
               "replications", "precision", "min_replications", "max_replications", "workers",
               MECHANISMS, *CONFIG_GROUPS]
        leaf = key.split(".")[-1]
        close = difflib.get_close_matches(leaf, top, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close and "." not in key else ""
        return ConfigError(f"unknown key '{key}'{hint}; top-level keys: {', '.join(top)}; "
                           "nested keys are listed in conf/")
    return ConfigError(first)
