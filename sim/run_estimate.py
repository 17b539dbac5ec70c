"""How long a comparison still has to run, and its precision in plain words.

With ``replications=auto`` the number of replications is not known in advance: the stopping
rule adds replications until every key figure's 95% confidence interval is narrow enough
(:mod:`sim.experiment`). After each replication the number still needed is estimated from the
half-widths so far (a half-width shrinks about as one over the square root of the number of
replications), and the time left from the time the replications done have taken. Both are
estimates, and the progress lines say so.
"""
from __future__ import annotations

import math
from typing import Any

from .figures import t_quantile

LOOKAHEAD_DEFAULT = 2


def replications_needed(setting: Any, n_done: int, status: list[dict], converged_at: int | None,
                        n_min: int, n_max: int, lookahead: int = LOOKAHEAD_DEFAULT) -> int:
    """The number of replications the run will make in all (an estimate for ``auto``).

    ``setting``: the ``replications`` value (a number, or ``"auto"``); ``status``: the stopping
    rule's key figures after ``n_done`` replications (``half_width``, ``target``, ``met``);
    ``converged_at``: the replication at which every target was first met (None: not yet).
    A half-width after ``n`` replications is ``t(n) s / sqrt(n)`` (Student's t quantile, the
    standard deviation ``s`` of the paired differences): with ``s`` as estimated so far, a figure
    needs the first ``n'`` with ``t(n') s / sqrt(n')`` within its target; the rule then looks
    ``lookahead`` replications further.
    """
    if setting != "auto":
        return int(setting)
    if converged_at is not None:
        need = converged_at + lookahead
    else:
        need = n_done
        for s in status:
            hw, target = s.get("half_width"), s.get("target")
            if s.get("met") or hw is None or n_done < 2:
                continue
            if not target or target <= 0:
                need = n_max                  # cannot be met: the budget decides
                break
            spread = hw * math.sqrt(n_done) / t_quantile(n_done)
            k = n_done
            while k < n_max and t_quantile(k) * spread / math.sqrt(k) > target:
                k += 1
            need = max(need, k)
        # the rule first judges the targets at n_min, so it stops at n_min + lookahead at the
        # earliest
        need = max(need, n_min) + lookahead
    return max(min(need, n_max), n_min, n_done)


def seconds_left(elapsed: float, n_done: int, n_total: int) -> float:
    """Time left (s) at the pace so far: ``elapsed`` seconds for ``n_done`` replications."""
    if n_done <= 0 or n_total <= n_done:
        return 0.0
    return elapsed / n_done * (n_total - n_done)


def duration_words(seconds: float) -> str:
    """``about 40 s``, ``about 3 min``, ``about 1 h 10 min``."""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60} min"


def amount_words(value: float, kind: str, unit: str) -> str:
    """An amount of a figure in words: ``DKK 28,600``, ``0.21 points``, ``0.04 FTE``."""
    if kind == "share":
        return f"{100 * value:.2f} points"
    if kind == "dkk":
        return f"DKK {value:,.0f}"
    if kind == "fte":
        return f"{value:.2f} FTE"
    if kind == "count":
        return f"{value:,.0f} {unit}".rstrip()
    if kind == "days":
        return f"{value:.1f} days"
    return f"{value:,.3g} {unit}".rstrip()


SHORT_LABELS = {"operating_cost": "operating cost", "required_work_fte": "required work",
                "staff_time_used_fte": "staff time used", "talks_held": "talks held",
                "on_time_share": "on-time share"}


def precision_words(s: dict) -> str:
    """One key figure's precision: ``required work known to ±0.04 FTE (wanted ±0.03): not
    yet``."""
    name = SHORT_LABELS.get(s["figure"], s["label"].lower())
    hw = amount_words(s["half_width"], s["kind"], s["unit"])
    wanted = amount_words(s["target"], s["kind"], s["unit"])
    return f"{name} known to ±{hw} (wanted ±{wanted}): {'met' if s['met'] else 'not yet'}"
