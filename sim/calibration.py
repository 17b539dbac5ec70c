"""Calibration of the national baseline against the QB14/VIVE20 figures.

Targets are data (``conf/calibration/qb14_2013.yaml``). For each replication of a national run
(:func:`sim.national.run_national`) :func:`simulated_values` computes the simulated counterpart
of every target; :func:`evaluate` adds the mean, its 95% confidence interval over replications
and pass/fail; :func:`write_report` writes ``calibration.md``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import yaml
from .configure import CONF_DIR
from .figures import mean_ci

DAYS_PER_MONTH = 365.25 / 12
TARGETS_FILE = CONF_DIR / "calibration" / "qb14_2013.yaml"
TALK_GROUPS = {"adp": ("adp",), "kth": ("kth_job_ready", "kth_activity_ready"),
               "sdp": ("sdp_cat1", "sdp_cat2", "sdp_cat3")}
SICKNESS = ("sdp_cat1", "sdp_cat2", "sdp_cat3")
STOCKS = {"adp": ("adp",), "cash_benefit": ("kth_job_ready", "kth_activity_ready"),
          "sickness": (*SICKNESS, "job_clarification"), "ly": ("ly",)}
# talks per full-time person: the four main groups as counted in 2011-13, before job clarification
TALK_RATE_GROUPS = ("adp", "kth_job_ready", "kth_activity_ready", *SICKNESS)
TOLERANCE_KINDS = ("relative", "points", "at_most", "at_least", "comparison")
TIME_BUDGET_LINES = ("direct_contact", "indirect_casework", "admin_around_casework",
                     "general_administration", "meetings_training_breaks")
"""QB14's five lines of available time (section 2)."""
AREA_POOLS = {"adp": "adp", "kth": "cash_benefit", "sdp": "sickness"}
"""The caseworker pool of each area whose direct contact QB14 gives (section 2)."""
SCHEDULED_STAFF = ("caseworker", "company_consultant", "admin_staff")
# the groups of VIVE20's active share (section 5.3): the four main groups
ACTIVE_GROUPS = {"adp": ("adp",), "job_ready": ("kth_job_ready",),
                 "activity_ready": ("kth_activity_ready",),
                 "sickness": (*SICKNESS, "job_clarification")}


@dataclass
class Target:
    """One calibration target (``docs/sources.md``, calibration targets)."""

    id: str
    label: str
    target: float
    tolerance: float
    tolerance_kind: str
    source: str
    unit: str
    note: str = ""                  # printed under the table (e.g. why a target is face validity)

    def bounds(self) -> tuple[float, float]:
        """The accepted interval of simulated values: ``points`` and ``relative`` either side
        of the target, ``at_most`` / ``at_least`` the target as a limit; a ``comparison`` is
        shown beside its source figure and accepts any value."""
        kind = self.tolerance_kind
        if kind == "points":
            return self.target - self.tolerance, self.target + self.tolerance
        if kind == "at_most":
            return -math.inf, self.target
        if kind == "at_least":
            return self.target, math.inf
        if kind == "comparison":
            return -math.inf, math.inf
        return self.target * (1 - self.tolerance), self.target * (1 + self.tolerance)


def load_targets(path: Path = TARGETS_FILE) -> list[Target]:
    """The calibration targets."""
    targets = [Target(**row) for row in yaml.safe_load(path.read_text(encoding="utf-8"))]
    for t in targets:
        if t.tolerance_kind not in TOLERANCE_KINDS:
            raise ValueError(f"calibration target {t.id}: tolerance_kind {t.tolerance_kind!r}; "
                             f"valid: {', '.join(TOLERANCE_KINDS)}")
    return targets


def _sum(groups: dict, names, key: str) -> float:
    return sum(groups.get(g, {}).get(key, 0.0) for g in names)


def simulated_values(agg: dict) -> dict[str, float]:
    """The simulated value of every target from one replication's national aggregate."""
    t, g = agg["totals"], agg["groups"]
    years = agg["years"]
    days = years * 365.0
    avail, direct = agg["available_hours"], agg["direct_hours"]
    cw_cons = ("caseworker", "company_consultant")
    out = {
        "hours_per_fte": sum(avail.values()) / t["scheduled_staff"] / years,
        "direct_share_all": sum(direct.values()) / (t["fte"] * agg["budget_hours"] * years),
        "direct_share_cw_consultants": (sum(direct.get(s, 0.0) for s in cw_cons)
                                        / sum(avail.get(s, 0.0) for s in cw_cons)),
        "total_fte": t["fte"],
        "operating_cost": t["cost_dkk"] / years,
    }
    for key, names in TALK_GROUPS.items():
        n = _sum(g, names, "in_person_talks")
        out[f"talk_minutes_{key}"] = _sum(g, names, "in_person_minutes") / n if n else math.nan
    for key, names in STOCKS.items():
        out[f"stock_{key}"] = _sum(g, names, "mean_stock")
    main = out["stock_adp"] + out["stock_cash_benefit"] + out["stock_sickness"]
    out["persons_per_fte"] = main / t["fte"]
    out["talks_per_person"] = ((_sum(g, TALK_RATE_GROUPS, "talks_held")
                                + _sum(g, TALK_RATE_GROUPS, "extra_talks_held")) / years
                               / _sum(g, TALK_RATE_GROUPS, "mean_stock"))

    def months(stock_groups, entry_groups):
        entries = _sum(g, entry_groups, "entries") / days
        return _sum(g, stock_groups, "mean_stock") / entries / DAYS_PER_MONTH if entries else math.nan

    out["spell_months_adp"] = months(("adp",), ("adp",))
    out["spell_months_job_ready"] = months(("kth_job_ready",), ("kth_job_ready",))
    out["spell_months_activity_ready"] = months(("kth_activity_ready",), ("kth_activity_ready",))
    # a sickness spell of the 2013 kind runs on through job clarification after 22 weeks
    out["spell_months_sickness"] = months((*SICKNESS, "job_clarification"), SICKNESS)
    out.update(time_budget_values(agg))
    out.update(service_values(agg))
    return out


def time_budget_values(agg: dict) -> dict[str, float]:
    """Shares of available hours: by QB14 line over all staff (management and staff functions
    included), caseworkers' direct contact by area, unused capacity nationally and by staff
    type, and unmet demand as a share of required work."""
    lines = agg.get("line_hours") or {}
    out: dict[str, float] = {}
    total = sum(sum(v.values()) for v in lines.values())
    for line in TIME_BUDGET_LINES:
        out[f"line_{line}"] = (sum(v.get(line, 0.0) for v in lines.values()) / total
                               if total else math.nan)
    out["unused_share_all"] = (sum(v.get("unused_capacity", 0.0) for v in lines.values()) / total
                               if total else math.nan)
    for st in SCHEDULED_STAFF:
        v = lines.get(st) or {}
        t = sum(v.values())
        out[f"unused_share_{st}"] = v.get("unused_capacity", 0.0) / t if t else math.nan
    pools = agg.get("pool_hours") or {}
    for area, pool in AREA_POOLS.items():
        p = pools.get(pool)
        out[f"direct_share_{area}"] = (p["direct"] / p["available"]
                                       if p and p["available"] else math.nan)
    t = agg["totals"]
    required = t.get("required_work_hours", 0.0)
    out["unmet_share"] = t.get("unmet_work_hours", 0.0) / required if required else math.nan
    return out


def service_values(agg: dict) -> dict[str, float]:
    """On-time share of mandated talks per group, the share of benefit-months in an active
    offer (overall and by VIVE20's groups) and offers' running cost (DKK per year)."""
    g = agg["groups"]
    out: dict[str, float] = {}
    for name, row in g.items():
        due = row.get("talks_due", 0.0)
        out[f"on_time_{name}"] = row.get("talks_on_time", 0.0) / due if due else math.nan

    def active(names):
        stock = _sum(g, names, "mean_stock")
        if not stock or not any("offer_days_active" in g.get(n, {}) for n in names):
            return math.nan
        return _sum(g, names, "offer_days_active") / (stock * 365.0 * agg["years"])

    out["active_share_all"] = active([n for names in ACTIVE_GROUPS.values() for n in names])
    for key, names in ACTIVE_GROUPS.items():
        out[f"active_share_{key}"] = active(names)
    cost = agg["totals"].get("offer_running_cost_dkk")
    out["offer_running_cost"] = cost / agg["years"] if cost is not None else math.nan
    return out


def evaluate(per_replication: list[dict[str, float]], targets: list[Target]) -> list[dict]:
    """One row per target: source value, simulated mean and 95% CI, tolerance, pass/fail."""
    rows = []
    for tgt in targets:
        ci = mean_ci([rep[tgt.id] for rep in per_replication])
        mean = ci.mean
        lo = hi = None
        if ci.half_width is not None:
            lo, hi = mean - ci.half_width, mean + ci.half_width
        low, high = tgt.bounds()
        known = mean is not None and not math.isnan(mean)
        passed = known and bool(low - 1e-9 * abs(low) <= mean <= high + 1e-9 * abs(high))
        rows.append({"id": tgt.id, "label": tgt.label, "source": tgt.source, "unit": tgt.unit,
                     "target": tgt.target, "simulated": mean, "ci_low": lo, "ci_high": hi,
                     "accepted_low": low, "accepted_high": high,
                     "tolerance": tgt.tolerance, "tolerance_kind": tgt.tolerance_kind,
                     "note": tgt.note, "passed": passed})
    return rows


def _fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "DKK":
        return f"DKK {value / 1e9:.3f} billion"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _verdict(row: dict) -> str:
    if row["tolerance_kind"] == "comparison":
        return "comparison"
    return "pass" if row["passed"] else "**fail**"


def target_rows(rows: Sequence[dict], fmt: Callable[[float | None, str], str],
                tolerance: Callable[[dict], str], verdict: Callable[[dict], str]) -> list[str]:
    """The Markdown table rows of targets (label, source, source value, simulated mean, 95% CI,
    tolerance, verdict), each note numbered once after the label, and the notes under the
    table; ``fmt(value, unit)`` formats the figures (shared by the calibration and the
    back-test, :mod:`sim.backtest`)."""
    lines: list[str] = []
    notes: list[str] = []
    for r in rows:
        unit = r["unit"]
        ci = ("–" if r["ci_low"] is None else
              f"{fmt(r['ci_low'], unit)} – {fmt(r['ci_high'], unit)}")
        label = r["label"]
        if r.get("note"):
            if r["note"] not in notes:
                notes.append(r["note"])
            label += f" ({notes.index(r['note']) + 1})"
        lines.append(f"| {label} | {r['source']} | {fmt(r['target'], unit)} | "
                     f"{fmt(r['simulated'], unit)} | {ci} | {tolerance(r)} | {verdict(r)} |")
    if notes:
        lines += [""] + [f"({k}) {note}" for k, note in enumerate(notes, 1)]
    return lines


def _tolerance(row: dict) -> str:
    kind = row["tolerance_kind"]
    if kind == "points":
        return f"±{row['tolerance'] * 100:.0f} points"
    if kind == "at_most":
        return "at most"
    if kind == "at_least":
        return "at least"
    if kind == "comparison":
        return "comparison, not a target"
    if row["tolerance"] == 0:
        return "exact"
    return f"±{row['tolerance'] * 100:.0f}%"


def report_markdown(rows: list[dict], meta: dict) -> str:
    """``calibration.md``: every target with source value, simulated value and CI, pass/fail."""
    targets = [r for r in rows if r["tolerance_kind"] != "comparison"]
    passed = sum(r["passed"] for r in targets)
    lines = [
        "# Calibration of the national baseline",
        "",
        f"Profile: {meta['profile']} ({meta['jobcenters']} jobcenters, {meta['simulated']} "
        f"simulated one by one) · Scenario: {meta['scenario']} · Seed: {meta['seed']} · "
        f"Replications: {meta['replications']} · Measured period: {meta['horizon_days']} days "
        f"after a warm-up of {meta['warmup_days']} days · Run time: {meta['wall_seconds']:.0f} s "
        f"on {meta['workers']} worker process(es)",
        "",
        f"**{passed} of {len(targets)} targets within tolerance.** The simulated value is the "
        "mean over replications; the interval is its 95% confidence interval (t distribution "
        "over replications; shown only with two or more replications). Rows marked "
        "*comparison* set a simulated figure beside a source figure that measures something "
        "wider; they are not targets.",
        "",
        "| Target | Source | Source value | Simulated | 95% CI | Tolerance | Result |",
        "| --- | --- | ---: | ---: | --- | --- | --- |",
    ]
    lines += target_rows(rows, _fmt, _tolerance, _verdict)
    lines += ["", "How the simulated values are computed and which parameters were fitted is "
              "explained in docs/calibration.md.", ""]
    return "\n".join(lines)
