"""More task specialisation: a caseworker pool split into specialised sub-pools (QB14 proposal D3).

QB14 D3 is not quantified at source: specialised teams per sub-group (for sickness benefit e.g.
the unemployed sick, job retention, the long-term ill) work faster on their own kind of case, but
a citizen who changes group changes caseworker and team, which costs a handover (QB14: higher
transaction costs when a citizen changes caseworker, a new match category or benefit, and
stronger interface problems). Every size here is an assumption; the scenario is assumption-driven.

* **Sub-pools** (``configure``, before the model is built): each caseworker pool named in
  ``pools`` is replaced by one sub-pool per group it serves (``<pool>_<group>``, with the pool's
  extra non-bookable hours), its caseworkers shared out in proportion to the required work each
  group brings (:func:`expected_work`; largest remainders, at least one caseworker per group
  with work). The pools add up to the same caseworkers; what a smaller team loses in pooling
  (no colleague to cover a holiday, uneven load) emerges from the model.
* **Shorter talks** (a booking adjuster): a talk of a specialised group takes
  ``talk_time_saved_share`` less preparation, talk and documentation time. Extra talks (elastic)
  keep their minutes.
* **Handover** (the caseload policy, told by the ``spell_follows`` hook): a citizen who enters a
  specialised group by transfer (sickness benefit to job clarification, job clarification or
  activity-ready cash benefit to a resource course) brings ``handover_minutes`` of desk work for
  the new caseworker (reading the file, conferring with the former caseworker; activity
  ``specialisation_handover``, indirect casework). The baseline's transfers between its area
  teams carry no such work: their handover is taken to lie in the calibrated talk and desk
  times, and the specialised units' fuller handover comes on top.

Seam: the caseload policy of the specialised groups (``assign`` wrapped), with a booking
adjuster and the pools' split. No random streams of its own (the workload estimate draws spells
from a planner of its own, seeded apart from the run's streams). Times are days, work minutes.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ..domain.population import SpellPlanner
from ..domain.rules import TalkSchedule
from ..domain.staff import DeskTask
from ..engine.streams import Streams
from ..schema import ConfigError, nonneg, probability

NAME = "specialisation"
SEAM = "caseload policy"

HANDOVER = "specialisation_handover"
"""The receiving specialist's work on a case handed over by transfer (indirect casework)."""
ACTIVITIES = {HANDOVER: "indirect_casework"}

ESTIMATE_SPELLS = 20000
"""About how many spells (initial stock and arrivals) the workload estimate follows: a larger
jobcenter is scaled down to it (about 2% sampling error on a group with a twentieth of the
work; the small jobcenter has fewer and is followed whole)."""
ESTIMATE_SEED = 0
"""Seed of the workload estimate's own streams: the split depends on the jobcenter's
configuration only, the same in every replication and scenario."""

COUNTERS = ("handovers", "handover_minutes", "handovers_unmet", "talks_shortened",
            "talk_minutes_saved")
"""The mechanism's counters (``Counters.mechanisms["specialisation"]``) over the measured
period: transfers into a specialised group and the handover minutes they brought, those whose
pool had no caseworker; talks booked shorter and the minutes they saved (at booking). At the end
``caseworkers/<sub-pool>`` gives each sub-pool's size."""


@dataclass
class Config:
    """``pools``: caseworker pools split into one specialised sub-pool per group they serve;
    ``talk_time_saved_share``: share of preparation, talk and documentation time a specialist
    saves per talk (assumption); ``handover_minutes``: the receiving specialist's desk work when
    a citizen enters a specialised group by transfer (assumption)."""

    pools: list[str] = field(default_factory=list)
    talk_time_saved_share: float = probability(0.0)
    handover_minutes: float = nonneg(0.0)

    def validate(self, path: str) -> None:
        if len(set(self.pools)) != len(self.pools):
            raise ConfigError(f"'{path}.pools' names a pool twice: {self.pools}")


def sub_pool(pool: str, group: str) -> str:
    """The name of the sub-pool of ``pool`` specialised in ``group``."""
    return f"{pool}_{group}"


# --------------------------------------------------------------------------- the split
def talk_step(interval: int, margin: int, lead: int) -> float:
    """Days from one mandated talk to the next in the workload estimate: the next is planned the
    booking margin before its deadline, ``interval - margin``. When the booking lead leaves no
    day to choose from before that (job clarification: a 14-day cadence, 7 days' margin and
    lead), a full diary on the one day puts the talk later: halfway to the deadline on average
    (an assumption of the estimate; in the baseline job-clarification talks come every 9 to 10
    days)."""
    planned = interval - margin
    return float(planned) if planned > lead else max(1.0, interval - margin / 2.0)


def expected_work(cfg) -> dict[str, float]:
    """Caseworker minutes of required work each benefit group brings in the run's measured
    period (from the end of the warm-up to the horizon), the demand alone, before any staff.

    The jobcenter's citizens are followed as the model draws them, without staff: the initial
    stock (length-biased, with elapsed durations) and Poisson arrivals, scaled down to about
    :data:`ESTIMATE_SPELLS` spells (shares are all that count), each spell's route and length
    from a planner of its own (routes, lengths, the rulebook's limits), transfers starting a
    spell in the group they lead to and returns (``model.reentry``) one in the same group. A
    spell brings its mandated talks at the rulebook's cadence, each on its planned day the
    booking margin before its deadline (:func:`talk_step`; preparation, talk and documentation
    as the talk format makes them, with the reception walk, no-shows, the caseworker's share of
    the booking work and the certificates obtained; the first talk's extra minutes), its
    unplanned contacts, a referral's rehabilitation-team preparation, certificate request and
    meeting, and the formal reassessments its length reaches; what falls in the measured period
    counts (for the medium jobcenter the estimate's talk counts come within 10-15% of the
    baseline's, group by group, of the order of the baseline's spread between replications).
    Elastic
    work (extra talks) and offers are left out. So a group that fills up during the run (job
    clarification, resource course) counts with the work it has then, not in a steady state.
    """
    m = cfg.model
    warmup = cfg.warmup_days if isinstance(cfg.warmup_days, int) else 0
    t0, t1 = float(warmup), float(warmup + cfg.horizon_days)
    planner = SpellPlanner(cfg, Streams(ESTIMATE_SEED, 0))
    rng = np.random.default_rng(ESTIMATE_SEED)
    rt = m.rehab_team
    pipeline = rt.certificate_delay_days + rt.meeting_interval_days / 2.0 + 7.0  # as the model's
    rehab_minutes = (rt.preparation_hours * 60.0 + rt.meeting_minutes_per_case
                     + rt.certificate_request_minutes * rt.lae265_share)
    reassessment_minutes = m.ly_reassessment.hours * 60.0
    volumes = cfg.jobcenter.groups
    total = sum(v.initial_stock + v.inflow_per_year * t1 / 365.0 for v in volumes.values())
    scale = min(1.0, ESTIMATE_SPELLS / total) if total > 0 else 1.0
    practice = m.talks
    margin, lead = practice.booking_margin_days, practice.booking_lead_days
    booking = ((1.0 - m.case_support.booking_share)
               * (practice.booking_minutes + practice.letter_rewrite_minutes))
    per_group = {}
    for g, beh in m.groups.items():
        t = beh.talk
        re = m.reentry.get(g)
        phone = beh.phone_share
        # a talk's minutes as the talk format and booking make them: a phone talk is shorter,
        # one in person adds the walk to reception (twice when the citizen is late), a no-show
        # costs the preparation and the wait and is booked again; the caseworker's share of the
        # booking work; a certificate obtained at some talks
        talk_minutes = (t.preparation + t.documentation
                        + t.talk * (1.0 - phone * (1.0 - practice.phone_minutes_factor))
                        + (1.0 - phone) * (practice.reception_walk_minutes
                                           + practice.late_arrival_share
                                           * practice.late_arrival_extra_minutes)
                        + beh.no_show_share * (t.preparation + practice.no_show_wait_minutes)
                        + booking
                        + beh.medical_certificate_share * m.medical_certificates.handling_minutes)
        per_group[g] = (
            cfg.rules.groups[g], TalkSchedule(cfg.rules.groups[g]), talk_minutes,
            t.first_talk_extra,
            beh.unplanned_contacts_per_month * 12.0 / 365.0 * beh.unplanned_contact_minutes,
            re, set(re.after_destinations) if re is not None else set())
    spells: list[tuple[str, float, object]] = []       # (group, start day, plan)
    for g, v in volumes.items():
        for plan, elapsed in planner.initial_stock(g, int(round(v.initial_stock * scale)),
                                                   pipeline):
            spells.append((g, -elapsed, plan))
        rate = v.inflow_per_year * scale / 365.0
        if rate > 0:
            day = rng.exponential(1.0 / rate)
            while day < t1:
                spells.append((g, day, planner.draw(g)))
                day += rng.exponential(1.0 / rate)
    work = {g: 0.0 for g in m.groups}
    while spells:
        g, start, plan = spells.pop()
        rules, schedule, talk_minutes, first_extra, contacts, re, back = per_group[g]
        end = start + plan.length + (pipeline if plan.via_rehab_team else 0.0)
        minutes = 0.0
        day = start + rules.first_talk_days - margin
        first = True
        while day <= end and day < t1:
            if day >= t0:
                minutes += talk_minutes + (first_extra if first else 0.0)
            first = False
            day += talk_step(schedule.interval(day - start), margin, lead)
        minutes += max(0.0, min(end, t1) - max(start, t0)) * contacts
        if plan.via_rehab_team and t0 <= start + plan.length < t1:
            minutes += rehab_minutes
        step = rules.reassessment_after_days
        if step:
            day = start + step
            while day <= end and day < t1:
                if day >= t0:
                    minutes += reassessment_minutes
                day += step
        work[g] += minutes
        if end >= t1:
            continue
        if plan.to != "exit":
            spells.append((plan.to, end, planner.draw(plan.to)))
        elif re is not None and plan.destination in back and rng.random() < re.return_share:
            back_on = end + rng.exponential(re.mean_days_out)
            if back_on < t1:
                spells.append((g, back_on, planner.draw(g)))
    return {g: w / scale for g, w in work.items()}


def allocate(caseworkers: int, work: dict[str, float], path: str) -> dict[str, int]:
    """``caseworkers`` shared out over the groups of ``work`` in proportion to it: largest
    remainders, at least one for every group with work (none for a group without)."""
    busy = [g for g, w in work.items() if w > 0.0]
    if caseworkers < len(busy):
        raise ConfigError(f"'{path}' has {caseworkers} caseworkers, too few for a specialised "
                          f"team for each of its {len(busy)} groups with work ({', '.join(busy)})")
    total = sum(work[g] for g in busy)
    quota = {g: caseworkers * work[g] / total if total else 0.0 for g in work}
    out = {g: (max(1, math.floor(quota[g])) if g in busy else 0) for g in work}
    while sum(out.values()) < caseworkers:
        g = max(busy, key=lambda x: quota[x] - out[x])
        out[g] += 1
    while sum(out.values()) > caseworkers:
        g = min((x for x in busy if out[x] > 1), key=lambda x: quota[x] - out[x])
        out[g] -= 1
    return out


def configure(config: Config, cfg):
    """``cfg`` with each pool of ``config.pools`` split into specialised sub-pools (a copy;
    ``cfg`` itself is not changed). A composite profile is left as it is: its member jobcenters
    are split when each is built."""
    jc = cfg.jobcenter
    if jc.is_composite or not config.pools:
        return cfg
    work = expected_work(cfg)
    pools = {}
    for name, spec in jc.caseworker_pools.items():
        if name not in config.pools:
            pools[name] = spec
            continue
        path = f"jobcenter.caseworker_pools.{name}"
        shares = allocate(spec.caseworkers, {g: work.get(g, 0.0) for g in spec.serves}, path)
        for g in spec.serves:
            sub = sub_pool(name, g)
            if sub in jc.caseworker_pools:
                raise ConfigError(f"'mechanisms.{NAME}' would make pool '{sub}', which "
                                  f"'jobcenter.caseworker_pools' has already")
            pools[sub] = dataclasses.replace(
                spec, caseworkers=shares[g], serves=[g],
                extra_non_bookable_hours=dict(spec.extra_non_bookable_hours))
    unknown = [p for p in config.pools if p not in jc.caseworker_pools]
    if unknown:
        raise ConfigError(f"'mechanisms.{NAME}.pools' names unknown pool '{unknown[0]}'; "
                          f"valid: {', '.join(jc.caseworker_pools)}")
    return dataclasses.replace(cfg, jobcenter=dataclasses.replace(jc, caseworker_pools=pools))


# --------------------------------------------------------------------------- the model
class SpecialisedTeam:
    """One specialised group: shorter talks, and a handover for a citizen who comes in by
    transfer (its caseload policy wraps the previous one)."""

    __slots__ = ("group", "pool", "inner", "keep", "handover", "incoming", "k", "unmet")

    def __init__(self, group: str, sv, config: Config, counters, unmet):
        self.group = group
        self.pool = sv.pool
        self.inner = sv.caseload.assign
        self.keep = 1.0 - config.talk_time_saved_share
        self.handover = config.handover_minutes
        self.incoming: set[int] = set()           # citizens transferred in, not yet assigned
        self.k = counters
        self.unmet = unmet

    def follows(self, c, now: float, kind: str, delay: float) -> None:
        """A spell of ``c`` ended and one in this group follows: a transfer brings a handover."""
        if kind == "transfer":
            self.incoming.add(c.id)

    def assign(self, c, now: float) -> int | None:
        """The caseworker of ``c``'s new spell (the previous policy's choice); a citizen who
        came by transfer brings the handover's desk work to that caseworker."""
        member = self.inner(c, now)
        if self.incoming and c.id in self.incoming:
            self.incoming.discard(c.id)
            k = self.k
            k["handovers"] += 1
            k["handover_minutes"] += self.handover
            if self.handover > 0.0:
                if self.pool.n > 0:
                    task = DeskTask(c.id, self.group, HANDOVER, self.handover, now, None)
                    c.tasks.append(task)          # start_spell has emptied the list already
                    self.pool.enqueue(member, task)
                else:
                    k["handovers_unmet"] += 1
                    self.unmet[HANDOVER] += self.handover
        return member

    def shorten(self, c, b, now: float) -> None:
        """A new booking of the group: preparation, talk and documentation a share shorter."""
        keep = self.keep
        before = b.minutes
        b.preparation *= keep
        b.talk *= keep
        b.documentation *= keep
        b.minutes = b.preparation + b.talk + b.documentation + b.extra
        k = self.k
        k["talks_shortened"] += 1
        k["talk_minutes_saved"] += before - b.minutes


def install(config: Config, model) -> None:
    """Shorter talks and handovers for every group the split gave a sub-pool of its own."""
    k = model.counters.mechanism(NAME, ACTIVITIES)
    for key in COUNTERS:
        k[key] = 0
    sizes = {}
    for g, sv in model.services.items():
        name = sv.pool.name
        if not any(name == sub_pool(p, g) for p in config.pools):
            continue
        sizes[f"caseworkers/{name}"] = sv.pool.n
        team = SpecialisedTeam(g, sv, config, k, model.counters.unmet_minutes)
        sv.caseload = team
        sv.spell_follows.append(team.follows)
        if config.talk_time_saved_share > 0.0:
            sv.booking_adjusters.append(team.shorten)

    def record_sizes():
        k.update(sizes)
    model.at_finish.append(record_sizes)
