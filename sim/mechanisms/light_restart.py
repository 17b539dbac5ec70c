"""A light restart for cash-benefit recipients who come back after more than a month out (QB14
proposal A4).

In the baseline a citizen who returns to cash benefit after more than
``rules.revisitation_after_days_out`` days out (a *re-visit*, :mod:`sim.domain.spells`) starts a
new spell as a new case: a visitation talk due ``first_talk_days`` after the return, the
rulebook's cadence from its first phase (job-ready: a talk every 42 days for the first 3 months,
then every 91), the offer clock restarted (the legal deadline's offer ``offer_deadline_days``
after the return, offers by practice some weeks after it), and case support registers a new
case. QB14: a restart repeats information meetings, mandatory talks and offers, a little cheaper
than a first start because the file exists.

With a light restart the caseworker judges the case on its file. For ``light_share`` of the
re-visits whose earlier spell had a talk, the contact course goes on where it stopped:

* **no visitation**: the first talk after the return is a follow-up talk, due when the interval
  that the break interrupted would have ended, the days out not counted (``pause_while_out``;
  false: counted, so that it is usually due at once), and never before the visitation's deadline
  (``first_talk_days`` after the return), so that it can be booked as a visitation would be;
* **the cadence goes on**: later talks follow the rulebook's interval for the course's age, the
  days of the earlier spells of the course (light restarts in a row add up) plus those since the
  return;
* **the offer clock is not restarted** (``carry_offer_deadline``): the legal deadline counts the
  course's days, so a course that was past it before the break gets no new deadline offer; one
  that was not gets it that much sooner (marked with the baseline's share, drawn afresh because
  the baseline's mark is only kept for a deadline inside the spell). Offers by practice are the
  jobcenter's judgement already and start as in the baseline.

Kept as in the baseline: case support's registration of the case (the benefit application is
registered and journalised whichever way the course restarts), a new spell length and caseworker,
and every re-visit the caseworker judges differently (``1 - light_share``) or whose earlier spell
ended before its first talk (nothing to continue: a full visitation). Information meetings are
not modelled. Returns within the month (a *resume*) are not changed.

Seams: the deadlines of a group's talks (:class:`sim.seams.Deadlines`) and its offer provider
(the legal deadline), told of a coming re-visit by the group's ``spell_follows`` hook. Stream
``light_restart/<group>``: one draw per re-visit (the judgement), one per light restart of a
group with an offer deadline (its mark). Times are days.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..schema import ConfigError, probability
from .common import check_groups

NAME = "light_restart"
SEAM = "deadlines"

INF = math.inf

COUNTERS = ("revisits", "light_restarts", "full_restarts_judged",
            "full_restarts_nothing_to_continue", "carried_course_days",
            "first_talk_days_after_return", "offer_deadlines_carried", "offer_deadlines_passed")
"""The mechanism's counters (``Counters.mechanisms["light_restart"]``) over the measured period:
re-visits coming (counted when the earlier spell ends), light restarts, full restarts by the
caseworker's judgement and for want of a talk to continue from; summed over the light restarts,
the course days carried over and the days from the return to the first talk's deadline; light
restarts whose course still had its legal offer deadline ahead (marked for it) and those whose
course was past it before the break (no deadline offer)."""


@dataclass
class Config:
    """``groups`` with light restarts (QB14 A4: cash benefit); ``light_share``: share of the
    re-visits the caseworker restarts lightly (assumption); ``pause_while_out``: the interval
    interrupted by the break resumes after the return (false: it ran on while out);
    ``carry_offer_deadline``: the legal offer deadline counts the course's days, not the new
    spell's."""

    groups: list[str] = field(default_factory=lambda: ["kth_job_ready", "kth_activity_ready"])
    light_share: float = probability(1.0)
    pause_while_out: bool = True
    carry_offer_deadline: bool = True

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")


class LightRestarts:
    """The light restarts of one group: which re-visit continues its course, and from where.

    ``course[c.id] = (spell_no, carried, first)`` for a citizen whose spell number ``spell_no``
    is (or will be) a light restart: the course days ``carried`` over from earlier spells and
    the days from the return to the first talk's deadline.
    """

    def __init__(self, group: str, config: Config, model, counters):
        cfg = model.cfg
        rules = cfg.rules.groups[group]
        self.schedule = model.services[group].schedule    # the rulebook's cadence
        self.first_talk_days = rules.first_talk_days
        self.margin = cfg.model.talks.booking_margin_days
        self.share = config.light_share
        self.pause = config.pause_while_out
        self.stream = model.streams[f"{NAME}/{group}"]
        self.k = counters
        self.course: dict[int, tuple[int, float, float]] = {}

    def follows(self, c, now: float, kind: str, delay: float) -> None:
        """A spell of ``c`` ended ``now`` and a spell in this group follows after ``delay``
        days: for a re-visit, decide on a light restart and note where the course stands."""
        if kind != "revisit":
            return
        k = self.k
        k["revisits"] += 1
        light = self.stream.random() < self.share
        last = c.last_talk_day                 # the ended spell's last talk (None: none held)
        if last is None:
            k["full_restarts_nothing_to_continue"] += 1
            return
        if not light:
            k["full_restarts_judged"] += 1
            return
        ended = c.spell_no - 1                 # end_spell has counted the spell closed
        before = self.course.get(c.id)
        carried = before[1] if before is not None and before[0] == ended else 0.0
        age_at_last = carried + (last - c.spell_start)
        due = last + self.schedule.interval(age_at_last)    # the interrupted interval's end
        left = due - now if self.pause else due - (now + delay)
        first = max(float(self.first_talk_days), left)
        carried += now - c.spell_start
        self.course[c.id] = (c.spell_no + 1, carried, first)
        k["light_restarts"] += 1
        k["carried_course_days"] += carried
        k["first_talk_days_after_return"] += first

    def state(self, c) -> tuple[int, float, float] | None:
        """``(spell_no, carried, first)`` if ``c``'s current spell is a light restart."""
        st = self.course.get(c.id)
        return st if st is not None and st[0] == c.spell_no else None


class ContinuedCourse:
    """Seam *deadlines* for one group: a light restart's talks continue the course's cadence;
    every other spell's deadlines are the wrapped component's."""

    __slots__ = ("inner", "course", "schedule", "margin")

    def __init__(self, inner, restarts: LightRestarts):
        self.inner = inner.next
        self.course = restarts.course
        self.schedule = restarts.schedule
        self.margin = restarts.margin

    def next(self, c) -> tuple[int, int]:
        """(deadline, planned day) of citizen ``c``'s next talk."""
        st = self.course.get(c.id)
        if st is None or st[0] != c.spell_no:
            return self.inner(c)
        last = c.last_talk_day
        if last is None:                       # the first talk after the return
            due = int(c.spell_start + st[2])
        else:
            due = int(last + self.schedule.interval(last - c.spell_start + st[1]))
        return due, due - self.margin


class CarriedOfferClock:
    """Seam *offer provider* for one group: the wrapped provider, with a light restart's legal
    offer deadline counted from the course's start instead of the return."""

    def __init__(self, inner, restarts: LightRestarts, deadline_days: int, share: float,
                 counters):
        self.inner = inner
        self.restarts = restarts
        self.deadline_days = deadline_days
        self.share = share
        self.k = counters
        self.request = inner.request
        self.close = inner.close

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def schedule(self, c, now: float, spell_start: float, end: float) -> None:
        """The wrapped provider's dates (its draws as in the baseline); then, for a light
        restart, the legal deadline moved back by the course days carried over."""
        self.inner.schedule(c, now, spell_start, end)
        st = self.restarts.state(c)
        if st is None:
            return
        marked = self.restarts.stream.random() < self.share
        due = spell_start + self.deadline_days - st[1]
        if due < now:
            self.k["offer_deadlines_passed"] += 1
            c.offer_deadline = INF
        elif marked and due < end:
            self.k["offer_deadlines_carried"] += 1
            c.offer_deadline = due
        else:
            c.offer_deadline = INF
        c.offer_day = min(c.offer_deadline, c.offer_next, c.offer_end)


def install(config: Config, model) -> None:
    """Give every group in ``config.groups`` that the jobcenter has light restarts (a
    ConfigError for a group citizens do not return to, ``model.reentry``)."""
    cfg = model.cfg
    counters = model.counters.mechanism(NAME)
    for key in COUNTERS:
        counters[key] = 0
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        if g not in cfg.model.reentry:
            raise ConfigError(f"'mechanisms.{NAME}.groups' names '{g}', to which no citizen "
                              "returns (model.reentry has "
                              + (", ".join(cfg.model.reentry) or "no group") + ")")
        restarts = LightRestarts(g, config, model, counters)
        sv.spell_follows.append(restarts.follows)
        sv.deadlines = ContinuedCourse(sv.deadlines, restarts)
        deadline_days = cfg.rules.groups[g].offer_deadline_days
        if config.carry_offer_deadline and deadline_days is not None:
            sv.offers = CarriedOfferClock(sv.offers, restarts, deadline_days,
                                          cfg.model.groups[g].offer.share, counters)
