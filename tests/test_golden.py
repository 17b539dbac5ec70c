"""Golden back-tests: a small fixed run's per-group summary equals the committed CSV, and the
event logs of the baseline, a1_flex and c2_shared_caseload equal theirs row for row.

``tests/golden/small_120d_summary.csv`` holds flows, stocks, talks and on-time counts of the
small jobcenter, 120 days from t0, seed 11 (``tests/golden/make_golden.py`` says when and how to
regenerate it). Integers must match exactly, floats to a relative 1e-9. A failure after a change
that was not meant to alter results (a refactoring, a speed-up) is a regression.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN_DIR / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


@pytest.fixture(scope="module")
def golden() -> pd.DataFrame:
    return pd.read_csv(make_golden.GOLDEN).set_index("group")


@pytest.fixture(scope="module")
def current() -> pd.DataFrame:
    return make_golden.summary().set_index("group")


def test_same_groups(golden, current):
    assert list(current.index) == list(golden.index)
    assert len(golden) >= 8


@pytest.mark.parametrize("column", make_golden.INT_COLUMNS)
def test_integer_columns_match_exactly(golden, current, column):
    assert current[column].astype(int).to_dict() == golden[column].astype(int).to_dict()


@pytest.mark.parametrize("column", make_golden.FLOAT_COLUMNS)
def test_float_columns_match(golden, current, column):
    for g in golden.index:
        want, got = golden.at[g, column], current.at[g, column]
        if pd.isna(want):
            assert got is None or pd.isna(got), g
        else:
            assert got == pytest.approx(float(want), rel=1e-9), g


@pytest.mark.parametrize("scenario", make_golden.LOG_SCENARIOS)
def test_event_log_is_unchanged_row_for_row(scenario):
    # the digests were made by make_golden.py before the model was split into components; a
    # refactoring or a new mechanism that is not switched on must leave every row as it was
    import json

    want = json.loads(make_golden.LOG_DIGESTS.read_text(encoding="utf-8"))[scenario]
    assert make_golden.event_log_digest(scenario) == want


@pytest.mark.parametrize("scenario", make_golden.EFFECTS_LOG_SCENARIOS)
def test_event_log_with_the_spell_effects_is_unchanged_row_for_row(scenario):
    # pinned when the spell effects were built: a refactoring must leave these rows as well
    import json

    want = json.loads(make_golden.LOG_DIGESTS.read_text(encoding="utf-8"))[f"{scenario}@effects"]
    assert make_golden.event_log_digest(scenario, "literature") == want
