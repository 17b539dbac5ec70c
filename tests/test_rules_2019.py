"""The 2019 rulebook (conf/rules/lab2019.yaml), eras as a scenario dimension, and the back-test
against 2019 (sim/backtest.py, conf/backtest/vive20_2019.yaml, docs/backtest.md).

The deadline tests walk a spell whose every talk is held on its deadline, which is what the law
fixes; whether the caseworkers manage it is the model's business (tests further down run it).
"""
from __future__ import annotations

import math

import pytest

from sim.backtest import backtest_values, load_backtest, report_markdown
from sim.calibration import DAYS_PER_MONTH, evaluate
from sim.config import Rulebook
from sim.configure import CONF_DIR, compose, read_yaml
from sim.domain.rules import TalkSchedule
from sim.schema import ConfigError, build


def rulebook(name: str) -> Rulebook:
    return build(Rulebook, read_yaml(CONF_DIR / "rules" / f"{name}.yaml", "rulebook"),
                 f"rules[{name}]")


@pytest.fixture(scope="module")
def lab2014():
    return {g: TalkSchedule(r) for g, r in rulebook("lab2014").groups.items()}


@pytest.fixture(scope="module")
def lab2019():
    return {g: TalkSchedule(r) for g, r in rulebook("lab2019").groups.items()}


def talks_on_deadline(schedule: TalkSchedule, until_day: int, spell_start: int = 0) -> list[int]:
    """The days of a spell's talks when every talk is held on its deadline, up to ``until_day``."""
    days: list[int] = []
    last = None
    while True:
        due = schedule.next_due(spell_start, last)
        if due > until_day:
            return days
        days.append(due)
        last = due


# --------------------------------------------------------------------------- the deadlines
def test_unemployment_insurance_gets_4_extra_talks_in_the_first_6_months(lab2014, lab2019):
    before = talks_on_deadline(lab2014["adp"], 182)
    after = talks_on_deadline(lab2019["adp"], 182)
    assert len(before) == 2 and len(after) == len(before) + 4
    assert after[0] == 14                          # the first talk keeps its 2-week deadline


def test_unemployment_insurance_returns_to_a_talk_every_3_months_after_6_months(lab2019):
    days = talks_on_deadline(lab2019["adp"], 730)
    later = [b - a for a, b in zip(days, days[1:]) if a >= 182]
    assert later and set(later) == {91}


def test_unemployment_insurance_has_one_offer_deadline_at_6_months(lab2019):
    adp = rulebook("lab2019").groups["adp"]
    assert adp.offer_deadline_days == 182


def test_job_ready_cash_benefit_first_talk_in_a_week_two_more_in_3_months_then_quarterly(
        lab2019):
    days = talks_on_deadline(lab2019["kth_job_ready"], 365 + 91)
    assert days[0] <= 7
    assert len([d for d in days[1:] if d <= 91]) == 2
    # then 4 follow-up talks in the 12 months after the first 3
    assert len([d for d in days if 91 < d <= 91 + 365]) == 4


def test_sickness_category_3_talks_are_due_every_4_weeks_as_for_category_2(lab2014, lab2019):
    assert lab2014["sdp_cat3"].interval(100) == 91
    for cat in ("sdp_cat1", "sdp_cat2", "sdp_cat3"):
        s = lab2019[cat]
        assert s.first_talk_days == 56                     # the follow-up by week 8
        assert s.next_due(spell_start=0, last_talk_day=56) == 56 + 28


def test_sickness_those_back_within_8_weeks_have_no_talk_before_week_8(lab2019):
    assert talks_on_deadline(lab2019["sdp_cat1"], 55) == []


def test_sickness_benefit_keeps_the_22_week_limit_into_job_clarification():
    rules = rulebook("lab2019").groups
    for cat in ("sdp_cat1", "sdp_cat2", "sdp_cat3"):
        assert rules[cat].duration_limit.days == 22 * 7
        assert rules[cat].duration_limit.to == "job_clarification"


def test_job_clarification_contact_at_most_every_2_weeks_and_resource_course_6_talks_a_year(
        lab2019):
    assert lab2019["job_clarification"].interval(0) == 14
    assert len(talks_on_deadline(lab2019["resource_course"], 365 + 14)) >= 6


def test_activity_ready_rules_switch_on_a_coordinating_caseworker_and_mentor_support():
    mech = rulebook("lab2019").mechanisms
    assert mech["coordinating_caseworker"]["groups"] == ["kth_activity_ready"]
    assert mech["mentor_support"]["groups"] == ["kth_activity_ready"]
    assert mech["mentor_support"]["share"] == pytest.approx(0.12)
    assert rulebook("lab2014").mechanisms == {}


# --------------------------------------------------------------------------- eras as a dimension
def test_rules_lab2019_works_with_any_profile_and_switches_on_the_rulebooks_mechanisms():
    for profile in ("small", "medium", "copenhagen2019"):
        cfg, _ = compose([f"jobcenter={profile}", "rules=lab2019"])
        assert cfg.rules.era == "lab2019"
        assert {"coordinating_caseworker", "mentor_support"} <= set(cfg.mechanisms)
    cfg, _ = compose(["rules=lab2014"])
    assert "mentor_support" not in cfg.mechanisms


def test_a_scenarios_mechanism_settings_go_on_top_of_the_rulebooks():
    cfg, _ = compose(["rules=lab2019", "mechanisms.mentor_support.share=0.2"])
    assert cfg.mechanisms["mentor_support"].share == pytest.approx(0.2)
    assert cfg.mechanisms["mentor_support"].interval_days == 14      # the rulebook's, kept


def test_era_scenario_runs_under_lab2019_and_its_baseline_under_conf_s_rulebook():
    import dataclasses

    from sim.experiment import compose_comparison
    from sim.settings_diff import render_assumptions

    cfg, description, base_cfg, _ = compose_comparison(["scenario=era_2019"])
    assert cfg.rules.era == "lab2019" and base_cfg.rules.era == "lab2014"
    assert "mentor_support" in cfg.mechanisms and "mentor_support" not in base_cfg.mechanisms
    shown = render_assumptions(description["assumptions"], dataclasses.asdict(cfg))
    assert not any("{" in a for a in shown)          # the rulebook's settings fill them in
    assert any("12.0%" in a or "12%" in a for a in shown)


def test_era_scenario_with_another_rulebook_on_the_command_line_is_one_line_error():
    with pytest.raises(ConfigError, match="era_2019 runs under rulebook lab2019.*rules=lab2014"):
        compose(["scenario=era_2019", "rules=lab2014"])


def test_unknown_rulebook_in_a_scenario_names_the_valid_ones(tmp_path, monkeypatch):
    from sim import configure

    (tmp_path / "bad_era.yaml").write_text("description: {title: x}\nrules: lab2091\n")
    monkeypatch.setattr(configure, "SCENARIO_DIR", tmp_path)
    with pytest.raises(ConfigError, match="lab2091.*lab2014.*lab2019"):
        configure.load_scenario("bad_era")


def test_a_backtest_names_an_existing_file_and_only_for_a_country():
    with pytest.raises(ConfigError, match="no such back-test.*vive20_2019"):
        compose(["jobcenter=national2019", "jobcenter.backtest=vive20_2091"])
    with pytest.raises(ConfigError, match="unknown key 'jobcenter.backtest'"):
        compose(["jobcenter=small", "+jobcenter.backtest=vive20_2019"])


def test_national2019_profile_has_94_jobcenters_and_names_its_backtest():
    cfg, _ = compose(["jobcenter=national2019", "rules=lab2019"])
    assert sum(cfg.jobcenter.members.values()) == 94
    assert cfg.jobcenter.backtest == "vive20_2019"


# --------------------------------------------------------------------------- the back-test's rule
def aggregate(stock: float = 1000.0, talks: float = 9000.0, mentor: float = 0.12) -> dict:
    """A national aggregate of one year in which every group has ``stock`` full-time persons and
    ``talks`` talks (what :func:`sim.national.aggregate` returns, the keys the back-test reads)."""
    groups = {}
    for g in ("adp", "kth_job_ready", "kth_activity_ready", "sdp_cat1", "sdp_cat2", "sdp_cat3",
              "job_clarification", "resource_course", "ly"):
        groups[g] = {"mean_stock": stock, "entries": stock * 2, "talks_held": talks,
                     "extra_talks_held": 0.0, "talks_on_time": talks, "talks_due": talks,
                     "offer_days_active": 0.3 * stock * 365, "stock_days": stock * 365,
                     "mentor_days": mentor * stock * 365}
    return {"groups": groups, "years": 1.0,
            "totals": {"cost_dkk": 4.5e9 * 1.2, "offer_running_cost_dkk": 0.0}}


def test_backtest_values_are_talks_per_person_spells_by_littles_law_and_cost_change():
    v = backtest_values(aggregate(), {"operating_cost_dkk": 4.5e9})
    assert v["talks_per_person_adp"] == pytest.approx(9.0)
    assert v["talks_total"] == pytest.approx(6 * 9000.0)           # the four groups
    assert v["spell_months_adp"] == pytest.approx(1000 / (2000 / 365) / DAYS_PER_MONTH)
    assert v["mentor_share_activity_ready"] == pytest.approx(0.12)
    assert v["operating_cost_change"] == pytest.approx(0.2)
    assert v["stock_sickness"] == pytest.approx(4000.0)


def test_a_prediction_outside_its_tolerance_fails_and_inputs_are_not_judged():
    spec, targets = load_backtest("vive20_2019")
    reference = spec.reference
    good = backtest_values(aggregate(talks=9000.0), reference)      # 9 talks a person
    poor = backtest_values(aggregate(talks=4000.0), reference)      # 4 talks a person
    by_id = {r["id"]: r for r in evaluate([good, good], targets)}
    assert by_id["talks_per_person_four_groups"]["passed"]
    by_id = {r["id"]: r for r in evaluate([poor, poor], targets)}
    assert not by_id["talks_per_person_four_groups"]["passed"]
    assert not by_id["talks_per_person_sickness"]["passed"]          # at least 7
    kinds = {t.id: t.tolerance_kind for t in targets}
    assert kinds["stock_adp"] == "input" and kinds["operating_cost_change"] == "comparison"


def test_every_backtest_row_is_in_the_report_with_its_verdict():
    spec, targets = load_backtest("vive20_2019")
    values = backtest_values(aggregate(), spec.reference)
    rows = evaluate([values, values], targets)
    for r in rows:
        if r["tolerance_kind"] in ("input", "comparison"):
            r["passed"] = None
    meta = {"profile": "national2019", "rules": "lab2019", "jobcenters": 94, "simulated": 94,
            "scenario": "baseline", "effects": "literature", "seed": 2014, "replications": 2,
            "horizon_days": 365, "warmup_days": 182, "wall_seconds": 1.0, "workers": 1}
    text = report_markdown(spec, rows, meta)
    for t in targets:
        assert t.label in text
    tested = [r for r in rows if r["passed"] is not None]
    assert f"{sum(r['passed'] for r in tested)} of {len(tested)} predictions" in text
    assert "**fail**" in text                  # 9 talks a person in every group: some rows miss
    assert not any(math.isnan(r["simulated"]) for r in rows)


# --------------------------------------------------------------------------- the back-test, small
SMALL_BACKTEST = ["jobcenter=national2019_sample", "rules=lab2019", "replications=2",
                  "horizon_days=120", "warmup_days=60", "progress=false"]
"""The back-test's command at small scale: the stratified sample of the 2019 country (two
jobcenters per size class and Copenhagen), two replications, a short year. The full back-test is
``python -m sim jobcenter=national2019 rules=lab2019`` (docs/backtest.md)."""


@pytest.fixture(scope="module")
def small_backtest(tmp_path_factory):
    import subprocess
    import sys

    from sim.configure import PROJECT_ROOT

    run_dir = tmp_path_factory.mktemp("backtest") / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", *SMALL_BACKTEST,
                           f"hydra.run.dir={run_dir}"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, run_dir


def test_the_backtest_writes_every_row_with_its_verdict(small_backtest):
    import pandas as pd

    proc, run_dir = small_backtest
    text = (run_dir / "backtest.md").read_text()
    table = pd.read_csv(run_dir / "backtest.csv")
    _, targets = load_backtest("vive20_2019")
    assert list(table["id"]) == [t.id for t in targets]
    assert not (run_dir / "calibration.md").exists()
    tested = table[~table["tolerance_kind"].isin(["input", "comparison"])]
    for _, row in tested.iterrows():           # the verdict is the tolerance applied to the mean
        inside = row["accepted_low"] <= row["simulated"] <= row["accepted_high"]
        assert bool(row["passed"]) == inside
        assert row["label"] in text
    assert table[table["tolerance_kind"] == "input"]["passed"].isna().all()
    assert text.count("| pass |") + text.count("| **fail** |") == len(tested)
    assert f"back-test: {int(tested['passed'].sum())} of {len(tested)} predictions" in proc.stdout


def test_the_backtest_runs_under_the_2019_rules_with_mentors_and_coordination(small_backtest):
    import pandas as pd

    _, run_dir = small_backtest
    table = pd.read_csv(run_dir / "backtest.csv").set_index("id")
    assert set(table["rules"]) == {"lab2019"}
    mentor = table.loc["mentor_share_activity_ready", "simulated"]
    assert 0.02 < mentor < 0.125      # 12% of spells, from week 8 on, while the spell lasts
    assert table.loc["talks_per_person_sickness", "simulated"] > 0


@pytest.mark.calibration
def test_the_full_backtest_of_94_jobcenters_writes_every_row_and_its_verdict(tmp_path):
    """The back-test's own command (two replications instead of the stopping rule's five)."""
    import subprocess
    import sys

    import pandas as pd

    from sim.configure import PROJECT_ROOT

    run_dir = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "jobcenter=national2019", "rules=lab2019",
                           "replications=2", "progress=false", f"hydra.run.dir={run_dir}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = pd.read_csv(run_dir / "backtest.csv").set_index("id")
    _, targets = load_backtest("vive20_2019")
    assert list(table.index) == [t.id for t in targets]
    text = (run_dir / "backtest.md").read_text()
    assert "94 jobcenters, 94 simulated one by one" in text
    tested = table[~table["tolerance_kind"].isin(["input", "comparison"])]
    for _, row in tested.iterrows():
        assert bool(row["passed"]) == (row["accepted_low"] <= row["simulated"]
                                       <= row["accepted_high"])
    # the country is the 2019 one: its stocks stay near the inputs it was given
    for key in ("stock_cash_benefit", "stock_sickness", "stock_ly"):
        assert table.loc[key, "simulated"] == pytest.approx(table.loc[key, "target"], rel=0.1)
