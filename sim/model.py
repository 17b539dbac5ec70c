"""The jobcenter model: builds staff, citizens and processes from a config and runs one year.

``run(cfg, replication)`` is the only entry point the rest of the program needs. It returns a
:class:`RunResult` holding the counters, the event log and the per-day staff series; turning
these into files is :mod:`sim.output`'s job.
"""
from __future__ import annotations

import gc
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import simpy

from .citizen import Citizen, GroupContext, enter, hold_talk, wake
from .config import GROUPS, SimConfig
from .jobcenter import DeskTask, RehabTeam, StaffPool
from .metrics import Counters, EventLog
from .population import SpellPlan, SpellPlanner
from .rules import TalkSchedule
from .streams import Streams

INF = math.inf


@dataclass
class RunResult:
    """Everything one replication produced."""

    cfg: SimConfig
    replication: int
    counters: Counters
    log: EventLog
    pools: dict[str, StaffPool]
    wall_seconds: float
    alive_at_end: int


@contextmanager
def paused_cyclic_gc():
    """Pause Python's cyclic garbage collector meanwhile (reference counting goes on).

    Every object made meanwhile counts as new to the collector, so switching it back on plainly
    would make its next pass (at the next allocation) walk all of them: for a model, a few
    percent of the run. Instead the objects still alive are handed to the collector's oldest
    generation first (``gc.freeze`` then ``gc.unfreeze``; skipped if the program froze objects
    of its own), which is only walked once enough new objects have been made again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


class Arrivals:
    """Poisson inflow of new spells into one group. Each arrival is a timeout whose callback
    brings the citizen in and sets the next arrival: no SimPy process to resume."""

    def __init__(self, model: "Model", group: str, per_year: float):
        self.model = model
        self.group = group
        self.stream = model.streams[f"arrivals/{group}"]
        self.mean_gap = 365.0 / per_year          # days
        self.counters = model.counters.groups[group]
        self._set_next()

    def _set_next(self) -> None:
        timeout = self.model.env.timeout(self.stream.exponential(self.mean_gap))
        timeout.callbacks.append(self.arrive)

    def arrive(self, _event) -> None:
        """A new citizen arrives (ignored from the end of the run on)."""
        model = self.model
        if model.env.now >= model.horizon:
            return
        self.counters.inflow_new += 1
        model._new_citizen(self.group, model.planner.draw(self.group), 0.0, visitation=True)
        self._set_next()


ROUND_PRIORITY = 2
"""SimPy orders events at the same time by priority (urgent 0, normal 1): the daily round of
talks comes after both."""


class Model:
    """One jobcenter for one replication: staff pools, rehabilitation team, citizens."""

    def __init__(self, cfg: SimConfig, replication: int = 0):
        self.cfg = cfg
        self.env = simpy.Environment()
        self.warmup = cfg.warmup_days
        self.horizon = cfg.warmup_days + cfg.horizon_days     # simulation end (days)
        self.streams = Streams(cfg.seed, replication)
        self.counters = Counters(cfg.horizon_days)
        self.log = EventLog(cfg.event_log)
        wt = cfg.model.working_time
        jc = cfg.jobcenter
        self.pools: dict[str, StaffPool] = {}
        self.pool_of_group: dict[str, StaffPool] = {}
        for name, spec in jc.caseworker_pools.items():
            pool = self._pool(name, "caseworker", spec.caseworkers, wt.appointment_share,
                              extra_non_bookable=spec.extra_non_bookable_hours)
            for g in spec.serves:
                self.pool_of_group[g] = pool
        days_per_week = wt.workdays_per_year / 52.0
        service = cfg.model.company_work.employer_service_hours_per_week * 60.0 / days_per_week
        self.consultants = self._pool("company_consultants", "company_consultant",
                                      jc.company_consultants, 0.0,
                                      daily_background={"employer_service": service}
                                      if service > 0 else None)
        self.admin = self._pool("admin_staff", "admin_staff", jc.admin_staff, 0.0)
        practice = cfg.model.talks
        booking_work = tuple((act, mins) for act, mins in (
            ("booking", practice.booking_minutes),
            ("invitation_letter", practice.letter_rewrite_minutes)) if mins > 0)
        for pool in self.pools.values():
            pool.booking_work = booking_work
        self.admin.registration_minutes = practice.reception_registration_minutes
        self.schedules = {g: TalkSchedule(r) for g, r in cfg.rules.groups.items()}
        self.rehab_team = RehabTeam(cfg.model.rehab_team.meeting_interval_days,
                                    jc.rehab_team_case_slots_per_meeting)
        self.planner = SpellPlanner(cfg, self.streams)
        self.shared_groups = set(cfg.model.caseload.shared_groups)
        self.keep_fixed_groups = set(cfg.model.caseload.keep_fixed_groups)
        self.latest_timely = cfg.model.talks.booking_rule == "latest_timely"
        self.gx = {g: GroupContext(self, g) for g in cfg.model.groups}
        self.alive: dict[int, Citizen] = {}
        self._next_id = 0
        # the bookings to hold on each day of the run, in order of booking
        self.diary: list[list | None] = [[] for _ in range(self.horizon)]

    def _pool(self, name, staff_type, members, appointment_share, **kwargs) -> StaffPool:
        pool = StaffPool(self.env, name, staff_type, members, self.cfg.model.working_time,
                         self.horizon, appointment_share, self.streams.generator(f"staff/{name}"),
                         self.counters, self.log, measure_from=self.warmup, **kwargs)
        self.pools[name] = pool
        return pool

    # ------------------------------------------------------------------ citizens
    def _new_citizen(self, group: str, plan: SpellPlan, elapsed: float, visitation: bool):
        c = Citizen(self._next_id)
        self._next_id += 1
        self.counters.citizens += 1
        enter(self, c, group, plan, elapsed, visitation)

    def _populate(self):
        """The initial stock at t0, with elapsed spell durations."""
        pipeline = self._expected_rehab_pipeline_days()
        for g in GROUPS:
            vol = self.cfg.jobcenter.groups.get(g)
            if vol is None:
                continue
            self.counters.groups[g].initial_stock = vol.initial_stock
            for plan, elapsed in self.planner.initial_stock(g, vol.initial_stock, pipeline):
                self._new_citizen(g, plan, elapsed, visitation=False)

    def _expected_rehab_pipeline_days(self) -> float:
        rt = self.cfg.model.rehab_team
        return rt.certificate_delay_days + rt.meeting_interval_days / 2.0 + 7.0

    # ------------------------------------------------------------------ talks
    def hold_talks(self):
        """Every day, hold the talks booked for it, in order of booking.

        The round runs after every other event at the start of the day (a lower priority than
        SimPy's normal events), so a talk booked at that moment for that day is still held.
        An entry is stale when its booking was moved, cancelled or replaced since; a booking
        moved to today itself is appended and held in the same round.
        """
        env, diary = self.env, self.diary
        for day in range(self.horizon):
            if env.now < day:
                # a timeout with a priority of its own: SimPy's Timeout is always normal, so the
                # event is marked triggered as Event.succeed does and scheduled directly
                day_starts = simpy.Event(env)
                day_starts._ok, day_starts._value = True, None
                env.schedule(day_starts, ROUND_PRIORITY, day - env.now)
                yield day_starts
            # a list iterator also visits what is appended while it runs: talks moved to today
            for b in diary[day]:
                c = b.citizen
                if c.talk is b and (b.day == day or (b.day is None and b.due == day)):
                    hold_talk(self, c, day)
            diary[day] = None

    # ------------------------------------------------------------------ events of a spell
    def request_offer(self, c: Citizen):
        """The offer deadline has come: start-up work is queued; the offer starts when done."""
        now = self.env.now
        c.offer_day = INF
        cfg = self.cfg.model
        g = c.group
        beh = cfg.groups[g]
        s = self.streams[f"offer_work/{g}"]
        company = s.random() < beh.offer.company_based_share
        resend = s.random() < cfg.offers.form_resend_share
        transport = s.random() < beh.offer.transport_reimbursement_share
        duration = s.exponential(beh.offer.mean_weeks * 7.0)
        spell = c.spell_no
        follow_up = cfg.company_work.offer_follow_up_minutes_per_week
        tasks = []
        if company:
            tasks.append((self.consultants, None, "company_forms", cfg.offers.company_form_minutes))
            if resend:
                tasks.append((self.consultants, None, "form_resend", cfg.offers.form_resend_minutes))
        else:
            tasks.append((c.pool, c.member, "offer_startup", cfg.offers.caseworker_startup_minutes))
        if transport:
            c.pool.add_background(c.member, "transport_reimbursement",
                                  cfg.offers.transport_reimbursement_minutes)
        tasks = [t for t in tasks if t[3] > 0 and t[0].n > 0]
        pending = [len(tasks)]
        gc = self.counters.groups[g]

        def started(day: float):
            if c.spell_no != spell or c.end_day <= day:
                return
            gc.offers_started += 1
            gc.offer_wait_days += day - now
            gc.first_offer_days.append(day - c.spell_start)
            self.log.add(c.id, g, "offer", day, day + duration, "offer", 0.0)
            if company and follow_up > 0:
                self.consultants.add_background(None, "offer_follow_up",
                                                follow_up * duration / 7.0)

        def done(t: float):
            pending[0] -= 1
            if pending[0] == 0:
                started(t)

        if not tasks:
            started(now)
            return
        for pool, member, activity, minutes in tasks:
            task = DeskTask(c.id, g, activity, minutes, now, done)
            c.tasks.append(task)
            pool.enqueue(member, task)

    def refer_to_rehab_team(self, c: Citizen):
        """The caseworker refers the case: preparation, certificate, then a meeting slot."""
        now = self.env.now
        c.referral_day = INF
        rt = self.cfg.model.rehab_team
        g = c.group
        gc = self.counters.groups[g]
        gc.rehab_cases += 1
        s = self.streams[f"rehab/{g}"]
        existing_doc = (c.plan.destination == "disability_pension"
                        and s.random() < rt.pension_existing_documentation_share)
        if existing_doc:
            activity, minutes, certificate = "pension_application", \
                rt.pension_existing_documentation_hours * 60.0, False
        else:
            activity, minutes = "rehab_preparation", rt.preparation_hours * 60.0
            certificate = s.random() < rt.lae265_share
        cert_ready = now
        if certificate:
            self.counters.certificates["lae265"] += 1
            cert_ready = now + s.exponential(rt.certificate_delay_days) \
                if rt.certificate_delay_days > 0 else now
            if rt.certificate_request_minutes > 0:
                c.pool.add_background(c.member, "certificate_request",
                                      rt.certificate_request_minutes)
        spell = c.spell_no

        def ready(t: float):
            if c.spell_no != spell:
                return
            meeting = self.rehab_team.book(max(math.floor(t) + 1.0, cert_ready))
            if meeting is None:
                return                # no meeting slots: the case waits beyond the run
            gc.rehab_wait_days.append(meeting - now)
            c.pool.add_background(c.member, "rehab_meeting", rt.meeting_minutes_per_case)
            self.log.add(c.id, g, "rehab_meeting", now, meeting, "rehab_team", 0.0)
            c.end_day = max(meeting, self.env.now)
            wake(self, c, c.end_day)

        if minutes > 0 and c.pool.n > 0:
            task = DeskTask(c.id, g, activity, minutes, now, ready)
            c.tasks.append(task)
            c.pool.enqueue(c.member, task)
        elif minutes <= 0:
            ready(now)

    def reassess(self, c: Citizen):
        """Formal reassessment of a flexjob-unemployment case (12 of the last 18 months)."""
        now = self.env.now
        c.reassess_day = now + self.cfg.rules.ly_reassessment_after_days
        ra = self.cfg.model.ly_reassessment
        self.counters.certificates["reassessment"] += ra.certificates
        changes = self.streams[f"reassessment/{c.group}"].random() < ra.changes_assessment_share
        spell = c.spell_no

        def done(t: float):
            if changes and c.spell_no == spell and c.end_day > t:
                c.plan = SpellPlan(c.plan.length, "reassessed", "exit", "reassessed", False)
                c.end_day = max(t, self.env.now)
                c.referral_day = INF
                wake(self, c, c.end_day)

        if ra.hours > 0 and c.pool.n > 0:
            task = DeskTask(c.id, c.group, "ly_reassessment", ra.hours * 60.0, now, done)
            c.tasks.append(task)
            c.pool.enqueue(c.member, task)

    # ------------------------------------------------------------------ run
    def _sample_stocks(self):
        env = self.env
        while True:
            self.counters.stock_samples.append(
                (int(env.now), [self.counters.groups[g].stock for g in GROUPS]))
            if env.now + 7 > self.horizon:
                return
            yield env.timeout(7)

    def _end_warmup(self):
        """At the end of the warm-up, start counting afresh from the stock then present."""
        yield self.env.timeout(self.warmup)
        self.counters.reset(self.env.now, len(self.alive))
        for gx in self.gx.values():
            gx.reset()

    def _progress(self, report: Callable[[float], None], step: float):
        env = self.env
        while env.now < self.horizon:
            report(env.now / self.horizon)
            yield env.timeout(step)

    def run(self, progress: Callable[[float], None] | None = None) -> Counters:
        """Simulate the horizon; returns the counters (also available as ``self.counters``).

        Python's cyclic garbage collector is paused meanwhile: the model's objects are freed by
        reference counting (the few cycles a finished run holds are broken by ``_let_go``),
        while the collector's repeated passes over a large jobcenter's hundreds of thousands
        of live objects cost up to a third of the run time.
        """
        with paused_cyclic_gc():
            return self._run(progress)

    def _run(self, progress: Callable[[float], None] | None) -> Counters:
        self._populate()
        self.env.process(self.hold_talks())     # after the initial stock: day 0's talks
        for g, vol in self.cfg.jobcenter.groups.items():
            if vol.inflow_per_year > 0:
                Arrivals(self, g, vol.inflow_per_year)
        self.env.process(self._sample_stocks())
        if self.warmup > 0:
            self.env.process(self._end_warmup())
        if progress is not None:
            self.env.process(self._progress(progress, max(self.horizon / 50.0, 1.0)))
        self.env.run(until=self.horizon)
        self._finish()
        self._let_go()
        if progress is not None:
            progress(1.0)
        return self.counters

    def _finish(self):
        """Count talks overdue at the end and close the time-integrated stocks."""
        h = self.horizon
        for c in self.alive.values():
            b = c.talk
            if b is not None and b.due < h and (b.day is None or b.day >= h):
                self.counters.groups[c.group].talks_overdue_at_end += 1
        for gx in self.gx.values():
            gx.flush(self.counters)
        self.counters.close(h)

    def _let_go(self):
        """Break the reference cycles a finished run leaves, so that its memory is freed by
        reference counting as soon as the model is dropped.

        Processes and the events they wait for refer to each other, a process's generator
        refers to the model, citizens and their bookings, desk tasks and their callbacks refer
        to each other. Left as they are, a model is freed only by a pass of the cyclic garbage
        collector over the whole heap at some later moment (about 0.15 s for a small
        jobcenter, paid by whatever runs next: the next jobcenter of a national run). The
        counters, event log, pools and the final stock of citizens (``alive``: group, spell
        dates) stay as they were; processes, pending events, bookings and desk-task callbacks
        are let go.
        """
        env = self.env
        for _, _, _, event in env._queue:
            event.callbacks = None
        env._queue.clear()
        for c in self.alive.values():
            c.alarm = None
            c.talk = None
            c.tasks = []
        for pool in self.pools.values():
            for queue in pool.desk_queue.queue:
                for task in queue:
                    task.on_done = None
        self.diary = []


def run(cfg: SimConfig, replication: int = 0,
        progress: Callable[[float], None] | None = None) -> RunResult:
    """Simulate one replication of ``cfg``."""
    t0 = time.perf_counter()
    with paused_cyclic_gc():       # building makes no cyclic garbage either
        model = Model(cfg, replication)
        model.run(progress)
    return RunResult(cfg, replication, model.counters, model.log, model.pools,
                     time.perf_counter() - t0, len(model.alive))
