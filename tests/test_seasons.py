"""Seasonal inflow of sickness cases (VIVE20: more in winter, fewer in summer), by thinning.

The arrival process is tested on its own (``sim.model.arrivals`` with a stand-in model that only records
arrival times), over many years so that sampling error is small; then in a run.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from sim.config import InflowSeason
from sim.configure import compose
from sim.engine.metrics import Counters
from sim.engine.streams import Streams
from sim.model import SeasonalArrivals, arrivals
from sim.schema import ConfigError

YEARS = 40
PER_YEAR = 5000.0


def _arrival_times(amplitude: float, peak_day: float = 25.0, years: int = YEARS,
                   per_year: float = PER_YEAR, group: str = "sdp_cat1") -> list[float]:
    """Arrival days of ``group`` over ``years`` 365-day years."""
    env = simpy.Environment()
    times: list[float] = []
    season = InflowSeason(amplitude=amplitude, peak_day=peak_day)
    model = SimpleNamespace(
        env=env, horizon=365.0 * years, streams=Streams(2014, 0), counters=Counters(365),
        cfg=SimpleNamespace(model=SimpleNamespace(groups={group: SimpleNamespace(
            inflow_season=season)})),
        planner=SimpleNamespace(draw=lambda g: None),
        new_citizen=lambda g, plan, elapsed, visitation: times.append(env.now))
    made = arrivals(model, group, per_year)
    assert isinstance(made, SeasonalArrivals) == (amplitude > 0)
    env.run(until=model.horizon)
    return times


def _expected_share(a: float, peak: float, lo: float, hi: float) -> float:
    """Share of a year's arrivals falling on days [lo, hi) of each year (rate integral)."""
    w = 2 * math.pi / 365.0
    integral = (hi - lo) + a / w * (math.sin(w * (hi - peak)) - math.sin(w * (lo - peak)))
    return integral / 365.0


@pytest.fixture(scope="module")
def seasonal():
    return np.array(_arrival_times(0.15))


def test_winter_quarter_arrivals_exceed_summer_quarter_by_the_expected_ratio(seasonal):
    day = seasonal % 365.0
    winter = np.count_nonzero(day < 90)                      # January-March
    summer = np.count_nonzero((day >= 181) & (day < 271))    # July-September
    expected = _expected_share(0.15, 25, 0, 90) / _expected_share(0.15, 25, 181, 271)
    assert expected == pytest.approx(1.30, abs=0.02)
    # each count is Poisson (about 50,000 and 38,000): the ratio's sd is under 0.01
    assert winter / summer == pytest.approx(expected, abs=0.03)


def test_the_annual_mean_inflow_is_unchanged(seasonal):
    n = len(seasonal)
    expected = PER_YEAR * YEARS
    assert abs(n - expected) < 4 * math.sqrt(expected)


def test_the_monthly_profile_peaks_in_winter_and_bottoms_out_in_summer(seasonal):
    counts = np.bincount(((seasonal % 365.0) // (365.0 / 12)).astype(int), minlength=12)
    assert counts.argmax() in (0, 1) and counts.argmin() in (6, 7)


def test_amplitude_zero_gives_todays_arrivals_exactly():
    # today's process: one exponential gap per arrival, from the group's arrival stream
    s = Streams(2014, 0)["arrivals/adp"]
    t, plain = 0.0, []
    gap = 365.0 / 300.0
    while True:
        t += s.exponential(gap)
        if t >= 365.0 * 3:
            break
        plain.append(t)
    assert _arrival_times(0.0, years=3, per_year=300.0, group="adp") == pytest.approx(
        plain, rel=0, abs=1e-9)


def test_groups_without_a_season_arrive_as_before_in_a_run(simulate):
    flat = simulate("jobcenter=small", "horizon_days=120", "event_log=false",
                    "model.groups.sdp_cat1.inflow_season.amplitude=0")
    seasonal = simulate("jobcenter=small", "horizon_days=120", "event_log=false")
    assert seasonal.cfg.model.groups["sdp_cat1"].inflow_season.amplitude == 0.15
    for g in ("adp", "kth_job_ready", "kth_activity_ready", "sdp_cat2", "ly"):
        assert (flat.counters.groups[g].inflow_new
                == seasonal.counters.groups[g].inflow_new), g
    # winter start (days 0-120 lie near the January peak): more sickness arrivals
    assert seasonal.counters.groups["sdp_cat1"].inflow_new > \
        flat.counters.groups["sdp_cat1"].inflow_new


def test_sickness_groups_have_a_season_and_others_none(default_config):
    groups = default_config.model.groups
    for g in ("sdp_cat1", "sdp_cat2", "sdp_cat3"):
        assert 0 < groups[g].inflow_season.amplitude < 1
    for g in ("adp", "kth_job_ready", "kth_activity_ready", "job_clarification", "ly"):
        assert groups[g].inflow_season.amplitude == 0


@pytest.mark.parametrize("value, words", [("1.0", "[0, 1)"), ("1.5", "[0, 1)"),
                                          ("-0.1", "negative")])
def test_invalid_amplitude_gives_a_one_line_error(value, words):
    with pytest.raises(ConfigError) as err:
        compose([f"model.groups.sdp_cat1.inflow_season.amplitude={value}"])
    assert words in str(err.value) and "\n" not in str(err.value)


def test_invalid_peak_day_gives_a_one_line_error():
    with pytest.raises(ConfigError) as err:
        compose(["model.groups.sdp_cat2.inflow_season.peak_day=400"])
    assert "[0, 365)" in str(err.value) and "\n" not in str(err.value)
