"""From command line to a validated :class:`SimConfig`: Hydra composition, scenario, overrides.

Order of precedence (last wins): ``conf/`` defaults and the chosen jobcenter/rules/model files,
the scenario's ``changes`` and ``mechanisms``, then the command-line overrides. Every failure is
a :class:`ConfigError` with a one-line message; a path that moved to a mechanism (:data:`MOVED`)
names its new place.

A *composite* scenario (``compose: [a1_flex, c2_shared_caseload, ...]``) is the merge of its
components' ``changes`` and ``mechanisms``, in order, with its own on top
(:func:`compose_scenarios`); two components that disagree on a setting are an error unless the
composite sets it itself and says why in an assumption.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import re
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
SCENARIO_KEYS = ("description", "rules", "mechanisms", "changes", "compose")
RULES = "rules"
"""Key of a scenario that runs under another rulebook (``rules: lab2019``, an era as a
scenario): the rulebook file replaces the one chosen in ``conf/`` before ``changes`` apply."""
MECHANISMS = "mechanisms"
COMPOSE = "compose"
"""Key of a composite scenario's list of component scenarios."""

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


def _read_scenario(name: str) -> dict[str, Any]:
    """One scenario file as it stands, checked: ``description``, ``mechanisms``, ``changes``
    and ``compose`` (the component names of a composite, empty for a single scenario)."""
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
    description = data.get("description") or {}
    components = data.get(COMPOSE) or []
    if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
        raise ConfigError(f"'{COMPOSE}' in scenario {name} must be a list of scenario names, got "
                          f"{components!r}")
    check_moved(_leaf_paths(changes), f"scenario {name}, changes: ")
    rules = data.get(RULES)
    if rules is not None and str(rules) not in options(RULES):
        raise ConfigError(f"scenario {name}: " + str(_unknown("rulebook", str(rules),
                                                              options(RULES))))
    return {"description": description, RULES: None if rules is None else str(rules),
            "mechanisms": mechanisms, "changes": changes, COMPOSE: components}


def load_scenario(name: str) -> dict[str, Any]:
    """The scenario as a dictionary with ``description``, ``mechanisms``, ``changes`` and
    ``compose``. A composite's ``changes`` and ``mechanisms`` are the merged ones
    (:func:`compose_scenarios`), and its description lists the components (``components``:
    scenario and title of each) and carries their assumptions after its own."""
    data = _read_scenario(name)
    if not data[COMPOSE]:
        return data
    return compose_scenarios(name, data)


def _leaves(tree: dict, prefix: str = "") -> dict[str, Any]:
    """The leaves of a nested mapping by dotted path (lists and empty mappings are leaves)."""
    out: dict[str, Any] = {}
    for k, v in tree.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_leaves(v, path + "."))
        else:
            out[path] = v
    return out


def _deep_merge(into: dict, other: dict) -> dict:
    """``into`` with ``other`` merged in, mapping by mapping (any other value replaces)."""
    out = copy.deepcopy(into)
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _mechanism_settings(mechanism: str, settings: dict | None) -> dict[str, Any]:
    """A mechanism's settings with its ``Config`` defaults filled in for the keys not given
    (unknown keys are kept: the schema rejects them when the configuration is built)."""
    from .mechanisms import config_class

    try:
        cls = config_class(mechanism)
    except ImportError:
        return dict(settings or {})
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return {**out, **(settings or {})}


def _same_value(a: Any, b: Any) -> bool:
    """Equal settings, where ``true`` is not 1 and 2 equals 2.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class _Under:
    """Stands for "settings under this path" in a conflict (one component sets a value where
    another sets a mapping)."""

    def __repr__(self) -> str:
        return "settings under it"


UNDER = _Under()


def _conflicts(parts: list[tuple[str, dict[str, Any]]]) -> dict[str, list[tuple[str, Any]]]:
    """The settings (dotted path -> [(component, value), ...]) on which the components'
    ``parts`` (component name, its settings by dotted path) disagree: different values at the
    same path, or a value at a path another component has settings under."""
    seen: dict[str, list[tuple[str, Any]]] = {}
    for comp, settings in parts:
        for path, value in settings.items():
            seen.setdefault(path, []).append((comp, value))
    out = {}
    for path, given in seen.items():
        first = given[0][1]
        if any(not _same_value(first, v) for _, v in given[1:]):
            out[path] = given
    paths = sorted(seen)
    for path in paths:
        if all(v == {} for _, v in seen[path]):
            continue                                  # an empty mapping merges with anything
        owners = {c for c, _ in seen[path]}
        others = [(c, UNDER) for p in paths if p.startswith(path + ".")
                  for c, _ in seen[p] if c not in owners]
        if others:
            out.setdefault(path, seen[path] + others[:1])
    return out


def _fmt(value: Any) -> str:
    """A setting as a scenario file writes it: ``true``, ``[adp, sdp_cat2]``, ``0.3``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return "null" if value is None else str(value)


def _settled(path: str, own: set[str]) -> bool:
    """True when the composite's own settings ``own`` (dotted paths: the leaves of its
    ``changes``, ``mechanisms.<name>.<key>`` of its mechanisms) set ``path`` or a value above
    it."""
    parts = path.split(".")
    return any(".".join(parts[:i]) in own for i in range(1, len(parts) + 1))


def _says_why(description: dict, path: str) -> bool:
    """True when one of the composite's assumptions names ``path`` (as text or as a
    ``{path}`` template)."""
    return any(path in str(a) for a in description.get("assumptions") or [])


def _short_code(title: str, name: str) -> str:
    """The proposal code a title starts with ("A1", "D2b"), else the scenario's name."""
    first = title.split(" ", 1)[0]
    return first if re.fullmatch(r"[A-Z]{1,3}\d+[a-z]?", first) else name


def compose_scenarios(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The composite scenario ``name`` (``data`` as :func:`_read_scenario` reads it): each
    component's ``changes`` and ``mechanisms`` merged in the order of ``compose``, mapping by
    mapping, then the composite's own on top.

    Two components that set the same setting to different values (a leaf of ``changes``, or
    a key of the same mechanism, with the mechanism's default for a key one of them leaves out)
    are a one-line :class:`ConfigError` naming the setting and both scenarios, unless the
    composite sets that setting itself and names it in one of its assumptions (saying why its
    value wins). Components may not compose scenarios themselves, nor appear twice.
    """
    components = data[COMPOSE]
    where = f"scenario {name}, {COMPOSE}: "
    valid = scenarios()
    for i, comp in enumerate(components):
        if comp not in valid:
            raise ConfigError(where + str(_unknown("scenario", comp, valid)))
        if comp == name:
            raise ConfigError(where + f"'{name}' cannot be a component of itself")
        if comp in components[:i]:
            raise ConfigError(where + f"'{comp}' is listed twice")
    loaded = []
    for comp, part in [(name, data)] + [(c, _read_scenario(c)) for c in components]:
        if comp != name and part[COMPOSE]:
            raise ConfigError(where + f"component '{comp}' composes scenarios itself; list its "
                              f"components ({', '.join(part[COMPOSE])}) in {name} instead")
        if comp != name and part[RULES] is not None:
            raise ConfigError(where + f"component '{comp}' runs under rulebook {part[RULES]}; "
                              f"an era is set by the composite itself ({RULES}: in {name})")
        for mech, settings in part["mechanisms"].items():
            if settings is not None and not isinstance(settings, dict):
                raise ConfigError(f"'mechanisms.{mech}' in scenario {comp} must be a mapping of "
                                  f"its settings, got {settings!r}")
        if not isinstance(part["description"], dict):
            raise ConfigError(f"'description' in scenario {comp} must be a mapping (title, "
                              "source, mechanism, assumptions)")
        if comp != name:
            loaded.append((comp, part))
    own_description = data["description"]
    own_changes = {p for p, v in _leaves(data["changes"]).items() if v != {}}
    own_mechanisms = {f"{MECHANISMS}.{m}.{k}" for m, s in data["mechanisms"].items()
                      for k in (s or {})}
    # changes: leaf by leaf
    change_conflicts = _conflicts([(c, _leaves(p["changes"])) for c, p in loaded])
    # mechanisms: key by key, with the defaults of a mechanism that two components switch on
    users: dict[str, list[str]] = {}
    for comp, part in loaded:
        for mech in part["mechanisms"]:
            users.setdefault(mech, []).append(comp)
    mech_parts = []
    defaulted: set[tuple[str, str]] = set()        # (component, path) left to the default
    for comp, part in loaded:
        settings = {}
        for mech, given in part["mechanisms"].items():
            full = _mechanism_settings(mech, given) if len(users[mech]) > 1 else dict(given or {})
            for k, v in full.items():
                path = f"{MECHANISMS}.{mech}.{k}"
                # a mapping of named entries (time_budget's items, practice_norms' lines, a
                # mechanism's by_group) is compared entry by entry: different names combine
                leaves = _leaves(v, path + ".") if isinstance(v, dict) and v else {path: v}
                for leaf, value in leaves.items():
                    settings[leaf] = value
                    if k not in (given or {}):
                        defaulted.add((comp, leaf))
        mech_parts.append((comp, settings))

    def given_as(comp: str, path: str, value: Any) -> str:
        default = " (the mechanism's default)" if (comp, path) in defaulted else ""
        return f"{_fmt(value)}{default} in {comp}"

    mech_conflicts = _conflicts(mech_parts)
    for path, given in [*change_conflicts.items(), *mech_conflicts.items()]:
        own = own_changes if not path.startswith(MECHANISMS + ".") else own_mechanisms
        (a, va) = given[0]
        b, vb = next(g for g in given[1:] if g[1] is UNDER or not _same_value(g[1], va))
        if not _settled(path, own):
            raise ConfigError(
                f"scenario {name}: components {a} and {b} disagree on '{path}' "
                f"({given_as(a, path, va)}, {given_as(b, path, vb)}); set it in {name} and say "
                "why in an assumption")
        if not _says_why(own_description, path):
            raise ConfigError(
                f"scenario {name} settles '{path}' (on which {a} and {b} disagree) but none of "
                f"its assumptions says why: name '{path}' in one, e.g. as {{{path}}}")
    changes: dict = {}
    mechanisms: dict = {}
    for _, part in loaded:
        changes = _deep_merge(changes, part["changes"])
        mechanisms = _deep_merge(mechanisms, {m: s or {} for m, s in part["mechanisms"].items()})
    changes = _deep_merge(changes, data["changes"])
    mechanisms = _deep_merge(mechanisms, {m: s or {} for m, s in data["mechanisms"].items()})
    titles = []
    assumptions = list(own_description.get("assumptions") or [])
    for comp, part in loaded:
        title = " ".join(str(part["description"].get("title") or comp).split())
        titles.append({"scenario": comp, "title": title})
        code = _short_code(title, comp)
        assumptions += [f"{code}: {a}" for a in part["description"].get("assumptions") or []]
    description = {**own_description, "components": titles, "assumptions": assumptions}
    return {"description": description, RULES: data[RULES], "mechanisms": mechanisms,
            "changes": changes, COMPOSE: list(components)}


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
    return ["++" + o if o.startswith((MECHANISMS + ".", *FREE_FORM)) else o for o in overrides]


FREE_FORM = ("ray.runtime_env.",)
"""Keys whose sub-keys are another program's (Ray's runtime environment: ``working_dir``,
``pip``, ``env_vars``, ...): passed on as given, not checked against ``conf/``."""


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
    if scenario[RULES] is not None:
        base[RULES] = OmegaConf.create(scenario_rulebook(str(base.get("scenario")),
                                                         scenario[RULES], task_overrides))
    merged = OmegaConf.merge(base, OmegaConf.create(scenario["changes"]),
                             OmegaConf.create({"mechanisms": scenario["mechanisms"]}))
    for key, value in parse_overrides([o for o in task_overrides if not o.startswith("hydra")]):
        if key in CONFIG_GROUPS or key == "scenario":
            continue
        OmegaConf.update(merged, key, value, merge=True, force_add=True)
    raw = OmegaConf.to_container(merged, resolve=True)
    return load(raw), scenario["description"]


def scenario_rulebook(scenario: str, rules: str, task_overrides: list[str]) -> dict:
    """The rulebook ``conf/rules/RULES.yaml`` that scenario ``scenario`` runs under; a
    different rulebook chosen on the command line is a one-line error (the scenario is the
    choice of era: its comparison is against the baseline under the rulebook of ``conf/``)."""
    for key, value in parse_overrides([o for o in task_overrides if not o.startswith("hydra")]):
        if key == RULES:
            raise ConfigError(f"scenario {scenario} runs under rulebook {rules} and is "
                              f"compared with the baseline under conf/'s rulebook; leave out "
                              f"rules={value}")
    return read_yaml(CONF_DIR / RULES / f"{rules}.yaml", "rulebook")


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
    if key.startswith(FREE_FORM):
        return None
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
    if first.startswith("Ambiguous value for argument '") and "=" in first:
        override = first.split("'")[1]
        key, value = override.split("=", 1)
        return ConfigError(f"{override} is a comma list, which Hydra runs as a sweep (python -m "
                           f"sim -m {override}); for a list give {key}=[{value}]")
    if "Could not override" in first or "not in struct" in text:
        key = first.split("'")[1] if "'" in first else first
        top = ["scenario", "seed", "horizon_days", "warmup_days", "event_log", "export",
               "start_date", "progress",
               "replications", "precision", "min_replications", "max_replications", "workers",
               MECHANISMS, *CONFIG_GROUPS]
        leaf = key.split(".")[-1]
        close = difflib.get_close_matches(leaf, top, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close and "." not in key else ""
        return ConfigError(f"unknown key '{key}'{hint}; top-level keys: {', '.join(top)}; "
                           "nested keys are listed in conf/")
    return ConfigError(first)
