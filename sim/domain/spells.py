"""A citizen's spells in the jobcenter: start, end, transfers and returns, driven by alarms.

A citizen lives through one or more spells (a transfer or a return after time out starts a new
one). During a spell the citizen sleeps until the next thing it has to do (an offer date,
referral to the rehabilitation team, a reassessment, or the end of the spell) on an
:class:`Alarm`, a SimPy event whose callback carries the spell on, and nothing polls. (An alarm
orders exactly as a SimPy process per citizen would, at a fraction of the cost: no generator to
resume, no start and end events; see :mod:`sim.engine.simpy_shortcuts`.) Booked talks are held
by the daily round of talks (:mod:`sim.domain.talks`), which costs no event per talk. What a
spell needs from the jobcenter (a caseworker, talks, an offer, a decision) comes from its
group's components (:class:`sim.domain.services.GroupServices`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..engine.simpy_shortcuts import NORMAL, URGENT, Triggered

if TYPE_CHECKING:
    from ..config import Reentry
    from ..engine.metrics import Counters, EventLog
    from ..engine.streams import Streams
    from .population import SpellPlan, SpellPlanner
    from .services import GroupServices
    from .staff import DeskTask, StaffPool
    from .talks import Booking

INF = math.inf


class Citizen:
    """State of one citizen: the current spell, caseworker and what comes next (days)."""

    __slots__ = ("id", "group", "spell_no", "spell_start", "plan", "end_day", "referral_day",
                 "offer_day", "reassess_day", "pool", "member", "last_talk_day", "talk",
                 "wake_at", "alarm", "next_spell", "tasks", "contact_rate", "contact_minutes",
                 "services", "extra_talk", "offer_deadline", "offer_next", "offer_start",
                 "offer_end", "offer_pending", "offer_had", "offer_company", "fx")

    def __init__(self, cid: int):
        self.id = cid
        self.group = ""
        self.spell_no = 0
        self.spell_start = 0.0
        self.plan: SpellPlan | None = None
        self.end_day = INF
        self.referral_day = INF
        self.offer_day = INF
        self.reassess_day = INF
        self.pool: StaffPool | None = None
        self.member: int | None = None
        self.last_talk_day: float | None = None
        self.talk: Booking | None = None
        self.extra_talk: Booking | None = None   # an extra talk booked (elastic work)
        self.wake_at = INF
        self.alarm: Alarm | None = None     # the Alarm it waits for (None: gone for good)
        self.next_spell = None              # (group, revisit) of the spell after time out
        self.tasks: list[DeskTask] = []
        self.contact_rate = 0.0
        self.contact_minutes = 0.0
        self.services: GroupServices | None = None   # the group's components during a spell
        # offers (sim.domain.offers): legal deadline, next start by practice, the running
        # offer's start and planned end (INF: none running), start-up queued, one started
        self.offer_deadline = INF
        self.offer_next = INF
        self.offer_start = INF
        self.offer_end = INF
        self.offer_pending = False
        self.offer_had = False
        self.offer_company = False          # the running (or last) offer is company-based
        self.fx = None                      # a job spell's hazard clock (sim.domain.effects)


class Alarm(Triggered):
    """The moment a citizen has to act next: a triggered event scheduled for that time, whose
    callback (:meth:`Spells.alarm_rings`) carries the spell on."""

    def __init__(self, spells: "Spells", citizen: Citizen, delay: float,
                 priority: int = NORMAL, restart: bool = False):
        env = self.env = spells.env
        self.callbacks = [spells.ring]      # triggered at once (Triggered), as a Timeout is
        self.citizen = citizen
        self.restart = restart              # True: it starts the next spell after time out
        env.schedule(self, priority, delay)


class Spells:
    """Starts, carries on and ends the spells of a jobcenter's citizens."""

    def __init__(self, env, horizon: int, services: dict[str, "GroupServices"],
                 counters: "Counters", log: "EventLog", planner: "SpellPlanner",
                 reentry: dict[str, "Reentry"], revisitation_after_days_out: int,
                 streams: "Streams"):
        self.env = env
        self.horizon = horizon
        self.services = services
        self.counters = counters
        self.log = log
        self.planner = planner
        self.reentry = reentry
        self.reentry_destinations = {g: set(r.after_destinations) for g, r in reentry.items()}
        self.revisitation_after = revisitation_after_days_out
        self.streams = streams
        self.alive: dict[int, Citizen] = {}
        self.ring = self.alarm_rings        # the alarms' callback, bound once
        # case support registers each new case and closes it (minutes per spell, in all)
        self.case_support: StaffPool | None = None
        self.journal_minutes = 0.0
    # ------------------------------------------------------------------ alarms
    def enter(self, c: Citizen, group: str, plan: "SpellPlan", elapsed: float,
              visitation: bool) -> None:
        """Citizen ``c`` enters the jobcenter now, starting a spell in ``group`` that began
        ``elapsed`` days ago, and sets its alarm."""
        self.start_spell(c, group, plan, self.env.now - elapsed, visitation)
        self._arm(c)

    def _arm(self, c: Citizen) -> None:
        """Set the citizen's alarm for the next thing it has to do (nothing: after the run)."""
        t = c.end_day
        if c.referral_day < t:
            t = c.referral_day
        if c.offer_day < t:
            t = c.offer_day
        if c.reassess_day < t:
            t = c.reassess_day
        if t == INF:
            t = self.horizon + 1.0      # nothing more can happen to this citizen in the run
        c.wake_at = t
        now = self.env.now
        c.alarm = Alarm(self, c, t - now if t > now else 0.0)

    def wake(self, c: Citizen, day: float) -> None:
        """Make sure citizen ``c`` acts by ``day`` (its plans changed while it slept): an urgent
        event now sets its alarm afresh, as interrupting a sleeping SimPy process would."""
        if day < c.wake_at and c.alarm is not None:
            c.alarm = Alarm(self, c, 0.0, URGENT)

    def bring_forward(self, c: Citizen, day: float) -> None:
        """Citizen ``c`` must act on ``day``, before its alarm (its spell's end came closer): the
        alarm is set for that day directly (one event, where :meth:`wake` takes two)."""
        if day < c.wake_at and c.alarm is not None:
            c.wake_at = day
            now = self.env.now
            c.alarm = Alarm(self, c, day - now if day > now else 0.0)

    def alarm_rings(self, a: Alarm) -> None:
        """The citizen's alarm: start a spell, end one, or do what is due; then set the alarm."""
        c = a.citizen
        if c.alarm is not a:
            return                        # replaced by a later alarm since
        now = self.env.now
        if a.restart:
            group, revisit = c.next_spell
            c.next_spell = None
            self.start_spell(c, group, self.planner.draw(group), now, revisit)
            self.counters.groups[group].inflow_reentry += 1
            self._arm(c)
            return
        if c.wake_at > now:
            self._arm(c)               # woken early: plans changed (see wake)
            return
        if c.end_day <= now:
            nxt = self.end_spell(c)
            if nxt is None:
                c.alarm = None
                return
            kind, group, delay = nxt
            for follows in self.services[group].spell_follows:   # mechanisms' hooks (none in
                follows(c, now, kind, delay)                     # the baseline)
            if delay > 0:
                c.wake_at = INF
                c.next_spell = (group, kind == "revisit")
                c.alarm = Alarm(self, c, delay, restart=True)
                return
            self.start_spell(c, group, self.planner.draw(group), now, kind == "revisit")
            if kind == "revisit" or kind == "resume":
                self.counters.groups[group].inflow_reentry += 1
        elif c.referral_day <= now:
            c.services.decision.refer(c)
        elif c.reassess_day <= now:
            c.services.reassessment.reassess(c)
        elif c.offer_day <= now:
            c.services.offers.request(c)
        self._arm(c)

    # ------------------------------------------------------------------ spells
    def start_spell(self, c: Citizen, group: str, plan: "SpellPlan", spell_start: float,
                    visitation: bool) -> None:
        """Begin a spell: caseworker, planned end, offer and reassessment dates, first talk."""
        now = self.env.now
        sv = self.services[group]
        c.group = group
        c.services = sv
        c.spell_no += 1
        c.spell_start = spell_start
        c.plan = plan
        c.tasks = []
        pool = sv.pool
        c.pool = pool
        c.member = sv.caseload.assign(c, now)
        c.contact_rate = sv.contact_rate
        c.contact_minutes = sv.contact_minutes
        pool.join(c.member, c.contact_rate, c.contact_minutes)
        end = spell_start + plan.length
        if plan.via_rehab_team:
            c.referral_day, c.end_day = max(end, now), INF
        else:
            c.referral_day, c.end_day = INF, max(end, now)
        sv.offers.schedule(c, now, spell_start, end)
        c.reassess_day = INF
        sv.reassessment.schedule(c, now, spell_start)
        sched = sv.schedule
        elapsed = now - spell_start
        if visitation or elapsed < sched.first_talk_days:
            c.last_talk_day = None
        else:   # a spell in progress at t0: the last talk lies a uniform share of an interval back
            u = sv.s_talk_phase.random()
            last = now - u * sched.interval(elapsed)
            iv_then = sched.interval(last - spell_start)
            if last + iv_then < now:
                # the last talk fell in an earlier cadence phase with a shorter interval: place
                # it within that interval instead, so the next talk is not already overdue at t0
                last = now - u * iv_then
            c.last_talk_day = last
        for effect in sv.effects.spell_started:      # may move a job spell's end (effects)
            effect(c, now)
        self.counters.change_stock(group, now, +1)
        if self.journal_minutes and spell_start == now:      # a case opened today
            self.case_support.hand_in("journalising", self.journal_minutes)
        self.alive[c.id] = c
        # the stock at t0 had its next talk booked before the run began: no lead time applies
        sv.next_talk(c, now, 0 if now == 0.0 and not visitation else None)

    def end_spell(self, c: Citizen):
        """Close the spell; returns (kind, group, delay) for a following spell, or None."""
        now = self.env.now
        counters = self.counters
        gc = counters.groups[c.group]
        if c.talk is not None:
            c.services.booking_policy.cancel(c, c.talk)
            c.talk = None
        if c.extra_talk is not None:
            c.services.extra_talks.cancel(c)
        for t in c.tasks:
            t.cancelled = True
            t.on_done = None
        c.tasks = []
        c.pool.leave(c.member, c.contact_rate, c.contact_minutes)
        c.services.offers.close(c, now)
        for effect in c.services.effects.spell_ended:
            effect(c, now)
        counters.change_stock(c.group, now, -1)
        gc.completed_spell_days.append(now - c.spell_start)
        plan = c.plan
        if self.log.enabled:
            self.log.add(c.id, c.group, "spell", c.spell_start, now,
                         plan.destination if plan.to == "exit" else plan.to, 0.0)
        del self.alive[c.id]
        c.spell_no += 1            # callbacks of work queued for this spell now find it closed
        c.referral_day = c.offer_day = c.reassess_day = c.end_day = INF
        if plan.to != "exit":
            gc.transfers_out += 1
            counters.groups[plan.to].transfers_in += 1
            return ("transfer", plan.to, 0.0)
        gc.exits[plan.destination] += 1
        re = self.reentry.get(c.group)
        if re is not None and plan.destination in self.reentry_destinations[c.group]:
            s = self.streams[f"reentry/{c.group}"]
            if s.random() < re.return_share:
                out = s.exponential(re.mean_days_out)
                if now + out < self.horizon:
                    limit = self.revisitation_after
                    return ("revisit" if out > limit else "resume", c.group, out)
        return None
