"""Central visitation to disability pension and flexjob: a national unit decides, the jobcenter
prepares the case (DA22, "Bedre og billigere jobcentre").

In the baseline (:class:`sim.domain.rehabilitation.LocalRehabTeam`) a case whose spell ends in
flexjob or disability pension is referred to the jobcenter's own rehabilitation team: the
caseworker prepares it (desk work), a LÆ265 certificate is requested and waited for, and the case
takes a slot of the team's weekly meeting, which decides; the decision ends the spell with the
drawn destination.

Here, for the ``destinations`` named (flexjob, disability pension), the jobcenter still prepares
the case and obtains the certificate exactly as today (the same work, the same draws on the
baseline's ``rehab/<group>`` stream), but no local meeting is held: the prepared case goes to a
national unit, which decides ``decision_days`` after the case is ready (the unit's own staff are
not the jobcenter's and cost it nothing). The unit grants a share ``grant_ratio`` of what the
local team grants (DA22's benchmark: the senior-pension grant rate fell from about 95% to 70-75%
when ATP's unit took it over); a case not granted does not leave: it is transferred to
``rejected_to`` (a resource course), where the rehabilitation effort goes on and its own later
referral comes to the unit again. Referrals to a resource course stay with the local team.

Seam: the decision path of a group (:class:`sim.seams.DecisionPath`), wrapping the baseline's.
Stream ``central_visitation/<group>``: one draw per centrally decided case (granted or not).
Event log: one ``central_grant`` or ``central_rejection`` row per case, from referral to the
unit's decision (resource ``national_unit``). Times are days, work minutes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..config import GROUPS
from ..domain.population import SpellPlan
from ..domain.rehabilitation import prepare_case
from ..schema import ConfigError, nonneg, probability
from .common import check_groups

NAME = "central_visitation"
SEAM = "decision path"

INF = math.inf

COUNTERS = ("central_cases", "granted", "rejected", "local_cases", "decision_wait_days")
"""The mechanism's counters (``Counters.mechanisms["central_visitation"]``) over the measured
period: cases referred to the national unit, of them granted and rejected (transferred to
``rejected_to``) when decided; referrals left with the local team (a resource course); the sum
of days from referral to the unit's decision over decided cases."""

DESTINATIONS = ("flexjob", "disability_pension")


@dataclass
class Config:
    """Which groups' pension and flexjob cases the national unit decides, how long it takes and
    how much of what the local team grants it grants."""

    groups: list[str] = field(default_factory=lambda: [
        "kth_activity_ready", "sdp_cat1", "sdp_cat2", "sdp_cat3", "job_clarification",
        "resource_course"])
    destinations: list[str] = field(default_factory=lambda: list(DESTINATIONS))
    decision_days: float = nonneg(28.0)
    grant_ratio: float = probability(0.76)
    rejected_to: str = "resource_course"

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        for d in self.destinations:
            if d not in DESTINATIONS:
                raise ConfigError(f"'{path}.destinations' names {d!r}; the national unit decides "
                                  f"{', '.join(DESTINATIONS)}")
        if self.rejected_to not in GROUPS:
            raise ConfigError(f"'{path}.rejected_to' = {self.rejected_to!r} is not a benefit "
                              f"group; valid: {', '.join(GROUPS)}")


class CentralUnit:
    """Seam *decision path*: the jobcenter prepares a pension or flexjob case, a national unit
    decides it; other referrals go to the group's previous decision path."""

    def __init__(self, group: str, config: Config, model, local):
        cfg = model.cfg
        self.group = group
        self.local = local                        # the previous decision path (the local team)
        self.env = model.env
        self.spells = model.spells
        self.rt = cfg.model.rehab_team
        self.existing_doc_destinations = set(self.rt.existing_documentation_destinations)
        self.services = model.services[group]     # the group's desk-work routing
        self.certificates = model.counters.certificates
        self.gc = model.counters.groups[group]
        self.unmet = model.counters.unmet_minutes
        self.log = model.log
        self.prep_stream = model.streams[f"rehab/{group}"]   # the preparation's draws, as today
        self.stream = model.streams[f"{NAME}/{group}"]
        self.destinations = set(config.destinations)
        self.decision_days = config.decision_days
        self.grant_ratio = config.grant_ratio
        self.rejected_to = config.rejected_to
        self.k = model.counters.mechanism(NAME)

    def refer(self, c) -> None:
        """Prepare the case (today's work and certificate); the unit decides ``decision_days``
        after it is ready. A resource-course referral goes to the local team."""
        plan = c.plan
        if plan.to != "exit" or plan.destination not in self.destinations:
            self.k["local_cases"] += 1
            self.local.refer(c)
            return
        now = self.env.now
        c.referral_day = INF
        self.gc.rehab_cases += 1
        self.k["central_cases"] += 1

        def ready(t: float, cert_ready: float):
            decided = max(math.floor(t) + 1.0, cert_ready) + self.decision_days
            self.gc.rehab_wait_days.append(decided - now)
            self.k["decision_wait_days"] += decided - now
            if self.stream.random() < self.grant_ratio:
                self.k["granted"] += 1
                activity = "central_grant"
            else:
                self.k["rejected"] += 1
                activity = "central_rejection"
                c.plan = SpellPlan(plan.length, "central_rejected", self.rejected_to, "",
                                   False, plan.limit_u)
            self.log.add(c.id, self.group, activity, now, decided, "national_unit", 0.0)
            c.end_day = max(decided, self.env.now)
            self.spells.wake(c, c.end_day)

        prepare_case(c, self.group, self.rt, self.existing_doc_destinations, self.prep_stream,
                     self.services.routing.route, self.certificates, self.unmet, now, ready)


def install(config: Config, model) -> None:
    """The national unit decides the pension and flexjob cases of every group in
    ``config.groups`` that the jobcenter has (``rejected_to`` must be one of its groups)."""
    if config.rejected_to not in model.services:
        raise ConfigError(f"'mechanisms.{NAME}.rejected_to' = {config.rejected_to!r}: the "
                          f"jobcenter has no such group")
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        sv.decision = CentralUnit(g, config, model, sv.decision)
