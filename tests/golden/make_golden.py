"""Regenerate ``tests/golden/small_120d_summary.csv``, the golden back-test of tests/test_golden.py.

    python tests/golden/make_golden.py

The golden file pins the per-group summary (flows, stocks, talks, on-time counts) of one small,
fixed run. Regenerate it ONLY when a change is meant to alter the model's behaviour (a rule,
a practice, a random-number stream, a bug fix), and review the resulting diff of the CSV in the
same commit as the code change: every changed number should be explained by that change. A pure
refactoring or speed-up must leave the file unchanged -- if the test fails after one, the
refactoring changed the results, and the CSV must not be regenerated to hide it.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOLDEN = HERE / "small_120d_summary.csv"
LOG_DIGESTS = HERE / "event_log_digests.json"
LOG_SCENARIOS = ("baseline", "a1_flex", "c2_shared_caseload")
"""Scenarios whose event logs of the fixed run are pinned row for row (by a SHA-256 of the
rows): a refactoring must leave every row of every one of them as it was."""
OVERRIDES = ["jobcenter=small", "horizon_days=120", "warmup_days=0", "seed=11",
             "replications=1", "effects=none"]
"""The fixed run. ``effects=none``: the spell effects off, spells end as drawn; the pinned rows
predate the effects, so that they also check that the effects at zero change nothing."""
INT_COLUMNS = ["initial_stock", "inflow_new", "inflow_reentry", "transfers_in", "exits",
               "transfers_out", "final_stock", "talks_held", "talks_on_time", "talks_missed",
               "talks_overdue_at_end", "no_shows", "absence_rebookings",
               "phone_talks", "in_person_talks", "offers_started", "rehab_cases",
               "spells_completed"]
FLOAT_COLUMNS = ["mean_stock", "on_time_share", "mean_talk_minutes",
                 "mean_completed_spell_days"]


def summary():
    """The selected columns of the fixed run's group summary, one row per group."""
    from sim.configure import compose
    from sim.model import run
    from sim.results import group_summary

    cfg, _ = compose(OVERRIDES)
    table = group_summary(run(cfg, replication=0))
    return table[["group", *INT_COLUMNS, *FLOAT_COLUMNS]]


EFFECTS_LOG_SCENARIOS = LOG_SCENARIOS
"""The same scenarios with the spell effects on (``effects=literature``), pinned under
``<scenario>@effects`` since the effects were built: a refactoring of the effects (or of
anything else) must leave these rows as they are too."""


def event_log_digest(scenario: str, effects: str = "none") -> dict:
    """Rows and SHA-256 of the fixed run's event log under ``scenario`` (``effects=``)."""
    import hashlib

    from sim.configure import compose
    from sim.model import run

    overrides = [o for o in OVERRIDES if not o.startswith("effects=")]
    cfg, _ = compose([*overrides, f"effects={effects}", f"scenario={scenario}"])
    log = run(cfg, replication=0).log.columns()
    rows = list(zip(*log.values()))
    return {"rows": len(rows), "sha256": hashlib.sha256(repr(rows).encode()).hexdigest()}


def main() -> None:
    import json

    table = summary()
    table.to_csv(GOLDEN, index=False, float_format="%.17g")
    print(f"wrote {GOLDEN} ({len(table)} groups)")
    digests = {s: event_log_digest(s) for s in LOG_SCENARIOS}
    digests.update({f"{s}@effects": event_log_digest(s, "literature")
                    for s in EFFECTS_LOG_SCENARIOS})
    LOG_DIGESTS.write_text(json.dumps(digests, indent=2) + "\n", encoding="utf-8")
    counts = ", ".join(f"{s}: {d['rows']} rows" for s, d in digests.items())
    print(f"wrote {LOG_DIGESTS} ({counts})")


if __name__ == "__main__":
    main()
