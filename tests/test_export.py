"""Process-mining exports without the mining tools: the flat log's events, cases, lifecycle
pairs and timestamps, the XES document's structure, the OCEL 2.0 document's objects and
relations, the time of day the model now logs, and ``python -m sim.export``'s errors.

The tools themselves read the files in tests/test_mining.py (``pytest -m mining``).
"""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.configure import compose
from sim.export import FORMATS, export_run, write_exports
from sim.model import run
from sim.ocel import ocel_document
from sim.output import event_log_frame, write_run
from sim.process_log import (ACTIVITY, CASE, INSTANCE, LIFECYCLE, TIMESTAMP, clock_times,
                             day_zero, flat_log)
from sim.xes import NAMESPACE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = ["jobcenter=small", "horizon_days=40", "warmup_days=0", "replications=1",
             "progress=false", "export=[pm4py,xes,ocel]", "start_date=2024-03-04"]
X = "{" + NAMESPACE + "}"


@pytest.fixture(scope="module")
def result():
    cfg, _ = compose(OVERRIDES)
    return run(cfg, replication=0)


@pytest.fixture(scope="module")
def frame(result):
    return event_log_frame(result)


@pytest.fixture(scope="module")
def flat(frame):
    return flat_log(frame, "2024-03-04")


@pytest.fixture(scope="module")
def run_dir(result, tmp_path_factory):
    """A run folder written as python -m sim writes one, with every export."""
    d = tmp_path_factory.mktemp("export") / "run"
    write_run(d, result, {}, report=False)
    return d


def monotone_per_case(flat: pd.DataFrame) -> bool:
    t = flat[TIMESTAMP].astype("int64").to_numpy()
    same = flat[CASE].to_numpy()[1:] == flat[CASE].to_numpy()[:-1]
    return bool(np.all(t[1:][same] >= t[:-1][same]))


# --------------------------------------------------------------------------- the flat log
def test_two_events_per_row_of_a_citizen_and_one_case_per_citizen(frame, flat):
    citizens = frame[frame["citizen"] >= 0]
    assert len(citizens) > 1000
    assert len(flat) == 2 * len(citizens)
    assert flat[CASE].nunique() == citizens["citizen"].nunique()
    assert (flat[LIFECYCLE] == "start").sum() == (flat[LIFECYCLE] == "complete").sum()
    counts = flat.groupby(INSTANCE)[LIFECYCLE].agg(lambda s: tuple(sorted(s)))
    assert set(counts) == {("complete", "start")}


def test_timestamps_are_monotone_per_case_and_a_shuffled_log_is_not(flat):
    assert monotone_per_case(flat)
    shuffled = flat.sample(frac=1.0, random_state=1).sort_values(CASE, kind="stable")
    assert not monotone_per_case(shuffled)        # the check can fail


def test_each_start_comes_before_its_complete(flat):
    t = flat.assign(t=flat[TIMESTAMP].astype("int64")).pivot_table(
        index=INSTANCE, columns=LIFECYCLE, values="t", aggfunc="first")
    assert (t["start"] <= t["complete"]).all()


def test_day_zero_is_the_start_date_in_danish_local_time():
    t = clock_times([0.0, 1 / 3, 7.5, 120.0], "2024-03-04")
    assert str(t[0]) == "2024-03-04 00:00:00+01:00"
    assert str(t[1]) == "2024-03-04 08:00:00+01:00"
    assert str(t[2]) == "2024-03-11 12:00:00+01:00"
    assert str(t[3]) == "2024-07-02 00:00:00+02:00"      # summer time


def test_start_date_must_be_a_monday():
    assert day_zero("2024-01-01").isoformat() == "2024-01-01"
    with pytest.raises(ValueError, match="Tuesday.*2024-01-01"):
        day_zero("2024-01-02")
    with pytest.raises(ValueError, match="not a date"):
        day_zero("2024-13-01")


def test_talks_of_a_caseworker_follow_one_another_from_eight(frame):
    talks = frame[frame["activity"].astype(str).isin(["talk", "no_show", "extra_talk"])
                  & frame["resource"].astype(str).str.contains(":")]
    assert len(talks) > 500
    day = np.floor(talks["start"])
    minute = (talks["start"] - day) * 1440
    assert minute.min() == pytest.approx(480)         # 08:00
    first_at_eight = days = 0
    for (_, _), g in talks.assign(day=day).groupby(["resource", "day"], observed=True):
        s, e = g["start"].to_numpy(), g["end"].to_numpy()
        assert s[0] >= np.floor(s[0]) + 1 / 3 - 1e-9
        # each begins when the one before ended, or later (an extra talk's no-show, not a
        # row of the log, takes its minutes in between)
        assert np.all(s[1:] >= e[:-1] - 1e-9)
        days += 1
        first_at_eight += s[0] == pytest.approx(np.floor(s[0]) + 1 / 3)
    assert first_at_eight > 0.9 * days


def test_desk_work_begins_after_it_was_requested_inside_desk_hours(frame):
    desk = frame[frame["began"] != frame["start"]]
    assert len(desk) > 50
    assert (desk["began"] > desk["start"]).all()
    assert (desk["began"] <= desk["end"]).all()
    minute = (desk["began"] - np.floor(desk["began"])) * 1440
    assert ((minute >= 480 - 1e-6) & (minute <= 960 + 1e-6)).all()   # 08:00 to 16:00


def test_attributes_group_channel_on_time_and_minutes(frame, flat):
    talks = flat[(flat[ACTIVITY] == "talk")]
    assert set(talks["channel"]) == {"phone", "in_person"}
    assert talks["on_time"].notna().all()
    assert flat.loc[flat[ACTIVITY] == "offer", "on_time"].isna().all()
    assert set(flat["group"]) <= set(frame["group"].astype(str))
    row_minutes = frame.loc[frame["citizen"] >= 0, "minutes"].sum()
    assert flat["minutes"].sum() == pytest.approx(2 * row_minutes)
    spells = flat[flat[ACTIVITY] == "spell"]
    assert spells["org:resource"].isna().all() and spells["destination"].notna().all()


# --------------------------------------------------------------------------- the files
def test_a_run_with_export_writes_every_format(run_dir):
    for name in FORMATS.values():
        assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 0
    assert not list(run_dir.glob(".*.tmp"))


def test_exports_are_the_same_bytes_again(run_dir, tmp_path):
    (tmp_path / "events.parquet").write_bytes((run_dir / "events.parquet").read_bytes())
    (tmp_path / "resolved_config.yaml").write_bytes(
        (run_dir / "resolved_config.yaml").read_bytes())
    export_run(tmp_path, list(FORMATS))
    for name in FORMATS.values():
        assert (tmp_path / name).read_bytes() == (run_dir / name).read_bytes(), name


def test_the_flat_file_holds_the_flat_log(run_dir, flat):
    got = pd.read_parquet(run_dir / "eventlog.parquet")
    assert list(got.columns) == list(flat.columns)
    assert len(got) == len(flat)
    assert got[TIMESTAMP].iloc[0] == flat[TIMESTAMP].iloc[0]


def test_xes_is_xml_in_the_xes_namespace_with_one_trace_per_case(run_dir, flat):
    root = ET.parse(run_dir / "eventlog.xes").getroot()
    assert root.tag == X + "log"
    prefixes = {e.get("prefix"): e.get("uri") for e in root.findall(X + "extension")}
    assert prefixes == {p: f"{NAMESPACE}{p}.xesext"
                        for p in ("concept", "time", "org", "lifecycle")}
    traces = root.findall(X + "trace")
    assert len(traces) == flat[CASE].nunique()
    events = root.findall(f"{X}trace/{X}event")
    assert len(events) == len(flat)
    first = {a.get("key"): (a.tag[len(X):], a.get("value")) for a in events[0]}
    assert first["concept:name"][0] == "string"
    assert first["time:timestamp"][0] == "date"
    assert first["lifecycle:transition"][1] in ("start", "complete")
    assert traces[0][0].get("key") == "concept:name"


def test_ocel_objects_and_relations(run_dir, frame):
    doc = json.loads((run_dir / "eventlog.ocel.json").read_text(encoding="utf-8"))
    assert {t["name"] for t in doc["objectTypes"]} == {
        "citizen", "benefit_spell", "caseworker", "team", "talk", "offer", "rehab_meeting"}
    assert len(doc["events"]) == len(frame)
    ids = {o["id"]: o["type"] for o in doc["objects"]}
    assert len(ids) == len(doc["objects"])
    for o in doc["objects"]:
        for r in o["relationships"]:
            assert r["objectId"] in ids
    for e in doc["events"]:
        assert e["relationships"], e            # tools drop an event related to nothing
        for r in e["relationships"]:
            assert r["objectId"] in ids
    acts = frame["activity"].astype(str)
    types = pd.Series(list(ids.values())).value_counts()
    assert types["citizen"] == frame.loc[frame["citizen"] >= 0, "citizen"].nunique()
    assert types["talk"] == acts.isin(["talk", "extra_talk"]).sum()
    assert types["offer"] == (acts == "offer").sum()
    assert types["benefit_spell"] >= (acts == "spell").sum()
    talk = next(o for o in doc["objects"] if o["type"] == "talk")
    quals = {r["qualifier"]: ids[r["objectId"]] for r in talk["relationships"]}
    assert quals == {"attended by": "citizen", "held by": "caseworker", "in": "benefit_spell"}


def test_every_citizen_row_is_in_one_of_the_citizens_spells(frame):
    doc = ocel_document(frame, "2024-01-01")
    spell_of = {o["id"]: o["relationships"][0]["objectId"] for o in doc["objects"]
                if o["type"] == "benefit_spell"}
    for e in doc["events"]:
        rel = {r["qualifier"]: r["objectId"] for r in e["relationships"]}
        if "citizen" in rel:
            assert spell_of[rel["benefit spell"]] == rel["citizen"]


def test_an_older_event_log_without_the_new_columns_still_exports(frame, tmp_path):
    old = frame.drop(columns=["began", "channel"])
    written = write_exports(tmp_path, old, ["pm4py", "ocel"], "2024-01-01")
    assert [p.name for p in written] == ["eventlog.parquet", "eventlog.ocel.json"]


# --------------------------------------------------------------------------- python -m sim.export
def _export_cli(*args):
    return subprocess.run([sys.executable, "-m", "sim.export", *map(str, args)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)


def test_export_cli_writes_the_formats_asked_for(run_dir, tmp_path):
    (tmp_path / "events.parquet").write_bytes((run_dir / "events.parquet").read_bytes())
    proc = _export_cli(tmp_path, "--format", "xes")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "eventlog.xes").is_file()
    assert not (tmp_path / "eventlog.ocel.json").exists()


@pytest.mark.parametrize("args, fragments", [
    (["--format", "pm4py,csv"], ["'csv'", "pm4py, xes, ocel"]),
    (["--start-date", "2024-01-05"], ["Friday", "2024-01-01"]),
])
def test_export_cli_mistakes_are_one_line_and_exit_2(run_dir, args, fragments):
    proc = _export_cli(run_dir, *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    for f in fragments:
        assert f in lines[0]


def test_export_cli_names_a_folder_without_an_event_log(tmp_path):
    proc = _export_cli(tmp_path)
    assert proc.returncode == 2
    assert "events.parquet" in proc.stderr and "event_log=true" in proc.stderr
