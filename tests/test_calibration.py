"""The national baseline reproduces the 2013 figures (parameters.md section 6).

Runs the documented scaled-down country (``jobcenter=national_sample``: one simulated jobcenter
per profile, weighted to the 94 jobcenters) over three replications and asserts that the mean of
every target lies within its tolerance. The weighting leaves the checked shares and ratios
unchanged and turns totals into weighted sums; the full 94-jobcenter run is in the benchmark.
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
    cfg, _ = compose(["jobcenter=national_sample", "event_log=false", "progress=false"])
    result = run_national(cfg, replications=REPLICATIONS, workers=0)
    values = [simulated_values(a) for a in result["replications"]]
    return cfg, result, {row["id"]: row for row in evaluate(values, load_targets())}


def test_every_qb14_target_has_a_calibration_row(national):
    _, _, rows = national
    assert set(rows) == {t.id for t in load_targets()}
    assert len(rows) == 18


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


def test_confidence_intervals_are_reported_over_replications(national):
    _, result, rows = national
    assert len(result["replications"]) == REPLICATIONS
    varying = rows["talks_per_person"]
    assert varying["ci_low"] < varying["simulated"] < varying["ci_high"]


def test_national_sample_stands_for_94_jobcenters(national):
    cfg, result, _ = national
    plan = members(cfg)
    assert len(plan) == 4
    assert sum(m.weight for m in plan) == 94
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
        "profile": cfg.jobcenter.name, "jobcenters": 94, "simulated": 4,
        "scenario": "baseline", "seed": cfg.seed, "replications": REPLICATIONS,
        "horizon_days": cfg.horizon_days, "warmup_days": cfg.warmup_days,
        "wall_seconds": result["wall_seconds"], "workers": result["workers"]})
    for row in rows.values():
        assert row["label"] in text
    assert text.count("| pass |") + text.count("| **fail** |") == len(rows)
