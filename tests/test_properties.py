"""Property tests (Hypothesis): random valid configurations keep the model's invariants; random
invalid ones fail with a one-line ``ConfigError`` (and, through the CLI, exit code 2).

To stay fast, the small jobcenter is composed with Hydra once per module and the drawn
overrides are applied with ``sim.configure.apply_scenario`` -- the second half of
``sim.configure.compose`` (scenario, overrides, validation by ``sim.config.load``), without
re-running Hydra's composition (0.5 s a call). A few invalid cases go through ``compose`` itself
and through ``python -m sim`` in subprocesses.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sim.config import GROUPS, BASELINE_STAFF_TYPES
from sim.configure import CONF_DIR, PROJECT_ROOT, apply_scenario, compose
from sim.costs import cost_lines, total_dkk
from sim.model import run
from sim.results import headline
from sim.schema import ConfigError

POOLS = ("adp", "cash_benefit", "sickness", "rehabilitation")


@pytest.fixture(scope="module")
def small_base() -> dict:
    """The small jobcenter's composed configuration (plain container)."""
    from hydra import compose as hydra_compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = hydra_compose(config_name="config", overrides=["jobcenter=small"])
    finally:
        GlobalHydra.instance().clear()
    return OmegaConf.to_container(cfg, resolve=True)


def _build(base: dict, overrides: list[str]):
    cfg, _ = apply_scenario(base, overrides)
    return cfg


# --------------------------------------------------------------------------- valid configurations
probability = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def valid_overrides(draw) -> list[str]:
    out = [f"seed={draw(st.integers(0, 10**6))}",
           f"horizon_days={draw(st.integers(30, 60))}",
           "warmup_days=0", "replications=1"]
    for pool in POOLS:
        out.append(f"jobcenter.caseworker_pools.{pool}.caseworkers={draw(st.integers(0, 30))}")
    out.append(f"jobcenter.company_consultants={draw(st.integers(0, 15))}")
    out.append(f"jobcenter.admin_staff={draw(st.integers(0, 8))}")
    for g in draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True)):
        out.append(f"model.groups.{g}.no_show_share={draw(probability)}")
        out.append(f"model.groups.{g}.phone_share={draw(probability)}")
        out.append(f"model.groups.{g}.extra_talks.share={draw(probability)}")
        out.append(f"model.groups.{g}.extra_talks.at_interval_share={draw(probability)}")
    out.append(f"model.working_time.appointment_share={draw(st.floats(0.05, 1.0))}")
    out.append(f"model.talks.booking_rule={draw(st.sampled_from(['latest_timely', 'earliest_free']))}")
    return out


def _check_invariants(result) -> None:
    c = result.counters
    # citizens: per group and in total
    for g, gc in c.groups.items():
        assert gc.stock >= 0, g
        assert (gc.initial_stock + gc.inflow_new + gc.inflow_reentry + gc.transfers_in
                == gc.exits_total + gc.transfers_out + gc.stock), g
    assert sum(gc.transfers_out for gc in c.groups.values()) == \
        sum(gc.transfers_in for gc in c.groups.values())
    assert sum(gc.stock for gc in c.groups.values()) == result.alive_at_end
    # talks: on time never more than held
    for g, gc in c.groups.items():
        assert 0 <= gc.talks_on_time <= gc.talks_held, g
    # hours, per staff type: activity + non-bookable + idle == available
    for stype in BASELINE_STAFF_TYPES:
        available = c.available_minutes.get(stype, 0.0)
        spent = (sum(v for (s, _), v in c.activity_minutes.items() if s == stype)
                 + sum(v for (s, _), v in c.non_bookable_minutes.items() if s == stype)
                 + c.idle_minutes.get(stype, 0.0))
        assert spent == pytest.approx(available, rel=1e-9, abs=1e-6), stype
        assert c.idle_minutes.get(stype, 0.0) >= -1e-6, stype
    # money: the cost lines add up to the total
    lines = cost_lines(result.cfg, c)
    h = headline(result)
    assert all(line.dkk >= 0 for line in lines)
    assert total_dkk(lines) == pytest.approx(h["operating_cost_dkk"], rel=1e-12)
    assert sum(h["cost_lines_dkk"].values()) == pytest.approx(h["operating_cost_dkk"], rel=1e-9)


def _headline(result) -> dict:
    h = headline(result)
    h.pop("wall_seconds")
    return h


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(overrides=valid_overrides())
def test_random_valid_configurations_keep_the_invariants(small_base, overrides):
    cfg = _build(small_base, overrides)
    first = run(cfg, replication=0)
    _check_invariants(first)
    # determinism: the same configuration (built afresh) gives the same headline and log
    again = run(_build(small_base, overrides), replication=0)
    assert _headline(again) == _headline(first)
    assert again.log.columns() == first.log.columns()


# --------------------------------------------------------------------------- invalid configurations
PROB_KEYS = [f"model.groups.{g}.{k}" for g in GROUPS
             for k in ("no_show_share", "phone_share", "extra_talks.share")] + \
    ["model.working_time.appointment_share", "model.talks.late_arrival_share",
     "model.offers.form_resend_share", "model.rehab_team.lae265_share"]
NONNEG_KEYS = [f"jobcenter.groups.{g}.inflow_per_year" for g in ("adp", "ly", "sdp_cat1")] + \
    [f"jobcenter.caseworker_pools.{p}.caseworkers" for p in POOLS] + \
    ["jobcenter.admin_staff", "model.talks.booking_minutes", "model.offers.company_form_minutes"]


@st.composite
def invalid_override(draw) -> str:
    kind = draw(st.sampled_from(["probability", "negative", "unknown", "type", "choice"]))
    if kind == "probability":
        v = draw(st.one_of(st.floats(1.0001, 1e6), st.floats(-1e6, -1e-4)))
        return f"{draw(st.sampled_from(PROB_KEYS))}={v!r}"
    if kind == "negative":
        v = draw(st.one_of(st.integers(-10**6, -1), st.floats(-1e6, -1e-3)))
        return f"{draw(st.sampled_from(NONNEG_KEYS))}={v!r}"
    if kind == "unknown":
        parent = draw(st.sampled_from(["model.groups.adp", "model.talks", "jobcenter",
                                       "model.working_time", "jobcenter.groups.ly"]))
        leaf = draw(st.from_regex(r"zz[a-z_]{1,10}", fullmatch=True))
        return f"{parent}.{leaf}=1"
    if kind == "type":
        key = draw(st.sampled_from(PROB_KEYS + NONNEG_KEYS + ["horizon_days", "seed"]))
        word = draw(st.sampled_from(["abc", "many", "[1,2]", "{a: 1}"]))
        return f"{key}={word}"
    return f"model.talks.booking_rule={draw(st.sampled_from(['latest', 'asap', 'random']))}"


def _one_line(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=invalid_override())
def test_random_invalid_configurations_raise_a_one_line_config_error(small_base, bad):
    with pytest.raises(ConfigError) as info:
        _build(small_base, ["horizon_days=30", "warmup_days=0", bad])
    _one_line(str(info.value))


@pytest.mark.parametrize("bad", [
    "model.groups.adp.no_show_share=1.5",
    "jobcenter.groups.adp.inflow_per_year=-3",
    "model.groups.adp.no_such_key=1",
    "horizon_days=many",
])
def test_invalid_configurations_through_compose(bad):
    with pytest.raises(ConfigError) as info:
        compose(["jobcenter=small", bad])
    _one_line(str(info.value))


@pytest.mark.parametrize("bad", [
    "model.groups.ly.phone_share=2",
    "jobcenter.caseworker_pools.adp.caseworkers=-1",
    "model.talks.no_such_key=1",
])
def test_invalid_configurations_through_the_cli(bad, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "jobcenter=small", bad, f"hydra.run.dir={tmp_path}/run"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()      # nothing written
