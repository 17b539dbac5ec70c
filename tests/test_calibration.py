"""The national baseline reproduces the 2013 figures (docs/sources.md, calibration targets).

Runs the documented scaled-down country (``jobcenter=national_sample``: a stratified sample of two
simulated jobcenters per size class in each replication, weighted to the 94 jobcenters) at the
national average practice over three replications and asserts that the mean of every target
lies within its tolerance. The weighting leaves the checked shares and ratios unchanged in
expectation and turns totals into weighted sums; the full 94-jobcenter run with jobcenters that
differ is a slow test (tests/test_practice_national.py).
"""
from __future__ import annotations

import pytest

from sim.calibration import evaluate, load_targets, report_markdown, simulated_values
from sim.configure import compose
from sim.national import members, run_national

pytestmark = pytest.mark.calibration

REPLICATIONS = 3


@pytest.fixture(scope="module")
def national():
    cfg, _ = compose(["jobcenter=national_sample", "jobcenter.practice=average", "event_log=false",
                      "progress=false"])
    result = run_national(cfg, replications=REPLICATIONS, workers=0)
    values = [simulated_values(a) for a in result["replications"]]
    return cfg, result, {row["id"]: row for row in evaluate(values, load_targets())}


def test_every_qb14_target_has_a_calibration_row(national):
    _, _, rows = national
    assert set(rows) == {t.id for t in load_targets()}
    assert len(rows) == 45
    ids = set(rows)
    # the 18 targets of docs/sources.md and those of the time budget, timeliness and
    # offers (QB14 section 2, VIVE20 section 5.3)
    assert {"line_indirect_casework", "line_admin_around_casework",
            "line_general_administration", "line_meetings_training_breaks",
            "direct_share_adp", "direct_share_kth", "direct_share_sdp", "unused_share_all",
            "unused_share_caseworker", "on_time_adp", "on_time_ly", "active_share_all",
            "offer_running_cost"} <= ids


@pytest.mark.parametrize("target", [t.id for t in load_targets()])
def test_national_baseline_reproduces_the_target_within_tolerance(national, target):
    _, _, rows = national
    row = rows[target]
    assert row["passed"], (
        f"{row['label']}: simulated {row['simulated']:.4g}, target {row['target']:.4g}, "
        f"accepted {row['accepted_low']:.4g}-{row['accepted_high']:.4g}")


def test_hours_available_per_fte_are_exactly_the_budget(national):
    _, _, rows = national
    assert rows["hours_per_fte"]["simulated"] == pytest.approx(1428, abs=1e-6)


def test_a_target_is_failed_when_the_simulated_value_is_outside_its_tolerance():
    targets = [t for t in load_targets() if t.id in ("talks_per_person", "direct_share_all")]
    rows = evaluate([{"talks_per_person": 6.5 * 1.16, "direct_share_all": 0.26 - 0.031}],
                    targets)
    assert [r["passed"] for r in rows] == [False, False]
    rows = evaluate([{"talks_per_person": 6.5 * 1.14, "direct_share_all": 0.26 - 0.029}],
                    targets)
    assert [r["passed"] for r in rows] == [True, True]


def test_limits_and_comparisons_are_judged_by_their_kind():
    by_id = {t.id: t for t in load_targets()}
    targets = [by_id["unused_share_all"], by_id["on_time_adp"], by_id["offer_running_cost"]]
    rows = evaluate([{"unused_share_all": 0.019, "on_time_adp": 0.91,
                      "offer_running_cost": 1.0}], targets)
    assert [r["passed"] for r in rows] == [True, True, True]
    rows = evaluate([{"unused_share_all": 0.021, "on_time_adp": 0.89,
                      "offer_running_cost": 9e12}], targets)
    assert [r["passed"] for r in rows] == [False, False, True]     # a comparison is no target
    text = report_markdown(rows, {"profile": "p", "jobcenters": 1, "simulated": 1,
                                  "scenario": "baseline", "seed": 1, "replications": 1,
                                  "horizon_days": 365, "warmup_days": 0, "wall_seconds": 1,
                                  "workers": 1})
    assert "**0 of 2 targets within tolerance.**" in text
    assert "comparison, not a target" in text
    assert "face-validity target" in text            # the on-time target's note is printed


def test_a_missing_simulated_value_fails_its_target():
    target = [t for t in load_targets() if t.id == "active_share_all"]
    assert evaluate([{"active_share_all": float("nan")}], target)[0]["passed"] is False


def test_confidence_intervals_are_reported_over_replications(national):
    _, result, rows = national
    assert len(result["replications"]) == REPLICATIONS
    varying = rows["talks_per_person"]
    assert varying["ci_low"] < varying["simulated"] < varying["ci_high"]


def test_national_sample_stands_for_94_jobcenters(national):
    cfg, result, _ = national
    for replication in range(REPLICATIONS):
        plan = members(cfg, replication)
        assert len(plan) == 7                    # two of each size class, Copenhagen alone
        assert sum(m.weight for m in plan) == pytest.approx(94)
    assert result["jobcenters"] == 94


def test_the_full_national_profile_simulates_every_jobcenter_on_its_own():
    cfg, _ = compose(["jobcenter=national"])
    plan = members(cfg)
    assert len(plan) == 94
    assert all(m.weight == 1 for m in plan)
    assert len({m.cfg.seed for m in plan}) == 94          # each jobcenter its own random streams


def test_calibration_report_lists_every_target_with_pass_or_fail(national):
    cfg, result, rows = national
    text = report_markdown(list(rows.values()), {
        "profile": cfg.jobcenter.name, "jobcenters": 94, "simulated": 7,
        "scenario": "baseline", "seed": cfg.seed, "replications": REPLICATIONS,
        "horizon_days": cfg.horizon_days, "warmup_days": cfg.warmup_days,
        "wall_seconds": result["wall_seconds"], "workers": result["workers"]})
    for row in rows.values():
        assert row["label"] in text
    comparisons = sum(r["tolerance_kind"] == "comparison" for r in rows.values())
    assert comparisons == 2
    assert text.count("| pass |") + text.count("| **fail** |") == len(rows) - comparisons
    assert text.count("| comparison |") == comparisons
