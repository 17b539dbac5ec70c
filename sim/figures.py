"""The figures a comparison reports, their confidence intervals, and the comparison table.

A *record* is what one replication leaves behind (see :func:`sim.experiment.record`): its
headline (``sim.results.headline``), its per-group summary (``sim.results.group_summary``) and a
few series. Every reported figure is a function of one record, so the same figure can be computed
for the scenario and for the baseline in each replication, and paired.

Confidence intervals are Student-t intervals over replications. Because both sides of a pair use
the same random numbers (common random numbers), the paired difference varies far less than
either side, and its interval is the one that answers "what does the scenario change?".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .config import GROUPS

CONFIDENCE = 0.95


# --------------------------------------------------------------------------- statistics
@dataclass
class Interval:
    """Mean of ``n`` values and its two-sided Student-t confidence interval."""

    n: int
    mean: float | None
    sd: float | None
    half_width: float | None      # None with fewer than two values

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.mean + self.half_width


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student-t quantile for ``n`` values (``n - 1`` degrees of freedom)."""
    return float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and t-interval of ``values`` (missing values, None or NaN, are left out)."""
    x = np.asarray([v for v in values if v is not None and not _nan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return Interval(0, None, None, None)
    mean = float(x.mean())
    if n < 2:
        return Interval(1, mean, None, None)
    sd = float(x.std(ddof=1))
    if sd == 0.0 or np.all(x == x[0]):
        return Interval(n, mean, 0.0, 0.0)
    return Interval(n, mean, sd, t_quantile(n, confidence) * sd / math.sqrt(n))


@dataclass
class Paired:
    """A paired comparison over replications: the two means and the mean difference's CI."""

    scenario: Interval
    baseline: Interval
    difference: Interval

    @property
    def clear(self) -> bool | None:
        """True when the confidence interval of the difference excludes zero."""
        d = self.difference
        if d.half_width is None:
            return None
        return d.low > 0 or d.high < 0


def paired_ci(scenario: Sequence[float], baseline: Sequence[float],
              confidence: float = CONFIDENCE) -> Paired:
    """Paired t-interval of ``scenario[i] - baseline[i]`` over the replications ``i``.

    Replications where either value is missing are left out of all three intervals, so the
    means and the difference describe the same replications.
    """
    if len(scenario) != len(baseline):
        raise ValueError("paired_ci needs as many scenario as baseline values")
    pairs = [(s, b) for s, b in zip(scenario, baseline)
             if s is not None and b is not None and not _nan(s) and not _nan(b)]
    s = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    return Paired(mean_ci(s, confidence), mean_ci(b, confidence),
                  mean_ci([x - y for x, y in pairs], confidence))


def _nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


# --------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class Figure:
    """One reported figure: how to compute it from a record, and how to present it."""

    id: str                                   # stable identifier, e.g. "talks_held/adp"
    section: str                              # heading it is listed under
    label: str                                # plain words for people
    unit: str                                 # unit of the values
    kind: str                                 # dkk, fte, count, share, days, hours
    value: Callable[[dict], float | None]
    key: bool = False                         # used by the replication stopping rule


SECTIONS = ("Cost and staff time", "Service: mandated talks", "Duration", "Caseworker utilisation",
            "Staff capacity: required and elastic work")

QB14_HOURS_PER_FTE = 1428.0
"""Available hours of one FTE-year (QB14 section 2; ``model.working_time.available_hours``),
used only for records that neither state nor imply their own."""

ELASTIC_WORDS = {"extra_talk": "extra talks beyond the legal minimum",
                 "extended_casework": "longer preparation and documentation",
                 "elastic_employer_service": "more employer contact",
                 "case_file_upkeep": "case-file upkeep"}
"""Elastic activities in plain words (others are spelled out from their names)."""

EXTRA_TALK = "extra_talk"
"""The elastic activity of talks held beyond the legal minimum."""


def _get(d, *path):
    for p in path:
        if d is None:
            return None
        d = d.get(p) if isinstance(d, dict) else None
    return d


def _years(rec: dict) -> float:
    return rec["headline"]["horizon_days"] / 365.0


def _summary_row(rec: dict, group: str) -> dict | None:
    for row in rec["summary"]:
        if row["group"] == group:
            return row
    return None


def _group_value(column: str) -> Callable[[str], Callable[[dict], float | None]]:
    def for_group(group: str):
        def value(rec):
            row = _summary_row(rec, group)
            return None if row is None else row.get(column)
        return value
    return for_group


def operating_cost_per_year(rec: dict) -> float:
    """Total operating cost, DKK per year."""
    return rec["headline"]["operating_cost_dkk"] / _years(rec)


def benefit_dkk_per_year(rec: dict, group: str | None = None) -> float | None:
    """Benefit payments to citizens, DKK per year: all groups (``group=None``) or one group's;
    None for a record without them (written before they were counted) or a group without a
    rate. Not part of the operating cost."""
    if group is None:
        dkk = rec["headline"].get("benefit_dkk")
    else:
        row = _summary_row(rec, group)
        dkk = None if row is None else row.get("benefit_dkk")
    return None if dkk is None else dkk / _years(rec)


def offer_running_cost_per_year(rec: dict) -> float | None:
    """Running cost of the offers (active measures: course fees, wage subsidies, providers),
    DKK per year; None for a record without it. Not part of the operating cost; it moves with
    the offer-months a scenario gives (docs/offers.md)."""
    dkk = rec["headline"].get("offer_running_cost_dkk")
    return None if dkk is None else dkk / _years(rec)


def value_of_staff_time_used(rec: dict) -> float:
    """Hours used on casework (all staff types) at the wage cost per available hour, DKK/year."""
    h = rec["headline"]
    rates = h.get("hour_rate_dkk_by_staff_type") or {}
    return sum(hours * rates.get(st, h["hour_rate_dkk"])
               for st, hours in h["used_hours"].items()) / _years(rec)


# --------------------------------------------------------------------------- staff capacity
def hours_per_fte(headline: dict) -> float:
    """Available hours of one FTE-year (h/year): what one FTE means in every FTE figure.

    ``headline["fte_hours_per_year"]`` when the record states it; otherwise implied by the record
    (``fte_used_on_casework`` is the used hours over the FTE-hours of the measured period);
    otherwise QB14's 1,428 h.
    """
    stated = headline.get("fte_hours_per_year")
    if stated:
        return float(stated)
    used, fte = headline.get("used_hours"), headline.get("fte_used_on_casework")
    days = headline.get("horizon_days")
    if used and fte and days:
        return sum(used.values()) / fte / (days / 365.0)
    return QB14_HOURS_PER_FTE


def _fte(rec: dict, hours: float) -> float:
    """``hours`` over the measured period as FTE (full-time equivalents over the period)."""
    h = rec["headline"]
    return hours / (hours_per_fte(h) * _years(rec))


def required_work_hours(rec: dict) -> float | None:
    """Hours of required (non-elastic) work over the measured period, all staff types (h);
    None for a record without them."""
    by_staff = rec["headline"].get("required_work_hours")
    return None if by_staff is None else float(sum(by_staff.values()))


def required_work_fte(rec: dict) -> float | None:
    """Required work: mandated talks, desk work, booking and letters, in FTE (a fall between
    the baseline and a scenario is capacity freed)."""
    hours = required_work_hours(rec)
    return None if hours is None else _fte(rec, hours)


def required_work_dkk(rec: dict) -> float | None:
    """Required work valued at each staff type's wage cost per available hour (DKK/year)."""
    h = rec["headline"]
    by_staff = h.get("required_work_hours")
    if by_staff is None:
        return None
    rates = h.get("hour_rate_dkk_by_staff_type") or {}
    return sum(hours * rates.get(st, h["hour_rate_dkk"])
               for st, hours in by_staff.items()) / _years(rec)


def elastic_hours_by_activity(rec: dict) -> dict[str, float] | None:
    """Hours of elastic work over the measured period by activity, all staff types (h)."""
    by_staff = rec["headline"].get("elastic_work_hours")
    if by_staff is None:
        return None
    out: dict[str, float] = {}
    for activities in by_staff.values():
        for act, hours in activities.items():
            out[act] = out.get(act, 0.0) + hours
    return out


def elastic_work_fte(rec: dict, activity: str | None = None,
                     exclude: str | None = None) -> float | None:
    """Elastic work in FTE: all of it, one ``activity``'s, or all but ``exclude``'s."""
    by_act = elastic_hours_by_activity(rec)
    if by_act is None:
        return None
    if activity is not None:
        hours = by_act.get(activity, 0.0)
    else:
        hours = sum(v for a, v in by_act.items() if a != exclude)
    return _fte(rec, hours)


def idle_fte(rec: dict) -> float | None:
    """Available time left idle (neither required nor elastic work), in FTE."""
    idle = rec["headline"].get("idle_hours")
    return None if idle is None else _fte(rec, sum(idle.values()))


def unmet_demand_hours(rec: dict) -> float | None:
    """Work nobody could do over the measured period (its pool had no staff), hours."""
    unmet = rec["headline"].get("unmet_work_minutes")
    return None if unmet is None else sum(unmet.values()) / 60.0


def backlog_hours_at_end(rec: dict) -> float | None:
    """Desk and background work still waiting at the end of the run, hours."""
    backlog = rec["headline"].get("backlog_hours_at_end")
    return None if backlog is None else float(sum(backlog.values()))


def extra_talks_held(rec: dict) -> float | None:
    """Talks held beyond the legal minimum over the measured period."""
    n = rec["headline"].get("extra_talks_held")
    return None if n is None else float(n)


def elastic_label(activity: str) -> str:
    """An elastic activity in plain words."""
    return ELASTIC_WORDS.get(activity, activity.replace("_", " "))


def littles_law_spell_days(rec: dict, group: str | None) -> float | None:
    """Mean benefit-spell duration by Little's law: mean stock / entries per day (days).

    For one group, entries are new spells, returns and transfers in; for all groups together
    (``group=None``) transfers between groups are not entries, so the figure is the mean time on
    any benefit. Unlike the mean of completed spells, it is not biased towards short spells by a
    run of one year nor by the elapsed time of the initial stock.
    """
    days = rec["headline"]["horizon_days"]
    rows = rec["summary"] if group is None else [r for r in rec["summary"] if r["group"] == group]
    if not rows:
        return None
    stock = sum(r["mean_stock"] for r in rows)
    entries = sum(r["inflow_new"] + r["inflow_reentry"] for r in rows)
    if group is not None:
        entries += rows[0]["transfers_in"]
    if entries <= 0:
        return None
    return stock / (entries / days)


def _pooled_mean(series_name: str, count: str, mean: str) -> Callable[[dict], float | None]:
    """The mean over all groups of a per-spell measure (days): from the summary's per-group
    counts and means where the record holds the counts (a national record's series are a
    sample), else from the series of every value."""
    def value(rec):
        rows = rec.get("summary") or []
        if rows and all(count in r for r in rows):
            n = sum(r[count] or 0 for r in rows)
            total = sum((r[count] or 0) * (r[mean] or 0.0) for r in rows)
            return total / n if n else None
        lists = _get(rec, "series", series_name) or {}
        xs = [x for v in lists.values() for x in v]
        return float(np.mean(xs)) if xs else None
    return value


def _label(rec: dict, group: str) -> str:
    row = _summary_row(rec, group)
    return row["label"] if row and row.get("label") else group


POOL_WORDS = {"adp": "unemployment insurance", "ly": "flexjob unemployment"}


def pool_label(name: str, labels: dict[str, str] | None = None) -> str:
    """A staff pool's name for people."""
    if labels and name in labels:
        return labels[name].lower()
    return POOL_WORDS.get(name, name.replace("_", " "))


def figures_for(rec: dict) -> list[Figure]:
    """Every figure a comparison reports, for the groups and pools present in ``rec``."""
    groups = [g for g in GROUPS if _summary_row(rec, g) is not None]
    days = rec["headline"]["horizon_days"]
    period = f"over the {days:,} measured days"
    h = rec["headline"]
    cap = SECTIONS[4]
    figs = [
        Figure("operating_cost", SECTIONS[0], "Operating cost", "DKK per year", "dkk",
               operating_cost_per_year, key=True),
    ]
    if h.get("benefit_dkk") is not None:
        figs.append(Figure("benefit_dkk", SECTIONS[0],
                           "Benefit payments to citizens, all groups (not operating cost)",
                           "DKK per year", "dkk", benefit_dkk_per_year))
        for g in groups:
            if _summary_row(rec, g).get("benefit_dkk") is not None:
                figs.append(Figure(f"benefit_dkk/{g}", SECTIONS[0],
                                   f"Benefit payments: {_label(rec, g)}", "DKK per year", "dkk",
                                   (lambda gg: lambda r: benefit_dkk_per_year(r, gg))(g)))
    if h.get("offer_running_cost_dkk") is not None:
        figs.append(Figure("offer_running_cost_dkk", SECTIONS[0],
                           "Running cost of offers (active measures, not operating cost)",
                           "DKK per year", "dkk", offer_running_cost_per_year))
    if "required_work_hours" in h:
        figs += [
            Figure("required_work_fte", SECTIONS[0],
                   "Required work: mandated and required tasks (a fall is capacity freed)",
                   "FTE", "fte", required_work_fte, key=True),
            Figure("required_work_dkk", SECTIONS[0],
                   "Required work, at each staff type's wage cost per hour", "DKK per year",
                   "dkk", required_work_dkk),
        ]
    if "elastic_work_hours" in h:
        figs.append(Figure("elastic_work_fte", SECTIONS[0],
                           "Elastic work: extra talks, longer preparation, more employer contact",
                           "FTE", "fte", elastic_work_fte))
        acts = {a for by_act in h["elastic_work_hours"].values() for a in by_act}
        for act in sorted(acts, key=lambda a: (a != EXTRA_TALK, a)):     # extra talks first
            figs.append(Figure(f"elastic_work_fte/{act}", cap,
                               f"Elastic work: {elastic_label(act)}", "FTE", "fte",
                               (lambda aa: lambda r: elastic_work_fte(r, activity=aa))(act)))
    figs += [
        Figure("staff_time_used_fte", SECTIONS[0],
               "Staff time used on casework (a check: elastic work fills time freed)"
               if "elastic_work_hours" in h else
               "Staff time used on casework (a fall is time freed)", "FTE", "fte",
               lambda r: r["headline"]["fte_used_on_casework"],
               key="required_work_hours" not in h),
        Figure("staff_time_used_dkk", SECTIONS[0],
               "Staff time used on casework, at the wage cost per hour", "DKK per year", "dkk",
               value_of_staff_time_used),
        Figure("idle_fte", cap, "Idle time: available, but neither required nor elastic work",
               "FTE", "fte", idle_fte),
    ]
    if "extra_talks_held" in h:
        figs.append(Figure("extra_talks_held", cap,
                           f"Extra talks beyond the legal minimum ({period})", "talks", "count",
                           extra_talks_held))
    figs.append(Figure("unmet_demand_hours", cap,
                       f"Unmet demand: work nobody could do ({period})", "hours", "hours",
                       unmet_demand_hours))
    if "backlog_hours_at_end" in h:
        figs.append(Figure("backlog_hours_at_end", cap,
                           "Backlog at the end: desk and background work still waiting",
                           "hours", "hours", backlog_hours_at_end))
    figs += [
        Figure("talks_held", SECTIONS[1], f"Talks held, all groups ({period})", "talks",
               "count", lambda r: r["headline"]["talks_held"], key=True),
    ]
    talks = _group_value("talks_held")
    for g in groups:
        figs.append(Figure(f"talks_held/{g}", SECTIONS[1], f"Talks held: {_label(rec, g)}",
                           "talks", "count", talks(g)))
    figs.append(Figure("on_time_share", SECTIONS[1], "Mandated talks held on time, all groups",
                       "%", "share", lambda r: r["headline"]["talks_on_time_share"], key=True))
    on_time = _group_value("on_time_share")
    for g in groups:
        figs.append(Figure(f"on_time_share/{g}", SECTIONS[1], f"On time: {_label(rec, g)}",
                           "%", "share", on_time(g)))
    figs.append(Figure("spell_days", SECTIONS[2], "Mean time on benefit, all groups",
                       "days", "days", lambda r: littles_law_spell_days(r, None)))
    for g in groups:
        figs.append(Figure(f"spell_days/{g}", SECTIONS[2], f"Mean spell: {_label(rec, g)}",
                           "days", "days", (lambda gg: lambda r: littles_law_spell_days(r, gg))(g)))
    for fid, series, title, per_group, count, column, n_values in (
            ("days_to_first_offer", "first_offer_days",
             "Time from spell start to first offer, all groups", "Time to first offer",
             "offers_started", "mean_days_to_first_offer", "first_offers"),
            ("rehab_wait_days", "rehab_wait_days",
             "Wait from referral to the rehabilitation team's decision, all groups",
             "Rehabilitation-team wait", "rehab_cases", "mean_rehab_wait_days",
             "rehab_decisions")):
        figs.append(Figure(fid, SECTIONS[2], title, "days", "days",
                           _pooled_mean(series, n_values, column)))
        by_group = _group_value(column)
        for g in groups:
            row = _summary_row(rec, g)
            if row.get(count) or row.get(column) is not None:
                figs.append(Figure(f"{fid}/{g}", SECTIONS[2], f"{per_group}: {_label(rec, g)}",
                                   "days", "days", by_group(g)))
    pool_labels = {g: _label(rec, g) for g in groups}
    for name, p in (rec["headline"].get("pools") or {}).items():
        if p.get("staff_type") != "caseworker" or not p.get("members"):
            continue
        if "required_utilisation" in p:     # elastic work fills the rest of the time
            figs.append(Figure(
                f"utilisation/{name}", SECTIONS[3],
                f"Required work, share of bookable time: {pool_label(name, pool_labels)} pool",
                "%", "share",
                (lambda nn: lambda r: _get(r, "headline", "pools", nn,
                                           "required_utilisation"))(name)))
            continue
        figs.append(Figure(f"utilisation/{name}", SECTIONS[3],
                           f"Utilisation of bookable time: {pool_label(name, pool_labels)} pool",
                           "%", "share",
                           (lambda nn: lambda r: _get(r, "headline", "pools", nn,
                                                      "utilisation_of_bookable_time"))(name)))
    return figs


def key_figures(rec: dict) -> list[Figure]:
    """The figures the replication stopping rule watches."""
    return [f for f in figures_for(rec) if f.key]


def values(fig: Figure, records: Sequence[dict]) -> list[float | None]:
    """``fig`` in each record (None where it does not apply)."""
    out = []
    for r in records:
        try:
            v = fig.value(r)
        except (KeyError, TypeError, ZeroDivisionError):
            v = None
        out.append(None if v is None or _nan(v) else float(v))
    return out


# --------------------------------------------------------------------------- the table
TABLE_COLUMNS = ("figure", "section", "label", "unit", "replications", "scenario_mean",
                 "baseline_mean", "difference", "ci_low", "ci_high", "half_width",
                 "relative_difference", "clear_difference")


def comparison_table(scenario: Sequence[dict], baseline: Sequence[dict]) -> pd.DataFrame:
    """One row per figure: both means, the mean paired difference and its 95% interval.

    ``scenario[i]`` and ``baseline[i]`` must be replication ``i`` of each side. When the
    scenario is the baseline itself, pass the same records twice: the difference is then zero
    and the interval columns describe the mean (use :func:`level_table` instead).
    """
    if len(scenario) != len(baseline):
        raise ValueError("the scenario and the baseline need the same replications")
    for s, b in zip(scenario, baseline):
        if s.get("replication") != b.get("replication"):
            raise ValueError("replications must be paired by index")
    rows = []
    figures = figures_for(baseline[0] if baseline else scenario[0])
    if baseline and scenario:       # pools only the scenario has (a unit it adds or splits off)
        known = {f.id for f in figures}
        figures += [f for f in figures_for(scenario[0]) if f.id not in known]
    for fig in figures:
        p = paired_ci(values(fig, scenario), values(fig, baseline))
        d = p.difference
        base = p.baseline.mean
        scen = p.scenario.mean if d.n else mean_ci(values(fig, scenario)).mean
        rows.append({
            "figure": fig.id, "section": fig.section, "label": fig.label, "unit": fig.unit,
            "replications": d.n, "scenario_mean": scen, "baseline_mean": base,
            "difference": d.mean, "ci_low": d.low, "ci_high": d.high,
            "half_width": d.half_width,
            "relative_difference": (d.mean / base if d.mean is not None and base else None),
            "clear_difference": p.clear,
        })
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


LEVEL_COLUMNS = ("figure", "section", "label", "unit", "replications", "mean", "ci_low",
                 "ci_high", "half_width")


def level_table(records: Sequence[dict]) -> pd.DataFrame:
    """One row per figure: its mean over replications and the mean's 95% interval."""
    rows = []
    for fig in figures_for(records[0]):
        m = mean_ci(values(fig, records))
        rows.append({"figure": fig.id, "section": fig.section, "label": fig.label,
                     "unit": fig.unit, "replications": m.n, "mean": m.mean, "ci_low": m.low,
                     "ci_high": m.high, "half_width": m.half_width})
    return pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))


def cost_line_differences(scenario: Sequence[dict], baseline: Sequence[dict]) -> pd.DataFrame:
    """Mean cost per year of every cost line on both sides and the paired difference's CI."""
    keys = sorted({k for r in [*scenario, *baseline] for k in r["headline"]["cost_lines_dkk"]})
    rows = []
    for k in keys:
        s = [r["headline"]["cost_lines_dkk"].get(k, 0.0) / _years(r) for r in scenario]
        b = [r["headline"]["cost_lines_dkk"].get(k, 0.0) / _years(r) for r in baseline]
        p = paired_ci(s, b)
        rows.append({"line": k, "scenario_mean": p.scenario.mean, "baseline_mean": p.baseline.mean,
                     "difference": p.difference.mean, "ci_low": p.difference.low,
                     "ci_high": p.difference.high})
    return pd.DataFrame(rows, columns=["line", "scenario_mean", "baseline_mean", "difference",
                                       "ci_low", "ci_high"])


# --------------------------------------------------------------------------- capacity freed
@dataclass
class CapacityRow:
    """One line of "where the freed time went": a paired change and its 95% interval.

    ``change`` is oriented as the row says: capacity freed is baseline − scenario (positive =
    time freed); every other row is scenario − baseline.
    """

    id: str
    label: str
    kind: str                     # fte, dkk or hours
    unit: str
    change: Interval
    clear: bool | None


def _flipped(p: Paired) -> tuple[Interval, bool | None]:
    """The difference of ``p`` with its sign turned: baseline − scenario, interval flipped."""
    d = p.difference
    mean = None if d.mean is None else -d.mean
    return Interval(d.n, mean, d.sd, d.half_width), p.clear


def _change(fn: Callable[[dict], float | None], scenario, baseline) -> Paired:
    return paired_ci(_safe_values(fn, scenario), _safe_values(fn, baseline))


def _safe_values(fn, records) -> list[float | None]:
    return values(Figure("", "", "", "", "", fn), records)


UNSCHEDULED_STAFF = "management_and_staff_functions"
"""The staff the model does not schedule (cost only): their hours count as required work."""


def freed_hours_by_staff_type(scenario: dict, baseline: dict) -> dict[str, float] | None:
    """Capacity freed in one pair of replications, hours over the measured period by staff type.

    For each staff type: the fall in required work, plus the rise in time at work per head
    (available less non-bookable hours: fewer breaks, meetings or days off sick give more) times
    the scenario's heads. Staff added or removed do not count (a staff type the baseline lacks
    counts its required work only). Management and staff functions, which the model does not
    schedule, count their hours (staff functions sized down free them). Records without
    non-bookable hours and heads give the fall in required work alone. None without required
    work."""
    hs, hb = scenario["headline"], baseline["headline"]
    req_s, req_b = hs.get("required_work_hours"), hb.get("required_work_hours")
    if req_s is None or req_b is None:
        return None
    nb_s, nb_b = hs.get("non_bookable_hours"), hb.get("non_bookable_hours")
    n_s, n_b = hs.get("staff_heads") or {}, hb.get("staff_heads") or {}
    av_s, av_b = hs.get("available_hours") or {}, hb.get("available_hours") or {}
    out = {}
    for st in dict.fromkeys([*req_b, *req_s]):
        freed = req_b.get(st, 0.0) - req_s.get(st, 0.0)
        if nb_s is not None and nb_b is not None and n_s.get(st) and n_b.get(st):
            at_work_s = av_s.get(st, 0.0) - nb_s.get(st, 0.0)
            at_work_b = av_b.get(st, 0.0) - nb_b.get(st, 0.0)
            freed += at_work_s - n_s[st] / n_b[st] * at_work_b
        out[st] = freed
    if hs.get("unscheduled_hours") is not None and hb.get("unscheduled_hours") is not None:
        out[UNSCHEDULED_STAFF] = hb["unscheduled_hours"] - hs["unscheduled_hours"]
    return out


def freed_fte(scenario: dict, baseline: dict) -> float | None:
    """Capacity freed of one pair of replications, FTE (:func:`freed_hours_by_staff_type`)."""
    by_type = freed_hours_by_staff_type(scenario, baseline)
    return None if by_type is None else _fte(baseline, sum(by_type.values()))


def freed_dkk(scenario: dict, baseline: dict) -> float | None:
    """Capacity freed of one pair at the baseline's wage cost per hour of each staff type
    (DKK a year): a lower wage rate in the scenario frees no hours and is valued at nothing."""
    by_type = freed_hours_by_staff_type(scenario, baseline)
    if by_type is None:
        return None
    h = baseline["headline"]
    rates = h.get("hour_rate_dkk_by_staff_type") or {}
    return sum(hours * rates.get(st, h["hour_rate_dkk"])
               for st, hours in by_type.items()) / _years(baseline)


def _pairwise(fn, scenario: Sequence[dict], baseline: Sequence[dict]) -> Interval:
    """Mean and t-interval over the replications of ``fn(scenario[i], baseline[i])``."""
    if len(scenario) != len(baseline):
        raise ValueError("a paired figure needs as many scenario as baseline records")
    return mean_ci([fn(s, b) for s, b in zip(scenario, baseline)])


def _clear(iv: Interval) -> bool | None:
    if iv.half_width is None:
        return None
    return iv.low > 0 or iv.high < 0


def capacity_freed(scenario: Sequence[dict], baseline: Sequence[dict]) -> dict | None:
    """Capacity freed by the scenario, in FTE and in DKK a year, with 95% intervals.

    Capacity freed is, replication by replication, the baseline's required work less the
    scenario's, plus the time at work a staff member gains (fewer breaks, meetings, days off
    sick; :func:`freed_hours_by_staff_type`): positive when the scenario needs less of the staff's
    time for the same citizens. Its money value is that time at each staff type's wage cost per
    hour in the baseline, whether or not staff are released. None when the records do not hold
    required work.
    """
    fte = _pairwise(freed_fte, scenario, baseline)
    if fte.n == 0:
        return None
    dkk = _pairwise(freed_dkk, scenario, baseline)
    req = _change(required_work_fte, scenario, baseline)
    return {"fte": fte, "dkk": dkk, "clear": _clear(fte),
            "baseline_fte": req.baseline.mean, "scenario_fte": req.scenario.mean}


def where_capacity_went(scenario: Sequence[dict], baseline: Sequence[dict]
                        ) -> list[CapacityRow] | None:
    """Where the capacity freed went: the rows of the report's table, or None without the
    required and elastic work in the records.

    Time adds up in every replication: available time = required work + elastic work + idle
    time + non-bookable time. So capacity freed equals the change in elastic work (extra talks
    and the rest) plus the change in idle time, plus any fall in the time at work (staff added
    or removed, non-bookable time changed); the row ``at_work`` carries that last part and is
    zero when the scenario leaves staffing alone. Less unmet demand and a shorter backlog are
    required work caught up: they are part of required work, so they are netted out of capacity
    freed already and listed apart, in hours. Staff time used is the check: it hardly moves when
    elastic work fills the time freed.
    """
    freed = capacity_freed(scenario, baseline)
    if freed is None or _change(elastic_work_fte, scenario, baseline).difference.n == 0:
        return None

    def row(id_, label, kind, unit, fn, flip=False):
        p = _change(fn, scenario, baseline)
        iv, clear = _flipped(p) if flip else (p.difference, p.clear)
        return CapacityRow(id_, label, kind, unit, iv, clear)

    rows = [CapacityRow("capacity_freed", "Capacity freed: less required work", "fte", "FTE",
                        freed["fte"], freed["clear"]),
            row("extra_talks", "Extra talks beyond the legal minimum (elastic work)", "fte",
                "FTE", lambda r: elastic_work_fte(r, activity=EXTRA_TALK)),
            row("other_elastic", "Other elastic work: longer preparation and documentation, "
                "more employer contact, case-file upkeep", "fte", "FTE",
                lambda r: elastic_work_fte(r, exclude=EXTRA_TALK)),
            row("idle", "Idle time", "fte", "FTE", idle_fte),
            _staffing_row(scenario, baseline),
            row("unmet_demand", "Unmet demand: required work nobody could do", "hours",
                "hours", unmet_demand_hours)]
    if any(b["headline"].get("backlog_hours_at_end") is not None for b in baseline):
        rows.append(row("backlog_at_end", "Backlog at the end: required work still waiting",
                        "hours", "hours", backlog_hours_at_end))
    rows.append(row("staff_time_used", "Check: staff time used on casework", "fte", "FTE",
                    lambda r: r["headline"]["fte_used_on_casework"]))
    return rows


def _staffing_row(scenario: Sequence[dict], baseline: Sequence[dict]) -> CapacityRow:
    """The part of capacity freed that elastic work and idle time do not hold: staff added or
    removed (their time at work), and management and staff functions sized down."""
    def rest(s, b):
        freed = freed_fte(s, b)
        parts = [elastic_work_fte(s), elastic_work_fte(b), idle_fte(s), idle_fte(b)]
        if freed is None or any(x is None for x in parts):
            return None
        return freed - (parts[0] - parts[1]) - (parts[2] - parts[3])
    iv = _pairwise(rest, scenario, baseline)
    return CapacityRow("at_work", "Staff added or removed (time at work), staff functions "
                       "sized down", "fte", "FTE", iv, _clear(iv))


TAKE_UP = ("extra_talks", "other_elastic", "idle", "at_work")
"""The rows of :func:`where_capacity_went` whose mean changes add up to capacity freed."""
