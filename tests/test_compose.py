"""Composite scenarios (``compose:``) and the overlap of their proposals.

A composite merges its components' ``changes`` and ``mechanisms``; two components that disagree
on a setting stop with one line unless the composite settles it and says why. A run of a
composite also compares each component alone with the same baseline on the same replications;
the overlap table adds the single effects replication by replication and sets the sum beside
the joint effect. Runs here are short (the small jobcenter, 60 days from t0, two replications)
and cache their baselines in a folder of this module's own.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.configure as configure
from sim.cli import main as cli_main
from sim.configure import CONF_DIR, compose, hydra_overrides, load_scenario
from sim.experiment import (CACHE_ENV, compose_comparison, run_experiment, write_experiment)
from sim.figures import capacity_freed, comparison_table, mean_ci
from sim.mechanisms import config_class
from sim.overlap import (FIGURES, JOINT, OVERLAP, SUM, component_configs, compose_components,
                         load_overlap, run_overlap, split_component_overrides)
from sim.schema import ConfigError
from sim.settings_diff import reference_for, render_assumptions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUICK = ["jobcenter=small", "horizon_days=60", "warmup_days=0", "replications=2",
         "event_log=false", "progress=false", "sensitivity=false"]
COMPONENTS = ["a1_flex", "c2_shared_caseload", "d2_central_booking"]
"""The components of the test composite ``trio`` whose overlap the tests below run."""
QB14_ALL = yaml.safe_load((configure.SCENARIO_DIR / "qb14_all.yaml").read_text())["compose"]
FIDS = [f.id for f in FIGURES]


@pytest.fixture()
def scenario_dir(tmp_path, monkeypatch):
    """A scenario folder holding the project's scenarios and the test's own; ``write(name,
    data)`` adds one."""
    for path in configure.SCENARIO_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path)
    monkeypatch.setattr(configure, "SCENARIO_DIR", tmp_path)

    def write(name: str, data: dict) -> None:
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                               encoding="utf-8")
    return write


def _no_show(name: str, share: float) -> dict:
    return {"description": {"title": name, "assumptions": [f"{name}'s no-show share."]},
            "changes": {"model": {"groups": {"adp": {"no_show_share": share}}}}}


def _postponement(title: str, **settings) -> dict:
    return {"description": {"title": title, "assumptions": []},
            "mechanisms": {"postponement": {"groups": ["adp"], **settings}}}


# --------------------------------------------------------------------------- merging
@pytest.mark.slow
def test_qb14_all_holds_every_components_mechanism_as_its_own_file_sets_it():
    cfg, description = compose(["scenario=qb14_all", "jobcenter=small"])
    users: dict[str, int] = {}
    singles = {}
    for component in QB14_ALL:
        singles[component], _ = compose([f"scenario={component}", "jobcenter=small"])
        for name in singles[component].mechanisms:
            users[name] = users.get(name, 0) + 1
    assert list(cfg.mechanisms) == list(users)
    for component, single in singles.items():
        for name, settings in single.mechanisms.items():
            merged = cfg.mechanisms[name]
            if users[name] == 1:
                assert merged == settings, component
            else:                   # named entries of several proposals side by side
                entries = getattr(settings, "items", None) or getattr(settings, "lines")
                together = getattr(merged, "items", None) or getattr(merged, "lines")
                assert all(together[k] == v for k, v in entries.items()), component
    assert [c["scenario"] for c in description["components"]] == QB14_ALL
    assert description["components"][0]["title"].startswith("A1 More flexible timeliness")


def test_components_changes_merge_in_order_with_the_composites_own_on_top(scenario_dir):
    scenario_dir("cadence_and_flex", {
        "description": {"title": "cadence and flex", "assumptions": []},
        "compose": ["meetings_fortnightly", "a1_flex"],
        "changes": {"model": {"groups": {"adp": {"no_show_share": 0.12}}}}})
    cfg, _ = compose(["scenario=cadence_and_flex", "jobcenter=small"])
    fortnightly, _ = compose(["scenario=meetings_fortnightly", "jobcenter=small"])
    default, _ = compose(["jobcenter=small"])
    assert cfg.rules.groups["adp"].cadence == fortnightly.rules.groups["adp"].cadence
    assert cfg.rules.groups["adp"].cadence != default.rules.groups["adp"].cadence
    assert cfg.mechanisms["postponement"].max_days == 14                       # from a1_flex
    assert cfg.model.groups["adp"].no_show_share == 0.12                       # its own
    assert default.model.groups["adp"].no_show_share != 0.12


def test_components_that_agree_on_a_setting_merge_without_complaint(scenario_dir):
    scenario_dir("one", _no_show("one", 0.2))
    scenario_dir("two", _no_show("two", 0.2))
    scenario_dir("agreeing", {"description": {"title": "agreeing"}, "compose": ["one", "two"]})
    cfg, _ = compose(["scenario=agreeing", "jobcenter=small"])
    assert cfg.model.groups["adp"].no_show_share == 0.2


# --------------------------------------------------------------------------- conflicts
def test_components_disagreeing_on_a_change_are_one_error_naming_the_key_and_both(scenario_dir):
    scenario_dir("low", _no_show("low", 0.1))
    scenario_dir("high", _no_show("high", 0.3))
    scenario_dir("clash", {"description": {"title": "clash"}, "compose": ["low", "high"]})
    with pytest.raises(ConfigError) as exc:
        load_scenario("clash")
    message = str(exc.value)
    assert "\n" not in message
    for fragment in ("clash", "'model.groups.adp.no_show_share'", "0.1 in low", "0.3 in high"):
        assert fragment in message, message


def test_a_mechanism_key_left_to_its_default_in_one_component_is_a_conflict(scenario_dir):
    scenario_dir("week", _postponement("week", max_days=7))
    scenario_dir("plain", _postponement("plain"))
    scenario_dir("clash", {"description": {"title": "clash"}, "compose": ["week", "plain"]})
    default = next(f.default for f in dataclasses.fields(config_class("postponement"))
                   if f.name == "max_days")
    assert default != 7
    with pytest.raises(ConfigError) as exc:
        load_scenario("clash")
    assert (f"'mechanisms.postponement.max_days' (7 in week, {default} (the mechanism's "
            "default) in plain)") in str(exc.value)


def test_a_conflict_on_the_command_line_exits_2_with_one_line(scenario_dir, capsys):
    scenario_dir("clash", {"description": {"title": "clash"},
                           "compose": ["a1a_sdp_flex", "a1b_adp_flex"]})
    with pytest.raises(SystemExit) as exc:
        cli_main(["scenario=clash", *QUICK])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: scenario clash: components a1a_sdp_flex and a1b_adp_flex "
                             "disagree on 'mechanisms.postponement.groups'")


def test_the_composite_settles_a_conflict_by_setting_the_key_and_saying_why(scenario_dir):
    why = "Both halves of A1: postponement in {mechanisms.postponement.groups}."
    scenario_dir("settled", {"description": {"title": "settled", "assumptions": [why]},
                             "compose": ["a1a_sdp_flex", "a1b_adp_flex"],
                             "mechanisms": {"postponement": {"groups": ["sdp_cat2", "adp"]}}})
    cfg, description = compose(["scenario=settled", "jobcenter=small"])
    assert cfg.mechanisms["postponement"].groups == ["sdp_cat2", "adp"]      # its value wins
    assert description["assumptions"][0] == why
    scenario_dir("silent", {"description": {"title": "silent", "assumptions": []},
                            "compose": ["a1a_sdp_flex", "a1b_adp_flex"],
                            "mechanisms": {"postponement": {"groups": ["sdp_cat2", "adp"]}}})
    with pytest.raises(ConfigError, match="settles 'mechanisms.postponement.groups'.*none of "
                                          "its assumptions says why"):
        load_scenario("silent")


@pytest.mark.parametrize("components, fragment", [
    (["qb14_all"], "component 'qb14_all' composes scenarios itself"),
    (["a1_flex", "a1_flex"], "'a1_flex' is listed twice"),
    (["nested"], "'nested' cannot be a component of itself"),
    (["a1_flx"], "unknown scenario 'a1_flx' (did you mean 'a1_flex'?)"),
])
def test_a_component_must_be_a_single_other_scenario(scenario_dir, components, fragment):
    scenario_dir("nested", {"description": {"title": "nested"}, "compose": components})
    with pytest.raises(ConfigError) as exc:
        load_scenario("nested")
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


# --------------------------------------------------------------------------- description
def test_the_components_assumptions_follow_the_composites_with_their_templates_filled_in():
    cfg, description = compose(["scenario=qb14_all", "jobcenter=small"])
    own = load_scenario("qb14_all")["description"]
    texts = description["assumptions"]
    singles = [load_scenario(c)["description"]["assumptions"] for c in QB14_ALL]
    assert len(texts) == len(yaml.safe_load((configure.SCENARIO_DIR / "qb14_all.yaml")
                                            .read_text())["description"]["assumptions"]) \
        + sum(len(s) for s in singles)
    assert texts[:3] == own["assumptions"][:3]
    config = dataclasses.asdict(cfg)
    rendered = render_assumptions(texts, config, reference_for(config))
    assert not any("{" in a for a in rendered), [a for a in rendered if "{" in a]
    assert "A1: Share of due talks with pending information: 30% (assumption, not in the " \
           "source)." in rendered
    assert any(a.startswith("C2: The 10 minutes saved") for a in rendered)
    assert any(a.startswith("D2: Team size: 3 clerks per 100 caseworkers") for a in rendered)


def test_list_and_help_show_the_composite_with_its_title(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), CACHE_ENV: str(tmp_path / "cache")}
    for args in (["list"], ["--help"]):
        proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        if args == ["list"]:
            assert "  qb14_all                All quantified QB14 proposals together" in proc.stdout
        else:                                   # the help names it; list gives its title
            assert "qb14_all" in proc.stdout.split()
    assert "overlap=false" in proc.stdout


# --------------------------------------------------------------------------- components' configs
@pytest.mark.slow
def test_a_mechanism_override_reaches_only_the_components_that_switch_it_on():
    overrides = ["scenario=qb14_all", *QUICK, "mechanisms.postponement.max_days=7"]
    kept, ignored = split_component_overrides(overrides, "c2_shared_caseload")
    assert ignored == ["mechanisms.postponement.max_days=7"]
    assert "scenario=c2_shared_caseload" in kept and "scenario=qb14_all" not in kept
    _, description = compose(overrides)
    configs = compose_components(overrides, description)
    assert [c.scenario for c, _ in configs] == QB14_ALL
    by_name = {c.scenario: c for c, _ in configs}
    assert by_name["a1_flex"].mechanisms["postponement"].max_days == 7
    assert list(by_name["c2_shared_caseload"].mechanisms) == ["shared_caseload"]
    assert list(by_name["d2_central_booking"].mechanisms) == ["central_booking"]
    assert all(c.horizon_days == 60 and c.jobcenter.name == "small" for c, _ in configs)


@pytest.mark.slow
def test_inside_hydra_the_components_are_composed_as_on_their_own():
    # the CLI composes the components from the configuration Hydra made for the composite
    from hydra import compose as hydra_compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = ["scenario=qb14_all", *QUICK, "mechanisms.postponement.max_days=7"]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            composed = hydra_compose(config_name="config", overrides=hydra_overrides(overrides))
    finally:
        GlobalHydra.instance().clear()
    _, description = compose(overrides)
    inside = component_configs(composed, overrides, description)
    outside = compose_components(overrides, description)
    assert [c for c, _ in inside] == [c for c, _ in outside]


# --------------------------------------------------------------------------- the overlap
@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("compose_cache")


@pytest.fixture(scope="module")
def qb14_all(cache, tmp_path_factory):
    """The comparison of a composite of three QB14 proposals (``trio``: A1, C2, D2), its
    overlap and the progress lines the overlap logged."""
    folder = tmp_path_factory.mktemp("scenarios")
    for path in configure.SCENARIO_DIR.glob("*.yaml"):
        shutil.copy(path, folder)
    (folder / "trio.yaml").write_text(yaml.safe_dump(
        {"description": {"title": "Three QB14 proposals", "assumptions": []},
         "compose": COMPONENTS}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(configure, "SCENARIO_DIR", folder)
        overrides = ["scenario=trio", *QUICK]
        cfg, desc, base, base_desc = compose_comparison(overrides)
        exp = run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=1, log=None)
        lines: list[str] = []
        overlap = run_overlap(exp, compose_components(overrides, desc), cache_dir=cache,
                              workers=1, log=lines.append)
    return exp, overlap, lines


def _rows(frame: pd.DataFrame, row: str) -> pd.DataFrame:
    return frame[frame["row"] == row].set_index("replication")[FIDS]


def test_each_component_runs_on_the_joint_runs_replications_with_its_baseline_cached(qb14_all):
    exp, overlap, lines = qb14_all
    assert list(overlap.table["row"]) == [*COMPONENTS, SUM, JOINT, OVERLAP]
    assert list(overlap.table["replications"]) == [exp.replications] * 6
    for j, component in enumerate(COMPONENTS, 1):
        done = [ln for ln in lines if ln.startswith(f"{component} / small (alone, {j} of 3): "
                                                    "replication ")]
        assert len(done) == exp.replications, lines
        assert all("baseline from the cache" in ln for ln in done), done


def test_the_sum_row_is_the_sum_of_the_component_rows_in_each_replication(qb14_all):
    _, overlap, _ = qb14_all
    by_rep = overlap.by_replication
    added = sum(_rows(by_rep, c) for c in COMPONENTS)
    pd.testing.assert_frame_equal(_rows(by_rep, SUM), added, rtol=1e-12)
    total = overlap.table.set_index("row").loc[SUM]
    for fid in FIDS:
        sums = list(added[fid])
        iv = mean_ci(sums)
        assert total[fid] == pytest.approx(iv.mean, rel=1e-12)
        assert total[f"{fid}_ci_low"] == pytest.approx(iv.low, rel=1e-9)
        assert total[f"{fid}_ci_high"] == pytest.approx(iv.high, rel=1e-9)


def test_the_overlap_is_the_sum_less_the_joint_effect_in_each_replication(qb14_all):
    _, overlap, _ = qb14_all
    by_rep, table = overlap.by_replication, overlap.table.set_index("row")
    pd.testing.assert_frame_equal(_rows(by_rep, OVERLAP),
                                  _rows(by_rep, SUM) - _rows(by_rep, JOINT), rtol=1e-12)
    for fid in FIDS:
        assert table.at[OVERLAP, fid] == pytest.approx(
            table.at[SUM, fid] - table.at[JOINT, fid], rel=1e-9, abs=1e-9)


def test_the_joint_and_component_rows_are_their_own_paired_comparisons(qb14_all, cache):
    exp, overlap, _ = qb14_all
    table = overlap.table.set_index("row")
    freed = capacity_freed(exp.scenario_records, exp.baseline_records)
    assert table.at[JOINT, "capacity_freed_fte"] == pytest.approx(freed["fte"].mean)
    assert table.at[JOINT, "capacity_freed_dkk_ci_high"] == pytest.approx(freed["dkk"].high)
    (cfg, desc), = compose_components(["scenario=c2_shared_caseload", *QUICK],
                                      {"components": [{"scenario": "c2_shared_caseload"}]})
    alone = run_experiment(cfg, desc, exp.base_cfg, exp.base_description, cache_dir=cache,
                           workers=1, log=None)
    mine = comparison_table(alone.scenario_records, alone.baseline_records).set_index("figure")
    c2 = table.loc["c2_shared_caseload"]
    assert c2["capacity_freed_fte"] == pytest.approx(
        capacity_freed(alone.scenario_records, alone.baseline_records)["fte"].mean)
    for fid, figure in (("on_time_share_change", "on_time_share"),
                        ("spell_days_change", "spell_days"),
                        ("operating_cost_change", "operating_cost")):
        assert c2[fid] == pytest.approx(mine.at[figure, "difference"], abs=1e-9), fid
        assert c2[f"{fid}_ci_low"] == pytest.approx(mine.at[figure, "ci_low"], abs=1e-9), fid


def test_every_proposal_frees_time_and_together_about_what_they_free_one_at_a_time(qb14_all):
    _, overlap, _ = qb14_all
    table = overlap.table.set_index("row")
    for component in COMPONENTS:
        assert table.at[component, "capacity_freed_fte"] > 0.02, component
    joint, total = table.at[JOINT, "capacity_freed_fte"], table.at[SUM, "capacity_freed_fte"]
    assert joint > max(table.loc[COMPONENTS, "capacity_freed_fte"])
    assert 0.5 < joint / total < 1.5
    # D2's team adds wages: operating cost rises, alone and together
    assert table.at["d2_central_booking", "operating_cost_change"] > 0
    assert table.at[JOINT, "operating_cost_change"] > 0


def test_one_proposal_composed_alone_overlaps_nothing_in_any_replication(scenario_dir, cache):
    # the joint run and the component's are the same model on the same random numbers
    scenario_dir("only_c2", {"description": {"title": "only C2", "assumptions": []},
                             "compose": ["c2_shared_caseload"]})
    overrides = ["scenario=only_c2", *QUICK]
    cfg, desc, base, base_desc = compose_comparison(overrides)
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=cache, workers=1, log=None)
    overlap = run_overlap(exp, compose_components(overrides, desc), cache_dir=cache, workers=1)
    by_rep = overlap.by_replication
    assert (_rows(by_rep, OVERLAP) == 0).all().all()
    assert _rows(by_rep, JOINT)["capacity_freed_fte"].min() > 0.02


def test_overlap_false_runs_no_component(qb14_all, cache):
    exp, _, _ = qb14_all
    off = dataclasses.replace(exp, cfg=dataclasses.replace(exp.cfg, overlap=False))
    assert run_overlap(off, [(None, {})], cache_dir=cache, workers=1) is None
    cfg, _ = compose(["scenario=qb14_all", *QUICK, "overlap=false"])
    assert cfg.overlap is False
    with pytest.raises(ConfigError, match="'overlap' = 'maybe'; valid: true, false, auto"):
        compose(["scenario=qb14_all", *QUICK, "overlap=maybe"])


def test_overlap_and_sensitivity_are_left_out_of_a_country_unless_asked_for():
    jobcenter, _ = compose(["scenario=qb14_all"])
    country, _ = compose(["scenario=qb14_all", "jobcenter=national_sample"])
    asked, _ = compose(["scenario=qb14_all", "jobcenter=national_sample", "overlap=true",
                        "sensitivity=true"])
    assert (jobcenter.runs_overlap, jobcenter.runs_sensitivity) == (True, True)
    assert (country.runs_overlap, country.runs_sensitivity) == (False, False)
    assert (asked.runs_overlap, asked.runs_sensitivity) == (True, True)


# --------------------------------------------------------------------------- files and report
@pytest.fixture(scope="module")
def written(qb14_all, tmp_path_factory):
    exp, overlap, _ = qb14_all
    run_dir = tmp_path_factory.mktemp("qb14_all_run")
    write_experiment(run_dir, exp, overlap=overlap)
    return run_dir, overlap


def test_overlap_csv_holds_the_table_in_plain_numbers(written):
    run_dir, overlap = written
    table = load_overlap(run_dir)
    assert list(table["label"])[-3:] == ["sum of the single proposals", "all together",
                                         "overlap (sum - joint)"]
    for fid in FIDS:
        assert list(table[fid]) == pytest.approx(list(overlap.table[fid]), rel=1e-12)
    assert len(pd.read_csv(run_dir / "overlap_replications.csv")) == 6 * 2


def test_the_report_sets_the_joint_effect_beside_the_sum_and_the_overlap(written):
    from sim.comparison_report import fmt_diff

    run_dir, overlap = written
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    section = md.split("## All together and one at a time: the overlap", 1)[1]
    section = section.split("\n## ", 1)[0]
    t = overlap.table.set_index("row")
    assert f"All together, the 3 proposals free {t.at[JOINT, 'capacity_freed_fte']:.2f} FTE" \
        in section
    assert "The overlap, the sum less the joint effect, is " \
        + fmt_diff("fte", "", t.at[OVERLAP, "capacity_freed_fte"]) in section
    for label in ("A1 More flexible timeliness", "C2 Shared caseload", "D2 Central booking team",
                  "**Sum of the single proposals**", "**All together**",
                  "**Overlap (sum - joint)**"):
        assert label in section, label
    assert "not the half-widths added" in section
    assert "All together and one at a time: the overlap" in html
    assert "Sum of the single proposals" in html
    # the scenario's description lists the components and their assumptions
    assert "**Composed of**" in md and "D2 Central booking team (`d2_central_booking`)" in md
    assert "A1: Share of due talks with pending information: 30%" in md
    assert "`overlap.csv`" in md


def test_a_report_without_overlap_has_no_section_and_no_stale_file(written, qb14_all):
    run_dir, _ = written
    exp, _, _ = qb14_all
    write_experiment(run_dir, exp, overlap=None)
    assert not (run_dir / "overlap.csv").exists()
    assert "## All together and one at a time" not in (run_dir / "report.md").read_text(
        encoding="utf-8")


@pytest.mark.slow
def test_python_m_sim_runs_the_composite_its_components_and_writes_the_overlap(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), CACHE_ENV: str(tmp_path / "cache")}
    run_dir = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "scenario=qb14_all", *QUICK,
                           "workers=1", "progress=true", f"hydra.run.dir={run_dir}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    n = len(QB14_ALL)
    assert f"overlap: each of the {n} proposals alone against the same baseline" in proc.stderr
    assert f"{QB14_ALL[-1]} / small (alone, {n} of {n}): replication 2 of 2" in proc.stderr
    assert "  Overlap: capacity freed all together +" in proc.stdout
    table = load_overlap(run_dir)
    assert list(table["row"]) == [*QB14_ALL, SUM, JOINT, OVERLAP]
    assert "## All together and one at a time: the overlap" in \
        (run_dir / "report.md").read_text(encoding="utf-8")
