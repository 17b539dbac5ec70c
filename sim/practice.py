"""A jobcenter's local practice: where it differs from the national average, line by line.

QB14 found jobcenters far apart in how they use their time: locally agreed breaks of 15-103 hours
a year per FTE, sickness absence of 3-20 days, internal meetings of 49-164 hours, ADP talks of
19-55 minutes, documentation several times longer in one centre than in another, wages up to DKK
100,000 apart per FTE, staff functions of very different size. Several of its proposals act only
on the centres above the average ("come down to it"), so the model needs centres that differ.

A centre's practice (:class:`CentrePractice`) holds the value of each line. The configuration
elsewhere (``model.working_time``, the talk minutes, ``model.costs``, the profile's staff) is the
national average; :func:`apply` turns a centre's values into that centre's configuration:

* meetings, training and breaks replace each staff type's ``meetings_training_breaks`` line
  (three lines of the same QB14 line, in proportion to the average's split);
* sickness days set the sickness hours and with them the available hours (gross - absent -
  sickness), so more sickness leaves fewer hours, and more breaks and meetings leave less of them
  for casework: every centre's time still adds up to its available hours;
* sparring moves the caseworkers' sparring line; management information by hand is a line of its
  own, carved out of administration around casework (general administration for case support);
* the talk-time and documentation factors scale every group's talk and documentation minutes;
* the wage factor scales the wage cost per FTE (``model.costs.wage_level``), the staff-functions
  factor the staff-functions FTE.

A centre drawn from the spreads (:func:`draw_centre`) is staffed to its workload
(:func:`staffed`): caseworker pools in proportion to their talks' minutes and to the bookable
hours an FTE has there, as the profiles are staffed. A scenario's practice norm changes the
values after the staffing (the staff stay; the time they free is capacity freed).

Each drawn jobcenter has its own fixed draw (``jobcenter.practice_seed`` and its index in the
country, independent of the run's seed, so every scenario and replication meets the same
centres). The lines are tied by one common factor (Gaussian copula, loadings
``model.practice.lines.<line>.loading``), each with a beta marginal on QB14's range whose mean
is the average; a country of drawn centres is centred (:func:`centre_country`) so that its
FTE-weighted mean of every line is the average, and the national calibration holds. Units: hours
per FTE-year, days per employee-year, factors (1 = the average).
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .schema import ConfigError

if TYPE_CHECKING:
    from .config import PracticeSpread, SimConfig

SPREAD_LINES = ("breaks_hours", "meetings_hours", "training_hours", "sickness_days",
                "sparring_hours", "talk_time_factor", "documentation_factor", "wage_factor",
                "staff_functions_factor")
"""The lines drawn from a range (``model.practice.lines``), in the order they are drawn."""

LINES = (*SPREAD_LINES, "management_information_hours")
"""Every line of a centre's practice."""

SETTINGS = ("average", "drawn")
"""``jobcenter.practice``: at the national average, drawn from the spreads (or a mapping)."""

MEETING_LINES = {"breaks_hours": "breaks", "meetings_hours": "meetings",
                 "training_hours": "training"}
"""The three practice lines that replace ``meetings_training_breaks``, and their budget lines."""

MANAGEMENT_INFORMATION = "management_information"
"""The budget line of management information pulled together by hand (QB14 E6)."""

CARVED_FROM = ("admin_around_casework", "general_administration")
"""The budget line management information is carved out of: the first a staff type has."""

BIG_CITIES = ("copenhagen", "aarhus", "odense", "aalborg")
"""The four largest cities (QB14 B1 keeps their locally agreed breaks)."""


@dataclass
class CentrePractice:
    """The values of one centre's practice lines (None: the line is not modelled)."""

    breaks_hours: float | None = None
    meetings_hours: float | None = None
    training_hours: float | None = None
    sickness_days: float | None = None
    sparring_hours: float | None = None
    talk_time_factor: float | None = None
    documentation_factor: float | None = None
    wage_factor: float | None = None
    staff_functions_factor: float | None = None
    management_information_hours: float | None = None
    drawn: bool = False                 # drawn from the spreads (not the national average)

    def values(self) -> dict[str, float | None]:
        """Line -> value."""
        return {k: getattr(self, k) for k in LINES}


def check_practice_setting(value: Any, path: str, composite: bool = False) -> None:
    """One line if ``jobcenter.practice`` is neither a setting of :data:`SETTINGS` nor (for a
    single jobcenter) a mapping of practice lines to values of 0 or more."""
    if isinstance(value, CentrePractice) or value in SETTINGS:
        return
    if isinstance(value, Mapping) and not composite:
        for k, v in value.items():
            if k not in LINES:
                raise ConfigError(f"unknown practice line '{path}.{k}'; valid: "
                                  + ", ".join(LINES))
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ConfigError(f"'{path}.{k}' = {v!r} must be a number of 0 or more")
        return
    valid = ", ".join(SETTINGS) + ("" if composite else ", or a mapping of practice lines")
    raise ConfigError(f"'{path}' = {value!r}; valid: {valid}")


def average(spread: "PracticeSpread") -> CentrePractice:
    """The national average: every line at its average."""
    out = CentrePractice(**{k: line.average for k, line in spread.lines.items()})
    mi = spread.management_information
    if mi.hours_per_year > 0:
        out.management_information_hours = mi.share_of_centres * mi.hours_per_year
    return out


def _beta_on_range(u: float, lo: float, hi: float, avg: float, concentration: float) -> float:
    """The ``u``-quantile of the beta distribution on [lo, hi] with mean ``avg`` and a + b =
    ``concentration``."""
    from scipy.stats import beta

    if hi <= lo:
        return avg
    p = (avg - lo) / (hi - lo)
    if p <= 0.0 or p >= 1.0:
        return avg
    return lo + (hi - lo) * float(beta.ppf(u, concentration * p, concentration * (1.0 - p)))


def draw_centre(spread: "PracticeSpread", seed: int, index: int) -> CentrePractice:
    """The fixed draw of jobcenter ``index`` under practice seed ``seed`` (not centred).

    One common factor z and one own term e per line, both standard normal; a line with loading
    l takes the quantile Phi(l z + sqrt(1 - l^2) e) of its beta distribution. Every number is
    drawn whatever the configuration holds, so a line's draw does not depend on the others.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
    z = rng.standard_normal()
    own = rng.standard_normal(len(SPREAD_LINES) + 1)
    out = CentrePractice(drawn=True)
    for k, e in zip(SPREAD_LINES, own):
        line = spread.lines.get(k)
        if line is None:
            continue
        x = line.loading * z + math.sqrt(1.0 - line.loading ** 2) * e
        setattr(out, k, _beta_on_range(float(norm.cdf(x)), line.low, line.high, line.average,
                                       spread.concentration))
    mi = spread.management_information
    if mi.hours_per_year > 0:
        x = mi.loading * z + math.sqrt(1.0 - mi.loading ** 2) * own[-1]
        out.management_information_hours = (mi.hours_per_year
                                             if norm.cdf(x) < mi.share_of_centres else 0.0)
    return out


def centre_country(centres: Sequence[CentrePractice], weights: Sequence[float],
                   spread: "PracticeSpread", rounds: int = 50) -> list[CentrePractice]:
    """The centres shifted, line by line, so that their ``weights``-weighted mean is the line's
    average (within its range: shifted, clipped to [low, high], and again until it holds)."""
    out = [dataclasses.replace(c) for c in centres]
    w = np.asarray(weights, dtype=float)
    if not len(out) or w.sum() <= 0:
        return out
    for k, line in spread.lines.items():
        x = np.array([getattr(c, k) for c in out], dtype=float)
        for _ in range(rounds):
            gap = line.average - float(w @ x / w.sum())
            if abs(gap) < 1e-9 * max(1.0, abs(line.average)):
                break
            x = np.clip(x + gap, line.low, line.high)
        for c, v in zip(out, x):
            setattr(c, k, float(v))
    return out


def resolve(cfg: "SimConfig") -> CentrePractice:
    """The practice of ``cfg``'s jobcenter: the average, its own draw, or the values given."""
    setting = cfg.jobcenter.practice
    spread = cfg.model.practice
    if isinstance(setting, CentrePractice):
        return setting
    if setting == "drawn":
        return draw_centre(spread, cfg.jobcenter.practice_seed, 0)
    base = average(spread)
    if isinstance(setting, Mapping):
        base = dataclasses.replace(base, **dict(setting), drawn=True)
    return base


def _talk_minutes_ratio(cfg: "SimConfig", groups: Sequence[str], p: CentrePractice) -> float:
    """A pool's minutes per talk at the centre over the average's (its groups weighted by their
    stock at the start)."""
    tf = 1.0 if p.talk_time_factor is None else p.talk_time_factor
    df = 1.0 if p.documentation_factor is None else p.documentation_factor
    num = den = 0.0
    for g in groups:
        vol = cfg.jobcenter.groups.get(g)
        if vol is None or g not in cfg.model.groups:
            continue
        t = cfg.model.groups[g].talk
        w = vol.initial_stock + 1.0
        num += w * (t.preparation + t.talk * tf + t.documentation * df)
        den += w * (t.preparation + t.talk + t.documentation)
    return num / den if den > 0 else 1.0


def _bookable_gap(cfg: "SimConfig", staff_type: str, p: CentrePractice,
                  avg: CentrePractice) -> float:
    """How many fewer bookable hours an FTE of ``staff_type`` has at the centre than at the
    average (h/year; negative: more)."""
    wt = cfg.model.working_time
    gap = 0.0
    if p.sickness_days is not None and avg.sickness_days is not None:
        gap += (p.sickness_days - avg.sickness_days) * _hours_per_sickness_day(cfg)
    lines = wt.non_bookable_hours.get(staff_type, {})
    if "meetings_training_breaks" in lines:
        gap += _meeting_lines_total(lines["meetings_training_breaks"], p, avg) \
            - lines["meetings_training_breaks"]
    if staff_type == "caseworker" and "sparring" in lines and p.sparring_hours is not None:
        gap += p.sparring_hours - avg.sparring_hours
    if p.management_information_hours is not None and any(k in lines for k in CARVED_FROM):
        gap += p.management_information_hours - avg.management_information_hours
    return gap


def _hours_per_sickness_day(cfg: "SimConfig") -> float:
    wt = cfg.model.working_time
    return wt.sickness_hours / wt.sickness_days if wt.sickness_days > 0 else 0.0


def _meeting_split(total: float, p: CentrePractice, avg: CentrePractice) -> dict[str, float]:
    """The meetings-training-breaks line of ``total`` hours at the average, as the centre's three
    lines (each in proportion to the average's split)."""
    keys = [k for k in MEETING_LINES if getattr(avg, k) is not None]
    avg_sum = sum(getattr(avg, k) for k in keys)
    if not keys or avg_sum <= 0:
        return {"meetings_training_breaks": total}
    return {MEETING_LINES[k]: total * getattr(p, k) / avg_sum for k in keys}


def _meeting_lines_total(total: float, p: CentrePractice, avg: CentrePractice) -> float:
    return sum(_meeting_split(total, p, avg).values())


def staffed(cfg: "SimConfig", p: CentrePractice) -> "SimConfig":
    """``cfg`` with the jobcenter staffed to centre ``p``'s workload (unchanged at the average).

    A caseworker pool is scaled by (s r + 1 - s) / b: r its talks' minutes at the centre over the
    average's, s the share of caseworkers' required work that is talks
    (``model.practice.staffing_talk_share``), b the bookable hours of an FTE at the centre over
    the average's. Company consultants and case support are scaled by 1 / b. Rounded to whole
    persons, at least one where the profile has any.
    """
    if not p.drawn:
        return cfg
    avg = average(cfg.model.practice)
    wt = cfg.model.working_time
    share = cfg.model.practice.staffing_talk_share

    def bookable_ratio(staff_type: str, extra: float = 0.0) -> float:
        lines = wt.non_bookable_hours.get(staff_type, {})
        base = wt.available_hours - sum(lines.values()) - extra
        return (base - _bookable_gap(cfg, staff_type, p, avg)) / base if base > 0 else 1.0

    def scaled(n: int, factor: float) -> int:
        return max(1, int(round(n * factor))) if n > 0 else 0

    jc = cfg.jobcenter
    pools = {}
    for name, spec in jc.caseworker_pools.items():
        r = _talk_minutes_ratio(cfg, spec.serves, p)
        b = bookable_ratio("caseworker", sum(spec.extra_non_bookable_hours.values()))
        pools[name] = dataclasses.replace(spec, caseworkers=scaled(spec.caseworkers,
                                                                   (share * r + 1 - share) / b))
    jc = dataclasses.replace(
        jc, caseworker_pools=pools,
        company_consultants=scaled(jc.company_consultants,
                                   1.0 / bookable_ratio("company_consultant")),
        admin_staff=scaled(jc.admin_staff, 1.0 / bookable_ratio("admin_staff")))
    return dataclasses.replace(cfg, jobcenter=jc)


def scheduled_staff(cfg: "SimConfig") -> int:
    """The persons the model schedules in ``cfg``'s jobcenter (caseworkers, company consultants,
    case support)."""
    jc = cfg.jobcenter
    return (sum(p.caseworkers for p in jc.caseworker_pools.values()) + jc.company_consultants
            + jc.admin_staff)


def apply(cfg: "SimConfig") -> "SimConfig":
    """``cfg`` with its jobcenter's practice (a :class:`CentrePractice` in
    ``cfg.jobcenter.practice``) written into the lines it changes; a new configuration (the
    model parameters copied), ``cfg`` itself unchanged."""
    p = cfg.jobcenter.practice
    if not isinstance(p, CentrePractice):
        p = resolve(cfg)
    avg = average(cfg.model.practice)
    m = copy.deepcopy(cfg.model)
    wt = m.working_time
    if (p.sickness_days is not None and avg.sickness_days is not None
            and p.sickness_days != avg.sickness_days):
        per_day = _hours_per_sickness_day(cfg)
        wt.available_hours += (wt.sickness_days - p.sickness_days) * per_day
        wt.sickness_hours = p.sickness_days * per_day
        wt.sickness_days = p.sickness_days
    for staff_type, lines in wt.non_bookable_hours.items():
        new: dict[str, float] = {}
        for line, hours in lines.items():
            if line == "meetings_training_breaks":
                new.update(_meeting_split(hours, p, avg))
            elif line == "sparring" and staff_type == "caseworker" and p.sparring_hours is not None:
                new[line] = hours + (p.sparring_hours - avg.sparring_hours)
            else:
                new[line] = hours
        if p.management_information_hours is not None:
            carve = next((k for k in CARVED_FROM if k in new), None)
            if carve is not None:
                new[carve] -= avg.management_information_hours
                new[MANAGEMENT_INFORMATION] = p.management_information_hours
        for line, hours in new.items():
            if hours < -1e-9:
                raise ConfigError(f"the practice leaves '{staff_type}' with {hours:g} h of "
                                  f"'{line}' (it cannot be negative)")
        wt.non_bookable_hours[staff_type] = {k: max(v, 0.0) for k, v in new.items()}
    tf, df = p.talk_time_factor, p.documentation_factor
    tf = 1.0 if tf is None else tf
    df = 1.0 if df is None else df
    if tf != 1.0 or df != 1.0:
        for beh in m.groups.values():     # a new TalkMinutes each (groups may share one)
            beh.talk = dataclasses.replace(beh.talk, talk=beh.talk.talk * tf,
                                           documentation=beh.talk.documentation * df)
    if p.wage_factor is not None and p.wage_factor != 1.0:
        m.costs.wage_level *= p.wage_factor
    jc = dataclasses.replace(cfg.jobcenter, practice=p)
    if p.staff_functions_factor is not None and p.staff_functions_factor != 1.0:
        jc = dataclasses.replace(jc, staff_functions_fte=jc.staff_functions_fte
                                 * p.staff_functions_factor)
    return dataclasses.replace(cfg, model=m, jobcenter=jc)
