"""One replication of a country as one record: its jobcenters' records added up.

A national comparison (``jobcenter=national``, ``national_sample``) is an experiment like a
single jobcenter's (:mod:`sim.experiment`): replications of both sides, paired, cached, stopped
by the same rule. What makes that possible is that replication ``i`` of a country leaves a
*record* of the same shape as a jobcenter's (:func:`sim.experiment.record`), built here from its
members' records with their weights (1 for a jobcenter simulated in person; a size class's count
over the sample's size in ``national_sample``):

* counts, hours, DKK and FTE are weighted sums;
* shares and means are recomputed from the summed numerators and denominators (the on-time
  share from talks on time and talks due; a mean wait from the summed waits and their counts;
  a utilisation from worked and bookable hours; a wage rate per hour weighted by the available
  hours it pays for), never averaged across jobcenters;
* the series: stocks summed week by week; each pool's weekly utilisation averaged with the
  weights of its available hours; the spell-length, first-offer and rehabilitation-wait lists
  (which only the charts of distributions use; the means come from the summary's counts) a
  weighted sample of :data:`SERIES_SAMPLE` values per group.

The record keeps each member's own headline and per-group summary under ``members`` (the
calibration, ``jobcenters.csv`` and the table by size class are computed from them).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .config import GROUPS

SERIES_SAMPLE = 1000
"""Values per group kept in a national record's distribution lists (a weighted sample)."""

MEAN_WEIGHTS = {                      # per-group mean -> the count it is a mean over
    "mean_talk_minutes": "talks_held",
    "mean_in_person_talk_minutes": "in_person_talks",
    "mean_total_minutes_per_talk": "talks_held",
    "mean_offer_wait_days": "offers_started",
    "mean_days_to_first_offer": "first_offers",
    "mean_rehab_wait_days": "rehab_decisions",
    "mean_completed_spell_days": "spells_completed",
}
DERIVED = ("on_time_share", "talks_per_full_time_person", "active_share",
           "mean_spell_days_little")
"""Per-group ratios recomputed from the summed columns (every other number is summed)."""

HEADLINE_SUMS = ("citizens_simulated", "talks_held", "extra_talks_held", "spells_ended",
                 "operating_cost_dkk", "offer_running_cost_dkk", "benefit_dkk", "fte_employed",
                 "unscheduled_hours", "offer_group_stock_days", "talks_by_group",
                 "offer_running_cost_dkk_by_group", "benefit_dkk_by_group", "available_hours",
                 "used_hours", "idle_hours", "certificates", "required_work_hours",
                 "elastic_work_hours", "non_bookable_hours", "staff_heads", "line_hours",
                 "unmet_work_minutes", "backlog_hours_at_end", "mechanism_counters",
                 "cost_lines_dkk")
"""Headline figures that are weighted sums (numbers, or mappings of numbers at any depth)."""


def _add(into: Any, value: Any, w: float) -> Any:
    """``into + w * value`` for numbers and (nested) mappings of numbers; None stays out."""
    if value is None:
        return into
    if isinstance(value, dict):
        into = dict(into) if isinstance(into, dict) else {}
        for k, v in value.items():
            into[k] = _add(into.get(k), v, w)
        return into
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return into if into is not None else value
    return (into or 0.0) + w * value


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


# --------------------------------------------------------------------------- summary
def country_summary(members: Sequence[dict], horizon_days: int) -> list[dict]:
    """The per-group summary of a country: one row per group any member has (see the module
    docstring for how each column is combined)."""
    rows = []
    for g in GROUPS:
        parts = [(m["weight"], r) for m in members for r in m["summary"] if r["group"] == g]
        if not parts:
            continue
        row: dict[str, Any] = {"group": g, "label": parts[0][1].get("label", g)}
        for key in parts[0][1]:
            if key in ("group", "label") or key in MEAN_WEIGHTS or key in DERIVED:
                continue
            total = None
            for w, r in parts:
                total = _add(total, r.get(key), w)
            row[key] = total
        for key, count in MEAN_WEIGHTS.items():
            if key not in parts[0][1]:
                continue
            n = sum(w * (r.get(count) or 0) for w, r in parts if r.get(key) is not None)
            total = sum(w * (r.get(count) or 0) * r[key] for w, r in parts
                        if r.get(key) is not None)
            row[key] = _ratio(total, n)
        due = row["talks_held"] + row["talks_missed"] + row["talks_overdue_at_end"]
        row["on_time_share"] = _ratio(row["talks_on_time"], due)
        stock_days = row["mean_stock"] * horizon_days
        row["talks_per_full_time_person"] = _ratio(
            row["talks_held"] + row.get("extra_talks_held", 0.0), stock_days / 365.0)
        row["active_share"] = _ratio(row["offer_days_active"], stock_days)
        entries = row["inflow_new"] + row["inflow_reentry"] + row["transfers_in"]
        row["mean_spell_days_little"] = _ratio(stock_days, entries)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- headline
def _pools(members: Sequence[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for m in members:
        w = m["weight"]
        for name, p in (m["headline"].get("pools") or {}).items():
            q = out.setdefault(name, {"staff_type": p["staff_type"], "members": 0.0,
                                      "available_hours": 0.0, "bookable_hours": 0.0,
                                      "worked_hours": 0.0, "idle_hours": 0.0,
                                      "elastic_hours": 0.0, "_direct": 0.0,
                                      "_waits": {"desk_wait_days": [0.0, 0.0],
                                                 "work_waiting_days": [0.0, 0.0]}})
            for key in ("members", "available_hours", "bookable_hours", "worked_hours",
                        "idle_hours", "elastic_hours"):
                q[key] += w * (p.get(key) or 0.0)
            q["_direct"] += w * (p.get("direct_contact_share") or 0.0) * p["available_hours"]
            for key, sums in q["_waits"].items():       # weighted by the pool's bookable time
                if p.get(key) is not None:
                    sums[0] += w * p["bookable_hours"] * p[key]
                    sums[1] += w * p["bookable_hours"]
    for q in out.values():
        for key, (total, weight) in q.pop("_waits").items():
            q[key] = _ratio(total, weight)
        q["utilisation_of_bookable_time"] = _ratio(q["worked_hours"], q["bookable_hours"])
        q["required_utilisation"] = _ratio(q["worked_hours"] - q["elastic_hours"],
                                           q["bookable_hours"])
        q["direct_contact_share"] = _ratio(q.pop("_direct"), q["available_hours"])
    return out


def _weighted_by(members: Sequence[dict], field: str, weight_of) -> float | None:
    """The mean of headline ``field`` over members, weighted by ``weight_of(member)``."""
    pairs = [(weight_of(m), m["headline"].get(field)) for m in members]
    den = sum(w for w, v in pairs if v is not None)
    return _ratio(sum(w * v for w, v in pairs if v is not None), den)


RUN_KEYS = ("scenario", "jobcenter", "seed", "horizon_days", "warmup_days",
            "fte_hours_per_year")
"""What a country's headline takes from its run rather than from its members. One FTE of a
country (and of each size class) is the national average's available hours a year, so FTE
figures add up over the jobcenters and classes although a jobcenter's own practice (its sickness
absence) gives its FTE other hours."""


def run_keys(cfg) -> dict:
    """:data:`RUN_KEYS` of a configuration."""
    return {"scenario": cfg.scenario, "jobcenter": cfg.jobcenter.name, "seed": cfg.seed,
            "horizon_days": cfg.horizon_days, "warmup_days": cfg.warmup_days,
            "fte_hours_per_year": cfg.model.working_time.available_hours}


def country_headline(run: dict, replication: int, members: Sequence[dict],
                     summary: Sequence[dict]) -> dict:
    """The headline of a country's replication (the keys of :func:`sim.results.headline`);
    ``run`` holds :data:`RUN_KEYS`."""
    first = members[0]["headline"]
    years = run["horizon_days"] / 365.0
    h: dict[str, Any] = {
        **{k: run[k] for k in RUN_KEYS}, "rules_era": first.get("rules_era"),
        "replication": replication,
        "wall_seconds": sum(m["headline"].get("wall_seconds") or 0.0 for m in members),
        "event_log_rows": 0,
        "jobcenters": int(round(sum(m["weight"] for m in members))),
        "jobcenters_simulated": len(members),
        "citizens_in_person": sum(m["headline"]["citizens_simulated"] for m in members),
    }
    for key in HEADLINE_SUMS:
        total = None
        for m in members:
            total = _add(total, m["headline"].get(key), m["weight"])
        h[key] = total
    for key in ("talks_by_group", "available_hours", "used_hours", "idle_hours"):
        h[key] = h.get(key) or {}
    due = sum(r["talks_held"] + r["talks_missed"] + r["talks_overdue_at_end"] for r in summary)
    h["talks_on_time_share"] = _ratio(sum(r["talks_on_time"] for r in summary), due)
    offer_days = sum(m["weight"] * (m["headline"].get("active_share") or 0.0)
                     * (m["headline"].get("offer_group_stock_days") or 0.0) for m in members)
    h["active_share"] = _ratio(offer_days, h["offer_group_stock_days"] or 0.0)
    h["cost_per_spell_ended_dkk"] = _ratio(h["operating_cost_dkk"], h["spells_ended"])

    def available(m, st=None):
        hours = m["headline"].get("available_hours") or {}
        return m["weight"] * (hours.get(st, 0.0) if st else sum(hours.values()))

    h["hour_rate_dkk"] = _weighted_by(members, "hour_rate_dkk", available)
    h["hour_rate_dkk_by_staff_type"] = {}
    h["direct_contact_share"] = {}
    for st in h["available_hours"]:
        pairs = [(available(m, st), m["headline"]) for m in members]
        den = sum(w for w, _ in pairs)
        h["hour_rate_dkk_by_staff_type"][st] = _ratio(sum(
            w * (mh.get("hour_rate_dkk_by_staff_type") or {}).get(st, mh["hour_rate_dkk"])
            for w, mh in pairs), den)
        h["direct_contact_share"][st] = _ratio(sum(
            w * ((mh.get("direct_contact_share") or {}).get(st) or 0.0) for w, mh in pairs), den)
    heads = lambda m: m["weight"] * sum((m["headline"].get("staff_heads") or {}).values())  # noqa: E731
    h["fte_used_on_casework"] = _ratio(sum(h["used_hours"].values()),
                                       (h["fte_hours_per_year"] or 0.0) * years)
    n_heads = sum(heads(m) for m in members)
    h["hours_available_per_fte"] = _ratio(sum(h["available_hours"].values()), n_heads * years)
    h["practice"] = {}
    h["pools"] = _pools(members)
    return h


# --------------------------------------------------------------------------- series
def _sample_lists(members: Sequence[dict], name: str, replication: int) -> dict[str, list]:
    """A weighted sample of about :data:`SERIES_SAMPLE` values per group of the members' list
    series ``name``: member ``m`` gives a share ``w_m n_m / sum(w n)`` of it (drawn with
    replacement where its weight asks for more values than it has)."""
    out: dict[str, list] = {}
    for g in GROUPS:
        lists = [(m["weight"], m["member"]["index"], (m["series"].get(name) or {}).get(g) or [])
                 for m in members]
        mass = sum(w * len(xs) for w, _, xs in lists)
        if not mass:
            continue
        values: list[float] = []
        for w, index, xs in lists:
            k = int(round(SERIES_SAMPLE * w * len(xs) / mass))
            if not xs or not k:
                continue
            if k == len(xs):
                values += list(xs)
                continue
            rng = np.random.default_rng([replication, index, GROUPS.index(g)])
            picks = rng.choice(len(xs), size=k, replace=k > len(xs))
            values += [xs[i] for i in sorted(picks)]
        out[g] = values
    return out


def _stock(members: Sequence[dict]) -> dict:
    days = members[0]["series"]["stock"]["days"]
    by_group: dict[str, list[float]] = {}
    for m in members:
        w = m["weight"]
        for g, xs in m["series"]["stock"]["by_group"].items():
            acc = by_group.setdefault(g, [0.0] * len(days))
            for i, x in enumerate(xs[:len(days)]):
                acc[i] += w * x
    return {"days": days, "by_group": by_group}


def _utilisation(members: Sequence[dict]) -> dict:
    """Each pool's weekly share of bookable time on required work (%), averaged over the
    members with the weights of their pool's available hours."""
    acc: dict[str, dict[int, list[float]]] = {}
    for m in members:
        pools = m["headline"].get("pools") or {}
        for name, s in (m["series"].get("utilisation") or {}).items():
            w = m["weight"] * (pools.get(name, {}).get("available_hours") or 0.0)
            weeks = acc.setdefault(name, {})
            for week, pct in zip(s["weeks"], s["percent"]):
                x = weeks.setdefault(week, [0.0, 0.0])
                x[0] += w * pct
                x[1] += w
    return {name: {"weeks": sorted(weeks),
                   "percent": [weeks[k][0] / weeks[k][1] if weeks[k][1] else 0.0
                               for k in sorted(weeks)]}
            for name, weeks in acc.items()}


# --------------------------------------------------------------------------- the record
MEMBER_FIELDS = ("profile", "index", "weight", "size_class", "fte_total", "scheduled_staff")


def country_record(cfg, replication: int, member_records: Sequence[dict]) -> dict:
    """The record of replication ``replication`` of country ``cfg`` from its members' records
    (each a :func:`sim.experiment.record` with a ``member`` entry: profile, index, weight, size
    class, FTE and scheduled staff as built)."""
    members = [{**m, "weight": m["member"]["weight"]} for m in member_records]
    summary = country_summary(members, cfg.horizon_days)
    return {
        "scenario": cfg.scenario,
        "replication": replication,
        "wall_seconds": sum(m.get("wall_seconds") or 0.0 for m in members),
        "headline": country_headline(run_keys(cfg), replication, members, summary),
        "summary": summary,
        "series": {
            "warmup_days": cfg.warmup_days,
            "stock": _stock(members),
            "utilisation": _utilisation(members),
            **{name: _sample_lists(members, name, replication)
               for name in ("completed_spell_days", "first_offer_days", "rehab_wait_days")},
        },
        "members": [{**{k: m["member"][k] for k in MEMBER_FIELDS},
                     "headline": m["headline"], "summary": m["summary"]}
                    for m in member_records],
    }


def class_records(rec: dict) -> dict[str, dict]:
    """A country record split by size class: for each class, the record of its jobcenters alone
    (headline and summary; no series), in the order small, medium, large, copenhagen."""
    run = {k: rec["headline"][k] for k in RUN_KEYS}
    order = {"small": 0, "medium": 1, "large": 2, "copenhagen": 3}
    by_class: dict[str, list[dict]] = {}
    for m in rec.get("members") or []:
        by_class.setdefault(m["size_class"], []).append(m)
    out = {}
    for name in sorted(by_class, key=lambda c: (order.get(c, 9), c)):
        members = by_class[name]
        summary = country_summary(members, run["horizon_days"])
        out[name] = {"scenario": rec["scenario"], "replication": rec["replication"],
                     "headline": country_headline(run, rec["replication"], members, summary),
                     "summary": summary, "series": {}}
    return out
