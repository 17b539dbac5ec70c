"""What a run actually ran: the settings that differ from ``conf/`` and the scenario file, and the
scenario's assumption texts filled in with the values of the run.

The *reference* of a run is what ``python -m sim scenario=NAME`` with the run's jobcenter profile,
rulebook and model choice would run: the defaults in ``conf/`` with the scenario file merged in,
and no other override. It is composed here from the YAML files directly (no Hydra), so it can be
computed inside a running Hydra task and when a report is rebuilt from files. Comparing the run's
resolved configuration with it, leaf by leaf, gives every setting changed on the command line.

Assumption texts in a scenario file may name settings in braces, ``{dotted.path}`` or
``{dotted.path:spec}``: :func:`render` fills them in from the resolved configuration. The spec
``%`` writes a share as a percentage (0.3 -> "30%"); any other spec is a Python format spec; no
spec writes the value as it is (whole numbers without decimals). A value changed for the run is
marked, with the value of the scenario file or default beside it.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any, Sequence

import yaml
from omegaconf import OmegaConf

from .configure import CONF_DIR, CONFIG_GROUPS, apply_scenario, load_scenario, options
from .schema import ConfigError

RUN_CONTROL = ("progress", "event_log", "replications", "precision", "min_replications",
               "max_replications", "workers", "sensitivity", "overlap")
"""Settings that change how a run is carried out (how many replications, output files, worker
processes, the extra comparisons of the sensitivity line), not what one replication
computes."""

MISSING = object()
"""A setting the reference does not have (a mechanism the scenario file does not switch on)."""

PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*(?:\.\w+)+)(?::([^{}]*))?\}")
"""``{mechanisms.postponement.pending_information_share:%}`` in an assumption text."""


@dataclass(frozen=True)
class Setting:
    """One setting of a run that differs from its reference.

    ``path`` is the dotted configuration path (``model.groups.adp.no_show_share``), or a config
    group (``jobcenter``) for another profile. ``reference`` is the value of the scenario file
    or of the defaults (:data:`MISSING` when neither has the setting); ``source`` says which:
    ``"scenario file"``, ``"conf/"`` or ``"mechanism default"``. ``run_control`` marks settings
    of :data:`RUN_CONTROL`.
    """

    path: str
    reference: Any
    value: Any
    source: str
    run_control: bool = False


# --------------------------------------------------------------------------- the reference
def default_choices() -> dict[str, str]:
    """The config-group choices of ``conf/config.yaml`` (``{"jobcenter": "medium", ...}``)."""
    conf = yaml.safe_load((CONF_DIR / "config.yaml").read_text(encoding="utf-8")) or {}
    out = {}
    for entry in conf.get("defaults") or []:
        if isinstance(entry, dict):
            out.update({str(k): str(v) for k, v in entry.items()})
    return out


def _yaml(path) -> dict:
    """A file of ``conf/`` read as Hydra reads it (OmegaConf's YAML: ``4.5e9`` is a number)."""
    return OmegaConf.to_container(OmegaConf.load(path), resolve=False) or {}


@functools.lru_cache(maxsize=32)
def _reference(scenario: str, choices: tuple[tuple[str, str], ...]) -> dict:
    conf = _yaml(CONF_DIR / "config.yaml")
    conf.pop("defaults", None)
    conf.pop("hydra", None)
    raw = dict(conf)
    for group, name in choices:
        raw[group] = _yaml(CONF_DIR / group / f"{name}.yaml")
    raw["scenario"] = scenario
    cfg, _ = apply_scenario(raw, [])
    return dataclasses.asdict(cfg)


def reference_config(scenario: str, choices: dict[str, str] | None = None) -> dict:
    """The resolved configuration of ``scenario`` with ``conf/`` defaults and no override, as
    a plain dictionary (``dataclasses.asdict`` of the validated config). ``choices`` picks the
    jobcenter profile, rulebook and model file (default: those of ``conf/config.yaml``)."""
    full = {**default_choices(), **(choices or {})}
    key = tuple(sorted((g, full[g]) for g in CONFIG_GROUPS if g in full))
    return copy.deepcopy(_reference(scenario, key))


def run_choices(config: dict) -> dict[str, str] | None:
    """The config-group choices a resolved configuration was composed with, or None when they
    cannot be told (a profile or rulebook that is no file of ``conf/``). The jobcenter profile
    is named by ``jobcenter.name`` and the rulebook by ``rules.era``; the model file by the
    default when there is only one."""
    chosen = {"jobcenter": (config.get("jobcenter") or {}).get("name"),
              "rules": (config.get("rules") or {}).get("era")}
    out = {}
    for group, name in chosen.items():
        if name is None or str(name) not in options(group):
            return None
        out[group] = str(name)
    models = options("model")
    out["model"] = default_choices().get("model", models[0] if models else "default")
    return out


# --------------------------------------------------------------------------- the difference
def scenario_paths(name: str) -> set[str]:
    """The dotted paths the scenario file sets (its ``changes`` and ``mechanisms``); empty for
    a scenario that has no file."""
    try:
        scenario = load_scenario(name)
    except ConfigError:
        return set()
    return set(leaves(scenario["changes"])) | set(leaves({"mechanisms": scenario["mechanisms"]}))


def leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of a nested mapping by dotted path; lists and empty mappings are leaves."""
    if not isinstance(tree, dict) or (not tree and prefix):
        return {prefix.rstrip("."): tree}
    out: dict[str, Any] = {}
    for k, v in tree.items():
        out.update(leaves(v, f"{prefix}{k}."))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    return a == b


def changed_settings(config: dict, warmup: dict | None = None) -> list[Setting] | None:
    """Every setting of the resolved ``config`` that differs from its reference
    (:func:`reference_config`), in the order of the configuration; None when the reference
    cannot be composed (no scenario name, a profile that is no file of ``conf/``, a scenario
    file that no longer exists or no longer validates).

    ``warmup`` is the run's warm-up record (``run_info.json``): a warm-up set to ``auto`` is
    shown as ``auto`` with the days it chose, not as the days alone. A mechanism the scenario
    file does not switch on is one setting (``mechanisms.NAME``), not one per key.
    """
    name = config.get("scenario") if config else None
    choices = run_choices(config) if name else None
    if choices is None:
        return None
    try:
        ref = reference_config(str(name), choices)
    except (ConfigError, OSError, yaml.YAMLError):
        return None
    run = copy.deepcopy(config)
    if warmup and warmup.get("setting") == "auto":
        run["warmup_days"] = f"auto ({warmup.get('days', run.get('warmup_days'))} days)"
    from_file = scenario_paths(str(name))
    out: list[Setting] = []
    defaults = default_choices()
    for group in CONFIG_GROUPS:
        if choices.get(group) != defaults.get(group):
            out.append(Setting(group, defaults.get(group, MISSING), choices[group], "conf/"))
    ref_mechs = set(ref.get("mechanisms") or {})
    for mech in run.get("mechanisms") or {}:
        if mech not in ref_mechs:
            out.append(Setting(f"mechanisms.{mech}", MISSING, "switched on", "scenario file"))
    for mech in ref_mechs - set(run.get("mechanisms") or {}):
        out.append(Setting(f"mechanisms.{mech}", "switched on", "switched off", "scenario file"))
    new, old = leaves(run), leaves(ref)
    for path, value in new.items():
        parts = path.split(".")
        if parts[0] in CONFIG_GROUPS and parts[1:2] in (["name"], ["era"]):
            continue                              # the profile's name: the choice above
        if parts[0] == "mechanisms" and len(parts) > 1 and parts[1] not in ref_mechs:
            continue                              # a mechanism switched on: one setting above
        before = old.get(path, MISSING)
        if before is not MISSING and _same(before, value):
            continue
        if path in from_file:
            source = "scenario file"
        elif parts[0] == "mechanisms":
            source = "mechanism default"
        else:
            source = "conf/"
        out.append(Setting(path, before, value, source, parts[0] in RUN_CONTROL))
    return out


def fmt_setting(value: Any) -> str:
    """A setting's value as typed on the command line: ``0.5``, ``true``, ``[adp, sdp_cat2]``."""
    if value is MISSING:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_setting(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt_setting(v)}" for k, v in value.items()) + "}"
    return str(value)


# --------------------------------------------------------------------------- assumption texts
def lookup(config: dict, path: str) -> Any:
    """The value at dotted ``path`` of ``config``; KeyError naming the path if there is none."""
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def fmt_value(value: Any, spec: str | None) -> str:
    """A value for a sentence: ``%`` writes a share as a percentage (0.3 -> "30%", 0.125 ->
    "12.5%"); another spec is a Python format spec; none writes whole numbers without
    decimals."""
    if spec == "%":
        return f"{round(100 * float(value), 6):g}%"
    if spec:
        return format(value, spec)
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return fmt_setting(value)


def render(text: str, config: dict, reference: dict | None = None,
           from_file: frozenset[str] | set[str] = frozenset()) -> str:
    """``text`` with each ``{path}`` / ``{path:spec}`` filled in from ``config``. With a
    ``reference`` configuration, values that differ from it are marked: "(Changed for this
    run; the scenario file has 30%.)", or "the default is" for a path not in ``from_file``
    (the scenario file's paths). KeyError for a path the configuration does not have."""
    changed = []

    def fill(m: re.Match) -> str:
        path, spec = m.group(1), m.group(2)
        value = lookup(config, path)
        shown = fmt_value(value, spec)
        if reference is not None:
            try:
                before = lookup(reference, path)
            except KeyError:
                before = MISSING
            if before is not MISSING and not _same(before, value):
                where = "the scenario file has" if path in from_file else "the default is"
                changed.append(f"{where} {fmt_value(before, spec)}")
        return shown

    out = PLACEHOLDER.sub(fill, text)
    if changed:
        out += " (Changed for this run; " + ", ".join(changed) + ".)"
    return out


def render_assumptions(assumptions: Sequence[str], config: dict | None,
                       reference: dict | None = None) -> list[str]:
    """Each assumption rendered with :func:`render`; a text naming a setting the configuration
    does not hold (or without any configuration) is kept as written."""
    out = []
    from_file = scenario_paths(str(config.get("scenario"))) if config and reference else set()
    for a in assumptions or []:
        if not config:
            out.append(a)
            continue
        try:
            out.append(render(a, config, reference, from_file))
        except (KeyError, ValueError, TypeError):
            out.append(a)
    return out


def reference_for(config: dict | None) -> dict | None:
    """The reference configuration of a resolved ``config`` (:func:`reference_config`), or None
    when it cannot be composed."""
    if not config or not config.get("scenario"):
        return None
    choices = run_choices(config)
    if choices is None:
        return None
    try:
        return reference_config(str(config["scenario"]), choices)
    except (ConfigError, OSError, yaml.YAMLError):
        return None
