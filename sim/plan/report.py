"""A staffing plan's files: ``plan.csv`` (one row per pool), ``plan.md`` and ``plan.html`` (the
staffing table, the totals in FTE and DKK a year, how the search went) and ``plan_curves.png``
(each pool's service against its head count over the staffings the search simulated, with the
target marked)."""
from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..output import atomic_write, atomic_write_text
from .evaluate import Run, staff_type
from .search import SearchResult
from .targets import PlanSettings

CSV = "plan.csv"
MARKDOWN = "plan.md"
HTML = "plan.html"
CURVES = "plan_curves.png"
RUNS = "plan_runs.json"


@dataclass
class PlanOutcome:
    """One side's plan (the baseline, or a scenario): the search, its runs, the cost of a head."""

    scenario: str
    title: str
    result: SearchResult
    runs: list[Run]
    fixed: dict[str, int]                      # pools kept at today's head count
    head_cost_dkk: dict[str, float]            # DKK a year per head, by pool
    seconds: float
    planned: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)   # the pools in the jobcenter's order

    def run_at(self, staffing: dict[str, int] | None) -> Run | None:
        if staffing is None:
            return None
        full = {**self.fixed, **staffing}
        for run in reversed(self.runs):
            if run.staffing == full:
                return run
        return None

    def _ordered(self, heads: dict[str, int]) -> dict[str, int]:
        return {p: heads[p] for p in (self.order or heads) if p in heads}

    @property
    def plan(self) -> dict[str, int] | None:
        return (None if self.result.plan is None
                else self._ordered({**self.fixed, **self.result.plan}))

    @property
    def today(self) -> dict[str, int]:
        return self._ordered({**self.fixed, **self.result.today})

    def fte_difference(self) -> float | None:
        plan = self.plan
        return None if plan is None else float(sum(plan[p] - self.today[p] for p in plan))

    def dkk_difference(self) -> float | None:
        plan = self.plan
        return None if plan is None else sum((plan[p] - self.today[p]) * self.head_cost_dkk[p]
                                             for p in plan)


def rows(outcome: PlanOutcome) -> list[dict]:
    """The staffing table's rows: one per pool."""
    at_plan = outcome.run_at(outcome.result.plan)
    at_today = outcome.runs[0] if outcome.runs else None
    out = []
    plan = outcome.plan or {}
    for pool, now in outcome.today.items():
        fig = at_plan.pools.get(pool) if at_plan else None
        fig_today = at_today.pools.get(pool) if at_today else None
        lowest = None
        if fig and fig.on_time:
            g, f = min(fig.on_time.items(), key=lambda kv: (kv[1].bound is None,
                                                            kv[1].bound if kv[1].bound is not None
                                                            else 0.0))
            lowest = (g, f)
        needed = plan.get(pool)
        out.append({
            "scenario": outcome.scenario,
            "pool": pool,
            "staff_type": staff_type(pool),
            "planned": pool in outcome.planned,
            "today": now,
            "needed": needed,
            "difference": None if needed is None else needed - now,
            "dkk_a_year_difference": (None if needed is None
                                      else (needed - now) * outcome.head_cost_dkk[pool]),
            "utilisation_today": fig_today.utilisation if fig_today else None,
            "utilisation_at_plan": fig.utilisation if fig else None,
            "on_time_today": fig_today.pool_on_time if fig_today else None,
            "on_time_at_plan": fig.pool_on_time if fig else None,
            "lowest_group": lowest[0] if lowest else None,
            "lowest_group_on_time_lower_bound": lowest[1].bound if lowest else None,
            "desk_wait_days_today": (fig_today.desk_wait.mean if fig_today and fig_today.desk_wait
                                     else None),
            "desk_wait_days_at_plan": fig.desk_wait.mean if fig and fig.desk_wait else None,
            "desk_wait_days_upper_bound": fig.desk_wait.bound if fig and fig.desk_wait else None,
            "elastic_hours_a_year_today": fig_today.elastic_hours_a_year if fig_today else None,
            "elastic_hours_a_year_at_plan": fig.elastic_hours_a_year if fig else None,
        })
    return out


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _days(x) -> str:
    return "–" if x is None else f"{x:.1f}"


def _hours(x) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _signed(x, digits: int = 0) -> str:
    return "–" if x is None else f"{x:+,.{digits}f}"


def status_words(outcome: PlanOutcome, settings: PlanSettings) -> str:
    r = outcome.result
    if r.status == "planned":
        return (f"planned in {r.runs} runs of {settings.replications} replications "
                f"({outcome.seconds:.0f} s); the plan meets every target and each pool with one "
                "head fewer misses its own")
    if r.status == "budget":
        if r.plan is None:
            return (f"stopped by the search budget (plan.max_runs = {settings.max_runs}) before "
                    "any staffing met every target: no plan; raise plan.max_runs")
        return (f"stopped by the search budget (plan.max_runs = {settings.max_runs}): the least "
                "costly staffing found that meets every target is shown; it may not be the least")
    return "the targets cannot be met by staffing"


def table_lines(outcome: PlanOutcome) -> list[str]:
    head = ("| pool | today | needed | difference | required work / bookable time at plan | "
            "on time at plan | lowest group (lower bound) | desk wait at plan, days (upper bound)"
            " | elastic work, hours a year: today → at plan |")
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in rows(outcome):
        lowest = ("–" if r["lowest_group"] is None
                  else f"{r['lowest_group']} {_pct(r['lowest_group_on_time_lower_bound'])}")
        wait = (f"{_days(r['desk_wait_days_at_plan'])} ({_days(r['desk_wait_days_upper_bound'])})"
                if r["desk_wait_days_at_plan"] is not None else "–")
        name = r["pool"] + ("" if r["planned"] else " (kept)")
        elastic = (f"{_hours(r['elastic_hours_a_year_today'])} → "
                   f"{_hours(r['elastic_hours_a_year_at_plan'])}")
        lines.append(f"| {name} | {r['today']} | {r['needed'] if r['needed'] is not None else '–'}"
                     f" | {_signed(r['difference'])} | {_pct(r['utilisation_at_plan'])} | "
                     f"{_pct(r['on_time_at_plan'])} | {lowest} | {wait} | {elastic} |")
    fte = outcome.fte_difference()
    if fte is not None:
        lines.append(f"| **total** | {sum(outcome.today.values())} | "
                     f"{sum(outcome.plan.values())} | **{_signed(fte)}** | | | | | |")
    return lines


def totals_sentence(outcome: PlanOutcome) -> str:
    fte, dkk = outcome.fte_difference(), outcome.dkk_difference()
    if fte is None:
        return "No plan was found."
    return (f"The plan needs {_signed(fte)} FTE against today's staffing, "
            f"{_signed(dkk / 1e6, 2)} million DKK a year (wages and other running costs per FTE, "
            "QB14). The targets concern mandated work; elastic work (extra talks beyond the "
            "legal minimum, more employer contact) fills the time mandated work leaves, so a "
            "pool planned below today's head count gives up that work first (last column).")


def settings_lines(settings: PlanSettings) -> list[str]:
    groups = ", ".join(f"{g} {v:.0%}" for g, v in settings.on_time_by_group.items())
    pools = ", ".join(f"{p} {v:g} days" for p, v in settings.desk_wait_days_by_pool.items())
    return [
        f"- Mandated talks on time: at least {settings.on_time:.0%} in every group"
        + (f" (by group: {groups})" if groups else "") + ", judged on the lower bound of the "
        f"{settings.level:.0%} confidence interval over {settings.replications} replications "
        "(common random numbers).",
        f"- Desk work waits at most {settings.desk_wait_days:g} days on average in every planned "
        "pool" + (f" (by pool: {pools})" if pools else "") + ", judged on the upper bound; the "
        "wait is the larger of the desk tasks' mean wait and the days of work still waiting at "
        "the end at the pool's own pace.",
    ]


def build_markdown(outcomes: Sequence[PlanOutcome], settings: PlanSettings, jobcenter: str,
                   command: str) -> str:
    lines = [f"# Staffing plan: {jobcenter}", "",
             "The least head count per staff pool that meets the law's deadlines and keeps desk "
             "work moving, found by simulation (docs/plan.md).", "", "## Targets", "",
             *settings_lines(settings), "", f"`{command}`", ""]
    for o in outcomes:
        lines += [f"## {o.title}", "", status_words(o, settings) + ".", "", *table_lines(o), "",
                  totals_sentence(o), ""]
    if len(outcomes) == 2 and all(o.plan for o in outcomes):
        base, scen = outcomes
        released = base.fte_difference() - scen.fte_difference()
        dkk = base.dkk_difference() - scen.dkk_difference()
        lines += ["## The scenario beside the baseline", "",
                  f"At the same targets, {scen.title} needs {sum(scen.plan.values())} staff and "
                  f"the baseline {sum(base.plan.values())}: the scenario could release "
                  f"{released:+.0f} FTE ({dkk / 1e6:+.2f} million DKK a year) at the same "
                  "service.", "",
                  "| pool | baseline needs | scenario needs | released |",
                  "| --- | ---: | ---: | ---: |"]
        for p in base.plan:
            if p in scen.plan:
                lines.append(f"| {p} | {base.plan[p]} | {scen.plan[p]} | "
                             f"{base.plan[p] - scen.plan[p]:+d} |")
        lines.append("")
    lines += [f"![Service against staff]({CURVES})", "",
              "Each point of the curves is one staffing the search simulated (the other pools "
              "at that run's head counts), the line the mean at each head count; dashed: the "
              "targets, dotted: the plan.", ""]
    return "\n".join(lines)


ZOOM = 1.6
"""The curves show head counts up to this many times the larger of today's and the plan's (the
search's "enough staff" run, far to the right, would squeeze the rest)."""


def _points(runs: Sequence[Run], pool: str, which: str) -> list[tuple[int, float]]:
    """(heads, value) of pool ``pool`` over ``runs``: ``on_time``, the lowest group's lower
    bound (a share), or ``desk_wait``, the upper bound (days)."""
    pts = []
    for run in runs:
        f = run.pools.get(pool)
        if f is None:
            continue
        if which == "on_time":
            bounds = [x.bound for x in f.on_time.values() if x.bound is not None]
            if bounds:
                pts.append((f.heads, 100 * min(bounds)))
        elif f.desk_wait is not None and f.desk_wait.bound is not None:
            pts.append((f.heads, f.desk_wait.bound))
    return pts


def _curve(ax, pts, color: str, label: str, marker: str) -> None:
    """The points, and a line through the mean at each head count."""
    if not pts:
        return
    xs, ys = zip(*pts)
    ax.scatter(xs, ys, s=14, color=color, marker=marker, alpha=0.6)
    by = {}
    for x, y in pts:
        by.setdefault(x, []).append(y)
    line = sorted((x, sum(v) / len(v)) for x, v in by.items())
    ax.plot([x for x, _ in line], [y for _, y in line], color=color, linewidth=1, label=label)


def plot_curves(outcomes: Sequence[PlanOutcome], settings: PlanSettings, path: Path) -> bool:
    """One panel per planned pool, service against head count over the runs of the search: the
    on-time share of the pool's lowest group (lower bound, left axis; caseworker pools) and the
    desk wait (upper bound, right axis), each with its target dashed and the plan dotted;
    False when there is nothing to draw."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pools = list(outcomes[0].planned)
    if not pools:
        return False
    cols = min(3, len(pools))
    nrows = (len(pools) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.3 * nrows), squeeze=False)
    markers = ("o", "s")
    for ax, pool in zip(axes.flat, pools):
        right = max(max(o.today.get(pool, 0), (o.plan or {}).get(pool, 0)) for o in outcomes)
        limit = ZOOM * right
        talks = any(_points(o.runs, pool, "on_time") for o in outcomes)
        wait_ax = ax.twinx() if talks else ax
        for k, o in enumerate(outcomes):
            runs = [r for r in o.runs if r.staffing.get(pool, 0) <= limit]
            tag = "" if len(outcomes) == 1 else f" ({o.scenario})"
            if talks:
                _curve(ax, _points(runs, pool, "on_time"), "tab:blue", "on time" + tag,
                       markers[k])
            _curve(wait_ax, _points(runs, pool, "desk_wait"), "tab:orange", "desk wait" + tag,
                   markers[k])
            if o.plan and pool in o.plan:
                ax.axvline(o.plan[pool], color="grey", linewidth=0.9, linestyle=":")
        if talks:
            groups = outcomes[0].runs[0].pools[pool].on_time if outcomes[0].runs else {}
            target = max((settings.on_time_target(g) for g in groups), default=settings.on_time)
            ax.axhline(100 * target, color="tab:blue", linestyle="--", linewidth=0.9)
            ax.set_ylabel("lowest group on time, lower bound (%)", fontsize=8, color="tab:blue")
        wait_ax.axhline(settings.desk_wait_target(pool), color="tab:orange", linestyle="--",
                        linewidth=0.9)
        wait_ax.set_ylabel("desk wait, upper bound (days)", fontsize=8, color="tab:orange")
        ax.set_xlabel("head count", fontsize=8)
        ax.set_title(pool, fontsize=10)
        handles = [h for a in {ax, wait_ax} for h in a.get_legend_handles_labels()[0]]
        ax.legend(handles=handles, fontsize=7, loc="center right")
    for ax in list(axes.flat)[len(pools):]:
        ax.axis("off")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)
    return True


def _markdown_table_html(lines: list[str]) -> str:
    cells = [[c.strip().replace("**", "") for c in ln.strip("|").split("|")] for ln in lines]
    head, body = cells[0], cells[2:]
    th = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                  for row in body)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def build_html(outcomes: Sequence[PlanOutcome], settings: PlanSettings, jobcenter: str,
               command: str, curves: Path | None) -> str:
    title = html.escape(f"Staffing plan: {jobcenter}")
    parts = [f"<h1>{title}</h1>", "<h2>Targets</h2><ul>"]
    parts += [f"<li>{html.escape(s[2:])}</li>" for s in settings_lines(settings)]
    parts.append(f"</ul><p><code>{html.escape(command)}</code></p>")
    for o in outcomes:
        parts += [f"<h2>{html.escape(o.title)}</h2>",
                  f"<p>{html.escape(status_words(o, settings))}.</p>",
                  _markdown_table_html(table_lines(o)),
                  f"<p>{html.escape(totals_sentence(o))}</p>"]
    if curves is not None and curves.is_file():
        data = base64.b64encode(curves.read_bytes()).decode()
        parts.append(f"<figure><img alt='Service against staff' src='data:image/png;base64,"
                     f"{data}'><figcaption>Each point is one staffing the search simulated; "
                     f"dashed: the target ({CURVES})</figcaption></figure>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:64em;"
            "margin:2em auto}table{border-collapse:collapse;font-size:85%}td,th{padding:2px 6px;"
            "border-bottom:1px solid #ccc;text-align:right}img{max-width:100%}</style></head>"
            f"<body>{''.join(parts)}</body></html>")


def runs_data(outcomes: Sequence[PlanOutcome]) -> list[dict]:
    """Every simulated staffing with its figures (``plan_runs.json``)."""
    out = []
    for o in outcomes:
        for i, (run, probe) in enumerate(zip(o.runs, o.result.probes), 1):
            out.append({
                "scenario": o.scenario, "run": i, "stage": probe.stage,
                "staffing": run.staffing, "verdicts": probe.verdicts,
                "simulated": run.simulated, "reused": run.reused,
                "seconds": round(run.seconds, 2),
                "pools": {p: {"heads": f.heads, "met": f.met,
                              "on_time": {g: {"mean": x.mean, "lower_bound": x.bound,
                                              "target": x.target} for g, x in f.on_time.items()},
                              "pool_on_time": f.pool_on_time, "utilisation": f.utilisation,
                              "desk_wait": (None if f.desk_wait is None else
                                            {"mean": f.desk_wait.mean,
                                             "upper_bound": f.desk_wait.bound,
                                             "target": f.desk_wait.target})}
                          for p, f in run.pools.items()},
            })
    return out


def write_plan(folder: Path, outcomes: Sequence[PlanOutcome], settings: PlanSettings,
               jobcenter: str, command: str) -> list[Path]:
    """Write the plan's files into ``folder`` (each atomically); returns them."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([r for o in outcomes for r in rows(o)])
    atomic_write(folder / CSV, lambda tmp: frame.to_csv(tmp, index=False))
    curves = folder / CURVES
    drew = plot_curves(outcomes, settings, curves)
    atomic_write_text(folder / MARKDOWN, build_markdown(outcomes, settings, jobcenter, command))
    atomic_write_text(folder / HTML, build_html(outcomes, settings, jobcenter, command,
                                                curves if drew else None))
    atomic_write_text(folder / RUNS, json.dumps(runs_data(outcomes), indent=1, default=str))
    return [folder / n for n in (CSV, MARKDOWN, HTML, RUNS)] + ([curves] if drew else [])
