"""A run's human-readable report: ``report.md`` and the three plots it embeds.

The report is written for a policy analyst: plain labels, a unit on every number, thousands
separators and no variable names. Every figure in it is also in ``metrics.json`` or
``summary.csv``; the report only selects and formats them.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator, StrMethodFormatter  # noqa: E402

from .config import GROUPS  # noqa: E402
from .model import RunResult  # noqa: E402
from .figures import elastic_label, hours_per_fte  # noqa: E402
from .results import weekly_utilisation  # noqa: E402
from .output import atomic_write, atomic_write_text  # noqa: E402
from .settings_diff import (MISSING, changed_settings, fmt_setting,  # noqa: E402
                            reference_for, render_assumptions)

DPI = 110
FIGSIZE = (8, 4.5)
DASH = "–"
WORDS = {"lae265": "LÆ 265", "ly": "flexjob unemployment",
         "meetings_training_breaks": "meetings, training and breaks"}
"""Abbreviations and run-together phrases in pool and cost-line names, spelled out."""


# --------------------------------------------------------------------------- formatting
def _missing(x) -> bool:
    """True for None and NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _num(x, digits: int = 0, unit: str = "") -> str:
    """``x`` with thousands separators and ``digits`` decimals, then ``unit``; "–" if missing."""
    if _missing(x):
        return DASH
    return f"{x:,.{digits}f}" + (f" {unit}" if unit else "")


def _pct(share, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return DASH if _missing(share) else f"{100 * share:,.{digits}f}%"


def _dkk(x) -> str:
    """Money: "DKK 55.2 million" from a million up, else "DKK 5,735"."""
    if _missing(x):
        return DASH
    return f"DKK {x / 1e6:,.1f} million" if abs(x) >= 1e6 else f"DKK {x:,.0f}"


def _words(name: str) -> str:
    """An identifier as words: ``"ly_reassessment"`` -> ``"flexjob unemployment reassessment"``."""
    if name in WORDS:
        return WORDS[name]
    return " ".join(WORDS.get(w, w) for w in name.split("_"))


def _sentence(text: str) -> str:
    """``text`` with its first letter capitalised."""
    return text[:1].upper() + text[1:]


def _pool_label(result: RunResult, name: str) -> str:
    """A staff pool's name for people; a pool named after a benefit group uses its label."""
    groups = result.cfg.model.groups
    return (groups[name].label.lower() if name in groups else _words(name))


def _cost_label(key: str) -> str:
    """``"caseworker/talk_preparation"`` -> ``"Caseworker: talk preparation"``."""
    kind, _, item = key.partition("/")
    if not item or item.startswith(kind):
        return _sentence(_words(item or kind))
    return f"{_sentence(_words(kind))}: {_words(item)}"


def _table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A Markdown table; the first ``text_columns`` are left-aligned, the others right-aligned."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    align = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    return "\n".join([line(header), line(align), *(line(r) for r in rows)])


# --------------------------------------------------------------------------- plots
def _save(fig, path: Path) -> None:
    """Save ``fig`` as a PNG atomically and close it."""
    try:
        atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=DPI))
    finally:
        plt.close(fig)


def _note(ax, text: str) -> None:
    """Write ``text`` in the middle of an empty plot."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")


def plot_stock(result: RunResult, path: Path) -> None:
    """Citizens on benefit per group over time, from the weekly stock samples."""
    samples = result.counters.stock_samples
    groups = result.cfg.model.groups
    fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    days = [d for d, _ in samples]
    for i, g in enumerate(GROUPS):
        stock = [s[i] for _, s in samples]
        if any(stock):
            ax.plot(days, stock, color=f"C{i}", label=groups[g].label if g in groups else g)
    if ax.lines:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
    else:
        _note(ax, "No citizens on benefit")
    ax.set_title("Citizens on benefit by group (weekly count)")
    ax.set_xlabel("Day of year")
    ax.set_ylabel("Citizens on benefit")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(alpha=0.3)
    _save(fig, path)



def plot_utilisation(result: RunResult, path: Path) -> None:
    """Weekly share of bookable time worked, one line per caseworker pool."""
    fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    caseworker_pools = [(n, p) for n, p in result.pools.items() if p.staff_type == "caseworker"]
    for i, (name, pool) in enumerate(caseworker_pools):
        weeks, shares = weekly_utilisation(pool)
        if weeks:  # the colour follows the pool, so a pool without staff shifts no other line
            ax.plot(weeks, shares, color=f"C{i}", marker="o", markersize=3,
                    label=f"Pool: {_pool_label(result, name)}")
    if ax.lines:
        ax.legend(fontsize="small", frameon=False)
    else:
        _note(ax, "No caseworker time available")
    ax.set_title("Caseworkers' weekly utilisation of bookable time (%)")
    ax.set_xlabel("Week")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Share of bookable time worked (%)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_on_time(summary: pd.DataFrame, path: Path) -> None:
    """Horizontal bars: share of mandated talks held on time, per group."""
    rows = summary[summary["on_time_share"].notna()] if len(summary) else summary
    fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    if len(rows):
        labels = list(rows["label"])
        shares = [100.0 * float(s) for s in rows["on_time_share"]]
        bars = ax.barh(labels, shares, color="tab:blue")
        ax.bar_label(bars, labels=[f"{s:.0f}% ({int(n):,} held)"
                                   for s, n in zip(shares, rows["talks_held"])],
                     padding=3, fontsize="small")
        ax.invert_yaxis()
    else:
        _note(ax, "No mandated talks were due")
        ax.set_yticks([])
    ax.set_xlim(0, 118)
    ax.set_xticks(range(0, 101, 20))
    ax.set_title("Mandated talks held on time, by group (%)")
    ax.set_xlabel("Share of mandated talks held by the deadline (%)")
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)


# --------------------------------------------------------------------------- report.md
def _headline_rows(metrics: dict) -> list[list[str]]:
    """The headline-figures table."""
    days = metrics.get("horizon_days")
    direct = (metrics.get("direct_contact_share") or {}).get("caseworker")
    return [
        ["Citizens simulated", _num(metrics.get("citizens_simulated"), unit="persons")],
        ["Talks held", _num(metrics.get("talks_held"), unit="talks")],
        ["Mandated talks held on time", _pct(metrics.get("talks_on_time_share"))],
        [f"Operating cost over the {days:,} simulated days",
         _dkk(metrics.get("operating_cost_dkk"))],
        ["Operating cost per spell ended", _dkk(metrics.get("cost_per_spell_ended_dkk"))],
        ["Staff employed", _num(metrics.get("fte_employed"), 1, "FTE")],
        ["Staff time used on casework", _num(metrics.get("fte_used_on_casework"), 1,
                                             "FTE-equivalents")],
        ["Caseworkers' available hours spent in direct contact with citizens", _pct(direct)],
        ["Hours available per full-time employee", _num(metrics.get("hours_available_per_fte"),
                                                         0, "hours per year")],
    ]


def _capacity_rows(metrics: dict) -> list[list[str]]:
    """Required and elastic work, idle time and what is left undone, by staff type (hours over
    the run and FTE); no rows for a run whose metrics do not hold required work."""
    required = metrics.get("required_work_hours")
    elastic = metrics.get("elastic_work_hours")
    if required is None or elastic is None:
        return []
    fte_hours = hours_per_fte(metrics) * metrics["horizon_days"] / 365.0
    idle = metrics.get("idle_hours") or {}
    rows = []
    for st in dict.fromkeys([*required, *elastic, *idle]):
        req = required.get(st, 0.0)
        ela = sum((elastic.get(st) or {}).values())
        if not (req or ela or idle.get(st)):
            continue
        rows.append([_sentence(_words(st)), _num(req), _num(ela), _num(idle.get(st)),
                     _num(req / fte_hours, 1), _num(ela / fte_hours, 1)])
    return rows


def _elastic_rows(metrics: dict) -> list[list[str]]:
    """Elastic work by activity, all staff types (hours over the run)."""
    by_act: dict[str, float] = {}
    for acts in (metrics.get("elastic_work_hours") or {}).values():
        for act, hours in acts.items():
            by_act[act] = by_act.get(act, 0.0) + hours
    return [[_sentence(elastic_label(a)), _num(h)]
            for a, h in sorted(by_act.items(), key=lambda kv: -kv[1])]


def _capacity_section(metrics: dict) -> list[str]:
    """The section "Required and elastic work" of the report (empty without the figures)."""
    rows = _capacity_rows(metrics)
    if not rows:
        return []
    out = ["## Required and elastic work", "",
           "Required work is what the rules and the cases demand (mandated talks, desk work, "
           "booking, letters). Elastic work fills the rest of staff's time and gives it back "
           "first when required work grows; a scenario that needs less required work frees "
           "capacity, and elastic work takes it up.", "",
           _table(["Staff type", "Required work (hours)", "Elastic work (hours)",
                   "Idle (hours)", "Required work (FTE)", "Elastic work (FTE)"], rows), ""]
    elastic = _elastic_rows(metrics)
    if elastic:
        out += [_table(["Elastic work", "Hours"], elastic), ""]
    extra = metrics.get("extra_talks_held")
    backlog = metrics.get("backlog_hours_at_end")
    unmet = sum((metrics.get("unmet_work_minutes") or {}).values()) / 60.0
    facts = []
    if extra is not None:
        facts.append(f"Extra talks held beyond the legal minimum: {_num(extra, unit='talks')}.")
    if backlog is not None:
        facts.append("Backlog at the end (desk and background work still waiting): "
                     f"{_num(sum(backlog.values()), unit='hours')}.")
    facts.append(f"Unmet demand (work nobody could do): {_num(unmet, unit='hours')}.")
    out += [" ".join(facts), ""]
    return out


def _group_rows(summary: pd.DataFrame) -> list[list[str]]:
    """The by-group table, one row per benefit group in ``summary``."""
    rows = []
    for r in summary.to_dict("records"):
        rows.append([
            r["label"], _num(r["initial_stock"]),
            _num(r["inflow_new"] + r["inflow_reentry"] + r["transfers_in"]),
            _num(r["exits"] + r["transfers_out"]), _num(r["final_stock"]), _num(r["mean_stock"]),
            _num(r["talks_held"]), _pct(r["on_time_share"]).rstrip("%"),
            _num(r["mean_talk_minutes"], 1), _num(r["mean_completed_spell_days"]),
            _num(r["offers_started"]),
        ])
    return rows


def _pool_rows(result: RunResult, metrics: dict) -> list[list[str]]:
    """The staff-time table, one row per staff pool."""
    rows = []
    for name, p in (metrics.get("pools") or {}).items():
        rows.append([
            _sentence(_pool_label(result, name)), _sentence(_words(p["staff_type"])),
            _num(p["members"]), _num(p["available_hours"]), _num(p["worked_hours"]),
            _num(p["idle_hours"]), _pct(p["utilisation_of_bookable_time"]).rstrip("%"),
        ])
    return rows


def _cost_section(metrics: dict, top: int = 10) -> list[str]:
    """The cost table: the ``top`` largest lines and the total."""
    lines = metrics.get("cost_lines_dkk") or {}
    total = metrics.get("operating_cost_dkk")
    largest = sorted(lines.items(), key=lambda kv: kv[1], reverse=True)[:top]

    def share(x):
        return _pct(x / total).rstrip("%") if total else DASH

    rows = [[_cost_label(k), _num(v), share(v)] for k, v in largest]
    rows.append(["**Total operating cost**", f"**{_num(total)}**", f"**{share(total)}**"])
    out = [f"The {len(largest)} largest of {len(lines)} cost lines over the "
           f"{metrics.get('horizon_days'):,} simulated days.", "",
           _table(["Cost line", "Cost (DKK)", "Share of total (%)"], rows), ""]
    if len(lines) > len(largest):
        out += [f"The remaining {len(lines) - len(largest)} cost lines are in `metrics.json`.", ""]
    return out


def _settings_section(config: dict) -> list[str]:
    """The settings of the run that differ from the scenario file and ``conf/`` (overrides)."""
    settings = changed_settings(config)
    if settings is None:
        return []
    if not settings:
        return ["This run used the scenario file and the defaults in `conf/` unchanged.", ""]
    rows = [[f"`{s.path}`", "not set" if s.reference is MISSING else
             f"`{fmt_setting(s.reference)}` ({s.source})", f"`{fmt_setting(s.value)}`"]
            for s in settings]
    return ["**Settings changed for this run** (from the scenario file and the defaults in "
            "`conf/`):", "", _table(["Setting", "Scenario file or default", "This run"], rows,
                                    text_columns=3), ""]


def write_report(run_dir: Path, result: RunResult, metrics: dict, summary: pd.DataFrame,
                 description: dict) -> None:
    """Write ``report.md`` and its three plots (PNG) into ``run_dir``."""
    run_dir = Path(run_dir)
    description = description or {}
    plot_stock(result, run_dir / "stock_over_time.png")
    plot_utilisation(result, run_dir / "caseworker_utilisation.png")
    plot_on_time(summary, run_dir / "on_time_share.png")

    scenario = metrics.get("scenario") or result.cfg.scenario
    title = description.get("title") or scenario
    md = [
        f"# Jobcenter simulation: {title}", "",
        f"Jobcenter profile: {metrics.get('jobcenter')} · Rulebook era: {metrics.get('rules_era')}"
        f" · Seed: {metrics.get('seed')} · Simulated period: {_num(metrics.get('horizon_days'))}"
        f" days · Run time: {_num(metrics.get('wall_seconds'), 1)} seconds", "",
        "## Scenario", "",
    ]
    if description.get("source"):
        md += [f"**Source:** {description['source']}", ""]
    if description.get("mechanism"):
        md += [f"**Mechanism:** {description['mechanism']}", ""]
    config = dataclasses.asdict(result.cfg)
    reference = reference_for(config)
    if description.get("assumptions"):
        md += ["**Assumptions** (with the values this run used):", "",
               *(f"- {a}" for a in render_assumptions(description["assumptions"], config,
                                                      reference)), ""]
    if not any(description.get(k) for k in ("source", "mechanism", "assumptions")):
        md += [f"No description was given for scenario “{scenario}”.", ""]
    md += _settings_section(config)

    md += ["## Headline figures", "", _table(["Figure", "Value"], _headline_rows(metrics)), "",
           "Mandated talks that were never held, or still overdue at the end, count as late.", "",
           "## By benefit group", "",
           "Counts are persons or talks over the simulated period; stocks are persons.", "",
           _table(["Group", "Stock at start", "New spells", "Spells ended", "Stock at end",
                   "Mean stock", "Talks held", "On time (%)", "Mean talk (min)",
                   "Mean completed spell (days)", "Offers started"], _group_rows(summary)), "",
           "New spells count new arrivals, returns and transfers from another group; spells ended "
           "count exits and transfers to another group, so each row's stock at start plus new "
           "spells less spells ended gives the stock at end. Completed spells include time on "
           "benefit before the simulation started.", "",
           "## Staff time", "",
           _table(["Pool", "Staff type", "Staff (persons)", "Available hours", "Worked hours",
                   "Idle hours", "Utilisation of bookable time (%)"],
                  _pool_rows(result, metrics), text_columns=2), "",
           "Bookable time is available time less meetings, training, breaks and other time that "
           "cannot be booked for casework.", "",
           *_capacity_section(metrics),
           "## Cost", "", *_cost_section(metrics),
           "## Plots", "",
           "![Citizens on benefit by group](stock_over_time.png)", "",
           "The number of citizens on benefit in each group, counted once a week.", "",
           "![Caseworkers' weekly utilisation of bookable time](caseworker_utilisation.png)", "",
           "The share of each caseworker pool's bookable time spent working, week by week.", "",
           "![Mandated talks held on time by group](on_time_share.png)", "",
           "The share of mandated talks in each group held by their deadline.", "",
           "## Files", "",
           "- `metrics.json`: all headline figures, staff time and every cost line",
           "- `summary.csv`: the full per-group table, including exit destinations"]
    if result.cfg.event_log:
        md.append("- `events.parquet`: the event log, one row per activity")
    md += ["- `resolved_config.yaml`: the complete configuration of this run",
           "- `run_info.json`: provenance: code revision, package versions, command and seed", ""]
    atomic_write_text(run_dir / "report.md", "\n".join(md))
