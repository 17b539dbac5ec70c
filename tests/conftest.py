"""Shared fixtures: simulation runs are expensive, so each distinct configuration runs once.

``simulate(*overrides)`` composes the configuration exactly as the command line does
(``sim.configure.compose``, without a warm-up unless one is asked for) and runs replication 0;
results are cached for the whole session, so every test module asking for the same overrides gets
the same :class:`RunResult`. Runs are kept short (120-180 days) except the one 365-day run that
checks the annual working-time budget.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:      # the project is not installed into the venv
    sys.path.insert(0, str(PROJECT_ROOT))

from sim.configure import compose  # noqa: E402
from sim.model import run  # noqa: E402

SHORT = "horizon_days=120"
NO_WARMUP = "warmup_days=0"
"""The model's mechanics are tested from t0, where the profile's initial stock is known exactly;
``simulate`` puts it first, so a test may still ask for a warm-up."""
SCENARIO_HORIZON = "horizon_days=180"

# Ample sickness-benefit capacity and nothing that disturbs a booking once made: every sickness
# citizen has a caseworker of their own (caseload <= 1, so no two citizens compete for the same
# appointment book), no no-shows, no unplanned or planned staff absence. Category-2 talk minutes
# are fixed (cv=0) because a talk drawn longer than a caseworker's daily appointment time can never
# be booked (see test_rules.py::test_talk_longer_than_a_days_appointment_time_is_still_held).
AMPLE_SICKNESS_CAPACITY = (
    SHORT,
    "jobcenter.caseworker_pools.sickness.caseworkers=1200",
    "model.groups.sdp_cat2.no_show_share=0",
    "model.groups.sdp_cat2.talk.cv=0",
    "model.working_time.sickness_days=0",
    "model.working_time.planned_absence_days=0",
    "model.working_time.summer_holiday_weeks=0",
)


@pytest.fixture(scope="session", autouse=True)
def baseline_cache_dir(tmp_path_factory):
    """Every run in the tests (in process or ``python -m sim``) caches baselines in a fresh
    folder of its own, not in the project's ``outputs/``."""
    import os

    from sim.experiment import CACHE_ENV

    folder = tmp_path_factory.mktemp("baseline_cache")
    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if old is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = old


@pytest.fixture(scope="session")
def simulate():
    """``simulate(*overrides, replication=0)`` -> RunResult, cached per (overrides, replication)."""
    cache: dict[tuple, object] = {}

    def _simulate(*overrides: str, replication: int = 0):
        key = (tuple(overrides), replication)
        if key not in cache:
            cfg, _ = compose([NO_WARMUP, *overrides])
            cache[key] = run(cfg, replication=replication)
        return cache[key]

    return _simulate


@pytest.fixture(scope="session")
def baseline_120(simulate):
    return simulate("scenario=baseline", SHORT)


@pytest.fixture(scope="session")
def baseline_365(simulate):
    return simulate("scenario=baseline", "horizon_days=365", "event_log=false")


@pytest.fixture(scope="session")
def baseline_180(simulate):
    return simulate("scenario=baseline", SCENARIO_HORIZON)


@pytest.fixture(scope="session")
def baseline_180_without_log(simulate):
    return simulate("scenario=baseline", SCENARIO_HORIZON, "event_log=false")


@pytest.fixture(scope="session")
def a1_flex_180(simulate):
    return simulate("scenario=a1_flex", SCENARIO_HORIZON)


@pytest.fixture(scope="session")
def c2_shared_180(simulate):
    return simulate("scenario=c2_shared_caseload", SCENARIO_HORIZON)


@pytest.fixture(scope="session")
def ample_sickness_run(simulate):
    return simulate(*AMPLE_SICKNESS_CAPACITY)


@pytest.fixture(scope="session")
def default_config():
    cfg, _ = compose([])
    return cfg
