"""The progress lines of a comparison: replications and time still to go, precision in words."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim.experiment import Stopping, _log_replication
from sim.run_estimate import (duration_words, precision_words, replications_needed,
                              seconds_left)


def _status(hw, target, met=False, kind="fte", unit="FTE", figure="required_work_fte"):
    return {"figure": figure, "label": "Required work", "unit": unit, "kind": kind,
            "half_width": hw, "target": target, "met": met}


def test_a_fixed_number_of_replications_is_the_number():
    assert replications_needed(9, 3, [], None, 3, 20) == 9


def test_once_every_target_is_met_the_look_ahead_remains():
    assert replications_needed("auto", 5, [_status(0.1, 0.2, True)], 5, 3, 20) == 7


def test_a_wider_interval_needs_more_replications_within_the_budget():
    just = replications_needed("auto", 5, [_status(0.21, 0.2)], None, 3, 20)
    twice = replications_needed("auto", 5, [_status(0.4, 0.2)], None, 3, 20)
    four = replications_needed("auto", 5, [_status(0.8, 0.2)], None, 3, 20)
    assert 7 <= just < twice < four == 20             # the budget caps the estimate
    # with the t quantile: at n = 5 an interval twice too wide needs about 4x the replications,
    # fewer because t falls as replications are added
    assert 12 <= twice - 2 <= 20


def test_a_target_that_cannot_be_met_leaves_the_budget_to_decide():
    assert replications_needed("auto", 4, [_status(0.1, 0.0)], None, 3, 20) == 20


def test_the_estimate_never_falls_below_the_minimum_or_the_replications_done():
    # the rule first judges the targets at min_replications, then looks ahead: 3 + 2 at least
    assert replications_needed("auto", 1, [], None, 3, 20) == 5
    assert replications_needed("auto", 2, [_status(0.1, 0.2, True)], None, 3, 20) == 5
    assert replications_needed("auto", 1, [], None, 3, 4) == 4           # within the budget
    assert replications_needed("auto", 8, [_status(0.1, 0.2, True)], 3, 3, 20) == 8


def test_time_left_follows_the_pace_so_far():
    assert seconds_left(10.0, 2, 6) == pytest.approx(20.0)
    assert seconds_left(10.0, 6, 6) == 0.0
    assert duration_words(20.4) == "about 20 s"
    assert duration_words(300) == "about 5 min"
    assert duration_words(4200) == "about 1 h 10 min"


def test_precision_is_said_in_the_figures_own_units():
    assert precision_words(_status(0.0211, 0.0019, kind="share", unit="%",
                                   figure="on_time_share")) == \
        "on-time share known to ±2.11 points (wanted ±0.19 points): not yet"
    assert precision_words(_status(28_600.4, 153_000, True, kind="dkk", unit="DKK per year",
                                   figure="operating_cost")) == \
        "operating cost known to ±DKK 28,600 (wanted ±DKK 153,000): met"


def test_a_progress_line_estimates_the_rest_of_the_run_plainly():
    lines = []
    cfg = SimpleNamespace(replications="auto", min_replications=3, max_replications=20)
    state = Stopping("auto", replications=4, status=[
        _status(0.3, 0.2), _status(28_600.0, 15_300.0, kind="dkk", unit="DKK per year",
                                   figure="operating_cost")],
        history=[{}, {}, {}, {"half_widths": {}}])
    _log_replication(lines.append, "a1_flex / medium", cfg, 3, {"wall_seconds": 1.4},
                     {"wall_seconds": 1.5}, False, state, False, elapsed=12.0)
    line, = lines
    assert "replication 4 of about" in line
    assert "more to go" in line and "left (an estimate from the precision so far)" in line
    assert "operating cost known to ±DKK 28,600 (wanted ±DKK 15,300): not yet" in line
    assert "e+0" not in line and "pp" not in line
