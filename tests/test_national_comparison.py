"""National comparisons: a country's replication is one record, compared like a jobcenter's.

The country here is ``national_sample`` (a stratified sample of two jobcenters per size class
in each replication) over 60 days without warm-up, so a comparison takes seconds; the full
``national`` profile runs the same code over all 94 jobcenters (a slow test at the end).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.configure import compose
from sim.experiment import compose_comparison, run_experiment, write_experiment
from sim.figures import capacity_freed, comparison_table, freed_fte
from sim.national import members, size_class
from sim.national_output import size_class_table
from sim.national_record import class_records

pytestmark = pytest.mark.slow     # national scale: the separate step of .ci/run (pytest -m slow)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUICK = ["jobcenter=national_sample", "horizon_days=60", "warmup_days=0", "replications=2",
         "event_log=false", "progress=false"]


def _experiment(scenario: str, cache, *extra: str, workers: int = 2):
    cfg, desc, base, base_desc = compose_comparison([f"scenario={scenario}", *QUICK, *extra])
    return run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=workers, log=None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("national_cache")


@pytest.fixture(scope="module")
def a1(cache):
    return _experiment("a1_flex", cache)


# --------------------------------------------------------------------------- the sample
def test_the_sample_takes_two_jobcenters_of_each_size_class_weighted_to_the_country():
    cfg, _ = compose(QUICK)
    for replication in range(3):
        plan = members(cfg, replication)
        by_class: dict[str, list] = {}
        for m in plan:
            by_class.setdefault(size_class(m), []).append(m)
        assert {c: len(ms) for c, ms in by_class.items()} == {
            "copenhagen": 1, "large": 2, "medium": 2, "small": 2}
        assert [m.weight for m in by_class["small"]] == [41.0, 41.0]
        assert [m.weight for m in by_class["large"]] == [3.0, 3.0]
        assert sum(m.weight for m in plan) == pytest.approx(94)


def test_each_replication_samples_anew_and_both_sides_meet_the_same_jobcenters():
    cfg, _, base, _ = compose_comparison(["scenario=a1_flex", *QUICK])
    samples = [[m.index for m in members(cfg, r)] for r in range(4)]
    assert len({tuple(s) for s in samples}) > 1
    assert samples == [[m.index for m in members(base, r)] for r in range(4)]
    assert samples[0] == [m.index for m in members(cfg, 0)]          # a fixed draw


def test_a_sampled_jobcenter_keeps_its_own_practice_and_random_streams():
    cfg, _ = compose(QUICK)
    full, _ = compose(["jobcenter=national", *QUICK[1:]])
    country = {m.index: m for m in members(full)}
    for m in members(cfg, 1):
        assert m.cfg.seed == country[m.index].cfg.seed
        assert m.cfg.jobcenter.practice == country[m.index].cfg.jobcenter.practice


# --------------------------------------------------------------------------- the record
def test_a_country_record_adds_up_its_jobcenters(a1):
    rec = a1.baseline_records[0]
    ms = rec["members"]
    h = rec["headline"]
    assert h["jobcenters"] == 94 and h["jobcenters_simulated"] == 7
    assert h["operating_cost_dkk"] == pytest.approx(
        sum(m["weight"] * m["headline"]["operating_cost_dkk"] for m in ms))
    assert h["talks_held"] == pytest.approx(sum(m["weight"] * m["headline"]["talks_held"]
                                                for m in ms))
    rows = [(m["weight"], r) for m in ms for r in m["summary"]]
    on_time = sum(w * r["talks_on_time"] for w, r in rows)
    due = sum(w * (r["talks_held"] + r["talks_missed"] + r["talks_overdue_at_end"])
              for w, r in rows)
    assert h["talks_on_time_share"] == pytest.approx(on_time / due)
    adp = [(w, r) for w, r in rows if r["group"] == "adp"]
    waits = sum(w * r["offers_started"] * (r["mean_offer_wait_days"] or 0) for w, r in adp)
    [row] = [r for r in rec["summary"] if r["group"] == "adp"]
    assert row["mean_offer_wait_days"] == pytest.approx(
        waits / sum(w * r["offers_started"] for w, r in adp))
    pool = h["pools"]["adp"]
    assert pool["utilisation_of_bookable_time"] == pytest.approx(
        pool["worked_hours"] / pool["bookable_hours"])


def test_size_classes_add_up_to_the_country(a1):
    rec = a1.scenario_records[1]
    classes = class_records(rec)
    assert list(classes) == ["small", "medium", "large", "copenhagen"]
    assert sum(c["headline"]["operating_cost_dkk"] for c in classes.values()) == pytest.approx(
        rec["headline"]["operating_cost_dkk"])
    assert sum(c["headline"]["jobcenters"] for c in classes.values()) == 94
    base = class_records(a1.baseline_records[1])
    by_class = sum(freed_fte(classes[c], base[c]) for c in classes)
    assert by_class == pytest.approx(freed_fte(rec, a1.baseline_records[1]))


# --------------------------------------------------------------------------- the experiment
def test_a_national_comparison_is_paired_and_frees_capacity(a1):
    freed = capacity_freed(a1.scenario_records, a1.baseline_records)
    assert freed["fte"].mean > 5                       # A1 thins the talks of 94 jobcenters
    table = comparison_table(a1.scenario_records, a1.baseline_records).set_index("figure")
    for fid in ("operating_cost", "benefit_dkk", "spell_days", "days_to_first_offer",
                "rehab_wait_days", "on_time_share", "on_time_share/adp"):
        assert table.loc[fid, "replications"] == 2, fid
    assert table.loc["talks_held", "difference"] < 0


def test_baseline_copy_differs_from_the_national_baseline_by_exactly_zero(cache):
    exp = _experiment("baseline_copy", cache)
    table = comparison_table(exp.scenario_records, exp.baseline_records)
    assert (table["difference"].dropna() == 0).all()
    assert (table["half_width"].dropna() == 0).all()
    assert exp.cache["reused"] == 2                    # the national baseline from the cache


def test_the_national_baseline_is_cached_and_not_simulated_again(a1, cache):
    again = _experiment("c2_shared_caseload", cache)
    assert again.cache["reused"] == 2 and again.cache["key"] == a1.cache["key"]
    assert again.baseline_records[1]["headline"] == a1.baseline_records[1]["headline"]


def test_results_do_not_depend_on_the_number_of_workers(a1, tmp_path):
    one = _experiment("a1_flex", False, workers=1)
    for mine, theirs in zip(one.scenario_records, a1.scenario_records):
        assert {k: v for k, v in mine["headline"].items() if k != "wall_seconds"} == \
            {k: v for k, v in theirs["headline"].items() if k != "wall_seconds"}


def test_replications_auto_stops_a_national_comparison_by_the_rule(cache):
    exp = _experiment("a1_flex", cache, "replications=auto", "min_replications=2",
                      "max_replications=3")
    assert 2 <= exp.replications <= 3
    assert "precision" in exp.stopping.reason or "budget" in exp.stopping.reason
    assert exp.stopping.status                      # judged on the national differences


# --------------------------------------------------------------------------- files and report
def test_a_national_run_folder_holds_the_national_files_and_report(a1, tmp_path):
    write_experiment(tmp_path, a1)
    for name in ("report.html", "report.md", "comparison.csv", "by_size_class.csv",
                 "jobcenters.csv", "metrics.json", "summary.csv", "run_info.json",
                 "resolved_config.yaml"):
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "events.parquet").exists()
    assert not (tmp_path / "calibration.md").exists()          # the baseline's alone
    jobcenters = pd.read_csv(tmp_path / "jobcenters.csv")
    assert len(jobcenters) == 2 * 2 * 7                        # sides x replications x sample
    classes = pd.read_csv(tmp_path / "by_size_class.csv")
    freed = classes[classes["figure"] == "capacity_freed_fte"]
    assert list(freed["size_class"]) == ["small", "medium", "large", "copenhagen"]
    assert freed["difference"].sum() == pytest.approx(
        capacity_freed(a1.scenario_records, a1.baseline_records)["fte"].mean)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Denmark by jobcenter size class" in text
    assert "new random sample of 2 jobcenters of each size class" in text
    assert "Denmark's 94 jobcenters" in text
    info = json.loads((tmp_path / "run_info.json").read_text(encoding="utf-8"))
    assert info["jobcenters"] == 94 and info["jobcenters_simulated"] == 7


def test_a_national_baseline_run_writes_its_calibration(cache, tmp_path):
    cfg, desc = compose(["scenario=baseline", *QUICK])
    exp = run_experiment(cfg, desc, cache_dir=cache, workers=2, log=None)
    write_experiment(tmp_path, exp)
    assert (tmp_path / "calibration.md").is_file()
    calibration = pd.read_csv(tmp_path / "calibration.csv")
    assert len(calibration) == 45
    table = size_class_table(exp.scenario_records, exp.scenario_records)
    assert table["difference"].isna().all() and table["baseline_mean"].notna().all()


def _cli(*args, cache: Path, cwd: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "SIM_BASELINE_CACHE": str(cache),
           "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def test_the_command_line_runs_a_national_comparison(cache, tmp_path):
    proc = _cli("scenario=baseline_copy", *QUICK, f"hydra.run.dir={tmp_path / 'run'}",
                cache=cache, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "94 jobcenters (7 simulated in each replication)" in proc.stdout
    assert "Capacity freed by size class" in proc.stdout
    assert (tmp_path / "run" / "report.html").is_file()


@pytest.mark.parametrize("args,words", [
    (["jobcenter=national", "warmup_days=auto"], "warmup_days=auto is not available"),
    (["jobcenter=medium", "jobcenter.sample_per_class=2"],
     "unknown key 'jobcenter.sample_per_class'"),
    (["jobcenter=national", "jobcenter.sample_per_class=2", "jobcenter.simulate_per_member=1"],
     "sets both"),
    (["jobcenter=national", "sensitivity=maybe"], "valid: true, false, auto"),
])
def test_bad_national_settings_stop_in_one_line_before_anything_runs(args, words, cache,
                                                                     tmp_path):
    proc = _cli(*args, f"hydra.run.dir={tmp_path / 'run'}", cache=cache, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_the_full_country_of_baseline_copy_differs_by_exactly_zero(tmp_path):
    cfg, desc, base, base_desc = compose_comparison([
        "scenario=baseline_copy", "jobcenter=national", "horizon_days=30", "warmup_days=0",
        "replications=2", "event_log=false", "progress=false"])
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=tmp_path, workers=2, log=None)
    assert exp.baseline_records[0]["headline"]["jobcenters_simulated"] == 94
    table = comparison_table(exp.scenario_records, exp.baseline_records)
    assert (table["difference"].dropna() == 0).all()
