"""The catalog's table: ``catalog.csv``, ``catalog.md`` and a self-contained ``catalog.html``.

One row per finished scenario of a catalog folder (:mod:`sim.catalog`), ranked by capacity
freed in DKK a year: capacity freed (FTE and DKK a year), the change in operating cost and in
benefit payments (DKK a year), in mean time on benefit (days), in the on-time share of mandated
talks and in the rehabilitation-team wait (days), each with its 95% confidence interval. Every
figure is the one the scenario's own comparison reports (:func:`sim.figures.capacity_freed`,
:func:`sim.figures.comparison_table`), computed from the same records, so a row equals the
single run ``python -m sim scenario=NAME`` with the same overrides and seed.

A chart sets the effects side by side with their intervals, and a composite scenario
(``qb14_all``) gets the overlap section: its joint effect beside the sum of its components'
single effects (:mod:`sim.overlap`), computed from the catalog's own runs of the components, on
the replications all of them have in common.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from .comparison_report import Doc, profile_words, signed
from .figures import capacity_freed, comparison_table
from .output import atomic_write, atomic_write_text
from .report import DASH

CSV = "catalog.csv"
MARKDOWN = "catalog.md"
HTML = "catalog.html"
CHART = "catalog_effects.png"

COMPARISON_FIGURES = (
    ("operating_cost", "Operating cost", "DKK million a year", "dkk"),
    ("benefit_dkk", "Benefit payments", "DKK million a year", "dkk"),
    ("spell_days", "Mean time on benefit", "days", "days"),
    ("on_time_share", "On-time share of mandated talks", "percentage points", "share"),
    ("rehab_wait_days", "Rehabilitation-team wait", "days", "days"),
)
"""The columns taken from the scenario's comparison table (figure id of
:func:`sim.figures.figures_for`, heading, unit of the Markdown table, kind): the difference
scenario less baseline and its 95% interval."""

CAPACITY = (("capacity_freed_fte", "fte"), ("capacity_freed_dkk", "dkk"))
"""Capacity freed (baseline less scenario, :func:`sim.figures.capacity_freed`): FTE and DKK a
year at each staff type's wage cost per hour."""

STATS = ("", "_ci_low", "_ci_high")

COLUMNS = ("rank", "scenario", "title", "source", "composite", "replications",
           *(f"{fid}{s}" for fid, _ in CAPACITY for s in STATS),
           *(f"{fid}_{s}" for fid, *_ in COMPARISON_FIGURES
             for s in ("baseline", "difference", "ci_low", "ci_high")),
           "warmup_days", "horizon_days", "wall_seconds", "run_folder")
"""The columns of ``catalog.csv``, in plain numbers: FTE, DKK a year, days, shares as
fractions (the on-time share's difference too), seconds."""


# --------------------------------------------------------------------------- rows
def _number(x) -> float | None:
    """``x`` as a float, or None where it is missing (None or NaN)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def catalog_row(scenario: str, title: str, source: str, composite: bool,
                scenario_records: Sequence[dict], baseline_records: Sequence[dict]) -> dict:
    """A scenario's row of the catalog from its experiment's paired records (the columns of
    :data:`COLUMNS` but ``rank``, ``warmup_days``, ``horizon_days``, ``wall_seconds`` and
    ``run_folder``): capacity freed and the comparison table's differences with their 95%
    intervals, exactly as the scenario's own report computes them."""
    row: dict = {"scenario": scenario, "title": title, "source": source,
                 "composite": bool(composite), "replications": len(scenario_records)}
    freed = capacity_freed(scenario_records, baseline_records)
    for (fid, _), key in zip(CAPACITY, ("fte", "dkk")):
        iv = None if freed is None else freed[key]
        row[fid] = None if iv is None else _number(iv.mean)
        row[f"{fid}_ci_low"] = None if iv is None else _number(iv.low)
        row[f"{fid}_ci_high"] = None if iv is None else _number(iv.high)
    table = comparison_table(scenario_records, baseline_records).set_index("figure")
    for fid, *_ in COMPARISON_FIGURES:
        r = table.loc[fid] if fid in table.index else None
        for stat, col in (("baseline", "baseline_mean"), ("difference", "difference"),
                          ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            row[f"{fid}_{stat}"] = None if r is None else _number(r[col])
    return row


def ranked(rows: Sequence[dict]) -> list[dict]:
    """The rows ranked by capacity freed in DKK a year, largest first (rows without it last, in
    the order given), each with its ``rank`` (1, 2, ...)."""
    have = [r for r in rows if r.get("capacity_freed_dkk") is not None]
    lack = [r for r in rows if r.get("capacity_freed_dkk") is None]
    out = sorted(have, key=lambda r: -r["capacity_freed_dkk"]) + lack
    return [{**r, "rank": i} for i, r in enumerate(out, 1)]


def frame(rows: Sequence[dict]) -> pd.DataFrame:
    """``catalog.csv`` as a table (:data:`COLUMNS`), rows ranked."""
    return pd.DataFrame(ranked(rows), columns=list(COLUMNS))


# --------------------------------------------------------------------------- numbers
DECIMALS = {"fte": 2, "dkk": 2, "days": 1, "share": 2}
"""Decimals of a cell by kind (DKK in millions, shares in percentage points)."""
SCALE = {"fte": 1.0, "dkk": 1e-6, "days": 1.0, "share": 100.0}
"""Plain numbers to the unit of the Markdown table (DKK to millions, fractions to points)."""


def _digits(kind: str, *xs) -> int:
    """The kind's decimals, up to two more so the smallest non-zero value does not show as 0."""
    d = DECIMALS[kind]
    mags = [abs(x) * SCALE[kind] for x in xs if x is not None and x != 0]
    while mags and d < DECIMALS[kind] + 2 and min(mags) * 10 ** d < 0.5:
        d += 1
    return d


def cell(kind: str, mean, low, high) -> str:
    """A difference in the table's unit with its 95% interval below it; bold where the
    interval excludes zero; a dash where the figure does not apply."""
    mean, low, high = _number(mean), _number(low), _number(high)
    if mean is None:
        return DASH
    s = SCALE[kind]
    d = _digits(kind, mean, low, high)
    text = signed(mean * s, d)
    if low is None or high is None:
        return text
    if low > 0 or high < 0:
        text = f"**{text}**"
    return f"{text}\n({signed(low * s, d)} to {signed(high * s, d)})"


# --------------------------------------------------------------------------- the chart
PANELS = (("capacity_freed_dkk", "", "Capacity freed\n(DKK million a year)", "dkk"),
          ("operating_cost", "_difference", "Operating cost\n(DKK million a year)", "dkk"),
          ("benefit_dkk", "_difference", "Benefit payments\n(DKK million a year)", "dkk"),
          ("spell_days", "_difference", "Mean time on benefit\n(days)", "days"),
          ("on_time_share", "_difference", "On-time share\n(percentage points)", "share"))
"""The chart's panels: column of the row, suffix of its mean, axis label, kind."""


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def plot_effects(rows: Sequence[dict], path: Path) -> bool:
    """A forest plot of the ranked rows: each panel one effect, each scenario's mean with its
    95% interval as a bar; False (and no file) when there is no row."""
    if not rows:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = ranked(rows)
    n = len(rows)
    fig, axes = plt.subplots(1, len(PANELS), figsize=(15, 1.4 + 0.28 * n), sharey=True,
                             layout="constrained")
    ys = list(range(n))
    for ax, (fid, suffix, label, kind) in zip(axes, PANELS):
        s = SCALE[kind]
        for y, r in zip(ys, rows):
            mean = _number(r.get(fid + suffix))
            if mean is None:
                continue
            low, high = _number(r.get(f"{fid}_ci_low")), _number(r.get(f"{fid}_ci_high"))
            xerr = None if low is None or high is None else [[(mean - low) * s],
                                                             [(high - mean) * s]]
            clear = low is not None and high is not None and (low > 0 or high < 0)
            ax.errorbar(mean * s, y, xerr=xerr, fmt="o", ms=4, capsize=2,
                        color="C0" if clear else "0.55")
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_xlabel(label, fontsize="small")
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize="small")
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels([_short(f"{r['rank']}. {r['title']}") for r in rows],
                            fontsize="small")
    axes[0].set_ylim(n - 0.5, -0.5)
    fig.suptitle("The catalog's effects: mean difference from the baseline and 95% confidence "
                 "interval (blue: the interval excludes zero)", fontsize="medium")
    try:
        atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=100))
    finally:
        plt.close(fig)
    return True


# --------------------------------------------------------------------------- the overlap
@dataclass
class OverlapNote:
    """A composite scenario's overlap in the catalog: its table (``overlap.csv`` of
    :mod:`sim.overlap`), or the reason there is none, and how its replications were chosen."""

    scenario: str
    title: str
    table: pd.DataFrame | None = None
    by_replication: pd.DataFrame | None = None
    reason: str = ""
    replications: int = 0
    counts: dict[str, int] = field(default_factory=dict)   # replications each run holds
    command: str = ""             # the single run that gives the same table


def overlap_paragraphs(note: OverlapNote) -> list[str]:
    """What the catalog says about a composite's overlap besides the table."""
    if note.table is None:
        return [f"The overlap of *{note.title}* (`{note.scenario}`) is not available: "
                f"{note.reason}."]
    counts = sorted(set(note.counts.values()))
    k = len(note.counts) - 1
    if len(counts) == 1:
        reps = (f"all {k + 1} runs (the composite and its {k} proposals) hold the same "
                f"{note.replications} replication{'s' if note.replications != 1 else ''}")
    else:
        n = note.replications
        which = "replication 1" if n == 1 else f"replications 1 to {n}"
        reps = (f"the runs hold {counts[0]} to {counts[-1]} replications (the stopping rule "
                f"ends each comparison on its own), so the table uses the {n} they all have "
                f"in common, {which}")
    return [f"Computed from the catalog's own runs of *{note.title}* and of each of its {k} "
            f"proposals alone, against the same baseline, with the same seeds and overrides: "
            f"{reps}." + (f" `{note.command}` gives the same table." if note.command else "")]


# --------------------------------------------------------------------------- the document
@dataclass
class CatalogInfo:
    """What the catalog's heading says about it."""

    profile: str
    settings: dict[str, str]            # the overrides every scenario was run with
    code_version: str
    horizon_days: int | None = None
    warmup_days: int | str | None = None
    seed: int | None = None
    replications: str | None = None
    pending: list[str] = field(default_factory=list)      # selected but not finished yet
    ignored: dict[str, list[str]] = field(default_factory=dict)  # scenario -> overrides left out


def _profile_words(profile: str) -> str:
    """The jobcenter profile in words ("a small jobcenter")."""
    return profile_words({"jobcenter": {"name": profile}})


def _header() -> list[str]:
    return (["Rank", "Scenario", "Capacity freed (FTE)", "Worth a year (DKK million)"]
            + [f"{label} ({unit})" for _, label, unit, _ in COMPARISON_FIGURES]
            + ["Replications"])


def table_rows(rows: Sequence[dict]) -> list[list[str]]:
    """The Markdown table's rows: one per scenario, ranked, each effect with its interval."""
    out = []
    for r in ranked(rows):
        cells = [str(r["rank"]), f"{r['title']} (`{r['scenario']}`)"]
        for fid, kind in CAPACITY:
            cells.append(cell(kind, r.get(fid), r.get(f"{fid}_ci_low"),
                              r.get(f"{fid}_ci_high")))
        for fid, _, _, kind in COMPARISON_FIGURES:
            cells.append(cell(kind, r.get(f"{fid}_difference"), r.get(f"{fid}_ci_low"),
                              r.get(f"{fid}_ci_high")))
        cells.append(str(r.get("replications", DASH)))
        out.append(cells)
    return out


def _settings_text(info: CatalogInfo) -> str:
    given = " ".join(f"{k}={v}" for k, v in info.settings.items())
    parts = [f"Jobcenter profile: {info.profile} ({_profile_words(info.profile)})"]
    if info.horizon_days is not None:
        parts.append(f"Measured period: {info.horizon_days:,} days after a warm-up of "
                     f"{info.warmup_days} days")
    if info.replications is not None:
        parts.append(f"Replications: {info.replications}")
    if info.seed is not None:
        parts.append(f"Seed: {info.seed}")
    parts.append(f"Overrides: `{given}`" if given else "Overrides: none")
    parts.append(f"Code version: `{info.code_version[:12]}`")
    return " · ".join(parts)


def build_doc(rows: Sequence[dict], info: CatalogInfo, overlaps: Sequence[OverlapNote],
              chart: bool) -> tuple[Doc, str]:
    """The catalog's document (rendered to Markdown and HTML) and its title."""
    from .overlap import overlap_sentences, overlap_table_rows

    n = len(rows)
    title = (f"Scenario catalog: {n} scenario{'s' if n != 1 else ''} on "
             f"{_profile_words(info.profile)}")
    doc = Doc()
    doc.h(1, title)
    doc.p(_settings_text(info))
    if info.pending:
        doc.p(f"*Not finished yet ({len(info.pending)} of the selection): "
              + ", ".join(f"`{s}`" for s in info.pending)
              + ". Run the same command again to go on where it stopped.*")
    doc.h(2, "Ranked by capacity freed")
    if not rows:
        doc.p("No scenario has finished yet.")
    else:
        doc.p("Each row is the scenario's own comparison with the baseline: replications of "
              "both on the same random numbers, the difference taken replication by "
              "replication. Capacity freed is the baseline's required work less the "
              "scenario's (positive: time freed), in FTE and at each staff type's wage cost "
              "per hour, whether or not staff are released; the other columns are the "
              "scenario less the baseline. Below each mean is its 95% confidence interval; "
              "**bold** means the interval excludes zero. The rows are ranked by capacity "
              "freed in DKK a year.")
        doc.table(_header(), table_rows(rows), text_columns=2)
        doc.p("Operating cost covers all staff, management, staff functions, other services "
              "and certificates; benefit payments to citizens are a line of their own, not "
              "part of it. Mean time on benefit follows Little's law over all groups. A dash "
              "means the figure does not apply (for example, no rehabilitation-team cases in "
              "the measured period). Each scenario's full report is "
              "`runs/<scenario>/report.html`.")
    if chart:
        doc.h(2, "The effects and their confidence intervals")
        doc.img(CHART, "Each scenario's effects with their 95% confidence intervals",
                "Each dot is a scenario's mean difference from the baseline, the bar its 95% "
                "confidence interval; scenarios in the order of the table. Capacity freed is "
                "the baseline less the scenario, the other panels the scenario less the "
                "baseline. A bar crossing the vertical line is not a clear difference.")
    for note in overlaps:
        doc.h(2, f"All together and one at a time: the overlap of {note.title}")
        for text in overlap_paragraphs(note):
            doc.p(text)
        if note.table is not None:
            for sentence in overlap_sentences(note.table):
                doc.p(sentence)
            doc.table(["Proposal", "Capacity freed", "Worth a year", "On-time share",
                       "Mean time on benefit", "Operating cost"],
                      overlap_table_rows(note.table))
            doc.p("*Sum of the single proposals* adds their effects replication by "
                  "replication; *overlap* is that sum less the joint effect, so a positive "
                  "overlap in capacity freed is time the single estimates count twice. The "
                  "proposals share the replications' random numbers, so each 95% interval is "
                  "the Student-t interval of the per-replication values, not the half-widths "
                  "added. `overlap.csv` holds the table in plain numbers, "
                  "`overlap_replications.csv` every replication.")
    doc.h(2, "How the catalog was run")
    given = " ".join(f"{k}={v}" for k, v in info.settings.items())
    items = [f"Every row is the run `python -m sim scenario=NAME {given} sensitivity=false "
             "overlap=false`; its folder `runs/NAME/` is that run's complete run folder. The "
             "baseline's replications are simulated once and taken from the baseline cache "
             "for every other scenario.".replace("  ", " "),
             "The sensitivity line (`effects=none` and `effects=high`) is not part of the "
             "catalog; run a scenario alone for it."]
    for scenario, ignored in sorted(info.ignored.items()):
        if ignored:
            items.append(f"`{scenario}` does not switch on the mechanism of "
                         + ", ".join(f"`{o}`" for o in ignored)
                         + "; that override was left out of its run (it would have switched "
                           "the mechanism on).")
    doc.ul(items)
    doc.h(2, "Files")
    files = [f"`{HTML}`: this table as one file (chart included); `{MARKDOWN}` the same as "
             f"Markdown beside `{CHART}`",
             f"`{CSV}`: the table in plain numbers (FTE, DKK a year, days, shares as "
             "fractions), one row per scenario",
             "`runs/<scenario>/`: each scenario's run folder (report, comparison.csv, "
             "replications)",
             "`catalog.json`: the catalog's settings and code version"]
    if any(n.table is not None for n in overlaps):
        files.append("`overlap.csv`, `overlap_replications.csv`: the composite's overlap")
    doc.ul(files)
    return doc, title


def write_catalog(out: Path, rows: Sequence[dict], info: CatalogInfo,
                  overlaps: Sequence[OverlapNote] = ()) -> None:
    """Write ``catalog.csv``, the chart, ``catalog.md``, ``catalog.html`` and the composite's
    ``overlap.csv`` (:func:`sim.overlap.write_overlap`) into ``out``, each atomically. With
    several composites the overlap files are the first available one's."""
    from .overlap import Overlap, write_overlap

    out = Path(out)
    table = frame(rows)
    atomic_write(out / CSV, lambda p: table.to_csv(p, index=False))
    chart = plot_effects(rows, out / CHART)
    if not chart:
        (out / CHART).unlink(missing_ok=True)
    available = [n for n in overlaps if n.table is not None]
    write_overlap(out, Overlap(available[0].table, available[0].by_replication)
                  if available else None)
    doc, title = build_doc(rows, info, overlaps, chart)
    atomic_write_text(out / MARKDOWN, doc.markdown())
    atomic_write_text(out / HTML, doc.html(title, out))
