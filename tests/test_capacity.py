"""Capacity freed: the fall in required work, what it is worth, and where the freed time went.

The records here are synthetic: minimal headlines in the shape ``sim.results.headline`` writes,
with the required and elastic work of the record contract. Time adds up in each of them:
available = required work + elastic work + idle time + non-bookable time, by staff type.
"""
from __future__ import annotations

import copy
from types import SimpleNamespace

import pandas as pd
import pytest

from sim.compare import RunData
from sim.comparison_report import (capacity_notes, capacity_sentence, capacity_table_rows,
                                   write_comparison_report)
from sim.experiment import precision_status, stopping_decision, summary_lines
from sim.figures import (TAKE_UP, capacity_freed, comparison_table, figures_for, hours_per_fte,
                         key_figures, values, where_capacity_went)

HOURS_PER_FTE = 1428.0
RATES = {"caseworker": 700.0, "admin_staff": 400.0}       # DKK per available hour (synthetic)
AVAILABLE = {"caseworker": 22 * HOURS_PER_FTE, "admin_staff": 5 * HOURS_PER_FTE}
NON_BOOKABLE = {"caseworker": 0.2, "admin_staff": 0.2}     # share of available time


def record(i: int, required: dict[str, float], elastic: dict[str, dict[str, float]], *,
           available: dict[str, float] | None = None, days: int = 365, extra_talks: int = 0,
           unmet_minutes: float = 0.0, backlog: float = 0.0, new_keys: bool = True) -> dict:
    """Replication ``i``: required hours and elastic hours by staff type over ``days``; idle
    time is what available time less non-bookable time leaves."""
    available = available or AVAILABLE
    years = days / 365.0
    avail = {st: h * years for st, h in available.items()}
    used = {st: required.get(st, 0.0) + sum(elastic.get(st, {}).values()) for st in avail}
    idle = {st: avail[st] * (1 - NON_BOOKABLE[st]) - used[st] for st in avail}
    assert all(x >= 0 for x in idle.values()), idle
    headline = {
        "scenario": "x", "replication": i, "horizon_days": days,
        "operating_cost_dkk": 6e7 * years, "talks_held": 10000 + i,
        "talks_on_time_share": 0.8, "hour_rate_dkk": 600.0,
        "hour_rate_dkk_by_staff_type": dict(RATES),
        "fte_used_on_casework": sum(used.values()) / (HOURS_PER_FTE * years),
        "available_hours": avail, "used_hours": used, "idle_hours": idle,
        "unmet_work_minutes": {"offer_startup": unmet_minutes} if unmet_minutes else {},
        "pools": {}, "cost_lines_dkk": {"caseworker/talk": 5e6 * years},
    }
    if new_keys:
        headline.update({"required_work_hours": dict(required),
                         "elastic_work_hours": copy.deepcopy(elastic),
                         "extra_talks_held": extra_talks,
                         "backlog_hours_at_end": {"desk_work": backlog}})
    return {"scenario": "x", "replication": i, "headline": headline, "summary": [],
            "series": {}}


NOISE = [0.0, 30.0, -20.0, 10.0, -15.0, -5.0]
"""Hours of noise by replication (they sum to zero)."""


def baseline_side(n: int = 6, **kw) -> list[dict]:
    """A baseline: 12 FTE of caseworker and 3 FTE of admin required work, 1 FTE elastic."""
    return [record(i, {"caseworker": 12 * HOURS_PER_FTE + 50 * NOISE[i],
                       "admin_staff": 3 * HOURS_PER_FTE},
                   {"caseworker": {"extra_talk": 0.6 * HOURS_PER_FTE,
                                   "extended_casework": 0.4 * HOURS_PER_FTE}},
                   extra_talks=900 + i, **kw) for i in range(n)]


def freeing_side(n: int = 6, **kw) -> list[dict]:
    """The scenario: 2 FTE less admin required work (at DKK 400 an hour), 1.5 FTE of it taken up
    by extra talks, 0.3 FTE by other elastic work and 0.2 FTE left idle."""
    return [record(i, {"caseworker": 12 * HOURS_PER_FTE + 50 * NOISE[i] + NOISE[i],
                       "admin_staff": 1 * HOURS_PER_FTE},
                   {"caseworker": {"extra_talk": 2.1 * HOURS_PER_FTE,
                                   "extended_casework": 0.7 * HOURS_PER_FTE - NOISE[i]}},
                   extra_talks=2100 + i, **kw) for i in range(n)]


def _by_id(figs):
    return {f.id: f for f in figs}


# --------------------------------------------------------------------------- the figures
def test_required_and_elastic_work_figures_in_fte_and_dkk():
    rec = baseline_side(1)[0]
    figs = _by_id(figures_for(rec))
    assert figs["required_work_fte"].value(rec) == pytest.approx(15.0)
    assert figs["elastic_work_fte"].value(rec) == pytest.approx(1.0)
    assert figs["elastic_work_fte/extra_talk"].value(rec) == pytest.approx(0.6)
    assert figs["elastic_work_fte/extended_casework"].value(rec) == pytest.approx(0.4)
    # each staff type at its own rate: 12 FTE of caseworkers at 700, 3 FTE of admin at 400
    assert figs["required_work_dkk"].value(rec) == pytest.approx(
        HOURS_PER_FTE * (12 * 700 + 3 * 400))
    assert figs["extra_talks_held"].value(rec) == 900
    assert figs["backlog_hours_at_end"].value(rec) == 0.0
    assert figs["unmet_demand_hours"].value(rec) == 0.0
    # 27 FTE available, 20% non-bookable: 21.6 FTE at work, of which 16 used, so 5.6 idle
    assert figs["idle_fte"].value(rec) == pytest.approx(5.6)


def test_fte_figures_are_per_year_over_a_shorter_run():
    rec = record(0, {"caseworker": 6 * HOURS_PER_FTE * 0.5}, {"caseworker": {}}, days=365 // 2)
    assert _by_id(figures_for(rec))["required_work_fte"].value(rec) == pytest.approx(
        6.0 * 365 / 182 * 0.5, rel=1e-9)


def test_hours_per_fte_is_stated_implied_or_qb14():
    rec = baseline_side(1)[0]
    assert hours_per_fte(rec["headline"]) == pytest.approx(HOURS_PER_FTE)      # implied
    assert hours_per_fte({**rec["headline"], "fte_hours_per_year": 1500.0}) == 1500.0
    assert hours_per_fte({"horizon_days": 365}) == 1428.0


def test_required_work_is_the_key_figure_and_staff_time_used_a_check():
    keys = [f.id for f in key_figures(baseline_side(1)[0])]
    assert "required_work_fte" in keys and "staff_time_used_fte" not in keys
    assert "staff_time_used_fte" in _by_id(figures_for(baseline_side(1)[0]))
    old = record(0, {"caseworker": 1000.0}, {"caseworker": {}}, new_keys=False)
    assert "staff_time_used_fte" in [f.id for f in key_figures(old)]    # older records


def test_records_without_the_new_keys_give_none_not_a_crash():
    old = record(0, {"caseworker": 1000.0}, {"caseworker": {}}, new_keys=False)
    ids = {f.id for f in figures_for(old)}
    assert not ids & {"required_work_fte", "required_work_dkk", "elastic_work_fte",
                      "extra_talks_held", "backlog_hours_at_end"}
    # a new baseline's figures applied to an old scenario record read None ("–")
    for f in figures_for(baseline_side(1)[0]):
        if f.id in ("required_work_fte", "required_work_dkk", "elastic_work_fte",
                    "elastic_work_fte/extra_talk", "extra_talks_held", "backlog_hours_at_end"):
            assert values(f, [old]) == [None], f.id
    assert capacity_freed([old], [old]) is None
    assert where_capacity_went([old], [old]) is None
    table = comparison_table([old], baseline_side(1)).set_index("figure")
    assert table.loc["required_work_fte", "replications"] == 0
    assert pd.isna(table.loc["required_work_fte", "difference"])


# --------------------------------------------------------------------------- capacity freed
def test_less_required_work_frees_capacity_with_a_positive_sign():
    c = capacity_freed(freeing_side(), baseline_side())
    # 2 FTE less admin work; the caseworkers' required work moves by the noise only
    assert c["fte"].mean == pytest.approx(2.0 - sum(NOISE) / 6 / HOURS_PER_FTE)
    assert c["fte"].mean > 0 and c["clear"] is True
    assert c["fte"].low < c["fte"].mean < c["fte"].high
    # the comparison table keeps scenario - baseline: the same number, negative
    table = comparison_table(freeing_side(), baseline_side()).set_index("figure")
    assert table.loc["required_work_fte", "difference"] == pytest.approx(-c["fte"].mean)
    assert table.loc["required_work_fte", "ci_high"] == pytest.approx(-c["fte"].low)
    assert table.loc["required_work_fte", "ci_low"] == pytest.approx(-c["fte"].high)
    # and the other way round it is negative
    back = capacity_freed(baseline_side(), freeing_side())
    assert back["fte"].mean == pytest.approx(-c["fte"].mean)


def test_capacity_freed_is_valued_at_each_staff_types_rate():
    c = capacity_freed(freeing_side(), baseline_side())
    # 2 FTE of admin staff at DKK 400 an hour, and the caseworkers' noise at DKK 700
    expected = 2 * HOURS_PER_FTE * 400.0 - sum(NOISE) / 6 * 700.0
    assert c["dkk"].mean == pytest.approx(expected)
    assert c["dkk"].mean != pytest.approx(2 * HOURS_PER_FTE * 600.0, rel=0.01)  # not the average


def test_where_the_freed_time_went_adds_up_to_capacity_freed():
    rows = {r.id: r for r in where_capacity_went(freeing_side(), baseline_side())}
    freed = rows["capacity_freed"].change.mean
    assert rows["extra_talks"].change.mean == pytest.approx(1.5)
    assert rows["other_elastic"].change.mean == pytest.approx(
        0.3 - sum(NOISE) / 6 / HOURS_PER_FTE)
    assert rows["idle"].change.mean == pytest.approx(0.2)
    assert rows["at_work"].change.mean == pytest.approx(0.0, abs=1e-9)   # same staffing
    assert sum(rows[k].change.mean for k in TAKE_UP) == pytest.approx(freed)
    # elastic work fills most of it: staff time used falls by the idle part only
    assert rows["staff_time_used"].change.mean == pytest.approx(-0.2)


def test_fewer_staff_show_as_less_time_at_work():
    fewer = {"caseworker": 21 * HOURS_PER_FTE, "admin_staff": 5 * HOURS_PER_FTE}
    rows = {r.id: r for r in where_capacity_went(freeing_side(available=fewer), baseline_side())}
    # one caseworker less: 0.8 FTE less bookable time, taken from idle time
    assert rows["at_work"].change.mean == pytest.approx(0.8)
    assert rows["idle"].change.mean == pytest.approx(0.2 - 0.8)
    assert sum(rows[k].change.mean for k in TAKE_UP) == pytest.approx(
        rows["capacity_freed"].change.mean)


def test_unmet_demand_and_backlog_are_changes_in_hours():
    base = baseline_side(3, unmet_minutes=600.0, backlog=40.0)
    scen = freeing_side(3, unmet_minutes=0.0, backlog=10.0)
    rows = {r.id: r for r in where_capacity_went(scen, base)}
    assert rows["unmet_demand"].change.mean == pytest.approx(-10.0)
    assert rows["backlog_at_end"].change.mean == pytest.approx(-30.0)
    notes = " ".join(capacity_notes(list(rows.values())))
    assert "required work caught up" in notes


# --------------------------------------------------------------------------- the report
def _run(scenario, baseline, name="fewer_letters", title="Fewer letters"):
    info = {"horizon_days": 365, "warmup_days": 0, "seed": 1,
            "baseline_is_scenario": scenario is baseline}
    return RunData(name, {"title": title}, {}, info, scenario, baseline)


def test_in_brief_leads_with_capacity_freed_and_its_interval():
    run = _run(freeing_side(), baseline_side())
    text = capacity_sentence(run)
    c = capacity_freed(run.scenario, run.baseline)
    assert text.startswith("**Capacity freed**: the scenario frees 2.00 FTE of required work")
    lo, hi = f"{c['fte'].low:.2f}", f"{c['fte'].high:.2f}"
    assert f"(95% confidence interval +{lo} to +{hi} FTE)" in text
    assert "worth DKK 1.14 million a year" in text      # 2 x 1,428 h x DKK 400, less noise
    assert "whether or not staff are released" in text
    back = capacity_sentence(_run(baseline_side(), freeing_side()))
    assert "none; the scenario adds 2.00 FTE of required work" in back


def test_the_where_it_went_table_lists_every_line_with_units():
    rows = capacity_table_rows(where_capacity_went(freeing_side(), baseline_side()))
    labels = [r[0] for r in rows]
    assert labels[0] == "**Capacity freed: less required work**"
    assert rows[0][1] == "+2.00 FTE"
    assert any(lbl.startswith("Extra talks") for lbl in labels)
    assert any(lbl.startswith("Idle time") for lbl in labels)
    assert any(lbl.startswith("Backlog at the end") for lbl in labels)
    assert labels[-1] == "Check: staff time used on casework"
    assert not any(lbl.startswith("Less time at work") for lbl in labels)   # staffing unchanged
    for label, change, _ in rows:
        assert change.endswith(("FTE", "hours")), (label, change)


def test_the_report_says_capacity_freed_and_where_it_went(tmp_path):
    run = _run(freeing_side(), baseline_side())
    write_comparison_report([run], tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    brief = md.split("## In brief", 1)[1].split("## ", 1)[0]
    assert brief.lstrip().startswith("- **Capacity freed**: the scenario frees 2.00 FTE")
    assert "Staff time used hardly moves" in brief and "elastic work fills the time freed" in brief
    assert "## Where the freed time went" in md
    assert md.index("## Where the freed time went") < md.index("## Headline figures")
    assert "add up to the capacity freed (+2.00 FTE against +2.00 FTE)" in md
    assert "<h2>Where the freed time went</h2>" in html
    assert "<strong>Capacity freed</strong>: the scenario frees 2.00 FTE" in html


def test_a_multi_scenario_report_has_a_capacity_freed_column(tmp_path):
    a = _run(freeing_side(), baseline_side())
    b = _run(baseline_side(), baseline_side(), name="copy", title="Nothing changes")
    b.info["baseline_is_scenario"] = False
    write_comparison_report([a, b], tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    header = "| Scenario | Capacity freed | 95% confidence interval | Worth a year |"
    assert header in md
    assert "| Fewer letters | **+2.00 FTE** |" in md
    assert "| Nothing changes | 0.00 FTE | 0.00 to 0.00 FTE |" in md
    assert "none; the scenario leaves required work" in md


def test_a_baseline_only_report_shows_required_and_elastic_work(tmp_path):
    base = baseline_side()
    write_comparison_report([_run(base, base, name="baseline", title="Baseline")], tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| Required work: mandated and required tasks" in md
    assert "| Elastic work: extra talks, longer preparation, more employer contact |" in md
    assert "15.0 FTE is required work" in md and "1.0 FTE elastic work" in md
    assert "Where the freed time went" not in md


def test_a_report_of_old_records_has_no_capacity_section(tmp_path):
    old = [record(i, {"caseworker": 1000.0 + i}, {"caseworker": {}}, new_keys=False)
           for i in range(3)]
    write_comparison_report([_run(old, copy.deepcopy(old))], tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Capacity freed" not in md and "Where the freed time went" not in md
    assert "**Staff time used on casework**" in md


# --------------------------------------------------------------------------- the stopping rule
def _auto(min_r=3, max_r=6, precision=0.05):
    return SimpleNamespace(replications="auto", min_replications=min_r,
                           max_replications=max_r, precision=precision)


def test_the_stopping_rule_watches_required_work():
    status = {s["figure"]: s for s in precision_status(freeing_side(), baseline_side(), 0.05)}
    s = status["required_work_fte"]
    assert s["estimate"] == pytest.approx(-capacity_freed(freeing_side(),
                                                          baseline_side())["fte"].mean)
    assert s["target"] == pytest.approx(0.05 * abs(s["estimate"]))   # relative to the change
    assert s["half_width"] > 0 and s["met"]
    # noisy required work keeps the rule going until the budget
    noisy = [record(i, {"caseworker": 12 * HOURS_PER_FTE + (-1) ** i * 0.5 * HOURS_PER_FTE,
                        "admin_staff": 1 * HOURS_PER_FTE}, {"caseworker": {}})
             for i in range(6)]
    state = stopping_decision(_auto(), noisy, baseline_side())
    assert state.replications == 6 and "Required work" in state.reason


def test_a_key_figure_without_any_pair_of_values_does_not_block_the_stopping_rule():
    old = [record(i, {"caseworker": 1000.0}, {"caseworker": {}}, new_keys=False)
           for i in range(6)]
    new = baseline_side()
    status = precision_status(new, old, 0.05)        # required work on one side only
    assert "required_work_fte" not in [s["figure"] for s in status]
    assert status and all(s["met"] for s in status)
    state = stopping_decision(_auto(), new, old)
    assert state.converged_at == 3 and state.replications == 5


def test_summary_lines_mention_capacity_freed():
    scen, base = freeing_side(), baseline_side()
    exp = SimpleNamespace(replications=6, stopping=SimpleNamespace(reason="set to 6"),
                          cfg=SimpleNamespace(warmup_days=0), cache={"reused": 0},
                          baseline_ignored=[], scenario_records=scen, baseline_records=base,
                          is_baseline=False)
    text = "\n".join(summary_lines(exp))
    assert "Capacity freed: 2.00 FTE" in text and "95% CI" in text
    assert "worth DKK 1.14 million a year" in text
    exp.scenario_records, exp.is_baseline = base, True
    text = "\n".join(summary_lines(exp))
    assert "Required work" in text and "Capacity freed" not in text


def test_the_single_run_report_shows_required_and_elastic_work_levels():
    from sim.report import _capacity_section

    metrics = baseline_side(1)[0]["headline"]
    text = "\n".join(_capacity_section(metrics))
    assert "## Required and elastic work" in text
    # caseworkers: 12 FTE required, 1 FTE elastic; admin staff: 3 FTE required, none elastic
    assert "| Caseworker | 17,136 | 1,428 |" in text and "| 12.0 | 1.0 |" in text
    assert "| Admin staff | 4,284 | 0 |" in text
    assert "| Extra talks beyond the legal minimum | 857 |" in text
    assert "Extra talks held beyond the legal minimum: 900 talks." in text
    old = record(0, {"caseworker": 1000.0}, {"caseworker": {}}, new_keys=False)["headline"]
    assert _capacity_section(old) == []


def test_a_pool_only_the_scenario_has_gets_its_own_row_with_the_scenarios_level():
    # a scenario that splits a pool (D3) or adds one: its teams are reported, not dropped
    base = baseline_side(3)
    scen = freeing_side(3)
    for r in scen:
        r["headline"]["pools"] = {"sickness_sdp_cat1": {"staff_type": "caseworker",
                                                        "members": 5,
                                                        "required_utilisation": 0.9}}
    table = comparison_table(scen, base).set_index("figure")
    row = table.loc["utilisation/sickness_sdp_cat1"]
    assert row["scenario_mean"] == pytest.approx(0.9)
    assert pd.isna(row["baseline_mean"]) and row["replications"] == 0
