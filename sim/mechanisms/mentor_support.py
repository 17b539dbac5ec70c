"""Mentor support for activity-ready cash-benefit recipients (the 2016 mentor rule; VIVE20).

From 2014 activity-ready people unable to join other offers have a right and duty to mentor
support, every second week from 2016; in 2019 about 12% of the activity-ready had a personal
mentor (VIVE20 section 5.3). In the model ``share`` of the spells of each group named get a
mentor, drawn when the spell starts (one draw of the mechanism's own stream
``mentor_support/<group>`` per spell, so that the baseline's streams stay aligned):

* **granting**: once the spell is ``start_after_weeks`` old, the citizen's caseworker grants
  the mentor, ``grant_minutes`` of desk work (activity ``mentor_grant``, queued through the
  group's desk-work routing like any desk task; with no caseworker it is unmet demand and the
  mentor starts without it). The mentor starts when the grant is done;
* **meetings**: the mentor (bought from a provider, not jobcenter staff) meets the citizen
  every ``interval_days``, ``meeting_hours`` at ``dkk_per_hour``; the mentor cost is added to
  the group's offers' running cost (``offer_running_cost_dkk_by_group``: bought active
  support, not jobcenter operation) and counted as ``mentor_cost_dkk``;
* **follow-up**: the caseworker follows each running mentor up, ``follow_up_minutes_per_month``
  of background desk work (activity ``mentor_follow_up``) per month of mentor, handed in at
  each meeting;
* **end**: the mentor ends with the spell (an exit, a transfer to another group).

A citizen of the stock at t0 whose spell is already older than ``start_after_weeks`` and who is
drawn for a mentor has one already: it runs from t0, without a grant. Mentor meetings are not
jobcenter talks and no effect of mentors on the time on benefit is modelled (no source sizes
it); the mechanism changes only the caseworkers' time and the bought cost.

Seam: the spell-effects hooks of the group (``spell_started``, ``spell_ended``: the spell's
start and end), not the offer provider, so that it combines with mechanisms that replace the
offer provider (in-house offers, utility jobs). Counters (``mechanism_counters``, measured
window): ``mentors_started``, ``mentor_days``, ``mentor_meetings``, ``mentor_cost_dkk``,
``grant_minutes``, ``follow_up_minutes``; per group (the summary's rows): ``mentor_days``
(person-days with a mentor in the measured window) and ``mentor_cost_dkk``. Times are days,
work minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.staff import DeskTask
from ..engine.simpy_shortcuts import NORMAL, event_at
from ..schema import ConfigError, nonneg, positive, probability
from .common import check_groups

NAME = "mentor_support"
SEAM = "spell effects"

GRANT = "mentor_grant"
FOLLOW_UP = "mentor_follow_up"
ACTIVITIES = {GRANT: "indirect_casework", FOLLOW_UP: "indirect_casework"}
COUNTERS = ("mentors_started", "mentor_days", "mentor_meetings", "mentor_cost_dkk",
            "grant_minutes", "follow_up_minutes")
DAYS_PER_MONTH = 365.0 / 12.0


@dataclass
class Config:
    """Settings of mentor support (see the module docstring; which are sources and which
    assumptions: docs/mechanisms.md)."""

    groups: list[str] = field(default_factory=lambda: ["kth_activity_ready"])
    share: float = probability(0.12)
    start_after_weeks: float = nonneg(8.0)
    interval_days: float = positive(14.0)
    meeting_hours: float = nonneg(1.5)
    dkk_per_hour: float = nonneg(450.0)
    grant_minutes: float = nonneg(45.0)
    follow_up_minutes_per_month: float = nonneg(15.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name the groups whose spells may get "
                              "a mentor")

    @property
    def meeting_dkk(self) -> float:
        """The bought cost of one mentor meeting (DKK)."""
        return self.meeting_hours * self.dkk_per_hour


class Mentors:
    """The running mentors of the groups named: who has one and since when (model days)."""

    def __init__(self, config: Config, model, counters):
        self.config = config
        self.env = model.env
        self.measure_from = float(model.warmup)
        self.horizon = float(model.horizon)
        self.groups = model.counters.groups
        self.unmet = model.counters.unmet_minutes
        self.k = counters
        self.since: dict[int, tuple[int, float, object]] = {}   # id -> (spell, start, citizen)
        self.follow_up = config.follow_up_minutes_per_month * config.interval_days \
            / DAYS_PER_MONTH

    def measured_days(self, start: float, stop: float) -> float:
        """Days of [start, stop) inside the measured window."""
        return max(0.0, min(stop, self.horizon) - max(start, self.measure_from))

    # ------------------------------------------------------------------ a spell's mentor
    def spell_started(self, c, now: float, stream) -> None:
        """Draw whether the new spell gets a mentor, and when the grant is asked for."""
        if stream.random() >= self.config.share:
            return
        due = c.spell_start + self.config.start_after_weeks * 7.0
        spell = c.spell_no
        if due <= now and c.spell_start < now:     # the stock at t0, past the start: running
            self.begin(c, spell, now)
            return
        event_at(self.env, max(due - now, 0.0), NORMAL).callbacks.append(
            lambda _e: self.grant(c, spell))

    def grant(self, c, spell: int) -> None:
        """The spell is old enough: the caseworker grants the mentor (desk work), which starts
        when that is done."""
        if c.spell_no != spell:
            return
        now = self.env.now
        minutes = self.config.grant_minutes
        if minutes <= 0:
            self.begin(c, spell, now)
            return
        pool, member = c.services.routing.route(c, GRANT)
        if pool.n == 0:                              # nobody to grant it: unmet, it starts
            self.unmet[GRANT] += minutes
            self.begin(c, spell, now)
            return
        self.k["grant_minutes"] += minutes
        task = DeskTask(c.id, c.group, GRANT, minutes, now, lambda t: self.begin(c, spell, t))
        c.tasks.append(task)
        pool.enqueue(member, task)

    def begin(self, c, spell: int, day: float) -> None:
        """The mentor starts on ``day``; its first meeting is that day."""
        if c.spell_no != spell:
            return
        self.k["mentors_started"] += 1
        self.since[c.id] = (spell, day, c)
        self.meet(c, spell)

    def meet(self, c, spell: int) -> None:
        """A mentor meeting (bought), the caseworker's follow-up; the next one is booked."""
        if self.since.get(c.id, (None,))[0] != spell:
            return
        k = self.k
        dkk = self.config.meeting_dkk
        k["mentor_meetings"] += 1
        k["mentor_cost_dkk"] += dkk
        self.groups[c.group].mentor_cost_dkk += dkk
        if self.follow_up > 0:
            pool, member = c.services.routing.route(c, FOLLOW_UP)
            pool.add_background(member, FOLLOW_UP, self.follow_up)
            k["follow_up_minutes"] += self.follow_up
        event_at(self.env, self.config.interval_days, NORMAL).callbacks.append(
            lambda _e: self.meet(c, spell))

    def stop(self, c, day: float) -> None:
        """The spell ends: so does its mentor (its days in the measured window counted)."""
        held = self.since.pop(c.id, None)
        if held is None or held[0] != c.spell_no:
            return
        days = self.measured_days(held[1], day)
        self.k["mentor_days"] += days
        self.groups[c.group].mentor_days += days

    def finish(self) -> None:
        """The end of the run: the mentors still running count their days to the horizon."""
        for _spell, start, c in self.since.values():
            days = self.measured_days(start, self.horizon)
            self.k["mentor_days"] += days
            self.groups[c.group].mentor_days += days
        self.since.clear()


def install(config: Config, model) -> None:
    """Hook the mentors into the spells of every group named that the jobcenter has."""
    counters = model.counters.mechanism(NAME, ACTIVITIES)
    for key in COUNTERS:
        counters[key] = 0
    mentors = Mentors(config, model, counters)
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        stream = model.streams[f"{NAME}/{g}"]
        sv.effects.spell_started.append(
            lambda c, now, s=stream: mentors.spell_started(c, now, s))
        sv.effects.spell_ended.append(mentors.stop)
    model.at_finish.append(mentors.finish)
