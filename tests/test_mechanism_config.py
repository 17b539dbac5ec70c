"""Scenario mechanisms on the command line: overrides, one-line errors, old paths, the baseline.

``mechanisms.<name>.<key>=value`` sets a mechanism's parameter (and switches the mechanism on if
the scenario does not); mistakes end with one line and exit code 2 before anything runs; the
configuration paths that moved to a mechanism name their new place; the baseline side of a
comparison leaves out overrides of mechanisms it does not use, and says so.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

import sim.configure as configure
from sim.cli import main as cli_main
from sim.configure import CONF_DIR, apply_scenario, compose, hydra_overrides
from sim.experiment import (IGNORED, SIM_DIR, baseline_config, cache_key, code_version,
                            compose_comparison)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
QUICK = ["horizon_days=60", "warmup_days=0", "replications=2", "event_log=false",
         "progress=false"]
SHARE = "mechanisms.postponement.pending_information_share=0.5"


def _run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT)


def _hydra_compose(overrides: list[str]):
    """The configuration as ``hydra.main`` composes it from ``python -m sim`` arguments."""
    from hydra import compose as hydra_compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return hydra_compose(config_name="config", overrides=hydra_overrides(overrides))
    finally:
        GlobalHydra.instance().clear()


# --------------------------------------------------------------------------- overrides
def test_an_override_of_a_mechanism_key_reaches_the_mechanisms_config():
    cfg, _ = compose(["scenario=a1_flex", SHARE])
    postponement = cfg.mechanisms["postponement"]
    assert postponement.pending_information_share == 0.5
    assert postponement.groups == ["sdp_cat2", "adp"]          # the scenario's other settings
    assert postponement.max_days == 14


def test_overriding_a_mechanism_the_scenario_does_not_use_switches_it_on():
    cfg, _ = compose(["scenario=baseline", "mechanisms.postponement.groups=[adp]",
                      "mechanisms.postponement.pending_information_share=0.3",
                      "mechanisms.postponement.max_days=14"])
    assert cfg.scenario == "baseline"
    assert dataclasses.asdict(cfg.mechanisms["postponement"]) == \
        {"groups": ["adp"], "pending_information_share": 0.3, "max_days": 14}
    only_groups, _ = compose(["mechanisms.shared_caseload.groups=[adp]"])
    defaults = type(only_groups.mechanisms["shared_caseload"])()
    assert only_groups.mechanisms["shared_caseload"] == dataclasses.replace(defaults,
                                                                            groups=["adp"])


def test_hydra_run_composes_a_mechanism_override_as_compose_does():
    overrides = ["scenario=a1_flex", SHARE, "seed=7"]
    assert hydra_overrides(overrides)[1] == "++" + SHARE       # Hydra may add to `mechanisms`
    inside, _ = apply_scenario(_hydra_compose(overrides), hydra_overrides(overrides))
    composed, _ = compose(overrides)
    assert dataclasses.asdict(inside) == dataclasses.asdict(composed)


# --------------------------------------------------------------------------- one-line errors
# case -> (arguments, fragments the one line must contain)
INVALID = {
    "unknown_mechanism": (
        ["scenario=a1_flex", "mechanisms.postponment.max_days=7"],
        ["mechanisms.postponment", "did you mean 'postponement'", "valid mechanisms",
         "shared_caseload"]),
    "unknown_mechanism_key": (
        ["scenario=a1_flex", "mechanisms.postponement.max_dayz=7"],
        ["mechanisms.postponement.max_dayz", "did you mean 'max_days'", "groups",
         "pending_information_share"]),
    "bad_mechanism_value": (
        ["scenario=a1_flex", "mechanisms.postponement.pending_information_share=1.5"],
        ["mechanisms.postponement.pending_information_share", "1.5", "[0, 1]"]),
    "moved_postponement": (
        ["scenario=a1_flex", "model.postponement.max_days=7"],
        ["'model.postponement.max_days'", "moved to 'mechanisms.postponement.max_days'"]),
    "moved_shared_groups": (
        ["model.caseload.shared_groups=[adp]"],
        ["moved to 'mechanisms.shared_caseload.groups'"]),
    "moved_shared_talk_minutes_saved": (
        ["model.caseload.shared_talk_minutes_saved=5"],
        ["moved to 'mechanisms.shared_caseload.talk_minutes_saved'"]),
    "moved_other_caseload_key": (
        ["model.caseload.at_risk_fixed_share=0.1"],
        ["moved to 'mechanisms.shared_caseload.at_risk_fixed_share'"]),
    "moved_booked_by": (
        ["model.talks.booked_by=admin_staff"],
        ["moved to 'mechanisms.central_booking'", "central_booking mechanism",
         "others than the caseworker"]),
    "moved_planned_interval_share": (
        ["model.groups.adp.planned_interval_share=0.5"],
        ["moved to 'model.groups.adp.extra_talks'", "booking_margin_days"]),
    "unknown_mechanism_key_in_a_sweep": (
        ["-m", "scenario=a1_flex", "mechanisms.postponement.max_dayz=7,14"],
        ["mechanisms.postponement.max_dayz", "did you mean 'max_days'"]),
    "moved_path_in_a_sweep": (
        ["-m", "scenario=a1_flex", "model.postponement.max_days=7,14"],
        ["moved to 'mechanisms.postponement.max_days'"]),
    "mechanism_setting_the_jobcenter_cannot_meet": (   # found when the model is built
        ["scenario=cph_group_booking", "jobcenter=small", "mechanisms.group_booking.team_size=40"],
        ["'mechanisms.group_booking.team_size' = 40 is larger than pool"]),
}


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Every invalid case run as ``python -m sim``; returns {case: (process, run_dir)}."""
    base = tmp_path_factory.mktemp("mechanism_cli")
    run_dirs = {name: base / name / "run" for name in INVALID}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(_run_cli, [*args, f"hydra.run.dir={run_dirs[name]}",
                                                f"hydra.sweep.dir={run_dirs[name]}"])
                   for name, (args, _) in INVALID.items()}
        return {name: (f.result(), run_dirs[name]) for name, f in futures.items()}


@pytest.mark.parametrize("case", INVALID)
def test_a_mechanism_mistake_or_an_old_path_ends_in_one_line_with_exit_code_2(cli, case):
    proc, run_dir = cli[case]
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    for fragment in INVALID[case][1]:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert not run_dir.parent.exists()                   # nothing was run or written


def test_an_old_path_in_a_scenarios_changes_names_the_new_path(tmp_path, monkeypatch, capsys):
    shutil.copy(configure.SCENARIO_DIR / "baseline.yaml", tmp_path)
    (tmp_path / "old_flex.yaml").write_text(yaml.safe_dump(
        {"description": {"title": "old style"},
         "changes": {"model": {"postponement": {"groups": ["adp"], "max_days": 14}}}}))
    monkeypatch.setattr(configure, "SCENARIO_DIR", tmp_path)
    with pytest.raises(SystemExit) as exc:
        cli_main(["scenario=old_flex"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "old_flex" in err[0] and "moved to 'mechanisms.postponement.groups'" in err[0]


# --------------------------------------------------------------------------- the baseline side
def test_the_baseline_leaves_out_an_override_of_a_mechanism_it_does_not_use():
    cfg, _, base, base_description = compose_comparison(["scenario=a1_flex", SHARE, "seed=7"])
    assert cfg.mechanisms["postponement"].pending_information_share == 0.5
    assert base.scenario == "baseline" and base.mechanisms == {}      # not switched on
    assert base.seed == 7                                              # other overrides apply
    assert base_description[IGNORED] == [SHARE]
    _, _, plain_base, plain_description = compose_comparison(["scenario=a1_flex", "seed=7"])
    assert cache_key(base) == cache_key(plain_base)                    # the same cached baseline
    assert IGNORED not in plain_description


def test_a_run_of_the_baseline_itself_applies_the_mechanism_override():
    cfg, _, base, description = compose_comparison(["scenario=baseline", SHARE])
    assert base is cfg and "postponement" in cfg.mechanisms
    assert IGNORED not in description


def test_the_baseline_inside_hydra_also_leaves_the_override_out():
    overrides = ["scenario=a1_flex", SHARE, "seed=7"]
    inside, description = baseline_config(_hydra_compose(overrides), hydra_overrides(overrides))
    _, _, composed_base, _ = compose_comparison(overrides)
    assert dataclasses.asdict(inside) == dataclasses.asdict(composed_base)
    assert inside.mechanisms == {}
    assert description[IGNORED] == [SHARE]                          # as typed, without "++"


@pytest.fixture(scope="module")
def written_experiment(tmp_path_factory):
    """A small a1_flex experiment with a mechanism override, written to a run directory."""
    from sim.experiment import run_experiment, write_experiment

    cfg, desc, base, base_desc = compose_comparison(["scenario=a1_flex", *QUICK, SHARE])
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=False, workers=1, log=None)
    run_dir = tmp_path_factory.mktemp("ignored")
    write_experiment(run_dir, exp)
    return exp, run_dir


def test_the_experiment_records_the_overrides_the_baseline_ignored(written_experiment):
    exp, run_dir = written_experiment
    assert exp.baseline_ignored == [SHARE]
    info = json.loads((run_dir / "run_info.json").read_text(encoding="utf-8"))
    assert info["baseline_ignored_overrides"] == [SHARE]
    resolved = yaml.safe_load((run_dir / "resolved_config.yaml").read_text(encoding="utf-8"))
    assert resolved["mechanisms"]["postponement"]["pending_information_share"] == 0.5


def test_the_report_lists_the_overrides_applied_to_the_scenario_only(written_experiment):
    _, run_dir = written_experiment
    sentence = "Applied to the scenario only (the baseline does not use this mechanism):"
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    assert f"{sentence} `{SHARE}`" in md
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert f"{sentence} <code>{SHARE}</code>" in html


@pytest.mark.slow
def test_a_sweep_over_a_mechanism_key_runs_each_value(tmp_path):
    proc = _run_cli(["-m", "scenario=a1_flex", "mechanisms.postponement.max_days=7,14",
                     "replications=1", "horizon_days=60", "warmup_days=0", "event_log=false",
                     "progress=false", f"hydra.sweep.dir={tmp_path}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted(p.parent for p in tmp_path.glob("*/run_info.json"))
    assert len(runs) == 2
    for run_dir, days in zip(runs, (7, 14)):
        resolved = yaml.safe_load((run_dir / "resolved_config.yaml").read_text(encoding="utf-8"))
        assert resolved["mechanisms"]["postponement"]["max_days"] == days
        info = json.loads((run_dir / "run_info.json").read_text(encoding="utf-8"))
        assert info["baseline_ignored_overrides"] == [f"mechanisms.postponement.max_days={days}"]


# --------------------------------------------------------------------------- the code version
def test_the_code_version_covers_the_files_of_sub_packages(tmp_path):
    tree = tmp_path / "sim"
    shutil.copytree(SIM_DIR, tree, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(tree)
    assert code_version(tree) == before                              # deterministic
    (tree / "__pycache__").mkdir()
    (tree / "__pycache__" / "x.cpython.pyc").write_bytes(b"\0")      # not source
    assert code_version(tree) == before
    module = tree / "mechanisms" / "postponement.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    edited = code_version(tree)
    assert edited != before
    (tree / "engine" / "deeper").mkdir(parents=True)
    (tree / "engine" / "deeper" / "new.py").write_text("X = 1\n", encoding="utf-8")
    assert code_version(tree) != edited
