"""The CPH catalog's proposals, each run by name against the baseline with the same seed.

Runs: the small jobcenter from t0 (no warm-up), 120 days, ``effects=none`` (capacity only), the
baseline's seed (common random numbers). Each test checks that the quantity a proposal's
mechanism targets moves in the expected direction and by about the expected amount.
"""
from __future__ import annotations

import pytest

from sim.configure import compose
from sim.figures import freed_fte
from sim.model import Model
from sim.results import headline
from sim.schema import ConfigError

SHORT = ("jobcenter=small", "horizon_days=120", "effects=none")
CASH = ("kth_job_ready", "kth_activity_ready")


@pytest.fixture(scope="module")
def runs(simulate):
    """scenario id -> headline of its short run (the baseline included)."""
    ids = ("baseline", "cph_fewer_job_talks", "cph_central_clarification",
           "cph_supplier_contact", "cph_progress_reports", "cph_k_kasse")
    return {s: headline(simulate(f"scenario={s}", *SHORT)) for s in ids}


def _freed(runs, s):
    return freed_fte({"headline": runs[s]}, {"headline": runs["baseline"]})


def _non_bookable(h, staff_type):
    return h["non_bookable_hours"][staff_type]


def test_fewer_job_talks_holds_about_5_percent_fewer_job_ready_talks(runs):
    base = runs["baseline"]["talks_by_group"]
    new = runs["cph_fewer_job_talks"]["talks_by_group"]
    fall = 1.0 - new["kth_job_ready"] / base["kth_job_ready"]
    assert 0.02 < fall < 0.10                      # CPH: about 5%
    for g in ("adp", "kth_activity_ready", "sdp_cat2"):
        assert abs(new[g] / base[g] - 1.0) < 0.02    # other groups' talks as before


def test_fewer_job_talks_frees_caseworker_time(runs):
    assert 0.02 < _freed(runs, "cph_fewer_job_talks") < 0.5


def test_central_clarification_moves_caseworkers_into_the_unit(runs):
    pools = runs["cph_central_clarification"]["pools"]
    base = runs["baseline"]["pools"]
    assert pools["clarification_unit"]["members"] == 1            # 3 per 100 of 37, at least 1
    assert sum(p["members"] for n, p in pools.items() if p["staff_type"] == "caseworker") == \
        sum(p["members"] for p in base.values() if p["staff_type"] == "caseworker")
    k = runs["cph_central_clarification"]["mechanism_counters"]["central_clarification"]
    assert k["referrals"] > 20 and k["cases_to_unit"] >= 0.9 * k["referrals"]


def test_central_clarification_prepares_cases_in_the_unit_faster(simulate):
    base = simulate("scenario=baseline", *SHORT)
    unit = simulate("scenario=cph_central_clarification", *SHORT)
    b_cases = sum(gc.rehab_cases for gc in base.counters.groups.values())
    u_cases = sum(gc.rehab_cases for gc in unit.counters.groups.values())
    prep_b = base.counters.activity_minutes[("caseworker", "rehab_preparation")] / b_cases
    prep_u = unit.counters.activity_minutes[("caseworker", "rehab_preparation")] / u_cases
    assert 0.6 < prep_u / prep_b < 0.95           # 20% less per case, queued work aside
    assert unit.counters.activity_minutes[("caseworker", "clarification_referral")] > 0


def test_central_clarification_bad_values_fail_in_one_line():
    with pytest.raises(ConfigError, match="time_saved_share"):
        compose(["scenario=cph_central_clarification",
                 "mechanisms.central_clarification.time_saved_share=1.5"])
    with pytest.raises(ConfigError, match="unknown group"):
        compose(["scenario=cph_central_clarification",
                 "mechanisms.central_clarification.groups=[nobody]"])
    cfg, _ = compose(["scenario=cph_central_clarification", *SHORT, "warmup_days=0",
                      "mechanisms.central_clarification.fte_per_100_caseworkers=100"])
    with pytest.raises(ConfigError, match="lower"):
        Model(cfg)


def test_supplier_contact_moves_hours_off_caseworkers_onto_consultants(runs):
    base, new = runs["baseline"], runs["cph_supplier_contact"]
    off = _non_bookable(base, "caseworker") - _non_bookable(new, "caseworker")
    onto = _non_bookable(new, "company_consultant") - _non_bookable(base, "company_consultant")
    assert off > 0 and onto > 0
    assert 1.5 < off / onto < 2.5                 # the contact needs half the time
    assert 0.1 < _freed(runs, "cph_supplier_contact") < 1.0


def test_progress_reports_free_caseworker_time(runs):
    base, new = runs["baseline"], runs["cph_progress_reports"]
    off = _non_bookable(base, "caseworker") - _non_bookable(new, "caseworker")
    assert 100 < off < 400                        # 3-18 h a year per caseworker, 120 days
    assert 0.05 < _freed(runs, "cph_progress_reports") < 0.6


def test_k_kasse_nets_the_units_time_in_the_cash_benefit_pool(runs):
    base, new = runs["baseline"]["pools"], runs["cph_k_kasse"]["pools"]
    assert new["cash_benefit"]["members"] == base["cash_benefit"]["members"]
    off = _non_bookable(runs["baseline"], "caseworker") - \
        _non_bookable(runs["cph_k_kasse"], "caseworker")
    assert 30 < off < 120                         # 11.6 h a year x 16 caseworkers, 120 days
