"""Offers by practice and at the legal deadline, active offer-days and the offers' running cost.

Runs are the small jobcenter without a warm-up (``simulate``) unless a test asks for one; the
unemployment-insurance group (adp, legal deadline at 273 days) is the one changed.
"""
from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import pytest

from sim.config import OfferCostGroup, OfferCosts
from sim.configure import compose
from sim.costs import DAYS_PER_OFFER_MONTH, cost_lines
from sim.domain.offers import InHouseOffers
from sim.engine.metrics import EventLog, GroupCounters
from sim.engine.streams import Streams
from sim.national import Member, aggregate, run_member
from sim.results import group_rows, headline
from sim.schema import ConfigError

SMALL = ("jobcenter=small", "horizon_days=180", "event_log=false")
OFFER = "model.groups.adp.offer"
NO_WORK = ("model.offers.caseworker_startup_minutes=0", "model.offers.company_form_minutes=0",
           "model.offers.form_resend_minutes=0")
INF = math.inf


def _row(result, group="adp") -> dict:
    return next(r for r in group_rows(result) if r["group"] == group)


# --------------------------------------------------------------------------- active share
def test_active_share_rises_with_the_practice_share_and_the_duration(simulate):
    none = _row(simulate(*SMALL, f"{OFFER}.practice_share=0", f"{OFFER}.share=0"))
    half = _row(simulate(*SMALL, f"{OFFER}.practice_share=0.5"))
    full = _row(simulate(*SMALL, f"{OFFER}.practice_share=1.0"))
    longer = _row(simulate(*SMALL, f"{OFFER}.practice_share=1.0", f"{OFFER}.mean_weeks=32"))
    assert none["offers_started"] == 0 and none["offer_days_active"] == 0
    assert 0 < half["active_share"] < full["active_share"] < longer["active_share"] < 1
    assert half["offers_started"] < full["offers_started"]
    # active share is offer-days over stock-days
    assert full["active_share"] == pytest.approx(full["offer_days_active"]
                                                 / (full["mean_stock"] * 180))


def test_an_offer_from_the_first_day_that_never_ends_covers_almost_every_benefit_day(simulate):
    r = _row(simulate(*SMALL, *NO_WORK, f"{OFFER}.practice_share=1",
                      f"{OFFER}.practice_start_weeks=0.01", f"{OFFER}.practice_start_cv=0",
                      f"{OFFER}.mean_weeks=100000"))
    assert r["active_share"] > 0.97


def test_repeats_follow_an_offer_that_ends_before_the_spell(simulate):
    once = simulate(*SMALL, f"{OFFER}.share=0", f"{OFFER}.repeat_share=0").counters.groups["adp"]
    again = simulate(*SMALL, f"{OFFER}.share=0", f"{OFFER}.repeat_share=1",
                     f"{OFFER}.repeat_gap_weeks=1").counters.groups["adp"]
    assert once.offers_started == len(once.first_offer_days) > 100     # one offer per spell
    assert again.offers_started > 1.3 * len(again.first_offer_days)
    assert again.offer_days_active > once.offer_days_active


# --------------------------------------------------------------------------- spells, window
@pytest.fixture(scope="module")
def logged_with_warmup(simulate):
    return simulate("jobcenter=small", "horizon_days=150", "warmup_days=60")


def test_offers_never_run_past_the_end_of_their_spell(logged_with_warmup):
    cols = logged_with_warmup.log.columns()
    spells: dict[tuple, list] = {}
    offers = []
    for cid, g, act, start, end in zip(cols["citizen"], cols["group"], cols["activity"],
                                       cols["start"], cols["end"]):
        if act == "spell":
            spells.setdefault((cid, g), []).append((start, end))
        elif act == "offer":
            offers.append((cid, g, start, end))
    horizon = 60 + 150
    checked = 0
    assert len(offers) > 500
    for cid, g, start, end in offers:
        assert start <= end <= horizon
        inside = [s for s in spells.get((cid, g), []) if s[0] <= start <= s[1]]
        if inside:                      # a spell that ended in the run: the offer ends by then
            assert end <= inside[0][1] + 1e-9
            checked += 1
    assert checked > 200


def test_active_offer_days_are_the_logged_offers_clipped_to_the_measured_window(
        logged_with_warmup):
    r = logged_with_warmup
    warmup, horizon = 60, 60 + 150
    cols = r.log.columns()
    expected: dict[str, float] = {}
    straddling = 0
    for g, act, start, end in zip(cols["group"], cols["activity"], cols["start"], cols["end"]):
        if act == "offer":
            expected[g] = expected.get(g, 0.0) + max(0.0, min(end, horizon) - max(start, warmup))
            straddling += start < warmup < end
    assert straddling > 10              # offers running across the end of the warm-up
    for g, gc in r.counters.groups.items():
        assert gc.offer_days_active == pytest.approx(expected.get(g, 0.0), abs=1e-6), g
        assert gc.offer_days_active <= gc.stock_area


def _provider(measure_from: float, horizon: float):
    """An offer provider whose counters and log are the test's (no model around it): closing
    and ending offers needs neither staff nor spells."""
    cfg, _ = compose(["jobcenter=small"])
    counters = GroupCounters()
    log = EventLog()
    provider = InHouseOffers("adp", cfg, SimpleNamespace(now=0.0), None, counters, log,
                             Streams(1, 0), None, {}, None, measure_from, horizon)
    provider.repeat_share = 0.0
    return provider, counters, log


def _citizen(start: float, end: float):
    return SimpleNamespace(id=7, offer_start=start, offer_end=end, offer_next=INF,
                           offer_deadline=INF, offer_day=end, offer_pending=False)


def test_offer_days_are_clipped_to_warmup_end_and_horizon_by_hand():
    provider, counters, log = _provider(measure_from=100.0, horizon=465.0)
    provider.close(_citizen(90.0, 130.0), 110.0)     # spell ends at 110: 100-110 counts
    assert counters.offer_days_active == pytest.approx(10.0)
    provider.close(_citizen(20.0, 60.0), 80.0)       # wholly in the warm-up: nothing
    assert counters.offer_days_active == pytest.approx(10.0)
    provider.close(_citizen(400.0, 500.0), 465.0)    # running at the horizon: 400-465
    assert counters.offer_days_active == pytest.approx(75.0)
    c = _citizen(200.0, 230.0)
    provider.env.now = 230.0
    provider.request(c)                              # its planned end: 200-230
    assert counters.offer_days_active == pytest.approx(105.0)
    assert c.offer_end == INF and c.offer_day == INF
    rows = log.columns()
    assert rows["start"] == [90.0, 20.0, 400.0, 200.0]
    assert rows["end"] == [110.0, 60.0, 465.0, 230.0]    # the offer stops with its spell


# --------------------------------------------------------------------------- legal deadline
def test_a_citizen_without_an_offer_by_the_deadline_gets_one_then(simulate):
    # no offer by practice before the deadline (the practice date lies far beyond it), every
    # spell marked for the deadline, no start-up work: offers start exactly at day 273
    gc = simulate(*SMALL, "horizon_days=300", *NO_WORK, f"{OFFER}.share=1",
                  f"{OFFER}.practice_share=1", f"{OFFER}.practice_start_weeks=200",
                  f"{OFFER}.practice_start_cv=0", f"{OFFER}.repeat_share=0").counters.groups["adp"]
    deadline = 273
    assert len(gc.first_offer_days) > 50
    assert all(d == pytest.approx(deadline) for d in gc.first_offer_days)
    assert gc.offers_started == len(gc.first_offer_days)   # the later practice date is dropped


def test_an_offer_under_way_at_the_deadline_is_not_doubled(simulate):
    gc = simulate(*SMALL, "horizon_days=300", *NO_WORK, f"{OFFER}.share=1",
                  f"{OFFER}.practice_share=1", f"{OFFER}.practice_start_weeks=2",
                  f"{OFFER}.practice_start_cv=0", f"{OFFER}.mean_weeks=1e9",
                  f"{OFFER}.repeat_share=0").counters.groups["adp"]
    assert len(gc.first_offer_days) > 100
    assert all(d == pytest.approx(14.0) for d in gc.first_offer_days)
    assert gc.offers_started == len(gc.first_offer_days)


# --------------------------------------------------------------------------- running cost
@pytest.fixture(scope="module")
def small_run(simulate):
    return simulate(*SMALL)


def test_offer_running_cost_is_offer_months_times_the_price(small_run):
    h = headline(small_run)
    oc = small_run.cfg.model.offer_costs
    by_group = h["offer_running_cost_dkk_by_group"]
    assert set(by_group) == set(oc.groups)
    for g, dkk in by_group.items():
        months = small_run.counters.groups[g].offer_days_active / DAYS_PER_OFFER_MONTH
        price = oc.groups[g].cost_per_full_time_person_dkk / (
            12 * oc.groups[g].reference_active_share)
        assert dkk == pytest.approx(months * price)
    assert h["offer_running_cost_dkk"] == pytest.approx(sum(by_group.values()))
    assert h["offer_running_cost_dkk"] > 1e6


def test_a_comparison_reports_the_offers_running_cost_a_year_beside_operations(small_run):
    from sim.experiment import record
    from sim.figures import comparison_table

    rec = record(small_run)
    table = comparison_table([rec], [rec]).set_index("figure")
    row = table.loc["offer_running_cost_dkk"]
    years = small_run.cfg.horizon_days / 365.0
    assert row["baseline_mean"] == pytest.approx(headline(small_run)["offer_running_cost_dkk"]
                                                 / years)
    assert row["section"] == table.loc["operating_cost", "section"]
    assert row["difference"] == 0


def test_offer_running_cost_is_not_part_of_the_operating_cost(small_run):
    cfg = small_run.cfg
    dearer = OfferCosts({g: OfferCostGroup(c.cost_per_full_time_person_dkk * 2,
                                           c.reference_active_share)
                         for g, c in cfg.model.offer_costs.groups.items()})
    cfg2 = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, offer_costs=dearer))
    h1 = headline(small_run)
    h2 = headline(dataclasses.replace(small_run, cfg=cfg2))
    assert h2["offer_running_cost_dkk"] == pytest.approx(2 * h1["offer_running_cost_dkk"])
    assert h2["operating_cost_dkk"] == h1["operating_cost_dkk"]
    assert sum(line.dkk for line in cost_lines(cfg, small_run.counters)) == \
        pytest.approx(h1["operating_cost_dkk"])


def test_headline_active_share_is_over_the_groups_with_offers(small_run):
    h = headline(small_run)
    rows = group_rows(small_run)
    assert h["active_share"] == pytest.approx(
        sum(r["offer_days_active"] for r in rows) / sum(r["mean_stock"] * 180 for r in rows))


def test_price_per_offer_month_follows_the_cost_per_full_time_person():
    c = OfferCostGroup(cost_per_full_time_person_dkk=9075, reference_active_share=0.28)
    assert c.price_per_offer_month_dkk == pytest.approx(9075 / (12 * 0.28))
    assert OfferCosts({}).price_per_offer_month_dkk("adp") == 0.0


def test_the_national_aggregate_sums_offer_cost_and_offer_days_by_weight():
    cfg, _ = compose(["jobcenter=small", "horizon_days=90", "event_log=false"])
    out = run_member((Member("small", 0, 1.0, cfg), 0))
    a, b = dict(out, weight=2.0), dict(out, weight=3.0)
    agg = aggregate([a, b], 90, 1428)
    h = out["headline"]
    assert agg["totals"]["offer_running_cost_dkk"] == pytest.approx(5 * h["offer_running_cost_dkk"])
    for g, dkk in h["offer_running_cost_dkk_by_group"].items():
        assert agg["offer_running_cost_dkk_by_group"][g] == pytest.approx(5 * dkk)
    for row in out["summary"]:
        g = agg["groups"][row["group"]]
        assert g["offer_days_active"] == pytest.approx(5 * row["offer_days_active"])
        if row["active_share"] is not None:
            assert g["active_share"] == pytest.approx(row["active_share"])


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("override, words", [
    (f"{OFFER}.practice_share=1.5", "probability"),
    (f"{OFFER}.repeat_share=-0.1", "negative"),
    (f"{OFFER}.practice_start_weeks=0", "greater than 0"),
    (f"{OFFER}.repeat_gap_weeks=0", "greater than 0"),
    (f"{OFFER}.practice_start_cv=-1", "negative"),
    (f"{OFFER}.practise_share=0.5", "did you mean 'practice_share'"),
    ("model.offer_costs.groups.adp.reference_active_share=0", "greater than 0"),
    ("model.offer_costs.groups.adp.reference_active_share=1.2", "probability"),
    ("+model.offer_costs.groups.revalidation={cost_per_full_time_person_dkk: 1, "
     "reference_active_share: 0.5}", "unknown key"),
])
def test_invalid_offer_settings_give_a_one_line_error(override, words):
    with pytest.raises(ConfigError) as err:
        compose(["jobcenter=small", override])
    msg = str(err.value)
    assert words in msg and "\n" not in msg
