"""Reproducibility: the same configuration and seed give the same run; another seed does not."""
from __future__ import annotations

import pytest

from sim.configure import compose
from sim.engine.metrics import EventLog
from sim.model import run
from sim.results import headline

SHORT = "horizon_days=120"


def _headline_without_timing(result) -> dict:
    h = headline(result)
    h.pop("wall_seconds")
    return h


@pytest.fixture(scope="module")
def rerun_baseline_120():
    """A fresh run of the baseline (not the cached one), from a freshly composed config."""
    cfg, _ = compose(["warmup_days=0", "scenario=baseline", SHORT])   # as conftest.simulate
    return run(cfg)


def test_same_config_and_seed_give_an_identical_event_log(baseline_120, rerun_baseline_120):
    assert rerun_baseline_120 is not baseline_120
    a, b = baseline_120.log.columns(), rerun_baseline_120.log.columns()
    assert len(baseline_120.log) > 1000
    for col in EventLog.COLUMNS:
        assert a[col] == b[col], col


def test_same_config_and_seed_give_an_identical_headline(baseline_120, rerun_baseline_120):
    assert _headline_without_timing(baseline_120) == _headline_without_timing(rerun_baseline_120)


def test_same_config_and_seed_give_identical_staff_day_series(baseline_120, rerun_baseline_120):
    for name, p in baseline_120.pools.items():
        q = rerun_baseline_120.pools[name]
        assert (p.day_available, p.day_worked, p.day_idle) == (
            q.day_available, q.day_worked, q.day_idle), name


def test_a_different_seed_gives_a_different_event_log(baseline_120, simulate):
    other = simulate("scenario=baseline", SHORT, "seed=2015")
    assert other.cfg.seed != baseline_120.cfg.seed
    assert other.log.columns() != baseline_120.log.columns()
    assert _headline_without_timing(other)["talks_by_group"] != \
        _headline_without_timing(baseline_120)["talks_by_group"]


def test_a_different_replication_gives_a_different_event_log(baseline_120, simulate):
    other = simulate("scenario=baseline", SHORT, replication=1)
    assert other.replication == 1
    assert other.log.columns() != baseline_120.log.columns()
