"""The VIVE20 catalog's practices and challenges as scenarios (issue 16): early and frequent
contact in sickness cases, low fixed caseloads for the activity-ready, health-system waits
before rehabilitation-team and clarification decisions, company consultants early in long
sickness cases at a lower caseload, an in-house competence centre instead of external
providers.

Each scenario runs by name and moves what it targets against the baseline with the same seed,
in the expected direction and by the expected order of size. Capacity checks run without spell
effects (``effects=none``), so that the same citizens come and go in both runs. Small
jobcenter, from t0 (no warm-up).
"""
from __future__ import annotations

import math

import pytest

from sim.configure import compose
from sim.costs import offer_running_cost_dkk
from sim.mechanisms import caseload_cap, decision_health_wait, inhouse_offers
from sim.model import Model
from sim.schema import ConfigError

SMALL = ("jobcenter=small", "warmup_days=0", "event_log=false", "progress=false")
NO_FX = (*SMALL, "effects=none")
SHORT = "horizon_days=120"
YEAR = "horizon_days=365"
SICKNESS = ("sdp_cat1", "sdp_cat2", "sdp_cat3")

SCENARIOS = ["vive_early_sdp_contact", "vive_caseload_cap", "vive_health_wait",
             "vive_early_consultant", "vive_inhouse_offers"]
KTH = ("kth_job_ready", "kth_activity_ready")


def _one_line_error(overrides, build: bool = False) -> str:
    """The ConfigError of composing ``overrides`` (and building the model, if ``build``)."""
    with pytest.raises(ConfigError) as err:
        cfg, _ = compose([*NO_FX, SHORT, *overrides])
        if build:
            Model(cfg, 0)
    message = str(err.value)
    assert "\n" not in message
    return message


def _sum(result, groups, attr):
    return sum(getattr(result.counters.groups[g], attr) for g in groups)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_scenario_runs_by_name_and_states_its_assumptions(simulate, scenario):
    cfg, description = compose([f"scenario={scenario}", *NO_FX, SHORT])
    assert description["title"].startswith("VIVE20 ")
    assert "VIVE20" in description["source"] and description["mechanism"]
    assert len(description["assumptions"]) >= 4
    result = simulate(f"scenario={scenario}", *NO_FX, SHORT)
    assert result.counters.groups["adp"].talks_held > 1000


# ============================================================== early sickness contact
EARLY = "scenario=vive_early_sdp_contact"


def test_early_contact_calls_sickness_cases_in_within_a_week_and_weekly_at_first():
    cfg, _ = compose([EARLY, *NO_FX, SHORT])
    for g in SICKNESS:
        assert cfg.rules.groups[g].first_talk_days == 7
    for g in ("sdp_cat2", "sdp_cat3"):
        first, then = cfg.rules.groups[g].cadence
        assert (first.from_day, first.interval_days) == (0, 14)
        assert then.from_day == 28
    assert cfg.rules.groups["sdp_cat1"].cadence[0].interval_days == 91


def test_early_contact_costs_more_sickness_talks_and_leaves_other_groups_alone(simulate):
    base = simulate("scenario=baseline", *NO_FX, SHORT)
    early = simulate(EARLY, *NO_FX, SHORT)
    held_b, held_s = _sum(base, SICKNESS, "talks_held"), _sum(early, SICKNESS, "talks_held")
    minutes_b = _sum(base, SICKNESS, "talk_total_minutes")
    minutes_s = _sum(early, SICKNESS, "talk_total_minutes")
    # the first talks come ~7 weeks earlier and the first month is weekly: more talks and more
    # talk time, though the sickness caseworkers cannot hold all of them on time
    assert 1.05 < held_s / held_b < 1.5
    assert 1.05 < minutes_s / minutes_b < 1.5
    assert early.counters.groups["sdp_cat3"].talks_held > 1.3 * base.counters.groups["sdp_cat3"].talks_held
    on_time_b = _sum(base, SICKNESS, "talks_on_time") / held_b
    on_time_s = _sum(early, SICKNESS, "talks_on_time") / held_s
    assert on_time_s < on_time_b - 0.1          # the pool's diaries are full: talks come late
    for g in ("adp", "kth_job_ready", "ly"):
        assert early.counters.groups[g].talks_held == pytest.approx(
            base.counters.groups[g].talks_held, rel=0.03)


def test_early_contact_gives_more_talk_exposure_and_more_job_exits_with_effects(simulate):
    base = simulate("scenario=baseline", *SMALL, SHORT)
    early = simulate(EARLY, *SMALL, SHORT)

    def per_day(r):
        return sum(
            r.counters.groups[g].exposure["talk"] for g in SICKNESS) / sum(
            r.counters.groups[g].exposure["days"] for g in SICKNESS)

    assert per_day(early) > 1.1 * per_day(base)
    jobs_b = sum(base.counters.groups[g].exits["job"] for g in SICKNESS)
    jobs_s = sum(early.counters.groups[g].exits["job"] for g in SICKNESS)
    assert 1.0 < jobs_s / jobs_b < 1.3


# ============================================================== caseload cap
CAP = "scenario=vive_caseload_cap"


def test_caseload_cap_gives_the_activity_ready_a_team_sized_to_the_cap(simulate):
    cfg, _ = compose([CAP, *NO_FX, SHORT])
    model = Model(caseload_cap.configure(cfg.mechanisms["caseload_cap"], cfg), 0)
    team = model.services["kth_activity_ready"].pool
    rest = model.services["kth_job_ready"].pool
    stock = cfg.jobcenter.groups["kth_activity_ready"].initial_stock       # 893
    assert team.n == math.ceil(stock / 40) == 23
    assert team.n + rest.n > cfg.jobcenter.caseworker_pools["cash_benefit"].caseworkers + 10
    k = simulate(CAP, *NO_FX, SHORT).counters.mechanisms["caseload_cap"]
    assert k["caseworkers/cash_benefit_kth_activity_ready"] == 23
    assert k["caseworkers_added"] == 23 - k["caseworkers_without_cap/cash_benefit_kth_activity_ready"]
    assert 8 <= k["caseworkers_added"] <= 16       # the baseline's 16 serve 1,178 citizens
    assert k["max_caseload"] <= 42 and k["assignments"] > stock


def test_caseload_cap_buys_about_monthly_talks_for_the_activity_ready(simulate):
    base = simulate("scenario=baseline", *NO_FX, SHORT)
    cap = simulate(CAP, *NO_FX, SHORT)
    b, s = base.counters.groups["kth_activity_ready"], cap.counters.groups["kth_activity_ready"]
    assert 2.0 < s.talks_held / b.talks_held < 3.2          # every 4 weeks instead of 3 months
    assert s.talks_on_time / s.talks_held > 0.8


def test_caseload_cap_at_the_rulebook_cadence_puts_the_time_into_elastic_talks(simulate):
    base = simulate("scenario=baseline", *NO_FX, SHORT)
    cap = simulate(CAP, "mechanisms.caseload_cap.talk_interval_days=0", *NO_FX, SHORT)
    b, s = base.counters.groups["kth_activity_ready"], cap.counters.groups["kth_activity_ready"]
    assert s.talks_held == pytest.approx(b.talks_held, rel=0.05)
    assert s.talks_on_time / s.talks_held >= b.talks_on_time / b.talks_held
    assert s.extra_talks_held > 2 * b.extra_talks_held


def test_caseload_cap_bad_settings_fail_in_one_line():
    assert "citizens_per_caseworker" in _one_line_error(
        [CAP, "mechanisms.caseload_cap.citizens_per_caseworker=0"])
    assert "talk_interval_days" in _one_line_error(
        [CAP, "mechanisms.caseload_cap.talk_interval_days=5"])
    assert "unknown group" in _one_line_error([CAP, "mechanisms.caseload_cap.groups=[nobody]"])


# ============================================================== health waits before decisions
WAIT = "scenario=vive_health_wait"
DECISION_GROUPS = decision_health_wait.GROUPS_WITH_DECISIONS


def test_health_wait_puts_off_a_share_of_decisions_by_the_effects_layers_wait(simulate):
    cfg, _ = compose([WAIT, *NO_FX, YEAR])
    hw = cfg.model.effects.health_wait
    k = simulate(WAIT, *NO_FX, YEAR).counters.mechanisms["decision_health_wait"]
    assert k["referrals"] > 60
    assert hw.share - 0.15 < k["waits"] / k["referrals"] < hw.share + 0.15
    assert 0.5 * hw.mean_days < k["wait_days"] / k["waits"] < 1.6 * hw.mean_days
    assert k["decisions_referred_after_wait"] <= k["waits"]


def test_a_longer_health_wait_means_a_longer_time_to_decision_and_on_benefit(simulate):
    base = simulate("scenario=baseline", *NO_FX, YEAR)
    runs = {m: simulate(WAIT, f"model.effects.health_wait.mean_days={m}", *NO_FX, YEAR)
            for m in (21, 42, 84)}

    def days_to_decision(r):
        k = r.counters.mechanisms["decision_health_wait"]
        waits = [w for g in DECISION_GROUPS for w in r.counters.groups[g].rehab_wait_days]
        return k["wait_days"] / k["referrals"] + sum(waits) / len(waits)

    d = {m: days_to_decision(r) for m, r in runs.items()}
    assert d[21] < d[42] < d[84]
    assert 5 < d[84] - d[42] < 25                   # share 0.3 x 42 more days, about 13
    decided = {m: _sum(r, DECISION_GROUPS, "rehab_cases") for m, r in runs.items()}
    assert decided[84] < decided[42] < _sum(base, DECISION_GROUPS, "rehab_cases")
    stock_b = _sum(base, DECISION_GROUPS, "stock_area")
    assert stock_b < _sum(runs[42], DECISION_GROUPS, "stock_area") < _sum(
        runs[84], DECISION_GROUPS, "stock_area")
    # groups without decisions hardly move (shared consultants and case support only)
    assert runs[42].counters.groups["adp"].talks_held == pytest.approx(
        base.counters.groups["adp"].talks_held, rel=0.01)


def test_health_wait_bad_settings_fail_in_one_line():
    assert "unknown group" in _one_line_error(
        [WAIT, "mechanisms.decision_health_wait.groups=[nobody]"])
    assert "empty" in _one_line_error([WAIT, "mechanisms.decision_health_wait.groups=[]"])


# ============================================================== early company consultant
CONSULTANT = "scenario=vive_early_consultant"
LONG_SICK = ("sdp_cat2", "sdp_cat3")


def test_early_consultant_moves_long_sickness_cases_to_a_lower_caseload_team(simulate):
    cfg, _ = compose([CONSULTANT, *NO_FX, SHORT])
    result = simulate(CONSULTANT, *NO_FX, SHORT)
    team = result.pools["consultant_takeover"]
    stock = sum(cfg.jobcenter.groups[g].initial_stock for g in LONG_SICK)      # 329
    assert team.n == math.ceil(stock / 40) == 9
    assert result.pools["sickness"].n < cfg.jobcenter.caseworker_pools["sickness"].caseworkers
    k = result.counters.mechanisms["caseload_cap"]
    assert 1 <= k["caseworkers_added"] <= 5
    assert k["max_caseload"] <= 42
    # the team has the consultants' time budget: no sickness caseworkers' extra sparring
    assert team.non_bookable_share < result.pools["sickness"].non_bookable_share


def test_early_consultant_meets_early_and_works_towards_the_workplace(simulate):
    base = simulate("scenario=baseline", *NO_FX, SHORT)
    early = simulate(CONSULTANT, *NO_FX, SHORT)
    assert _sum(early, LONG_SICK, "talks_held") > 1.2 * _sum(base, LONG_SICK, "talks_held")
    assert _sum(early, LONG_SICK, "offers_started") > 1.15 * _sum(base, LONG_SICK, "offers_started")
    forms_b = base.counters.activity_minutes[("company_consultant", "company_forms")]
    forms_s = early.counters.activity_minutes[("company_consultant", "company_forms")]
    assert 1.02 < forms_s / forms_b < 1.5       # more company-based offers, more forms
    first_b = [d for g in LONG_SICK for d in base.counters.groups[g].first_offer_days]
    first_s = [d for g in LONG_SICK for d in early.counters.groups[g].first_offer_days]
    assert sum(first_s) / len(first_s) < sum(first_b) / len(first_b) - 5


def test_early_consultant_shortens_long_sickness_spells_through_the_effects(simulate):
    base = simulate("scenario=baseline", *SMALL, SHORT)
    early = simulate(CONSULTANT, *SMALL, SHORT)
    jobs_b = sum(base.counters.groups[g].exits["job"] for g in LONG_SICK)
    jobs_s = sum(early.counters.groups[g].exits["job"] for g in LONG_SICK)
    assert 1.02 < jobs_s / jobs_b < 1.3
    assert _sum(early, LONG_SICK, "stock_area") < _sum(base, LONG_SICK, "stock_area")


def test_a_team_of_groups_from_two_pools_fails_in_one_line():
    assert "one team takes groups of one pool" in _one_line_error(
        [CONSULTANT, "mechanisms.caseload_cap.groups=[sdp_cat2,adp]"], build=True)


# ============================================================== in-house competence centre
INHOUSE = "scenario=vive_inhouse_offers"


def test_inhouse_centre_runs_its_share_of_guidance_offers_with_a_shorter_hand_off(simulate):
    cfg, _ = compose([INHOUSE, *NO_FX, YEAR])
    base = simulate("scenario=baseline", *NO_FX, YEAR)
    centre = simulate(INHOUSE, *NO_FX, YEAR)
    k = centre.counters.mechanisms["inhouse_offers"]
    guidance = sum(1 - cfg.model.groups[g].offer.company_based_share for g in KTH) / 2
    started = _sum(centre, KTH, "offers_started")
    assert 0.5 * guidance * 0.7 < k["inhouse_offers_started"] / started < 0.5 * guidance * 1.3
    assert k["startup_minutes_saved"] == 15 * k["inhouse_offers_asked"]
    startup_b = base.counters.activity_minutes[("caseworker", "offer_startup")]
    startup_s = centre.counters.activity_minutes[("caseworker", "offer_startup")]
    assert 0.75 < startup_s / startup_b < 0.95
    assert started == pytest.approx(_sum(base, KTH, "offers_started"), rel=0.03)


def test_inhouse_centre_has_limited_places_and_staff_who_teach(simulate):
    cfg, _ = compose([INHOUSE, *NO_FX, YEAR])
    centre = simulate(INHOUSE, *NO_FX, YEAR)
    k = centre.counters.mechanisms["inhouse_offers"]
    assert k["places"] == inhouse_offers.places_needed(cfg.mechanisms["inhouse_offers"], cfg)
    assert 100 < k["places"] < 200 and k["instructors"] == math.ceil(k["places"] / 12)
    assert centre.pools["competence_centre"].n == k["instructors"]
    assert k["waited_for_place"] > 0 and 0 < k["place_wait_days"] / k["waited_for_place"] < 30
    taught = centre.counters.activity_minutes[("caseworker", inhouse_offers.TEACHING)]
    assert 0.8 * k["instructor_minutes"] < taught <= k["instructor_minutes"] + 1e-6
    # 15 h a week for 12, a quarter more to prepare: about 94 minutes per participant-week
    assert cfg.mechanisms["inhouse_offers"].instructor_minutes_per_week == pytest.approx(93.75)


def test_inhouse_centre_buys_fewer_offer_months_for_its_groups_only(simulate):
    base = simulate("scenario=baseline", *NO_FX, SHORT)
    centre = simulate(INHOUSE, *NO_FX, SHORT)
    cost_b = offer_running_cost_dkk(base.cfg, base.counters)
    cost_s = offer_running_cost_dkk(centre.cfg, centre.counters)
    for g in KTH:
        share = 0.5 * (1 - base.cfg.model.groups[g].offer.company_based_share) * 0.8
        assert cost_s[g] / cost_b[g] == pytest.approx(1 - share, abs=0.03)
    assert cost_s["adp"] == pytest.approx(cost_b["adp"], rel=0.03)


def test_inhouse_bad_settings_fail_in_one_line():
    assert "share" in _one_line_error([INHOUSE, "mechanisms.inhouse_offers.share=1.5"])
    assert "group_size" in _one_line_error([INHOUSE, "mechanisms.inhouse_offers.group_size=0"])
    assert "unknown group" in _one_line_error([INHOUSE, "mechanisms.inhouse_offers.groups=[x]"])
