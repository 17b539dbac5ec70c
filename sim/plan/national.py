"""A country's plan: each jobcenter planned on its own (``python -m sim.plan jobcenter=national``
with ``jobcenter.simulate_per_member=1``: one jobcenter per profile, weighted by its count), and
the head counts added up, weighted. Files: ``plan.csv`` (a row per jobcenter and pool, and the
country's rows), ``plan.md``, ``plan.html`` and ``plan_curves_<jobcenter>.png`` per jobcenter."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Sequence

from ..output import atomic_write, atomic_write_text
from .report import (CSV, HTML, MARKDOWN, RUNS, PlanOutcome, _markdown_table_html, _signed,
                     plot_curves, rows, runs_data, settings_lines, status_words)
from .targets import PlanSettings

Planned = tuple[str, str, float, PlanOutcome]
"""(side, jobcenter, weight, its plan)."""


def country_rows(planned: Sequence[Planned]) -> list[dict]:
    """Per side and pool: today's and the needed head count, weighted sums over the jobcenters."""
    out: dict[tuple[str, str], dict] = {}
    for side, _, weight, o in planned:
        plan = o.plan or {}
        for pool, now in o.today.items():
            row = out.setdefault((side, pool), {"scenario": side, "jobcenter": "country",
                                                "pool": pool, "today": 0.0, "needed": 0.0,
                                                "dkk_a_year_difference": 0.0})
            row["today"] += weight * now
            row["needed"] += weight * plan.get(pool, now)
            row["dkk_a_year_difference"] += weight * (plan.get(pool, now) - now) \
                * o.head_cost_dkk[pool]
    for row in out.values():
        row["difference"] = row["needed"] - row["today"]
    return list(out.values())


def national_lines(planned: Sequence[Planned]) -> list[str]:
    """The country's staffing table per side (Markdown), and the release a scenario makes."""
    lines = []
    sides = list(dict.fromkeys(side for side, _, _, _ in planned))
    totals = {}
    for side in sides:
        rs = [r for r in country_rows(planned) if r["scenario"] == side]
        lines += [f"### {side}: the country", "", "| pool | today | needed | difference |",
                  "| --- | ---: | ---: | ---: |"]
        for r in rs:
            lines.append(f"| {r['pool']} | {r['today']:,.0f} | {r['needed']:,.0f} | "
                         f"{r['difference']:+,.0f} |")
        fte = sum(r["difference"] for r in rs)
        dkk = sum(r["dkk_a_year_difference"] for r in rs)
        totals[side] = (sum(r["needed"] for r in rs), fte, dkk)
        lines += [f"| **total** | {sum(r['today'] for r in rs):,.0f} | "
                  f"{totals[side][0]:,.0f} | **{fte:+,.0f}** |", "",
                  f"The country needs {fte:+,.0f} FTE against today's staffing, "
                  f"{dkk / 1e6:+,.1f} million DKK a year.", ""]
    if len(sides) == 2:
        (_, b_fte, b_dkk), (_, s_fte, s_dkk) = totals[sides[0]], totals[sides[1]]
        lines += [f"At the same targets, {sides[1]} could release {b_fte - s_fte:+,.0f} FTE "
                  f"({(b_dkk - s_dkk) / 1e6:+,.1f} million DKK a year) across the country.", ""]
    return lines


def member_lines(planned: Sequence[Planned], settings: PlanSettings) -> list[str]:
    lines = []
    for side, member, weight, o in planned:
        lines += [f"### {side}, {member} (weight {weight:g})", "",
                  status_words(o, settings) + ".", "",
                  "| pool | today | needed | difference |", "| --- | ---: | ---: | ---: |"]
        plan = o.plan or {}
        for pool, now in o.today.items():
            lines.append(f"| {pool} | {now} | {plan.get(pool, '–')} | "
                         f"{_signed(plan[pool] - now) if pool in plan else '–'} |")
        lines.append("")
    return lines


def _tag(member: str, side: str) -> str:
    return f"{side}_{member}".replace(" ", "_")


def write_national_plan(folder: Path, planned: Sequence[Planned], settings: PlanSettings,
                        country: str, command: str) -> list[Path]:
    """Write the country's plan into ``folder`` (each file atomically); returns the files."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    table = [dict(r, jobcenter=member, weight=weight)
             for _, member, weight, o in planned for r in rows(o)]
    table += [dict(r, weight=1.0) for r in country_rows(planned)]
    frame = pd.DataFrame(table)
    atomic_write(folder / CSV, lambda tmp: frame.to_csv(tmp, index=False))
    charts = []
    for side, member, _, o in planned:
        name = f"plan_curves_{_tag(member, side)}.png"
        if plot_curves([o], settings, folder / name):
            charts.append(folder / name)
    text = "\n".join([f"# Staffing plan: {country}", "",
                      "Each jobcenter is planned on its own and the head counts are added up, "
                      "weighted by the jobcenters each one stands for (docs/plan.md).", "",
                      "## Targets", "", *settings_lines(settings), "", f"`{command}`", "",
                      "## The country", "", *national_lines(planned),
                      "## Each jobcenter", "", *member_lines(planned, settings)])
    atomic_write_text(folder / MARKDOWN, text)
    body = [f"<h1>{html.escape('Staffing plan: ' + country)}</h1>",
            f"<p><code>{html.escape(command)}</code></p>"]
    block: list[str] = []
    for line in [*national_lines(planned), *member_lines(planned, settings), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            body.append(_markdown_table_html(block))
            block = []
        if line.startswith("### "):
            body.append(f"<h2>{html.escape(line[4:])}</h2>")
        elif line:
            body.append(f"<p>{html.escape(line)}</p>")
    atomic_write_text(folder / HTML, "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                      f"<title>{html.escape('Staffing plan: ' + country)}</title></head><body>"
                      + "".join(body) + "</body></html>")
    atomic_write_text(folder / RUNS, json.dumps(runs_data([o for *_, o in planned]), indent=1,
                                                default=str))
    return [folder / n for n in (CSV, MARKDOWN, HTML, RUNS)] + charts
