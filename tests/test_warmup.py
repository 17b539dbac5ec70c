"""Warm-up: MSER-5 on a series with a known transient, Welch's method, ``warmup_days=auto``."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim.experiment as experiment
import sim.warmup as warmup
from sim.configure import compose
from sim.warmup import batch_means, choose_warmup, mser, mser5, welch


def _transient(n_transient: int, n: int = 1000, start: float = 20.0, seed: int = 1):
    """A linear fall from ``start`` to 0 over ``n_transient`` steps, then white noise N(0, 1)."""
    rng = np.random.default_rng(seed)
    trend = np.concatenate([np.linspace(start, 0.0, n_transient, endpoint=False),
                            np.zeros(n - n_transient)])
    return trend + rng.standard_normal(n)


def test_batch_means_drops_the_short_tail():
    assert list(batch_means([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 5)) == [3.0, 8.0]
    assert len(batch_means([1, 2, 3], 5)) == 0


def test_mser5_finds_a_known_transient():
    # the bias is still above 1 noise sd until step ~190 of 200; MSER-5 truncates near there
    for seed in range(5):
        r = mser5(_transient(200, seed=seed))
        assert 150 <= r.truncation <= 260, (seed, r.truncation)
        assert r.settled and r.batch == 5


def test_mser5_does_not_truncate_a_stationary_series():
    for seed in range(5):
        r = mser5(np.random.default_rng(seed).standard_normal(1000))
        assert r.truncation <= 100, (seed, r.truncation)


def test_mser_of_a_constant_series_is_zero():
    r = mser5([4.0] * 100)
    assert r.truncation == 0 and r.settled


def test_mser_by_hand_on_a_tiny_series():
    # batch=1, series 10, 0, 0, 0, 0, 0 (k = 6, search d = 0..3):
    # d=0: mean 10/6, SS = 100 - 100/6 = 83.33, / 36 = 2.31; d=1: all zero -> 0 (the minimum)
    r = mser([10, 0, 0, 0, 0, 0], batch=1)
    assert r.statistic[0] == pytest.approx((100 - 100 / 6) / 36)
    assert r.statistic[1] == 0.0
    assert r.truncation == 1


def test_a_series_that_keeps_trending_is_flagged_as_not_settled():
    r = mser5(np.linspace(0, 100, 500) + np.random.default_rng(0).standard_normal(500))
    assert not r.settled
    assert r.truncation == 250                       # the end of the search range (half)


def test_welch_averages_replications_and_smooths():
    runs = [[0, 2, 4, 6, 8, 10], [2, 4, 6, 8, 10, 12]]      # average 1, 3, 5, 7, 9, 11
    out = welch(runs, window=1)
    # i=0: window shrinks to 0 -> 1; i=1..4: mean of three neighbours
    assert list(out) == pytest.approx([1.0, 3.0, 5.0, 7.0, 9.0])


def test_choose_warmup_takes_the_longest_series_rounds_up_to_weeks_and_skips_excluded():
    series = {
        "short": (list(_transient(20, n=400)), 1.0),
        "long": (list(_transient(100, n=400)), 1.0),
        "stock: resource_course": (list(np.linspace(0, 50, 400)), 1.0),
    }
    choice = choose_warmup(series, pilot_days=400)
    assert choice.deciding_series == "long"
    assert choice.days % 7 == 0
    assert series_days(choice, "long") <= choice.days < series_days(choice, "long") + 7
    assert choice.per_series["stock: resource_course"]["excluded"]


def series_days(choice, name):
    return choice.per_series[name]["days"]


def test_pilot_series_of_a_model_run():
    cfg, _ = compose(["horizon_days=60", "warmup_days=0"])
    result = warmup.pilot(cfg, days=60)
    series = warmup.pilot_series(result)
    assert len(series["stock: all groups"][0]) == 60          # daily, days 0..59
    assert series["stock: all groups"][1] == 1.0
    assert series["utilisation: adp"][1] == pytest.approx(1.4)
    assert 35 <= len(series["utilisation: adp"][0]) <= 45     # working days only


def test_warmup_auto_resolves_once_and_is_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "PILOT_DAYS", 70)
    monkeypatch.setattr(experiment, "AUTO_WARMUP_PILOTS", 1)
    cfg, _ = compose(["scenario=a1_flex", "horizon_days=60", "warmup_days=auto"])
    base, _ = compose(["scenario=baseline", "horizon_days=60", "warmup_days=auto"])
    assert cfg.warmup_days == "auto"
    a, b, info = experiment.resolve_warmup(cfg, base, tmp_path, lambda m: None)
    assert isinstance(a.warmup_days, int) and a.warmup_days == b.warmup_days == info["days"]
    assert 0 <= a.warmup_days <= 35 + 6 and a.warmup_days % 7 == 0
    assert info["setting"] == "auto" and "MSER-5" in info["method"]
    calls = []
    monkeypatch.setattr(warmup, "auto_warmup", lambda *args, **kw: calls.append(1))
    again = experiment.resolve_warmup(cfg, base, tmp_path, lambda m: None)
    assert calls == [] and again[0].warmup_days == a.warmup_days
    fixed = dataclasses.replace(cfg, warmup_days=14)
    assert experiment.resolve_warmup(fixed, base, tmp_path, lambda m: None)[2]["method"] == "fixed"


def test_the_default_warmup_is_26_weeks():
    cfg, _ = compose([])
    assert cfg.warmup_days == warmup.DEFAULT_WARMUP_DAYS == 182
