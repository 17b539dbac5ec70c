"""The event log as an object-centric event log: OCEL 2.0, JSON (ocel-standard.org).

Process analysts look at jobcenter work from more than one object at once: a talk is attended
by a citizen, held by a caseworker and falls in one benefit spell. The model's log has one row
per activity instance; here every row is one event (at the time the work began, its end an
attribute), related to the objects it touches:

========================  ==============================  ========================================
object type               id                              from
========================  ==============================  ========================================
``citizen``               ``citizen:<id>``                every citizen with a row; attribute
                                                          ``group``, which changes at a transfer
``benefit_spell``         ``spell:<citizen>:<k>``         the k-th spell of the citizen (0, 1, ...):
                                                          each ``spell`` row, and the spell still
                                                          running at the end of the run
``caseworker``            ``staff:<pool>:<member>``       every member of staff named in a row
                                                          (caseworkers, company consultants,
                                                          administrative staff; attribute ``pool``)
``team``                  ``team:<pool>``                 every staff pool with a member named in
                                                          a row; related to its members' events
                                                          and the pool's own (its unplanned
                                                          contacts of a day)
``talk``                  ``talk:<row>``                  every talk and extra talk held
``offer``                 ``offer:<row>``                 every offer (activation) taken up
``rehab_meeting``         ``rehab_meeting:<row>``         every rehabilitation-team meeting
========================  ==============================  ========================================

Object-to-object relations: a talk is ``attended by`` its citizen, ``held by`` its caseworker
and ``in`` its spell; an offer is ``taken by`` and a rehabilitation meeting ``about`` the
citizen, both ``in`` the spell; a spell is ``of`` its citizen; a caseworker is a ``member of``
a team. Event-to-object qualifiers name the object's role: ``citizen``, ``caseworker``,
``team``, ``benefit spell``, ``talk``, ``offer``, ``meeting``. Every event relates to at least
one object (tools drop events that relate to none). docs/exports.md lists the attributes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .process_log import NO_CITIZEN, SPELL, clock_times, model_log

STAFF_LABEL = re.compile(r"^(?P<pool>[A-Za-z0-9_]+):\d+$")
"""A member of staff in a row's ``resource`` (``<pool>:<member>``; a group session names its
team as labels joined by ``+``)."""

TALKS = ("talk", "extra_talk")
OBJECT_ROWS = {"talk": TALKS, "offer": ("offer",), "rehab_meeting": ("rehab_meeting",)}
"""Object types made one per row, by the rows' activities."""

STATIC = "1970-01-01T00:00:00Z"
"""The time OCEL 2.0 gives an attribute value that holds from the start."""


def _iso(times) -> list:
    """ISO 8601 text with UTC offset (``YYYY-MM-DDTHH:MM:SS.mmm+01:00``), None where missing."""
    from .xes import xes_times

    return xes_times(times).tolist()


def spell_numbers(log: pd.DataFrame) -> np.ndarray:
    """For every row of the model's ``log``, the number k of the citizen's benefit spell it
    falls in (-1: a row of no citizen): a spell row is its own spell (spells numbered in the
    order they ended); any other row the first spell ending at or after the row's work began,
    or the spell still running at the end (k = the number of spells that ended)."""
    k = np.full(len(log), -1, dtype=np.int64)
    cit = log["citizen"].to_numpy()
    is_spell = (log["activity"].astype(str) == SPELL).to_numpy()
    spells = pd.DataFrame({"citizen": cit[is_spell], "end": log["end"].to_numpy(float)[is_spell],
                           "row": np.flatnonzero(is_spell)})
    spells = spells.sort_values(["citizen", "end", "row"], kind="stable")
    spells["k"] = spells.groupby("citizen").cumcount()
    k[spells["row"].to_numpy()] = spells["k"].to_numpy()
    closed = spells.groupby("citizen")["k"].size()
    others = np.flatnonzero(~is_spell & (cit != NO_CITIZEN))
    left = pd.DataFrame({"citizen": cit[others], "began": log["began"].to_numpy(float)[others],
                         "row": others}).sort_values("began", kind="stable")
    right = spells[["citizen", "end", "k"]].sort_values("end", kind="stable")
    hit = pd.merge_asof(left, right, left_on="began", right_on="end", by="citizen",
                        direction="forward", allow_exact_matches=True)
    open_k = hit["citizen"].map(closed).fillna(0).astype(np.int64)
    k[hit["row"].to_numpy()] = np.where(hit["k"].isna(), open_k, hit["k"].fillna(-1)).astype(
        np.int64)
    return k


def ocel_document(frame: pd.DataFrame, start_date) -> dict:
    """The OCEL 2.0 document (a JSON-ready dict) of the model's log ``frame``, day 0 being
    ``start_date``."""
    log = model_log(frame)
    n = len(log)
    cit = log["citizen"].to_numpy()
    act = log["activity"].astype(str).to_numpy()
    res = log["resource"].astype(str).to_numpy()
    grp = log["group"].astype(str).to_numpy()
    chan = log["channel"].astype(str).to_numpy()
    on_time = log["on_time"].to_numpy()
    minutes = log["minutes"].to_numpy(float)
    start, began, end = (log[c].to_numpy(float) for c in ("start", "began", "end"))
    t_began = _iso(clock_times(began, start_date))
    t_end = _iso(clock_times(end, start_date))
    t_requested = _iso(clock_times(np.where(began > start, start, np.nan), start_date))
    k = spell_numbers(log)

    def spell_id(i):
        return f"spell:{cit[i]}:{k[i]}"

    staff: dict[str, str] = {}                  # object id -> pool
    def staff_of(i) -> list[str]:
        ids = []
        for label in res[i].split("+"):
            m = STAFF_LABEL.match(label)
            if m:
                oid = f"staff:{label}"
                staff.setdefault(oid, m.group("pool"))
                ids.append(oid)
        return ids

    pools = {m.group("pool") for r in set(res) for label in r.split("+")
             if (m := STAFF_LABEL.match(label))}
    objects: dict[str, dict] = {}
    citizen_groups: dict[int, list] = {}        # citizen -> [(first time, group)]
    order = np.argsort(began, kind="stable")
    for i in order:
        c = cit[i]
        if c == NO_CITIZEN:
            continue
        seen = citizen_groups.setdefault(c, [])
        if not seen or seen[-1][1] != grp[i]:
            seen.append((t_began[i], grp[i]))
    events = []
    spells: dict[str, dict] = {}
    for i in range(n):
        a = act[i]
        attrs = [{"name": "resource", "value": res[i]},
                 {"name": "end", "value": t_end[i]},
                 {"name": "minutes", "value": float(minutes[i])},
                 {"name": "group", "value": grp[i]}]
        if chan[i]:
            attrs.append({"name": "channel", "value": chan[i]})
        if on_time[i] >= 0:
            attrs.append({"name": "on_time", "value": bool(on_time[i] == 1)})
        if t_requested[i] is not None:
            attrs.append({"name": "requested", "value": t_requested[i]})
        rel = []
        c = cit[i]
        if c != NO_CITIZEN:
            cid = f"citizen:{c}"
            sid = spell_id(i)
            rel += [{"objectId": cid, "qualifier": "citizen"},
                    {"objectId": sid, "qualifier": "benefit spell"}]
            sp = spells.setdefault(sid, {"id": sid, "type": "benefit_spell", "attributes": [],
                                         "relationships": [{"objectId": cid, "qualifier": "of"}]})
            if a == SPELL:
                attrs.append({"name": "destination", "value": res[i]})
                sp["attributes"] = [
                    {"name": "group", "time": STATIC, "value": grp[i]},
                    {"name": "began", "time": STATIC, "value": t_began[i]},
                    {"name": "ended", "time": STATIC, "value": t_end[i]},
                    {"name": "destination", "time": STATIC, "value": res[i]}]
        holders = [] if a == SPELL else staff_of(i)
        rel += [{"objectId": s, "qualifier": "caseworker"} for s in holders]
        teams = dict.fromkeys(staff[s] for s in holders)
        if c == NO_CITIZEN and res[i] in pools:
            teams[res[i]] = None
        rel += [{"objectId": f"team:{t}", "qualifier": "team"} for t in teams]
        for otype, acts in OBJECT_ROWS.items():
            if a in acts and c != NO_CITIZEN:
                oid = f"{otype}:{i}"
                qual = {"talk": "talk", "offer": "offer", "rehab_meeting": "meeting"}[otype]
                rel.append({"objectId": oid, "qualifier": qual})
                objects[oid] = _row_object(otype, oid, i, a, cit, chan, minutes, on_time,
                                           t_began, t_end, holders, spell_id(i))
        events.append({"id": f"e{i}", "type": a, "time": t_began[i], "attributes": attrs,
                       "relationships": rel})
    cit_objects = [{"id": f"citizen:{c}", "type": "citizen",
                    "attributes": [{"name": "group", "time": STATIC if j == 0 else t, "value": g}
                                   for j, (t, g) in enumerate(citizen_groups[c])],
                    "relationships": []}
                   for c in sorted(citizen_groups)]
    staff_objects = [{"id": oid, "type": "caseworker",
                      "attributes": [{"name": "pool", "time": STATIC, "value": pool}],
                      "relationships": [{"objectId": f"team:{pool}", "qualifier": "member of"}]}
                     for oid, pool in sorted(staff.items())]
    team_objects = [{"id": f"team:{pool}", "type": "team", "attributes": [],
                     "relationships": []} for pool in sorted(pools)]
    all_objects = cit_objects + [spells[s] for s in sorted(spells)] + staff_objects \
        + team_objects + [objects[o] for o in sorted(objects)]
    return {
        "objectTypes": [
            {"name": "citizen", "attributes": [{"name": "group", "type": "string"}]},
            {"name": "benefit_spell", "attributes": [
                {"name": "group", "type": "string"}, {"name": "began", "type": "time"},
                {"name": "ended", "type": "time"}, {"name": "destination", "type": "string"}]},
            {"name": "caseworker", "attributes": [{"name": "pool", "type": "string"}]},
            {"name": "team", "attributes": []},
            {"name": "talk", "attributes": [
                {"name": "kind", "type": "string"}, {"name": "channel", "type": "string"},
                {"name": "minutes", "type": "float"}, {"name": "on_time", "type": "boolean"}]},
            {"name": "offer", "attributes": [
                {"name": "began", "type": "time"}, {"name": "ended", "type": "time"}]},
            {"name": "rehab_meeting", "attributes": [
                {"name": "referred", "type": "time"}, {"name": "held", "type": "time"}]},
        ],
        "eventTypes": [{"name": a, "attributes": _event_attributes(a, events)}
                       for a in sorted(set(act))],
        "objects": all_objects,
        "events": events,
    }


def _event_attributes(activity: str, events: list[dict]) -> list[dict]:
    types = {"resource": "string", "end": "time", "minutes": "float", "group": "string",
             "channel": "string", "on_time": "boolean", "requested": "time",
             "destination": "string"}
    names = {x["name"] for e in events if e["type"] == activity for x in e["attributes"]}
    return [{"name": k, "type": t} for k, t in types.items() if k in names]


def _row_object(otype, oid, i, activity, cit, chan, minutes, on_time, t_began, t_end, holders,
                spell) -> dict:
    """The talk, offer or rehabilitation meeting of row ``i``, with its relations."""
    cid = f"citizen:{cit[i]}"
    if otype == "talk":
        attrs = [{"name": "kind", "time": STATIC,
                  "value": "mandated" if activity == "talk" else "extra"},
                 {"name": "channel", "time": STATIC, "value": chan[i]},
                 {"name": "minutes", "time": STATIC, "value": float(minutes[i])}]
        if on_time[i] >= 0:
            attrs.append({"name": "on_time", "time": STATIC, "value": bool(on_time[i] == 1)})
        rel = [{"objectId": cid, "qualifier": "attended by"}] \
            + [{"objectId": s, "qualifier": "held by"} for s in holders]
    elif otype == "offer":
        attrs = [{"name": "began", "time": STATIC, "value": t_began[i]},
                 {"name": "ended", "time": STATIC, "value": t_end[i]}]
        rel = [{"objectId": cid, "qualifier": "taken by"}]
    else:
        attrs = [{"name": "referred", "time": STATIC, "value": t_began[i]},
                 {"name": "held", "time": STATIC, "value": t_end[i]}]
        rel = [{"objectId": cid, "qualifier": "about"}]
    return {"id": oid, "type": otype, "attributes": attrs,
            "relationships": rel + [{"objectId": spell, "qualifier": "in"}]}


def write_ocel(path: Path, frame: pd.DataFrame, start_date) -> None:
    """Write :func:`ocel_document` of ``frame`` to ``path`` (JSON) atomically."""
    from .output import atomic_write_text

    doc = ocel_document(frame, start_date)
    atomic_write_text(Path(path), json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
