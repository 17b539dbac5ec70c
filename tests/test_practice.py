"""Jobcenters that differ as QB14 found (sim/practice.py) and the proposals that act on the
centres above the average (practice_norms) or on a fixed budget line (time_budget).

The draws and the configurations are checked without simulating; the capacity each proposal
frees is checked in short paired runs of the small jobcenter (no spell effects, same seed).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim import practice
from sim.configure import compose
from sim.figures import capacity_freed
from sim.mechanisms.practice_norms import Norm, normed
from sim.model import built_config, run
from sim.national import members
from sim.results import headline
from sim.schema import ConfigError

QB14_RANGES = {                 # QB14's spreads across centres (parameters.md, sections 2-3)
    "breaks_hours": (15, 103), "meetings_hours": (49, 164), "training_hours": (1, 78),
    "sickness_days": (3, 20), "sparring_hours": (0, 208), "talk_time_factor": (19 / 34, 55 / 34),
}


@pytest.fixture(scope="module")
def country():
    cfg, _ = compose(["jobcenter=national", "event_log=false", "progress=false"])
    return cfg, members(cfg)


def _built(*overrides):
    cfg, _ = compose(["warmup_days=0", *overrides])
    return built_config(cfg)


# --------------------------------------------------------------------------- the draws
def test_every_drawn_centre_lies_within_the_ranges_qb14_found(country):
    _, ms = country
    assert len(ms) == 94
    for line, (lo, hi) in QB14_RANGES.items():
        values = [getattr(m.cfg.jobcenter.practice, line) for m in ms]
        assert lo <= min(values) and max(values) <= hi, line
        assert max(values) - min(values) > 0.4 * (hi - lo), f"{line}: hardly any spread"


def test_the_country_is_centred_on_the_national_average(country):
    cfg, ms = country
    # weighted by the staff the model schedules, as each centre is staffed for its practice
    weights = np.array([m.weight * practice.scheduled_staff(
        practice.staffed(m.cfg, m.cfg.jobcenter.practice)) for m in ms])
    for line, spec in cfg.model.practice.lines.items():
        values = np.array([getattr(m.cfg.jobcenter.practice, line) for m in ms])
        assert float(weights @ values / weights.sum()) == pytest.approx(spec.average, rel=2e-3)
    manual = [m.cfg.jobcenter.practice.management_information_hours > 0 for m in ms]
    assert 0.12 < np.mean(manual) < 0.4          # about a quarter of the centres (QB14 E6)


def test_a_generous_centre_tends_to_be_generous_in_every_line(country):
    _, ms = country
    breaks = [m.cfg.jobcenter.practice.breaks_hours for m in ms]
    meetings = [m.cfg.jobcenter.practice.meetings_hours for m in ms]
    talks = [m.cfg.jobcenter.practice.talk_time_factor for m in ms]
    assert np.corrcoef(breaks, meetings)[0, 1] > 0.1
    assert np.corrcoef(breaks, talks)[0, 1] > 0.1


def test_each_jobcenter_keeps_its_own_draw_whatever_the_run_seed():
    a, _ = compose(["jobcenter=small", "jobcenter.practice=drawn", "jobcenter.practice_seed=3"])
    b, _ = compose(["jobcenter=small", "jobcenter.practice=drawn", "jobcenter.practice_seed=3",
                    "seed=99"])
    c, _ = compose(["jobcenter=small", "jobcenter.practice=drawn", "jobcenter.practice_seed=4"])
    assert practice.resolve(a) == practice.resolve(b)
    assert practice.resolve(a) != practice.resolve(c)


def test_the_four_largest_cities_are_named_centres(country):
    _, ms = country
    cities = {m.profile for m in ms if m.cfg.jobcenter.big_city}
    assert cities == set(practice.BIG_CITIES)


# --------------------------------------------------------------------------- time adds up
def test_a_profile_run_is_at_the_average_and_its_lines_keep_their_totals():
    base, _ = compose(["jobcenter=medium"])
    built = built_config(base)
    wt, wt0 = built.model.working_time, base.model.working_time
    assert wt.available_hours == wt0.available_hours
    for st, lines in wt0.non_bookable_hours.items():
        assert sum(wt.non_bookable_hours[st].values()) == pytest.approx(sum(lines.values()))
    assert wt.non_bookable_hours["caseworker"]["breaks"] == 46
    assert built.jobcenter.caseworker_pools == base.jobcenter.caseworker_pools


def test_a_drawn_centres_time_still_adds_up_to_its_available_hours():
    cfg = _built("jobcenter=medium", "jobcenter.practice=drawn", "jobcenter.practice_seed=11")
    p = cfg.jobcenter.practice
    wt = cfg.model.working_time
    # each day off sick more or less than the average is 78 / 10.6 hours fewer or more (QB14)
    assert wt.available_hours == pytest.approx(1428 + (10.6 - p.sickness_days) * 78 / 10.6)
    assert wt.sickness_days == pytest.approx(p.sickness_days)
    lines = wt.non_bookable_hours["caseworker"]
    assert lines["breaks"] + lines["meetings"] + lines["training"] == pytest.approx(
        p.breaks_hours + p.meetings_hours + p.training_hours)
    # more breaks and meetings leave fewer bookable hours: the lines never exceed the year
    assert sum(lines.values()) < wt.available_hours


def test_a_centre_with_longer_talks_has_more_caseworkers():
    slow = _built("jobcenter=medium",
                  "jobcenter.practice={talk_time_factor:1.5,documentation_factor:1.8}")
    base = _built("jobcenter=medium")
    for name, pool in base.jobcenter.caseworker_pools.items():
        assert slow.jobcenter.caseworker_pools[name].caseworkers > pool.caseworkers
    assert slow.model.groups["adp"].talk.talk == pytest.approx(1.5 * 34)


def test_an_unknown_practice_setting_is_one_line():
    with pytest.raises(ConfigError, match="valid: average, drawn"):
        compose(["jobcenter.practice=typical"])
    with pytest.raises(ConfigError, match="unknown practice line"):
        compose(["jobcenter.practice={brakes_hours:10}"])


# --------------------------------------------------------------------------- norms
def test_a_norm_to_the_average_changes_only_centres_above_it():
    to_average = Norm(to="average")
    assert normed(15.0, 10.6, to_average) == 10.6
    assert normed(8.0, 10.6, to_average) == 8.0
    assert normed(1.1, 1.0, Norm(to="average", realised_share=0.375)) == pytest.approx(1.0625)
    assert normed(46.0, 46.0, Norm(to="zero")) == 0.0


def test_b2_lowers_sickness_only_in_the_centres_above_the_average(country):
    cfg, ms = country
    scenario, _ = compose(["jobcenter=national", "scenario=b2_sickness"])
    avg = cfg.model.practice.lines["sickness_days"].average
    above = below = 0
    for m in ms[:30]:
        before = built_config(m.cfg).model.working_time.sickness_days
        after = built_config(dataclasses.replace(m.cfg, mechanisms=scenario.mechanisms)
                             ).model.working_time.sickness_days
        if before > avg:
            above += 1
            assert after == pytest.approx(avg)
        else:
            below += 1
            assert after == before
    assert above and below


def test_b1_removes_the_breaks_except_in_the_four_largest_cities():
    for profile, kept in (("medium", False), ("copenhagen", True), ("aarhus", True)):
        cfg = _built(f"jobcenter={profile}", "scenario=b1_breaks")
        assert (cfg.model.working_time.non_bookable_hours["caseworker"]["breaks"] > 0) == kept


def test_d4_closes_the_assumed_share_of_the_wage_gap():
    high = _built("jobcenter=small", "scenario=d4_wages", "jobcenter.practice={wage_factor:1.1}")
    assert high.model.costs.wage_level == pytest.approx(1.0 + 0.625 * 0.1)


# --------------------------------------------------------------------------- time budget
def test_a5_frees_hours_of_the_unemployment_insurance_pool_only():
    cfg = _built("jobcenter=medium", "scenario=a5_akasse_interface")
    pools = cfg.jobcenter.caseworker_pools
    assert pools["adp"].extra_non_bookable_hours["admin_around_casework"] == -31.5
    assert all("admin_around_casework" not in p.extra_non_bookable_hours
               for name, p in pools.items() if name != "adp")


def test_a_saving_larger_than_its_line_is_one_line():
    cfg, _ = compose(["scenario=a9_superusers",
                      "mechanisms.time_budget.items.new_rules.hours_per_year=500"])
    with pytest.raises(ConfigError, match="has only"):
        built_config(cfg)


# --------------------------------------------------------------------------- capacity freed
def _paired(scenario, *overrides, reps=2):
    common = ["jobcenter=small", "horizon_days=120", "warmup_days=0", "effects=none",
              "event_log=false", "progress=false", *overrides]
    out = {}
    for name in ("baseline", scenario):
        cfg, _ = compose([f"scenario={name}", *common])
        out[name] = [{"headline": headline(run(cfg, r))} for r in range(reps)]
    return capacity_freed(out[scenario], out["baseline"]), out


def test_b1_frees_the_breaks_hours_of_every_scheduled_employee():
    freed, recs = _paired("b1_breaks")
    heads = sum(recs["baseline"][0]["headline"]["staff_heads"].values())
    expected = 46.0 * heads / 1428.0          # 46 h a year of breaks per FTE, in FTE
    assert freed["fte"].mean == pytest.approx(expected, rel=0.2)
    assert freed["fte"].low > 0


def test_b4_frees_the_staff_functions_above_the_average():
    freed, _ = _paired("b4_staff_functions", "jobcenter.practice={staff_functions_factor:1.5}",
                       reps=1)
    profile, _ = compose(["jobcenter=small"])
    # 1.5 times the average staff functions come down to the average: half of them are freed
    assert freed["fte"].mean == pytest.approx(0.5 * profile.jobcenter.staff_functions_fte)


def test_d4_frees_no_hours_and_lowers_the_operating_cost():
    freed, recs = _paired("d4_wages", "jobcenter.practice={wage_factor:1.1}", reps=1)
    assert freed["fte"].mean == pytest.approx(0.0, abs=1e-9)
    assert freed["dkk"].mean == pytest.approx(0.0, abs=1e-6)
    cost = {k: v[0]["headline"]["operating_cost_dkk"] for k, v in recs.items()}
    assert cost["d4_wages"] < cost["baseline"] * 0.98


# --------------------------------------------------------------------------- the catalog
QB14_IDS = ("a1_flex", "a2_ly_screening", "a3_foep_threshold", "a4_kth_revisit",
            "a5_akasse_interface", "a6_transport_digital", "a7_forms", "a8_lae265",
            "a9_superusers", "b1_breaks", "b2_sickness", "b3_meetings", "b4_staff_functions",
            "c1_performance", "c2_shared_caseload", "c3_talk_frames", "c4_sparring",
            "c5_rehab_frames", "c6_contact_strategy", "d1_it_skills", "d2_central_booking",
            "d3_specialisation", "d4_wages", "e1_self_verify", "e2_case_insight", "e3_letters",
            "e4_checkin", "e5_cv_search", "e6_mgmt_info", "f1_medical_certs")
"""QB14's 30 proposals by the ids of the scenario catalog."""


@pytest.mark.parametrize("scenario", QB14_IDS)
def test_every_qb14_proposal_is_a_scenario_that_says_where_its_numbers_come_from(scenario):
    from sim.configure import load_scenario

    data = load_scenario(scenario)
    d = data["description"]
    code = scenario.split("_")[0].upper()[:2]
    assert d["title"].startswith(code), scenario
    assert "QB14" in d["source"] and d["mechanism"] and d["assumptions"], scenario
    assert data["mechanisms"] or data["changes"], scenario


@pytest.mark.parametrize("scenario", ["b2_sickness", "b3_meetings", "b4_staff_functions",
                                      "c3_talk_frames", "c4_sparring", "d4_wages"])
def test_a_norm_to_the_average_leaves_the_average_centre_exactly_as_it_is(scenario):
    base = _built("jobcenter=small")
    normed_cfg = _built("jobcenter=small", f"scenario={scenario}")
    assert normed_cfg.model == base.model and normed_cfg.jobcenter == base.jobcenter


@pytest.mark.parametrize("scenario, hours, staff_types", [
    ("a9_superusers", 11.2, ("caseworker",)),
    ("d1_it_skills", 26.1, ("caseworker", "company_consultant", "admin_staff")),
    ("e6_mgmt_info", 0.25 * 15.75, ("caseworker", "company_consultant", "admin_staff")),
])
def test_a_time_budget_saving_frees_its_hours_of_the_staff_it_names(scenario, hours,
                                                                     staff_types):
    freed, recs = _paired(scenario)
    base, scen = recs["baseline"][0]["headline"], recs[scenario][0]["headline"]
    years = 120 / 365
    for st in ("caseworker", "company_consultant", "admin_staff"):
        saved = base["non_bookable_hours"][st] - scen["non_bookable_hours"][st]
        expected = hours * base["staff_heads"][st] * years if st in staff_types else 0.0
        assert saved == pytest.approx(expected, rel=1e-6, abs=1e-6), st
    assert freed["fte"].mean > 0
