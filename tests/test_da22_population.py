"""DA22 proposals on who is in which group and what they are offered, each against the baseline.

Scenarios: ``da_no_resource_courses`` (resource and job-clarification courses abolished, the
52-week sickness-benefit limit back), ``da_min_flexjob_hours`` (flexjob at least 8 hours a
week), ``da_company_activation`` (75% of offers company-based), ``da_more_utility_jobs`` (30
utility-job places) and ``da_free_choice`` (external providers hold part of the contact course).
Runs: the small jobcenter from t0 (no warm-up), 120 days, ``effects=none`` (capacity only), the
baseline's seed (common random numbers).
"""
from __future__ import annotations

import dataclasses
import math

import pytest

from sim.configure import compose, load_scenario
from sim.domain.population import SpellPlanner
from sim.engine.streams import Streams
from sim.model import Model, built_config
from sim.results import headline
from sim.schema import ConfigError
from sim.settings_diff import render

SHORT = ("jobcenter=small", "horizon_days=120", "effects=none")
SCENARIOS = ("da_no_resource_courses", "da_min_flexjob_hours", "da_company_activation",
             "da_more_utility_jobs", "da_free_choice")
FLEXJOB_GROUPS = ("kth_activity_ready", "sdp_cat1", "sdp_cat2", "sdp_cat3", "job_clarification",
                  "resource_course")


@pytest.fixture(scope="module")
def baseline(simulate):
    return simulate("scenario=baseline", *SHORT)


@pytest.fixture(scope="module")
def runs(simulate):
    """``runs(id)`` -> the scenario's 120-day run (cached by ``simulate``)."""
    return lambda scenario: simulate(f"scenario={scenario}", *SHORT)


def _required_hours(result, staff_type: str) -> float:
    """Required (not elastic) work of ``staff_type`` in the run, hours."""
    return headline(result)["required_work_hours"][staff_type]


def _minutes(result, activity: str, staff_type: str = "caseworker") -> float:
    return result.counters.activity_minutes.get((staff_type, activity), 0.0)


def _one_line_error(overrides, build: bool = False) -> str:
    """The ConfigError of composing ``overrides`` (and building the model, if ``build``)."""
    with pytest.raises(ConfigError) as err:
        cfg, _ = compose(["jobcenter=small", "horizon_days=120", "warmup_days=0", *overrides])
        if build:
            Model(cfg, 0)
    message = str(err.value)
    assert "\n" not in message
    return message


# --------------------------------------------------------------------------- every scenario
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_runs_by_name_and_says_where_its_numbers_come_from(runs, baseline, scenario):
    description = load_scenario(scenario)["description"]
    assert description["title"].startswith("DA22 ")
    assert description["source"].startswith("DA22 ")
    assert len(description["mechanism"]) > 300
    result = runs(scenario)
    assert result.cfg.scenario == scenario
    assert result.cfg.seed == baseline.cfg.seed
    config = dataclasses.asdict(result.cfg)
    for text in description["assumptions"]:
        assert "assumption" in text or "DA22" in text or "CPH" in text or "VIVE20" in text
        render(text, config)             # every {path} names a setting (KeyError if not)
    assert sum(gc.talks_held for gc in result.counters.groups.values()) > 5000


# --------------------------------------------------------------------------- resource courses
def test_without_resource_courses_no_one_is_on_one_and_the_rehabilitation_team_has_less_work(
        runs, baseline):
    result = runs("da_no_resource_courses")
    groups, base = result.counters.groups, baseline.counters.groups
    for g in ("resource_course", "job_clarification"):
        assert groups[g].transfers_in == 0 and groups[g].inflow_new == 0
        assert groups[g].stock == 0 and groups[g].talks_held <= 6 < base[g].talks_held
    assert base["resource_course"].stock > 0 and base["job_clarification"].stock > 50
    # the resource-course stock at t0 moved to cash benefit on day 1 or left (see the planner
    # test for the share), none of it through the rehabilitation team
    rc = result.counters.groups["resource_course"]
    assert rc.initial_stock == 6 and rc.transfers_out + rc.exits_total == 6
    assert rc.transfers_out >= 1 and rc.exits["other"] == rc.exits_total
    # the rehabilitation team: about half its cases, and its preparation, gone
    cases = sum(gc.rehab_cases for gc in groups.values())
    base_cases = sum(gc.rehab_cases for gc in base.values())
    assert base_cases >= 20 and 0.25 * base_cases < cases < 0.75 * base_cases
    prep, base_prep = _minutes(result, "rehab_preparation"), _minutes(baseline, "rehab_preparation")
    assert 0.2 * base_prep < prep < 0.8 * base_prep
    # sickness spells stay in sickness benefit past 22 weeks: the sickness stock is higher
    sdp = sum(groups[g].stock for g in ("sdp_cat1", "sdp_cat2", "sdp_cat3"))
    base_sdp = sum(base[g].stock for g in ("sdp_cat1", "sdp_cat2", "sdp_cat3"))
    assert 1.05 * base_sdp < sdp < 1.4 * base_sdp
    # caseworkers' required work falls (the dense job-clarification cadence is gone)
    freed = _required_hours(baseline, "caseworker") - _required_hours(result, "caseworker")
    assert 0.02 * _required_hours(baseline, "caseworker") < freed \
        < 0.2 * _required_hours(baseline, "caseworker")


def test_the_52_week_limit_sends_sickness_spells_to_cash_benefit_not_job_clarification():
    cfg, _ = compose(["scenario=da_no_resource_courses", "jobcenter=small"])
    planner = SpellPlanner(cfg, Streams(cfg.seed, 0))
    plans = [planner.draw("sdp_cat2") for _ in range(20000)]
    limited = [p for p in plans if p.route == "limit"]
    assert limited and all(p.length == 364 for p in limited)
    assert {p.to for p in limited} == {"kth_activity_ready"}
    assert not any(p.to in ("job_clarification", "resource_course") for p in plans)
    # the activity-ready who would have gone to a resource course stay on cash benefit
    plans = [planner.draw("kth_activity_ready") for _ in range(20000)]
    redirected = [p for p in plans if p.route == "resource_course"]
    assert 0.02 * len(plans) < len(redirected) < 0.04 * len(plans)
    assert all(p.to == "kth_activity_ready" and not p.via_rehab_team for p in redirected)
    # a resource course ends on its first day: 80% to cash benefit (eligible), the rest leave
    plans = [planner.draw("resource_course") for _ in range(20000)]
    assert all(p.length == 1 and p.route == "limit" for p in plans)
    to_cash = sum(p.to == "kth_activity_ready" for p in plans) / len(plans)
    assert to_cash == pytest.approx(0.8, abs=0.01)


# --------------------------------------------------------------------------- flexjob hours
def _route_shares(scenario: str) -> dict:
    cfg, _ = compose([f"scenario={scenario}", "jobcenter=small"])
    return {g: {r: e.share for r, e in cfg.model.groups[g].exits.items()}
            for g in FLEXJOB_GROUPS}


def test_min_flexjob_hours_moves_two_fifths_of_flexjob_grants_to_disability_pension():
    base, scen = _route_shares("baseline"), _route_shares("da_min_flexjob_hours")
    for g in FLEXJOB_GROUPS:
        assert math.isclose(sum(scen[g].values()), 1.0, abs_tol=1e-9), g
        assert scen[g]["flexjob"] == pytest.approx(0.59 * base[g]["flexjob"], rel=1e-6), g
        moved = base[g]["flexjob"] - scen[g]["flexjob"]
        assert scen[g]["disability_pension"] == pytest.approx(
            base[g]["disability_pension"] + moved, rel=1e-6), g
        for r in base[g]:
            if r not in ("flexjob", "disability_pension"):
                assert scen[g][r] == base[g][r]


def test_min_flexjob_hours_shrinks_the_flexjob_unemployed_with_a_small_process_effect(
        runs, baseline):
    result = runs("da_min_flexjob_hours")
    ly, base_ly = result.counters.groups["ly"], baseline.counters.groups["ly"]
    assert ly.initial_stock == round(0.59 * base_ly.initial_stock)
    assert 0.45 * base_ly.talks_held < ly.talks_held < 0.75 * base_ly.talks_held
    assert 0.4 * base_ly.stock_area < ly.stock_area < 0.8 * base_ly.stock_area
    # the population's size changed, not the process: every other group's talks about as before,
    # and caseworkers' required work within 2% of the baseline's
    for g, gc in result.counters.groups.items():
        if g != "ly":
            assert gc.talks_held == pytest.approx(baseline.counters.groups[g].talks_held, rel=0.15)
    assert _required_hours(result, "caseworker") == pytest.approx(
        _required_hours(baseline, "caseworker"), rel=0.02)
    # the staff stay as the profile has them
    assert result.cfg.jobcenter.caseworker_pools == baseline.cfg.jobcenter.caseworker_pools


# --------------------------------------------------------------------------- company activation
def test_company_activation_moves_offer_work_to_the_company_consultants(runs, baseline):
    result = runs("da_company_activation")
    assert all(b.offer.company_based_share == 0.75 for b in result.cfg.model.groups.values())
    forms = _minutes(result, "company_forms", "company_consultant")
    base_forms = _minutes(baseline, "company_forms", "company_consultant")
    assert 1.3 * base_forms < forms < 2.5 * base_forms
    startup, base_startup = _minutes(result, "offer_startup"), _minutes(baseline, "offer_startup")
    assert 0.3 * base_startup < startup < 0.7 * base_startup
    more = _required_hours(result, "company_consultant") - _required_hours(baseline,
                                                                           "company_consultant")
    assert 0.1 * _required_hours(baseline, "company_consultant") < more \
        < 0.5 * _required_hours(baseline, "company_consultant")
    assert _required_hours(result, "caseworker") < _required_hours(baseline, "caseworker")


# --------------------------------------------------------------------------- utility jobs
def test_utility_jobs_keep_the_places_filled_and_last_at_most_13_weeks(runs, baseline):
    result = runs("da_more_utility_jobs")
    k = headline(result)["mechanism_counters"]["utility_jobs"]
    assert k["places_in_use_max"] == 30
    assert k["utility_jobs_started"] >= 40
    # used systematically: on average more than two thirds of the places are taken
    assert 20 * 120 < k["place_days"] <= 30 * 120
    assert k["place_days"] / k["utility_jobs_started"] <= 13 * 7
    assert k["no_place_free"] > 0
    # their referrals are caseworker desk work; utility jobs replace offers, they add none
    done = _minutes(result, "utility_job_startup")        # done by the horizon of those asked
    assert 0.8 * k["startup_minutes"] < done <= k["startup_minutes"] + 1e-6
    assert k["startup_minutes"] == 30 * k["referrals"]
    kth = ("kth_job_ready", "kth_activity_ready")
    offers = sum(result.counters.groups[g].offers_started for g in kth)
    base_offers = sum(baseline.counters.groups[g].offers_started for g in kth)
    assert offers == pytest.approx(base_offers, rel=0.1)


def test_utility_jobs_take_the_place_of_other_offers_only_in_cash_benefit(runs, baseline):
    result = runs("da_more_utility_jobs")
    rows = result.log.columns()
    kth = {"kth_job_ready", "kth_activity_ready"}
    groups = {g for g, a in zip(rows["group"], rows["activity"]) if a == "utility_job_startup"}
    assert groups and groups <= kth
    for g in ("adp", "sdp_cat1", "ly"):
        assert result.counters.groups[g].offers_started == pytest.approx(
            baseline.counters.groups[g].offers_started, rel=0.1)


# --------------------------------------------------------------------------- free choice
def test_free_choice_moves_talks_to_providers_and_brings_re_keying(runs, baseline):
    result = runs("da_free_choice")
    k = headline(result)["mechanism_counters"]["free_choice"]
    chose, stayed = k["spells_choosing"], k["spells_staying"]
    assert 0.18 < chose / (chose + stayed) < 0.32
    assert k["provider_talks"] >= 30
    jobcenter = sum(result.counters.groups[g].talks_held for g in ("adp", "kth_job_ready"))
    base = sum(baseline.counters.groups[g].talks_held for g in ("adp", "kth_job_ready"))
    assert 0.4 * k["provider_talks"] < base - jobcenter < 1.6 * k["provider_talks"]
    done = _minutes(result, "job_plan_rekeying")          # done by the horizon of those asked
    assert 0.8 * k["rekey_minutes"] < done <= k["rekey_minutes"] + 1e-6
    assert k["rekey_minutes"] == 15 * k["provider_talks"]
    # a talk's preparation, talk and documentation (about 54-84 minutes) against 15 of re-keying
    talk_work = ("talk", "talk_preparation", "talk_documentation", "reception_walk")
    saved = sum(_minutes(baseline, a) - _minutes(result, a) for a in talk_work)
    assert 2 * k["rekey_minutes"] < saved < 8 * k["rekey_minutes"]
    for g in ("sdp_cat1", "sdp_cat2", "kth_activity_ready", "ly"):
        assert result.counters.groups[g].talks_held == pytest.approx(
            baseline.counters.groups[g].talks_held, rel=0.05)


# --------------------------------------------------------------------------- config errors
def test_bad_population_settings_end_in_one_line():
    assert "unknown group 'flexjob'" in _one_line_error(
        ["mechanisms.population.groups.flexjob.stock_factor=0.5"])
    assert "must not be negative" in _one_line_error(
        ["mechanisms.population.groups.ly.inflow_factor=-0.5"])
    assert "stock_facter" in _one_line_error(["mechanisms.population.groups.ly.stock_facter=0.5"])


def test_population_factors_scale_stock_and_inflow_and_leave_cfg_alone():
    cfg, _ = compose(["scenario=da_min_flexjob_hours", "jobcenter=small"])
    built = built_config(cfg)
    assert built.jobcenter.groups["ly"].initial_stock == round(0.59 * 134)
    assert built.jobcenter.groups["ly"].inflow_per_year == pytest.approx(0.59 * 134)
    assert cfg.jobcenter.groups["ly"].initial_stock == 134
    assert built.jobcenter.groups["adp"] == cfg.jobcenter.groups["adp"]


def test_bad_utility_job_settings_end_in_one_line():
    assert "must not be negative" in _one_line_error(["mechanisms.utility_jobs.places=-1"])
    assert "whole number" in _one_line_error(["mechanisms.utility_jobs.places=2.5"])
    assert "max_weeks" in _one_line_error(["mechanisms.utility_jobs.max_weeks=0"])
    assert "is empty" in _one_line_error(["mechanisms.utility_jobs.groups=[]"])
    assert "unknown group" in _one_line_error(["mechanisms.utility_jobs.groups=[kth]"])


def test_bad_free_choice_settings_end_in_one_line():
    assert "must lie in [0, 1]" in _one_line_error(["mechanisms.free_choice.choice_share=1.5"])
    assert "must not be negative" in _one_line_error(["mechanisms.free_choice.rekey_minutes=-5"])
    assert "unknown group" in _one_line_error(["mechanisms.free_choice.groups=[adp,kth]"])
