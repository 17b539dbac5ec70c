"""Scenario mechanisms: one module each, behind the model's seams, registered by name.

A mechanism is a practice or rule the baseline does not have (postponing due talks, a shared
caseload, a central booking team, ...). Each lives in its own module of this package, which
holds

* ``NAME``: the name scenario files and the command line use (``mechanisms.<NAME>.<key>``);
* ``SEAM``: the seam it fills (one of :data:`sim.seams.SEAMS`), for the documentation;
* ``Config``: a dataclass of its parameters, built with the strict schema (:mod:`sim.schema`),
  so that a misspelt key or a negative rate fails in one line before anything runs;
* optionally ``check_together(config, others)``: raises a one-line ConfigError when the
  mechanism contradicts another one switched on with it (``others``: name -> ``Config``),
  checked when the configuration is validated, before anything runs;
* optionally ``configure(config, cfg) -> SimConfig``: called before the model is built, for a
  mechanism that changes what the model is built from (a working-time line, a pool's split, a
  centre's practice); it returns a changed copy of ``cfg`` and must not change ``cfg`` itself;
* ``install(config, model)``: called once while the :class:`sim.model.Model` is built, before
  its components are bound; it replaces or wraps the components of the seam for the benefit
  groups (or pools) it applies to (``model.services[group]``). Nothing of it is looked up again
  while the model runs.

A scenario switches a mechanism on by naming it under ``mechanisms:`` in its file; the baseline
switches none on. ``docs/mechanisms.md`` describes each one and how to add a new one.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Mapping

from ..schema import ConfigError, build

REGISTRY: dict[str, str] = {
    "postponement": "postponement",
    "shared_caseload": "shared_caseload",
    "group_booking": "group_booking",
    "central_booking": "central_booking",
    "group_course": "group_course",
    "practice_norms": "practice_norms",
    "time_budget": "time_budget",
    "ly_screening": "ly_screening",
    "light_restart": "light_restart",
    "specialisation": "specialisation",
    "central_visitation": "central_visitation",
    "central_clarification": "central_clarification",
    "population": "population",
    "utility_jobs": "utility_jobs",
    "free_choice": "free_choice",
    "decision_health_wait": "decision_health_wait",
    "caseload_cap": "caseload_cap",
    "inhouse_offers": "inhouse_offers",
    "talk_cadence": "talk_cadence",
    "coordinating_caseworker": "coordinating_caseworker",
    "mentor_support": "mentor_support",
}
"""Mechanism name -> its module in this package (imported when first used)."""


def names() -> list[str]:
    """Every registered mechanism, sorted."""
    return sorted(REGISTRY)


def module(name: str) -> ModuleType:
    """The module of mechanism ``name`` (a ConfigError naming the valid ones if unknown)."""
    if name not in REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"unknown mechanism 'mechanisms.{name}'{hint}; valid mechanisms: "
                          + ", ".join(names()))
    return importlib.import_module(f"{__name__}.{REGISTRY[name]}")


def config_class(name: str) -> type:
    """The ``Config`` dataclass of mechanism ``name``."""
    return module(name).Config


def build_configs(raw: Mapping[str, Any] | None, path: str = "mechanisms") -> dict[str, Any]:
    """The switched-on mechanisms of a resolved configuration: name -> validated ``Config``.

    ``raw`` maps mechanism names to their parameters (a mapping; ``{}`` or ``null`` takes every
    default). Raises :class:`ConfigError` with one line on an unknown name or a bad value.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"'{path}' must be a mapping of mechanism names to their settings, "
                          f"got {raw!r}")
    out = {}
    for name, params in raw.items():
        cls = config_class(str(name))
        out[str(name)] = params if isinstance(params, cls) else \
            build(cls, {} if params is None else params, f"{path}.{name}")  # built already
    for name, settings in out.items():      # mechanisms that contradict one another
        check = getattr(module(name), "check_together", None)
        if check is not None:
            check(settings, out)
    return out


def configure(cfg):
    """``cfg`` as the model is to be built from it: each switched-on mechanism that defines
    ``configure(config, cfg)`` applied in turn, in the order the scenario names them (the
    others install themselves into the built model instead)."""
    for name, settings in cfg.mechanisms.items():
        hook = getattr(module(name), "configure", None)
        if hook is not None:
            cfg = hook(settings, cfg)
    return cfg
