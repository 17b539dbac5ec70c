"""The sensitivity line: a comparison run again at effects=none and effects=high.

Comparisons here are short (the small jobcenter, 60 days from t0, two replications) and cache
their baselines in a folder of this module's own, so that the extra levels' baselines are
cached and reused as in a real run.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import sim.experiment as experiment
from sim.compare import RunData
from sim.experiment import (CACHE_ENV, cache_key, compose_comparison, run_experiment,
                            summary_lines, write_experiment)
from sim.figures import comparison_table
from sim.sensitivity import FIGURES, levels_for, load_sensitivity, run_sensitivity

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUICK = ["jobcenter=small", "horizon_days=60", "warmup_days=0", "replications=2",
         "event_log=false", "progress=false"]
HEAD = "Sensitivity to the effects of service on duration"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("sensitivity_cache")


def _experiment(cache, *extra: str):
    cfg, desc, base, base_desc = compose_comparison(["scenario=a1_flex", *QUICK, *extra])
    return run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=1, log=None)


@pytest.fixture(scope="module")
def main_and_line(cache):
    """An a1_flex comparison at effects=literature, and its sensitivity table (with the
    progress lines it logged)."""
    exp = _experiment(cache)
    lines: list[str] = []
    table = run_sensitivity(exp, cache_dir=cache, workers=1, log=lines.append)
    return exp, table, lines


def test_the_table_has_none_literature_and_high_with_this_run_marked(main_and_line):
    exp, table, _ = main_and_line
    assert list(table["effects"]) == ["none", "literature", "high"]
    assert list(table["effect_scale"]) == [0.0, 1.0, 1.5]
    assert list(table["this_run"]) == [False, True, False]
    assert list(table["replications"]) == [exp.replications] * 3


def test_the_main_runs_row_is_the_main_comparison_exactly(main_and_line):
    exp, table, _ = main_and_line
    main = comparison_table(exp.scenario_records, exp.baseline_records).set_index("figure")
    row = table[table["this_run"]].iloc[0]
    for fid in FIGURES:
        for stat in ("baseline_mean", "scenario_mean", "difference", "ci_low", "ci_high"):
            assert row[f"{fid}_{stat}"] == main.at[fid, stat], (fid, stat)


def test_each_other_level_is_a_paired_comparison_of_its_own(main_and_line, cache):
    # the rows of none and high are what a comparison run at that level gives
    exp, table, _ = main_and_line
    for level in ("none", "high"):
        cfg = dataclasses.replace(exp.cfg, effects=level, replications=2)
        base = dataclasses.replace(exp.base_cfg, effects=level, replications=2)
        again = run_experiment(cfg, exp.description, base, exp.base_description,
                               cache_dir=cache, workers=1, log=None)
        assert again.cache["reused"] == 2                     # its baselines were cached
        want = comparison_table(again.scenario_records, again.baseline_records)
        want = want.set_index("figure")
        row = table[table["effects"] == level].iloc[0]
        for fid in FIGURES:
            assert row[f"{fid}_difference"] == want.at[fid, "difference"], (level, fid)
            assert row[f"{fid}_ci_low"] == want.at[fid, "ci_low"], (level, fid)


def test_each_level_has_baseline_cache_entries_of_its_own(main_and_line, cache):
    exp, _, _ = main_and_line
    keys = {level: cache_key(dataclasses.replace(exp.base_cfg, effects=level,
                                                 event_log=False, progress=False))
            for level in ("none", "literature", "high")}
    assert len(set(keys.values())) == 3
    for level, key in keys.items():
        assert sorted(p.name for p in (cache / key).glob("rep_*.json")) == \
            ["rep_0.json", "rep_1.json"], level


def test_the_extra_runs_log_progress_lines_named_by_their_level(main_and_line):
    _, _, lines = main_and_line
    assert lines[0].startswith("sensitivity: the comparison again at effects=none and "
                               "effects=high (2 replications each")
    for level in ("none", "high"):
        mine = [x for x in lines if f"effects={level}: replication" in x]
        assert len(mine) == 2, lines
    assert not any("effects=literature" in x for x in lines)


def test_sensitivity_is_not_part_of_the_cache_key(main_and_line):
    exp, _, _ = main_and_line
    assert "sensitivity" in experiment.RUN_CONTROL
    off = dataclasses.replace(exp.base_cfg, sensitivity=False)
    assert cache_key(off) == cache_key(exp.base_cfg)
    assert cache_key(dataclasses.replace(exp.base_cfg, effects="none")) != cache_key(exp.base_cfg)


@pytest.mark.parametrize("effects, levels", [
    ("literature", ["none", "literature", "high"]),
    ("none", ["none", "literature", "high"]),
    ("high", ["none", "literature", "high"]),
    ("low", ["none", "low", "literature", "high"]),
])
def test_every_level_is_shown_whatever_the_main_runs_level(effects, levels):
    assert levels_for(effects) == levels


def test_a_main_run_at_high_fills_its_own_row(cache):
    exp = _experiment(cache, "effects=high")
    table = run_sensitivity(exp, cache_dir=cache, workers=1, log=None)
    assert list(table["effects"]) == ["none", "literature", "high"]
    assert list(table["this_run"]) == [False, False, True]
    main = comparison_table(exp.scenario_records, exp.baseline_records).set_index("figure")
    row = table.iloc[2]
    assert row["benefit_dkk_difference"] == main.at["benefit_dkk", "difference"]
    assert row["spell_days_ci_high"] == main.at["spell_days", "ci_high"]


def test_sensitivity_false_runs_nothing_more(cache, monkeypatch):
    exp = _experiment(cache, "sensitivity=false")
    assert exp.cfg.sensitivity is False
    calls = []
    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: calls.append(a))
    assert run_sensitivity(exp, cache_dir=cache, workers=1, log=None) is None
    assert calls == []


def test_a_run_of_the_baseline_alone_has_no_sensitivity(cache, monkeypatch):
    cfg, desc, base, base_desc = compose_comparison(["scenario=baseline", *QUICK])
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=1, log=None)
    calls = []
    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: calls.append(a))
    assert run_sensitivity(exp, cache_dir=cache, workers=1, log=None) is None
    assert calls == []


# --------------------------------------------------------------------------- files and report
@pytest.fixture(scope="module")
def written(main_and_line, tmp_path_factory):
    exp, table, _ = main_and_line
    out = tmp_path_factory.mktemp("sensitivity_run")
    write_experiment(out, exp, sensitivity=table)
    return out, table


def test_sensitivity_csv_holds_the_table(written):
    out, table = written
    loaded = load_sensitivity(out)
    assert list(loaded.columns) == list(table.columns)
    pd.testing.assert_frame_equal(loaded, table, check_dtype=False)
    assert RunData.load(out).sensitivity is not None


def test_the_line_renders_in_markdown_and_html(written):
    out, _ = written
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    brief = md.split("## In brief", 1)[1].split("\n## ", 1)[0]
    line = [x for x in brief.splitlines() if HEAD in x]
    assert len(line) == 1
    for words in ("none (service does not change duration)",
                  "literature (the studies' estimates), this run",
                  "high (1.5 times the studies' estimates)"):
        assert words in line[0], words
        assert f"<td class=\"t\">{words.replace(chr(39), '&#x27;')}</td>" in html \
            or f"<td class=\"t\">{words}</td>" in html, words
    assert line[0].count("mean time on benefit") == 3
    assert line[0].count("operating cost DKK") == 3 and line[0].count("benefits DKK") == 3
    assert line[0].count("95% CI") == 9
    assert f"<strong>{HEAD}</strong> (<code>effects=</code>)" in html
    sure = md.split("## How sure are we", 1)[1].split("\n## ", 1)[0]
    assert "| Effects of service on duration | Mean time on benefit | Operating cost | " \
           "Benefit payments |" in sure
    assert len(re.findall(r"^\| (none|literature|high) \(", sure, flags=re.M)) == 3
    assert "<th class=\"t\">Effects of service on duration</th>" in html
    assert "`sensitivity.csv`" in md


def test_the_report_rebuilt_from_the_folder_shows_the_same_line(written, tmp_path):
    from sim.compare import main as compare_main

    out, _ = written
    assert compare_main([str(out), "--out", str(tmp_path)]) == 0
    line = [x for x in (out / "report.md").read_text(encoding="utf-8").splitlines() if HEAD in x]
    again = [x for x in (tmp_path / "report.md").read_text(encoding="utf-8").splitlines()
             if HEAD in x]
    assert line and again[0] == line[0]


def test_the_bottom_line_sets_operations_and_benefits_side_by_side(written):
    out, _ = written
    md = (out / "report.md").read_text(encoding="utf-8")
    lead = [x for x in md.splitlines() if x.startswith("**Bottom line.**")][0]
    m = re.search(r"Side by side, a year: operations DKK \S+.*\(95% CI DKK .+?\), benefits "
                  r"DKK \S+.*\(95% CI DKK .+?\)\.", lead)
    assert m, lead
    headline = md.split("## Headline figures", 1)[1].split("\n## ", 1)[0]
    assert "| Benefit payments to citizens, all groups (not operating cost) |" in headline
    by_group = md.split("## By group and pool", 1)[1].split("\n## ", 1)[0]
    assert "| Benefit payments: Unemployment insurance |" in by_group
    # the rates used are listed, and said to be assumptions
    stress = md.split("## About the model", 1)[1]
    row = [x for x in stress.splitlines() if x.startswith("| Benefit payments |")][0]
    assert "The shares are assumptions" in row
    assert "Unemployment insurance DKK 187,434 (90% of DKK 208,260)" in row


def test_the_terminal_summary_has_the_line(main_and_line):
    exp, table, _ = main_and_line
    lines = summary_lines(exp, table)
    mine = [x for x in lines if HEAD in x]
    assert len(mine) == 1 and "**" not in mine[0] and "`" not in mine[0]
    assert mine[0].count("95% CI") == 9
    assert any(x.strip().startswith("Benefit payments to citizens") for x in lines)
    assert not any(HEAD in x for x in summary_lines(exp))


# --------------------------------------------------------------------------- the command line
def _run_cli(args, run_dir, cache):
    env = {**os.environ, CACHE_ENV: str(cache)}
    return subprocess.run([sys.executable, "-m", "sim", "scenario=a1_flex", *QUICK, *args,
                           "progress=true", f"hydra.run.dir={run_dir}"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180, env=env)


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory, main_and_line, cache):
    base = tmp_path_factory.mktemp("cli_sensitivity")
    with ThreadPoolExecutor(max_workers=2) as pool:
        on = pool.submit(_run_cli, [], base / "on", cache)
        off = pool.submit(_run_cli, ["sensitivity=false"], base / "off", cache)
        return (on.result(), base / "on"), (off.result(), base / "off")


def test_the_command_line_writes_the_line_by_default(cli_runs, main_and_line):
    (proc, run_dir), _ = cli_runs
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "effects=none: replication 2 of 2" in proc.stderr
    assert "effects=high: replication 2 of 2" in proc.stderr
    assert HEAD in proc.stdout
    table = load_sensitivity(run_dir)
    _, in_process, _ = main_and_line
    assert list(table["effects"]) == ["none", "literature", "high"]
    for fid in FIGURES:
        assert list(table[f"{fid}_difference"]) == \
            pytest.approx(list(in_process[f"{fid}_difference"]), rel=1e-12, abs=1e-9)


def test_the_command_line_with_sensitivity_false_runs_no_extra_comparison(cli_runs):
    _, (proc, run_dir) = cli_runs
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "effects=none" not in proc.stderr and "effects=high" not in proc.stderr
    assert "sensitivity:" not in proc.stderr
    assert HEAD not in proc.stdout
    assert not (run_dir / "sensitivity.csv").exists()
    assert HEAD not in (run_dir / "report.md").read_text(encoding="utf-8")


def test_sensitivity_false_is_listed_as_how_the_run_is_carried_out():
    from sim.configure import compose
    from sim.settings_diff import changed_settings

    cfg, _ = compose(["scenario=a1_flex", "sensitivity=false"])
    [setting] = changed_settings(dataclasses.asdict(cfg))
    assert setting.path == "sensitivity" and setting.run_control
    assert (setting.reference, setting.value) == ("auto", False)
