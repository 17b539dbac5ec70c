"""The talk-cadence knob (mechanism ``talk_cadence``, scenario ``talk_cadence``).

Every interval between mandated talks of the named groups times a factor, the baseline keeping
the rulebook's cadence. Runs: the small jobcenter from t0, 120 days, ``effects=none``, the
baseline's seed.
"""
from __future__ import annotations

import pytest

from sim.configure import compose
from sim.experiment import cache_key, compose_comparison
from sim.model import built_config
from sim.results import group_rows
from sim.schema import ConfigError

SHORT = ("jobcenter=small", "horizon_days=120", "effects=none")


def _intervals(cfg, group: str) -> list[int]:
    return [p.interval_days for p in cfg.rules.groups[group].cadence]


def test_the_factor_scales_every_interval_of_the_named_groups_and_nothing_else():
    cfg, _ = compose(["scenario=talk_cadence", "mechanisms.talk_cadence.factor=0.5",
                      "mechanisms.talk_cadence.groups=[adp,kth_job_ready]", *SHORT])
    built = built_config(cfg)
    assert _intervals(cfg, "adp") == [91]                # the composed rulebook is untouched
    assert _intervals(built, "adp") == [46]              # 45.5 days, to whole days
    assert _intervals(built, "kth_job_ready") == [21, 46]
    assert _intervals(built, "sdp_cat2") == [28]         # not named
    assert built.rules.groups["adp"].first_talk_days == cfg.rules.groups["adp"].first_talk_days


def test_a_factor_of_one_builds_the_baselines_rulebook():
    cfg, _ = compose(["scenario=talk_cadence", "mechanisms.talk_cadence.factor=1", *SHORT])
    base, _ = compose(["scenario=baseline", *SHORT])
    assert built_config(cfg).rules == built_config(base).rules


@pytest.mark.parametrize("override, says", [
    ("mechanisms.talk_cadence.factor=0", "factor"),
    ("mechanisms.talk_cadence.factor=-1", "factor"),
    ("mechanisms.talk_cadence.factor=20", "at most 12"),
    ("mechanisms.talk_cadence.groups=[adb]", "unknown group 'adb'"),
    ("mechanisms.talk_cadence.groups=[]", "empty"),
])
def test_a_bad_setting_is_one_line_naming_it(override, says):
    with pytest.raises(ConfigError) as err:
        compose(["scenario=talk_cadence", override, *SHORT])
    assert says in str(err.value) and "\n" not in str(err.value)


def test_a_sweep_over_the_factor_keeps_one_baseline():
    # the factor is a mechanism's setting: it goes to the scenario only, so every point of a
    # sweep over it shares the baseline's cache key
    keys = set()
    for factor in ("0.5", "2"):
        cfg, _, base, _ = compose_comparison(
            ["scenario=talk_cadence", f"mechanisms.talk_cadence.factor={factor}", *SHORT])
        assert _intervals(built_config(base), "adp") == [91]
        keys.add(cache_key(base))
    assert len(keys) == 1


@pytest.fixture(scope="module")
def adp_talks(simulate):
    """Talks held by the insured unemployed in the 120 days, by factor on their cadence."""
    def talks(factor: str) -> int:
        result = simulate("scenario=talk_cadence", f"mechanisms.talk_cadence.factor={factor}",
                          "mechanisms.talk_cadence.groups=[adp]", *SHORT)
        return next(r["talks_held"] for r in group_rows(result) if r["group"] == "adp")
    return talks


def test_talks_come_more_often_with_a_smaller_factor_and_less_often_with_a_larger(adp_talks):
    base = adp_talks("1")
    # visitations keep their deadline, so the follow-up talks alone move with the factor
    assert adp_talks("0.5") > 1.4 * base
    assert adp_talks("2") < 0.8 * base
