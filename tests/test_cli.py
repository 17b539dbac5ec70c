"""The command line: one-line errors with exit code 2 and nothing written; a full run's files.

Every case runs ``python -m sim`` in a subprocess from the project root. The subprocesses are
started together (a small thread pool) in one module fixture to keep the suite fast.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.configure import compose
from sim.engine.metrics import EventLog
from sim.model import run
from sim.results import headline

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120

# case name -> (arguments, fragments the one-line message must contain)
INVALID = {
    "unknown_scenario": (
        ["scenario=does_not_exist"], ["does_not_exist", "baseline", "a1_flex"]),
    "unknown_jobcenter_profile": (
        ["jobcenter=metropolis"], ["jobcenter", "metropolis", "medium"]),
    "misspelt_top_level_key": (
        ["seedx=1"], ["seedx", "did you mean 'seed'"]),
    "misspelt_nested_key": (
        ["model.talks.booking_rul=x"], ["model.talks.booking_rul", "booking_rule"]),
    "misspelt_key_after_a_valid_scenario": (
        ["scenario=a1_flex", "horizon_dayz=30"], ["horizon_dayz", "horizon_days"]),
    "wrong_type": (
        ["seed=abc"], ["seed", "abc", "whole number"]),
    "negative_rate": (
        ["jobcenter.groups.adp.inflow_per_year=-5"],
        ["jobcenter.groups.adp.inflow_per_year", "-5", "negative"]),
    "probability_above_one": (
        ["model.groups.adp.no_show_share=1.5"],
        ["model.groups.adp.no_show_share", "1.5", "[0, 1]"]),
    "invalid_choice": (
        ["model.talks.booking_rule=randomly"],
        ["model.talks.booking_rule", "randomly", "latest_timely", "earliest_free"]),
    "exit_shares_not_summing_to_one": (
        ["model.groups.adp.exits.job.share=0.5"], ["model.groups.adp.exits", "sum to 1"]),
    "unknown_export_format": (
        ["export=[pm4py,csv]"], ["'csv'", "pm4py, xes, ocel"]),
    "start_date_not_a_monday": (
        ["export=[xes]", "start_date=2024-01-03"], ["2024-01-03", "Wednesday", "2024-01-01"]),
    "comma_list_without_brackets_outside_a_sweep": (
        ["export=pm4py,xes"], ["export=pm4py,xes", "sweep", "-m", "export=[pm4py,xes]"]),
    "export_without_the_event_log": (
        ["export=[ocel]", "event_log=false"], ["export", "event_log=false"]),
}

RUN_FILES = ("resolved_config.yaml", "run_info.json", "metrics.json", "summary.csv",
             "events.parquet", "report.md")
E2E_ARGS = ["scenario=baseline", "horizon_days=60", "progress=false", "replications=2"]


def _run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Run every invalid case and the end-to-end run; returns {case: (process, run_dir)}."""
    base = tmp_path_factory.mktemp("cli")
    jobs = {name: args for name, (args, _) in INVALID.items()}
    jobs["e2e"] = E2E_ARGS
    run_dirs = {name: base / name / "run" for name in jobs}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(_run_cli, [*args, f"hydra.run.dir={run_dirs[name]}"])
                   for name, args in jobs.items()}
        return {name: (f.result(), run_dirs[name]) for name, f in futures.items()}


# --------------------------------------------------------------------------- invalid input
@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_exits_with_code_2_and_one_error_line(cli, case):
    proc, _ = cli[case]
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:")
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_error_names_the_offending_key_or_value(cli, case):
    proc, _ = cli[case]
    message = proc.stderr.strip()
    for fragment in INVALID[case][1]:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_writes_no_run_directory(cli, case):
    proc, run_dir = cli[case]
    assert proc.returncode == 2
    assert not run_dir.exists()
    assert not run_dir.parent.exists()                   # not even the case's own tmp folder


# --------------------------------------------------------------------------- a full run
@pytest.fixture(scope="module")
def e2e(cli):
    proc, run_dir = cli["e2e"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir


@pytest.fixture(scope="module")
def in_process_e2e():
    """The same configuration run inside the test process."""
    cfg, _ = compose(E2E_ARGS)
    return run(cfg)


def test_end_to_end_run_exits_0_and_writes_every_output_file(cli, e2e):
    proc, _ = cli["e2e"]
    assert "Traceback" not in proc.stderr
    for name in RUN_FILES:
        path = e2e / name
        assert path.is_file(), name
        assert path.stat().st_size > 0, name


def test_run_info_records_seed_revision_and_packages(e2e):
    info = json.loads((e2e / "run_info.json").read_text(encoding="utf-8"))
    assert info["seed"] == 2014
    assert info["scenario"] == "baseline"
    assert isinstance(info["git_revision"], str) and info["git_revision"]
    for pkg in ("python", "simpy", "numpy", "pandas", "hydra-core"):
        assert info["packages"].get(pkg), pkg


def test_resolved_config_holds_the_command_line_values(e2e):
    cfg = yaml.safe_load((e2e / "resolved_config.yaml").read_text(encoding="utf-8"))
    assert cfg["scenario"] == "baseline"
    assert cfg["horizon_days"] == 60
    assert cfg["seed"] == 2014
    assert cfg["progress"] is False
    assert cfg["jobcenter"]["name"] == "medium"


def test_events_parquet_has_the_event_log_columns(e2e):
    df = pd.read_parquet(e2e / "events.parquet")
    assert list(df.columns) == list(EventLog.COLUMNS)
    assert len(df) > 1000
    assert set(df["activity"].astype(str)) >= {"talk", "spell"}


def test_cli_run_reproduces_the_in_process_event_log(e2e, in_process_e2e):
    # a separate process (different hash seed) gives the same log as the in-process run
    df = pd.read_parquet(e2e / "events.parquet")
    expected = in_process_e2e.log.columns()
    assert len(df) == len(expected["citizen"])
    for col in EventLog.COLUMNS:
        got = df[col].astype(object).tolist() if df[col].dtype.name == "category" \
            else df[col].tolist()
        assert got == list(expected[col]), col


def test_metrics_json_is_the_headline_of_the_run(e2e, in_process_e2e):
    metrics = json.loads((e2e / "metrics.json").read_text(encoding="utf-8"))
    expected = json.loads(json.dumps(headline(in_process_e2e)))
    for h in (metrics, expected):
        h.pop("wall_seconds")
    assert metrics == expected


def test_summary_csv_has_one_row_per_group_with_the_talk_counts(e2e):
    summary = pd.read_csv(e2e / "summary.csv").set_index("group")
    metrics = json.loads((e2e / "metrics.json").read_text(encoding="utf-8"))
    for g, held in metrics["talks_by_group"].items():
        if g in summary.index:
            assert summary.loc[g, "talks_held"] == held, g
    assert summary["talks_held"].sum() == metrics["talks_held"]


def test_output_files_get_the_usual_permissions_of_new_files(e2e):
    umask = os.umask(0)
    os.umask(umask)
    for name in RUN_FILES:
        assert (e2e / name).stat().st_mode & 0o777 == 0o666 & ~umask, name
