"""Conservation: citizens are neither created nor lost between groups, and money adds up.

Per group: initial stock + new inflow + re-entries + transfers in
           == exits + transfers out + final stock.
"""
from __future__ import annotations

import pandas as pd
import pytest

from sim.config import GROUPS, BASELINE_STAFF_TYPES
from sim.costs import cost_lines, total_dkk
from sim.results import group_summary, headline

RUNS = ["baseline_120", "a1_flex_180", "c2_shared_180"]


@pytest.fixture(params=RUNS)
def result(request):
    return request.getfixturevalue(request.param)


def _inflow(gc):
    return gc.initial_stock + gc.inflow_new + gc.inflow_reentry + gc.transfers_in


def _outflow_and_stock(gc):
    return sum(gc.exits.values()) + gc.transfers_out + gc.stock


@pytest.mark.parametrize("group", GROUPS)
def test_citizens_are_conserved_per_group(result, group):
    gc = result.counters.groups[group]
    assert _inflow(gc) == _outflow_and_stock(gc)
    assert gc.stock >= 0


def test_citizens_are_conserved_in_total(result):
    gs = result.counters.groups.values()
    assert sum(_inflow(g) for g in gs) == sum(_outflow_and_stock(g) for g in gs)
    # the final stocks are the citizens still alive in the model
    assert sum(g.stock for g in gs) == result.alive_at_end


def test_transfers_out_of_all_groups_equal_transfers_in(result):
    gs = result.counters.groups.values()
    out = sum(g.transfers_out for g in gs)
    assert out == sum(g.transfers_in for g in gs)


def test_flows_actually_happen(result):
    # a run with no movement would satisfy the identities trivially
    gs = result.counters.groups
    assert sum(g.inflow_new for g in gs.values()) > 1000
    assert sum(g.exits_total for g in gs.values()) > 1000
    assert sum(g.transfers_out for g in gs.values()) > 0
    assert sum(g.initial_stock for g in gs.values()) == sum(
        v.initial_stock for v in result.cfg.jobcenter.groups.values())


def test_every_ended_spell_is_logged_once_per_group(result):
    df = pd.DataFrame(result.log.columns())
    spells = df[df.activity == "spell"].groupby("group").size()
    for g, gc in result.counters.groups.items():
        assert spells.get(g, 0) == gc.exits_total + gc.transfers_out, g


def test_talks_in_the_log_match_the_talk_counters(result):
    df = pd.DataFrame(result.log.columns())
    talks = df[df.activity == "talk"].groupby("group").size()
    for g, gc in result.counters.groups.items():
        assert talks.get(g, 0) == gc.talks_held, g


def test_summary_table_rows_satisfy_the_flow_identity(result):
    s = group_summary(result)
    assert len(s) > 0
    lhs = s.initial_stock + s.inflow_new + s.inflow_reentry + s.transfers_in
    rhs = s.exits + s.transfers_out + s.final_stock
    assert (lhs == rhs).all()


# --------------------------------------------------------------------------- money
def test_cost_lines_add_up_to_the_operating_cost(result):
    lines = cost_lines(result.cfg, result.counters)
    h = headline(result)
    assert h["operating_cost_dkk"] > 0
    assert sum(line.dkk for line in lines) == pytest.approx(h["operating_cost_dkk"], rel=1e-12)
    assert total_dkk(lines) == pytest.approx(h["operating_cost_dkk"], rel=1e-12)
    assert sum(h["cost_lines_dkk"].values()) == pytest.approx(h["operating_cost_dkk"], rel=1e-9)


def test_cost_lines_are_never_negative(result):
    assert all(line.dkk >= 0 for line in cost_lines(result.cfg, result.counters))


def test_scheduled_staff_cost_lines_add_up_to_the_wage_bill(result):
    # every available minute lands in exactly one line (activity, non-bookable, unused capacity)
    cfg = result.cfg
    lines = cost_lines(cfg, result.counters)
    staff_dkk = sum(line.dkk for line in lines if line.staff_type in BASELINE_STAFF_TYPES)
    members = sum(p.n for p in result.pools.values())
    wage_bill = members * cfg.model.costs.wage_per_fte_dkk * cfg.horizon_days / 365.0
    assert staff_dkk == pytest.approx(wage_bill, rel=1e-9)
