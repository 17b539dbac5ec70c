"""The rehabilitation team: referral, preparation, the LÆ265 certificate, weekly meetings.

Spells whose exit route goes through the rehabilitation team (resource course, flexjob,
disability pension) are referred when their drawn length has run: the caseworker prepares the
case (desk work that queues), a medical certificate (LÆ265) is requested and waited for, and the
case takes the first free slot of a weekly meeting after both. The team's decision ends the
spell. A citizen's application for disability pension on the existing documentation skips the
certificate but takes the caseworker more hours (QB14).

The path a case takes to its decision is a seam (*decision path*, :mod:`sim.seams`); the
baseline is the jobcenter's own team, :class:`LocalRehabTeam`. Times are days, work minutes.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .staff import DeskTask

if TYPE_CHECKING:
    from ..config import SimConfig
    from ..engine.metrics import EventLog, GroupCounters
    from ..engine.streams import Streams
    from .spells import Citizen, Spells

INF = math.inf


class RehabMeetings:
    """Rehabilitation-team meetings every ``interval_days`` with a fixed number of case slots."""

    def __init__(self, interval_days: int, slots: int, first_day: int = 2):
        self.interval = interval_days
        self.slots = slots
        self.first_day = first_day
        self.used: dict[int, int] = {}

    def book(self, ready_day: float) -> int | None:
        """Day of the first meeting on or after ``ready_day`` with a free slot (None: no slots)."""
        if self.slots <= 0:
            return None
        k = max(0, math.ceil((ready_day - self.first_day) / self.interval))
        while self.used.get(k, 0) >= self.slots:
            k += 1
        self.used[k] = self.used.get(k, 0) + 1
        return self.first_day + k * self.interval


class LocalRehabTeam:
    """Seam *decision path*, the baseline: the jobcenter's own rehabilitation team decides."""

    def __init__(self, group: str, cfg: "SimConfig", env, meetings: RehabMeetings,
                 counters: "GroupCounters", certificates: dict, log: "EventLog",
                 streams: "Streams", services, spells: "Spells", unmet: dict):
        self.group = group
        self.env = env
        self.unmet = unmet                        # work its pool has no staff for (minutes)
        self.rt = cfg.model.rehab_team
        self.existing_doc_destinations = set(self.rt.existing_documentation_destinations)
        self.meetings = meetings
        self.counters = counters
        self.certificates = certificates
        self.log = log
        self.stream = streams[f"rehab/{group}"]
        self.services = services                  # the group's desk-work routing
        self.spells = spells

    def refer(self, c: "Citizen") -> None:
        """The caseworker refers the case: preparation, certificate, then a meeting slot."""
        now = self.env.now
        c.referral_day = INF
        rt = self.rt
        g = self.group
        gc = self.counters
        gc.rehab_cases += 1
        route = self.services.routing.route

        def ready(t: float, cert_ready: float):
            meeting = self.meetings.book(max(math.floor(t) + 1.0, cert_ready))
            if meeting is None:
                return                # no meeting slots: the case waits beyond the run
            gc.rehab_wait_days.append(meeting - now)
            at, who = route(c, "rehab_meeting")
            at.add_background(who, "rehab_meeting", rt.meeting_minutes_per_case)
            self.log.add(c.id, g, "rehab_meeting", now, meeting, "rehab_team", 0.0)
            c.end_day = max(meeting, self.env.now)
            self.spells.wake(c, c.end_day)

        prepare_case(c, g, rt, self.existing_doc_destinations, self.stream, route,
                     self.certificates, self.unmet, now, ready)


def prepare_case(c: "Citizen", group: str, rt, existing_doc_destinations: set[str], stream,
                 route, certificates: dict, unmet: dict, now: float, on_ready) -> None:
    """The caseworker prepares a referred case as desk work: an application for disability
    pension on the existing documentation (a share of the cases bound for the destinations that
    allow it) takes more hours and no certificate; any other case its preparation hours and, for
    a share of them, a requested LÆ265 that arrives after an exponential delay. When the
    preparation is done (day ``t``) and the spell is still the same, ``on_ready(t,
    certificate_day)`` decides the case. Nobody to prepare it: the minutes are unmet demand and
    the case waits. Draws, in this order, from ``stream``: the application, the certificate,
    its delay."""
    s = stream
    existing_doc = (c.plan.destination in existing_doc_destinations
                    and s.random() < rt.pension_existing_documentation_share)
    if existing_doc:
        activity, minutes, certificate = "pension_application", \
            rt.pension_existing_documentation_hours * 60.0, False
    else:
        activity, minutes = "rehab_preparation", rt.preparation_hours * 60.0
        certificate = s.random() < rt.lae265_share
    pool, member = route(c, activity)
    cert_ready = now
    if certificate:
        certificates["lae265"] += 1
        cert_ready = now + s.exponential(rt.certificate_delay_days) \
            if rt.certificate_delay_days > 0 else now
        if rt.certificate_request_minutes > 0:
            pool.add_background(member, "certificate_request", rt.certificate_request_minutes)
    spell = c.spell_no

    def ready(t: float):
        if c.spell_no == spell:
            on_ready(t, cert_ready)

    if minutes > 0 and pool.n > 0:
        task = DeskTask(c.id, group, activity, minutes, now, ready)
        c.tasks.append(task)
        pool.enqueue(member, task)
    elif minutes <= 0:
        ready(now)
    else:                         # nobody to prepare it: counted, the case waits
        unmet[activity] += minutes
