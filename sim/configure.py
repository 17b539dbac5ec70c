"""From command line to a validated :class:`SimConfig`: Hydra composition, scenario, overrides.

Order of precedence (last wins): ``conf/`` defaults and the chosen jobcenter/rules/model files,
the scenario's ``changes``, then the command-line overrides. Every failure is a
:class:`ConfigError` with a one-line message.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from .config import SimConfig, load
from .schema import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = PROJECT_ROOT / "conf"
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
CONFIG_GROUPS = ("jobcenter", "rules", "model")
SCENARIO_KEYS = ("description", "changes")


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


def load_scenario(name: str) -> dict[str, Any]:
    """The scenario file as a dictionary with ``description`` and ``changes``."""
    valid = scenarios()
    if name not in valid:
        raise _unknown("scenario", str(name), valid)
    path = SCENARIO_DIR / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"scenario file {path.name} is not valid YAML: {exc}".splitlines()[0])
    if not isinstance(data, dict):
        raise ConfigError(f"scenario file {path.name} must hold a mapping")
    for key in data:
        if key not in SCENARIO_KEYS:
            raise ConfigError(
                f"unknown key '{key}' in scenario {name}; valid keys: {', '.join(SCENARIO_KEYS)}")
    changes = data.get("changes") or {}
    if not isinstance(changes, dict):
        raise ConfigError(f"'changes' in scenario {name} must be a mapping")
    return {"description": data.get("description") or {}, "changes": changes}


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
    merged = OmegaConf.merge(base, OmegaConf.create(scenario["changes"]))
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
    check_group_choices(pairs)
    choices = [o for o, (k, _) in zip(plain, pairs) if k in CONFIG_GROUPS]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            defaults = hydra_compose(config_name="config", overrides=choices)
            for key, _ in pairs:
                if key not in CONFIG_GROUPS and not key.startswith(("+", "~")):
                    check_key(defaults, key)
            cfg = hydra_compose(config_name="config", overrides=plain)
    except ConfigError:
        raise
    except Exception as exc:
        raise _compose_error(exc, plain) from None
    finally:
        GlobalHydra.instance().clear()
    return apply_scenario(cfg, plain)


def check_key(cfg: DictConfig, key: str) -> None:
    """Fail in one line when dotted ``key`` does not exist, naming the valid keys at its level."""
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


def _compose_error(exc: Exception, overrides: list[str]) -> ConfigError:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "Could not override" in first or "not in struct" in text:
        key = first.split("'")[1] if "'" in first else first
        top = ["scenario", "seed", "horizon_days", "warmup_days", "event_log", "progress",
               "replications", "precision", "min_replications", "max_replications", "workers",
               *CONFIG_GROUPS]
        leaf = key.split(".")[-1]
        close = difflib.get_close_matches(leaf, top, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close and "." not in key else ""
        return ConfigError(f"unknown key '{key}'{hint}; top-level keys: {', '.join(top)}; "
                           "nested keys are listed in conf/")
    return ConfigError(first)
