"""Offers: who gets one, when, the work to start it, and how long it runs (the offer provider seam).

Offers start in two ways (``model.groups.<g>.offer``, :class:`sim.config.OfferBehaviour`):

* **by practice**: when a spell starts, ``practice_share`` of the group's citizens are given a
  start date some weeks after the spell's start (after visitation);
* **at the legal deadline** (the rulebook's ``offer_deadline_days``): ``share`` of spells are
  marked for the deadline when they start (spells that end before it are not); a marked citizen
  who is still on benefit at the deadline and has no offer under way (neither being started up
  nor running) gets one then, and a later start planned by practice is dropped. The deadline is
  the latest date, never a reason to wait.

When an offer's date comes, its start-up work is queued; the offer starts when the work is done,
and the wait is measured. The baseline provider (:class:`InHouseOffers`) is the mix of 2013:
company-based offers (internship, wage subsidy), whose forms company consultants fill in and
often resend, and guidance and upskilling offers started by the caseworker; transport
reimbursement is computed by hand, by case-support staff, who also journalise the signed forms. An offer ends at its planned end or when the spell ends or
transfers, whichever comes first; one that ends before the spell is followed by a further offer
for ``repeat_share`` of citizens, after a gap. The days an offer runs inside the measured window
(from the end of the warm-up to the horizon) are counted as active offer-days of the group.

A spell in progress at t0 (the initial stock) has lived through its offers by practice before
t0: they are drawn as they would have happened, without start-up work, so that the stock starts
with about its share of running offers.

Times are days, work minutes.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

from .staff import DeskTask

if TYPE_CHECKING:
    from ..config import SimConfig
    from ..engine.metrics import EventLog, GroupCounters
    from ..engine.streams import Streams
    from .spells import Citizen, Spells
    from .staff import StaffPool

INF = math.inf


class InHouseOffers:
    """Seam *offer provider*, the baseline: the 2013 offer mix, started by the jobcenter.

    A citizen's offer state (reset when a spell starts): ``offer_deadline`` (day of the legal
    deadline, INF: none), ``offer_next`` (day of the next start by practice or repeat, INF:
    none), ``offer_pending`` (start-up work queued), ``offer_start`` and ``offer_end`` (the
    running offer's start and planned end; ``offer_end`` INF: none running), ``offer_had``
    (an offer has started in this spell); ``offer_day`` is the earliest of the three dates, the
    day the citizen's alarm brings it to :meth:`request`.
    """

    def __init__(self, group: str, cfg: "SimConfig", env, consultants: "StaffPool",
                 counters: "GroupCounters", log: "EventLog", streams: "Streams", services,
                 unmet: dict, spells: "Spells", measure_from: float, horizon: float):
        m = cfg.model
        beh = m.groups[group].offer
        self.group = group
        self.env = env
        self.consultants = consultants
        self.counters = counters
        self.log = log
        self.services = services                  # the group's routing and spell effects
        self.spells = spells
        self.measure_from = measure_from          # end of the warm-up (day)
        self.horizon = horizon                    # end of the run (day)
        self.deadline_days = cfg.rules.groups[group].offer_deadline_days
        self.share = beh.share
        self.practice_share = beh.practice_share
        self.start_mean_days = beh.practice_start_weeks * 7.0
        self.start_cv = beh.practice_start_cv
        self.repeat_share = beh.repeat_share
        self.gap_days = beh.repeat_gap_weeks * 7.0
        self.s_offer = streams[f"offer/{group}"]             # marked for the deadline
        self.s_practice = streams[f"offer_practice/{group}"]  # by practice: who, when, repeats
        self.s_work = streams[f"offer_work/{group}"]         # kind, start-up work, duration
        self.company_share = beh.company_based_share
        self.transport_share = beh.transport_reimbursement_share
        self.mean_days = beh.mean_weeks * 7.0
        self.work = m.offers
        self.follow_up = m.company_work.offer_follow_up_minutes_per_week
        # case support (set by the model): transport reimbursements and journalising of forms;
        # None: the offer's routing takes the reimbursement, and nothing is journalised
        self.case_support = None
        self.journal_minutes = 0.0
        self.unmet = unmet                        # work its pool has no staff for (minutes)

    # ------------------------------------------------------------------ dates
    def schedule(self, c: "Citizen", now: float, spell_start: float, end: float) -> None:
        """Set the offer dates of a spell that started on ``spell_start`` and is planned to
        end on ``end`` (``c.offer_day``; INF: no offer planned)."""
        c.offer_deadline = c.offer_next = c.offer_end = INF
        c.offer_pending = c.offer_had = False
        if self.deadline_days is not None:
            due = spell_start + self.deadline_days
            if self.s_offer.random() < self.share and due >= now and due < end:
                c.offer_deadline = due
        if self.practice_share > 0.0:
            s = self.s_practice
            if s.random() < self.practice_share:
                t = spell_start + s.lognormal_mean_cv(self.start_mean_days, self.start_cv)
                if t < now:
                    t = self._before_t0(c, t, now, end)
                if t < end:
                    c.offer_next = t
        c.offer_day = min(c.offer_deadline, c.offer_next, c.offer_end)

    def _before_t0(self, c: "Citizen", t: float, now: float, end: float) -> float:
        """The offers by practice of a spell in progress at t0 whose first offer would have
        started on ``t`` < ``now``: marks one still running at ``now``; returns the day of the
        next offer to start (INF: none)."""
        s = self.s_practice
        while t < now:
            duration = s.exponential(self.mean_days)
            c.offer_had = True
            if t + duration > now:                # running at t0
                c.offer_start, c.offer_end = t, t + duration
                c.offer_company = s.random() < self.company_share
                if c.offer_company and self.follow_up > 0:
                    left = min(t + duration, end) - now
                    self.consultants.add_background(None, "offer_follow_up",
                                                    self.follow_up * max(left, 0.0) / 7.0)
                return INF
            if s.random() >= self.repeat_share:
                return INF
            t += duration + s.exponential(self.gap_days)
        return t

    def request(self, c: "Citizen") -> None:
        """One of the citizen's offer dates has come (``c.offer_day``): a running offer's
        planned end, the legal deadline, or a start by practice."""
        now = self.env.now
        if c.offer_end <= now:
            self._stop(c, c.offer_end, True)
        deadline = c.offer_deadline <= now
        practice = c.offer_next <= now
        if deadline:
            c.offer_deadline = INF
        if practice:
            c.offer_next = INF
        if (deadline or practice) and not c.offer_pending and c.offer_end == INF:
            c.offer_next = INF               # the deadline's offer replaces a later one
            self._start_up(c, now)
        c.offer_day = min(c.offer_deadline, c.offer_next, c.offer_end)

    def close(self, c: "Citizen", day: float) -> None:
        """The spell ends (or the run does) on ``day``: a running offer stops counting then."""
        if c.offer_end < INF:
            self._stop(c, day, False)
        c.offer_day = c.offer_next = c.offer_deadline = INF

    def _stop(self, c: "Citizen", day: float, planned: bool) -> None:
        """End the running offer on ``day`` (its planned end when ``planned``): count its
        active days inside the measured window, log it, and perhaps plan the next one."""
        start, end = c.offer_start, c.offer_end
        stop = end if day > end else day
        days = (stop if stop < self.horizon else self.horizon) - \
            (start if start > self.measure_from else self.measure_from)
        if days > 0.0:
            self.counters.offer_days_active += days
        self.log.add(c.id, self.group, "offer", start, stop, "offer", 0.0)
        c.offer_end = INF
        if planned and self.repeat_share > 0.0:
            s = self.s_practice
            if s.random() < self.repeat_share:
                c.offer_next = end + s.exponential(self.gap_days)

    # ------------------------------------------------------------------ start-up
    def _start_up(self, c: "Citizen", now: float) -> None:
        """Queue the offer's start-up work; the offer starts when the work is done."""
        s = self.s_work
        company = s.random() < self.company_share
        resend = s.random() < self.work.form_resend_share
        transport = s.random() < self.transport_share
        duration = s.exponential(self.mean_days)
        spell = c.spell_no
        tasks = self._start_up_tasks(c, company, resend, transport,
                                     self.work.caseworker_startup_minutes)

        def started(day: float):
            if c.spell_no == spell and c.end_day > day:
                self._begin(c, day, now, duration, company)

        queue_start_up(c, self.group, tasks, now, started)

    def _start_up_tasks(self, c: "Citizen", company: bool, resend: bool, transport: bool,
                        caseworker_minutes: float) -> list[tuple]:
        """The start-up work of an offer: the desk tasks to wait for, (pool, member, activity,
        minutes), of a pool with staff; work handed to case support is handed in, and work for
        a pool without staff counted as unmet (the offer goes on without it)."""
        work = self.work
        route = self.services.routing.route
        tasks = []
        if company:
            tasks.append((self.consultants, None, "company_forms", work.company_form_minutes))
            if resend:
                tasks.append((self.consultants, None, "form_resend", work.form_resend_minutes))
        else:
            pool, member = route(c, "offer_startup")
            tasks.append((pool, member, "offer_startup", caseworker_minutes))
        support = self.case_support
        if transport:         # a payment: case support computes it by hand (QB14)
            if support is None:
                pool, member = route(c, "transport_reimbursement")
                pool.add_background(member, "transport_reimbursement",
                                    work.transport_reimbursement_minutes)
            else:
                support.hand_in("transport_reimbursement", work.transport_reimbursement_minutes)
        if company and support is not None and self.journal_minutes > 0:
            support.hand_in("journalising", self.journal_minutes)   # the signed forms come in
        for pool, _, activity, minutes in tasks:
            if minutes > 0 and pool.n == 0:      # nobody to do it: counted, the offer goes on
                self.unmet[activity] += minutes
        return [t for t in tasks if t[3] > 0 and t[0].n > 0]

    def _begin(self, c: "Citizen", day: float, requested: float, duration: float,
               company: bool, before_effects: Callable[[float], None] | None = None) -> None:
        """The offer asked for on ``requested`` starts on ``day`` and runs ``duration`` days (at
        most): the counters, the citizen's offer dates, a company-based offer's follow-up by the
        consultants, then ``before_effects(day)`` if given, the spell effects' hooks, and the
        citizen's next alarm."""
        gc = self.counters
        c.offer_pending = False
        gc.offers_started += 1
        gc.offer_wait_days += day - requested
        if not c.offer_had:
            c.offer_had = True
            gc.first_offer_days.append(day - c.spell_start)
        c.offer_start, c.offer_end = day, day + duration
        c.offer_company = company
        if c.offer_end < c.offer_day:
            c.offer_day = c.offer_end
        if company and self.follow_up > 0:
            runs = min(duration, c.end_day - day)     # no follow-up after the spell
            self.consultants.add_background(None, "offer_follow_up",
                                            self.follow_up * runs / 7.0)
        if before_effects is not None:
            before_effects(day)
        for effect in self.services.effects.offer_started:
            effect(c, day, day - requested, company)
        self.spells.wake(c, c.offer_day)


def queue_start_up(c: "Citizen", group: str, tasks: list[tuple], now: float,
                   on_done: Callable[[float], None]) -> None:
    """Queue an offer's start-up ``tasks`` ((pool, member, activity, minutes) each) as desk
    work for citizen ``c``; ``on_done(t)`` runs when the last is done (at once if none)."""
    pending = [len(tasks)]

    def done(t: float):
        pending[0] -= 1
        if pending[0] == 0:
            on_done(t)

    c.offer_pending = True
    if not tasks:
        on_done(now)
        return
    for pool, member, activity, minutes in tasks:
        task = DeskTask(c.id, group, activity, minutes, now, done)
        c.tasks.append(task)
        pool.enqueue(member, task)
