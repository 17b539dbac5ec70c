"""The spell effects: service moves the time to a job, relative to the baseline's service.

The component tests drive :class:`sim.domain.effects.ServiceEffects` with one citizen and a
known service history and compare the spell's end with an independent numerical integration of
the same proportional-hazards model (a check of the implementation against its own inputs, not a
validation of the effect sizes; docs/effects.md has the face-validity table). The simulation
tests check the behaviour the effects must produce in a whole run.
"""
from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.special import gammaincc

from sim.config import EXPOSURES, EffectReference
from sim.configure import compose
from sim.domain.effects import CumulativeHazard, ServiceEffects
from sim.domain.population import DAYS_PER_MONTH, SpellPlan, SpellPlanner
from sim.engine.metrics import GroupCounters
from sim.engine.streams import Streams

INF = math.inf
ADP_JOB = (4.3, 4.7)          # the unemployment-insurance job route (months): mean, sd


# --------------------------------------------------------------------------- helpers
class _Spells:
    """What the component needs of the spells: the citizen's alarm brought forward."""

    def __init__(self):
        self.forward = []

    def bring_forward(self, c, day):
        self.forward.append(day)


_DEFAULT = {}


def _default_config():
    if not _DEFAULT:
        _DEFAULT["cfg"] = compose([])[0]
    return _DEFAULT["cfg"]


def _replaced(obj, changes: dict):
    """``obj`` (a dataclass) with the nested fields named ``a__b`` replaced."""
    top: dict = {}
    for k, v in changes.items():
        head, _, rest = k.partition("__")
        top.setdefault(head, {})
        if rest:
            top[head][rest] = v
        else:
            top[head] = v
    return dataclasses.replace(obj, **{
        k: (_replaced(getattr(obj, k), v) if isinstance(v, dict) else v)
        for k, v in top.items()})


def _component(group="adp", *, reference=None, scale=1.0, **changes):
    """A ServiceEffects of ``group`` with the default ``model.effects``, changed by ``changes``
    (nested names joined by ``__``, e.g. talks__job_hazard_ratio=2.0)."""
    cfg = _default_config()
    sizes = _replaced(cfg.model.effects, changes)
    if reference is not None:
        sizes = dataclasses.replace(sizes, reference=reference)
    streams = Streams(7, 0)
    planner = SpellPlanner(cfg, streams)
    gc = GroupCounters()
    fx = ServiceEffects(group, sizes, scale, _Spells(), planner, streams, gc, 0.0, 10_000.0)
    return fx, gc


def _citizen(length: float, group="adp", route="job", start=0.0, limit_u=1.0):
    plan = SpellPlan(length, route, "exit", "job", False, limit_u)
    return SimpleNamespace(plan=plan, group=group, spell_start=start, last_talk_day=None,
                           offer_start=INF, offer_end=INF, offer_company=False,
                           end_day=start + length, fx=None)


def _start(fx, c, now=0.0):
    fx.spell_started(c, now)
    return c.end_day


def _talk(fx, c, day, phone=False):
    fx.talk_held(c, SimpleNamespace(phone=phone), day, True)


def _numerical_end(length, talk_days=(), window=42.0, talk_beta=0.0, base=0.0,
                   intervals=(), mean_sd=ADP_JOB):
    """The end of a job spell of drawn ``length`` whose log hazard ratio is ``base``, plus
    ``talk_beta`` for each talk held in the last ``window`` days (overlapping windows add up),
    plus ``beta`` in each of ``intervals`` ``(from, until, beta)``: integrated on a fine grid,
    an implementation independent of the component's."""
    mean, sd = mean_sd
    k = (mean / sd) ** 2
    scale = sd ** 2 / mean * DAYS_PER_MONTH
    t = np.linspace(0.0, 4000.0, 400_001)
    lam = -np.log(gammaincc(k, t / scale))
    open_windows = np.zeros_like(t)
    for d in talk_days:
        open_windows += (t >= d) & (t < d + window)
    v = base + talk_beta * open_windows
    for lo, hi, beta in intervals:
        v = v + beta * ((t >= lo) & (t < hi))
    m = np.exp(v)
    h = np.concatenate([[0.0], np.cumsum(m[:-1] * np.diff(lam))])
    target = -math.log(gammaincc(k, length / scale))
    return float(np.interp(target, h, t))


# --------------------------------------------------------------------------- the hazard table
@pytest.mark.parametrize("mean,sd", [ADP_JOB, (2.3, 3.0), (30.0, 15.0)])
def test_the_tabulated_cumulative_hazard_is_the_gammas(mean, sd):
    hz = CumulativeHazard(mean, sd)
    k = (mean / sd) ** 2
    scale = sd ** 2 / mean * DAYS_PER_MONTH
    for t in (3.5, 40.25, 200.7, 1500.1):
        want = -math.log(gammaincc(k, t / scale))
        # linear between whole days: within 0.5% where the hazard is steepest (day 3 of a
        # sickness spell); the spell's target and its end use the same table, so a spell
        # without effects still ends exactly as drawn
        assert hz.at(t) == pytest.approx(want, rel=5e-3, abs=1e-6)
        assert hz.inverse(hz.at(t)) == pytest.approx(t, abs=1e-6)


# --------------------------------------------------------------------------- one spell
def test_a_spell_under_the_reference_service_ends_as_drawn():
    fx, _ = _component(reference={})            # no reference: log ratio 0 without service
    c = _citizen(133.3)
    assert _start(fx, c) == pytest.approx(133.3, abs=1e-6)


def test_a_talk_brings_the_job_exit_forward_by_what_the_hazard_ratio_implies():
    fx, _ = _component(reference={}, talks__job_hazard_ratio=1.45)
    for length in (60.0, 150.0, 400.0):
        c = _citizen(length)
        _start(fx, c)
        _talk(fx, c, 30.0)
        want = _numerical_end(length, [30.0], fx.window, math.log(1.45))
        assert c.end_day < length
        assert c.end_day == pytest.approx(want, abs=0.05)


def test_a_spell_ending_before_the_talk_is_not_changed():
    fx, _ = _component(reference={})
    c = _citizen(20.0)
    _start(fx, c)
    assert c.end_day == pytest.approx(20.0, abs=1e-6)


def test_the_baseline_reference_lowers_the_hazard_of_a_spell_without_service():
    ref = {"adp": EffectReference(talk=0.6)}
    fx, _ = _component(reference=ref)
    c = _citizen(150.0)
    end = _start(fx, c)
    want = _numerical_end(150.0, base=-0.6 * fx.b_talk)
    assert end > 150.0
    assert end == pytest.approx(want, abs=0.05)


def test_a_schedule_of_talks_matches_the_numerical_integration():
    ref = {"adp": EffectReference(talk=0.6)}
    fx, _ = _component(reference=ref)
    days = [7.0, 21.0, 35.0, 49.0, 63.0, 77.0, 91.0, 175.0]
    rng = np.random.default_rng(3)
    for length in rng.gamma((4.3 / 4.7) ** 2, 4.7 ** 2 / 4.3 * DAYS_PER_MONTH, 12):
        c = _citizen(float(length))
        _start(fx, c)
        held = []
        for d in days:
            if d < c.end_day:
                _talk(fx, c, d)
                held.append(d)
        want = _numerical_end(float(length), held, fx.window, fx.b_talk,
                              base=-0.6 * fx.b_talk)
        assert c.end_day == pytest.approx(want, abs=0.1)


def test_talks_held_late_lengthen_spells():
    fx, _ = _component()
    rng = np.random.default_rng(5)
    lengths = rng.gamma((4.3 / 4.7) ** 2, 4.7 ** 2 / 4.3 * DAYS_PER_MONTH, 400)

    def mean_end(delay):
        ends = []
        for length in lengths:
            c = _citizen(float(length))
            _start(fx, c)
            day = 7.0 + delay
            while day < c.end_day:
                _talk(fx, c, day)
                day += 84.0 + delay
            ends.append(c.end_day)
        return float(np.mean(ends))

    on_time, late = mean_end(0.0), mean_end(21.0)
    assert late > on_time + 1.0


def test_a_phone_talk_counts_less_than_a_meeting():
    fx, _ = _component(reference={})
    meeting, phone = _citizen(200.0), _citizen(200.0)
    _start(fx, meeting), _start(fx, phone)
    _talk(fx, meeting, 30.0)
    _talk(fx, phone, 30.0, phone=True)
    assert meeting.end_day < phone.end_day < 200.0


def test_an_offer_locks_in_and_then_raises_the_hazard():
    fx, _ = _component(reference={}, company_based_offers__lock_in_hazard_ratio=0.8,
                       company_based_offers__post_hazard_ratio=1.3,
                       company_based_offers__post_days=182)
    for length in (50.0, 120.0, 300.0):
        c = _citizen(length)
        _start(fx, c)
        c.offer_end = 20.0 + 56.0
        fx.offer_started(c, 20.0, 0.0, True)
        want = _numerical_end(length, intervals=[(20.0, 76.0, math.log(0.8)),
                                                 (76.0, 76.0 + 182.0, math.log(1.3))])
        assert c.end_day == pytest.approx(want, abs=0.1)
    long_lock = _citizen(120.0)
    _start(fx, long_lock)
    long_lock.offer_end = 20.0 + 400.0
    fx.offer_started(long_lock, 20.0, 0.0, False)         # guidance, 0.6 throughout
    assert long_lock.end_day > 120.0


def test_a_longer_health_wait_lengthens_a_sickness_spell():
    short, _ = _component("sdp_cat2", reference={}, health_wait__share=1.0,
                          health_wait__mean_days=10)
    longer, _ = _component("sdp_cat2", reference={}, health_wait__share=1.0,
                           health_wait__mean_days=60)
    a, b = _citizen(100.0, "sdp_cat2"), _citizen(100.0, "sdp_cat2")
    assert _start(longer, b) > _start(short, a) > 100.0


def test_a_job_exit_moved_past_the_duration_limit_ends_there_by_the_rulebook():
    fx, _ = _component("sdp_cat1", reference={})
    c = _citizen(150.0, "sdp_cat1", limit_u=0.0)          # the limit's transfer applies
    _start(fx, c)
    c.offer_end = 10.0 + 300.0
    fx.offer_started(c, 10.0, 0.0, False)                 # a long lock-in
    assert c.end_day == pytest.approx(154.0)
    assert c.plan.route == "limit" and c.plan.to == "job_clarification"
    job = c.fx.plan
    assert job.destination == "job"


def test_a_replaced_plan_drops_the_clock():
    fx, _ = _component(reference={})
    c = _citizen(150.0)
    _start(fx, c)
    c.plan = SpellPlan(150.0, "reassessed", "exit", "reassessed", False)
    _talk(fx, c, 30.0)
    assert c.fx is None and c.end_day == pytest.approx(150.0, abs=1e-6)


def test_exposure_counts_the_days_under_each_service():
    fx, gc = _component(reference={})
    c = _citizen(1000.0)
    _start(fx, c)
    _talk(fx, c, 10.0)
    fx.spell_ended(c, 200.0)
    ex = gc.exposure
    assert ex["days"] == pytest.approx(200.0)
    assert ex["talk"] == pytest.approx(fx.window)
    assert set(EXPOSURES) <= set(ex)


# --------------------------------------------------------------------------- property
services = st.lists(st.tuples(st.sampled_from(["talk", "phone", "company", "guidance"]),
                              st.floats(0.0, 700.0), st.floats(1.0, 300.0)), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(length=st.floats(0.01, 3000.0), start=st.floats(-400.0, 0.0), history=services,
       ratio=st.floats(0.2, 5.0), lock=st.floats(0.2, 1.0), post=st.floats(1.0, 3.0))
def test_no_service_history_gives_a_negative_or_infinite_duration(length, start, history,
                                                                  ratio, lock, post):
    fx, _ = _component(talks__job_hazard_ratio=ratio,
                       company_based_offers__lock_in_hazard_ratio=lock,
                       company_based_offers__post_hazard_ratio=post)
    c = _citizen(length, start=start)
    now = 0.0
    if start + length <= now:
        return
    _start(fx, c, now)
    for kind, at, dur in sorted(history, key=lambda h: h[1]):
        if at >= c.end_day:
            break
        if kind in ("talk", "phone"):
            _talk(fx, c, at, phone=kind == "phone")
        else:
            c.offer_end = at + dur
            fx.offer_started(c, at, 0.0, kind == "company")
        assert math.isfinite(c.end_day)
        assert c.end_day >= at
    assert math.isfinite(c.end_day) and c.end_day > start and c.end_day >= now


# --------------------------------------------------------------------------- whole runs
def test_in_an_offer_a_citizen_leaves_to_work_less_often_than_after_it(baseline_365):
    days = {"offer": 0.0, "post": 0.0}
    exits = {"offer": 0.0, "post": 0.0}
    for gc in baseline_365.counters.groups.values():
        ex = gc.exposure
        days["offer"] += ex["offer_company"]
        days["post"] += ex["post_company"]
        exits["offer"] += ex["exits_offer_company"]
        exits["post"] += ex["exits_post_company"]
    assert days["offer"] > 1000 and days["post"] > 1000
    assert exits["offer"] / days["offer"] < exits["post"] / days["post"]


def test_without_effects_no_spell_has_a_hazard_clock(simulate):
    r = simulate("effects=none", "horizon_days=60", "event_log=false")
    assert all(gc.exposure["days"] == 0 for gc in r.counters.groups.values())


# Fortnightly meetings against the baseline, every unemployment-insurance talk in person (phone
# talks count half and the event log does not say which were by phone) and offers without
# effect, so that a job spell's hazard depends on its talks alone
FORTNIGHTLY = ("horizon_days=365", "model.groups.adp.phone_share=0",
               "model.effects.company_based_offers.lock_in_hazard_ratio=1",
               "model.effects.company_based_offers.post_hazard_ratio=1",
               "model.effects.guidance_offers.lock_in_hazard_ratio=1")


@pytest.fixture(scope="module")
def fortnightly(simulate):
    return (simulate("scenario=baseline", *FORTNIGHTLY),
            simulate("scenario=meetings_fortnightly", *FORTNIGHTLY))


def _job_spells_and_talks(r):
    """{citizen: (start, end)} of the unemployment-insurance spells that began in the run and
    ended in a job, and {citizen: [days of talks held]} (mandated and extra)."""
    log = r.log.columns()
    spells, talks = {}, {}
    for cid, g, act, start, end, res in zip(log["citizen"], log["group"], log["activity"],
                                            log["start"], log["end"], log["resource"]):
        if g != "adp":
            continue
        if act == "spell" and res == "job" and start > 0:
            spells[cid] = (start, end)
        elif act in ("talk", "extra_talk"):
            talks.setdefault(cid, []).append(start // 1)    # the day held (the row: its time)
    return spells, talks


def test_fortnightly_meetings_shorten_spells_by_what_the_effect_parameters_imply(fortnightly):
    # A check of the implementation against its own inputs, in a whole run (not a validation of
    # the effect sizes, docs/effects.md): recover each spell's drawn length from the baseline
    # run (its end and the talks it had), then predict its end under the talks the scenario run
    # held, with the independent integration; the two runs share the drawn lengths (common
    # random numbers).
    base, meetings = fortnightly
    cfg = base.cfg
    ratio = cfg.model.effects.talks.job_hazard_ratio
    window = cfg.model.effects.talks.window_days
    beta = math.log(ratio)
    b0 = -beta * cfg.model.effects.reference["adp"].talk
    job = cfg.model.groups["adp"].exits["job"]
    k = (job.mean_months / job.sd_months) ** 2
    scale = job.sd_months ** 2 / job.mean_months * DAYS_PER_MONTH
    t = np.linspace(0.0, 800.0, 160_001)
    lam = -np.log(gammaincc(k, t / scale))

    def clock(start, talk_days):
        open_windows = np.zeros_like(t)
        for d in talk_days:
            open_windows += (t >= d - start) & (t < d - start + window)
        m = np.exp(b0 + beta * open_windows)
        return np.concatenate([[0.0], np.cumsum(m[:-1] * np.diff(lam))])

    spells_b, talks_b = _job_spells_and_talks(base)
    spells_m, talks_m = _job_spells_and_talks(meetings)
    both = [c for c in spells_b if c in spells_m and spells_b[c][0] == spells_m[c][0]]
    assert len(both) > 400
    errors, shortening = [], []
    for cid in both:
        start, end_b = spells_b[cid]
        h_star = np.interp(end_b - start, t, clock(start, talks_b.get(cid, [])))
        predicted = start + float(np.interp(h_star, clock(start, talks_m.get(cid, [])), t))
        errors.append(spells_m[cid][1] - predicted)
        shortening.append(end_b - spells_m[cid][1])
    assert np.mean(np.abs(errors)) < 0.1                  # days
    assert np.mean(shortening) > 1.0                      # days: meetings shorten spells


def test_fortnightly_meetings_shorten_unemployment_insurance_spells(fortnightly):
    from sim.experiment import record
    from sim.figures import littles_law_spell_days

    base, meetings = (record(r) for r in fortnightly)
    assert littles_law_spell_days(meetings, "adp") < littles_law_spell_days(base, "adp")
    assert (fortnightly[1].counters.groups["adp"].talks_held
            > 1.3 * fortnightly[0].counters.groups["adp"].talks_held)


def test_the_effects_scale_with_the_effects_switch():
    low, _ = _component(reference={}, scale=0.5)
    high, _ = _component(reference={}, scale=1.5)
    ratio = _default_config().model.effects.talks.job_hazard_ratio
    assert high.b_talk == pytest.approx(3 * low.b_talk)
    assert high.b_talk == pytest.approx(1.5 * math.log(ratio))


@pytest.mark.calibration
def test_the_configured_reference_is_the_baselines_service():
    from sim.effects_reference import largest_gap, measured_reference

    cfg, _ = compose(["jobcenter=national_sample", "jobcenter.practice=average", "event_log=false",
                      "progress=false"])
    ref, days = measured_reference(cfg, replications=2)
    # groups with few job spells (the resource course: 4% leave to a job, under 1% of all
    # job-spell days) are too noisy to judge
    total = sum(days.values())
    judged = {g: shares for g, shares in ref.items() if days[g] > 0.01 * total}
    assert {"adp", "kth_job_ready", "sdp_cat1"} <= set(judged)
    worst, gap = largest_gap(cfg, judged)
    assert gap < 0.05, (f"{worst} is {gap:.3f} from the baseline's; rerun "
                        "python -m sim.effects_reference")


@pytest.mark.parametrize("args,words", [(["replications=0"], "whole number of at least 1"),
                                        (["jobcenter=small"], "composite profile"),
                                        (["model.effects.talks.window_days=-3"],
                                         "window_days")])
def test_the_reference_command_refuses_bad_input_in_one_line(args, words, capsys):
    from sim.effects_reference import main

    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
