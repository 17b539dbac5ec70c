"""The overlap of a composite scenario: its joint effect beside the sum of its components'.

A composite scenario (``compose:`` in its file, e.g. ``qb14_all``) runs every component's
changes and mechanisms at once (:func:`sim.configure.compose_scenarios`). Proposals that act on
the same staff and citizens need not add up: a talk one of them postpones cannot also be booked
more cheaply by another. QB14 estimated each proposal in isolation and took an overlap off its
total only; here the overlap emerges from the model.

After the joint comparison, each component is compared with the same baseline on its own: the
component's configuration composed from the same command-line overrides (those of mechanisms it
does not switch on left out), the warm-up the joint run resolved, ``replications`` fixed at the
joint run's count, the same seed and therefore the same random streams. The baseline's
replications come from the baseline cache (:class:`sim.experiment.BaselineCache`), so they are
not simulated again. For each figure and replication ``i``:

* a component's effect is its paired difference in ``i`` (capacity freed: baseline less
  scenario; every other figure: scenario less baseline);
* the *sum of the single proposals* is the sum of the components' effects in ``i``;
* the *joint* effect is the composite's paired difference in ``i``;
* the *overlap* is the sum less the joint effect in ``i``: positive when the proposals achieve
  less together than their single effects added up.

Each row's 95% interval is the Student-t interval over the replications of these per-replication
values. The components are run on the same random numbers, so their errors are correlated: the
interval of the sum is that of the per-replication sums, not a sum of half-widths.

``overlap.csv`` holds one row per component, then the sum, the joint effect and the overlap;
``overlap_replications.csv`` the same rows replication by replication. ``overlap=false``
(``conf/config.yaml``) skips the extra runs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from .figures import (figures_for, freed_dkk, freed_fte, mean_ci, operating_cost_per_year,
                      values, Figure)

FILE = "overlap.csv"
REPLICATIONS_FILE = "overlap_replications.csv"

SUM, JOINT, OVERLAP = "sum", "joint", "overlap"
ROW_LABELS = {SUM: "sum of the single proposals", JOINT: "all together",
              OVERLAP: "overlap (sum - joint)"}
"""The rows after the components' (``row`` column) and their labels."""


@dataclass(frozen=True)
class OverlapFigure:
    """One column of the overlap table: a figure of a record and how its effect is oriented."""

    id: str
    words: str                    # for sentences: "capacity freed"
    kind: str                     # fte, dkk, share, days (as the comparison report formats)
    value: Callable[[dict], float | None] | None
    freed: bool = False           # True: the effect is baseline less scenario (time freed)
    pair: Callable[[dict, dict], float | None] | None = None   # the effect of (scenario,
                                  # baseline) records of one replication, where not a difference


def _figure(fid: str) -> Callable[[dict], float | None]:
    """The value function of the comparison's figure ``fid`` (:func:`sim.figures.figures_for`):
    the same function the comparison report's on-time and time-on-benefit rows use."""
    def value(rec: dict) -> float | None:
        fig = next(f for f in figures_for(rec) if f.id == fid)
        return values(fig, [rec])[0]
    return value


FIGURES = (
    OverlapFigure("capacity_freed_fte", "capacity freed", "fte", None, pair=freed_fte),
    OverlapFigure("capacity_freed_dkk", "capacity freed, worth a year", "dkk", None,
                  pair=freed_dkk),
    OverlapFigure("on_time_share_change", "the share of mandated talks held on time", "share",
                  _figure("on_time_share")),
    OverlapFigure("spell_days_change", "mean time on benefit", "days", _figure("spell_days")),
    OverlapFigure("operating_cost_change", "operating cost", "dkk", operating_cost_per_year),
)
"""The columns: capacity freed (FTE and DKK a year at each staff type's wage cost per hour, as
:func:`sim.figures.capacity_freed`), the change in the on-time share (a fraction), in mean time
on benefit (days, Little's law) and in operating cost (DKK a year)."""

COLUMNS = ("row", "label", "scenario", "replications",
           *(f"{f.id}{s}" for f in FIGURES for s in ("", "_ci_low", "_ci_high")))
"""The columns of ``overlap.csv``."""


@dataclass
class Overlap:
    """The overlap of a composite run: the table (``overlap.csv``) and its rows replication by
    replication (``overlap_replications.csv``)."""

    table: pd.DataFrame
    by_replication: pd.DataFrame


# --------------------------------------------------------------------------- configurations
def components_of(description: dict | None) -> list[str]:
    """The component scenarios of a composite's description (empty for a single scenario)."""
    return [c["scenario"] for c in (description or {}).get("components") or []]


def split_component_overrides(overrides: Sequence[str], component: str
                              ) -> tuple[list[str], list[str]]:
    """The overrides for ``component``'s composition, and those it leaves out: an override of a
    mechanism neither the component nor the baseline switches on applies to the composite only
    (it would switch the mechanism on in the component). The scenario choice is replaced."""
    from .configure import load_scenario
    from .experiment import baseline_mechanisms, split_overrides

    used = {*load_scenario(component)["mechanisms"], *baseline_mechanisms()}
    return split_overrides(overrides, component, used)


def compose_components(overrides: Sequence[str], description: dict
                       ) -> list[tuple[Any, dict]]:
    """(configuration, description) of each component of the composite ``description``,
    composed from the command-line ``overrides`` as ``python -m sim`` would
    (:func:`sim.configure.compose`)."""
    from .configure import compose

    return [compose(split_component_overrides(overrides, c)[0]) for c in
            components_of(description)]


def component_configs(composed, task_overrides: Sequence[str], description: dict
                      ) -> list[tuple[Any, dict]]:
    """As :func:`compose_components`, from the Hydra-composed configuration of the composite
    inside a running Hydra task (as :func:`sim.experiment.baseline_config`)."""
    from omegaconf import DictConfig, OmegaConf

    from .configure import apply_scenario
    from .experiment import _mechanism_of

    out = []
    for component in components_of(description):
        raw = OmegaConf.to_container(composed, resolve=True) \
            if isinstance(composed, DictConfig) else dict(composed)
        raw.pop("hydra", None)
        raw["scenario"] = component
        kept, ignored = split_component_overrides(task_overrides, component)
        for o in ignored:         # Hydra composed them into the mechanisms node: take them out
            (raw.get("mechanisms") or {}).pop(_mechanism_of(o), None)
        out.append(apply_scenario(raw, kept))
    return out


# --------------------------------------------------------------------------- the runs
def run_overlap(exp, components: Sequence[tuple[Any, dict]], *,
                cache_dir: Path | str | None | bool = None, workers: int | None = None,
                log: Callable[[str], None] | None = None,
                progress_factory: Callable[[str], Callable[[float], None]] | None = None
                ) -> Overlap | None:
    """The overlap of the finished joint experiment ``exp`` with each of ``components``
    ((configuration, description), :func:`component_configs`), or None when there is none to
    make (``exp`` is not a comparison, ``overlap=false``, or no components).

    Each component is a comparison of its own (:func:`sim.experiment.run_experiment`) with the
    joint run's baseline configuration, warm-up and number of replications; ``cache_dir``,
    ``workers`` (None: the joint run's), ``log`` and ``progress_factory`` are passed on.
    """
    from .experiment import run_experiment

    if exp.is_baseline or not exp.cfg.runs_overlap or not components:
        return None
    n = exp.replications
    k = len(components)
    if log:
        log(f"overlap: each of the {k} proposals alone against the same baseline ({n} "
            f"replication{'s' if n != 1 else ''} each, the same seeds; the baseline's "
            "replications from the cache)")
    base = dataclasses.replace(exp.base_cfg, replications=n, event_log=False)
    singles = []
    for j, (cfg, description) in enumerate(components, 1):
        cfg = dataclasses.replace(cfg, warmup_days=exp.cfg.warmup_days, replications=n,
                                  event_log=False, sensitivity=False, overlap=False)
        sub = run_experiment(cfg, description, base, exp.base_description,
                             cache_dir=cache_dir,
                             workers=exp.workers if workers is None else workers, log=log,
                             progress_factory=progress_factory,
                             label=f"{cfg.scenario} / {cfg.jobcenter.name} (alone, {j} of {k})")
        singles.append((cfg.scenario, description.get("title") or cfg.scenario,
                        sub.scenario_records, sub.baseline_records))
    by_rep = replication_differences(singles, exp.scenario_records, exp.baseline_records)
    return Overlap(overlap_table(by_rep), by_rep)


# --------------------------------------------------------------------------- the table
def _effects(fig: OverlapFigure, scenario: Sequence[dict], baseline: Sequence[dict]
             ) -> list[float | None]:
    """``fig``'s paired effect in each replication (None where either side lacks it)."""
    if fig.pair is not None:
        return [fig.pair(s, b) for s, b in zip(scenario, baseline)]
    plain = Figure("", "", "", "", "", fig.value)
    out = []
    for s, b in zip(values(plain, scenario), values(plain, baseline)):
        out.append(None if s is None or b is None else (b - s if fig.freed else s - b))
    return out


def _paired(scenario: Sequence[dict], baseline: Sequence[dict]) -> None:
    if len(scenario) != len(baseline) or any(
            s.get("replication") != b.get("replication") for s, b in zip(scenario, baseline)):
        raise ValueError("the scenario and the baseline need the same replications, in order")


def replication_differences(singles: Sequence[tuple[str, str, Sequence[dict], Sequence[dict]]],
                            joint: Sequence[dict], baseline: Sequence[dict]) -> pd.DataFrame:
    """One row per table row and replication: each component's effects (``singles``: name,
    title, its scenario records, its baseline records), their sum, the joint effect (``joint``
    against ``baseline``) and the overlap (sum less joint), one column per figure of
    :data:`FIGURES`. All record lists hold replications ``0..n-1`` in order."""
    _paired(joint, baseline)
    reps = [r["replication"] for r in baseline]
    rows: list[dict] = []
    per_component = []
    for name, title, scen, base in singles:
        _paired(scen, base)
        if [r["replication"] for r in base] != reps:
            raise ValueError(f"component {name} was not run on the joint run's replications")
        effects = {f.id: _effects(f, scen, base) for f in FIGURES}
        per_component.append(effects)
        rows += [{"row": name, "label": title, "scenario": name, "replication": i,
                  **{fid: effects[fid][k] for fid in effects}} for k, i in enumerate(reps)]
    joint_effects = {f.id: _effects(f, joint, baseline) for f in FIGURES}
    total: dict[str, list] = {f.id: [] for f in FIGURES}
    over: dict[str, list] = {f.id: [] for f in FIGURES}
    for f in FIGURES:
        for k in range(len(reps)):
            parts = [e[f.id][k] for e in per_component]
            t = None if not parts or any(p is None for p in parts) else sum(parts)
            j = joint_effects[f.id][k]
            total[f.id].append(t)
            over[f.id].append(None if t is None or j is None else t - j)
    joint_name = joint[0]["scenario"] if joint else ""
    for row, scenario, effects in ((SUM, "", total), (JOINT, joint_name, joint_effects),
                                   (OVERLAP, "", over)):
        rows += [{"row": row, "label": ROW_LABELS[row], "scenario": scenario, "replication": i,
                  **{fid: effects[fid][k] for fid in effects}} for k, i in enumerate(reps)]
    return pd.DataFrame(rows, columns=["row", "label", "scenario", "replication",
                                       *(f.id for f in FIGURES)])


def overlap_table(by_replication: pd.DataFrame) -> pd.DataFrame:
    """``overlap.csv`` from :func:`replication_differences`: per row its mean effect and the
    95% Student-t interval over the replications, for each figure (:data:`COLUMNS`)."""
    out = []
    for row, block in by_replication.groupby("row", sort=False):
        first = block.iloc[0]
        entry: dict[str, Any] = {"row": row, "label": first["label"],
                                 "scenario": first["scenario"], "replications": len(block)}
        for f in FIGURES:
            iv = mean_ci([None if pd.isna(x) else float(x) for x in block[f.id]])
            entry[f.id], entry[f"{f.id}_ci_low"], entry[f"{f.id}_ci_high"] = \
                iv.mean, iv.low, iv.high
        out.append(entry)
    return pd.DataFrame(out, columns=list(COLUMNS))


# --------------------------------------------------------------------------- files
def write_overlap(run_dir: Path | str, overlap: Overlap | None) -> None:
    """Write ``overlap.csv`` and ``overlap_replications.csv`` into ``run_dir`` (atomically);
    with no overlap, remove any an earlier run left there, so that a report never shows
    another run's."""
    from .output import atomic_write

    run_dir = Path(run_dir)
    if overlap is None:
        for name in (FILE, REPLICATIONS_FILE):
            (run_dir / name).unlink(missing_ok=True)
        return
    atomic_write(run_dir / FILE, lambda p: overlap.table.to_csv(p, index=False))
    atomic_write(run_dir / REPLICATIONS_FILE,
                 lambda p: overlap.by_replication.to_csv(p, index=False))


def load_overlap(run_dir: Path | str | None) -> pd.DataFrame | None:
    """The ``overlap.csv`` of a run directory, or None when it has none."""
    if run_dir is None:
        return None
    path = Path(run_dir) / FILE
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


# --------------------------------------------------------------------------- words
def _cell(kind: str, mean, low, high, bold: bool = False) -> str:
    """An effect with its 95% interval below it, as the report's tables write them."""
    from .comparison_report import DASH, _digits, _missing, fmt_ci, fmt_diff

    if _missing(mean):
        return DASH
    unit = "days" if kind == "days" else ""
    d = _digits(kind, mean, low, high)
    text = fmt_diff(kind, unit, mean, d)
    if bold:
        text = f"**{text}**"
    ci = fmt_ci(kind, unit, low, high, d)
    return text + ("" if ci == DASH else f"\n({ci})")


def _row_of(table: pd.DataFrame, row: str):
    hits = table[table["row"] == row]
    return None if hits.empty else hits.iloc[0]


def _clear(r, fid: str) -> bool | None:
    """True when the 95% interval of ``fid`` in row ``r`` excludes zero; None without one."""
    from .comparison_report import _missing

    lo, hi = r[f"{fid}_ci_low"], r[f"{fid}_ci_high"]
    if _missing(lo) or _missing(hi):
        return None
    return bool(lo > 0 or hi < 0)


def _amount(kind: str, x, digits: int | None = None) -> str:
    """An amount without sign: "2.41 FTE", "DKK 1.05 million", "0.53 percentage points"."""
    from .comparison_report import _digits, fmt_diff, fmt_money

    if kind == "dkk":
        return fmt_money(x)
    d = _digits(kind, x) if digits is None else digits
    unit = "days" if kind == "days" else ""
    return fmt_diff(kind, unit, abs(x), d).lstrip("+")


def _interval(kind: str, r, fid: str) -> str:
    from .comparison_report import _missing, fmt_ci

    lo, hi = r[f"{fid}_ci_low"], r[f"{fid}_ci_high"]
    if _missing(lo):
        return ""
    return f" (95% CI {fmt_ci(kind, 'days' if kind == 'days' else '', lo, hi)})"


def overlap_sentences(table: pd.DataFrame) -> list[str]:
    """What a policy analyst can quote: capacity freed all together, by the single proposals
    added up, and the overlap between them (FTE and DKK a year, 95% intervals); then the same
    three for the on-time share, time on benefit and operating cost."""
    from .comparison_report import _missing, fmt_diff

    joint, total, over = (_row_of(table, r) for r in (JOINT, SUM, OVERLAP))
    if joint is None or total is None or over is None:
        return []
    k = int((~table["row"].isin([SUM, JOINT, OVERLAP])).sum())
    out = []
    fte, dkk = "capacity_freed_fte", "capacity_freed_dkk"
    if not _missing(joint[fte]) and not _missing(total[fte]):
        text = (f"All together, the {k} proposals free {_amount('fte', joint[fte])} of staff "
                f"time" if joint[fte] >= 0 else
                f"All together, the {k} proposals add {_amount('fte', joint[fte])} of required "
                "work")
        text += (f"{_interval('fte', joint, fte)}, worth {_amount('dkk', joint[dkk])} a year "
                 f"at the wage cost per hour. One at a time, against the same baseline and on "
                 f"the same replications, they {'free' if total[fte] >= 0 else 'add'} "
                 f"{_amount('fte', total[fte])} added up{_interval('fte', total, fte)}, worth "
                 f"{_amount('dkk', total[dkk])} a year.")
        clear = _clear(over, fte)
        share = "" if not total[fte] or clear is False else \
            f" ({abs(over[fte] / total[fte]):.0%} of the sum)"
        if over[fte] >= 0:
            meaning = ("the proposals free less together than one at a time: they partly act "
                       "on the same work, so adding up their single effects counts that time "
                       "twice")
        else:
            meaning = ("the proposals free more together than one at a time: they reinforce "
                       "each other")
        text += (f" The overlap, the sum less the joint effect, is "
                 f"{fmt_diff('fte', '', over[fte])}{_interval('fte', over, fte)}, "
                 f"{fmt_diff('dkk', '', over[dkk])} a year{share}: ")
        if clear is False:
            text += ("not clearly different from none, so here the single effects add up "
                     "(within the simulation's noise).")
        else:
            text += meaning + "."
        out.append(text)
    parts = []
    for fid, words, kind in (("on_time_share_change", "on-time share", "share"),
                             ("spell_days_change", "mean time on benefit", "days"),
                             ("operating_cost_change", "operating cost a year", "dkk")):
        if _missing(joint[fid]) or _missing(total[fid]):
            continue
        unit = "days" if kind == "days" else ""
        parts.append(f"{words} {fmt_diff(kind, unit, joint[fid])} together, "
                     f"{fmt_diff(kind, unit, total[fid])} added up, overlap "
                     f"{fmt_diff(kind, unit, over[fid])}{_interval(kind, over, fid)}")
    if parts:
        out.append("The other headline changes (together; the single proposals added up; the "
                   "overlap): " + "; ".join(parts) + ".")
    return out


def overlap_table_rows(table: pd.DataFrame) -> list[list[str]]:
    """The report's table: one row per component, the sum, all together and the overlap; each
    cell the effect with its 95% interval (bold where it excludes zero, in the three total
    rows)."""
    rows = []
    for _, r in table.iterrows():
        total = r["row"] in (SUM, JOINT, OVERLAP)
        label = str(r["label"])
        label = f"**{label[0].upper() + label[1:]}**" if total else label
        cells = [label]
        for f in FIGURES:
            cells.append(_cell(f.kind, r[f.id], r[f"{f.id}_ci_low"], r[f"{f.id}_ci_high"],
                               bold=total and bool(_clear(r, f.id))))
        rows.append(cells)
    return rows


def overlap_section(doc, runs) -> None:
    """The report's section on the overlap of each composite run that has one (its run
    folder's ``overlap.csv``): the sentences to quote, the table and how to read it."""
    with_table = [(r, load_overlap(r.run_dir)) for r in runs]
    with_table = [(r, t) for r, t in with_table if t is not None and not t.empty]
    if not with_table:
        return
    doc.h(2, "All together and one at a time: the overlap")
    for r, table in with_table:
        if len(runs) > 1:
            doc.p(f"*{r.title}*")
        for sentence in overlap_sentences(table):
            doc.p(sentence)
        doc.table(["Proposal", "Capacity freed", "Worth a year", "On-time share",
                   "Mean time on benefit", "Operating cost"], overlap_table_rows(table))
    n = int(with_table[0][1]["replications"].max())
    doc.p("Each proposal was run on its own against the same baseline, with the same "
          f"{n} replication{'s' if n != 1 else ''} and random numbers as the joint run. Capacity "
          "freed is the baseline's required work less the scenario's (positive: time freed); the "
          "other columns are the scenario less the baseline. *Sum of the single proposals* adds "
          "their effects replication by replication; *overlap* is that sum less the joint effect, "
          "so a positive overlap in capacity freed is time the single estimates count twice. "
          "Each 95% confidence interval is the Student-t interval over the replications; the "
          "proposals share the replications' random numbers, so the interval of the sum is that "
          "of the per-replication sums, not the half-widths added. QB14 estimated each proposal "
          "in isolation and took DKK 33-56 million off its national total for overlap; here the "
          "overlap is measured. `overlap.csv` holds the table in plain numbers, "
          "`overlap_replications.csv` every replication.")


def overlap_lines(overlap: Overlap | None) -> list[str]:
    """A line for the terminal: capacity freed all together, added up, and the overlap."""
    from .comparison_report import DASH, fmt_ci, fmt_diff

    if overlap is None:
        return []
    t = overlap.table
    joint, total, over = (_row_of(t, r) for r in (JOINT, SUM, OVERLAP))
    fid = "capacity_freed_fte"
    if any(x is None or pd.isna(x[fid]) for x in (joint, total, over)):
        return []
    ci = fmt_ci("fte", "FTE", over[f"{fid}_ci_low"], over[f"{fid}_ci_high"])
    return [f"  Overlap: capacity freed all together {fmt_diff('fte', 'FTE', joint[fid])}, "
            f"the {len(t) - 3} proposals one at a time {fmt_diff('fte', 'FTE', total[fid])} "
            f"added up; overlap (sum - joint) {fmt_diff('fte', 'FTE', over[fid])}"
            + (f" (95% CI {ci})" if ci != DASH else "") + " (overlap.csv)"]
