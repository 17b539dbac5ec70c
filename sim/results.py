"""Headline figures and the per-group summary of one run, computed from its counters.

Units: DKK over the run's horizon (a one-year horizon gives DKK per year), FTE-years, days,
shares in [0, 1]. ``benefit_dkk`` (headline and per group) is the benefit payments to citizens
over the horizon (:func:`sim.costs.benefit_expenditure_dkk`), not part of the operating cost.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config import BASELINE_STAFF_TYPES, EXIT_DESTINATIONS, EXPOSURES, GROUPS
from .costs import (benefit_expenditure_dkk, cost_lines, hour_rate_dkk, hour_rates_dkk,
                    offer_running_cost_dkk, total_dkk)
from .model import RunResult

if TYPE_CHECKING:
    import pandas as pd


def _mean(xs) -> float | None:
    return float(sum(xs) / len(xs)) if xs else None


def on_time_share(held_on_time: int, held: int, missed: int, overdue: int) -> float | None:
    """Share of mandated talks held by their deadline; talks never held count as late."""
    due = held + missed + overdue
    return held_on_time / due if due else None


def little_spell_days(gc, horizon_days: int) -> float | None:
    """Mean time in the group per entry (days) by Little's law: mean stock / entries per day.

    Unlike the mean of completed spells, this is biased neither towards the long spells of the
    initial stock nor towards the short spells that end inside the run.
    """
    entries = gc.inflow_new + gc.inflow_reentry + gc.transfers_in
    if not entries:
        return None
    return (gc.stock_area / horizon_days) / (entries / horizon_days)


def group_summary(result: RunResult) -> pd.DataFrame:
    """One row per benefit group: flows, stocks, talks, timeliness, offers, durations."""
    import pandas as pd     # only for the table: a national run sums group_rows instead

    return pd.DataFrame(group_rows(result))


def group_rows(result: RunResult) -> list[dict]:
    """The rows of :func:`group_summary` as plain dictionaries (None where undefined)."""
    cfg = result.cfg
    horizon = cfg.horizon_days
    benefit = benefit_expenditure_dkk(cfg, result.counters)
    rows = []
    for g in GROUPS:
        gc = result.counters.groups[g]
        if g not in cfg.jobcenter.groups and gc.initial_stock == 0 and gc.transfers_in == 0:
            continue
        row = {
            "group": g,
            "label": cfg.model.groups[g].label if g in cfg.model.groups else g,
            "initial_stock": gc.initial_stock,
            "inflow_new": gc.inflow_new,
            "inflow_reentry": gc.inflow_reentry,
            "transfers_in": gc.transfers_in,
            "exits": gc.exits_total,
            "transfers_out": gc.transfers_out,
            "final_stock": gc.stock,
            "mean_stock": gc.stock_area / horizon,
            "benefit_dkk": benefit.get(g),
        }
        for d in EXIT_DESTINATIONS:
            row[f"exits_{d}"] = gc.exits[d]
        row.update({
            "talks_held": gc.talks_held,
            "talks_on_time": gc.talks_on_time,
            "talks_missed": gc.talks_missed,
            "talks_overdue_at_end": gc.talks_overdue_at_end,
            "on_time_share": on_time_share(gc.talks_on_time, gc.talks_held, gc.talks_missed,
                                           gc.talks_overdue_at_end),
            "no_shows": gc.no_shows,
            "absence_rebookings": gc.absence_rebookings,
            "phone_talks": gc.phone_talks,
            "mean_talk_minutes": gc.talk_minutes / gc.talks_held if gc.talks_held else None,
            "in_person_talks": gc.in_person_talks,
            "mean_in_person_talk_minutes": (gc.in_person_talk_minutes / gc.in_person_talks
                                            if gc.in_person_talks else None),
            "mean_total_minutes_per_talk": (gc.talk_total_minutes / gc.talks_held
                                            if gc.talks_held else None),
            "extra_talks_held": gc.extra_talks_held,
            "extra_talks_displaced": gc.extra_talks_displaced,
            "extra_talks_dropped": gc.extra_talks_dropped,
            "talks_per_full_time_person": ((gc.talks_held + gc.extra_talks_held)
                                           / (gc.stock_area / 365.0)
                                           if gc.stock_area else None),
            "offers_started": gc.offers_started,
            "mean_offer_wait_days": (gc.offer_wait_days / gc.offers_started
                                     if gc.offers_started else None),
            "first_offers": len(gc.first_offer_days),
            "mean_days_to_first_offer": _mean(gc.first_offer_days),
            "offer_days_active": gc.offer_days_active,
            "active_share": gc.offer_days_active / gc.stock_area if gc.stock_area else None,
            "mentor_days": gc.mentor_days,
            "mentor_cost_dkk": gc.mentor_cost_dkk,
            "rehab_cases": gc.rehab_cases,
            "rehab_decisions": len(gc.rehab_wait_days),
            "mean_rehab_wait_days": _mean(gc.rehab_wait_days),
            "mean_spell_days_little": little_spell_days(gc, horizon),
            "spells_completed": len(gc.completed_spell_days),
            "mean_completed_spell_days": _mean(gc.completed_spell_days),
            # the spell effects' exposure: job-spell days, and of them under each service
            "job_spell_days": gc.exposure["days"],
            **{f"exposure_{k}": gc.exposure[k] for k in EXPOSURES},
            "job_exits_effects": gc.exposure["exits"],
            **{f"job_exits_{k}": gc.exposure[f"exits_{k}"] for k in EXPOSURES},
        })
        rows.append(row)
    return rows


def headline(result: RunResult) -> dict:
    """The run's headline figures as a JSON-ready dictionary."""
    cfg = result.cfg
    c = result.counters
    lines = cost_lines(cfg, c)
    total = total_dkk(lines)
    years = cfg.horizon_days / 365.0
    fte_minutes = cfg.model.working_time.available_hours * 60.0 * years
    staff_types = staff_types_of(result)
    used_by_staff = {st: 0.0 for st in staff_types}
    direct_by_staff = {st: 0.0 for st in staff_types}
    for (st, act), minutes in c.activity_minutes.items():
        used_by_staff[st] += minutes
        if c.category[act] == "direct_contact":
            direct_by_staff[st] += minutes
    gs = c.groups.values()
    held = sum(g.talks_held for g in gs)
    spells_ended = sum(g.exits_total + g.transfers_out for g in gs)
    pools = {}
    w = cfg.warmup_days
    for name, p in result.pools.items():
        avail = sum(p.day_available[w:])
        worked = sum(p.day_worked[w:])
        bookable = avail * (1 - p.non_bookable_share)
        pools[name] = {
            "staff_type": p.staff_type,
            "members": p.n,
            "available_hours": avail / 60.0,
            "bookable_hours": bookable / 60.0,
            "worked_hours": worked / 60.0,
            "idle_hours": sum(p.day_idle[w:]) / 60.0,
            "utilisation_of_bookable_time": (worked / bookable) if bookable else None,
            "elastic_hours": sum(p.day_elastic[w:]) / 60.0,
            "required_utilisation": ((worked - sum(p.day_elastic[w:])) / bookable
                                     if bookable else None),
            "direct_contact_share": (c.direct_by_pool.get(name, 0.0) / avail) if avail else None,
            **desk_waits(p, w, cfg.horizon_days),
        }
    available = {st: c.available_minutes.get(st, 0.0) / 60.0 for st in staff_types}
    required = {st: 0.0 for st in staff_types}
    elastic: dict[str, dict[str, float]] = {st: {} for st in staff_types}
    for (st, act), minutes in c.activity_minutes.items():
        if act in c.elastic:
            elastic[st][act] = elastic[st].get(act, 0.0) + minutes / 60.0
        else:
            required[st] += minutes / 60.0
    offer_cost = offer_running_cost_dkk(cfg, c)
    benefit = benefit_expenditure_dkk(cfg, c)
    return {
        "scenario": cfg.scenario,
        "jobcenter": cfg.jobcenter.name,
        "rules_era": cfg.rules.era,
        "seed": cfg.seed,
        "replication": result.replication,
        "horizon_days": cfg.horizon_days,
        "warmup_days": cfg.warmup_days,
        "wall_seconds": result.wall_seconds,
        "citizens_simulated": c.citizens,
        "event_log_rows": len(result.log),
        "talks_held": held,
        "talks_on_time_share": on_time_share(
            sum(g.talks_on_time for g in gs), held, sum(g.talks_missed for g in gs),
            sum(g.talks_overdue_at_end for g in gs)),
        "talks_by_group": {g: c.groups[g].talks_held for g in GROUPS},
        "extra_talks_held": sum(g.extra_talks_held for g in gs),
        "spells_ended": spells_ended,
        "operating_cost_dkk": total,
        "active_share": active_share(result),
        "offer_group_stock_days": offer_group_stock_days(result),
        "offer_running_cost_dkk": sum(offer_cost.values()),
        "offer_running_cost_dkk_by_group": offer_cost,
        "benefit_dkk": sum(benefit.values()),
        "benefit_dkk_by_group": benefit,
        "cost_per_spell_ended_dkk": total / spells_ended if spells_ended else None,
        "hour_rate_dkk": hour_rate_dkk(cfg),
        "hour_rate_dkk_by_staff_type": {st: hour_rates_dkk(cfg)[st] for st in staff_types},
        "fte_employed": cfg.jobcenter.total_fte,
        "fte_hours_per_year": cfg.model.working_time.available_hours,
        "fte_used_on_casework": sum(used_by_staff.values()) / fte_minutes,
        "hours_available_per_fte": (sum(available.values()) /
                                    sum(p.n for p in result.pools.values()) / years
                                    if any(p.n for p in result.pools.values()) else None),
        "available_hours": available,
        "used_hours": {st: used_by_staff[st] / 60.0 for st in staff_types},
        "idle_hours": {st: c.idle_minutes.get(st, 0.0) / 60.0 for st in staff_types},
        "direct_contact_share": {
            st: (direct_by_staff[st] / 60.0 / available[st]) if available[st] else None
            for st in staff_types},
        "certificates": dict(c.certificates),
        "required_work_hours": required,
        "elastic_work_hours": elastic,
        "non_bookable_hours": {st: sum(m for (t, _), m in c.non_bookable_minutes.items()
                                       if t == st) / 60.0 for st in staff_types},
        "staff_heads": {st: sum(p.n for p in result.pools.values() if p.staff_type == st)
                        for st in staff_types},
        "unscheduled_hours": ((cfg.jobcenter.management_fte + cfg.jobcenter.staff_functions_fte)
                              * cfg.model.working_time.available_hours * years),
        "practice": {k: v for k, v in practice_values(cfg).items() if v is not None},
        "line_hours": line_hours(c, staff_types),
        "unmet_work_minutes": dict(c.unmet_minutes),
        "backlog_hours_at_end": {act: m / 60.0 for act, m in sorted(c.backlog_minutes.items())},
        "mechanism_counters": {name: dict(values) for name, values in c.mechanisms.items()},
        "pools": pools,
        "cost_lines_dkk": {f"{line.staff_type}/{line.item}": line.dkk for line in lines},
    }


NON_BOOKABLE_LINE = {              # the QB14 line (section 2) of each non-bookable budget line
    "admin_around_casework": "admin_around_casework",
    "meetings_training_breaks": "meetings_training_breaks",
    "breaks": "meetings_training_breaks",          # the three parts of it (sim.practice)
    "meetings": "meetings_training_breaks",
    "training": "meetings_training_breaks",
    "management_information": "admin_around_casework",
    "sparring": "indirect_casework",
    "general_administration": "general_administration",
}
TIME_BUDGET_LINES = ("direct_contact", "indirect_casework", "admin_around_casework",
                     "general_administration", "meetings_training_breaks", "unused_capacity")
"""QB14's five lines of available time (section 2), and the model's unused capacity."""


def desk_waits(pool, warmup_days: int, horizon_days: int) -> dict[str, float | None]:
    """How long a pool's work waits, over the measured period (after the warm-up).

    ``desk_wait_days``: the mean wait (calendar days) of the desk tasks that arrived in the
    measured period, from arrival to the start of their handling; tasks still waiting at the end
    count until the end (None: no desk tasks arrived). ``work_waiting_days``: the pool's
    required work still waiting at the end (queued desk tasks, background work such as booking
    and letters, work handed in, call-backs; minutes) divided by the required work it did per
    calendar day: how many days of its own pace the pool is behind (0: nothing left waiting).
    """
    span = horizon_days - warmup_days
    stats = pool.desk_queue.queue_statistics(warmup_days, horizon_days) if span > 0 else None
    waiting = (sum(task.remaining for queue in pool.desk_queue.queue for task in queue
                   if not task.cancelled)
               + sum(pool.background) + sum(pool.handed_in.values()) + sum(pool.callbacks))
    required = sum(pool.day_worked[warmup_days:]) - sum(pool.day_elastic[warmup_days:])
    per_day = required / span if span > 0 else 0.0
    return {
        "desk_wait_days": stats["mean_wait"] if stats and stats["arrivals"] else None,
        "work_waiting_days": (waiting / per_day if per_day > 0
                              else (0.0 if waiting <= 1e-9 else None)),
    }


def practice_values(cfg) -> dict:
    """The jobcenter's practice lines as the run had them (:mod:`sim.practice`), and whether
    they were drawn."""
    from .practice import CentrePractice, resolve

    p = cfg.jobcenter.practice
    p = p if isinstance(p, CentrePractice) else resolve(cfg)
    return {**p.values(), "drawn": p.drawn, "big_city": cfg.jobcenter.big_city}


def line_hours(c, staff_types) -> dict[str, dict[str, float]]:
    """Available hours of each staff type by QB14 line: activities by their category, the
    non-bookable budget lines, and unused capacity (hours over the measured period)."""
    out = {st: {line: 0.0 for line in TIME_BUDGET_LINES} for st in staff_types}
    for (st, line), minutes in c.line_minutes.items():
        out.setdefault(st, {})[line] = out[st].get(line, 0.0) + minutes / 60.0
    for (st, line), minutes in c.non_bookable_minutes.items():
        key = NON_BOOKABLE_LINE.get(line, line)
        out.setdefault(st, {})[key] = out[st].get(key, 0.0) + minutes / 60.0
    for st, minutes in c.idle_minutes.items():
        out.setdefault(st, {})["unused_capacity"] = minutes / 60.0
    return out


def offer_groups(cfg) -> list[str]:
    """The jobcenter's groups whose citizens can get an offer (by practice, or at a legal
    deadline)."""
    out = []
    for g in cfg.jobcenter.groups:
        beh = cfg.model.groups[g].offer
        if beh.practice_share > 0 or (beh.share > 0
                                      and cfg.rules.groups[g].offer_deadline_days is not None):
            out.append(g)
    return out


def offer_group_stock_days(result: RunResult) -> float:
    """Benefit-days (person-days on benefit, the measured window) of the groups that have
    offers: the denominator of :func:`active_share`."""
    return float(sum(result.counters.groups[g].stock_area for g in offer_groups(result.cfg)))


def active_share(result: RunResult) -> float | None:
    """Share of benefit-days in an active offer over the groups that have offers (offer-days /
    stock-days, the measured window)."""
    gs = [result.counters.groups[g] for g in offer_groups(result.cfg)]
    stock_days = sum(gc.stock_area for gc in gs)
    return sum(gc.offer_days_active for gc in gs) / stock_days if stock_days else None


def staff_types_of(result: RunResult) -> list[str]:
    """The staff types of a run: the baseline's, then those of pools a mechanism added."""
    return list(dict.fromkeys([*BASELINE_STAFF_TYPES,
                               *(p.staff_type for p in result.pools.values())]))


def weekly_utilisation(pool) -> tuple[list[int], list[float]]:
    """Week numbers (from 1, warm-up included) and the share of bookable time spent on required
    work (all work but the elastic work that fills the rest) in each week of a staff pool, in
    percent. Weeks without available time are left out."""
    weeks, shares = [], []
    bookable_share = 1.0 - pool.non_bookable_share
    for start in range(0, len(pool.day_available), 7):
        bookable = sum(pool.day_available[start:start + 7]) * bookable_share
        if bookable > 0:
            weeks.append(start // 7 + 1)
            required = (sum(pool.day_worked[start:start + 7])
                        - sum(pool.day_elastic[start:start + 7]))
            shares.append(100.0 * required / bookable)
    return weeks, shares
