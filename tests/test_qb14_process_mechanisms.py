"""Three QB14 proposals that change a process: A2 (a light screening instead of the formal
reassessment of flexjob-unemployment cases), A4 (a light restart of returning cash-benefit
recipients) and D3 (specialised caseworker teams per sub-group).

Each scenario runs by name and moves what it targets against the baseline with the same seed,
in the expected direction and by the expected order of size. Capacity checks run without spell
effects (``effects=none``), so that the same citizens come and go in both runs. Small
jobcenter, from t0 (no warm-up).
"""
from __future__ import annotations

from collections import defaultdict

import pytest

from sim.configure import compose
from sim.mechanisms import ly_screening, specialisation
from sim.mechanisms.light_restart import NAME as LIGHT
from sim.model import Model
from sim.schema import ConfigError

SMALL = ("jobcenter=small", "warmup_days=0", "effects=none", "event_log=false",
         "progress=false")
YEAR = "horizon_days=365"
SHORT = "horizon_days=120"
KTH = ("kth_job_ready", "kth_activity_ready")
OTHER_GROUPS = ("adp", "sdp_cat1", "sdp_cat2", "sdp_cat3", "ly")


def _minutes(result, activity: str) -> float:
    return result.counters.activity_minutes.get(("caseworker", activity), 0.0)


def _one_line_error(overrides, build: bool = False) -> str:
    """The ConfigError of composing ``overrides`` (and building the model, if ``build``)."""
    with pytest.raises(ConfigError) as err:
        cfg, _ = compose([*SMALL, SHORT, *overrides])
        if build:
            Model(cfg, 0)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("scenario, mechanism", [("a2_ly_screening", "ly_screening"),
                                                 ("a4_kth_revisit", "light_restart"),
                                                 ("d3_specialisation", "specialisation")])
def test_each_scenario_runs_by_name_and_states_its_assumptions(simulate, scenario, mechanism):
    cfg, description = compose([f"scenario={scenario}", *SMALL, SHORT])
    assert list(cfg.mechanisms) == [mechanism]
    assert description["title"] and description["source"] and description["mechanism"]
    assert len(description["assumptions"]) >= 4
    result = simulate(f"scenario={scenario}", *SMALL, SHORT)
    assert mechanism in result.counters.mechanisms
    assert result.counters.groups["adp"].talks_held > 1000


# =========================================================================== A2
A2 = "scenario=a2_ly_screening"


@pytest.fixture(scope="module")
def a2_pair(simulate):
    return simulate("scenario=baseline", *SMALL, YEAR), simulate(A2, *SMALL, YEAR)


def test_a2_formal_reassessment_hours_fall_to_a_fraction_and_screening_minutes_appear(a2_pair):
    base, a2 = a2_pair
    k = a2.counters.mechanisms["ly_screening"]
    formal_before, formal_after = _minutes(base, "ly_reassessment"), _minutes(a2, "ly_reassessment")
    screening = _minutes(a2, ly_screening.SCREENING)
    assert formal_before > 40 * 15 * 60                    # some 70 reassessments of 15 hours
    assert formal_after < 0.25 * formal_before
    assert _minutes(base, ly_screening.SCREENING) == 0.0
    # the screenings are real work of the caseworkers: their minutes are done at the desk
    settings = a2.cfg.mechanisms["ly_screening"]
    assert k["screenings"] > 100
    assert screening == pytest.approx(k["screenings"] * settings.screening_minutes, rel=0.1)
    assert a2.counters.category[ly_screening.SCREENING] == "indirect_casework"
    # half-yearly screenings of the same cases: about twice as many as yearly reassessments
    reassessed = base.counters.certificates["reassessment"]
    assert 1.5 * reassessed < k["screenings"] < 4 * reassessed
    # together far less work than today, and far fewer certificates
    assert screening + formal_after < 0.3 * formal_before
    assert a2.counters.certificates["reassessment"] == k["formal_reassessments"]
    assert k["formal_reassessments"] < 0.25 * reassessed


def test_a2_flags_its_share_of_screenings_and_changes_about_as_many_assessments(a2_pair):
    base, a2 = a2_pair
    k = a2.counters.mechanisms["ly_screening"]
    settings = a2.cfg.mechanisms["ly_screening"]
    p = a2.cfg.model.ly_reassessment.changes_assessment_share
    assert 0.01 < k["flagged"] / k["screenings"] < 0.12            # 5% flagged
    # the changes to expect: 1% of today's reassessments, against the screenings' half-year
    # share of that (about 0.5%) times the share the screening finds (80%)
    q = ly_screening.change_share(p, settings.interval_days, 365)
    assert q == pytest.approx(p / 2, rel=0.01)
    today = base.counters.certificates["reassessment"] * p
    scenario = k["screenings"] * q * settings.sensitivity
    assert 0.75 < scenario / today < 1.25


def test_a2_a_flagged_case_whose_assessment_would_change_leaves_the_benefit(simulate):
    # at 1% a small jobcenter changes about one assessment a year: raise the share to see the
    # chain (screening, flag, formal reassessment, the spell ends) in both runs
    raised = ("model.ly_reassessment.changes_assessment_share=0.25",)
    base = simulate("scenario=baseline", *SMALL, YEAR, *raised)
    a2 = simulate(A2, *SMALL, YEAR, *raised, "mechanisms.ly_screening.flagged_share=0.35")
    k = a2.counters.mechanisms["ly_screening"]
    changed_before = base.counters.groups["ly"].exits["reassessed"]
    changed_after = a2.counters.groups["ly"].exits["reassessed"]
    assert changed_before > 8 and changed_after > 5
    assert changed_after == k["assessments_changed"]
    assert 0.4 < changed_after / changed_before < 1.5
    assert 0 < k["changes_missed"] < k["would_change"]         # 80% found, some missed
    assert k["false_alarms"] < k["flagged"]


def test_a2_leaves_the_other_groups_talks_alone(a2_pair):
    base, a2 = a2_pair
    for g in ("adp", *KTH, "sdp_cat2"):
        assert a2.counters.groups[g].talks_held == pytest.approx(
            base.counters.groups[g].talks_held, rel=0.01), g


def test_a2_bad_values_are_one_line_errors():
    assert "flaged_share" in _one_line_error([A2, "mechanisms.ly_screening.flaged_share=0.1"])
    assert "must lie in [0, 1]" in _one_line_error(
        [A2, "mechanisms.ly_screening.flagged_share=1.5"])
    assert "must not be negative" in _one_line_error(
        [A2, "mechanisms.ly_screening.screening_minutes=-5"])
    # fewer flags than the screening finds true changes, and a group without a reassessment
    assert "below the share of screenings" in _one_line_error(
        [A2, "mechanisms.ly_screening.flagged_share=0.001"], build=True)
    assert "does not reassess" in _one_line_error(
        [A2, "mechanisms.ly_screening.groups=[ly,adp]"], build=True)


# =========================================================================== A4
A4 = "scenario=a4_kth_revisit"


def _observed(*overrides):
    """A year of the small jobcenter, with the cash-benefit spells that are re-visits told apart:
    (model, re-visits, talks and talk minutes held in re-visit spells and in the others)."""
    cfg, _ = compose([*SMALL, YEAR, *overrides])
    model = Model(cfg, 0)
    revisit: dict[int, int] = {}                 # citizen -> spell number of the re-visit
    talks = {"revisit": [0, 0.0], "other": [0, 0.0]}

    def follows(c, now, kind, delay):
        if kind == "revisit":
            revisit[c.id] = c.spell_no + 1

    def held(c, b, day, on_time):
        t = talks["revisit" if revisit.get(c.id) == c.spell_no else "other"]
        t[0] += 1
        t[1] += b.minutes

    for g in KTH:
        sv = model.services[g]
        sv.spell_follows.append(follows)
        sv.talks.held = (*sv.talks.held, held)
    model.run()
    return model, len(revisit), talks


@pytest.fixture(scope="module")
def a4_pair():
    return _observed("scenario=baseline"), _observed(A4)


def test_a4_revisits_take_fewer_talks_and_less_talk_time_than_todays_restart(a4_pair):
    (base, n_base, talks_base), (a4, n_a4, talks_a4) = a4_pair
    assert n_base > 40 and n_a4 == pytest.approx(n_base, rel=0.1)
    k = a4.counters.mechanisms[LIGHT]
    assert k["revisits"] == n_a4
    judged = k["revisits"] - k["full_restarts_nothing_to_continue"]
    assert 0.6 < k["light_restarts"] / judged < 0.95                # 80% restarted lightly
    per_revisit = {name: t[0] / n for name, t, n in (("base", talks_base["revisit"], n_base),
                                                     ("a4", talks_a4["revisit"], n_a4))}
    minutes = {name: t[1] / n for name, t, n in (("base", talks_base["revisit"], n_base),
                                                 ("a4", talks_a4["revisit"], n_a4))}
    assert per_revisit["base"] > 1.5                     # visitation and the cadence anew
    assert per_revisit["a4"] < 0.85 * per_revisit["base"]
    assert minutes["a4"] < 0.85 * minutes["base"]
    assert minutes["base"] - minutes["a4"] > 20         # of the order of a talk per re-visit
    # no visitation: the first talk is due when the interrupted interval ends, after the
    # visitation's deadline (7 or 14 days) on average
    assert k["first_talk_days_after_return"] / k["light_restarts"] > 14
    # the legal offer deadline is not restarted: most courses were past it before the break
    assert k["offer_deadlines_passed"] > 0.5 * k["light_restarts"]


def test_a4_leaves_other_spells_alone(a4_pair):
    (base, _, talks_base), (a4, _, talks_a4) = a4_pair
    assert talks_a4["other"][0] == pytest.approx(talks_base["other"][0], rel=0.01)
    for g in OTHER_GROUPS:
        assert a4.counters.groups[g].talks_held == pytest.approx(
            base.counters.groups[g].talks_held, rel=0.01), g
    for g in KTH:                              # the same citizens come and go
        gb, ga = base.counters.groups[g], a4.counters.groups[g]
        assert ga.inflow_new == gb.inflow_new and ga.inflow_reentry == gb.inflow_reentry


def test_spell_follows_is_told_of_every_transfer_and_return_with_the_ended_spell():
    cfg, _ = compose(["scenario=baseline", *SMALL, SHORT])
    model = Model(cfg, 0)
    seen = defaultdict(list)
    limit = cfg.rules.revisitation_after_days_out

    def follows(group):
        def hook(c, now, kind, delay):
            seen[kind].append((c.group, group, delay, c.end_day, c.spell_no % 2))
        return hook

    for g, sv in model.services.items():
        sv.spell_follows.append(follows(g))
    model.run()
    assert seen["transfer"] and seen["revisit"] and seen["resume"]
    assert all(old != new and delay == 0 for old, new, delay, *_ in seen["transfer"])
    assert all(old == new and delay > limit for old, new, delay, *_ in seen["revisit"])
    assert all(old == new and 0 < delay <= limit for old, new, delay, *_ in seen["resume"])
    # the spell has ended (its counter and end day closed) and the next has not begun
    assert all(end == float("inf") and even == 0 for *_, end, even in
               (x for v in seen.values() for x in v))
    assert len(seen["transfer"]) == sum(gc.transfers_in for gc in model.counters.groups.values())


def test_a4_bad_values_are_one_line_errors():
    assert "did you mean 'light_share'" in _one_line_error(
        [A4, "mechanisms.light_restart.light_shar=0.5"])
    assert "must not be negative" in _one_line_error(
        [A4, "mechanisms.light_restart.light_share=-0.1"])
    assert "unknown group 'kth'" in _one_line_error([A4, "mechanisms.light_restart.groups=[kth]"])
    assert "to which no citizen returns" in _one_line_error(
        [A4, "mechanisms.light_restart.groups=[adp]"], build=True)


# =========================================================================== D3
D3 = "scenario=d3_specialisation"
SPLIT = {"sickness": ("sdp_cat1", "sdp_cat2", "sdp_cat3"),
         "rehabilitation": ("job_clarification", "resource_course", "ly")}


@pytest.fixture(scope="module")
def d3_pair(simulate):
    return simulate("scenario=baseline", *SMALL, SHORT), simulate(D3, *SMALL, SHORT)


def test_d3_splits_the_pools_into_teams_that_add_up_to_the_same_caseworkers():
    cfg, _ = compose([D3, *SMALL, SHORT])
    before = {n: p.caseworkers for n, p in cfg.jobcenter.caseworker_pools.items()}
    built = specialisation.configure(cfg.mechanisms["specialisation"], cfg)
    after = built.jobcenter.caseworker_pools
    assert {n: p.caseworkers for n, p in cfg.jobcenter.caseworker_pools.items()} == before
    assert sum(p.caseworkers for p in after.values()) == sum(before.values())
    for pool, groups in SPLIT.items():
        assert pool not in after
        teams = {g: after[specialisation.sub_pool(pool, g)] for g in groups}
        assert sum(t.caseworkers for t in teams.values()) == before[pool]
        assert all(t.serves == [g] and t.caseworkers >= 1 for g, t in teams.items())
        assert all(t.extra_non_bookable_hours
                   == cfg.jobcenter.caseworker_pools[pool].extra_non_bookable_hours
                   for t in teams.values())
    # monthly category-2 talks make the largest sickness team, category 3 the smallest
    size = {g: after[specialisation.sub_pool("sickness", g)].caseworkers
            for g in SPLIT["sickness"]}
    assert size["sdp_cat2"] > size["sdp_cat1"] > size["sdp_cat3"]
    work = specialisation.expected_work(cfg)
    assert work["sdp_cat2"] > work["sdp_cat1"] > work["sdp_cat3"] > 0


def test_d3_teams_are_shared_out_by_largest_remainders_with_one_each_at_least():
    assert specialisation.allocate(9, {"a": 5.0, "b": 3.0, "c": 0.2}, "p") == \
        {"a": 5, "b": 3, "c": 1}
    assert specialisation.allocate(10, {"a": 1.0, "b": 1.0, "c": 0.0}, "p") == \
        {"a": 5, "b": 5, "c": 0}
    with pytest.raises(ConfigError, match="too few"):
        specialisation.allocate(1, {"a": 1.0, "b": 1.0}, "p")


def test_d3_specialised_talks_are_shorter_and_other_groups_keep_theirs(d3_pair):
    base, d3 = d3_pair
    share = d3.cfg.mechanisms["specialisation"].talk_time_saved_share

    def mean_minutes(result, g):
        gc = result.counters.groups[g]
        return gc.talk_total_minutes / gc.talks_held

    specialised = (*SPLIT["sickness"], "job_clarification", "ly")
    for g in specialised:          # each group: a tenth less, give or take the talks' spread
        ratio = mean_minutes(d3, g) / mean_minutes(base, g)
        assert 1 - share - 0.05 < ratio < 1 - share + 0.05, g

    def pooled(result):
        gcs = [result.counters.groups[g] for g in specialised]
        return sum(gc.talk_total_minutes for gc in gcs) / sum(gc.talks_held for gc in gcs)

    # all of them: a tenth less, less the reception walk and late arrival (about 4 minutes of a
    # talk's 90), which a specialist does not shorten
    assert 1 - share - 0.01 < pooled(d3) / pooled(base) < 1 - share + 0.02
    for g in ("adp", *KTH):
        assert mean_minutes(d3, g) == pytest.approx(mean_minutes(base, g), rel=0.01), g
    assert {p.name for p in d3.pools.values() if p.staff_type == "caseworker"} == {
        "adp", "cash_benefit", *(specialisation.sub_pool(p, g)
                                 for p, gs in SPLIT.items() for g in gs)}


def test_d3_a_transfer_into_a_specialised_group_brings_handover_work(d3_pair):
    base, d3 = d3_pair
    k = d3.counters.mechanisms["specialisation"]
    minutes = d3.cfg.mechanisms["specialisation"].handover_minutes
    transfers = sum(d3.counters.groups[g].transfers_in for g in ("job_clarification",
                                                                 "resource_course"))
    assert transfers > 50
    assert k["handovers"] == transfers            # every transfer into a team, nothing else
    assert k["handover_minutes"] == transfers * minutes
    done = _minutes(d3, specialisation.HANDOVER)
    assert 0.8 * transfers * minutes < done <= transfers * minutes + 1e-6
    assert _minutes(base, specialisation.HANDOVER) == 0.0
    assert d3.counters.category[specialisation.HANDOVER] == "indirect_casework"
    # the same transfers happen (no spell effects): the handovers are the scenario's only
    assert transfers == sum(base.counters.groups[g].transfers_in
                            for g in ("job_clarification", "resource_course"))


def test_d3_staff_time_still_adds_up_in_the_teams(d3_pair):
    _, d3 = d3_pair
    c = d3.counters
    worked = sum(v for (st, _), v in c.activity_minutes.items() if st == "caseworker")
    non_bookable = sum(v for (st, _), v in c.non_bookable_minutes.items() if st == "caseworker")
    assert worked + non_bookable + c.idle_minutes["caseworker"] == pytest.approx(
        c.available_minutes["caseworker"], rel=1e-9)


def test_d3_bad_values_are_one_line_errors():
    assert "must lie in [0, 1]" in _one_line_error(
        [D3, "mechanisms.specialisation.talk_time_saved_share=1.2"])
    assert "must not be negative" in _one_line_error(
        [D3, "mechanisms.specialisation.handover_minutes=-5"])
    assert "did you mean 'pools'" in _one_line_error([D3, "mechanisms.specialisation.pool=[x]"])
    assert "unknown pool 'sicknes'" in _one_line_error(
        [D3, "mechanisms.specialisation.pools=[sicknes]"], build=True)
    assert "too few" in _one_line_error(
        [D3, "jobcenter.caseworker_pools.sickness.caseworkers=2"], build=True)
