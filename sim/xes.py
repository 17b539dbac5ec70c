"""The flat event log as XES (IEEE 1849, eXtensible Event Stream), the format ProM, pm4py,
Disco and most process-mining tools import.

One trace per citizen (``concept:name`` = the citizen's id), its events in time order, each
with the standard extensions' attributes (concept, time, org, lifecycle) and the log's own
(group, channel, on_time, minutes, requested, destination; see docs/exports.md). The text is
written in one pass over columns prepared as strings, no XML tree is built.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from .process_log import ACTIVITY, CASE, INSTANCE, LIFECYCLE, RESOURCE, TIMESTAMP

XES_VERSION = "1849-2016"
"""The ``xes.version`` written: the value pm4py itself writes. The elements, extensions and
attribute types used are those IEEE 1849 has defined since 2016 (log, trace, event, global,
classifier; string, date, float, boolean), which readers of either revision accept."""

NAMESPACE = "http://www.xes-standard.org/"
EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"),
              ("Lifecycle", "lifecycle"))
"""The standard extensions used, each defined at ``http://www.xes-standard.org/<prefix>.xesext``."""


def xes_times(times: pd.Series) -> np.ndarray:
    """``xs:dateTime`` text of timezone-aware timestamps (milliseconds, UTC offset with a
    colon), None where missing."""
    times = pd.Series(times)
    text = times.dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    text = text.str[:23] + text.str[26:-2] + ":" + text.str[-2:]
    return np.array([t if ok else None for t, ok in zip(text, times.notna())], dtype=object)


def _attr(kind: str, key: str, values) -> np.ndarray:
    """``<kind key=".." value=".."/>`` for every value (empty text where it is missing)."""
    head = f'<{kind} key="{key}" value='
    return np.array(["" if v is None or v != v else f"{head}{quoteattr(v)}/>" for v in values],
                    dtype=object)


def event_lines(flat: pd.DataFrame) -> np.ndarray:
    """One ``<event>`` element per row of the flat log ``flat``."""
    def text(col):
        s = flat[col]
        return [None if v is None or v != v else str(v) for v in s.astype(object)]

    parts = [
        _attr("string", ACTIVITY, text(ACTIVITY)),
        _attr("string", LIFECYCLE, text(LIFECYCLE)),
        _attr("date", TIMESTAMP, xes_times(flat[TIMESTAMP])),
        _attr("string", RESOURCE, text(RESOURCE)),
        _attr("string", INSTANCE, text(INSTANCE)),
        _attr("string", "group", text("group")),
        _attr("string", "channel", text("channel")),
        _attr("boolean", "on_time",
              [None if v is pd.NA else ("true" if v else "false") for v in flat["on_time"]]),
        _attr("float", "minutes", [f"{m:.6g}" for m in flat["minutes"].to_numpy(dtype=float)]),
        _attr("date", "requested", xes_times(flat["requested"])),
        _attr("string", "destination", text("destination")),
    ]
    out = np.full(len(flat), "<event>", dtype=object)
    for p in parts:
        out = out + p
    return out + "</event>"


def xes_text(flat: pd.DataFrame, log_name: str) -> str:
    """The XES document of the flat log ``flat`` (sorted by case, as :func:`flat_log` gives
    it), named ``log_name``."""
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            f'<log xes.version="{XES_VERSION}" xes.features="" xmlns="{NAMESPACE}">']
    head += [f'<extension name="{name}" prefix="{prefix}" uri="{NAMESPACE}{prefix}.xesext"/>'
             for name, prefix in EXTENSIONS]
    head += ['<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>',
             '<global scope="event"><string key="concept:name" value="__INVALID__"/>'
             '<string key="lifecycle:transition" value="complete"/>'
             '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>',
             '<classifier name="Activity" keys="concept:name"/>',
             '<classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>',
             f'<string key="concept:name" value={quoteattr(log_name)}/>']
    events = event_lines(flat)
    cases = flat[CASE].to_numpy(dtype=object)
    body: list[str] = []
    if len(cases):
        starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]])
        ends = np.r_[starts[1:], len(cases)]
        for a, b in zip(starts, ends):
            body.append(f'<trace><string key="concept:name" value={quoteattr(str(cases[a]))}/>')
            body.extend(events[a:b])
            body.append("</trace>")
    return "\n".join([*head, *body, "</log>", ""])


def write_xes(path: Path, flat: pd.DataFrame, log_name: str) -> None:
    """Write :func:`xes_text` of ``flat`` to ``path`` atomically."""
    from .output import atomic_write_text

    atomic_write_text(Path(path), xes_text(flat, log_name))
