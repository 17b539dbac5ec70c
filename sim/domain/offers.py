"""Mandatory offers: who gets one, when, and the work to start it (the offer provider seam).

When a spell starts, a share of the group's citizens is given an offer deadline (the rulebook's
``offer_deadline_days``; spells that end before it get none). When the deadline comes, the
start-up work is queued; the offer starts when the work is done, and the wait is measured. The
baseline provider (:class:`InHouseOffers`) is the mix of 2013: company-based offers (internship,
wage subsidy), whose forms company consultants fill in and often resend, and guidance and
upskilling offers started by the caseworker; transport reimbursement is computed by hand.

Times are days, work minutes.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .staff import DeskTask

if TYPE_CHECKING:
    from ..config import SimConfig
    from ..engine.metrics import EventLog, GroupCounters
    from ..engine.streams import Streams
    from .spells import Citizen
    from .staff import StaffPool

INF = math.inf


class InHouseOffers:
    """Seam *offer provider*, the baseline: the 2013 offer mix, started by the jobcenter."""

    def __init__(self, group: str, cfg: "SimConfig", env, consultants: "StaffPool",
                 counters: "GroupCounters", log: "EventLog", streams: "Streams", services,
                 unmet: dict):
        m = cfg.model
        beh = m.groups[group].offer
        self.group = group
        self.env = env
        self.consultants = consultants
        self.counters = counters
        self.log = log
        self.services = services                  # the group's routing and spell effects
        self.deadline_days = cfg.rules.groups[group].offer_deadline_days
        self.share = beh.share
        self.s_offer = streams[f"offer/{group}"]
        self.s_work = streams[f"offer_work/{group}"]
        self.company_share = beh.company_based_share
        self.transport_share = beh.transport_reimbursement_share
        self.mean_days = beh.mean_weeks * 7.0
        self.work = m.offers
        self.follow_up = m.company_work.offer_follow_up_minutes_per_week
        self.unmet = unmet                        # work its pool has no staff for (minutes)

    def schedule(self, c: "Citizen", now: float, spell_start: float, end: float) -> None:
        """Set the offer deadline of a spell that started on ``spell_start`` and is planned to
        end on ``end`` (``c.offer_day``; INF: no offer)."""
        c.offer_day = INF
        if self.deadline_days is not None:
            due = spell_start + self.deadline_days
            if self.s_offer.random() < self.share and due >= now and due < end:
                c.offer_day = due

    def request(self, c: "Citizen") -> None:
        """The offer deadline has come: start-up work is queued; the offer starts when done."""
        now = self.env.now
        c.offer_day = INF
        work = self.work
        s = self.s_work
        company = s.random() < self.company_share
        resend = s.random() < work.form_resend_share
        transport = s.random() < self.transport_share
        duration = s.exponential(self.mean_days)
        spell = c.spell_no
        route = self.services.routing.route
        tasks = []
        if company:
            tasks.append((self.consultants, None, "company_forms", work.company_form_minutes))
            if resend:
                tasks.append((self.consultants, None, "form_resend", work.form_resend_minutes))
        else:
            pool, member = route(c, "offer_startup")
            tasks.append((pool, member, "offer_startup", work.caseworker_startup_minutes))
        if transport:
            pool, member = route(c, "transport_reimbursement")
            pool.add_background(member, "transport_reimbursement",
                                work.transport_reimbursement_minutes)
        for pool, _, activity, minutes in tasks:
            if minutes > 0 and pool.n == 0:      # nobody to do it: counted, the offer goes on
                self.unmet[activity] += minutes
        tasks = [t for t in tasks if t[3] > 0 and t[0].n > 0]
        pending = [len(tasks)]
        gc = self.counters
        g = self.group
        effects = self.services.effects.offer_started

        def started(day: float):
            if c.spell_no != spell or c.end_day <= day:
                return
            gc.offers_started += 1
            gc.offer_wait_days += day - now
            gc.first_offer_days.append(day - c.spell_start)
            self.log.add(c.id, g, "offer", day, day + duration, "offer", 0.0)
            if company and self.follow_up > 0:
                self.consultants.add_background(None, "offer_follow_up",
                                                self.follow_up * duration / 7.0)
            for effect in effects:
                effect(c, day, day - now)

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
