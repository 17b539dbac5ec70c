"""Turning hours and purchases into DKK.

The cost base is QB14's: DKK 4.5 billion a year for 9,117 FTE, wages just under 90%, medical
certificates about DKK 200 million. One FTE-year of wages buys the available hours of the working-
time budget (1,428 h), so an available hour costs ``wage per FTE / available hours``; absence is
inside that rate. Every minute of a scheduled staff member's available time lands in exactly one
line (an activity, a non-bookable budget line, or unused capacity), so the lines add up to the
wage bill; management, staff functions, other services and certificates are added as their own
lines.

The running cost of offers (active measures: course fees, wage subsidies, providers) is not
jobcenter operation and is kept apart (:func:`offer_running_cost_dkk`): DKK per offer-month by
group, from VIVE20's active-measure cost per full-time person (``model.offer_costs``).

Benefit payments to citizens (unemployment insurance, cash benefit, sickness benefit, ...) are
neither and are kept apart too (:func:`benefit_expenditure_dkk`): full-time persons on each
benefit (the group's mean stock) times its rate per full-time person-year
(``model.benefits``, docs/benefits.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import SimConfig
from .engine.metrics import Counters


@dataclass
class CostLine:
    """One line of the cost statement (DKK over the run's horizon)."""

    staff_type: str
    item: str
    dkk: float


def hour_rate_dkk(cfg: SimConfig) -> float:
    """Wage cost of one available hour at QB14's average wage (DKK/h)."""
    return cfg.model.costs.wage_per_fte_dkk / cfg.model.working_time.available_hours


def hour_rates_dkk(cfg: SimConfig) -> dict[str, float]:
    """Wage cost of one available hour of each staff type (DKK/h): the average rate times the
    staff type's ``hour_rate_factor``."""
    base = hour_rate_dkk(cfg)
    return {st: base * t.hour_rate_factor for st, t in cfg.model.staff_types.items()}


def cost_lines(cfg: SimConfig, counters: Counters) -> list[CostLine]:
    """The run's costs as lines whose sum is the total operating cost (DKK over the horizon)."""
    per_minute = {st: rate / 60.0 for st, rate in hour_rates_dkk(cfg).items()}   # DKK/minute
    years = cfg.horizon_days / 365.0
    costs = cfg.model.costs
    jc = cfg.jobcenter
    lines: list[CostLine] = []
    for (staff, activity), minutes in sorted(counters.activity_minutes.items()):
        lines.append(CostLine(staff, activity, minutes * per_minute[staff]))
    for (staff, line), minutes in sorted(counters.non_bookable_minutes.items()):
        lines.append(CostLine(staff, line, minutes * per_minute[staff]))
    for staff, minutes in sorted(counters.idle_minutes.items()):
        lines.append(CostLine(staff, "unused_capacity", minutes * per_minute[staff]))
    wage = costs.wage_per_fte_dkk * years
    lines.append(CostLine("management", "management", jc.management_fte * wage))
    lines.append(CostLine("staff_functions", "staff_functions", jc.staff_functions_fte * wage))
    lines.append(CostLine("other", "other_services",
                          jc.total_fte * costs.other_services_per_fte_dkk * years))
    lines.append(CostLine("purchases", "lae265_certificates",
                          counters.certificates.get("lae265", 0) * costs.lae265_price_dkk))
    lines.append(CostLine("purchases", "follow_up_certificates",
                          counters.certificates.get("follow_up", 0)
                          * cfg.model.medical_certificates.price_dkk))
    lines.append(CostLine("purchases", "reassessment_certificates",
                          counters.certificates.get("reassessment", 0)
                          * costs.reassessment_certificate_price_dkk))
    return lines


def total_dkk(lines: list[CostLine]) -> float:
    """Sum of the cost lines (DKK)."""
    return sum(line.dkk for line in lines)


DAYS_PER_OFFER_MONTH = 365.0 / 12.0
"""An offer-month: a twelfth of the 365-day year in which one full-time person is a year on
benefit (full-time persons = benefit-months / 12)."""


def offer_running_cost_dkk(cfg: SimConfig, counters: Counters) -> dict[str, float]:
    """Running cost of the offers of each group over the measured window (DKK): active
    offer-days / (365/12) x the group's price per offer-month, plus the mentor meetings bought
    (``mentor_cost_dkk``, :mod:`sim.mechanisms.mentor_support`). Groups without either are left
    out. Not part of :func:`cost_lines` (jobcenter operation)."""
    oc = cfg.model.offer_costs
    out = {}
    for g, gc in counters.groups.items():
        if g in oc.groups:
            out[g] = gc.offer_days_active / DAYS_PER_OFFER_MONTH * oc.price_per_offer_month_dkk(g)
        if gc.mentor_cost_dkk:          # mentor support bought (mechanism mentor_support)
            out[g] = out.get(g, 0.0) + gc.mentor_cost_dkk
    return out


DAYS_PER_YEAR = 365.0
"""A full-time person-year: one person on the benefit for 365 days."""


def benefit_expenditure_dkk(cfg: SimConfig, counters: Counters) -> dict[str, float]:
    """Benefit payments of each group over the measured window (DKK, gross, whoever pays).

    The group's full-time persons (its mean stock: the stock's time integral over the measured
    window, in person-days, divided by the window's days) times its rate (DKK per full-time
    person-year, ``model.benefits``) times the window in years (horizon days / 365). Groups
    without a rate are left out. Not part of :func:`cost_lines` (jobcenter operation).
    """
    horizon = cfg.horizon_days
    years = horizon / DAYS_PER_YEAR
    out = {}
    for g, gc in counters.groups.items():
        rate = cfg.model.benefits.dkk_per_full_time_person_year(g)
        if rate is not None:
            out[g] = (gc.stock_area / horizon) * rate * years
    return out
