"""The jobcenter model: wires staff, components and citizens from a config and runs one year.

``run(cfg, replication)`` is the only entry point the rest of the program needs. It returns a
:class:`RunResult` holding the counters, the event log and the per-day staff series; turning
these into files is :mod:`sim.output`'s job.

Building a model has three steps: the staff pools (:mod:`sim.domain.staff`); each benefit
group's components, the baseline's (:class:`sim.domain.services.GroupServices`); then every
mechanism the scenario switches on is installed (:mod:`sim.mechanisms`), replacing or wrapping
the components it changes, and the components are bound. The processes themselves live in
:mod:`sim.domain`, one module each.
"""
from __future__ import annotations

import dataclasses
import gc
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import simpy

from . import mechanisms, practice
from .config import EFFECT_SCALES, GROUPS, SimConfig
from .domain.booking import AppointmentBooking, CaseworkerBooks, NoBookingWork
from .domain.caseload import FixedCaseload
from .domain.effects import ServiceEffects
from .domain.extra_talks import ExtraBooking, ExtraRound, ExtraTalks
from .domain.offers import InHouseOffers
from .domain.population import SpellPlan, SpellPlanner
from .domain.reassessment import FormalReassessment, NoReassessment
from .domain.rehabilitation import LocalRehabTeam, RehabMeetings
from .domain.routing import OwnCaseworker
from .domain.rules import TalkSchedule
from .domain.services import GroupServices
from .domain.spells import Citizen, Spells
from .domain.staff import StaffPool
from .domain.talks import DailyRound, IndividualTalks, RulebookDeadlines, TalkService
from .engine.metrics import Counters, EventLog
from .engine.simpy_shortcuts import drop_pending_events
from .engine.streams import Streams

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
    brings the citizen in and sets the next arrival: no SimPy process to resume. One number is
    drawn per arrival (a group without a season; see :class:`SeasonalArrivals` and
    :func:`arrivals`)."""

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
        model.new_citizen(self.group, model.planner.draw(self.group), 0.0, visitation=True)
        self._set_next()


class SeasonalArrivals(Arrivals):
    """Poisson inflow with a seasonal rate (``model.groups.<g>.inflow_season``, amplitude A > 0):
    ``mean x (1 + A cos(2 pi (t - peak) / 365))`` arrivals per day at day t, sampled by thinning
    (Lewis and Shedler 1979): candidates come at the peak rate ``mean x (1 + A)`` and each is
    kept with probability rate(t) / peak rate, both drawn from the group's arrival stream. No
    event is scheduled for a rejected candidate."""

    def __init__(self, model: "Model", group: str, per_year: float):
        season = model.cfg.model.groups[group].inflow_season
        self.amplitude = season.amplitude
        self.peak_day = season.peak_day
        self.candidate_gap = 365.0 / per_year / (1.0 + self.amplitude)   # days, at the peak rate
        super().__init__(model, group, per_year)

    def _set_next(self) -> None:
        now = self.model.env.now
        s = self.stream
        a, peak, gap = self.amplitude, self.peak_day, self.candidate_gap
        t = now
        while True:
            t += s.exponential(gap)
            if s.random() * (1.0 + a) < 1.0 + a * math.cos(2.0 * math.pi * (t - peak) / 365.0):
                break
        timeout = self.model.env.timeout(t - now)
        timeout.callbacks.append(self.arrive)


def arrivals(model: "Model", group: str, per_year: float) -> Arrivals:
    """The inflow of new spells into ``group``: seasonal if its amplitude is above 0."""
    season = model.cfg.model.groups[group].inflow_season
    kind = SeasonalArrivals if season.amplitude > 0.0 else Arrivals
    return kind(model, group, per_year)


def built_config(cfg: SimConfig) -> SimConfig:
    """What the model is built from: the jobcenter's practice resolved (the national average,
    or its own draw) and its staff fitted to it (:mod:`sim.practice`), then each switched-on
    mechanism's ``configure`` (:func:`sim.mechanisms.configure`: a practice norm, a working-time
    line, a pool split), then the practice written into the lines it changes. ``cfg`` itself is
    left as it is."""
    centre = practice.resolve(cfg)
    cfg = dataclasses.replace(cfg, jobcenter=dataclasses.replace(cfg.jobcenter, practice=centre))
    cfg = practice.staffed(cfg, centre)
    cfg = mechanisms.configure(cfg)
    return practice.apply(cfg)


class Model:
    """One jobcenter for one replication: staff pools, group components, citizens.

    Mechanisms use, while they are installed: ``cfg``, ``env``, ``streams``, ``counters``,
    ``log``, ``horizon``, ``warmup``, ``pools`` and :meth:`add_pool`, ``pool_of_group``,
    ``services`` (one :class:`GroupServices` per group), ``spells``, ``daily_round``, and the
    lists ``at_warmup_end`` and ``at_finish`` of callbacks without arguments.
    """

    def __init__(self, cfg: SimConfig, replication: int = 0):
        cfg = built_config(cfg)
        self.cfg = cfg
        self.env = simpy.Environment()
        self.warmup = cfg.warmup_days
        self.horizon = cfg.warmup_days + cfg.horizon_days     # simulation end (days)
        self.streams = Streams(cfg.seed, replication)
        self.counters = Counters(cfg.horizon_days)
        self.log = EventLog(cfg.event_log)
        self.at_warmup_end: list[Callable[[], None]] = []
        self.at_finish: list[Callable[[], None]] = []
        self._build_pools()
        self.daily_round = DailyRound(self.env, self.horizon)
        self.extra_round = ExtraRound(self.env, self.horizon)
        self.planner = SpellPlanner(cfg, self.streams)
        self.services: dict[str, GroupServices] = {}
        self.spells = Spells(self.env, self.horizon, self.services, self.counters, self.log,
                             self.planner, cfg.model.reentry,
                             cfg.rules.revisitation_after_days_out, self.streams)
        self.alive = self.spells.alive
        support = cfg.model.case_support
        self.spells.case_support = self.admin
        self.spells.journal_minutes = support.journal_minutes_per_spell
        meetings = RehabMeetings(cfg.model.rehab_team.meeting_interval_days,
                                 cfg.jobcenter.rehab_team_case_slots_per_meeting)
        for g in cfg.model.groups:
            self.services[g] = self._group_services(g, meetings)
        self._install_effects()
        for name, settings in cfg.mechanisms.items():
            mechanisms.module(name).install(settings, self)
        for sv in self.services.values():
            sv.resolve()
        self._next_id = 0

    # ------------------------------------------------------------------ staff
    def _build_pools(self) -> None:
        cfg, jc = self.cfg, self.cfg.jobcenter
        wt = cfg.model.working_time
        self.pools: dict[str, StaffPool] = {}
        self.pool_of_group: dict[str, StaffPool] = {}
        for name, spec in jc.caseworker_pools.items():
            pool = self.add_pool(name, "caseworker", spec.caseworkers, wt.appointment_share,
                                 extra_non_bookable=spec.extra_non_bookable_hours)
            for g in spec.serves:
                self.pool_of_group[g] = pool
        days_per_week = wt.workdays_per_year / 52.0
        service = cfg.model.company_work.employer_service_hours_per_week * 60.0 / days_per_week
        self.consultants = self.add_pool("company_consultants", "company_consultant",
                                         jc.company_consultants, 0.0,
                                         daily_background={"employer_service": service}
                                         if service > 0 else None)
        self.admin = self.add_pool("admin_staff", "admin_staff", jc.admin_staff, 0.0)
        self.admin.registration_minutes = cfg.model.talks.reception_registration_minutes
        phone = cfg.model.case_support.phone_duty_minutes
        if phone > 0:
            for name in jc.caseworker_pools:          # citizens call phone duty first
                self.pools[name].phone_duty = self.admin
                self.pools[name].phone_duty_minutes = phone

    def add_pool(self, name: str, staff_type: str, members: int, appointment_share: float,
                 **kwargs) -> StaffPool:
        """A new staff pool of ``members`` persons of ``staff_type`` (a key of
        ``model.staff_types``), with ``appointment_share`` of their bookable time open for
        appointments (0: desk work only); its calendars come from the stream ``staff/<name>``."""
        if staff_type not in self.cfg.model.staff_types:
            raise ValueError(f"pool {name}: unknown staff type {staff_type!r}")
        if name in self.pools:
            raise ValueError(f"a staff pool named {name!r} exists already")
        pool = StaffPool(self.env, name, staff_type, members, self.cfg.model.working_time,
                         self.horizon, appointment_share, self.streams.generator(f"staff/{name}"),
                         self.counters, self.log, measure_from=self.warmup, **kwargs)
        elastic = self.cfg.model.elastic_work.get(staff_type)
        if elastic is not None and elastic.max_day_share > 0:
            pool.set_elastic(elastic.activity, elastic.max_day_share)
            self.counters.category[elastic.activity] = elastic.category
            self.counters.elastic.add(elastic.activity)
        self.pools[name] = pool
        return pool

    # ------------------------------------------------------------------ components
    def _group_services(self, g: str, meetings: RehabMeetings) -> GroupServices:
        """The baseline's components for benefit group ``g``."""
        cfg = self.cfg
        m = cfg.model
        beh, practice, rules = m.groups[g], m.talks, cfg.rules.groups[g]
        pool = self.pool_of_group[g]
        gc = self.counters.groups[g]
        streams = self.streams
        talks = TalkService(g, beh, practice, pool, self.admin, gc, self.log, streams,
                            m.medical_certificates.handling_minutes, self.counters.certificates)
        talks.journal_minutes = m.case_support.journal_minutes_per_document
        sv = GroupServices(g, pool, talks)
        schedule = TalkSchedule(rules)
        sv.schedule = schedule
        sv.s_talk_phase = streams[f"talk_phase/{g}"]
        sv.contact_rate = beh.unplanned_contacts_per_month * 12.0 / m.working_time.workdays_per_year
        sv.contact_minutes = beh.unplanned_contact_minutes
        sv.deadlines = RulebookDeadlines(schedule, practice.booking_margin_days)
        sv.talk_format = IndividualTalks(g, beh, practice, streams)
        sv.booking_policy = AppointmentBooking(pool, self.daily_round, practice.booking_rule)
        booking_work = practice.booking_minutes + practice.letter_rewrite_minutes
        sv.booker = (CaseworkerBooks(pool, practice, self.admin, m.case_support.booking_share,
                                     streams[f"booking_split/{g}"])
                     if booking_work > 0.0 else NoBookingWork())
        if beh.extra_talks.share > 0.0:
            extra_format = IndividualTalks(g, beh, practice, streams, stream="extra_talk_minutes",
                                           kind=ExtraBooking)
            sv.extra_talks = ExtraTalks(g, beh.extra_talks, pool, extra_format,
                                        practice.booking_lead_days, booking_work,
                                        beh.no_show_share, practice.no_show_wait_minutes,
                                        self.extra_round, self.counters, self.log, streams)
        sv.caseload = FixedCaseload(pool)
        sv.routing = OwnCaseworker()
        unmet = self.counters.unmet_minutes
        sv.offers = InHouseOffers(g, cfg, self.env, self.consultants, gc, self.log, streams, sv,
                                  unmet, self.spells, self.warmup, self.horizon)
        sv.offers.case_support = self.admin
        sv.offers.journal_minutes = m.case_support.journal_minutes_per_document
        sv.decision = LocalRehabTeam(g, cfg, self.env, meetings, gc, self.counters.certificates,
                                     self.log, streams, sv, self.spells, unmet)
        sv.reassessment = (FormalReassessment(g, rules.reassessment_after_days, cfg, self.env,
                                              self.counters.certificates, streams, sv,
                                              self.spells, unmet)
                           if rules.reassessment_after_days else NoReassessment())
        return sv

    def _install_effects(self) -> None:
        """The spell effects of every group (none when ``effects=none`` or every effect is
        neutral: then no hook runs and spells end as drawn)."""
        cfg = self.cfg
        sizes = cfg.model.effects
        scale = EFFECT_SCALES[cfg.effects]
        if scale == 0.0 or sizes.neutral:
            return
        components = {}
        for g, sv in self.services.items():
            fx = ServiceEffects(g, sizes, scale, self.spells, self.planner, self.streams,
                                self.counters.groups[g], self.warmup, self.horizon)
            fx.install(sv.effects)
            components[g] = fx
        alive = self.alive

        def count_open_spells():          # once over the citizens still in a spell
            for c in alive.values():
                components[c.group].finish(c)
        self.at_finish.append(count_open_spells)

    # ------------------------------------------------------------------ citizens
    def new_citizen(self, group: str, plan: SpellPlan, elapsed: float, visitation: bool):
        """A citizen enters ``group`` now, in a spell that began ``elapsed`` days ago."""
        c = Citizen(self._next_id)
        self._next_id += 1
        self.counters.citizens += 1
        self.spells.enter(c, group, plan, elapsed, visitation)

    def _populate(self):
        """The initial stock at t0, with elapsed spell durations."""
        pipeline = self._expected_rehab_pipeline_days()
        for g in GROUPS:
            vol = self.cfg.jobcenter.groups.get(g)
            if vol is None:
                continue
            self.counters.groups[g].initial_stock = vol.initial_stock
            for plan, elapsed in self.planner.initial_stock(g, vol.initial_stock, pipeline):
                self.new_citizen(g, plan, elapsed, visitation=False)

    def _expected_rehab_pipeline_days(self) -> float:
        rt = self.cfg.model.rehab_team
        return rt.certificate_delay_days + rt.meeting_interval_days / 2.0 + 7.0

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
        for sv in self.services.values():
            sv.talks.reset()
        for restart in self.at_warmup_end:
            restart()

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
        self.env.process(self.daily_round.process())   # after the initial stock: day 0's talks
        self.env.process(self.extra_round.process())   # then the day's extra talks
        for g, vol in self.cfg.jobcenter.groups.items():
            if vol.inflow_per_year > 0:
                arrivals(self, g, vol.inflow_per_year)
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
        """Count talks overdue at the end, count offers still running up to the horizon and
        close the time-integrated stocks."""
        h = self.horizon
        for c in self.alive.values():
            b = c.talk
            if b is not None and b.due < h and (b.day is None or b.day >= h):
                self.counters.groups[c.group].talks_overdue_at_end += 1
            if c.offer_end < INF:
                c.services.offers.close(c, h)
        for sv in self.services.values():
            sv.talks.flush(self.counters)
        backlog = self.counters.backlog_minutes
        for pool in self.pools.values():
            for acts in pool.background_by_activity:
                for act, minutes in acts.items():
                    if minutes > 1e-9:
                        backlog[act] += minutes
            for queue in pool.desk_queue.queue:
                for task in queue:
                    if not task.cancelled:
                        backlog[task.activity] += task.remaining
            for act, minutes in pool.handed_in.items():
                backlog[act] += minutes
            if any(pool.callbacks):
                backlog["unplanned_contact"] += sum(pool.callbacks)
        for finish in self.at_finish:
            finish()
        self.counters.close(h)

    def release(self) -> None:
        """Let go of a model that was built but will not be run (see ``_let_go``)."""
        self._let_go()

    def _let_go(self):
        """Break the reference cycles a finished run leaves, so that its memory is freed by
        reference counting as soon as the model is dropped.

        Processes and the events they wait for refer to each other, a process's generator
        refers to the model, citizens and their bookings, desk tasks and their callbacks refer
        to each other. Left as they are, a model is freed only by a pass of the cyclic garbage
        collector over the whole heap at some later moment (about 0.15 s for a small
        jobcenter, paid by whatever runs next: the next jobcenter of a national run). The
        counters, event log, pools and the final stock of citizens (``alive``: group, spell
        dates) stay as they were; processes, pending events, bookings, components and desk-task
        callbacks are let go.
        """
        drop_pending_events(self.env)
        for c in self.alive.values():
            c.alarm = None
            c.talk = None
            c.tasks = []
            c.services = None
        for pool in self.pools.values():
            for queue in pool.desk_queue.queue:
                for task in queue:
                    task.on_done = None
            if hasattr(pool, "extra_index"):
                pool.extra_index = []
        self.daily_round.diary = []
        self.extra_round.diary = []
        for c in self.alive.values():
            c.extra_talk = None
        self.spells.ring = None               # the bound callback refers to the spells
        for sv in self.services.values():     # components refer to their group's services
            sv.__dict__.clear()
        self.services.clear()
        self.at_warmup_end.clear()
        self.at_finish.clear()


def run(cfg: SimConfig, replication: int = 0,
        progress: Callable[[float], None] | None = None) -> RunResult:
    """Simulate one replication of ``cfg``."""
    t0 = time.perf_counter()
    with paused_cyclic_gc():       # building makes no cyclic garbage either
        model = Model(cfg, replication)
        model.run(progress)
    return RunResult(model.cfg, replication, model.counters, model.log, model.pools,
                     time.perf_counter() - t0, len(model.alive))
