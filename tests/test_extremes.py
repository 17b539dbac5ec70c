"""Extreme and degenerate configurations: the model must run and give the answers one can work
out by hand.

All runs: the small jobcenter, no warm-up, short horizons, one replication (``simulate`` in
conftest caches them by overrides).
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.config import GROUPS
from sim.configure import compose
from sim.engine.metrics import EventLog
from sim.model import run
from sim.results import group_summary, headline

BASE = ("jobcenter=small", "horizon_days=120", "replications=1")
POOLS = ("adp", "cash_benefit", "sickness", "rehabilitation")
PROFILE_GROUPS = ("adp", "kth_job_ready", "kth_activity_ready", "sdp_cat1", "sdp_cat2",
                  "sdp_cat3", "job_clarification", "resource_course", "ly")
NO_REENTRY = ("model.reentry.kth_job_ready.return_share=0",
              "model.reentry.kth_activity_ready.return_share=0")
NO_STAFF_ABSENCE = ("model.working_time.sickness_days=0",
                    "model.working_time.planned_absence_days=0",
                    "model.working_time.summer_holiday_weeks=0")
NO_NO_SHOWS = tuple(f"model.groups.{g}.no_show_share=0" for g in GROUPS)


def _only_group(keep: str) -> tuple[str, ...]:
    """Every other group of the profile without stock or inflow."""
    out = []
    for g in PROFILE_GROUPS:
        if g != keep:
            out += [f"jobcenter.groups.{g}.initial_stock=0", f"jobcenter.groups.{g}.inflow_per_year=0"]
    return tuple(out)


def _conserved(result) -> None:
    for g, gc in result.counters.groups.items():
        assert (gc.initial_stock + gc.inflow_new + gc.inflow_reentry + gc.transfers_in
                == gc.exits_total + gc.transfers_out + gc.stock), g
    assert sum(gc.stock for gc in result.counters.groups.values()) == result.alive_at_end


def _summary(result) -> pd.DataFrame:
    return group_summary(result).set_index("group")


# --------------------------------------------------------------------------- zero inflow
ZERO_INFLOW = BASE + tuple(f"jobcenter.groups.{g}.inflow_per_year=0" for g in PROFILE_GROUPS) \
    + NO_REENTRY


@pytest.fixture(scope="module")
def zero_inflow(simulate):
    return simulate(*ZERO_INFLOW)


def test_zero_inflow_the_total_stock_only_drains(zero_inflow):
    c = zero_inflow.counters
    totals = [sum(s) for _, s in c.stock_samples]
    assert len(totals) >= 17                         # weekly samples over 120 days
    assert totals[0] == sum(gc.initial_stock for gc in c.groups.values())
    assert all(b <= a for a, b in zip(totals, totals[1:])), totals
    assert totals[-1] < totals[0] * 0.8              # it does drain
    assert sum(gc.inflow_new + gc.inflow_reentry for gc in c.groups.values()) == 0
    # transfers between groups still happen (sickness -> job clarification) and are fine
    assert c.groups["job_clarification"].transfers_in > 0
    _conserved(zero_inflow)


# --------------------------------------------------------------------------- unlimited staff
# 300 caseworkers per pool (about 6 citizens each; 2,000 gives the same answers and takes 3x as
# long), no staff absence, no no-shows, talks planned at their deadline and no booking lead time.
# Why these choices (found while writing this test):
# * a booking margin plans a talk of the initial stock before t0 for many citizens; all are then
#   booked on day 0 and a caseworker with several of them overflows into day 1 (late), so talks
#   are planned at their deadline (margin 0) and no extra talks compete for the diary;
# * booking_lead_days=7 equals kth_job_ready's first-talk deadline (7 days): a citizen arriving
#   on a Saturday has a deadline on a Saturday and the earliest bookable day is that Saturday, so
#   the first talk is late whatever the capacity (a property of the rules, see the report).
UNLIMITED = BASE + tuple(f"jobcenter.caseworker_pools.{p}.caseworkers=300" for p in POOLS) \
    + NO_STAFF_ABSENCE + NO_NO_SHOWS \
    + tuple(f"model.groups.{g}.extra_talks.share=0" for g in GROUPS) \
    + ("model.talks.booking_lead_days=0", "model.talks.first_talk_lead_days=0",
       "model.talks.booking_margin_days=0")


@pytest.fixture(scope="module")
def unlimited(simulate):
    return simulate(*UNLIMITED)


@pytest.mark.parametrize("group", [g for g in PROFILE_GROUPS if g != "kth_job_ready"])
def test_unlimited_caseworkers_hold_every_talk_on_time(unlimited, group):
    s = _summary(unlimited)
    row = s.loc[group]
    assert row.talks_held > 0
    assert row.talks_missed == 0
    assert row.talks_overdue_at_end == 0
    assert row.talks_on_time == row.talks_held
    assert row.on_time_share == 1.0
    assert row.absence_rebookings == 0


def test_unlimited_caseworkers_hold_every_kth_job_ready_talk_on_time(unlimited):
    row = _summary(unlimited).loc["kth_job_ready"]
    assert row.talks_held > 0
    assert row.talks_on_time == row.talks_held


def test_unlimited_caseworkers_leave_no_talk_late_in_any_group(unlimited):
    # includes the initial stock of kth_job_ready, whose cadence changes at spell day 91: its
    # last talk before t0 is placed so that the next one is not already overdue
    df = pd.DataFrame(unlimited.log.columns())
    late = df[(df.activity == "talk") & (df.on_time == 0)]
    assert late.empty, late.groupby("group").size().to_dict()


# --------------------------------------------------------------------------- no adp caseworkers
NO_ADP_STAFF = BASE + ("jobcenter.caseworker_pools.adp.caseworkers=0",)


@pytest.fixture(scope="module")
def no_adp_staff(simulate):
    return simulate(*NO_ADP_STAFF)


def test_zero_caseworkers_every_adp_talk_is_late(no_adp_staff):
    s = _summary(no_adp_staff)
    adp = s.loc["adp"]
    assert adp.talks_held == 0
    assert adp.talks_on_time == 0
    assert adp.talks_missed > 0
    assert adp.on_time_share == 0.0
    assert no_adp_staff.pools["adp"].n == 0
    h = headline(no_adp_staff)
    assert h["pools"]["adp"]["available_hours"] == 0
    _conserved(no_adp_staff)


def test_zero_caseworkers_for_adp_leaves_other_groups_talking(no_adp_staff):
    s = _summary(no_adp_staff)
    for g in PROFILE_GROUPS:
        if g not in ("adp", "job_clarification", "resource_course"):
            assert s.loc[g].talks_held > 0, g
    df = pd.DataFrame(no_adp_staff.log.columns())
    missed = df[df.activity == "talk_missed"]
    assert set(missed.group) == {"adp"}
    assert len(missed) == s.loc["adp"].talks_missed


# --------------------------------------------------------------------------- deterministic
# Only flexjob unemployment (ly), new spells only, every spell exactly 12 months (gamma sd 1e-6
# months: sd must be > 0), talks planned at their deadline, no postponement, no no-shows, no
# staff absence, ample caseworkers, no reassessment work. First talk due 28 days after the
# spell start, then every 91 days after the talk held.
SPELL_MONTHS = 12.0
DETERMINISTIC = ("jobcenter=small", "horizon_days=500", "replications=1",
                 *_only_group("ly"),
                 "jobcenter.groups.ly.initial_stock=0",
                 "jobcenter.groups.ly.inflow_per_year=150",
                 "jobcenter.caseworker_pools.rehabilitation.caseworkers=60",
                 f"model.groups.ly.exits.job.mean_months={SPELL_MONTHS}",
                 "model.groups.ly.exits.job.sd_months=1e-6",
                 "model.groups.ly.exits.job.share=1.0",
                 "model.groups.ly.exits.other.share=0.0",
                 "model.talks.booking_margin_days=0",
                 "model.groups.ly.no_show_share=0",
                 "model.ly_reassessment.hours=0",
                 "model.ly_reassessment.changes_assessment_share=0",
                 *NO_STAFF_ABSENCE)


@pytest.fixture(scope="module")
def deterministic(simulate):
    return simulate(*DETERMINISTIC)


def _expected_talks(cfg, length_days: float) -> int:
    """Talks of a spell by the rulebook: the first at first_talk_days, then one interval after
    each talk, as long as the talk day falls before the spell's end. A deadline on a weekend
    moves the talk to the Friday before; the interval is then counted from the Friday, which
    is again a workday, so only the first talk can move (by up to 2 days)."""
    rules = cfg.rules.groups["ly"]
    assert len(rules.cadence) == 1
    interval = rules.cadence[0].interval_days
    day, n = rules.first_talk_days, 0
    while day < length_days:
        n += 1
        day += interval
    # the first talk moved 0-2 days earlier must not change the count
    assert (rules.first_talk_days - 2 + (n - 1) * interval < length_days
            <= rules.first_talk_days - 3 + n * interval) or n == 0
    return n


def test_deterministic_spells_get_exactly_the_rulebook_number_of_talks(deterministic):
    cfg = deterministic.cfg
    length = SPELL_MONTHS * 365.25 / 12
    df = pd.DataFrame(deterministic.log.columns())
    spells = df[df.activity == "spell"]
    assert len(spells) > 50
    assert (spells.group == "ly").all()
    assert (spells.end - spells.start).sub(length).abs().max() < 1e-3
    assert (spells.start >= 0).all()                  # every spell started inside the run
    talks = df[df.activity == "talk"]
    assert (talks.on_time == 1).all()
    per_spell = talks[talks.citizen.isin(spells.citizen)].groupby("citizen").size()
    expected = _expected_talks(cfg, length)
    assert expected == 4                              # days 28, 119, 210, 301 of 365.25
    assert per_spell.reindex(spells.citizen, fill_value=0).eq(expected).all(), \
        per_spell.value_counts()
    # and their timing: the first by day 28 of the spell (at most 2 days earlier: weekend),
    # then exactly 91 days apart
    start = spells.set_index("citizen").start
    for cid, starts in talks[talks.citizen.isin(spells.citizen)].groupby("citizen").start:
        d = sorted(starts // 1)                      # the day held (the row has the time of day)
        first = d[0] - start[cid]
        assert 28 - 3 < first <= 28, (cid, first)
        assert all(b - a == 91 for a, b in zip(d, d[1:])), d


# --------------------------------------------------------------------------- one group only
# the 2-year limit would move long adp spells to cash benefit: here they all leave instead
ONLY_ADP = BASE + _only_group("adp") + ("rules.groups.adp.duration_limit.share=0",)


@pytest.fixture(scope="module")
def only_adp(simulate):
    return simulate(*ONLY_ADP)


def test_everyone_in_one_group(only_adp):
    _conserved(only_adp)
    s = _summary(only_adp)
    assert s.loc["adp"].talks_held > 500
    assert s.loc["adp"].exits > 0
    for g, gc in only_adp.counters.groups.items():
        if g != "adp":
            assert gc.talks_held == gc.talks_missed == 0, g
    df = pd.DataFrame(only_adp.log.columns())
    assert set(df[df.citizen >= 0].group) == {"adp"}
    assert only_adp.counters.groups["adp"].transfers_out == 0
    assert only_adp.counters.groups["adp"].exits["other"] > 0   # including the limit's exits


# --------------------------------------------------------------------------- baseline copy
def test_baseline_copy_reproduces_the_baseline_exactly(simulate):
    a = simulate(*BASE, "scenario=baseline")
    b = simulate(*BASE, "scenario=baseline_copy")
    assert a is not b
    assert a.cfg.scenario == "baseline" and b.cfg.scenario == "baseline_copy"
    ca, cb = a.log.columns(), b.log.columns()
    assert len(a.log) > 1000
    for col in EventLog.COLUMNS:
        assert ca[col] == cb[col], col
    ha, hb = headline(a), headline(b)
    for h in (ha, hb):
        h.pop("wall_seconds")
        h.pop("scenario")
    assert ha == hb
    pd.testing.assert_frame_equal(group_summary(a), group_summary(b))


def test_a_reassessment_needing_no_caseworker_time_is_decided_at_once(simulate):
    # with no hours of desk work, a changed assessment still ends the spell (it used to wait
    # for desk work that was never queued)
    r = simulate("jobcenter=small", "horizon_days=400", "event_log=false",
                 "model.ly_reassessment.hours=0", "model.ly_reassessment.changes_assessment_share=1")
    assert r.counters.groups["ly"].exits["reassessed"] > 0


def test_work_for_a_pool_without_staff_is_counted_as_unmet_not_dropped(simulate):
    # no company consultants: company forms cannot be filled in (the offer still starts); no
    # rehabilitation caseworkers: cases cannot be prepared for the team and wait
    r = simulate("jobcenter=small", "event_log=false", "jobcenter.company_consultants=0",
                 "jobcenter.caseworker_pools.rehabilitation.caseworkers=0")
    unmet = r.counters.unmet_minutes
    forms = r.cfg.model.offers.company_form_minutes
    assert unmet["company_forms"] > 0 and unmet["company_forms"] % forms == pytest.approx(0)
    assert unmet["rehab_preparation"] + unmet["pension_application"] > 0
    assert not any(m for (st, _), m in r.counters.activity_minutes.items()
                   if st == "company_consultant")
