"""Rules that are more than deadlines (the 2019 rulebook's): mentor support and the coordinating
caseworker for the activity-ready (sim/mechanisms/mentor_support.py, coordinating_caseworker.py;
docs/mechanisms.md).

Runs are the small jobcenter, 60 days of warm-up and 180 measured, without the event log; the
same seed with and without a mechanism, so that differences are the mechanism's.
"""
from __future__ import annotations

import pytest

from sim.configure import compose
from sim.mechanisms import build_configs
from sim.model import run
from sim.results import group_rows, headline
from sim.schema import ConfigError

SMALL = ["jobcenter=small", "warmup_days=60", "horizon_days=180", "event_log=false"]
GROUP = "kth_activity_ready"


def simulate(*overrides: str):
    cfg, _ = compose([*SMALL, *overrides])
    result = run(cfg)
    return result, {r["group"]: r for r in group_rows(result)}


@pytest.fixture(scope="module")
def without():
    return simulate()


@pytest.fixture(scope="module")
def mentors():
    return simulate("+mechanisms.mentor_support={}")


@pytest.fixture(scope="module")
def coordination():
    return simulate("+mechanisms.coordinating_caseworker={}")


def k(result, name):
    return result.counters.mechanisms[name]


# --------------------------------------------------------------------------- mentor support
def test_about_the_share_of_activity_ready_spells_get_a_mentor(mentors):
    result, rows = mentors
    row = rows[GROUP]
    share = row["mentor_days"] / (row["mean_stock"] * 180)
    # 12% of spells; those shorter than 8 weeks never get one: a little under 12% of the days
    assert 0.08 < share < 0.12
    assert k(result, "mentor_support")["mentors_started"] > 0
    assert all(r["mentor_days"] == 0 for g, r in rows.items() if g != GROUP)


def test_mentor_meetings_are_every_14_days_and_cost_hours_times_price(mentors):
    result, rows = mentors
    m = k(result, "mentor_support")
    assert m["mentor_cost_dkk"] == pytest.approx(m["mentor_meetings"] * 1.5 * 450)
    assert rows[GROUP]["mentor_cost_dkk"] == pytest.approx(m["mentor_cost_dkk"])
    # a meeting every 14 days of mentor, give or take the mentors' first and last fortnight
    assert m["mentor_meetings"] == pytest.approx(m["mentor_days"] / 14, rel=0.1)


def test_mentor_cost_is_bought_support_in_the_offers_running_cost_not_operation(mentors):
    from sim.costs import DAYS_PER_OFFER_MONTH

    result, rows = mentors
    cfg = result.cfg
    offers = (rows[GROUP]["offer_days_active"] / DAYS_PER_OFFER_MONTH
              * cfg.model.offer_costs.price_per_offer_month_dkk(GROUP))
    bought = headline(result)["offer_running_cost_dkk_by_group"][GROUP]
    assert bought == pytest.approx(offers + k(result, "mentor_support")["mentor_cost_dkk"])


def test_mentor_meetings_are_not_talks(without, mentors):
    _, before = without
    result, after = mentors
    meetings = k(result, "mentor_support")["mentor_meetings"]
    held = {side: sum(r["talks_held"] + r["extra_talks_held"] for r in rows.values())
            for side, rows in (("before", before), ("after", after))}
    # the talks move only through the caseworkers' extra desk work, far less than the meetings
    assert meetings > 500
    assert abs(held["after"] - held["before"]) < 0.1 * meetings
    assert after[GROUP]["talks_held"] == pytest.approx(before[GROUP]["talks_held"], rel=0.05)


def test_granting_and_following_up_mentors_takes_caseworker_time(without, mentors):
    result, _ = mentors
    m = k(result, "mentor_support")
    minutes = {act: v for (st, act), v in result.counters.activity_minutes.items()
               if st == "caseworker"}
    assert m["grant_minutes"] == pytest.approx(45 * m["mentors_started"], rel=0.3)
    assert minutes.get("mentor_follow_up", 0) > 0
    assert minutes.get("mentor_grant", 0) > 0


def test_same_seed_same_mentors(mentors):
    again, _ = simulate("+mechanisms.mentor_support={}")
    assert dict(k(again, "mentor_support")) == dict(k(mentors[0], "mentor_support"))


def test_no_share_no_mentors():
    result, rows = simulate("+mechanisms.mentor_support.share=0")
    assert k(result, "mentor_support")["mentors_started"] == 0
    assert rows[GROUP]["mentor_days"] == 0


@pytest.mark.parametrize("settings, message", [
    ({"share": 1.5}, "share"),
    ({"groups": ["kth_actvity_ready"]}, "unknown group 'kth_actvity_ready'"),
    ({"intervall_days": 14}, "did you mean 'interval_days'"),
    ({"interval_days": 0}, "interval_days"),
])
def test_bad_mentor_settings_are_one_line_errors(settings, message):
    with pytest.raises(ConfigError, match=message) as err:
        build_configs({"mentor_support": settings})
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- coordination
def test_every_talk_held_with_an_activity_ready_citizen_is_followed_by_coordination(
        coordination):
    result, rows = coordination
    c = k(result, "coordinating_caseworker")
    assert c["coordination_tasks"] == rows[GROUP]["talks_held"]
    assert c["coordination_minutes"] == pytest.approx(20 * c["coordination_tasks"])


def test_coordination_comes_out_of_the_caseworkers_time(without, coordination):
    used0 = headline(without[0])["fte_used_on_casework"]
    used1 = headline(coordination[0])["fte_used_on_casework"]
    worked = sum(v for (st, act), v in coordination[0].counters.activity_minutes.items()
                 if act == "coordination")
    assert worked > 0
    # elastic work gives way, so the rise is at most the coordination itself
    assert used1 >= used0 - 1e-9


def test_a_coordinating_caseworker_and_a_shared_caseload_of_one_group_contradict():
    with pytest.raises(ConfigError, match="kth_activity_ready.*shared caseload") as err:
        build_configs({"coordinating_caseworker": {},
                       "shared_caseload": {"groups": ["kth_activity_ready", "adp"]}})
    assert "\n" not in str(err.value)
    build_configs({"coordinating_caseworker": {}, "shared_caseload": {"groups": ["adp"]}})


def test_bad_coordination_settings_are_one_line_errors():
    with pytest.raises(ConfigError, match="minutes_per_talk"):
        build_configs({"coordinating_caseworker": {"minutes_per_talk": 0}})
    with pytest.raises(ConfigError, match="unknown group"):
        build_configs({"coordinating_caseworker": {"groups": ["cash"]}})
