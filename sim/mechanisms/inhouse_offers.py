"""An in-house competence centre instead of external providers for guidance and upskilling
offers (VIVE20: a practice of jobcenters with successful citizen trajectories; 77% of
jobcenters use other actors for some offers or courses).

In the baseline (:class:`sim.domain.offers.InHouseOffers`) a guidance and upskilling offer
starts when the caseworker's start-up work is done (``model.offers.caseworker_startup_minutes``)
and is bought: its offer-months cost the group's price (``model.offer_costs``). Here
``share`` of those offers, the ones external providers run today, are run by the jobcenter's own
competence centre:

* **hand-off**: the caseworker's start-up is ``startup_minutes`` (no referral to a provider, no
  provider contact to arrange the start);
* **capacity**: the centre has ``places`` (the guidance participants its share of the groups'
  calibrated stock has at once, times ``capacity_factor``, rounded up); an offer starts when its
  start-up is done and a place is free, else it waits, first come first served; a place is
  freed when the offer ends (planned end, spell end);
* **intensity and staff**: each participant-week takes ``instructor_minutes_per_week`` of the
  centre's staff (teaching and preparation, ``hours_per_week`` of activity in groups of
  ``group_size``), background work of the pool ``competence_centre`` (staff type caseworker,
  desk work only) of ``ceil(places / group_size)`` members;
* **cost**: the in-house offer-months are not bought: the groups' price per full-time person is
  lowered (``configure``) by the share of their offer-days expected in-house (guidance share of
  offers x ``share``) times ``1 - material_cost_share`` (the centre's costs besides staff, as a
  share of the provider's price); the centre's staff are wages in the operating cost.

The in-house offer has the effect sizes of a guidance offer (the spell-effect layer; no source
ranks in-house against external courses). Seam: the offer provider (``InHouseOffers``
subclassed for the groups named, its draws kept in step: the baseline's draws first, then one of
its own stream ``inhouse_offers/<group>`` per guidance offer). Times are days, work minutes.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from collections import deque
from dataclasses import dataclass, field

from ..domain.offers import InHouseOffers, queue_start_up
from ..schema import ConfigError, nonneg, positive, probability
from .common import check_groups

NAME = "inhouse_offers"
SEAM = "offer provider"

POOL = "competence_centre"
TEACHING = "competence_centre_teaching"
ACTIVITIES = {TEACHING: "direct_contact"}

COUNTERS = ("inhouse_offers_asked", "inhouse_offers_started", "waited_for_place",
            "place_wait_days", "startup_minutes_saved", "instructor_minutes", "places",
            "instructors", "max_queue")


@dataclass
class Config:
    """Settings of the competence centre (see the module docstring; sources in the scenario)."""

    groups: list[str] = field(default_factory=lambda: ["kth_activity_ready", "kth_job_ready"])
    share: float = probability(0.5)
    startup_minutes: float = nonneg(15.0)
    capacity_factor: float = positive(1.0)
    hours_per_week: float = positive(15.0)
    group_size: int = positive(12)
    preparation_share: float = nonneg(0.25)
    material_cost_share: float = probability(0.2)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name at least one benefit group")

    @property
    def instructor_minutes_per_week(self) -> float:
        """Centre staff minutes per participant-week: the activity hours shared by the group,
        with preparation on top."""
        return self.hours_per_week * 60.0 / self.group_size * (1.0 + self.preparation_share)


def guidance_day_share(cfg, group: str) -> float:
    """Share of a group's benefit-days in a guidance offer in the calibrated baseline: its active
    share (``model.offer_costs``) times the guidance share of its offers."""
    oc = cfg.model.offer_costs.groups.get(group)
    active = oc.reference_active_share if oc is not None else 0.0
    return active * (1.0 - cfg.model.groups[group].offer.company_based_share)


def places_needed(config: Config, cfg) -> int:
    """The centre's places: its groups' guidance participants at once, in-house share, times
    ``capacity_factor``, rounded up (at least 1)."""
    jc = cfg.jobcenter
    at_once = sum(jc.groups[g].initial_stock * guidance_day_share(cfg, g) * config.share
                  for g in config.groups if g in jc.groups)
    return max(1, math.ceil(at_once * config.capacity_factor - 1e-9))


def configure(config: Config, cfg):
    """``cfg`` with the groups' offer price lowered by the in-house offer-days not bought."""
    model = copy.deepcopy(cfg.model)
    for g in config.groups:
        oc = model.offer_costs.groups.get(g)
        if oc is None:
            continue
        inhouse = (1.0 - model.groups[g].offer.company_based_share) * config.share
        oc.cost_per_full_time_person_dkk *= 1.0 - inhouse * (1.0 - config.material_cost_share)
    return dataclasses.replace(cfg, model=model)


class Centre:
    """The competence centre's places and waiting list (shared by its groups)."""

    def __init__(self, places: int, pool, k):
        self.places = places
        self.occupied = 0
        self.queue: deque = deque()     # (start callback, asked day)
        self.pool = pool
        self.k = k

    def take(self) -> None:
        """A place taken by an offer already running at t0 (may fill the centre beyond its
        places: no one then starts until enough have ended)."""
        self.occupied += 1

    def ask(self, start, now: float) -> None:
        """Start ``start(now, True)`` if a place is free, else wait for one."""
        if self.occupied < self.places:
            self.occupied += 1
            start(now, True)
        else:
            self.k["waited_for_place"] += 1
            self.queue.append((start, now))
            if len(self.queue) > self.k["max_queue"]:
                self.k["max_queue"] = len(self.queue)

    def release(self, now: float) -> None:
        """A place is freed: the first ones waiting still on benefit take the free places."""
        self.occupied -= 1
        while self.queue and self.occupied < self.places:
            start, asked = self.queue.popleft()
            if start(now, True):
                self.occupied += 1
                self.k["place_wait_days"] += now - asked


class CentreOffers(InHouseOffers):
    """Seam *offer provider* of one group: the baseline's offers, with ``share`` of its guidance
    offers run by the competence centre."""

    def setup(self, config: Config, centre: Centre, stream, k) -> None:
        self.centre = centre
        self.inhouse_share = config.share
        self.inhouse_startup = config.startup_minutes
        self.teach = config.instructor_minutes_per_week
        self.s_inhouse = stream
        self.k = k
        self.in_centre: set[int] = set()       # citizens holding a place

    def _before_t0(self, c, t: float, now: float, end: float) -> float:
        """The baseline's offers before t0; a guidance offer running at t0 is in the centre in
        ``share`` of cases (a draw of the mechanism's stream), holding a place, with the rest of
        its teaching to do."""
        nxt = super()._before_t0(c, t, now, end)
        if c.offer_end < math.inf and not c.offer_company:
            if self.s_inhouse.random() < self.inhouse_share:
                self.in_centre.add(c.id)
                self.centre.take()
                left = max(min(c.offer_end, end) - now, 0.0)
                minutes = self.teach * left / 7.0
                self.k["instructor_minutes"] += minutes
                self.centre.pool.add_background(None, TEACHING, minutes)
        return nxt

    def _stop(self, c, day: float, planned: bool) -> None:
        """End the running offer; a place it held goes to the next one waiting."""
        super()._stop(c, day, planned)
        if c.id in self.in_centre:
            self.in_centre.discard(c.id)
            self.centre.release(self.env.now)

    def _start_up(self, c, now: float) -> None:
        """The baseline's start-up, except that an in-house guidance offer takes the centre's
        start-up minutes and starts when a place is free."""
        work = self.work
        s = self.s_work
        company = s.random() < self.company_share
        resend = s.random() < work.form_resend_share
        transport = s.random() < self.transport_share
        duration = s.exponential(self.mean_days)
        inhouse = not company and self.s_inhouse.random() < self.inhouse_share
        spell = c.spell_no
        minutes = self.inhouse_startup if inhouse else work.caseworker_startup_minutes
        if inhouse:
            self.k["inhouse_offers_asked"] += 1
            self.k["startup_minutes_saved"] += work.caseworker_startup_minutes - minutes
        tasks = self._start_up_tasks(c, company, resend, transport, minutes)

        def teach(day: float) -> None:         # a place in the centre: its instructors' time
            self.in_centre.add(c.id)
            self.k["inhouse_offers_started"] += 1
            runs = min(duration, c.end_day - day)
            taught = self.teach * runs / 7.0
            self.k["instructor_minutes"] += taught
            self.centre.pool.add_background(None, TEACHING, taught)

        def started(day: float, placed: bool = False) -> bool:
            if c.spell_no != spell or c.end_day <= day:
                return False
            self._begin(c, day, now, duration, company, teach if placed else None)
            return True

        def ready(t: float):
            if inhouse:
                if c.spell_no == spell and c.end_day > t:
                    self.centre.ask(started, t)
            else:
                started(t)

        queue_start_up(c, self.group, tasks, now, ready)


def install(config: Config, model) -> None:
    """The centre's pool and places, and its provider for each group named."""
    k = model.counters.mechanism(NAME, ACTIVITIES)
    for key in COUNTERS:
        k[key] = 0
    places = places_needed(config, model.cfg)
    instructors = math.ceil(places / config.group_size)
    pool = model.add_pool(POOL, "caseworker", instructors, 0.0)
    centre = Centre(places, pool, k)
    for g in config.groups:
        sv = model.services[g]
        if type(sv.offers) is not InHouseOffers:
            raise ConfigError(f"'mechanisms.{NAME}' replaces the baseline's offer provider of "
                              f"'{g}', which another mechanism has replaced already")
        old = sv.offers
        new = CentreOffers(g, model.cfg, model.env, model.consultants, model.counters.groups[g],
                           model.log, model.streams, sv, model.counters.unmet_minutes,
                           model.spells, model.warmup, model.horizon)
        new.case_support, new.journal_minutes = old.case_support, old.journal_minutes
        new.setup(config, centre, model.streams[f"{NAME}/{g}"], k)
        sv.offers = new

    def record():
        k["places"] = places
        k["instructors"] = instructors
    model.at_finish.append(record)
