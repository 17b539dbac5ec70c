"""Warm-up analysis: how long to simulate before measuring (MSER-5 and Welch's method).

The model starts from a steady-state-like stock of citizens with elapsed spell durations, but
three things start cold: the caseworkers' appointment books are empty on day 0 (the initial
stock's first talks all fall due in the first weeks), the job clarification and resource course
groups start (nearly) empty and fill only by transfers, and with them the rehabilitation
caseworkers' workload. Results measured from day 0 therefore carry an initialisation bias.

* :func:`mser` (MSER-m; MSER-5 with ``batch=5``, White 1997; White, Cobb and Spratt 2000) picks
  the truncation point that minimises the marginal standard error of the remaining mean. It
  works on one long run; the search is limited to the first half of the series, and a minimum at
  that limit means the series has not settled (run longer or look at the series).
* :func:`welch` (Welch 1983) averages replications and smooths them with a moving window, for a
  warm-up judged by eye.
* :func:`pilot_series` runs a pilot of the model without warm-up and returns the series MSER-5
  is applied to; :func:`choose_warmup` turns them into one warm-up length (the largest
  truncation over the series, rounded up to whole weeks). ``warmup_days=auto`` on the command
  line uses it; ``python -m sim.warmup [overrides]`` prints the analysis and draws a Welch plot.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

DEFAULT_WARMUP_DAYS = 182
"""The default ``warmup_days`` in ``conf/config.yaml`` (26 weeks; README, section Warm-up)."""

PILOT_DAYS = 730
"""Length of the pilot run (days): MSER searches its first half, up to one year."""

EXCLUDED_SERIES = ("stock: resource_course",)
"""Series left out of the automatic choice: the resource course stock (mean spell 30 months,
filled only by rehabilitation-team decisions) keeps growing for years; that is a slow change of
the system the model represents (the course was new in 2013), not an initialisation bias a
warm-up could remove."""


@dataclass
class MserResult:
    """Outcome of MSER-m on one series (positions in observations of the original series)."""

    truncation: int          # observations to delete from the start
    n: int                   # length of the series
    batch: int
    statistic: list[float]   # MSER value for each candidate truncation (in batches)
    settled: bool            # False when the minimum lies at the end of the search range

    @property
    def share(self) -> float:
        """The truncated share of the series."""
        return self.truncation / self.n if self.n else 0.0


def batch_means(series: Sequence[float], batch: int) -> np.ndarray:
    """Means of consecutive non-overlapping batches of ``batch`` observations (a short tail is
    dropped)."""
    x = np.asarray(series, dtype=float)
    k = len(x) // batch
    return x[:k * batch].reshape(k, batch).mean(axis=1) if k else np.empty(0)


def mser(series: Sequence[float], batch: int = 5, max_share: float = 0.5) -> MserResult:
    """MSER-``batch``: the truncation point minimising the marginal standard error rule.

    With batch means Z_1..Z_k, MSER(d) = sum_{j>d} (Z_j - mean_{j>d} Z)^2 / (k - d)^2 for
    d = 0 .. floor(max_share * k); the truncation is d* x ``batch`` observations. A constant
    series gives 0.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    z = batch_means(series, batch)
    k = len(z)
    if k < 2:
        return MserResult(0, len(series), batch, [], settled=False)
    d_max = max(0, min(k - 2, int(math.floor(max_share * k))))
    # suffix sums give every candidate's mean and sum of squares in O(k)
    rev = z[::-1]
    s1 = np.cumsum(rev)[::-1]              # sum_{j>=d} z_j
    s2 = np.cumsum(rev * rev)[::-1]
    stats = []
    for d in range(d_max + 1):
        m = k - d
        ss = max(s2[d] - s1[d] * s1[d] / m, 0.0)
        stats.append(float(ss / (m * m)))
    best = int(np.argmin(np.round(stats, 12)))   # ties (constant series) -> earliest
    settled = best < d_max or d_max == 0
    return MserResult(best * batch, len(series), batch, stats, settled)


def mser5(series: Sequence[float]) -> MserResult:
    """MSER with batches of five observations."""
    return mser(series, batch=5)


def welch(replications: Sequence[Sequence[float]], window: int) -> np.ndarray:
    """Welch's method: average the replications point by point, then smooth with a centred
    moving average of half-width ``window`` (shrinking near the start, as Welch proposed)."""
    runs = np.asarray([list(r) for r in replications], dtype=float)
    if runs.ndim != 2 or runs.shape[1] == 0:
        return np.empty(0)
    avg = runs.mean(axis=0)
    n = len(avg)
    out = []
    for i in range(n - window):
        w = min(i, window)
        out.append(avg[i - w:i + w + 1].mean())
    return np.asarray(out)


# --------------------------------------------------------------------------- the model's series
def workday_utilisation(pool) -> list[float]:
    """A staff pool's daily share of bookable time worked, on days with time available."""
    bookable_share = 1.0 - pool.non_bookable_share
    return [w / (a * bookable_share) for a, w in zip(pool.day_available, pool.day_worked)
            if a > 0 and bookable_share > 0]


def pilot_series(result) -> dict[str, tuple[list[float], float]]:
    """Series of a run without warm-up: name -> (values, days per observation).

    Stocks of each group (weekly samples) and of all groups together, and each caseworker pool's
    utilisation of bookable time (per working day, 5 a week, i.e. 1.4 calendar days each).
    """
    from .config import GROUPS

    out: dict[str, tuple[list[float], float]] = {}
    samples = result.counters.stock_samples
    if len(samples) > 1:
        step = float(samples[1][0] - samples[0][0])
        out["stock: all groups"] = ([float(sum(s)) for _, s in samples], step)
        for i, g in enumerate(GROUPS):
            values = [float(s[i]) for _, s in samples]
            if any(values):
                out[f"stock: {g}"] = (values, step)
    for name, pool in result.pools.items():
        if pool.staff_type == "caseworker" and pool.n > 0:
            out[f"utilisation: {name}"] = (workday_utilisation(pool), 7.0 / 5.0)
    return out


@dataclass
class WarmupChoice:
    """A warm-up length chosen by MSER-5 and the per-series results behind it."""

    days: int
    method: str
    pilot_days: int
    per_series: dict[str, dict]        # name -> {"days", "settled", "excluded"}
    deciding_series: str | None


def choose_warmup(series: dict[str, tuple[list[float], float]], pilot_days: int,
                  batch: int = 5, excluded: Sequence[str] = EXCLUDED_SERIES) -> WarmupChoice:
    """The largest MSER truncation (in days) over the series not excluded, rounded up to weeks."""
    per, best, deciding = {}, 0.0, None
    for name, (values, step) in series.items():
        r = mser(values, batch=batch)
        days = r.truncation * step
        skip = name in excluded
        per[name] = {"days": days, "settled": r.settled, "excluded": skip}
        if not skip and days > best:
            best, deciding = days, name
    weeks = int(math.ceil(best / 7.0 - 1e-9))
    limit = 7 * int(pilot_days // 2 // 7)        # the end of MSER's search range, in weeks
    return WarmupChoice(min(7 * weeks, limit), f"MSER-{batch}", pilot_days, per, deciding)


def pilot(cfg, replication: int = 0, days: int = PILOT_DAYS):
    """Run ``cfg`` without warm-up for ``days`` days (no event log), sampling the stocks daily
    instead of weekly, and return the result."""
    from .model import Model, RunResult

    class DailyStockModel(Model):
        def _sample_stocks(self):
            env, counters = self.env, self.counters
            groups = list(counters.groups)
            while True:
                counters.stock_samples.append(
                    (int(env.now), [counters.groups[g].stock for g in groups]))
                if env.now + 1 > self.horizon:
                    return
                yield env.timeout(1)

    pilot_cfg = replace(cfg, warmup_days=0, horizon_days=days, event_log=False, progress=False)
    model = DailyStockModel(pilot_cfg, replication)
    model.run()
    return RunResult(pilot_cfg, replication, model.counters, model.log, model.pools, 0.0,
                     len(model.alive))


def auto_warmup(cfg, replications: int = 1, days: int = PILOT_DAYS) -> WarmupChoice:
    """``warmup_days=auto``: MSER-5 over the series of pilot runs of ``cfg`` (the baseline).

    With several pilot replications, MSER-5 is applied to the replications' average series.
    """
    runs = [pilot_series(pilot(cfg, i, days)) for i in range(replications)]
    merged = {}
    for name, (values, step) in runs[0].items():
        seqs = [r[name][0] for r in runs if name in r]
        n = min(len(s) for s in seqs)
        merged[name] = (list(np.mean([s[:n] for s in seqs], axis=0)), step)
    return choose_warmup(merged, days)


# --------------------------------------------------------------------------- command line
def _plot(runs: list[dict], choice: WarmupChoice, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in runs[0] if n.startswith("utilisation") or n in
             ("stock: all groups", "stock: job_clarification", "stock: resource_course")]
    fig, axes = plt.subplots(len(names), 1, figsize=(8, 2.2 * len(names)), sharex=True,
                             layout="constrained")
    for ax, name in zip(np.atleast_1d(axes), names):
        step = runs[0][name][1]
        seqs = [r[name][0] for r in runs]
        n = min(len(s) for s in seqs)
        window = max(1, int(round(28 / step)))
        smooth = welch([s[:n] for s in seqs], window)
        ax.plot(np.arange(len(smooth)) * step, smooth, color="C0")
        ax.axvline(choice.days, color="C3", linestyle="--")
        ax.set_title(name, fontsize="small")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[-1].set_xlabel("Day of the pilot run")
    fig.suptitle(f"Welch plot ({len(runs)} replications, 4-week moving average); "
                 f"dashed: {choice.method} warm-up {choice.days} days", fontsize="small")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.warmup [--replications N] [--plot FILE] [overrides]``: MSER-5 report."""
    import argparse

    from .configure import compose
    from .schema import ConfigError

    parser = argparse.ArgumentParser(prog="python -m sim.warmup", description=(
        "Warm-up analysis: pilot runs without warm-up, MSER-5 per series, the chosen warm-up."))
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--days", type=int, default=PILOT_DAYS)
    parser.add_argument("--plot", type=Path, default=None, help="write a Welch plot (PNG)")
    parser.add_argument("overrides", nargs="*", help="configuration overrides, key=value")
    args = parser.parse_args(argv)
    try:
        cfg, _ = compose(list(args.overrides))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2)
    runs = []
    for i in range(args.replications):
        print(f"pilot replication {i + 1}/{args.replications} ({args.days} days)", file=sys.stderr)
        runs.append(pilot_series(pilot(cfg, i, args.days)))
    print(f"{'series':32s} " + " ".join(f"rep {i + 1:>3d}" for i in range(len(runs)))
          + "   (MSER-5 truncation, days; * = minimum at the search limit: not settled)")
    for name in runs[0]:
        cells = []
        for r in runs:
            values, step = r[name]
            res = mser5(values)
            cells.append(f"{res.truncation * step:5.0f}{'' if res.settled else '*'}")
        flag = "  (excluded)" if name in EXCLUDED_SERIES else ""
        print(f"{name:32s} " + " ".join(f"{c:>7s}" for c in cells) + flag)
    merged = {}
    for name, (_, step) in runs[0].items():
        seqs = [r[name][0] for r in runs]
        n = min(len(s) for s in seqs)
        merged[name] = (list(np.mean([s[:n] for s in seqs], axis=0)), step)
    choice = choose_warmup(merged, args.days)
    print("MSER-5 on the average of the replications: " + "; ".join(
        f"{name} {r['days']:.0f}{'' if r['settled'] else '*'}"
        for name, r in choice.per_series.items()))
    print(f"MSER-5 on the average of {len(runs)} replications: warm-up {choice.days} days "
          f"(decided by {choice.deciding_series})")
    if args.plot:
        _plot(runs, choice, args.plot)
        print(f"Welch plot: {args.plot}")


if __name__ == "__main__":
    main()
