"""The benchmark command (sim/bench.py): what it builds and writes, not how fast anything is."""
from __future__ import annotations

import heapq
import json
import sys

import pytest
import simpy

from sim import bench, bench_queues


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


@pytest.mark.slow
def test_quick_main_writes_complete_json(tmp_path, capsys):
    out = tmp_path / "sub" / "results.json"
    assert bench.main(["--quick", "--out", str(out), "--sweep-runs", "2"]) == 0
    data = json.loads(out.read_text())
    assert {"quick", "repeats", "machine", "workload", "reference", "model", "national",
            "sweep", "queues", "targets", "table"} <= set(data)
    assert data["quick"] is True and data["repeats"] == 1 and data["national"] is None
    for key in ("cpu_model", "cpu_count", "python", "packages", "git_revision", "date"):
        assert key in data["machine"]
    w = data["workload"]
    assert w["warmup_days"] == 0 and w["horizon_days"] == 365      # exactly one simulated year
    assert data["reference"]["talks_held"] == w["talks"] > 0
    assert data["reference"]["citizens"] == w["citizens"] > 0
    assert data["model"]["talks"] == w["talks"]
    assert data["sweep"]["runs"] == 2
    q = data["queues"]
    assert q["workload"]["customers"] == bench_queues.QUICK_CUSTOMERS and q["repeats"] == 1
    assert q["same_mean_wait"]
    for label, value in bench_queues.table_rows(q):                 # the lines, in the table
        assert f"{label}  " in data["table"] and value in data["table"]
    assert "layer / Ciw customers/s" in data["table"]
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


@pytest.mark.slow
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
    assert "3b national comparison (a1_flex): wall time" in table and "skipped" in table
    res["national_comparison"] = {"scenario": "a1_flex", "wall_seconds": 390.0, "workers": 2,
                                  "replications": 5, "capacity_freed_fte": 60.2,
                                  "capacity_freed_half_width": 1.5}
    table = bench.format_table(res)
    assert "3b national comparison (a1_flex, 2 workers): wall time" in table
    assert "comparison / national year (1 core)" in table and "6.00" in table
    assert "5, 60.2 ± 1.5 FTE" in table


@pytest.mark.slow
def test_the_national_comparison_is_timed_as_a_user_runs_it():
    comp = bench.national_comparison("a1_flex", jobcenter="national_sample", overrides=[
        "horizon_days=30", "warmup_days=0", "replications=2"])
    assert comp["replications"] == 2 and comp["wall_seconds"] > 0
    assert comp["capacity_freed_fte"] > 0 and comp["capacity_freed_half_width"] is not None
    assert comp["stopping"] == "the number of replications was set to 2"


# ------------------------------------------------------------------------------ 5. desk queues
SMALL_QUEUE = dict(customers=3000, servers=3, utilisation=0.5, seed=4)   # Erlang C Wq 5.3 min


def _fcfs_mean_wait(work: dict) -> float:
    """Mean wait (minutes) of one FCFS line in front of c servers (Kiefer-Wolfowitz)."""
    free = [0.0] * work["description"]["servers"]
    total = 0.0
    for a, s in zip(work["arrival_minutes"], work["service_minutes"]):
        start = max(a, heapq.heappop(free))
        heapq.heappush(free, start + s)
        total += start - a
    return total / len(work["arrival_minutes"])


def test_queue_comparison_runs_three_simulators_on_the_same_mmc_queue():
    q = bench_queues.compare_queues(repeats=2, **SMALL_QUEUE)
    assert list(q["rows"]) == ["desk_queue_layer", "simpy_resource", "ciw"]
    expected = q["workload"]["erlang_c_mean_wait_minutes"]
    assert expected == pytest.approx(bench_queues.mmc_mean_wait(3, 0.05, 1 / 30))
    for r in q["rows"].values():
        assert "skipped" not in r
        assert r["customers"] == 3000 and r["customers_per_second"] > 0
        assert len(r["seconds_all"]) == 2 and r["seconds"] == min(r["seconds_all"])
        assert r["customers_per_second"] == pytest.approx(3000 / r["seconds"])
        assert r["mean_wait_minutes"] == pytest.approx(expected, rel=0.35)
        assert r["mean_wait_to_erlang_c"] == pytest.approx(r["mean_wait_minutes"] / expected - 1)
    assert q["rows"]["ciw"]["version"]
    assert q["same_mean_wait"]
    rows = q["rows"]
    layer = rows["desk_queue_layer"]["customers_per_second"]
    assert q["ratios"]["layer_to_simpy"] == pytest.approx(
        layer / rows["simpy_resource"]["customers_per_second"])
    assert q["ratios"]["layer_to_ciw"] == pytest.approx(layer / rows["ciw"]["customers_per_second"])
    lines = dict(bench_queues.table_rows(q))
    assert lines["5 desk queues M/M/3 (rho 0.5)"] == "3,000 customers"
    assert lines["  desk queues: Erlang C Wq"] == f"{expected:.3f} min"
    assert lines["  Ciw 3.2.7: customers/s"].endswith(
        f"Wq {rows['ciw']['mean_wait_minutes']:.3f} min "
        f"({100 * rows['ciw']['mean_wait_to_erlang_c']:+.1f}%)")
    assert "  WARNING: mean waits differ" not in lines
    assert "  WARNING: mean waits differ" in dict(
        bench_queues.table_rows(dict(q, same_mean_wait=False)))


@pytest.mark.parametrize("name", list(bench_queues.SIMULATORS))
def test_each_queue_simulator_waits_exactly_as_one_fcfs_line(name):
    """The same customers in every simulator: each mean wait is the FCFS recursion's, not only
    near Erlang C (a simulator with a server too many or routing of its own would differ)."""
    work = bench_queues.mmc_workload(**SMALL_QUEUE)
    wait = bench_queues.SIMULATORS[name][1](work)
    assert wait == pytest.approx(_fcfs_mean_wait(work), rel=1e-9)
    fewer = dict(work, description=dict(work["description"], servers=2))
    assert _fcfs_mean_wait(fewer) > 2 * wait                        # the check can tell


def test_queue_comparison_skips_ciw_when_it_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "ciw", None)                   # import ciw -> ImportError
    assert bench_queues.load_ciw() is None
    q = bench_queues.compare_queues(customers=200, repeats=1, servers=2, utilisation=0.5)
    assert q["rows"]["ciw"]["skipped"] == "pip install -e '.[bench]'"
    assert q["ratios"]["layer_to_ciw"] is None
    assert q["rows"]["simpy_resource"]["customers_per_second"] > 0
    lines = dict(bench_queues.table_rows(q))
    assert lines["  Ciw: customers/s"] == "skipped (pip install -e '.[bench]')"
    assert lines["  layer / Ciw customers/s"] == "skipped"
    with pytest.raises(ImportError, match="pip install"):
        bench_queues.ciw_queue(bench_queues.mmc_workload(10))


def test_mmc_workload_refuses_an_unstable_or_empty_queue():
    for bad in (dict(customers=0), dict(customers=10, utilisation=1.0),
                dict(customers=10, servers=0)):
        with pytest.raises(ValueError):
            bench_queues.mmc_workload(**bad)


def test_bad_queue_customers_exit_2_before_anything_runs(monkeypatch, capsys):
    monkeypatch.setattr(bench, "benchmark", lambda **kw: pytest.fail("benchmark ran"))
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--queue-customers", "0"])
    assert exit_.value.code == 2
    assert "--queue-customers must be at least 1" in capsys.readouterr().err
