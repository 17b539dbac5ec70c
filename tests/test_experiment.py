"""Replications, common random numbers, the paired comparison, the stopping rule, the cache.

Simulations here are short (60 days, no warm-up, two replications) and run in this process;
``run_experiment`` is given its own cache folder (or none) per test.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import sim.experiment as experiment
from sim.cli import main as cli_main
from sim.compare import RunData
from sim.compare import main as compare_main
from sim.configure import compose
from sim.experiment import (CACHE_ENV, LOOKAHEAD, BaselineCache, Stopping, baseline_config,
                            cache_key, compose_comparison, precision_status, precision_target,
                            run_experiment, stopping_decision, write_experiment)
from sim.figures import comparison_table, mean_ci, paired_ci

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUICK = ["horizon_days=60", "warmup_days=0", "replications=2", "event_log=false",
         "progress=false"]


def _experiment(scenario: str, *extra: str, cache=False, workers=1):
    cfg, desc, base, base_desc = compose_comparison([f"scenario={scenario}", *QUICK, *extra])
    return run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=workers, log=None)


def _without_timing(rec: dict) -> dict:
    rec = json.loads(json.dumps(rec))
    rec.pop("wall_seconds")
    rec["headline"].pop("wall_seconds")
    return rec


@pytest.fixture(scope="module")
def copy_experiment():
    """The baseline under another name (scenarios/baseline_copy.yaml) against the baseline."""
    return _experiment("baseline_copy")


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One baseline cache for the runs below that share the QUICK baseline (faster tests)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def a1_experiment(shared_cache):
    return _experiment("a1_flex", cache=shared_cache), shared_cache


# --------------------------------------------------------------------------- statistics
def test_paired_ci_matches_a_hand_computed_example():
    # differences 1, 2, 1: mean 4/3, sd sqrt(1/3), t(0.975, 2) = 4.302653,
    # half-width 4.302653 * sqrt(1/3) / sqrt(3) = 4.302653 / 3 = 1.434218
    p = paired_ci([10.0, 12.0, 14.0], [9.0, 10.0, 13.0])
    assert p.difference.n == 3
    assert p.difference.mean == pytest.approx(4 / 3)
    assert p.difference.sd == pytest.approx(math.sqrt(1 / 3))
    assert p.difference.half_width == pytest.approx(1.434218, abs=1e-6)
    assert p.difference.low == pytest.approx(4 / 3 - 1.434218, abs=1e-6)
    assert p.difference.high == pytest.approx(4 / 3 + 1.434218, abs=1e-6)
    assert p.scenario.mean == 12.0 and p.baseline.mean == pytest.approx(32 / 3)
    assert p.clear is False                       # the interval (-0.10, 2.77) holds zero
    # the scenario's own interval: sd 2, half-width 4.302653 * 2 / sqrt(3) = 4.968275
    assert p.scenario.half_width == pytest.approx(4.968275, abs=1e-6)


def test_paired_ci_pairs_by_replication_and_drops_incomplete_pairs():
    p = paired_ci([10.0, None, 14.0, 11.0], [9.0, 10.0, float("nan"), 9.0])
    assert p.difference.n == 2
    assert p.difference.mean == pytest.approx(1.5)
    assert p.baseline.mean == pytest.approx(9.0)       # only the paired replications
    with pytest.raises(ValueError):
        paired_ci([1.0], [1.0, 2.0])


def test_identical_values_give_a_zero_width_interval_and_one_value_none():
    m = mean_ci([3.5, 3.5, 3.5])
    assert (m.mean, m.half_width, m.low, m.high) == (3.5, 0.0, 3.5, 3.5)
    one = mean_ci([2.0])
    assert one.n == 1 and one.half_width is None and one.low is None


def test_a_clear_difference_excludes_zero():
    p = paired_ci([10.0, 11.0, 12.0, 13.0], [8.0, 9.1, 9.9, 11.0])
    assert p.difference.low > 0 and p.clear is True


# --------------------------------------------------------------------------- common random numbers
def test_scenario_identical_to_the_baseline_differs_by_exactly_zero(copy_experiment):
    exp = copy_experiment
    assert exp.cfg.scenario == "baseline_copy" and exp.base_cfg.scenario == "baseline"
    assert exp.replications == 2
    table = comparison_table(exp.scenario_records, exp.baseline_records)
    assert len(table) > 30
    defined = table[table["difference"].notna()]
    assert len(defined) > 30
    assert (defined["difference"] == 0).all(), defined[defined["difference"] != 0]
    paired = defined[defined["replications"] == 2]     # some waits occur in one replication
    assert len(paired) > 30
    assert (paired["half_width"] == 0).all()
    assert (paired["ci_low"] == 0).all() and (paired["ci_high"] == 0).all()
    # and the records themselves agree in every figure and series
    for s, b in zip(exp.scenario_records, exp.baseline_records):
        s, b = _without_timing(s), _without_timing(b)
        s.pop("scenario"), b.pop("scenario")
        s["headline"].pop("scenario"), b["headline"].pop("scenario")
        assert s == b


def test_the_two_replications_differ_from_each_other(copy_experiment):
    a, b = copy_experiment.baseline_records
    assert a["headline"]["talks_held"] != b["headline"]["talks_held"]


def test_a_real_scenario_differs_where_its_mechanism_reaches(a1_experiment):
    exp, _ = a1_experiment
    table = comparison_table(exp.scenario_records, exp.baseline_records).set_index("figure")
    assert table.loc["talks_held/sdp_cat2", "difference"] < 0      # postponed talks
    assert table.loc["talks_held/sdp_cat2", "half_width"] > 0


def test_without_effects_a_scenario_leaves_the_groups_it_does_not_reach_alone():
    # with effects on, a spell that A1 lengthens may reach the 2-year limit and move to cash
    # benefit; the capacity-only comparison (effects=none) leaves cash benefit exactly as it was
    exp = _experiment("a1_flex", "effects=none")
    table = comparison_table(exp.scenario_records, exp.baseline_records).set_index("figure")
    assert table.loc["talks_held/sdp_cat2", "difference"] < 0
    assert table.loc["talks_held/kth_job_ready", "difference"] == 0


def test_baseline_config_inside_hydra_equals_composing_with_scenario_baseline():
    from hydra import compose as hydra_compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.configure import CONF_DIR

    overrides = ["scenario=c2_shared_caseload", "seed=7", "model.groups.adp.no_show_share=0.2",
                 "jobcenter.caseworker_pools.adp.caseworkers=14"]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            composed = hydra_compose(config_name="config", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()
    inside, _ = baseline_config(composed, overrides)
    _, _, composed_base, _ = compose_comparison(overrides)
    assert dataclasses.asdict(inside) == dataclasses.asdict(composed_base)
    assert inside.scenario == "baseline" and inside.seed == 7
    assert inside.model.groups["adp"].no_show_share == 0.2
    assert inside.mechanisms == {}                            # the scenario's mechanism is gone


# --------------------------------------------------------------------------- the cache
@pytest.fixture(scope="module")
def second_experiment(a1_experiment):
    """Another scenario against the same baseline, with a spy on the simulations it runs."""
    _, cache = a1_experiment
    calls = []
    real = experiment.simulate_record

    def spy(cfg, replication):
        calls.append((cfg.scenario, replication))
        return real(cfg, replication)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(experiment, "simulate_record", spy)
        exp = _experiment("a1b_adp_flex", cache=cache)
    return exp, calls


def test_second_run_reuses_the_cached_baseline_without_simulating_it(a1_experiment,
                                                                     second_experiment):
    first, cache = a1_experiment
    assert first.cache["simulated"] == 2 and first.cache["reused"] == 0
    assert len(list(Path(first.cache["dir"]).glob("rep_*.json"))) == 2
    second, calls = second_experiment
    assert [c for c in calls if c[0] == "baseline"] == []          # not simulated again
    assert calls == [("a1b_adp_flex", 1)]                          # replication 0 runs in full
    assert second.cache["reused"] == 2 and second.cache["simulated"] == 0
    assert second.cache["key"] == first.cache["key"]
    assert [_without_timing(r) for r in second.baseline_records] == \
        [_without_timing(r) for r in first.baseline_records]


def test_cache_key_follows_the_configuration_and_the_code():
    cfg, _ = compose(["horizon_days=60"])
    same, _ = compose(["horizon_days=60", "progress=false", "replications=7"])
    other, _ = compose(["horizon_days=60", "seed=1"])
    assert cache_key(cfg) == cache_key(same)                 # run-control keys do not count
    assert cache_key(cfg) != cache_key(other)
    assert cache_key(cfg, "code-a") != cache_key(cfg, "code-b")
    assert len(cache_key(cfg)) == 64


def test_a_damaged_cache_file_is_simulated_again(tmp_path):
    cfg, _ = compose(["horizon_days=60"])
    cache = BaselineCache(tmp_path, cfg)
    cache.dir.mkdir(parents=True)
    cache.path(0).write_text("{not json", encoding="utf-8")
    assert cache.load(0) is None


def test_the_baseline_is_not_run_twice(monkeypatch, tmp_path):
    calls = []
    real = experiment.simulate_record

    def spy(cfg, replication):
        calls.append((cfg.scenario, replication))
        return real(cfg, replication)

    monkeypatch.setattr(experiment, "simulate_record", spy)
    exp = _experiment("baseline", cache=tmp_path)
    assert calls == [("baseline", 1)]
    assert exp.baseline_records is not exp.scenario_records or exp.is_baseline
    assert [r["replication"] for r in exp.baseline_records] == [0, 1]
    assert exp.baseline_records == exp.scenario_records


def test_results_do_not_depend_on_the_number_of_worker_processes(copy_experiment):
    parallel = _experiment("baseline_copy", workers=2)
    assert parallel.workers == 2
    assert [_without_timing(r) for r in parallel.scenario_records] == \
        [_without_timing(r) for r in copy_experiment.scenario_records]
    assert [_without_timing(r) for r in parallel.baseline_records] == \
        [_without_timing(r) for r in copy_experiment.baseline_records]


# --------------------------------------------------------------------------- stopping rule
def _record(i: int, talks: float, share: float, fte: float = 50.0, cost: float = 6e7) -> dict:
    """A minimal record with the key figures (one year measured)."""
    return {"scenario": "x", "replication": i, "summary": [], "series": {},
            "headline": {"horizon_days": 365, "operating_cost_dkk": cost,
                         "fte_used_on_casework": fte, "talks_held": talks,
                         "talks_on_time_share": share, "used_hours": {"caseworker": 1.0},
                         "hour_rate_dkk": 1.0, "pools": {}, "cost_lines_dkk": {}}}


def _auto(min_r=3, max_r=10, precision=0.05):
    return SimpleNamespace(replications="auto", min_replications=min_r,
                           max_replications=max_r, precision=precision)


def test_precision_target_is_relative_to_the_difference_with_a_floor():
    # a difference of 1,000 talks on 10,000: known to +-5% of itself, +-50 talks
    assert precision_target(-1000.0, 10000.0, 0.05) == pytest.approx(50.0)
    # 1,000 on 30,000 is below 5% of the level: +-5% of (5% of 30,000) = +-75 talks
    assert precision_target(1000.0, 30000.0, 0.05) == pytest.approx(75.0)
    assert precision_target(0.0, 30000.0, 0.05) == pytest.approx(75.0)
    # the mean of one side (the baseline run alone): +-5% of the mean
    assert precision_target(None, 30000.0, 0.05) == pytest.approx(1500.0)


def test_auto_stops_after_the_look_ahead_when_the_precision_is_met_at_once():
    base = [_record(i, 30000 + 100 * i, 0.80 + 0.01 * (i % 3)) for i in range(10)]
    scen = [_record(i, 29000 + 100 * i, 0.81 + 0.01 * (i % 3)) for i in range(10)]
    state = stopping_decision(_auto(), scen, base)
    assert state.converged_at == 3                   # constant differences: zero half-width
    assert state.replications == 3 + LOOKAHEAD
    assert "met at 3" in state.reason and "look-ahead" in state.reason


def test_auto_runs_until_the_precision_is_met_and_holds():
    # talks: a difference of about -1,000 on 10,000 (target +-50 talks) with noise
    noise = [60, -60, 50, -50, 10, -10, 5, -5, 0, 0, 0, 0]
    base = [_record(i, 10000, 0.8) for i in range(12)]
    scen = [_record(i, 9000 + noise[i], 0.8) for i in range(12)]
    state = stopping_decision(_auto(max_r=12), scen, base)
    # by hand, half-width = t(0.975, n-1) * sd / sqrt(n): n=5: 2.776 * 55.41 / 2.236 = 68.8;
    # n=6: 2.571 * 49.80 / 2.449 = 52.3 (> 50); n=7: 2.447 * 45.50 / 2.646 = 42.1 <= 49.96:
    # met at 7, and it keeps holding, so 7 + 2 replications
    assert state.converged_at == 7
    assert state.replications == 7 + LOOKAHEAD
    statuses = {s["figure"]: s for s in precision_status(scen[:6], base[:6], 0.05)}
    assert statuses["talks_held"]["half_width"] == pytest.approx(52.26, abs=0.01)
    assert not statuses["talks_held"]["met"]
    assert statuses["on_time_share"]["met"] and statuses["on_time_share"]["half_width"] == 0
    statuses = {s["figure"]: s for s in precision_status(scen[:7], base[:7], 0.05)}
    assert statuses["talks_held"]["half_width"] == pytest.approx(42.08, abs=0.01)
    assert statuses["talks_held"]["met"]


def test_auto_stops_at_the_budget_and_says_which_figure_was_not_precise():
    base = [_record(i, 30000, 0.8) for i in range(10)]
    scen = [_record(i, 30000 + (-1) ** i * 2000, 0.8) for i in range(10)]
    state = stopping_decision(_auto(max_r=10), scen, base)
    assert state.replications == 10
    assert state.converged_at is None
    assert "budget of 10" in state.reason and "Talks held" in state.reason


def test_auto_never_stops_before_the_minimum():
    base = [_record(i, 30000, 0.8) for i in range(10)]
    state = stopping_decision(_auto(min_r=6, max_r=10), base, base)
    assert state.replications == 8 and state.converged_at == 6


def test_fixed_number_of_replications_is_obeyed():
    base = [_record(i, 30000 + i, 0.8) for i in range(4)]
    cfg = SimpleNamespace(replications=4, min_replications=3, max_replications=20,
                          precision=0.05)
    state = stopping_decision(cfg, base, base)
    assert state.replications == 4 and "set to 4" in state.reason
    state = stopping_decision(cfg, base[:3], base[:3], Stopping(4))
    assert state.reason == ""                        # not finished yet


def test_auto_in_a_real_run_reports_how_many_and_why(a1_experiment):
    _, cache = a1_experiment
    exp = _experiment("a1_flex", "replications=auto", "min_replications=2",
                      "max_replications=2", cache=cache)
    assert exp.replications == 2
    assert exp.stopping.reason
    assert exp.info()["replications"] == exp.replications
    assert exp.info()["replications_setting"] == "auto"


# --------------------------------------------------------------------------- config errors
@pytest.mark.parametrize("arg,fragments", [
    ("replications=0", ["replications", "0", "at least 1", "auto"]),
    ("replications=many", ["replications", "many", "auto"]),
    ("precision=-1", ["precision", "-1", "greater than 0"]),
    ("warmup_days=soon", ["warmup_days", "soon", "auto"]),
    ("max_replications=2", ["max_replications", "min_replications"]),
    ("replicatons=3", ["replicatons", "did you mean 'replications'"]),
])
def test_experiment_settings_are_checked_in_one_line_with_exit_code_2(arg, fragments, capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main([arg])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    for f in fragments:
        assert f in err[0], (f, err[0])


# --------------------------------------------------------------------------- files and compare
@pytest.fixture(scope="module")
def cli_comparison(tmp_path_factory, a1_experiment, second_experiment):
    """``python -m sim scenario=a1_flex ...`` (short; it finds its baseline in the cache the
    a1_flex experiment above filled) and the a1b_adp_flex experiment's run directory."""
    _, cache = a1_experiment
    base = tmp_path_factory.mktemp("runs")
    a1_dir = base / "a1"
    env = {**os.environ, CACHE_ENV: str(cache)}
    proc = subprocess.run([sys.executable, "-m", "sim", "scenario=a1_flex", *QUICK,
                           "event_log=true", f"hydra.run.dir={a1_dir}"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a1b_dir = base / "a1b"
    write_experiment(a1b_dir, second_experiment[0])
    return proc, a1_dir, a1b_dir


def test_a_scenario_run_writes_the_comparison_beside_the_usual_files(cli_comparison):
    proc, run_dir, _ = cli_comparison
    for name in ("report.md", "report.html", "comparison.csv", "replications.csv",
                 "metrics.json", "summary.csv", "events.parquet", "resolved_config.yaml",
                 "run_info.json", "cost_waterfall.png", "effects.png"):
        assert (run_dir / name).is_file(), name
    for side in ("scenario", "baseline"):
        assert sorted(p.name for p in (run_dir / "replications" / side).iterdir()) == \
            ["rep_0.json", "rep_1.json"]
    info = json.loads((run_dir / "run_info.json").read_text(encoding="utf-8"))
    assert info["replications"] == 2 and info["warmup_days"] == 0
    assert info["stopping"]["reason"]
    table = pd.read_csv(run_dir / "comparison.csv").set_index("figure")
    assert table.loc["talks_held", "replications"] == 2
    assert table.loc["talks_held", "ci_low"] <= table.loc["talks_held", "difference"] \
        <= table.loc["talks_held", "ci_high"]
    # the run's comparison is the same as the one recomputed from its files
    again = RunData.load(run_dir).table().to_csv(index=False)
    assert (run_dir / "comparison.csv").read_text(encoding="utf-8") == again
    assert "Talks held" in proc.stdout and "95% CI" in proc.stdout


def test_metrics_json_is_replication_0_of_the_scenario(cli_comparison):
    _, run_dir, _ = cli_comparison
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    rep0 = json.loads((run_dir / "replications" / "scenario" / "rep_0.json").read_text())
    assert metrics["talks_held"] == rep0["headline"]["talks_held"]
    assert metrics["scenario"] == "a1_flex" and metrics["replication"] == 0


def test_compare_builds_one_report_of_several_scenarios(cli_comparison, tmp_path):
    _, a1_dir, a1b_dir = cli_comparison
    out = tmp_path / "both"
    assert compare_main([str(a1_dir), str(a1b_dir), "--out", str(out)]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "A1 More flexible timeliness (sickness" in md and "A1b More flexible" in md
    assert "not run against the same baseline" not in md       # one cached baseline
    assert (out / "cost_waterfall_a1_flex.png").is_file()
    assert (out / "cost_waterfall_a1b_adp_flex.png").is_file()
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"a1_flex", "a1b_adp_flex"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 6


def test_compare_rejects_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert compare_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a run directory" in err[0]


def test_a_baseline_run_reports_levels_with_confidence_intervals(tmp_path, a1_experiment):
    exp = _experiment("baseline", cache=a1_experiment[1])
    assert exp.cache["reused"] == 1                   # replication 0 is always run in full
    write_experiment(tmp_path, exp)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "95% confidence interval" in md and "no comparison" in md
    assert not (tmp_path / "replications" / "baseline").exists()
    loaded = RunData.load(tmp_path)
    assert loaded.is_baseline and loaded.baseline is loaded.scenario
