"""The event log as process-mining tools read it: one case per citizen, real timestamps.

The model's log (``events.parquet``, :class:`sim.engine.metrics.EventLog`) has one row per
activity instance with times in days of the simulation clock. Process-mining tools want one
row per event with a case, an activity, a timestamp and a lifecycle transition under the
canonical names of the XES standard. :func:`flat_log` makes that table: every row of a citizen
gives a ``start`` event (when the work itself began) and a ``complete`` event (when it ended),
day 0 of the clock is the calendar date ``start_date`` (a Monday, as the model's day 0 is) and
the time of day is the model's (talks from 08:00 one after another, desk work inside desk
hours), in Danish local time. Rows that belong to no citizen (a pool's unplanned contacts of a
day, a group session) are not part of any case; the object-centric log keeps them
(:mod:`sim.ocel`). docs/exports.md describes the columns.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
RESOURCE = "org:resource"
LIFECYCLE = "lifecycle:transition"
INSTANCE = "concept:instance"
"""The canonical column names (XES concept, time, org and lifecycle extensions)."""

ATTRIBUTES = ("group", "channel", "on_time", "minutes", "requested", "destination")
"""The event attributes beside the canonical columns (docs/exports.md)."""

TIMEZONE = "Europe/Copenhagen"
"""Timestamps are local time of a Danish jobcenter (summer time included)."""

SPELL = "spell"
"""The activity of a benefit spell's row, whose ``resource`` is where the spell went."""

NO_CITIZEN = -1
"""``citizen`` of rows that belong to no citizen."""


def day_zero(start_date: str | dt.date) -> dt.date:
    """The calendar date of day 0 from ``start_date`` (``YYYY-MM-DD``); ValueError unless it
    is a real date and a Monday (the model's day 0 is a Monday: weekends fall on days 5, 6)."""
    if isinstance(start_date, dt.datetime):
        start_date = start_date.date()
    if not isinstance(start_date, dt.date):
        try:
            start_date = dt.date.fromisoformat(str(start_date))
        except ValueError:
            raise ValueError(f"'start_date' = {start_date!r} is not a date; give one as "
                             "YYYY-MM-DD, a Monday (e.g. 2024-01-01)") from None
    if start_date.weekday() != 0:
        monday = start_date - dt.timedelta(days=start_date.weekday())
        raise ValueError(f"'start_date' = {start_date.isoformat()} is a "
                         f"{start_date.strftime('%A')}; day 0 of the model is a Monday: give "
                         f"a Monday, e.g. {monday.isoformat()}")
    return start_date


def clock_times(days, start_date: str | dt.date) -> pd.DatetimeIndex:
    """Calendar timestamps (milliseconds, Danish local time) of simulation times ``days``
    (NaN: NaT), day 0 being ``start_date``. Clock times that do not exist on the night summer
    time begins move forward to 03:00; the repeated hour in autumn counts as summer time."""
    base = pd.Timestamp(day_zero(start_date))
    ms = np.rint(np.asarray(days, dtype=float) * 86_400_000.0)
    naive = pd.DatetimeIndex(base + pd.to_timedelta(ms, unit="ms")).as_unit("ms")
    return naive.tz_localize(TIMEZONE, nonexistent="shift_forward",
                             ambiguous=np.ones(len(naive), dtype=bool))


def model_log(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's log with the columns of the current model: an older ``events.parquet``
    without ``began`` (desk work) or ``channel`` gets ``began`` = ``start`` and no channel."""
    frame = frame.reset_index(drop=True)
    if "began" not in frame:
        frame = frame.assign(began=frame["start"])
    if "channel" not in frame:
        frame = frame.assign(channel="")
    return frame


def flat_log(frame: pd.DataFrame, start_date: str | dt.date) -> pd.DataFrame:
    """The flat event log of the model's log ``frame`` (:func:`sim.output.event_log_frame`
    or ``events.parquet``): two events per row of a citizen, sorted by case and time.

    Columns: the canonical ones (case = citizen id, activity, timestamp, resource, lifecycle
    ``start``/``complete``, ``concept:instance`` = the row's number in the model's log, which
    pairs a start with its complete), then ``group``, ``channel`` (talks: phone, in_person),
    ``on_time`` (rows with a deadline: true/false, else missing), ``minutes`` (of work),
    ``requested`` (desk work: when it was queued, else missing) and ``destination`` (a spell's
    row: where the spell went; it has no resource).
    """
    frame = model_log(frame)
    rows = frame[frame["citizen"] != NO_CITIZEN]
    n = len(rows)
    instance = rows.index.to_numpy()
    citizen = rows["citizen"].to_numpy()
    activity = rows["activity"].astype(str).to_numpy()
    spell = activity == SPELL
    resource = rows["resource"].astype(str).to_numpy().astype(object)
    start, began, end = (rows[c].to_numpy(dtype=float) for c in ("start", "began", "end"))
    on_time = rows["on_time"].to_numpy()
    channel = rows["channel"].astype(str).to_numpy().astype(object)
    requested = np.where(began > start, start, np.nan)

    when = np.concatenate([began, end])
    phase = np.repeat(np.array([0, 1], dtype=np.int8), n)
    twice = np.concatenate([np.arange(n), np.arange(n)])
    order = np.lexsort((phase, np.concatenate([instance, instance]), when,
                        np.concatenate([citizen, citizen])))
    pick = twice[order]
    ot = pd.array(np.where(on_time[pick] < 0, None, on_time[pick] == 1), dtype="boolean")
    out = pd.DataFrame({
        CASE: citizen[pick].astype(str).astype(object),
        ACTIVITY: activity[pick].astype(object),
        TIMESTAMP: clock_times(when[order], start_date),
        RESOURCE: np.where(spell, None, resource)[pick],
        LIFECYCLE: np.where(phase[order] == 0, "start", "complete").astype(object),
        INSTANCE: instance[pick].astype(str).astype(object),
        "group": rows["group"].astype(str).to_numpy().astype(object)[pick],
        "channel": np.where(channel == "", None, channel)[pick],
        "on_time": ot,
        "minutes": rows["minutes"].to_numpy(dtype=float)[pick],
        "requested": clock_times(requested[pick], start_date),
        "destination": np.where(spell, resource, None)[pick],
    })
    return out
