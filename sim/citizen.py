"""One citizen's life in the jobcenter, driven by SimPy events.

A citizen lives through one or more spells (a transfer or a return after time out starts a new
one). During a spell the citizen sleeps until the next thing it has to do — the offer deadline,
referral to the rehabilitation team, a reassessment, or the end of the spell — on an
:class:`Alarm`, a SimPy event whose callback carries the spell on, and nothing polls. (An alarm
orders exactly as a SimPy process per citizen would, at a fraction of the cost: no generator to
resume, no start and end events.) Booked talks are held by the model's daily round of talks,
which costs no event per talk. Work that queues (offer start-up, rehabilitation preparation) is
handed to staff desk queues, which call back when it is done.
"""
from __future__ import annotations

import math
from itertools import chain, repeat

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from .jobcenter import DeskTask
from .metrics import NOT_APPLICABLE

INF = math.inf


class Booking:
    """A talk reserved in a caseworker's appointment book (minutes of each component)."""

    __slots__ = ("citizen", "day", "member", "due", "target", "preparation", "talk",
                 "documentation", "extra", "phone", "postponed", "minutes")

    def __init__(self, citizen, due, target, preparation, talk, documentation, extra, phone,
                 postponed):
        self.citizen = citizen
        self.day: int | None = None
        self.member: int | None = None
        self.due = due                  # the rulebook's deadline
        self.target = target            # the day the jobcenter plans for (<= due)
        self.preparation = preparation
        self.talk = talk
        self.documentation = documentation
        self.extra = extra
        self.phone = phone
        self.postponed = postponed
        self.minutes = preparation + talk + documentation + extra   # reserved in the book

    def fit(self, longest: float) -> None:
        """Shorten preparation and documentation so the talk fits in ``longest`` minutes (a
        caseworker's whole bookable day): the rare extreme draw is finished within the day."""
        desk = self.preparation + self.documentation
        over = self.minutes - longest
        if desk > 0 and over > 0:
            keep = max(0.0, 1.0 - over / desk)
            self.preparation *= keep
            self.documentation *= keep
            self.minutes = self.preparation + self.talk + self.documentation + self.extra


class Citizen:
    """State of one citizen: the current spell, caseworker and what comes next (days)."""

    __slots__ = ("id", "group", "spell_no", "spell_start", "plan", "end_day", "referral_day",
                 "offer_day", "reassess_day", "pool", "member", "last_talk_day", "talk",
                 "wake_at", "alarm", "next_spell", "tasks", "contact_rate", "contact_minutes",
                 "education", "gx")

    def __init__(self, cid: int):
        self.id = cid
        self.group = ""
        self.spell_no = 0
        self.spell_start = 0.0
        self.plan = None
        self.end_day = INF
        self.referral_day = INF
        self.offer_day = INF
        self.reassess_day = INF
        self.pool = None
        self.member: int | None = None
        self.last_talk_day: float | None = None
        self.talk: Booking | None = None
        self.wake_at = INF
        self.alarm = None               # the Alarm it waits for (None: gone for good)
        self.next_spell = None          # (group, revisit) of the spell after time out
        self.tasks: list[DeskTask] = []
        self.contact_rate = 0.0
        self.contact_minutes = 0.0
        self.education = False
        self.gx = None                  # the group's GroupContext during a spell


class Alarm(simpy.Event):
    """The moment citizen ``citizen`` has to act next: a triggered event scheduled for that
    time, whose callback (:func:`_alarm_rings`) carries the spell on. Cheaper than a SimPy
    process per citizen: no generator to resume, no start and end events."""

    def __init__(self, env, model, citizen, delay: float, priority: int = NORMAL,
                 restart: bool = False):
        self.env = env
        self.callbacks = [_alarm_rings]
        self._ok = True                 # triggered at once, as a Timeout is
        self._value = None
        self.model = model
        self.citizen = citizen
        self.restart = restart          # True: it starts the next spell after time out
        env.schedule(self, priority, delay)


def enter(model, c: Citizen, group: str, plan, elapsed: float, visitation: bool) -> None:
    """Citizen ``c`` enters the jobcenter now, starting a spell in ``group`` that began
    ``elapsed`` days ago, and sets its alarm."""
    start_spell(model, c, group, plan, model.env.now - elapsed, visitation)
    _arm(model, c)


def _arm(model, c: Citizen) -> None:
    """Set the citizen's alarm for the next thing it has to do (nothing: after the run)."""
    t = c.end_day
    if c.referral_day < t:
        t = c.referral_day
    if c.offer_day < t:
        t = c.offer_day
    if c.reassess_day < t:
        t = c.reassess_day
    if t == INF:
        t = model.horizon + 1.0      # nothing more can happen to this citizen in the run
    c.wake_at = t
    now = model.env.now
    c.alarm = Alarm(model.env, model, c, t - now if t > now else 0.0)


def wake(model, c: Citizen, day: float) -> None:
    """Make sure citizen ``c`` acts by ``day`` (its plans changed while it slept): an urgent
    event now sets its alarm afresh, as interrupting a sleeping SimPy process would."""
    if day < c.wake_at and c.alarm is not None:
        c.alarm = Alarm(model.env, model, c, 0.0, URGENT)


def _alarm_rings(a: Alarm) -> None:
    """The citizen's alarm: start a spell, end one, or do what is due; then set the alarm."""
    c = a.citizen
    if c.alarm is not a:
        return                        # replaced by a later alarm since
    model = a.model
    if a.restart:
        group, revisit = c.next_spell
        c.next_spell = None
        start_spell(model, c, group, model.planner.draw(group), model.env.now, revisit)
        model.counters.groups[group].inflow_reentry += 1
        _arm(model, c)
        return
    now = model.env.now
    if c.wake_at > now:
        _arm(model, c)               # woken early: plans changed (see wake)
        return
    if c.end_day <= now:
        nxt = end_spell(model, c)
        if nxt is None:
            c.alarm = None
            return
        kind, group, delay = nxt
        if delay > 0:
            c.wake_at = INF
            c.next_spell = (group, kind == "revisit")
            c.alarm = Alarm(model.env, model, c, delay, restart=True)
            return
        start_spell(model, c, group, model.planner.draw(group), now, kind == "revisit")
        if kind == "revisit" or kind == "resume":
            model.counters.groups[group].inflow_reentry += 1
    elif c.referral_day <= now:
        model.refer_to_rehab_team(c)
    elif c.reassess_day <= now:
        model.reassess(c)
    elif c.offer_day <= now:
        model.request_offer(c)
    _arm(model, c)


def start_spell(model, c: Citizen, group: str, plan, spell_start: float, visitation: bool):
    """Begin a spell: caseworker, planned end, offer and reassessment dates, first talk."""
    now = model.env.now
    gx = model.gx[group]
    c.group = group
    c.gx = gx
    c.spell_no += 1
    c.spell_start = spell_start
    c.plan = plan
    c.tasks = []
    pool = gx.pool
    c.pool = pool
    shared = gx.shared
    if shared and gx.keep_fixed:
        at_risk = gx.s_at_risk.random() < gx.at_risk_fixed_share
        if at_risk or now - spell_start > gx.fixed_after_days:
            shared = False
    c.member = None if shared else pool.assign()
    c.contact_rate = gx.contact_rate
    c.contact_minutes = gx.contact_minutes
    pool.join(c.member, c.contact_rate, c.contact_minutes)
    end = spell_start + plan.length
    if plan.via_rehab_team:
        c.referral_day, c.end_day = max(end, now), INF
    else:
        c.referral_day, c.end_day = INF, max(end, now)
    c.offer_day = INF
    if gx.offer_deadline_days is not None:
        due = spell_start + gx.offer_deadline_days
        if gx.s_offer.random() < gx.offer_share and due >= now and due < end:
            c.offer_day = due
    c.reassess_day = INF
    if group == "ly":
        step = gx.reassessment_after_days
        k = max(1, math.ceil((now - spell_start) / step))
        c.reassess_day = spell_start + k * step
    c.education = gx.s_education.random() < gx.education_share if gx.has_volumes else False
    sched = gx.schedule
    elapsed = now - spell_start
    if visitation or elapsed < sched.first_talk_days:
        c.last_talk_day = None
    else:   # a spell in progress at t0: the last talk lies a uniform share of an interval back
        u = gx.s_talk_phase.random()
        last = now - u * sched.interval(elapsed)
        iv_then = sched.interval(last - spell_start)
        if last + iv_then < now:
            # the last talk fell in an earlier cadence phase with a shorter interval: place it
            # within that interval instead, so the next talk is not already overdue at t0
            last = now - u * iv_then
        c.last_talk_day = last
    model.counters.change_stock(group, now, +1)
    model.alive[c.id] = c
    # the stock at t0 had its next talk booked before the run began: no lead time applies
    book_next_talk(model, c, now, lead=0 if now == 0.0 and not visitation else None)


def end_spell(model, c: Citizen):
    """Close the spell; returns (kind, group, delay) for a following spell, or None."""
    now = model.env.now
    counters = model.counters
    gc = counters.groups[c.group]
    _cancel_talk(c)
    for t in c.tasks:
        t.cancelled = True
        t.on_done = None
    c.tasks = []
    c.pool.leave(c.member, c.contact_rate, c.contact_minutes)
    counters.change_stock(c.group, now, -1)
    gc.completed_spell_days.append(now - c.spell_start)
    plan = c.plan
    if model.log.enabled:
        model.log.add(c.id, c.group, "spell", c.spell_start, now,
                      plan.destination if plan.to == "exit" else plan.to, 0.0)
    del model.alive[c.id]
    c.spell_no += 1               # callbacks of work queued for this spell now find it closed
    c.referral_day = c.offer_day = c.reassess_day = c.end_day = INF
    if plan.to != "exit":
        gc.transfers_out += 1
        counters.groups[plan.to].transfers_in += 1
        return ("transfer", plan.to, 0.0)
    gc.exits[plan.destination] += 1
    re = model.cfg.model.reentry.get(c.group)
    if re is not None and plan.destination in ("self_support", "other"):
        s = model.streams[f"reentry/{c.group}"]
        if s.random() < re.return_share:
            out = s.exponential(re.mean_days_out)
            if now + out < model.horizon:
                limit = model.cfg.rules.revisitation_after_days_out
                return ("revisit" if out > limit else "resume", c.group, out)
    return None


def _cancel_talk(c: Citizen):
    b = c.talk
    if b is not None and b.day is not None:
        c.pool.release(b.day, b.member, b.minutes)
    c.talk = None


def book_next_talk(model, c: Citizen, now: float, lead: int | None = None):
    """Draw the next mandated talk of the spell and book it by the booking rule, at least
    ``lead`` days ahead (default: the practice's booking lead time); ``now`` is the time."""
    gx = c.gx
    if c.member is None and gx.keep_fixed and now - c.spell_start > gx.fixed_after_days:
        _make_fixed(c)
    last = c.last_talk_day
    if last is None:
        due = target = int(c.spell_start + gx.schedule.first_talk_days)
    else:
        interval = gx.interval
        if interval is None:
            interval = gx.schedule.interval(last - c.spell_start)
        due = int(last + interval)
        target = due if gx.planned_share >= 1.0 else int(last + gx.planned_share * interval)
    postponed = False
    if last is not None and gx.postpone_share > 0.0:
        if gx.s_pending.random() < gx.postpone_share:
            due += gx.postpone_days
            target += gx.postpone_days
            postponed = True
    prep, talk, doc, u_channel, u_late = gx.next_draws()
    if last is None:
        talk += gx.first_talk_extra
    if c.member is None and gx.shared_saved > 0.0 and prep + doc > 0.0:
        keep = 1.0 - min(gx.shared_saved, prep + doc) / (prep + doc)
        prep, doc = prep * keep, doc * keep
    phone = u_channel < gx.phone_share
    extra = 0.0
    if phone:
        talk *= gx.phone_factor
    else:
        extra = gx.reception_walk
        if u_late < gx.late_share:
            extra += gx.late_extra
    b = Booking(c, due, target, prep, talk, doc, extra, phone, postponed)
    c.talk = b
    reserve(model, c, b, gx.booking_lead if lead is None else lead, now)
    if gx.booking_work > 0.0:          # booking and letter, done at the desk (see StaffPool)
        if gx.booked_by_admin:
            model.admin.unassigned_bookings += 1
        else:
            member = b.member if b.member is not None else c.member
            if member is not None:
                c.pool.bookings[member] += 1


def _make_fixed(c: Citizen):
    """A shared-pool citizen who has become long-term gets a caseworker of their own."""
    pool = c.pool
    pool.leave(None, c.contact_rate, c.contact_minutes)
    c.member = pool.assign()
    pool.join(c.member, c.contact_rate, c.contact_minutes)


def reserve(model, c: Citizen, b: Booking, lead_days: int, now: float):
    """Put booking ``b`` in the appointment book, ``lead_days`` from today at the earliest
    (0: today itself, when the day has not begun), and in the model's diary for its day;
    ``now`` is the time."""
    today = int(now)
    earliest = today + lead_days if lead_days > 0 or now == today else today + 1
    pool = c.pool
    if b.minutes > pool.longest_talk > 0.0:
        b.fit(pool.longest_talk)
    day = member = None
    if c.member is None:
        got = pool.book_shared(b.target, earliest, b.minutes, model.latest_timely, today)
        if got is not None:
            day, member = got
    elif pool.n:
        day = pool.book_fixed(c.member, b.target, earliest, b.minutes, model.latest_timely)
        member = c.member
    if day is None:                   # no caseworker time anywhere: the talk cannot be held
        member = None
        if b.due < earliest:
            b.due = earliest
        b.target = b.due
        comes_up = b.due              # counted as missed on its deadline
    else:
        comes_up = day
    b.day, b.member = day, member
    # the diary: the bookings to hold on each day of the run (none beyond it)
    if comes_up < model.horizon:
        todays = model.diary[comes_up]
        if todays is None:
            raise RuntimeError(f"talk booked on day {comes_up} after that day's talks were held")
        todays.append(b)


def hold_talk(model, c: Citizen, day: int):
    """The booked day has come: hold the talk, or handle absence, no-show or lack of staff.
    A talk that could not be booked comes here on its deadline and is counted as missed."""
    b = c.talk
    gx = c.gx
    gc = gx.counters
    log = model.log
    pool = c.pool
    if b.day is None:                # never booked: counted late, the cadence moves on
        gc.talks_missed += 1
        log.add(c.id, c.group, "talk_missed", b.due, b.due, pool.name, 0.0, 0)
        c.last_talk_day = b.due
        c.talk = None
        book_next_talk(model, c, day)
        return
    if pool.sick[day][b.member]:
        pool.release(day, b.member, b.minutes)
        alt = pool.best_member(day, b.minutes, day) if c.member is None else None
        if alt is None:
            gc.absence_rebookings += 1
            reserve(model, c, b, gx.rebooking_lead, day)
            return
        pool.take(day, alt, b.minutes)
        b.member = alt
    if gx.s_no_show.random() < gx.no_show_share:
        used = b.preparation + gx.no_show_wait
        if used > b.minutes:
            used = b.minutes
        pool.talk_used[b.member] += used
        gx.work_no_show += used
        gc.no_shows += 1
        log.add(c.id, c.group, "no_show", day, day + used / 1440.0, pool.labels[b.member],
                used, NOT_APPLICABLE)
        reserve(model, c, b, gx.rebooking_lead, day)
        return
    minutes = b.minutes
    pool.talk_used[b.member] += minutes
    gx.work_preparation += b.preparation
    gx.work_documentation += b.documentation
    gx.work_reception_walk += b.extra
    if not b.phone:
        model.admin.registrations += 1
        gc.in_person_talks += 1
        gc.in_person_talk_minutes += b.talk
    if gx.cert_share > 0.0 and gx.s_certificate.random() < gx.cert_share:
        model.counters.certificates["follow_up"] += 1
        pool.add_background(b.member, "certificate_handling", gx.cert_minutes)
    on_time = day <= b.due
    gc.talks_held += 1
    gc.talks_on_time += on_time
    gc.talks_postponed += b.postponed
    gc.phone_talks += b.phone
    gc.talk_minutes += b.talk
    gc.talk_total_minutes += minutes
    if log.enabled:
        log.add(c.id, c.group, "talk", day, day + minutes / 1440.0, pool.labels[b.member],
                minutes, int(on_time))
    c.last_talk_day = day
    c.talk = None
    book_next_talk(model, c, day)


class GroupContext:
    """Per-group parameters, streams and counters looked up once, used on every talk."""

    def __init__(self, model, group: str):
        cfg = model.cfg.model
        beh = cfg.groups[group]
        t = beh.talk
        practice = cfg.talks
        streams = model.streams
        self.schedule = model.schedules[group]
        self.interval = self.schedule.constant_interval     # None: it depends on the phase
        self.counters = model.counters.groups[group]
        self.next_draws = TalkDraws(streams.generator(f"talk/{group}"), t.preparation, t.talk,
                                    t.documentation, t.cv).next
        self.s_no_show = streams[f"no_show/{group}"]
        self.s_pending = streams[f"pending_information/{group}"]
        self.s_certificate = streams[f"medical_certificate/{group}"]
        self.planned_share = beh.planned_interval_share
        self.cert_share = beh.medical_certificate_share
        self.cert_minutes = cfg.medical_certificates.handling_minutes
        self.preparation, self.talk, self.documentation = t.preparation, t.talk, t.documentation
        self.cv, self.first_talk_extra = t.cv, t.first_talk_extra
        in_pp = group in cfg.postponement.groups
        self.postpone_share = cfg.postponement.pending_information_share if in_pp else 0.0
        self.postpone_days = cfg.postponement.max_days
        self.shared_saved = cfg.caseload.shared_talk_minutes_saved
        self.keep_fixed = group in cfg.caseload.keep_fixed_groups
        self.fixed_after_days = cfg.caseload.fixed_after_days
        self.phone_share, self.phone_factor = beh.phone_share, practice.phone_minutes_factor
        self.reception_walk = practice.reception_walk_minutes
        self.late_share, self.late_extra = (practice.late_arrival_share,
                                            practice.late_arrival_extra_minutes)
        self.booking_lead, self.rebooking_lead = (practice.booking_lead_days,
                                                  practice.rebooking_lead_days)
        self.booking_minutes, self.letter_minutes = (practice.booking_minutes,
                                                     practice.letter_rewrite_minutes)
        self.booking_work = self.booking_minutes + self.letter_minutes
        self.booked_by_admin = practice.booked_by == "admin_staff"
        self.registration_minutes = practice.reception_registration_minutes
        self.no_show_share, self.no_show_wait = beh.no_show_share, practice.no_show_wait_minutes
        # what a spell start needs
        rules = model.cfg.rules
        self.pool = model.pool_of_group[group]
        self.shared = group in model.shared_groups
        self.s_at_risk = streams[f"at_risk/{group}"]
        self.at_risk_fixed_share = cfg.caseload.at_risk_fixed_share
        self.contact_rate = (beh.unplanned_contacts_per_month * 12.0
                             / cfg.working_time.workdays_per_year)
        self.contact_minutes = beh.unplanned_contact_minutes
        self.offer_deadline_days = rules.groups[group].offer_deadline_days
        self.s_offer = streams[f"offer/{group}"]
        self.offer_share = beh.offer.share
        self.reassessment_after_days = rules.ly_reassessment_after_days
        volumes = model.cfg.jobcenter.groups.get(group)
        self.has_volumes = volumes is not None
        self.education_share = volumes.education_benefit_share if volumes is not None else 0.0
        self.s_education = streams[f"education/{group}"]
        self.s_talk_phase = streams[f"talk_phase/{group}"]
        self.reset()

    def reset(self) -> None:
        """Zero the summed talk minutes (start of the run or end of the warm-up)."""
        # caseworker minutes of talks, summed here and handed to the counters at the end
        self.work_preparation = self.work_documentation = 0.0
        self.work_reception_walk = self.work_no_show = 0.0

    def flush(self, counters) -> None:
        """Hand the summed talk minutes to the run's counters (once, at the end of the run)."""
        gc = self.counters
        for activity, minutes in (("talk_preparation", self.work_preparation),
                                  ("talk", gc.talk_minutes),
                                  ("talk_documentation", self.work_documentation),
                                  ("reception_walk", self.work_reception_walk),
                                  ("no_show", self.work_no_show)):
            if minutes:
                counters.work("caseworker", activity, minutes)


TALK_DRAWS_BLOCK = 1024
"""Bookings whose draws are made at once (one NumPy call per component)."""


class TalkDraws:
    """The random draws of one talk booking, made in blocks for a whole group.

    Each booking takes one tuple, ``next()``: preparation, talk and documentation minutes
    (lognormal with the group's means and coefficient of variation), and uniforms for the
    channel (phone or in person) and for late arrival. A fixed number of draws per booking keeps
    scenarios that change how talks are handled on the same random numbers talk by talk.
    ``next`` is the ``__next__`` of an iterator over the blocks (no Python call per booking).
    """

    __slots__ = ("next",)

    def __init__(self, rng, preparation: float, talk: float, documentation: float, cv: float):
        params = (rng, (preparation, talk, documentation), cv)
        self.next = chain.from_iterable(map(_talk_draws_block, repeat(params))).__next__


def _talk_draws_block(params) -> list[tuple[float, float, float, float, float]]:
    """The next block of bookings' draws from ``params`` = (generator, the three components'
    mean minutes, coefficient of variation)."""
    rng, means, cv = params
    n = TALK_DRAWS_BLOCK
    z = rng.standard_normal((3, n))
    u = rng.random((2, n))
    cols = []
    s2 = math.log1p(cv * cv)
    for k, mean in enumerate(means):
        if cv <= 0.0 or mean <= 0.0:
            cols.append(np.full(n, float(mean)))
        else:
            cols.append(mean * np.exp(math.sqrt(s2) * z[k] - 0.5 * s2))
    return list(zip(*(c.tolist() for c in cols), u[0].tolist(), u[1].tolist()))
