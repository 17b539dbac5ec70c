"""What a staffing plan must achieve, as ``plan.*`` settings on the command line, and the checks
that find a target no staffing can meet before anything is simulated.

``plan.on_time`` (share, default 0.95) applies to every benefit group with mandated talks;
``plan.on_time_by_group.GROUP`` sets one group's (0 drops its target). ``plan.desk_wait_days``
(calendar days, default 7) bounds how long every planned pool's desk work waits;
``plan.desk_wait_days_by_pool.POOL`` sets one pool's. A target is met when the pessimistic end
of its confidence interval over the replications (``plan.level``, default 95%) is on the right
side: the lower bound of the on-time share, the upper bound of the desk wait. So a plan is not
the luck of one seed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..config import GROUPS
from ..schema import ConfigError

PREFIX = "plan."


@dataclass
class PlanSettings:
    """The targets and the search's own settings (see the module's text).

    ``pools``: the pools to plan (empty: every caseworker pool, the company consultants and the
    administrative staff); the others keep today's head count. ``replications``: replications
    judged per staffing (common random numbers: the same replications for every staffing).
    ``max_runs``: the most staffings simulated; a search that reaches it ends with the best plan
    found and says so. ``out``: the folder for the plan's files (default
    ``outputs/plan/<scenario>/<jobcenter>/<date_time>``).
    """

    on_time: float = 0.95
    on_time_by_group: dict[str, float] = field(default_factory=dict)
    desk_wait_days: float = 7.0
    desk_wait_days_by_pool: dict[str, float] = field(default_factory=dict)
    pools: list[str] = field(default_factory=list)
    replications: int = 5
    max_runs: int = 40
    level: float = 0.95
    out: str | None = None

    def on_time_target(self, group: str) -> float:
        """The on-time share group ``group``'s mandated talks must reach (0: no target)."""
        return self.on_time_by_group.get(group, self.on_time)

    def desk_wait_target(self, pool: str) -> float:
        """The most days pool ``pool``'s desk work may wait on average."""
        return self.desk_wait_days_by_pool.get(pool, self.desk_wait_days)


FIELDS = [f.name for f in dataclasses.fields(PlanSettings)]
_MAPPINGS = ("on_time_by_group", "desk_wait_days_by_pool")


def _number(key: str, text: str, kind=float):
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"'{key}' = {text!r} must be {what}") from None


def split_arguments(argv: list[str]) -> tuple[PlanSettings, list[str]]:
    """The ``plan.*`` settings of ``argv`` and the other arguments (the usual configuration
    overrides, checked when the configuration is composed)."""
    settings = PlanSettings()
    rest = []
    for arg in argv:
        if not arg.startswith(PREFIX):
            rest.append(arg)
            continue
        if "=" not in arg:
            raise ConfigError(f"'{arg}' needs a value (for example plan.on_time=0.95)")
        key, text = arg.split("=", 1)
        path = key[len(PREFIX):].split(".")
        name = path[0]
        if name not in FIELDS or (name in _MAPPINGS) != (len(path) == 2) or len(path) > 2:
            raise ConfigError(f"unknown plan setting '{key}'; valid: "
                              + ", ".join(f"plan.{f}" + (".NAME" if f in _MAPPINGS else "")
                                          for f in FIELDS))
        if name in _MAPPINGS:
            getattr(settings, name)[path[1]] = _number(key, text)
        elif name == "pools":
            settings.pools = [p for p in text.strip("[]").split(",") if p.strip()]
            settings.pools = [p.strip() for p in settings.pools]
        elif name == "out":
            settings.out = text
        elif name in ("replications", "max_runs"):
            setattr(settings, name, _number(key, text, int))
        else:
            setattr(settings, name, _number(key, text))
    check_settings(settings)
    return settings, rest


def check_settings(s: PlanSettings) -> None:
    """One line for a setting out of its range."""
    for key, value in [("plan.on_time", s.on_time),
                       *((f"plan.on_time_by_group.{g}", v) for g, v in s.on_time_by_group.items())]:
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"'{key}' = {value:g} is a share: valid 0 to 1 (0: no target)")
    for key, value in [("plan.desk_wait_days", s.desk_wait_days),
                       *((f"plan.desk_wait_days_by_pool.{p}", v)
                         for p, v in s.desk_wait_days_by_pool.items())]:
        if value <= 0:
            raise ConfigError(f"'{key}' = {value:g} must be a positive number of days")
    for g in s.on_time_by_group:
        if g not in GROUPS:
            raise ConfigError(f"unknown benefit group 'plan.on_time_by_group.{g}'; valid groups: "
                              f"{', '.join(GROUPS)}")
    if s.replications < 2:
        raise ConfigError(f"'plan.replications' = {s.replications}: a confidence interval needs "
                          "at least 2 replications")
    if s.max_runs < 1:
        raise ConfigError(f"'plan.max_runs' = {s.max_runs} must be at least 1")
    if not 0.5 <= s.level < 1.0:
        raise ConfigError(f"'plan.level' = {s.level:g}: valid 0.5 to below 1 (e.g. 0.95)")
    if s.out is not None:
        from ..output import writable_problem

        problem = writable_problem(Path(s.out))
        if problem:
            raise ConfigError(f"'plan.out' = {s.out} cannot be written: {problem}")


def check_pools(s: PlanSettings, pools: list[str]) -> None:
    """Pools named in the settings must be pools of the jobcenter."""
    for name in [*s.pools, *s.desk_wait_days_by_pool]:
        if name not in pools:
            raise ConfigError(f"unknown pool '{name}' in the plan settings; this jobcenter's "
                              f"pools: {', '.join(pools)}")


def impossible_targets(s: PlanSettings, cfg) -> str | None:
    """Why no staffing can meet the targets, found from the rules alone (None: no such reason).

    * A deadline shorter than the booking lead time: the next talk is booked at least the lead
      time ahead (``model.talks.booking_lead_days``, a first talk ``first_talk_lead_days``), so
      every talk with a shorter deadline is late however many caseworkers there are.
    * An on-time share of 1 where citizens fail to show up: a no-show's talk is rebooked, and
      over a year some rebooked talk falls after its deadline, so the share's lower bound stays
      below 1.
    """
    talks = cfg.model.talks
    for g in cfg.jobcenter.groups:
        target = s.on_time_target(g)
        if target <= 0 or g not in cfg.rules.groups:
            continue
        rule = cfg.rules.groups[g]
        if rule.first_talk_days < talks.first_talk_lead_days:
            return (f"group {g}'s first talk is due within {rule.first_talk_days} days but is "
                    f"booked at least {talks.first_talk_lead_days} days ahead "
                    "('model.talks.first_talk_lead_days'): no staffing makes it on time; lower "
                    f"'plan.on_time_by_group.{g}' to 0 or change the rule")
        for step in rule.cadence:
            if step.interval_days < talks.booking_lead_days:
                return (f"group {g}'s talks are due every {step.interval_days} days (from day "
                        f"{step.from_day}) but are booked at least {talks.booking_lead_days} "
                        "days ahead ('model.talks.booking_lead_days'): no staffing makes them on "
                        f"time; lower 'plan.on_time_by_group.{g}' to 0 or change the rule")
        no_show = cfg.model.groups[g].no_show_share if g in cfg.model.groups else 0.0
        if target >= 1.0 and no_show > 0:
            return (f"an on-time share of 1 for group {g} cannot be met: {no_show:.0%} of its "
                    "citizens fail to show up ('model.groups." + g + ".no_show_share') and some "
                    "rebooked talks fall after their deadline whatever the staffing; valid: "
                    "'plan.on_time' below 1")
    return None
