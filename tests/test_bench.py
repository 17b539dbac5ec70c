"""The benchmark command (sim/bench.py): what it builds and writes, not how fast anything is."""
from __future__ import annotations

import json

import pytest
import simpy

from sim import bench


@pytest.mark.parametrize("citizens,talks,caseworkers", [(50, 137, 3), (7, 0, 1), (1, 25, 1)])
def test_reference_holds_exactly_the_requested_talks(citizens, talks, caseworkers):
    done = bench.reference_model(citizens, talks, caseworkers, seed=3)
    assert done["talks"] == talks
    # every talk is requested within the year; with ample staff it also ends soon after
    assert done["end_day"] < bench.YEAR_DAYS + 5


def test_reference_queues_on_its_caseworkers():
    # one caseworker and talks of a mean of 10 days: the talks must queue far beyond the year
    done = bench.reference_model(20, 200, 1, seed=1, mean_talk_minutes=10 * 1440)
    assert done["talks"] == 200
    assert done["end_day"] > 3 * bench.YEAR_DAYS


def test_reference_timing_reports_talks_and_events():
    ref = bench.reference_talks_per_second(40, 90, 2, seed=0, repeats=2)
    assert ref["talks_held"] == ref["talks_requested"] == 90
    assert len(ref["seconds_all"]) == 2 and ref["seconds"] == min(ref["seconds_all"])
    # per talk: gap timeout, request, talk timeout, release; per citizen: start, arrival, end
    assert ref["simpy_events"] == 4 * 90 + 3 * 40
    assert ref["talks_per_second"] == pytest.approx(90 / ref["seconds"])


def test_event_counter_counts_and_restores_step():
    original = simpy.Environment.step
    with bench.count_events() as events:
        env = simpy.Environment()
        for d in (1, 2, 3):
            env.timeout(d)
        env.run()
    assert events[0] == 3
    assert simpy.Environment.step is original


def test_sweep_runs_the_same_work_with_one_and_two_workers():
    sw = bench.sweep_speedup(n_runs=3, workers=2, horizon_days=20, busy_loop=1000, repeats=2)
    assert sw["runs"] == 3 and sw["workers"] == 2
    assert sw["identical_results"]
    assert sw["citizens"] > 0 and sw["talks"] >= 0
    # best of the alternating repetitions
    assert len(sw["seconds_1_worker_all"]) == len(sw["seconds_n_workers_all"]) == 2
    assert sw["seconds_1_worker"] == min(sw["seconds_1_worker_all"])
    assert sw["seconds_n_workers"] == min(sw["seconds_n_workers_all"])
    assert sw["speedup"] == pytest.approx(sw["seconds_1_worker"] / sw["seconds_n_workers"])
    assert sw["busy_loop_ceiling"]["speedup"] > 0


def test_judge_compares_against_targets():
    assert bench.judge("medium_year_wall_seconds", 0.9)["met"] is True
    assert bench.judge("medium_year_wall_seconds", 1.1)["met"] is False
    assert bench.judge("model_to_reference_ratio", 0.41)["met"] is True
    assert bench.judge("national_wall_seconds", None)["status"] == "skipped"
    assert bench.judge("sweep_speedup", 1.0, applicable=False)["met"] is None


def test_quick_main_writes_complete_json(tmp_path, capsys):
    out = tmp_path / "sub" / "results.json"
    assert bench.main(["--quick", "--out", str(out), "--sweep-runs", "2"]) == 0
    data = json.loads(out.read_text())
    assert {"quick", "repeats", "machine", "workload", "reference", "model", "national",
            "sweep", "targets", "table"} <= set(data)
    assert data["quick"] is True and data["repeats"] == 1 and data["national"] is None
    for key in ("cpu_model", "cpu_count", "python", "packages", "git_revision", "date"):
        assert key in data["machine"]
    w = data["workload"]
    assert w["warmup_days"] == 0 and w["horizon_days"] == 365      # exactly one simulated year
    assert data["reference"]["talks_held"] == w["talks"] > 0
    assert data["reference"]["citizens"] == w["citizens"] > 0
    assert data["model"]["talks"] == w["talks"]
    assert data["sweep"]["runs"] == 2
    names = {t["name"] for t in data["targets"]}
    assert names == set(bench.TARGETS)
    status = {t["name"]: t["status"] for t in data["targets"]}
    assert status["national_wall_seconds"] == status["national_peak_rss_bytes"] == "skipped"
    assert data["table"] in capsys.readouterr().out
    assert not list(out.parent.glob(".*.tmp"))          # written atomically, nothing left over


def test_the_national_year_counts_its_fastest_run_and_highest_memory():
    runs = iter([{"wall_seconds": 70.0, "peak_rss_bytes": 100, "talks": 5},
                 {"wall_seconds": 65.0, "peak_rss_bytes": 90, "talks": 5}])
    best = bench.best_national_year(2, year=lambda: next(runs))
    assert best["wall_seconds"] == 65.0
    assert best["wall_seconds_all"] == [70.0, 65.0]
    assert best["peak_rss_bytes"] == 100           # the most any run needed
    assert best["runs"] == 2


def test_the_table_shows_every_national_run(tmp_path):
    out = tmp_path / "results.json"
    assert bench.main(["--quick", "--out", str(out), "--sweep-runs", "1"]) == 0
    res = json.loads(out.read_text())
    res["national"] = {"wall_seconds": 65.0, "cpu_seconds": 64.9, "peak_rss_bytes": 2 ** 28,
                       "citizens": 10.0, "talks": 20.0, "runs": 2,
                       "wall_seconds_all": [70.0, 65.0]}
    table = bench.format_table(res)
    assert "national year, 1 core: wall time (best of 2)" in table
    assert "70.0, 65.0 s" in table
