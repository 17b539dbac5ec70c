"""Discrete-event simulation of Danish jobcenter operations.

``python -m sim scenario=NAME`` runs one scenario; see README.md. The model (``sim.model``) never
imports reporting; a run's products are the files written by ``sim.output``.

From Python (notebooks): ``from sim import run_scenario, comparison, run_sweep, ...``
(:mod:`sim.api`). The names are imported on first use, so ``python -m sim`` and the worker
processes of a run do not load them.
"""
__version__ = "0.1.0"

_API = ("Run", "open_run", "run_scenario", "comparison", "run_sweep", "read_sweep",
        "run_catalog", "read_catalog", "export_logs")
"""The public API, all from :mod:`sim.api`."""

__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
