"""Utility jobs (nyttejob): a fixed number of places, used systematically for the groups named.

DA22 proposes about 30 utility jobs per municipality, of up to 13 weeks each, used
systematically: the citizen works for the benefit at a public workplace. In the model a
jobcenter has ``places`` utility-job places. When an offer of a named group is about to start
(by practice, at the legal deadline or as a repeat; the baseline decides who gets one and when)
and a place is free, the offer is a utility job instead of the offer the baseline would have
drawn: it lasts the drawn duration, at most ``max_weeks``; the caseworker refers the citizen to
the standing place (``startup_minutes`` of desk work, activity ``utility_job_startup``, indirect
casework) instead of the baseline's start-up work (company forms or a guidance start-up); the
company consultants follow it up at the workplace each week it runs, as a company-based offer
(the baseline's follow-up minutes); transport reimbursement is handled as for any offer. It
counts as a company-based offer for the spell effects (VIVE20 counts utility work among the
public company-based offers). The place is taken from the referral to the offer's end (or the
spell's); with no place free the baseline's offer starts as today. Seam: offer provider.

Random numbers: the group's baseline offer draws are made exactly as the baseline makes them
(kind, form resend, transport, duration), so the baseline's streams stay aligned; the mechanism
draws none of its own. Times are days, work minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.offers import InHouseOffers
from ..domain.staff import DeskTask
from ..schema import ConfigError, nonneg, positive
from .common import check_groups

NAME = "utility_jobs"
SEAM = "offer provider"

ACTIVITIES = {"utility_job_startup": "indirect_casework"}
COUNTERS = ("referrals", "utility_jobs_started", "referrals_lapsed", "no_place_free",
            "place_days", "places_in_use_max", "startup_minutes")


@dataclass
class Config:
    """``places`` utility-job places in the jobcenter, for the offers of ``groups``; each job
    lasts at most ``max_weeks``; ``startup_minutes`` of caseworker desk work per referral."""

    groups: list[str] = field(default_factory=lambda: ["kth_job_ready", "kth_activity_ready"])
    places: int = nonneg(30)
    max_weeks: float = positive(13.0)
    startup_minutes: float = nonneg(30.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name the groups whose offers may be "
                              "utility jobs")
        if isinstance(self.places, bool) or not isinstance(self.places, int):
            raise ConfigError(f"'{path}.places' = {self.places!r} must be a whole number of "
                              "places")


class Places:
    """The jobcenter's utility-job places: who holds one (citizen id -> spell number)."""

    def __init__(self, n: int, counters):
        self.n = n
        self.held: dict[int, int] = {}
        self.k = counters

    def take(self, c) -> bool:
        """Give ``c`` a place if one is free (True) or not (False)."""
        if len(self.held) >= self.n:
            self.k["no_place_free"] += 1
            return False
        self.held[c.id] = c.spell_no
        if len(self.held) > self.k["places_in_use_max"]:
            self.k["places_in_use_max"] = len(self.held)
        return True

    def holds(self, c) -> bool:
        """Whether ``c`` holds a place in the current spell."""
        return self.held.get(c.id) == c.spell_no

    def give_back(self, c) -> None:
        """``c``'s place is free again (nothing if they hold none)."""
        self.held.pop(c.id, None)


class UtilityJobOffers(InHouseOffers):
    """Seam *offer provider* for one group: the baseline provider, whose offers become utility
    jobs while a place is free (:mod:`sim.mechanisms.utility_jobs`)."""

    @classmethod
    def replacing(cls, inner: InHouseOffers, places: Places, config: Config, counters,
                  measure_from: float) -> "UtilityJobOffers":
        """The group's provider ``inner`` (built and set up by the model) as one that gives
        utility jobs; ``inner`` is not used afterwards."""
        new = cls.__new__(cls)
        new.__dict__.update(inner.__dict__)
        new.places = places
        new.max_days = config.max_weeks * 7.0
        new.startup_minutes = config.startup_minutes
        new.k = counters
        new.measure_from = measure_from
        return new

    def _stop(self, c, day: float, planned: bool) -> None:
        """The baseline's end of an offer; a utility job's place is given back."""
        if self.places.holds(c):
            start = max(c.offer_start, self.measure_from)
            stop = min(day, c.offer_end, self.horizon)
            if stop > start:
                self.k["place_days"] += stop - start
            self.places.give_back(c)
        super()._stop(c, day, planned)

    def _start_up(self, c, now: float) -> None:
        """Queue the start of an offer: a utility job if a place is free, else the baseline's."""
        if not self.places.take(c):
            super()._start_up(c, now)
            return
        s = self.s_work      # the baseline's four draws, in its order, so its stream stays aligned
        s.random()                                   # kind (a utility job is company-based)
        s.random()                                   # form resend (no forms)
        transport = s.random() < self.transport_share
        duration = min(s.exponential(self.mean_days), self.max_days)
        k = self.k
        k["referrals"] += 1
        if transport:         # a payment, handled as the baseline handles it
            minutes = self.work.transport_reimbursement_minutes
            if self.case_support is None:
                pool, member = self.services.routing.route(c, "transport_reimbursement")
                pool.add_background(member, "transport_reimbursement", minutes)
            else:
                self.case_support.hand_in("transport_reimbursement", minutes)
        spell = c.spell_no
        places = self.places

        def started(day: float):
            if c.spell_no != spell or c.end_day <= day:
                k["referrals_lapsed"] += 1
                places.give_back(c)
                return
            k["utility_jobs_started"] += 1
            self._begin(c, day, now, duration, True)    # company-based: followed up at work

        c.offer_pending = True
        pool, member = self.services.routing.route(c, "utility_job_startup")
        if self.startup_minutes <= 0 or pool.n == 0:
            if self.startup_minutes > 0:
                self.unmet["utility_job_startup"] += self.startup_minutes
            started(now)
            return
        k["startup_minutes"] += self.startup_minutes
        task = DeskTask(c.id, self.group, "utility_job_startup", self.startup_minutes, now,
                        lambda t: started(t))
        c.tasks.append(task)
        pool.enqueue(member, task)


def install(config: Config, model) -> None:
    """Give the groups of ``config.groups`` the jobcenter's utility-job places (one set of
    places shared by the groups)."""
    counters = model.counters.mechanism(NAME, ACTIVITIES)
    for key in COUNTERS:
        counters[key] = 0
    places = Places(config.places, counters)
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        sv.offers = UtilityJobOffers.replacing(sv.offers, places, config, counters,
                                               model.warmup)
