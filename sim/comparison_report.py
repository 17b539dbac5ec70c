"""The comparison report policy staff read: ``report.md`` and a self-contained ``report.html``.

One or more scenarios against the baseline: a headline table with paired 95% confidence
intervals, the cost waterfall by cost line, distributions of spell lengths, caseworker
utilisation over time, the on-time share by group, each scenario's description and assumptions,
and a model description in the style of STRESS-DES (Monks et al. 2019). The report is built from
a list of blocks (headings, paragraphs, tables, images) rendered twice: as Markdown with the PNGs
beside it, and as one HTML file with the PNGs inline (base64), inline CSS, no scripts and nothing
fetched from a network.
"""
from __future__ import annotations

import base64
import html
import math
import re
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, StrMethodFormatter  # noqa: E402

from .config import GROUPS  # noqa: E402
from .figures import (TAKE_UP, capacity_freed, cost_line_differences,  # noqa: E402
                      figures_for, hours_per_fte, key_figures, mean_ci, pool_label, values,
                      where_capacity_went)
from .output import atomic_write, atomic_write_text  # noqa: E402
from .warmup import DEFAULT_WARMUP_DAYS  # noqa: E402
from .report import DASH, _cost_label, _dkk  # noqa: E402
from .settings_diff import (MISSING, changed_settings, fmt_setting,  # noqa: E402
                            reference_for, render_assumptions)

DPI = 100
MINUS = "\u2212"
BASE_COLOUR = "0.35"
TOTAL_COLOUR = "0.15"
"""The scenario's total in the cost waterfall (darker than the baseline's, and no role's)."""
HEADLINE = ("required_work_fte", "required_work_dkk", "elastic_work_fte",
            "staff_time_used_fte", "staff_time_used_dkk", "operating_cost", "benefit_dkk",
            "talks_held",
            "extra_talks_held", "on_time_share", "spell_days", "days_to_first_offer",
            "rehab_wait_days")
"""Figures in the headline table (the caseworker pools' utilisation is added after them).
With required work in the records, staff time used in DKK leaves it: required work carries the
money value. Capacity comes before operating cost, which staff time freed does not move; benefit
payments to citizens follow operating cost as a line of their own."""

PROFILE_WORDS = {"small": "a small jobcenter", "medium": "a mid-size jobcenter",
                 "large": "a large jobcenter", "copenhagen": "Copenhagen's jobcenter",
                 "national": "Denmark's 94 jobcenters",
                 "national_sample": "Denmark's 94 jobcenters"}
"""Jobcenter profiles (``conf/jobcenter/``) in words, for the bottom line."""

CASEWORKER_SHARE = 0.9
"""Capacity freed is called "caseworker time" when caseworkers' required work carries at least
this share of it; otherwise "staff time"."""

KEY_NAMES = {"operating_cost": "operating cost", "required_work_fte": "required work",
             "staff_time_used_fte": "staff time used", "talks_held": "talks held",
             "on_time_share": "on-time share"}
"""The key figures of the stopping rule, in a few words."""

HARDLY_MOVES = 0.25
"""Staff time used "hardly moves" when its change is at most this share of the capacity freed."""


# --------------------------------------------------------------------------- numbers as text
def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def signed(x: float, digits: int) -> str:
    """``x`` with a sign (+ or a true minus) unless it rounds to zero."""
    text = f"{abs(x):,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return text
    return ("+" if x > 0 else MINUS) + text


def _digits(kind: str, *xs) -> int:
    """Decimals for differences: enough to show the smallest non-zero magnitude given."""
    base = {"share": 2, "fte": 2, "days": 1, "count": 0, "hours": 0, "dkk": 0}[kind]
    mags = [abs(x) for x in xs if not _missing(x) and x != 0]
    if not mags or kind == "dkk":
        return base
    scale = 100.0 if kind == "share" else 1.0
    smallest = min(mags) * scale
    start = base
    while base < start + 1 and smallest * 10 ** base < 1:
        base += 1
    return base


def fmt_value(kind: str, unit: str, x) -> str:
    """A level with its unit: "DKK 59.5 million", "54.0 FTE", "33,840 talks", "78.1%"."""
    if _missing(x):
        return DASH
    if kind == "dkk":
        return _dkk(x)
    if kind == "share":
        return f"{100 * x:.1f}%"
    if kind == "fte":
        return f"{x:,.1f} FTE"
    if kind == "days":
        return f"{x:,.1f} days"
    if kind == "hours":
        return f"{x:,.0f} hours"
    return f"{x:,.0f} {unit}"


def _dkk_signed(xs: Sequence[float]) -> tuple[list[str], str]:
    """Signed DKK amounts in one scale (million from a million up) and the scale's suffix."""
    big = max((abs(x) for x in xs if not _missing(x)), default=0.0) >= 1e6
    if big:
        return [signed(x / 1e6, 2) for x in xs], " million"
    return [signed(round(x, -2), 0) for x in xs], ""


def fmt_diff(kind: str, unit: str, x, digits: int | None = None) -> str:
    """A difference with sign and unit: "+0.46 percentage points", "−440 talks"."""
    if _missing(x):
        return DASH
    d = _digits(kind, x) if digits is None else digits
    if kind == "dkk":
        (text,), suffix = _dkk_signed([x])
        return f"DKK {text}{suffix}"
    if kind == "share":
        return f"{signed(100 * x, d)} percentage points"
    if kind == "fte":
        return f"{signed(x, d)} FTE"
    if kind == "days":
        return f"{signed(x, d)} days"
    return f"{signed(x, d)} {unit}"


def fmt_ci(kind: str, unit: str, lo, hi, digits: int | None = None) -> str:
    """A confidence interval in the difference's unit: "−470 to −410 talks"."""
    if _missing(lo) or _missing(hi):
        return DASH
    d = _digits(kind, lo, hi) if digits is None else digits
    if kind == "dkk":
        (a, b), suffix = _dkk_signed([lo, hi])
        return f"DKK {a} to {b}{suffix}"
    if kind == "share":
        return f"{signed(100 * lo, d)} to {signed(100 * hi, d)} percentage points"
    u = {"fte": "FTE", "days": "days", "hours": "hours"}.get(kind, unit)
    return f"{signed(lo, d)} to {signed(hi, d)} {u}"


def verdict(row) -> str:
    """Is the difference clear? Yes / No / No change / – (one replication)."""
    hw, diff = row.get("half_width"), row.get("difference")
    if _missing(hw):
        return DASH
    if hw == 0 and diff == 0:
        return "No change"
    return "Yes" if row.get("clear_difference") else "No"


# --------------------------------------------------------------------------- blocks
class Doc:
    """Headings, paragraphs, lists, tables and images, rendered to Markdown and HTML."""

    def __init__(self):
        self.blocks: list[tuple] = []

    def h(self, level: int, text: str):
        self.blocks.append(("h", level, text))

    def p(self, text: str):
        self.blocks.append(("p", text))

    def lead(self, text: str):
        """The report's opening sentences: bold-faced in Markdown, set larger in HTML."""
        self.blocks.append(("lead", text))

    def ul(self, items: Sequence[str]):
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1):
        self.blocks.append(("table", list(header), [list(r) for r in rows], text_columns))

    def img(self, name: str, alt: str, caption: str):
        self.blocks.append(("img", name, alt, caption))

    # ----------------------------------------------------------------- Markdown
    def markdown(self) -> str:
        out = []
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out += ["#" * b[1] + " " + b[2], ""]
            elif kind == "p":
                out += [b[1], ""]
            elif kind == "lead":
                out += [f"**Bottom line.** {b[1]}", ""]
            elif kind == "ul":
                out += [f"- {i}" for i in b[1]] + [""]
            elif kind == "table":
                _, header, rows, tc = b

                def line(cells):
                    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", "<br>")
                                             for c in cells) + " |"

                align = ["---"] * tc + ["---:"] * (len(header) - tc)
                out += [line(header), line(align), *(line(r) for r in rows), ""]
            elif kind == "img":
                out += [f"![{b[2]}]({b[1]})", "", f"*{b[3]}*", ""]
        return "\n".join(out)

    # ----------------------------------------------------------------- HTML
    @staticmethod
    def _inline(text: str) -> str:
        t = html.escape(text, quote=False)
        t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
        t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
        t = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", t)
        return t.replace("\n", "<br>")

    def html(self, title: str, image_dir: Path) -> str:
        body = []
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                body.append(f"<h{b[1]}>{self._inline(b[2])}</h{b[1]}>")
            elif kind == "p":
                body.append(f"<p>{self._inline(b[1])}</p>")
            elif kind == "lead":
                body.append(f'<p class="lead"><strong>Bottom line.</strong> '
                            f"{self._inline(b[1])}</p>")
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{self._inline(i)}</li>" for i in b[1])
                            + "</ul>")
            elif kind == "table":
                _, header, rows, tc = b
                cls = lambda j: "t" if j < tc else "n"  # noqa: E731
                head = "".join(f'<th class="{cls(j)}">{self._inline(c)}</th>'
                               for j, c in enumerate(header))
                trs = "".join("<tr>" + "".join(f'<td class="{cls(j)}">{self._inline(str(c))}</td>'
                                               for j, c in enumerate(r)) + "</tr>" for r in rows)
                body.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
                            f"<tbody>{trs}</tbody></table></div>")
            elif kind == "img":
                data = base64.b64encode((image_dir / b[1]).read_bytes()).decode("ascii")
                body.append(f'<figure><img src="data:image/png;base64,{data}" '
                            f'alt="{html.escape(b[2])}"><figcaption>{self._inline(b[3])}'
                            "</figcaption></figure>")
        return HTML_PAGE.format(title=html.escape(title), css=CSS, body="\n".join(body))


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 1060px; margin: 2em auto; padding: 0 1.2em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .92em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .3em .6em; vertical-align: top; }
th { background: #f4f5f7; text-align: left; }
td.n { text-align: right; white-space: nowrap; }
th.n { text-align: right; }
td.t { text-align: left; }
tbody tr:hover { background: #fafbfc; }
.scroll { overflow-x: auto; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .9em; color: #555; margin-top: .3em; }
code { background: #f4f5f7; padding: 0 .25em; border-radius: 3px; }
p.lead { font-size: 1.15em; background: #f4f8f4; border-left: 4px solid #2e7d32;
         padding: .6em .9em; margin: .8em 0 1em; }
"""

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
</body>
</html>
"""


# --------------------------------------------------------------------------- plots
def _save(fig, path: Path) -> None:
    try:
        atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=DPI))
    finally:
        plt.close(fig)


def _short(title: str, n: int = 38) -> str:
    return title if len(title) <= n else title[:n - 1].rstrip() + "…"


def _scen_colour(i: int) -> str:
    return f"C{i % 10}"


def plot_effects(runs, tables, path: Path) -> bool:
    """Forest plot: each headline difference with its 95% CI (relative % and percentage points)."""
    rel_ids = ["required_work_fte", "staff_time_used_fte", "talks_held", "spell_days",
               "days_to_first_offer", "rehab_wait_days", "operating_cost"]
    pp_ids = ["on_time_share"] + [f for f in tables[0]["figure"] if f.startswith("utilisation/")]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
    any_bar = False
    k = len(runs)
    for ax, ids, scale, xlabel in (
            (ax1, rel_ids, "relative", "Change from the baseline (% of the baseline value)"),
            (ax2, pp_ids, "points", "Change from the baseline (percentage points)")):
        labels = []
        for j, fid in enumerate(ids):
            rows = [t[t["figure"] == fid] for t in tables]
            if not len(rows[0]):
                continue
            labels.append((j, rows[0].iloc[0]["label"]))
            for i, (r, t) in enumerate(zip(runs, rows)):
                if not len(t):
                    continue
                row = t.iloc[0]
                base, diff, lo, hi = (row["baseline_mean"], row["difference"], row["ci_low"],
                                      row["ci_high"])
                if _missing(diff):
                    continue
                if scale == "relative":
                    if _missing(base) or base == 0:
                        continue
                    f = 100.0 / abs(base)
                else:
                    f = 100.0
                y = j + (i - (k - 1) / 2) * 0.8 / max(k, 1)
                xerr = None if _missing(lo) else [[(diff - lo) * f], [(hi - diff) * f]]
                ax.errorbar(diff * f, y, xerr=xerr, fmt="o", color=_scen_colour(i), capsize=3,
                            label=_legend(r.title))
                any_bar = True
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_yticks([j for j, _ in labels])
        ax.set_yticklabels([_wrap(lbl, 30) for _, lbl in labels], fontsize="small")
        ax.invert_yaxis()
        ax.set_xlabel(xlabel, fontsize="small")
        ax.grid(axis="x", alpha=0.3)
    handles, names = ax1.get_legend_handles_labels()
    uniq = dict(zip(names, handles))
    if uniq and k > 1:
        fig.legend(uniq.values(), uniq.keys(), loc="outside lower center", ncol=min(k, 3),
                   fontsize="small", frameon=False)
    fig.suptitle("What the scenario changes: mean difference and 95% confidence interval",
                 fontsize="medium")
    _save(fig, path)
    return any_bar


def _wrap(text: str, width: int) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "\n".join(lines)


ROLES = {
    "freed": ("Capacity freed: required work no longer needed", "tab:green", "capacity freed"),
    "more_required": ("More required work", "tab:orange", "more required work"),
    "elastic_up": ("Taken up by elastic work", "tab:blue", "taken up by elastic work"),
    "elastic_down": ("Elastic work given back", "#9ecae1", "elastic work given back"),
    "idle_up": ("Left idle (unused capacity)", "0.6", "left idle"),
    "idle_down": ("Idle time put to work", "0.8", "idle time put to work"),
    "cost_up": ("Adds to what the jobcenter pays", "tab:red", "added cost"),
    "cost_down": ("Lowers what the jobcenter pays", "tab:purple", "lowered cost"),
}
"""The waterfall's legend entries, colours and short names, by what a change of a cost line
means. Staff are paid whether busy
or not, so the first six move money between the lines of staff time and cancel out in the
total; only the last two change what the jobcenter pays."""

MONEY_KINDS = ("management", "staff_functions", "other", "purchases")
"""Cost lines that are not staff time of the scheduled staff types."""


def _elastic_lines(records) -> set[str]:
    """``staff_type/activity`` of every elastic activity in ``records``."""
    return {f"{st}/{act}" for r in records
            for st, acts in (r["headline"].get("elastic_work_hours") or {}).items()
            for act in acts}


def line_role(line: str, difference: float, elastic: set[str],
              same_staff: set[str] | None = None) -> str:
    """What a cost line's change means (a key of :data:`ROLES`): staff time moving between
    required work, elastic work and idle time, or money the jobcenter pays. Non-bookable staff
    time (meetings, breaks, general administration) of a staff type in ``same_staff`` (as many
    heads on both sides) is time moving too: fewer breaks free it; otherwise it changes with
    staffing and counts as money."""
    from .results import NON_BOOKABLE_LINE

    kind, _, item = line.partition("/")
    up = difference > 0
    if item in NON_BOOKABLE_LINE and kind in (same_staff or set()):
        return "more_required" if up else "freed"
    if kind in MONEY_KINDS or item in NON_BOOKABLE_LINE:
        return "cost_up" if up else "cost_down"
    if item == "unused_capacity":
        return "idle_up" if up else "idle_down"
    if line in elastic:
        return "elastic_up" if up else "elastic_down"
    return "more_required" if up else "freed"


def _same_staff(scenario, baseline) -> set[str]:
    """The staff types with as many heads in every replication of both sides."""
    heads = [r["headline"].get("staff_heads") for r in [*scenario, *baseline]]
    if not heads or any(h is None for h in heads):
        return set()
    return {st for st in heads[0] if all(h.get(st) == heads[0][st] for h in heads)}


def waterfall_steps(run, top: int = 8) -> pd.DataFrame:
    """The waterfall's steps: the ``top`` largest changes of single cost lines, then the rest
    added up by role (:func:`line_role`), DKK per year. Columns ``line`` (words), ``role`` and
    ``difference``; the differences add up to the change in operating cost."""
    lines = cost_line_differences(run.scenario, run.baseline)
    elastic = _elastic_lines([*run.scenario, *run.baseline])
    lines = lines[lines["difference"].abs() > 0.5].copy()
    same = _same_staff(run.scenario, run.baseline)
    lines["role"] = [line_role(k, d, elastic, same)
                     for k, d in zip(lines["line"], lines["difference"])]
    lines["abs"] = lines["difference"].abs()
    lines = lines.sort_values("abs", ascending=False)
    steps = [(_cost_label(r["line"]), r["role"], float(r["difference"]))
             for _, r in lines.head(top).iterrows()]
    rest = lines.iloc[top:]
    for role in ROLES:
        part = rest[rest["role"] == role]
        if len(part):
            n = len(part)
            steps.append((f"{n} other line{'s' if n != 1 else ''}: {ROLES[role][2]}", role,
                          float(part["difference"].sum())))
    return pd.DataFrame(steps, columns=["line", "role", "difference"])


def plot_waterfall(run, path: Path, top: int = 8) -> pd.DataFrame:
    """Baseline cost -> each cost line's mean change -> scenario cost (DKK million per year),
    drawn horizontally: one row per step, the baseline at the top. Each bar is coloured by what
    the change means (:data:`ROLES`): capacity freed, taken up by elastic work, left idle, or
    money the jobcenter pays; the legend names them. Returns the steps
    (:func:`waterfall_steps`)."""
    table = waterfall_steps(run, top)
    steps = list(table.itertuples(index=False, name=None))

    def per_year(recs):
        return float(np.mean([r["headline"]["operating_cost_dkk"]
                              / (r["headline"]["horizon_days"] / 365.0) for r in recs]))

    base_total, scen_total = per_year(run.baseline), per_year(run.scenario)
    labels = ["Baseline: operating cost"] + [s[0] for s in steps] + ["Scenario: operating cost"]
    fig, ax = plt.subplots(figsize=(9.5, 1.9 + 0.42 * len(labels)), layout="constrained")
    level, ends = base_total, [base_total]
    bars = []
    for _, role, d in steps:
        bars.append((level, level + d, role))
        level += d
        ends.append(level)
    ends.append(scen_total)
    lo, hi = min(ends), max(ends)
    span = max(hi - lo, 1e-6 * max(abs(hi), 1.0), 1.0)
    left = lo - 0.8 * span
    m = 1e6
    ax.barh(0, (base_total - left) / m, left=left / m, color=BASE_COLOUR, height=0.6)
    ax.text(base_total / m, 0, f"  {_dkk(base_total)}", va="center", fontsize="x-small")
    used = []
    for i, (a, b, role) in enumerate(bars, start=1):
        name, colour, _ = ROLES[role]
        ax.barh(i, (b - a) / m, left=a / m, color=colour, height=0.6,
                label=name if role not in used else None)
        used.append(role)
        ax.text(max(a, b) / m, i, f"  {_dkk_label(b - a)}", va="center", fontsize="x-small")
    k = len(bars) + 1
    ax.barh(k, (scen_total - left) / m, left=left / m, color=TOTAL_COLOUR, height=0.6)
    ax.text(scen_total / m, k, f"  {_dkk(scen_total)}", va="center", fontsize="x-small")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(left / m, (hi + 0.6 * span) / m)
    ax.set_xlabel("DKK million per year (the axis does not start at zero)\nStaff are paid "
                  "whether busy or not: capacity freed, elastic work and idle time only move "
                  "money between lines", fontsize="x-small")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.2f}"))
    ax.tick_params(axis="x", labelsize="x-small")
    ax.set_title(f"Cost by cost line: from the baseline to {_legend(run.title)}",
                 fontsize="medium")
    ax.grid(axis="x", alpha=0.3)
    if used:
        order = [r for r in ROLES if r in used]
        handles, names = ax.get_legend_handles_labels()
        by_name = dict(zip(names, handles))
        fig.legend([by_name[ROLES[r][0]] for r in order], [ROLES[r][0] for r in order],
                   loc="outside lower center", ncol=2, fontsize="x-small", frameon=False)
    _save(fig, path)
    return table


def _legend(title: str, n: int = 44) -> str:
    """A scenario's title, short enough for a legend."""
    return _short(title.split(" (")[0], n)


def _dkk_label(x: float) -> str:
    if abs(x) >= 1e6:
        return f"DKK {signed(x / 1e6, 2)} million"
    return f"DKK {signed(round(x, -3), 0)}"


def plot_spell_distributions(runs, path: Path) -> bool:
    """Share of completed spells ended within x days, per group: baseline vs scenario(s)."""
    groups = [g for g in GROUPS
              if any(g in (r["series"].get("completed_spell_days") or {})
                     for r in runs[0].baseline)]
    if not groups:
        return False
    ncol = 3
    nrow = math.ceil(len(groups) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 2.7 * nrow), layout="constrained",
                             squeeze=False)
    labels = _group_labels(runs[0].baseline[0])
    for ax, g in zip(axes.flat, groups):
        base = _pooled(runs[0].baseline, "completed_spell_days", g)
        xmax = max(float(np.percentile(base, 98)) if len(base) else 1.0, 1.0)
        _ecdf(ax, base, BASE_COLOUR, "Baseline", "--", xmax)
        for i, r in enumerate(runs):
            if r.is_baseline:
                continue
            _ecdf(ax, _pooled(r.scenario, "completed_spell_days", g), _scen_colour(i),
                  _legend(r.title), "-", xmax)
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, 1)
        ax.set_title(f"{labels.get(g, g)} ({len(base):,} spells)", fontsize="small")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{100 * y:.0f}%"))
        ax.tick_params(labelsize="x-small")
        ax.grid(alpha=0.3)
    _finish_grid(fig, axes, len(groups), "Spell length (days)",
                 "Completed benefit spells: share ended within a given number of days", path)
    return True


def _finish_grid(fig, axes, used: int, xlabel: str, title: str, path: Path) -> None:
    """Blank the unused panels of a grid of small plots, label, add one legend, save."""
    for ax in list(axes.flat)[used:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel, fontsize="small")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=min(len(names), 4),
               fontsize="small", frameon=False)
    fig.suptitle(title, fontsize="medium")
    _save(fig, path)


def _pooled(records, series: str, group: str) -> np.ndarray:
    return np.asarray([x for r in records for x in (r["series"].get(series) or {}).get(group, [])],
                      dtype=float)


def _ecdf(ax, xs: np.ndarray, colour, label, style, xmax: float) -> None:
    """The empirical distribution function of ``xs`` on 400 points of [0, ``xmax``]."""
    if not len(xs):
        return
    x = np.sort(xs)
    grid = np.linspace(0.0, xmax, 400)
    y = np.searchsorted(x, grid, side="right") / len(x)
    ax.step(grid, y, where="post", color=colour, linestyle=style, label=label, lw=1.3)


def _group_labels(rec: dict) -> dict[str, str]:
    return {row["group"]: row.get("label") or row["group"] for row in rec["summary"]}


def _mean_weekly(records, pool: str) -> tuple[np.ndarray, np.ndarray]:
    series = [(r["series"].get("utilisation") or {}).get(pool) for r in records]
    series = [s for s in series if s and s["weeks"]]
    if not series:
        return np.empty(0), np.empty(0)
    common = sorted(set.intersection(*[set(s["weeks"]) for s in series]))
    means = [np.mean([dict(zip(s["weeks"], s["percent"]))[w] for s in series]) for w in common]
    return np.asarray(common), np.asarray(means)


def plot_utilisation(runs, path: Path) -> bool:
    """Weekly utilisation of bookable time per caseworker pool, mean over replications."""
    pools = list((runs[0].baseline[0]["series"].get("utilisation") or {}))
    if not pools:
        return False
    labels = _group_labels(runs[0].baseline[0])
    ncol = 2
    nrow = math.ceil(len(pools) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 3.0 * nrow), layout="constrained",
                             squeeze=False, sharex=True)
    warm_weeks = (runs[0].baseline[0]["series"].get("warmup_days") or 0) / 7.0
    for ax, pool in zip(axes.flat, pools):
        if warm_weeks > 0:
            ax.axvspan(0.5, warm_weeks + 0.5, color="0.9", label="Warm-up (not measured)")
        w, m = _mean_weekly(runs[0].baseline, pool)
        ax.plot(w, m, color=BASE_COLOUR, linestyle="--", lw=1.2, label="Baseline")
        for i, r in enumerate(runs):
            if r.is_baseline:
                continue
            w, m = _mean_weekly(r.scenario, pool)
            ax.plot(w, m, color=_scen_colour(i), lw=1.2, label=_legend(r.title))
        ax.set_title(f"Pool: {pool_label(pool, labels)}", fontsize="small")
        ax.set_ylim(0, 105)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("% of bookable time", fontsize="x-small")
        ax.tick_params(labelsize="x-small")
        ax.grid(alpha=0.3)
    _finish_grid(fig, axes, len(pools), "Week of the simulation",
                 "Caseworkers' weekly required work, share of bookable time (mean over "
                 "replications; elastic work fills the rest)",
                 path)
    return True


def plot_on_time(runs, path: Path) -> bool:
    """On-time share by group: baseline and each scenario, with 95% CIs of the means."""
    rec = runs[0].baseline[0]
    figs = [f for f in figures_for(rec) if f.id == "on_time_share" or
            f.id.startswith("on_time_share/")]
    if not figs:
        return False
    sides = [("Baseline", runs[0].baseline, BASE_COLOUR)] + [
        (_legend(r.title), r.scenario, _scen_colour(i)) for i, r in enumerate(runs)
        if not r.is_baseline]
    k = len(sides)
    height = 0.8 / k
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.42 * len(figs) * max(k, 1.5)),
                           layout="constrained")
    for s, (name, recs, colour) in enumerate(sides):
        for j, f in enumerate(figs):
            m = mean_ci(values(f, recs))
            if m.mean is None:
                continue
            y = j + (s - (k - 1) / 2) * height
            xerr = None if m.half_width is None else 100 * m.half_width
            ax.barh(y, 100 * m.mean, height=height * 0.9, color=colour, xerr=xerr,
                    error_kw={"capsize": 2, "elinewidth": 0.8},
                    label=name if j == 0 else None)
            txt = ax.text(min(100 * m.mean + 1.5 + (xerr or 0), 101.0), y,
                          f"{100 * m.mean:.1f}%", va="center", fontsize="x-small")
            txt.set_in_layout(False)
    ax.set_yticks(range(len(figs)))
    ax.set_yticklabels([f.label.replace("On time: ", "").replace(
        "Mandated talks held on time, all groups", "All groups") for f in figs],
        fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Share of mandated talks held by the deadline (%)", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncol=min(k, 3), fontsize="small", frameon=False)
    ax.set_title("Mandated talks held on time, by group (mean and 95% confidence interval)",
                 fontsize="medium")
    _save(fig, path)
    return True


# --------------------------------------------------------------------------- the text
def _row(table: pd.DataFrame, fid: str):
    t = table[table["figure"] == fid]
    return None if not len(t) else t.iloc[0].to_dict()


def _kinds(rec: dict) -> dict[str, tuple[str, str]]:
    return {f.id: (f.kind, f.unit) for f in figures_for(rec)}


def _headline_ids(table: pd.DataFrame) -> list[str]:
    present = set(table["figure"])
    ids = [f for f in HEADLINE if f in present
           and not (f == "staff_time_used_dkk" and "required_work_dkk" in present)]
    return ids + [f for f in table["figure"] if f.startswith("utilisation/")]


def _single_table_rows(table: pd.DataFrame, kinds, ids) -> list[list[str]]:
    rows = []
    for fid in ids:
        r = _row(table, fid)
        if r is None:
            continue
        kind, unit = kinds[fid]
        d = _digits(kind, r["difference"], r["ci_low"], r["ci_high"])
        rows.append([r["label"], fmt_value(kind, unit, r["baseline_mean"]),
                     fmt_value(kind, unit, r["scenario_mean"]),
                     fmt_diff(kind, unit, r["difference"], d),
                     fmt_ci(kind, unit, r["ci_low"], r["ci_high"], d), verdict(r)])
    return rows


def _level_rows(records, kinds, ids, table) -> list[list[str]]:
    rows = []
    figs = {f.id: f for f in figures_for(records[0])}
    for fid in ids:
        if fid not in figs:
            continue
        kind, unit = kinds[fid]
        m = mean_ci(values(figs[fid], records))
        rows.append([figs[fid].label, fmt_value(kind, unit, m.mean),
                     f"{fmt_value(kind, unit, m.low)} to {fmt_value(kind, unit, m.high)}"
                     if m.half_width is not None else DASH])
    return rows


def _multi_header(runs) -> list[str]:
    return [f"{_legend(r.title, 90)}: difference (95% CI)" for r in runs]


def _multi_rows(runs, tables, kinds, ids) -> list[list[str]]:
    rows = []
    for fid in ids:
        first = _row(tables[0], fid)
        if first is None:
            continue
        kind, unit = kinds[fid]
        cells = [first["label"], fmt_value(kind, unit, first["baseline_mean"])]
        for t in tables:
            r = _row(t, fid)
            if r is None:
                cells.append(DASH)
                continue
            d = _digits(kind, r["difference"], r["ci_low"], r["ci_high"])
            text = fmt_diff(kind, unit, r["difference"], d)
            if verdict(r) == "Yes":
                text = f"**{text}**"
            if not _missing(r["ci_low"]):
                text += f"\n({fmt_ci(kind, unit, r['ci_low'], r['ci_high'], d)})"
            cells.append(text)
        rows.append(cells)
    return rows


def fmt_money(x: float) -> str:
    """An amount of DKK without sign: "DKK 1.91 million", "DKK 412,000"."""
    if abs(x) >= 1e6:
        return f"DKK {abs(x) / 1e6:,.2f} million"
    return f"DKK {round(abs(x), -3):,.0f}"


def _fte_amount(x: float, digits: int) -> str:
    return f"{abs(x):,.{digits}f} FTE"


def capacity_sentence(run) -> str | None:
    """The In-brief sentence on capacity freed: FTE and DKK a year with their 95% intervals,
    in plain words; None when the records do not hold required work."""
    c = capacity_freed(run.scenario, run.baseline)
    if c is None or c["fte"].mean is None:
        return None
    f, m = c["fte"], c["dkk"]
    if f.mean == 0 and f.half_width in (0.0, None):
        return ("**Capacity freed**: none; the scenario leaves required work (mandated and "
                "required tasks) unchanged"
                + (" in every replication." if f.half_width == 0 else "."))
    d = _digits("fte", f.mean, f.low, f.high)
    ci = ("" if f.half_width is None else
          f" (95% confidence interval {fmt_ci('fte', 'FTE', f.low, f.high, d)})")
    money_ci = ("" if m.half_width is None else
                f" (95% confidence interval {fmt_ci('dkk', '', m.low, m.high)})")
    money = fmt_money(m.mean) if m.mean is not None else DASH
    if f.mean > 0:
        text = (f"**Capacity freed**: the scenario frees {_fte_amount(f.mean, d)} of required "
                f"work{ci}, worth {money} a year{money_ci} at the wage cost per hour, whether "
                "or not staff are released.")
    else:
        text = (f"**Capacity freed**: none; the scenario adds {_fte_amount(f.mean, d)} of "
                f"required work{ci}, worth {money} a year{money_ci} at the wage cost per hour, "
                "taken from elastic work or idle time.")
    if c["clear"] is False:
        text += " The interval includes zero: not clearly different from no change."
    return text


def _rows_by_id(rows) -> dict:
    return {r.id: r for r in rows}


def _negligible(iv) -> bool:
    """A change that rounds to zero FTE (two decimals), interval included."""
    return (iv.mean is None or abs(iv.mean) < 0.005) and \
        (iv.half_width is None or iv.half_width < 0.005)


def staff_time_sentence(rows) -> str | None:
    """One sentence on the check, staff time used, against the capacity freed."""
    by = _rows_by_id(rows)
    freed, used = by["capacity_freed"].change, by["staff_time_used"].change
    if freed.mean is None or used.mean is None or _negligible(freed):
        return None
    d = _digits("fte", freed.mean, used.mean)
    elastic = sum(by[k].change.mean or 0.0 for k in ("extra_talks", "other_elastic"))
    idle = by["idle"].change.mean or 0.0
    if abs(used.mean) <= HARDLY_MOVES * abs(freed.mean):
        verb = "fills the time freed" if freed.mean > 0 else "gives the time back first"
        return (f"Staff time used hardly moves ({fmt_diff('fte', 'FTE', used.mean, d)}) because "
                f"elastic work {verb}: extra talks beyond the legal minimum, longer preparation "
                "and documentation, more employer contact.")
    return (f"Staff time used changes by {fmt_diff('fte', 'FTE', used.mean, d)}: elastic work "
            f"takes up {fmt_diff('fte', 'FTE', elastic, d)} and idle time "
            f"{fmt_diff('fte', 'FTE', idle, d)} of the {_fte_amount(freed.mean, d)} "
            f"{'freed' if freed.mean > 0 else 'added'}.")


def _shown_capacity_rows(rows):
    """The rows of the table: the change in time at work only where staffing changes."""
    return [r for r in rows if not (r.id == "at_work" and _negligible(r.change))]


def _capacity_cell(r, bold: bool = False) -> tuple[str, str]:
    iv = r.change
    d = _digits(r.kind, iv.mean, iv.low, iv.high)
    text = fmt_diff(r.kind, r.unit, iv.mean, d)
    if bold and r.clear:
        text = f"**{text}**"
    return text, fmt_ci(r.kind, r.unit, iv.low, iv.high, d)


def capacity_table_rows(rows) -> list[list[str]]:
    """Label, change and 95% interval of each row of "where the freed time went"."""
    out = []
    for r in _shown_capacity_rows(rows):
        change, ci = _capacity_cell(r)
        label = f"**{r.label}**" if r.id == "capacity_freed" else r.label
        out.append([label, change, ci])
    return out


def capacity_notes(rows) -> list[str]:
    """The sentences under the table: what adds up to capacity freed, what is caught up, and
    the check on staff time used."""
    by = _rows_by_id(rows)
    freed = by["capacity_freed"].change
    if freed.mean is None:
        return []
    d = _digits("fte", freed.mean)
    shown = {r.id for r in _shown_capacity_rows(rows)}
    parts = [k for k in TAKE_UP if k in shown]
    total = sum(by[k].change.mean or 0.0 for k in TAKE_UP)
    names = {"extra_talks": "extra talks", "other_elastic": "other elastic work",
             "idle": "idle time", "at_work": "the change in time at work"}
    listed = ", ".join(names[k] for k in parts[:-1]) + f" and {names[parts[-1]]}"
    out = []
    if not _negligible(freed):
        out.append(f"Time adds up: {listed} add up to the capacity freed "
                   f"({fmt_diff('fte', 'FTE', total, d)} against "
                   f"{fmt_diff('fte', 'FTE', freed.mean, d)}).")
    caught = [by[k].change.mean for k in ("unmet_demand", "backlog_at_end") if k in by]
    caught = [x for x in caught if x is not None and round(x) != 0]
    if caught and all(x < 0 for x in caught):
        out.append("Less unmet demand and a shorter backlog are required work caught up with the "
                   "time the scenario frees: being required work, they are already netted out of "
                   "capacity freed, so the scenario saves that much more required work than "
                   "capacity freed shows.")
    elif caught and all(x > 0 for x in caught):
        out.append("More unmet demand or a longer backlog is required work left undone: it "
                   "lowers required work, so part of the capacity freed is work not done rather "
                   "than work saved.")
    elif caught:
        out.append("Unmet demand and the backlog move in opposite directions: required work "
                   "left undone in one place and caught up in the other.")
    sentence = staff_time_sentence(rows)
    if sentence:
        out.append(sentence)
    return out


def _in_brief(run, table, kinds) -> list[str]:
    """A few sentences on the key results of one scenario, capacity freed first."""
    out = []
    n = run.replications

    def ci_text(r, kind, unit):
        if _missing(r["ci_low"]):
            return ""
        return f"; 95% confidence interval {fmt_ci(kind, unit, r['ci_low'], r['ci_high'])}"

    capacity = capacity_sentence(run)
    if capacity:
        rows = where_capacity_went(run.scenario, run.baseline)
        check = staff_time_sentence(rows) if rows else None
        out.append(capacity + (f" {check}" if check else ""))
    for fid in ("talks_held", "on_time_share", "staff_time_used_fte", "spell_days",
                "rehab_wait_days"):
        if fid == "staff_time_used_fte" and capacity:
            continue                        # the check, in the capacity sentence
        r = _row(table, fid)
        if r is None or _missing(r["difference"]):
            continue
        kind, unit = kinds[fid]
        v = verdict(r)
        change = (f"{fmt_value(kind, unit, r['baseline_mean'])} in the baseline, "
                  f"{fmt_value(kind, unit, r['scenario_mean'])} under the scenario "
                  f"({fmt_diff(kind, unit, r['difference'])}{ci_text(r, kind, unit)})")
        tail = {"Yes": "", "No": " — not clearly different from no change",
                "No change": " — identical in every replication"}.get(v, "")
        label = r["label"].split(" (")[0]
        if fid == "staff_time_used_fte" and v == "Yes":
            money = _row(table, "staff_time_used_dkk")
            if money is not None and not _missing(money["difference"]):
                amount = fmt_value("dkk", "", round(abs(money["difference"]), -3))
                tail += (f"; the time {'freed' if money['difference'] < 0 else 'added'} is worth "
                         f"{amount} a year at the wage cost per hour")
        out.append(f"**{label}**: {change}{tail}.")
    cost = _row(table, "operating_cost")
    if cost is not None and not _missing(cost["difference"]):
        if cost["difference"] == 0 and cost.get("half_width") in (0, 0.0, None):
            level = fmt_value("dkk", "", cost["baseline_mean"])
            out.append(f"**Operating cost**: unchanged at {level}"
                       " a year. Staff are paid whether busy or not: time freed goes to elastic "
                       "work or idle time (unused capacity in the cost waterfall) and saves money "
                       "only if staffing is reduced or the time is put to other use.")
        else:
            ci = "" if _missing(cost["ci_low"]) else \
                f" (95% confidence interval {fmt_ci('dkk', '', cost['ci_low'], cost['ci_high'])})"
            out.append(f"**Operating cost** (what the jobcenter pays a year: all staff, whether "
                       "busy or not, management, other services and purchases) changes by "
                       f"{fmt_diff('dkk', '', cost['difference'])} a year{ci}, of "
                       f"{fmt_value('dkk', '', cost['baseline_mean'])} in the baseline. "
                       "Staff are paid whether busy or not, so the cost changes only through "
                       "purchases (such as medical certificates) and through staff the scenario "
                       "adds or removes (such as a booking team); staff time freed goes to "
                       "elastic work or idle time and saves money only if staffing is reduced "
                       "or the time is put to other use.")
    benefit = _row(table, "benefit_dkk")
    if benefit is not None and not _missing(benefit["difference"]):
        out.append("**Benefit payments** to citizens (full-time persons on each benefit times "
                   "its rate a year; not operating cost) change by "
                   f"{_dkk_with_ci(benefit)} a year, of "
                   f"{fmt_value('dkk', '', benefit['baseline_mean'])} in the baseline.")
    if getattr(run, "sensitivity", None) is not None:
        out.append(sensitivity_line(run.sensitivity))
    if n == 1:
        out.append("This comparison rests on a single replication, so it has no confidence "
                   "intervals; run with `replications=auto` before acting on it.")
    return out


# --------------------------------------------------------------------------- sensitivity
EFFECT_WORDS = {"none": "none (service does not change duration)",
                "low": "low (half the studies' estimates)",
                "literature": "literature (the studies' estimates)",
                "high": "high (1.5 times the studies' estimates)"}
"""The effects levels (``effects=``) in words."""

SENSITIVITY_WORDS = {"spell_days": ("mean time on benefit", "days"),
                     "operating_cost": ("operating cost", "dkk"),
                     "benefit_dkk": ("benefits", "dkk")}
"""The figures of the sensitivity line (:data:`sim.sensitivity.FIGURES`): words and kind."""


def _effects_words(row) -> str:
    words = EFFECT_WORDS.get(row["effects"], str(row["effects"]))
    return words + (", this run" if bool(row["this_run"]) else "")


def _sensitivity_cell(row, fid: str) -> str:
    """A figure's difference with its 95% interval in one sensitivity row."""
    kind = SENSITIVITY_WORDS[fid][1]
    unit = "days" if kind == "days" else ""
    d, lo, hi = row[f"{fid}_difference"], row[f"{fid}_ci_low"], row[f"{fid}_ci_high"]
    if _missing(d):
        return DASH
    digits = _digits(kind, d, lo, hi)
    ci = fmt_ci(kind, unit, lo, hi, digits)
    return fmt_diff(kind, unit, d, digits) + ("" if ci == DASH else f" (95% CI {ci})")


def sensitivity_line(table, markup: bool = True) -> str:
    """The sensitivity line in one sentence: for each effects level, the change in mean time on
    benefit, operating cost and benefit payments (a year), each with its 95% interval.
    ``markup=False``: plain text for the terminal."""
    parts = []
    for _, row in table.iterrows():
        cells = ", ".join(f"{SENSITIVITY_WORDS[fid][0]} {_sensitivity_cell(row, fid)}"
                          for fid in SENSITIVITY_WORDS)
        parts.append(f"{_effects_words(row)}: {cells}")
    head = "Sensitivity to the effects of service on duration"
    head = f"**{head}** (`effects=`)" if markup else f"{head} (effects=)"
    return f"{head}: " + "; ".join(parts) + "."


def sensitivity_table_rows(table) -> list[list[str]]:
    """One row per effects level: the three headline changes with their 95% intervals."""
    return [[_effects_words(row)] + [_sensitivity_cell(row, fid) for fid in SENSITIVITY_WORDS]
            for _, row in table.iterrows()]


def sensitivity_section(doc, runs) -> None:
    """The sensitivity table of each run that has one (under "How sure are we")."""
    with_line = [r for r in runs if getattr(r, "sensitivity", None) is not None]
    if not with_line:
        return
    doc.p("**Sensitivity to the effects of service on duration.** How much talks, offers and "
          "waits change the time on benefit is the least certain part of a comparison. The "
          "same comparison (the same replications and random numbers) was run with no such "
          "effects (`effects=none`) and with 1.5 times the studies' estimates (`effects=high`) "
          "beside this run; each cell is the scenario less the baseline, with its 95% "
          "confidence interval, operating cost and benefit payments a year.")
    for r in with_line:
        if len(runs) > 1:
            doc.p(f"*{r.title}*")
        doc.table(["Effects of service on duration", "Mean time on benefit", "Operating cost",
                   "Benefit payments"], sensitivity_table_rows(r.sensitivity))


# --------------------------------------------------------------------------- the bottom line
def profile_words(config: dict | None) -> str:
    """The run's jobcenter profile in words: "a mid-size jobcenter", "Denmark's 94 jobcenters"."""
    name = ((config or {}).get("jobcenter") or {}).get("name")
    if name in PROFILE_WORDS:
        return PROFILE_WORDS[name]
    return f"the jobcenter profile “{name}”" if name else "the simulated jobcenter"


def scenario_short_name(run) -> str:
    """The scenario's code when its title starts with one ("A1", "D2b"), else "the scenario"."""
    first = (run.title or "").split(" ", 1)[0]
    return first if re.fullmatch(r"[A-Z]{1,3}\d+[a-z]?", first) else "the scenario"


def _freed_by_caseworkers(run) -> bool:
    """True when caseworkers' required work carries at least :data:`CASEWORKER_SHARE` of the
    capacity freed (mean over the paired replications, hours)."""
    total = caseworker = 0.0
    for s, b in zip(run.scenario, run.baseline):
        rs, rb = s["headline"].get("required_work_hours"), b["headline"].get("required_work_hours")
        if rs is None or rb is None:
            return False
        for st in {*rs, *rb}:
            d = rb.get(st, 0.0) - rs.get(st, 0.0)
            total += d
            caseworker += d if st == "caseworker" else 0.0
    return total != 0 and caseworker / total >= CASEWORKER_SHARE


def _ci_words(kind: str, unit: str, r: dict) -> str:
    if _missing(r.get("ci_low")):
        return ""
    return f"95% CI {fmt_ci(kind, unit, r['ci_low'], r['ci_high'])}"


def _noise(kind: str, unit: str, r: dict) -> str:
    """" (within the noise: +0.3 days, 95% CI −0.1 to +0.8 days)" for a change that is not
    clear; empty otherwise."""
    if verdict(r) != "No":
        return ""
    ci = _ci_words(kind, unit, r)
    return f" (not a clear change: {fmt_diff(kind, unit, r['difference'])}" + \
        (f", {ci})" if ci else ")")


def _capacity_clause(run) -> str | None:
    c = capacity_freed(run.scenario, run.baseline)
    if c is None or c["fte"].mean is None:
        return None
    f, m = c["fte"], c["dkk"]
    who = "caseworker time" if _freed_by_caseworkers(run) else "staff time"
    if f.mean == 0 and f.half_width in (0.0, None):
        return "needs exactly as much staff time for required work"
    d = _digits("fte", f.mean, f.low, f.high)
    sign = 1 if f.mean > 0 else -1
    ci = "" if f.half_width is None else \
        f" (95% CI {_magnitude_ci('fte', sign * f.low, sign * f.high, d)})"
    money = DASH if m.mean is None else fmt_money(m.mean)
    money_ci = "" if m.half_width is None else \
        f" (95% CI {_magnitude_ci('dkk', sign * m.low, sign * m.high)})"
    verb = "frees" if f.mean > 0 else "takes"
    extra = "" if f.mean > 0 else " more"
    text = (f"{verb} {_fte_amount(f.mean, d)}{extra} of {who}{ci}, worth {money} a year at "
            f"the wage cost{money_ci},")
    if c["clear"] is False:
        text = text.rstrip(",") + ", a change not clearly different from none,"
    return text


def _magnitude_ci(kind: str, lo: float, hi: float, digits: int = 2) -> str:
    """An interval of an amount without signs when both ends are positive ("0.64 to 1.41 FTE",
    "DKK 282,000 to 620,000"); with signs otherwise."""
    lo, hi = sorted((lo, hi))
    if lo <= 0:
        return fmt_ci(kind, "FTE", lo, hi, digits)
    if kind == "dkk":
        return f"{fmt_money(lo)} to {fmt_money(hi).removeprefix('DKK ')}"
    return f"{lo:,.{digits}f} to {hi:,.{digits}f} FTE"


def _talks_clause(r: dict, kinds, period: str) -> str:
    kind, unit = kinds["talks_held"]
    d = r["difference"]
    if round(d) == 0:
        return f"holds as many talks {period}"
    text = f"holds {abs(d):,.0f} {'fewer' if d < 0 else 'more'} talks {period}"
    return text + _noise(kind, unit, r)


def _on_time_clause(r: dict, kinds) -> str:
    kind, unit = kinds["on_time_share"]
    d = r["difference"]
    points = fmt_diff(kind, unit, abs(d)).lstrip("+")
    if float(points.split()[0]) == 0:
        return (f"leaves the share of mandated talks held on time at "
                f"{fmt_value(kind, unit, r['baseline_mean'])}")
    noise = _noise(kind, unit, r)          # " (not a clear change: ...)" or empty
    return (f"{'raises' if d > 0 else 'lowers'} the share of mandated talks held on time by "
            f"{points} (from {fmt_value(kind, unit, r['baseline_mean'])} to "
            f"{fmt_value(kind, unit, r['scenario_mean'])}"
            + (f"; {noise[2:]}" if noise else ")"))


def _spell_clause(r: dict, kinds) -> str:
    kind, unit = kinds["spell_days"]
    d = r["difference"]
    if verdict(r) in ("No", "No change") or float(fmt_diff(kind, unit, d).split()[0]
                                                   .replace(MINUS, "-").replace(",", "")) == 0:
        ci = _ci_words(kind, unit, r)
        return ("mean time on benefit does not change clearly ("
                f"{fmt_diff(kind, unit, d)}" + (f", {ci})" if ci else ")"))
    return (f"mean time on benefit {'falls' if d < 0 else 'rises'} by "
            f"{fmt_diff(kind, unit, abs(d)).lstrip('+')} (from "
            f"{fmt_value(kind, unit, r['baseline_mean'])}; {_ci_words(kind, unit, r)})")


EFFECTS_FACTOR_WORDS = {"low": "half the evaluations' effects",
                       "literature": "the evaluations' effects",
                       "high": "one and a half times the evaluations' effects"}


def effects_assumption(config: dict | None) -> str:
    """The assumption behind the change in time on benefit, as a clause to follow it: how large
    the spell effects were taken to be (``effects=``, docs/effects.md)."""
    from .config import EFFECT_SCALES

    config = config or {}
    level = config.get("effects", "literature")
    if level == "none":
        return ("; with effects=none service does not move the time to a job, so durations "
                "change only through waits for the rehabilitation team")
    talks = (((config.get("model") or {}).get("effects") or {}).get("talks") or {})
    ratio, window = talks.get("job_hazard_ratio"), talks.get("window_days")
    how = (f"a talk raises the chance of leaving to a job "
           f"{ratio ** EFFECT_SCALES.get(level, 1.0):.2f}-fold for {window / 7:g} weeks, "
           "offers lock in and then help, " if ratio is not None and window else "")
    return (f", assuming {EFFECTS_FACTOR_WORDS.get(level, level)} of service on the time to a "
            f"job ({how}relative to the baseline's service; effects={level}, docs/effects.md)")


def bottom_line(run, table, kinds) -> list[str]:
    """One or two sentences a reader can quote: where, what the scenario frees (FTE and DKK a
    year with the 95% interval), talks held, the on-time share, time on benefit; then what the
    operating cost means. Empty for a run of the baseline itself."""
    if run.is_baseline:
        return []
    horizon = (run.info or {}).get("horizon_days", 365)
    period = "a year" if horizon == 365 else f"in {horizon:,} days"
    clauses = []
    capacity = _capacity_clause(run)
    if capacity:
        clauses.append(capacity)
    else:
        used = _row(table, "staff_time_used_fte")
        if used is not None and not _missing(used["difference"]):
            kind, unit = kinds["staff_time_used_fte"]
            clauses.append(f"changes staff time used by {fmt_diff(kind, unit, used['difference'])}"
                           + _noise(kind, unit, used))
    talks, on_time = _row(table, "talks_held"), _row(table, "on_time_share")
    if talks is not None and not _missing(talks["difference"]):
        clauses.append(_talks_clause(talks, kinds, period))
    if on_time is not None and not _missing(on_time["difference"]):
        clauses.append(_on_time_clause(on_time, kinds))
    if not clauses:
        return []
    first = (f"In {profile_words(run.config)}, {scenario_short_name(run)} "
             + (" ".join(c if c.endswith(",") else c + "," for c in clauses[:-2])
                + (" " if len(clauses) > 2 else "")
                + clauses[-2].rstrip(",") + " and " + clauses[-1] if len(clauses) > 1
                else clauses[0].rstrip(",")))
    spell = _row(table, "spell_days")
    if spell is not None and not _missing(spell["difference"]):
        first += "; " + _spell_clause(spell, kinds) + effects_assumption(run.config)
    out = [first + "."]
    cost = _row(table, "operating_cost")
    if cost is not None and not _missing(cost["difference"]):
        d = cost["difference"]
        if d == 0 and cost.get("half_width") in (0, 0.0, None):
            what = "The jobcenter's operating cost does not change"
        else:
            sign = 1 if d > 0 else -1
            ci = "" if _missing(cost.get("ci_low")) else \
                f" (95% CI {_magnitude_ci('dkk', sign * cost['ci_low'], sign * cost['ci_high'])})"
            what = (f"The jobcenter's operating cost {'falls' if d < 0 else 'rises'} by "
                    f"{fmt_money(d)} a year{ci}")
        out.append(what + ": staff are paid whether busy or not, so it moves only with "
                   "purchases (such as medical certificates) and staff added or removed, and "
                   "time freed saves money only if staffing is reduced or the time is put to "
                   "other use.")
    side = operations_and_benefits(table)
    if side:
        out.append(side)
    return out


def _dkk_with_ci(r: dict) -> str:
    """"DKK −1.20 million (95% CI DKK −1.50 to −0.90 million)" for a DKK row of the table."""
    ci = "" if _missing(r.get("ci_low")) else \
        f" (95% CI {fmt_ci('dkk', '', r['ci_low'], r['ci_high'])})"
    return fmt_diff("dkk", "", r["difference"]) + ci


def operations_and_benefits(table) -> str | None:
    """The operating cost's change and the benefit payments' change side by side, a year, each
    with its 95% interval; None when the records do not hold benefit payments."""
    cost, benefit = _row(table, "operating_cost"), _row(table, "benefit_dkk")
    if cost is None or benefit is None or _missing(cost["difference"]) \
            or _missing(benefit["difference"]):
        return None
    offers = _row(table, "offer_running_cost_dkk")
    offer_words = "" if offers is None or _missing(offers["difference"]) else \
        f", offers' running cost {_dkk_with_ci(offers)}"
    return (f"Side by side, a year: operations {_dkk_with_ci(cost)}, benefits "
            f"{_dkk_with_ci(benefit)}{offer_words}. Benefit payments to citizens and the offers' "
            "running cost are not operating cost: they move with the time citizens spend on "
            "benefit and in offers.")


def target_groups(run) -> list[str]:
    """The groups the scenario's mechanisms name in their ``groups`` settings, in the usual
    order; empty when they name none or every group of the records."""
    named = set()
    for mech in ((run.config or {}).get("mechanisms") or {}).values():
        if isinstance(mech, dict):
            named |= set(mech.get("groups") or [])
    present = [g for g in GROUPS if _summary_has(run.baseline[0], g)]
    chosen = [g for g in present if g in named]
    return [] if not chosen or len(chosen) == len(present) else chosen


def _summary_has(rec: dict, group: str) -> bool:
    return any(row.get("group") == group for row in rec.get("summary") or [])


def target_group_rows(run, table, kinds) -> list[list[str]]:
    """The on-time share, talks held and mean spell of each target group (headline columns)."""
    ids = [f"{fid}/{g}" for g in target_groups(run)
           for fid in ("on_time_share", "talks_held", "spell_days")]
    return _single_table_rows(table, kinds, [i for i in ids if i in kinds])


def _target_names(run) -> str:
    labels = _group_labels(run.baseline[0])
    names = [labels.get(g, g).lower() for g in target_groups(run)]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


# --------------------------------------------------------------------------- what was run
def _scenario_only_mechanisms(run) -> set[str]:
    """Mechanisms whose command-line settings the baseline left out (``run_info.json``)."""
    out = set()
    for o in (run.info or {}).get("baseline_ignored_overrides") or []:
        parts = o.split("=", 1)[0].lstrip("+~").split(".")
        if len(parts) > 1 and parts[0] == "mechanisms":
            out.add(parts[1])
    return out


def _applies_to(run, setting) -> str:
    parts = setting.path.split(".")
    if setting.run_control:
        return "how the run is carried out"
    if parts[0] == "mechanisms" and len(parts) > 1 and (
            parts[1] in _scenario_only_mechanisms(run) or setting.reference is MISSING):
        return "the scenario only"
    return "the scenario and the baseline"


def _was(setting) -> str:
    if setting.reference is MISSING:
        return "not switched on" if setting.path.startswith("mechanisms.") else "not set"
    where = {"scenario file": "scenario file", "conf/": "`conf/`",
             "mechanism default": "the mechanism's default"}[setting.source]
    return f"`{fmt_setting(setting.reference)}` ({where})"


def settings_rows(run, settings) -> list[list[str]]:
    """Setting, value in the scenario file or defaults, value of this run, which side."""
    return [[f"`{s.path}`", _was(s), f"`{fmt_setting(s.value)}`", _applies_to(run, s)]
            for s in settings]


def settings_summary(run, settings) -> str:
    """One sentence for the top of the report naming the settings changed for this run."""
    shown = [s for s in settings if not s.run_control]
    if not shown:
        return ""
    items = [f"`{s.path}` {fmt_setting(s.reference) if s.reference is not MISSING else 'off'}"
             f" → {fmt_setting(s.value)}" for s in shown[:4]]
    more = f" and {len(shown) - 4} more" if len(shown) > 4 else ""
    return ("**Changed for this run** (from the scenario file and the defaults in `conf/`): "
            + "; ".join(items) + more + ". All are listed under *Settings of this run*.")


def settings_section(doc, run, settings) -> None:
    """The list of settings that differ from the scenario file and ``conf/``, under the
    scenario's description."""
    doc.p("**Settings of this run**")
    if settings is None:
        doc.p("The scenario file and the defaults could not be read again to compare this run's "
              "settings with them; `resolved_config.yaml` holds every setting of the run.")
        return
    if not settings:
        doc.p("This run used the scenario file and the defaults in `conf/` unchanged: no setting "
              "was changed on the command line.")
        return
    doc.p("Every setting that differs from the scenario file and from the defaults in `conf/` "
          "(changed on the command line). The assumptions above are written with this run's "
          "values.")
    doc.table(["Setting", "Scenario file or default", "This run", "Applies to"],
              settings_rows(run, settings), text_columns=4)


def assumptions_of(run) -> list[str]:
    """The scenario's assumption texts filled in with the run's values, each value changed for
    the run marked with the scenario file's (:func:`sim.settings_diff.render`)."""
    d = run.description or {}
    return render_assumptions(d.get("assumptions") or [], run.config, reference_for(run.config))


def _capacity_overview_rows(runs) -> list[list[str]]:
    """One row per scenario: capacity freed (FTE, 95% CI), its value a year, the check."""
    out = []
    for r in runs:
        c = capacity_freed(r.scenario, r.baseline)
        rows = where_capacity_went(r.scenario, r.baseline)
        if c is None:
            out.append([r.title, DASH, DASH, DASH, DASH])
            continue
        f, m = c["fte"], c["dkk"]
        d = _digits("fte", f.mean, f.low, f.high)
        freed = fmt_diff("fte", "FTE", f.mean, d)
        if c["clear"]:
            freed = f"**{freed}**"
        used = DASH
        if rows:
            used = _capacity_cell(_rows_by_id(rows)["staff_time_used"])[0]
        out.append([_legend(r.title, 90), freed, fmt_ci("fte", "FTE", f.low, f.high, d),
                    fmt_diff("dkk", "", m.mean), used])
    return out


def _capacity_multi_rows(runs) -> list[list[str]]:
    """"Where the freed time went", one column per scenario (change and 95% interval)."""
    per_run = [where_capacity_went(r.scenario, r.baseline) for r in runs]
    first = next(rows for rows in per_run if rows)
    ids = []
    for rows in per_run:
        for row in _shown_capacity_rows(rows or []):
            if row.id not in ids:
                ids.append(row.id)
    labels = {row.id: row.label for rows in per_run if rows for row in rows}
    out = []
    for fid in [r.id for r in first if r.id in ids] + [i for i in ids
                                                       if i not in {r.id for r in first}]:
        cells = [f"**{labels[fid]}**" if fid == "capacity_freed" else labels[fid]]
        for rows in per_run:
            row = _rows_by_id(rows or []).get(fid)
            if row is None:
                cells.append(DASH)
                continue
            change, ci = _capacity_cell(row, bold=True)
            cells.append(change + (f"\n({ci})" if ci != DASH else ""))
        out.append(cells)
    return out


def _headline_notes(run, capacity: bool) -> str:
    """What the headline figures count, in plain words."""
    fte = f"1 FTE = {hours_per_fte(run.baseline[0]['headline']):,.0f} available hours a year"
    staff = ("Staff time used counts the hours of caseworkers, company consultants and "
             "administrative staff spent on casework")
    if capacity:
        staff = ("Required work is the work the rules and the cases demand (mandated talks, desk "
                 "work, booking, letters); elastic work fills the rest of staff's time (extra "
                 "talks beyond the legal minimum, longer preparation and documentation, more "
                 "employer contact) and gives it back first. " + staff + ": both together")
    return ("Operating cost covers all staff, management, staff functions, other services and "
            "certificates, per year; benefit payments to citizens (the mean number on each "
            "benefit times its rate a year) are a line of their own, not part of it. "
            f"{staff}, in full-time equivalents ({fte}). Mean time on "
            "benefit follows Little's law (mean number on benefit / new spells per day), which "
            "unlike the mean of completed spells is not biased by spells that began before the "
            "simulation.")


def _capacity_levels(records) -> str | None:
    """Required and elastic work of the baseline alone, in one sentence."""
    from .figures import elastic_work_fte, idle_fte, required_work_fte, EXTRA_TALK

    req = mean_ci([required_work_fte(r) for r in records]).mean
    ela = mean_ci([elastic_work_fte(r) for r in records]).mean
    if req is None or ela is None:
        return None
    extra = mean_ci([elastic_work_fte(r, activity=EXTRA_TALK) for r in records]).mean or 0.0
    idle = mean_ci([idle_fte(r) for r in records]).mean or 0.0
    return (f"Of the staff time at work, {req:,.1f} FTE is required work (mandated talks, desk "
            f"work, booking and letters) and {ela:,.1f} FTE elastic work that fills the rest "
            f"({extra:,.1f} FTE of it extra talks beyond the legal minimum); {idle:,.1f} FTE is "
            "idle. A scenario that needs less required work frees capacity, and elastic work "
            "takes it up.")


def ignored_text(overrides: Sequence[str], quote: str = "`") -> str:
    """The sentence naming the command-line overrides the baseline left out (overrides of
    mechanisms it does not use)."""
    many = len({o.split("=", 1)[0].split(".")[1] for o in overrides}) > 1
    return (f"Applied to the scenario only (the baseline does not use "
            f"{'these mechanisms' if many else 'this mechanism'}): "
            + ", ".join(f"{quote}{o}{quote}" for o in overrides))


def _replication_text(run) -> str:
    info = run.info
    stop = info.get("stopping") or {}
    n = run.replications
    setting = info.get("replications_setting")
    text = (f"**{n} replication{'s' if n != 1 else ''}** of each side")
    if setting == "auto":
        keys = ", ".join(KEY_NAMES.get(f.id, f.label.lower())
                         for f in key_figures(run.baseline[0]))
        text += (f", chosen automatically: {stop.get('reason', '')}. The target: the 95% "
                 f"confidence interval of each key difference ({keys}) "
                 f"is at most ±{100 * info.get('precision', 0):g}% "
                 f"of the difference, or of {100 * info.get('precision', 0):g}% of the baseline "
                 f"value for smaller differences (at least {info.get('min_replications')}, "
                 f"at most {info.get('max_replications')} replications, look-ahead "
                 f"{info.get('lookahead')}; sequential procedure after Hoad, Robinson and "
                 f"Davies 2010).")
    elif setting is not None:
        text += f" (set on the command line or in the configuration: replications={setting})."
    else:
        text += "."
    return text


def _warmup_text(run) -> str:
    w = run.info.get("warmup") or {}
    days = run.info.get("warmup_days", w.get("days", 0))
    if w.get("setting") == "auto":
        return (f"{days} days, set automatically: {w.get('method', 'MSER-5')} (the longest "
                f"truncation over the stock and utilisation series, rounded up to whole weeks; "
                f"decided by {w.get('deciding_series', 'the series')}).")
    if days == DEFAULT_WARMUP_DAYS:
        return (f"{days} days simulated and discarded before measuring (the default, chosen with "
                f"MSER-5 and a Welch plot on pilot runs: job clarification, resource course and "
                f"the rehabilitation caseworkers start nearly empty and take about half a year to "
                f"fill; see the README, section Warm-up).")
    if days:
        return (f"{days} days simulated and discarded before measuring (set for this run; the "
                f"default is {DEFAULT_WARMUP_DAYS} days, see the README, section Warm-up).")
    return "none: measuring starts at day 0 (results carry the start-up transient)."


def _stress_rows(runs, notes_runtime: str) -> list[list[str]]:
    run = runs[0]
    cfg = run.config or {}
    info = run.info
    pk = info.get("packages") or {}
    software = ", ".join(f"{k} {v}" for k, v in pk.items() if v and v != "not installed")
    horizon = info.get("horizon_days", cfg.get("horizon_days"))
    jc = (cfg.get("jobcenter") or {})
    sources = sorted({r.description.get("source") for r in runs if r.description.get("source")})
    assumptions = [a for r in runs for a in assumptions_of(r)]
    rules = (cfg.get("rules") or {})
    capacity = ("Capacity freed: the fall in required work (mandated and required tasks), plus "
                "the time at work staff gain (fewer breaks, meetings or days off sick) and staff "
                "functions sized down, in FTE and in DKK per year at each staff type's wage cost per hour, and where it "
                "went (elastic work, idle time, unmet demand, backlog). "
                if "required_work_hours" in run.baseline[0]["headline"] else "")
    return [
        ["Purpose", "Estimate what a change in rules or practice (a scenario) does to a Danish "
                    "jobcenter's cost, the duration of benefit spells and the service citizens "
                    "get (mandated talks on time), compared with today's rules and practice "
                    "(the baseline)."],
        ["Outputs", capacity + "Operating cost (DKK per year) and staff time used (FTE); "
                    "benefit payments to citizens (DKK per year, a line of their own); talks "
                    "held and the "
                    "share of mandated talks held on time, by group; mean time on benefit "
                    "(Little's law: mean stock / entries per day), time to first offer and the "
                    "wait for the rehabilitation team; caseworkers' utilisation of bookable time. "
                    "Each as the mean over replications, with the paired difference and its 95% "
                    "confidence interval."],
        ["Model logic", "Discrete-event simulation in calendar days (SimPy). Each citizen's "
                        "benefit "
                        "spell is a process: visitation, talks booked into caseworkers' calendars "
                        "by legal deadlines, offers, rehabilitation-team meetings, exits and "
                        "transfers between groups. Caseworkers, company consultants and "
                        "administrative staff have limited working time (holidays, sickness, "
                        "non-bookable time); every minute of staff time is costed."],
        ["Jobcenter and rules", f"Profile “{jc.get('name', '?')}”: "
                                f"{jc.get('description', '')}. "
                                f"Rulebook: {rules.get('description') or rules.get('era', '?')}."],
        ["Data sources", "QB14 (Quartz+Co and BDO for KL and the ministries, 2014) for time use, "
                         "working time and cost; VIVE (2020) for stocks, flows and spell lengths; "
                         "the rules in force early 2014 for deadlines"
                         + (f"; scenario sources: {'; '.join(sources)}" if sources else "") + "."],
        ["Main assumptions", "Numbers not found in the sources are marked as assumptions next to "
                             "them in the configuration (conf/ and scenarios/)"
                             + (". The scenarios' own: " + " ".join(assumptions).rstrip(".")
                                if assumptions else "") + "."],
        ["Benefit payments", benefit_rates_text(run)],
        ["Initialisation", "The stock of citizens at the start is drawn as in a steady state, "
                           "with time already spent on benefit; appointment books start empty and "
                           "the job clarification and resource course groups start (nearly) "
                           "empty. Warm-up: " + _warmup_text(run)],
        ["Run length", f"{horizon:,} measured days after the warm-up, per replication."
         if isinstance(horizon, int) else "See the configuration."],
        ["Replications", _replication_text(run)],
        ["Random numbers", f"Base seed {info.get('seed', cfg.get('seed'))}. One NumPy stream per "
                           "stochastic process and group, seeded from (seed, replication, stream "
                           "name): in each replication the scenario and the baseline draw the "
                           "same citizens, arrivals and durations wherever the scenario does "
                           "not change them (common random numbers), so their difference is "
                           "measured with far less noise than either side."],
        ["Software", software or DASH],
        ["Code version", f"git {info.get('git_revision', '?')}"],
        ["Run time", notes_runtime],
    ]


def benefit_rates_text(run) -> str:
    """How benefit payments are computed and the rates this run used (DKK per full-time
    person-year: the statutory 2013 rate times the share assumed paid on average)."""
    rates = ((((run.config or {}).get("model") or {}).get("benefits") or {}).get("groups") or {})
    labels = _group_labels(run.baseline[0])
    items = []
    for g in GROUPS:
        rate = rates.get(g)
        if rate is None or not _summary_has(run.baseline[0], g):
            continue
        statutory, share = rate["statutory_dkk_per_year"], rate["paid_share"]
        items.append(f"{labels.get(g, g)} DKK {statutory * share:,.0f} "
                     f"({100 * share:g}% of DKK {statutory:,.0f})")
    if not items:
        return ("Not computed: the run's configuration has no benefit rates (`model.benefits`).")
    return ("Full-time persons on each benefit (the mean number on it) times its rate per "
            "full-time person-year (one person a whole year on the benefit): the statutory 2013 "
            "rate times the share of it assumed paid on average. The shares are assumptions; "
            "the statutory rates and their sources are in `conf/model/default.yaml` and "
            "`docs/benefits.md`. Gross payments before tax, whoever pays them (municipality, "
            "state, unemployment insurance fund), and not part of the operating cost. Rates a "
            "year: " + "; ".join(items) + ".")


def _runtime_text(runs) -> str:
    parts = []
    for r in runs:
        info = r.info
        ws = info.get("replication_wall_seconds") or {}
        scen = [x for x in ws.get("scenario") or [] if x]
        total = info.get("experiment_wall_seconds")
        cache = info.get("baseline_cache") or {}
        text = f"{r.title}: "
        if total:
            text += f"{total:,.0f} s in all"
        if scen:
            text += f", {np.mean(scen):.1f} s per simulated replication"
        if cache.get("reused"):
            text += f" ({cache['reused']} baseline replications reused from the cache)"
        w = info.get("workers")
        if w:
            text += f"; {w} worker process{'es' if w != 1 else ''}"
        parts.append(text)
    platform = runs[0].info.get("platform")
    return "; ".join(parts) + (f". Machine: {platform}." if platform else ".")


# --------------------------------------------------------------------------- the report
def write_comparison_report(runs, out_dir: Path, notes: Sequence[str] = ()) -> Path:
    """Write report.md, report.html, the PNGs and comparison.csv for ``runs`` into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = [r.table() for r in runs]
    kinds = {k: v for r in runs for rec in (r.scenario[:1] + r.baseline[:1])
             for k, v in _kinds(rec).items()}      # with the pools only a scenario has
    baseline_only = all(r.is_baseline for r in runs)
    multi = len(runs) > 1

    from .compare import combined_table

    combined = combined_table(runs) if multi else tables[0]
    atomic_write(out_dir / "comparison.csv", lambda p: combined.to_csv(p, index=False))

    doc = Doc()
    if baseline_only:
        title = f"Jobcenter simulation: {runs[0].title}"
    elif multi:
        title = "Jobcenter simulation: " + ", ".join(_legend(r.title, 90) for r in runs) + \
                " against the baseline"
    else:
        title = f"Jobcenter simulation: {runs[0].title} against the baseline"
    doc.h(1, title)
    run = runs[0]
    cfg = run.config or {}
    for r, t in zip(runs, tables):
        lines = bottom_line(r, t, kinds)
        if lines:
            doc.lead((f"*{_legend(r.title, 90)}*: " if multi else "") + " ".join(lines))
    jc = (cfg.get("jobcenter") or {}).get("name", "?")
    horizon = run.info.get("horizon_days", cfg.get("horizon_days"))
    doc.p(f"Jobcenter profile: {jc} ({profile_words(cfg)}) · Measured period: {horizon:,} days "
          f"after a warm-up of {run.info.get('warmup_days', 0)} days · Replications: "
          + ", ".join(str(r.replications) for r in runs)
          + f" · Seed: {run.info.get('seed', cfg.get('seed'))}")
    settings = [changed_settings(r.config, r.info.get("warmup")) if r.config else None
                for r in runs]
    for r, changed in zip(runs, settings):
        summary = settings_summary(r, changed or [])
        if summary:
            doc.p((f"*{r.title}*: " if multi else "") + summary)
    for n in notes:
        doc.p(f"*Note: {n}*")

    ids = _headline_ids(tables[0])
    if baseline_only:
        doc.h(2, "Headline figures")
        doc.p(f"Mean over {run.replications} replication{'s' if run.replications != 1 else ''} "
              "and the 95% confidence interval of the mean. This run is the baseline itself, so "
              "there is no comparison; run a scenario (`python -m sim scenario=NAME`) to compare.")
        doc.table(["Figure", "Mean", "95% confidence interval"],
                  _level_rows(run.scenario, kinds, ids, tables[0]))
        levels = _capacity_levels(run.scenario)
        if levels:
            doc.p(levels)
    else:
        doc.h(2, "In brief")
        if multi and any(capacity_freed(r.scenario, r.baseline) for r in runs):
            doc.p("Capacity freed by each scenario: the baseline's required work less the "
                  "scenario's, with its value at the wage cost per hour, whether or not staff "
                  "are released; staff time used is the check.")
            doc.table(["Scenario", "Capacity freed", "95% confidence interval",
                       "Worth a year", "Staff time used (check)"],
                      _capacity_overview_rows(runs))
        for r, t in zip(runs, tables):
            if multi:
                doc.h(3, r.title)
            doc.ul(_in_brief(r, t, kinds))
            rows = target_group_rows(r, t, kinds)
            if rows:
                doc.p(f"**The groups the scenario targets** ({_target_names(r)}, the groups its "
                      "mechanisms name): on-time share, talks held and mean time on benefit.")
                doc.table(["Figure", "Baseline", "Scenario", "Difference",
                           "95% confidence interval", "Clear difference?"], rows)
        accounts = [where_capacity_went(r.scenario, r.baseline) for r in runs]
        if any(accounts):
            doc.h(2, "Where the freed time went")
            doc.p("Capacity freed is the fall in required work (mandated talks, desk work, "
                  "booking and letters): the baseline's less the scenario's, so a positive number "
                  "is time freed. Every other change is the scenario's less the baseline's. Each "
                  "is the mean over the replications with its 95% confidence interval; unmet "
                  "demand is in hours over the measured period, the backlog in hours at its end.")
            if multi:
                doc.table(["Where the time went"]
                      + [f"{_legend(r.title, 90)}: change (95% CI)" for r in runs],
                      _capacity_multi_rows(runs))
                doc.p("Changes in **bold** are clear: their 95% confidence interval excludes "
                      "zero.")
                for r, rows in zip(runs, accounts):
                    notes_ = capacity_notes(rows) if rows else []
                    if notes_:
                        doc.p(f"*{r.title}*: " + " ".join(notes_))
            else:
                doc.table(["Where the time went", "Change", "95% confidence interval"],
                          capacity_table_rows(accounts[0]))
                notes_ = capacity_notes(accounts[0])
                if notes_:
                    doc.p(" ".join(notes_))
        from .overlap import overlap_section

        overlap_section(doc, runs)              # composite scenarios: joint against singles
        doc.h(2, "Headline figures")
        doc.p("Each figure is the mean over the replications. The difference is the scenario "
              "less the baseline, replication by replication (both sides use the same random "
              "numbers), and the 95% confidence interval is that of the mean difference "
              "(Student's t over the replications). **Clear difference** means the interval "
              "excludes zero; *No change* means the figure was identical in every replication.")
        if multi:
            doc.table(["Figure", "Baseline"] + _multi_header(runs),
                      _multi_rows(runs, tables, kinds, ids))
            doc.p("Differences in **bold** are clear: their 95% confidence interval excludes "
                  "zero.")
        else:
            doc.table(["Figure", "Baseline", "Scenario", "Difference", "95% confidence interval",
                       "Clear difference?"], _single_table_rows(tables[0], kinds, ids))
        doc.p(_headline_notes(run, "required_work_fte" in ids))

    from .national_report import country_files, country_section, is_country

    country_section(doc, runs)                  # a national run: how, and by size class

    # detailed tables by section
    doc.h(2, "By group and pool")
    sections = {}
    for fid, sec in zip(tables[0]["figure"], tables[0]["section"]):
        if fid not in ids:
            sections.setdefault(sec, []).append(fid)
    for sec, fids in sections.items():
        if not fids:
            continue
        doc.h(3, sec)
        if baseline_only:
            doc.table(["Figure", "Mean", "95% confidence interval"],
                      _level_rows(run.scenario, kinds, fids, tables[0]))
        elif multi:
            doc.table(["Figure", "Baseline"] + _multi_header(runs),
                      _multi_rows(runs, tables, kinds, fids))
        else:
            doc.table(["Figure", "Baseline", "Scenario", "Difference", "95% confidence interval",
                       "Clear difference?"], _single_table_rows(tables[0], kinds, fids))
    doc.p("A dash means the figure does not apply (for example, no offers or no "
          "rehabilitation-team cases in that group). Waits for the rehabilitation team run from "
          "the caseworker's referral to the team's meeting; time to first offer runs from the "
          "start of the spell.")

    # plots
    doc.h(2, "Charts")
    if not baseline_only and plot_effects(runs, tables, out_dir / "effects.png"):
        doc.img("effects.png", "Differences from the baseline with confidence intervals",
                "Each dot is a mean difference from the baseline, the bar its 95% confidence "
                "interval; left as a percentage of the baseline value, right in percentage "
                "points. A bar crossing the vertical line is not a clear difference.")
    if not baseline_only:
        for i, r in enumerate(runs):
            name = f"cost_waterfall_{r.name}.png" if multi else "cost_waterfall.png"
            steps = plot_waterfall(r, out_dir / name)
            doc.img(name, f"Cost waterfall: {r.title}",
                    f"{r.title}: the mean change of each cost line, from the baseline's operating "
                    "cost (top) to the scenario's (bottom), DKK per year. Staff are paid whether "
                    "busy or not, so staff time only moves between lines: green bars are "
                    "required work the scenario no longer needs (capacity freed), blue bars "
                    "elastic work taking the freed time up, grey bars time left idle (unused "
                    "capacity), orange bars more required work. Only red and purple bars "
                    "(purchases, management, other services, staff added or removed) change "
                    "what the jobcenter pays."
                    + ("" if len(steps) else " No cost line changed."))
    if plot_on_time(runs, out_dir / "on_time_by_group.png"):
        doc.img("on_time_by_group.png", "On-time share by group",
                "The share of mandated talks held by their deadline, by group: mean over "
                "replications, with the 95% confidence interval of the mean. Talks never held "
                "or still overdue at the end count as late.")
    if plot_utilisation(runs, out_dir / "utilisation_over_time.png"):
        doc.img("utilisation_over_time.png", "Caseworker utilisation over time",
                "Each caseworker pool's weekly utilisation of its bookable time (working time "
                "less meetings, training, breaks and other non-bookable time), mean over "
                "replications. The shaded weeks are the warm-up, simulated but not measured.")
    if plot_spell_distributions(runs, out_dir / "spell_durations.png"):
        doc.img("spell_durations.png", "Distribution of completed spell lengths",
                "For each group, the share of benefit spells that ended in the measured period "
                "within a given number of days, all replications pooled. Spells include time on "
                "benefit before the simulation started, and long spells still running at the end "
                "are not in it: the mean time on benefit in the tables is the better summary. "
                "Where only one line shows, the scenario leaves the distribution as it is and "
                "the lines coincide.")

    # scenarios
    doc.h(2, "The scenario" if len(runs) == 1 else "The scenarios")
    for r, changed in zip(runs, settings):
        d = r.description or {}
        doc.h(3, r.title)
        if d.get("source"):
            doc.p(f"**Source:** {d['source']}")
        if d.get("mechanism"):
            doc.p(f"**What changes:** {d['mechanism']}")
        if d.get("components"):
            doc.p("**Composed of** (each as its own scenario file specifies it):")
            doc.ul([f"{c['title']} (`{c['scenario']}`)" for c in d["components"]])
        if d.get("assumptions"):
            doc.p("**Assumptions** (with the values this run used):")
            doc.ul(assumptions_of(r))
        if not any(d.get(k) for k in ("source", "mechanism", "assumptions")):
            doc.p(f"No description was given for scenario “{r.name}”.")
        if r.config:
            settings_section(doc, r, changed)
        if r.info.get("baseline_ignored_overrides"):
            doc.p(ignored_text(r.info["baseline_ignored_overrides"]))

    doc.h(2, "How sure are we")
    for r in runs:
        doc.p((f"{r.title}: " if multi else "") + _replication_text(r))
    doc.p("The confidence intervals cover the simulation's own randomness (which citizens "
          "arrive, how long their spells and talks last, who falls ill). They do not cover "
          "uncertainty in the model's inputs or assumptions: an assumption marked as such in the "
          "scenario should be varied (`python -m sim scenario=... key=value`) to see how much "
          "the result depends on it.")
    sensitivity_section(doc, runs)

    doc.h(2, "About the model")
    doc.p("A description of the simulation in the style of the STRESS-DES reporting guideline "
          "(Monks et al. 2019).")
    doc.table(["Item", "Description"], _stress_rows(runs, _runtime_text(runs)), text_columns=2)

    doc.h(2, "Files")
    files = ["`report.html`: this report as one file (charts included)",
             "`comparison.csv`: the tables above, with every figure's means, difference and "
             "confidence interval in plain numbers (shares as fractions, DKK per year)"]
    if all(r.run_dir is not None and Path(r.run_dir).resolve() == out_dir.resolve()
           for r in runs):
        if any(r.sensitivity is not None for r in runs):
            files.append("`sensitivity.csv`: the sensitivity line, one row per effects level "
                         "(differences and confidence intervals in plain numbers)")
        if any((Path(r.run_dir) / "overlap.csv").is_file() for r in runs):
            files.append("`overlap.csv`, `overlap_replications.csv`: the composite's joint "
                         "effect, each proposal's alone, their sum and the overlap (and every "
                         "replication of them)")
        files += ["`replications.csv`: every figure in every replication, for both sides",
                  "`replications/`: the full results of each replication (JSON)",
                  "`metrics.json`, `summary.csv`: the scenario's first replication in detail "
                  "(headline, per-group table)" if any(is_country(r) for r in runs) else
                  "`metrics.json`, `summary.csv`, `events.parquet`: the scenario's first "
                  "replication in detail (headline, per-group table, event log)",
                  *country_files(runs),
                  "`resolved_config.yaml`, `run_info.json`: the configuration and provenance"]
    else:
        files += ["Run directories compared: " + ", ".join(f"`{r.run_dir}`" for r in runs)]
    doc.ul(files)

    atomic_write_text(out_dir / "report.md", doc.markdown())
    atomic_write_text(out_dir / "report.html", doc.html(title, out_dir))
    return out_dir / "report.html"
