"""How the service a citizen gets changes the time to a job: the spell effects (a seam).

A spell's route and length are drawn when it starts, from the durations observed under 2013
service (:mod:`sim.domain.population`), on streams of their own. The effects then act on the
*timing* of a spell drawn to end in a job, never on the route: the drawn length ``L`` fixes the
level of cumulative hazard ``H* = Lambda0(L)`` at which the spell ends (``Lambda0``: the
cumulative hazard of the route's gamma distribution), and the spell ends when

    integral from spell start to T of m(t) dLambda0(t)  =  H*,

where ``m(t)`` is the citizen's hazard ratio at time ``t`` (a proportional-hazards model). The
ratio responds to the service the citizen gets, *relative to the baseline's service*:

    log m(t) = sum over kinds k of  beta_k * (I_k(t) - r_k)

with ``I_k(t)`` 1 while the citizen is under service of kind ``k`` (a talk's window, a running
offer of one kind, the post-programme period after it, a wait for a health assessment; for
talks, ``I(t)`` is the number of talk windows open at ``t``, each counted with its weight: a
phone talk or a group session counts less than a meeting, and overlapping windows add up),
``beta_k`` the log hazard ratio of that service and ``r_k`` the mean of ``I_k`` over job-spell
days in the calibrated baseline (``model.effects.reference``). A citizen who gets the baseline's service on
average keeps the observed duration on average; more talks, earlier offers or shorter waits
shorten the spell, fewer or later ones lengthen it. Effects at zero leave every spell as drawn:
no component is installed (``effects=none``) and the run equals one without this module, row
for row.

Why only the timing of the job exit: the sources give the exit routes' shares and lengths
jointly (VIVE20) and the evaluations measure the time to employment, not a change of the mix;
moving spells between routes would need competing-risk hazards that no source gives. A job spell
whose exit moves past its group's duration limit ends at the limit as a drawn spell that long
would (the rulebook's transfer), and comes back to a job exit if later service pulls it back.

Times are days (absolute, the simulation clock; ``s0`` the spell start), hazards are
dimensionless cumulative hazards.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING, Callable

from ..config import EXPOSURES

if TYPE_CHECKING:
    from ..config import EffectReference, SpellEffectSizes
    from ..engine.metrics import GroupCounters
    from ..engine.streams import Streams
    from .population import SpellPlan, SpellPlanner
    from .spells import Citizen, Spells

INF = math.inf
DAYS_PER_MONTH = 365.25 / 12
MIN_CV = 0.01
"""A job route whose lengths vary less than this (sd / mean) is left alone by the effects."""

TalkHeld = Callable[..., None]
"""``f(citizen, booking, day, on_time)``: called after a mandated talk of the citizen was held on
``day``."""

OfferStarted = Callable[..., None]
"""``f(citizen, day, waited_days, company_based)``: called when the citizen's offer starts on
``day`` (its planned end is ``citizen.offer_end``)."""


class SpellEffects:
    """The hooks through which service changes a group's spells (all empty in the baseline
    without effects: an empty hook list costs nothing per talk).

    ``spell_started(c, now)`` after a spell's plan, offers and last talk are set;
    ``talk_held(c, booking, day, on_time)`` after a mandated talk; ``extra_talk_held(c, day,
    phone)`` after an extra talk; ``session_attended(c, day)`` after a group-course session;
    ``offer_started(c, day, waited_days, company_based)``; ``spell_ended(c, now)`` before a spell
    closes.
    """

    __slots__ = ("talk_held", "offer_started", "extra_talk_held", "session_attended",
                 "spell_started", "spell_ended")

    def __init__(self):
        self.talk_held: list[TalkHeld] = []
        self.offer_started: list[OfferStarted] = []
        self.extra_talk_held: list[Callable] = []
        self.session_attended: list[Callable] = []
        self.spell_started: list[Callable] = []
        self.spell_ended: list[Callable] = []


# --------------------------------------------------------------------------- cumulative hazard
class CumulativeHazard:
    """``Lambda0(t) = -log S(t)`` of a gamma-distributed length (mean and sd in months), for
    ``t`` in days since the spell start, and its inverse.

    Tabulated once per route on whole days up to where survival is 1e-10 (at most 30 years),
    linear in between and, beyond the table, growing at the gamma's limiting hazard
    ``1/scale``. A lookup is an index and a product, the inverse a bisection of the table: a
    few microseconds, against about ten for the incomplete gamma function's inverse.
    """

    __slots__ = ("h", "n", "slope")

    def __init__(self, mean_months: float, sd_months: float):
        import numpy as np
        from scipy.special import gammaincc, gammainccinv

        shape = (mean_months / sd_months) ** 2
        scale = sd_months ** 2 / mean_months * DAYS_PER_MONTH
        last = float(gammainccinv(shape, 1e-10)) * scale
        n = int(min(max(math.ceil(last), 2), 30 * 366))
        t = np.arange(n + 1, dtype=float)
        # math.log, not np.log, which takes its own AVX-512 code on CPUs that have it and
        # would make the table (and every effect) depend on the machine in the last bit
        self.h: list[float] = [-math.log(s) if s > 0.0 else math.inf
                                 for s in gammaincc(shape, t / scale).tolist()]
        self.n = n
        self.slope = 1.0 / scale

    def at(self, t: float) -> float:
        """Lambda0 at ``t`` days (0 for ``t`` <= 0)."""
        if t <= 0.0:
            return 0.0
        i = int(t)
        h = self.h
        if i >= self.n:
            return h[self.n] + (t - self.n) * self.slope
        return h[i] + (t - i) * (h[i + 1] - h[i])

    def inverse(self, y: float) -> float:
        """The ``t`` (days) with Lambda0(t) = ``y``."""
        h = self.h
        n = self.n
        if y >= h[n]:
            return n + (y - h[n]) / self.slope
        i = bisect_right(h, y) - 1
        if i < 0:
            return 0.0
        step = h[i + 1] - h[i]
        return i + ((y - h[i]) / step if step > 0.0 else 0.0)


_TABLES: dict[tuple[float, float], CumulativeHazard] = {}


def cumulative_hazard(mean_months: float, sd_months: float) -> CumulativeHazard:
    """The (shared, cached) table of a route's cumulative hazard."""
    key = (mean_months, sd_months)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = CumulativeHazard(mean_months, sd_months)
    return table


# --------------------------------------------------------------------------- one job spell
# indices of a job spell's service slots; each slot is one interval [from, until) with a log
# hazard ratio and the exposure kind it counts as (index into EXPOSURES)
OFFER, POST, WAIT = range(1, 4)       # talk windows have keys -1, -2, ... (one per talk)


class JobSpell:
    """The hazard clock of one spell drawn to end in a job.

    ``acc`` is the cumulative hazard accumulated up to day ``t`` (``ht``: Lambda0 there); the
    spell ends when it reaches ``target``. ``slots`` holds the service the citizen is under or
    will be, by slot (each talk's window, the running offer, its post-programme period, a
    health wait): ``[from, until, log hazard ratio, exposure kind, weight]``; only slots in use
    are there (a talk window's slot goes when the next talk finds it over). ``entered``: the day the spell entered
    the model (its start, or t0 for the initial stock).
    """

    __slots__ = ("plan", "limit_plan", "limit_end", "hz", "s0", "target", "t", "ht", "acc",
                 "slots", "entered", "talks")

    def __init__(self, plan: "SpellPlan", limit_plan, limit_end: float, hz: CumulativeHazard,
                 s0: float, now: float):
        self.plan = plan
        self.limit_plan = limit_plan     # the plan if the exit moves past the duration limit
        self.limit_end = limit_end       # day of that limit (INF: none)
        self.hz = hz
        self.s0 = s0
        self.target = hz.at(plan.length)
        self.t = now
        self.ht = self.acc = hz.at(now - s0)    # no effect before the spell entered the model
        self.slots: dict[int, list] = {}
        self.entered = now
        self.talks = 0                   # talk windows opened (their slots' keys: -1, -2, ...)


class ServiceEffects:
    """Seam *spell effects*: the hazard of leaving to a job responds to talks, offers and
    health waits, relative to the baseline's service (module docstring).

    One per benefit group. ``scale`` multiplies every log hazard ratio (the ``effects=``
    switch). The group's job-spell days and their days under each kind of service inside the
    measured window are added up in the group counters' ``exposure`` (days; from them the
    reference is derived).
    """

    def __init__(self, group: str, sizes: "SpellEffectSizes", scale: float, spells: "Spells",
                 planner: "SpellPlanner", streams: "Streams", counters: "GroupCounters",
                 measure_from: float, horizon: float):
        self.group = group
        self.spells = spells
        self.measure_from = measure_from
        self.horizon = horizon
        self.counters = counters          # its ``exposure`` (a fresh dict after the warm-up)
        t = sizes.talks
        self.window = t.window_days
        self.b_talk = scale * math.log(t.job_hazard_ratio)
        self.phone_weight = t.phone_weight
        self.session_weight = t.group_session_weight
        co, gu = sizes.company_based_offers, sizes.guidance_offers
        self.offer_beta = (scale * math.log(co.lock_in_hazard_ratio),
                           scale * math.log(gu.lock_in_hazard_ratio))
        self.post_beta = (scale * math.log(co.post_hazard_ratio),
                          scale * math.log(gu.post_hazard_ratio))
        self.post_days = (co.post_days, gu.post_days)
        hw = sizes.health_wait
        self.wait_on = group in hw.groups and hw.share > 0.0
        self.wait_share, self.wait_after, self.wait_mean = hw.share, hw.after_days, hw.mean_days
        self.b_wait = scale * math.log(hw.job_hazard_ratio)
        self.s_wait = streams[f"health_wait/{group}"] if self.wait_on else None
        ref: EffectReference | None = sizes.reference.get(group)
        betas = {"talk": self.b_talk, "offer_company": self.offer_beta[0],
                 "offer_guidance": self.offer_beta[1], "post_company": self.post_beta[0],
                 "post_guidance": self.post_beta[1], "health_wait": self.b_wait}
        # the constant of log m: the baseline's service exposure, so that it gives ratio 1
        self.base = -sum(betas[k] * getattr(ref, k) for k in EXPOSURES) if ref else 0.0
        self.k_offer = ("offer_company", "offer_guidance")      # exposure kinds
        self.k_post = ("post_company", "post_guidance")
        self.k_talk, self.k_wait = "talk", "health_wait"
        # routes whose lengths spread (cv of at least MIN_CV): a route of (nearly) fixed
        # length has no hazard to scale, and its spells end as drawn
        self.routes = {name: r for name, r in planner.routes_of(group)
                       if r.sd_months >= MIN_CV * r.mean_months}
        lim = planner.limit_of(group)
        self.limit_days = lim.days if lim is not None else INF
        self.limit_share = lim.share if lim is not None else 0.0
        # the plans of a job spell moved past the duration limit: transferred (u < share), or
        # otherwise leaving or staying on (None) as the rulebook says; shared by all spells
        self.limit_plans = (None, None)
        if lim is not None:
            job = next(r for _, r in planner.routes_of(group))
            self.limit_plans = (planner.apply_limit(group, "", job, lim.days + 1.0, 0.0),
                                planner.apply_limit(group, "", job, lim.days + 1.0, 1.0))
            self.limit_plans = tuple(p if p.route == "limit" else None for p in self.limit_plans)

    def install(self, fx: SpellEffects) -> None:
        """Hook this component into the group's spell-effect hooks."""
        fx.spell_started.append(self.spell_started)
        fx.talk_held.append(self.talk_held)
        fx.extra_talk_held.append(self.extra_talk_held)
        fx.offer_started.append(self.offer_started)
        fx.spell_ended.append(self.spell_ended)
        if self.session_weight > 0.0:
            fx.session_attended.append(self.session_attended)

    # ------------------------------------------------------------------ hooks
    def spell_started(self, c: "Citizen", now: float) -> None:
        """A spell began: a job spell gets its hazard clock, with what it brings from before t0
        (the last talk's window, a running offer) and, drawn now, a health wait."""
        plan = c.plan
        # a job spell's route (None for other exits, transfers and the duration limit's plans)
        route = self.routes.get(plan.route) if plan.destination == "job" else None
        if route is None or plan.to != "exit":
            c.fx = None
            if self.wait_on:
                self._draw_wait()           # the stream stays in step
            return
        limit_plan = self.limit_plans[0 if plan.limit_u < self.limit_share else 1]
        limit_end = c.spell_start + self.limit_days if limit_plan is not None else INF
        st = JobSpell(plan, limit_plan, limit_end,
                      cumulative_hazard(route.mean_months, route.sd_months), c.spell_start, now)
        c.fx = st
        last = c.last_talk_day
        if last is not None and last + self.window > now:
            self._open_window(st, last, 1.0)
        if c.offer_end < INF:                       # an offer running at t0
            self._offer_slots(st, c.offer_start, c.offer_end, c.offer_company, now)
        if self.wait_on:
            u, d = self._draw_wait()
            if u < self.wait_share:
                start = c.spell_start + self.wait_after
                self._slot(st, WAIT, start, start + d, self.b_wait, self.k_wait, 1.0, now)
        self._set_end(c, st, now, wake=False)    # the spell's alarm is set after this

    def talk_held(self, c: "Citizen", b, day: int, on_time: bool) -> None:
        """A mandated talk was held: its window opens (a phone talk weighs less)."""
        st = c.fx
        if st is not None:
            self._talk(c, st, day, self.phone_weight if b.phone else 1.0)

    def extra_talk_held(self, c: "Citizen", day: int, phone: bool) -> None:
        """An extra talk was held: as a mandated one."""
        st = c.fx
        if st is not None:
            self._talk(c, st, day, self.phone_weight if phone else 1.0)

    def session_attended(self, c: "Citizen", day: int) -> None:
        """A group-course session was attended: a talk of the session's weight."""
        st = c.fx
        if st is not None:
            self._talk(c, st, day, self.session_weight)

    def offer_started(self, c: "Citizen", day: float, waited: float, company: bool) -> None:
        """An offer started: lock-in until its planned end, then the post-programme period."""
        st = c.fx
        if st is None or not self._current(c, st):
            return
        self._advance(st, day)
        self._offer_slots(st, day, c.offer_end, company, day)
        self._set_end(c, st, day)

    def spell_ended(self, c: "Citizen", now: float) -> None:
        """The spell closes: count its exposure up to now and, for an exit to a job inside
        the measured window, the service the citizen was under when leaving."""
        st = c.fx
        if st is not None:
            self._close(st, now)
            c.fx = None
            if c.plan is st.plan and self.measure_from <= now < self.horizon:
                ex = self.counters.exposure
                ex["exits"] += 1
                for sl in st.slots.values():
                    if sl[0] <= now < sl[1]:
                        ex["exits_" + sl[3]] += 1

    def finish(self, c: "Citizen") -> None:
        """The run ends with citizen ``c`` (of this group) still in its spell: count the
        exposure of its job spell, if it is one, up to the horizon."""
        st = c.fx
        if st is not None:
            self._close(st, self.horizon)

    # ------------------------------------------------------------------ the clock
    def _talk(self, c: "Citizen", st: JobSpell, day: float, weight: float) -> None:
        """A talk of ``weight`` was held on ``day``: the hazard up to it, its window, the end."""
        if weight <= 0.0 or not (c.plan is st.plan or self._current(c, st)):
            return
        self._advance(st, day)
        self._open_window(st, day, weight)
        self._set_end(c, st, day)

    def _open_window(self, st: JobSpell, day: float, weight: float) -> None:
        """A talk of ``weight`` held on ``day`` opens a window of its own (overlapping windows
        add up); windows already over leave the slots, counted."""
        slots = st.slots
        over = [k for k, sl in slots.items() if k < 0 and sl[1] <= day]
        for k in over:
            self._count(st, slots.pop(k), day)
        st.talks += 1
        slots[-st.talks] = [day, day + self.window, self.b_talk * weight, self.k_talk, weight]

    def _offer_slots(self, st: JobSpell, start: float, end: float, company: bool,
                     now: float) -> None:
        i = 0 if company else 1
        self._slot(st, OFFER, start, end, self.offer_beta[i], self.k_offer[i], 1.0, now)
        self._slot(st, POST, end, end + self.post_days[i], self.post_beta[i], self.k_post[i],
                   1.0, now)

    def _slot(self, st: JobSpell, i: int, lo: float, hi: float, beta: float, kind: str,
              weight: float, now: float) -> None:
        """Put service in slot ``i`` from day ``now`` on (an interval of days; an empty one
        frees the slot); the service it replaces is counted up to ``now``."""
        old = st.slots.get(i)
        if old is not None:
            self._count(st, old, now)
        if hi > lo and beta != 0.0:
            st.slots[i] = [lo, hi, beta, kind, weight]
        elif old is not None:
            del st.slots[i]

    def _count(self, st: JobSpell, sl: list, now: float) -> None:
        """Add the days slot ``sl`` was in force before ``now``, in the spell and the measured
        window, to the exposure of its kind (weighted)."""
        a = max(sl[0], st.entered, self.measure_from)
        b = min(sl[1], now, self.horizon)
        if b > a:
            self.counters.exposure[sl[3]] += (b - a) * sl[4]

    def _close(self, st: JobSpell, now: float) -> None:
        """The job spell is over on ``now`` (or the run is): count its days and its service."""
        a = max(st.entered, self.measure_from)
        b = min(now, self.horizon)
        if b > a:
            self.counters.exposure["days"] += b - a
        for sl in st.slots.values():
            self._count(st, sl, now)

    def _draw_wait(self) -> tuple[float, float]:
        """Whether this spell waits for a health assessment (u < share) and for how long (days);
        drawn for every spell of the group, so that the stream stays in step, and as a standard
        exponential scaled by the mean, so that a scenario with another mean waits in
        proportion for the same spells."""
        s = self.s_wait
        return s.random(), s.exponential(1.0) * self.wait_mean

    def _current(self, c: "Citizen", st: JobSpell) -> bool:
        """False (and the clock dropped) if the spell's plan was replaced since (a changed
        assessment ends the spell another way)."""
        if c.plan is st.plan or c.plan is st.limit_plan:
            return True
        c.fx = None
        return False

    def _profile(self, st: JobSpell, a: float, until: float) -> tuple[float, list]:
        """(log m at ``a``, [(day, change of log m)] after ``a`` and before ``until``, in
        order): the ratio's path as the slots now stand, for a sweep."""
        v = self.base
        steps = []
        for lo, hi, beta, _, _ in st.slots.values():
            if lo <= a:
                if a < hi:
                    v += beta
                    if hi < until:
                        steps.append((hi, -beta))
            elif lo < until:
                steps.append((lo, beta))
                if hi < until:
                    steps.append((hi, -beta))
        if len(steps) > 1:
            steps.sort()
        return v, steps

    def _advance(self, st: JobSpell, to: float) -> None:
        """Accumulate the hazard from ``st.t`` to ``to``, service as it stood."""
        a = st.t
        if to <= a:
            return
        at, s0 = st.hz.at, st.s0
        v, steps = self._profile(st, a, to)
        ha, acc = st.ht, st.acc
        for x, dv in steps:
            if x > a:
                hx = at(x - s0)
                acc += math.exp(v) * (hx - ha)
                a, ha = x, hx
            v += dv
        hy = at(to - s0)
        st.acc, st.t, st.ht = acc + math.exp(v) * (hy - ha), to, hy

    def _solve(self, st: JobSpell) -> float:
        """The day the spell's cumulative hazard reaches its target, service as now planned
        (call after :meth:`_advance` to now)."""
        hz, s0 = st.hz, st.s0
        a = st.t
        v, steps = self._profile(st, a, INF)
        left = st.target - st.acc
        ha = st.ht
        at = hz.at
        for x, dv in steps:
            if x > a:
                m = math.exp(v)
                hx = at(x - s0)
                gain = m * (hx - ha)
                if gain >= left:
                    return s0 + hz.inverse(ha + left / m)
                left -= gain
                a, ha = x, hx
            v += dv
        return s0 + hz.inverse(ha + left / math.exp(v))

    def _set_end(self, c: "Citizen", st: JobSpell, now: float, wake: bool = True) -> None:
        """Set the spell's end from its clock (the duration limit's plan if it comes first)
        and wake the citizen if the end came closer (``wake``)."""
        end = self._solve(st)
        if end > st.limit_end:
            c.plan, end = st.limit_plan, st.limit_end
        else:
            c.plan = st.plan
        if end < now:
            end = now
        earlier = end < c.end_day
        c.end_day = end
        if earlier and wake:
            self.spells.bring_forward(c, end)
