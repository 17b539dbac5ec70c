"""The exports read by a real process-mining tool, pm4py, as they are (``pytest -m mining``;
``pip install -e '.[mining]'``).

pm4py reads the flat log (pandas from ``eventlog.parquet``), ``eventlog.xes`` and
``eventlog.ocel.json`` without any preparation (no ``format_dataframe``, no renaming),
discovers a process model from the flat log and from the XES log, and the counts of events,
cases and objects it finds are those of the run.
"""
from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.mining
pm4py = pytest.importorskip("pm4py")

from sim.configure import compose  # noqa: E402
from sim.model import run  # noqa: E402
from sim.output import write_run  # noqa: E402

OVERRIDES = ["jobcenter=small", "horizon_days=40", "warmup_days=0", "replications=1",
             "progress=false", "export=[pm4py,xes,ocel]", "scenario=c2_shared_caseload"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    cfg, _ = compose(OVERRIDES)
    d = tmp_path_factory.mktemp("mining") / "run"
    write_run(d, run(cfg, replication=0), {}, report=False)
    return d


@pytest.fixture(scope="module")
def events(run_dir):
    return pd.read_parquet(run_dir / "events.parquet")


@pytest.fixture(scope="module")
def expected(events):
    """What the run holds: events of citizens (two per row), cases, per-activity rows."""
    mine = events[events["citizen"] >= 0]
    return {"events": 2 * len(mine), "cases": mine["citizen"].nunique(),
            "activities": set(mine["activity"].astype(str)),
            "rows": len(events)}


def _monotone(log: pd.DataFrame) -> bool:
    t = log["time:timestamp"].astype("int64").to_numpy()
    c = log["case:concept:name"].to_numpy()
    same = c[1:] == c[:-1]
    return bool(np.all(t[1:][same] >= t[:-1][same]))


def test_pm4py_discovers_a_model_from_the_flat_log_as_it_is(run_dir, expected):
    log = pd.read_parquet(run_dir / "eventlog.parquet")
    assert len(log) == expected["events"]
    assert pm4py.get_variants(log) and len(pm4py.get_variants(log)) <= expected["cases"]
    assert log["case:concept:name"].nunique() == expected["cases"]
    assert _monotone(log)
    net, im, fm = pm4py.discover_petri_net_inductive(log)
    labels = {t.label for t in net.transitions if t.label}
    assert labels == expected["activities"]
    dfg, starts, ends = pm4py.discover_dfg(log)
    assert sum(starts.values()) == expected["cases"]
    assert set(pm4py.get_event_attribute_values(log, "lifecycle:transition")) == {
        "start", "complete"}


def test_pm4py_reads_the_xes_log_and_discovers_the_same_activities(run_dir, expected):
    log = pm4py.read_xes(str(run_dir / "eventlog.xes"))
    assert len(log) == expected["events"]
    assert log["case:concept:name"].nunique() == expected["cases"]
    assert _monotone(log.sort_values(["case:concept:name", "time:timestamp"], kind="stable")) \
        and _monotone(log)                        # already in order as read
    net, im, fm = pm4py.discover_petri_net_inductive(log)
    assert {t.label for t in net.transitions if t.label} == expected["activities"]
    flat = pd.read_parquet(run_dir / "eventlog.parquet")
    assert (log["time:timestamp"].dt.tz_convert("UTC").to_numpy()
            == flat["time:timestamp"].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
            .to_numpy()).all()


def test_pm4py_reads_the_ocel_log_with_the_runs_objects(run_dir, events, expected):
    ocel = pm4py.read_ocel2_json(str(run_dir / "eventlog.ocel.json"))
    assert len(ocel.events) == expected["rows"]
    types = ocel.objects["ocel:type"].value_counts().to_dict()
    acts = events["activity"].astype(str)
    assert types["citizen"] == expected["cases"]
    assert types["talk"] == acts.isin(["talk", "extra_talk"]).sum()
    assert types["offer"] == (acts == "offer").sum()
    assert types["rehab_meeting"] == (acts == "rehab_meeting").sum()
    staff = {r for r in events["resource"].astype(str) for r in r.split("+") if ":" in r}
    assert types["caseworker"] == len(staff)
    assert types["team"] == len({s.split(":")[0] for s in staff})
    assert types["benefit_spell"] >= (acts == "spell").sum()
    # a talk is attended by a citizen and held by a caseworker (object-to-object relations)
    o2o = ocel.o2o.merge(ocel.objects[["ocel:oid", "ocel:type"]].rename(
        columns={"ocel:oid": "ocel:oid_2", "ocel:type": "target"}), on="ocel:oid_2")
    talk_rel = o2o[o2o["ocel:oid"].str.startswith("talk:")]
    got = collections.Counter(zip(talk_rel["ocel:qualifier"], talk_rel["target"]))
    assert got[("attended by", "citizen")] == types["talk"]
    assert got[("held by", "caseworker")] == types["talk"]
    # every event of a talk relates to its citizen, its caseworker and the talk
    rel = ocel.relations[ocel.relations["ocel:activity"] == "talk"]
    per_event = rel.groupby("ocel:eid")["ocel:type"].agg(frozenset)
    assert set(per_event) == {frozenset({"citizen", "benefit_spell", "caseworker", "team",
                                         "talk"})}
    assert pm4py.discover_ocdfg(ocel)["activities"] >= {"talk", "offer"}
