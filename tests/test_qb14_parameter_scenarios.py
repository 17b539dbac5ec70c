"""QB14 proposals that change parameters the model already has, each against the baseline.

Each of these scenarios is a file with a ``changes:`` block only (``scenarios/<id>.yaml``). Runs:
the small jobcenter from t0 (no warm-up), ``effects=none`` (capacity only: the spell effects
would move spell lengths and blur the work counted), the baseline's seed (common random numbers),
120 days; the certificate counts (A8, F1) take two years, so that a share of them is measured to
about a percentage point. A pension application on the existing documentation is too rare in any
run (a handful a year) to measure a halving, so A3 is checked on the rehabilitation team itself.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest

from sim.configure import compose, load_scenario
from sim.domain.rehabilitation import LocalRehabTeam, RehabMeetings
from sim.engine.metrics import EventLog, GroupCounters
from sim.engine.streams import Streams
from sim.results import headline
from sim.settings_diff import leaves, lookup, render

SHORT = ("jobcenter=small", "horizon_days=120", "effects=none")
TWO_YEARS = ("jobcenter=small", "horizon_days=730", "effects=none", "event_log=false")
SDP = ("sdp_cat1", "sdp_cat2", "sdp_cat3")

PROPOSALS = {                       # scenario id -> QB14 proposal
    "a3_foep_threshold": "A3",
    "a6_transport_digital": "A6",
    "a7_forms": "A7",
    "a8_lae265": "A8",
    "c1_performance": "C1",
    "c5_rehab_frames": "C5",
    "c6_contact_strategy": "C6",
    "e1_self_verify": "E1",
    "e2_case_insight": "E2",
    "e3_letters": "E3",
    "e4_checkin": "E4",
    "e5_cv_search": "E5",
    "f1_medical_certs": "F1",
}

TARGETED = {
    # scenario -> (the activities whose work its mechanism cuts, the most capacity freed it can
    # explain as a multiple of their fall). A8 may free more than the certificate requests: a
    # case without an LÆ265 does not wait for the doctor, so its spell, and its talks, end sooner.
    "a6_transport_digital": (("transport_reimbursement",), 1.5),
    "a7_forms": (("company_forms", "form_resend"), 1.5),
    "a8_lae265": (("certificate_request",), 4.0),
    "c5_rehab_frames": (("rehab_preparation", "rehab_meeting"), 1.5),
    "c6_contact_strategy": (("talk", "reception_walk", "reception_registration",
                             "unplanned_contact", "phone_duty"), 1.5),
    "e1_self_verify": (("talk",), 1.5),
    "e2_case_insight": (("unplanned_contact", "phone_duty"), 1.5),
    "e3_letters": (("invitation_letter",), 1.5),
    "e4_checkin": (("reception_walk", "reception_registration"), 1.5),
    "e5_cv_search": (("employer_service",), 1.5),
    "f1_medical_certs": (("certificate_handling", "journalising"), 1.5),
}
"""Every scenario whose mechanism removes work. Not here: C1 keeps the mean minutes of a talk
(it narrows their spread), and A3 trades hours of an application for a prepared case with a
certificate that is waited for, a few hours on a handful of cases a year, which the run's other
differences drown (checked on the rehabilitation team below)."""


@pytest.fixture(scope="module")
def baseline(simulate):
    return simulate("scenario=baseline", *SHORT)


@pytest.fixture(scope="module")
def runs(simulate):
    """``runs(id)`` -> the scenario's 120-day run (cached by ``simulate``)."""
    return lambda scenario: simulate(f"scenario={scenario}", *SHORT)


def _work_brought(result, activities) -> float:
    """Minutes of ``activities`` the run brought, all staff types: work done, still queued at
    the end, and unmet for want of staff (so a backlog caught up does not count as work cut)."""
    c = result.counters
    done = sum(m for (_, act), m in c.activity_minutes.items() if act in activities)
    return done + sum(c.backlog_minutes.get(a, 0.0) + c.unmet_minutes.get(a, 0.0)
                      for a in activities)


def _required_hours(result) -> float:
    """Required work of the run (mandated and required tasks, not elastic work), all staff
    types, in hours: its fall against the baseline is the capacity freed."""
    return sum(headline(result)["required_work_hours"].values())


def _log_rows(result, activity: str):
    """(citizen, group, resource, minutes) of the log rows of ``activity``."""
    cols = result.log.columns()
    return [(cid, g, res, m) for cid, g, act, res, m in zip(
        cols["citizen"], cols["group"], cols["activity"], cols["resource"], cols["minutes"])
        if act == activity]


# --------------------------------------------------------------------------- every scenario
@pytest.mark.parametrize("scenario", PROPOSALS)
def test_scenario_describes_its_source_and_changes_the_parameters_it_names(
        runs, baseline, scenario):
    code = PROPOSALS[scenario]
    file = load_scenario(scenario)
    description = file["description"]
    assert description["source"] == f"QB14 proposal {code}"
    assert description["title"].startswith(code + " ")
    assert len(description["mechanism"]) > 200
    assert description["assumptions"]
    config = dataclasses.asdict(runs(scenario).cfg)
    for text in description["assumptions"]:
        render(text, config)                 # every {path} names a setting (KeyError if not)
    changes = leaves(file["changes"])
    assert changes and all(path.startswith("model.") for path in changes)
    base = dataclasses.asdict(baseline.cfg)
    for path, value in changes.items():
        assert lookup(config, path) == value, path
        assert lookup(base, path) != value, f"{path} is the baseline's"


def test_performance_management_says_it_is_assumption_driven():
    description = load_scenario("c1_performance")["description"]
    assert "assumption-driven" in description["title"].lower()
    assert description["mechanism"].startswith("Assumption-driven")


@pytest.mark.parametrize("scenario", PROPOSALS)
def test_scenario_runs_by_name(runs, baseline, scenario):
    result = runs(scenario)
    assert result.cfg.scenario == scenario
    assert result.cfg.seed == baseline.cfg.seed
    assert sum(gc.talks_held for gc in result.counters.groups.values()) > 5000


@pytest.mark.parametrize("scenario", TARGETED)
def test_scenario_frees_capacity_of_the_order_of_the_work_it_cuts(runs, baseline, scenario):
    activities, most = TARGETED[scenario]
    result = runs(scenario)
    cut = (_work_brought(baseline, activities) - _work_brought(result, activities)) / 60.0
    freed = _required_hours(baseline) - _required_hours(result)
    assert cut > 0
    assert freed > 0
    # not eaten up by other work (some is: a backlog caught up, talks that now fit earlier) and
    # no more than the mechanism can explain
    assert 0.25 * cut < freed < most * cut


# --------------------------------------------------------------------------- A3
class _RecordingPool:
    """Stands in for the caseworker pool: keeps the desk tasks and background work handed to
    it (minutes), and does none of them."""

    n = 1

    def __init__(self):
        self.tasks = []
        self.background = []

    def enqueue(self, member, task) -> None:
        self.tasks.append(task)

    def add_background(self, member, activity: str, minutes: float) -> None:
        self.background.append((activity, minutes))


@pytest.fixture(scope="module")
def pension_referrals():
    """5,000 disability-pension cases referred to the rehabilitation team of the baseline and
    of A3: by scenario, the pool that recorded their work and the certificates bought."""
    n = 5000
    out = {}
    for scenario in ("baseline", "a3_foep_threshold"):
        cfg, _ = compose([f"scenario={scenario}", "jobcenter=small"])
        pool = _RecordingPool()
        services = SimpleNamespace(routing=SimpleNamespace(route=lambda c, activity: (pool, 0)))
        certificates = Counter()
        team = LocalRehabTeam("kth_activity_ready", cfg, SimpleNamespace(now=0.0),
                              RehabMeetings(cfg.model.rehab_team.meeting_interval_days, n),
                              GroupCounters(), certificates, EventLog(enabled=False),
                              Streams(cfg.seed, 0), services, SimpleNamespace(wake=None),
                              Counter())
        for i in range(n):
            team.refer(SimpleNamespace(id=i, plan=SimpleNamespace(destination="disability_pension"),
                                       referral_day=0.0, spell_no=0, tasks=[], end_day=math.inf))
        out[scenario] = (pool, certificates)
    return n, out


def test_a3_halves_the_pension_applications_on_existing_documentation(pension_referrals):
    n, referred = pension_referrals
    share = {}
    for scenario, (pool, certificates) in referred.items():
        kinds = Counter(t.activity for t in pool.tasks)
        assert kinds["pension_application"] + kinds["rehab_preparation"] == n
        # the others take the ordinary path: prepared, with an LÆ265 requested
        assert certificates["lae265"] == kinds["rehab_preparation"]
        assert Counter(a for a, _ in pool.background)["certificate_request"] == \
            kinds["rehab_preparation"]
        share[scenario] = kinds["pension_application"] / n
    assert share["baseline"] == pytest.approx(0.2, abs=0.02)
    assert share["a3_foep_threshold"] / share["baseline"] == pytest.approx(0.5, abs=0.1)


def test_a3_takes_fewer_caseworker_hours_per_pension_case(pension_referrals):
    # an application takes 12.5 hours; a prepared case 8 hours and the 30-minute request
    n, referred = pension_referrals
    hours = {}
    for scenario, (pool, _) in referred.items():
        minutes = sum(t.minutes for t in pool.tasks) + sum(m for _, m in pool.background)
        hours[scenario] = minutes / 60.0 / n
    saved = hours["baseline"] - hours["a3_foep_threshold"]
    assert 0.2 < saved < 0.6           # a tenth of the cases, 4 hours each


# --------------------------------------------------------------------------- A6, A7
def test_a6_cuts_the_minutes_of_each_transport_reimbursement(runs, baseline):
    # the same offers are reimbursed (common random numbers); each takes 2 minutes, not 10
    ratio = (_work_brought(runs("a6_transport_digital"), ("transport_reimbursement",))
             / _work_brought(baseline, ("transport_reimbursement",)))
    assert ratio == pytest.approx(2 / 10, abs=0.02)


def test_a7_sends_fewer_forms_again_and_takes_less_time_per_form(runs, baseline):
    result = runs("a7_forms")
    figures = {}
    for name, r in (("baseline", baseline), ("a7", result)):
        forms, resends = _log_rows(r, "company_forms"), _log_rows(r, "form_resend")
        assert len(forms) > 500
        figures[name] = (len(resends) / len(forms), statistics.mean(m for *_, m in forms),
                         statistics.mean(m for *_, m in resends))
    assert figures["baseline"][0] == pytest.approx(0.5, abs=0.05)
    assert figures["a7"][0] == pytest.approx(0.2, abs=0.04)
    assert figures["baseline"][1:] == pytest.approx((45, 20))
    assert figures["a7"][1:] == pytest.approx((35, 15))


def test_a7_offers_wait_less_for_their_start(runs, baseline):
    def mean_wait(r):
        gs = r.counters.groups.values()
        return sum(gc.offer_wait_days for gc in gs) / sum(gc.offers_started for gc in gs)

    assert mean_wait(runs("a7_forms")) < 0.97 * mean_wait(baseline)


# --------------------------------------------------------------------------- A8, F1
@pytest.fixture(scope="module")
def two_years(simulate):
    return {s: simulate(f"scenario={s}", *TWO_YEARS)
            for s in ("baseline", "a8_lae265", "f1_medical_certs")}


def test_a8_buys_70_to_90_percent_fewer_lae265_per_rehabilitation_case(two_years):
    def per_case(r):
        cases = sum(gc.rehab_cases for gc in r.counters.groups.values())
        assert cases > 200
        return (r.counters.certificates["lae265"] / cases,
                _work_brought(r, ("certificate_request",)) / cases,
                headline(r)["cost_lines_dkk"]["purchases/lae265_certificates"] / cases)

    base, a8 = per_case(two_years["baseline"]), per_case(two_years["a8_lae265"])
    fall = 1 - a8[0] / base[0]
    assert 0.7 <= fall <= 0.9
    # the request minutes and the purchase cost follow the certificates
    assert 1 - a8[1] / base[1] == pytest.approx(fall, abs=1e-9)
    assert 1 - a8[2] / base[2] == pytest.approx(fall, abs=1e-9)


def test_f1_obtains_10_to_15_percent_fewer_certificates_per_held_talk(two_years):
    def per_talk(r):
        talks = sum(r.counters.groups[g].talks_held for g in SDP)
        certificates = r.counters.certificates["follow_up"]
        assert certificates > 1000
        return (certificates / talks,
                _work_brought(r, ("certificate_handling",)) / certificates,
                headline(r)["cost_lines_dkk"]["purchases/follow_up_certificates"] / certificates)

    base, f1 = per_talk(two_years["baseline"]), per_talk(two_years["f1_medical_certs"])
    assert 0.10 <= 1 - f1[0] / base[0] <= 0.15
    # each certificate still takes its 22.5 minutes and its price: handling and purchases fall
    # with the count
    assert base[1] == pytest.approx(22.5) and f1[1] == pytest.approx(22.5)
    assert f1[2] == pytest.approx(base[2])


def test_a8_and_f1_leave_the_other_certificate_purchases_alone(two_years):
    base = two_years["baseline"].counters.certificates
    for scenario, target in (("a8_lae265", "lae265"), ("f1_medical_certs", "follow_up")):
        bought = two_years[scenario].counters.certificates
        for kind in ("lae265", "follow_up", "reassessment"):
            if kind != target:
                assert bought[kind] == pytest.approx(base[kind], rel=0.05), (scenario, kind)




# --------------------------------------------------------------------------- C1, C5, C6
def _talk_minutes_by_group(result) -> dict[str, list[float]]:
    out = defaultdict(list)
    for _, g, _, m in _log_rows(result, "talk"):
        out[g].append(m)
    return out


def test_c1_narrows_the_spread_of_talk_minutes_and_keeps_their_mean(runs, baseline):
    base, c1 = _talk_minutes_by_group(baseline), _talk_minutes_by_group(runs("c1_performance"))
    for g, minutes in base.items():
        if len(minutes) < 300:
            continue
        cv_base = statistics.pstdev(minutes) / statistics.mean(minutes)
        cv_c1 = statistics.pstdev(c1[g]) / statistics.mean(c1[g])
        assert cv_c1 < 0.75 * cv_base, g        # the drawn components' cv is halved
        assert statistics.mean(c1[g]) == pytest.approx(statistics.mean(minutes), rel=0.03), g


def test_c5_takes_a_fifth_less_caseworker_time_per_rehabilitation_case(runs, baseline):
    def per_case(r):
        prep = [m for *_, m in _log_rows(r, "rehab_preparation")]
        meetings = len(_log_rows(r, "rehab_meeting"))
        return (statistics.mean(prep) / 60.0,
                _work_brought(r, ("rehab_meeting",)) / meetings)

    assert per_case(baseline) == pytest.approx((8.0, 45.0))
    assert per_case(runs("c5_rehab_frames")) == pytest.approx((6.4, 36.0))


SELF_RELIANT = ("adp", "kth_job_ready", "sdp_cat1")       # scenarios/c6_contact_strategy.yaml


def test_c6_holds_more_talks_by_phone_in_the_self_reliant_groups_only(runs, baseline):
    c6 = runs("c6_contact_strategy")
    for g, gc in baseline.counters.groups.items():
        if gc.talks_held < 300:
            continue
        before = gc.phone_talks / gc.talks_held
        after = c6.counters.groups[g].phone_talks / c6.counters.groups[g].talks_held
        if g in SELF_RELIANT:
            assert before == pytest.approx(0.1, abs=0.03), g
            assert after == pytest.approx(0.4, abs=0.05), g
        else:
            assert after == pytest.approx(before, abs=0.02), g


def test_c6_brings_a_tenth_fewer_unplanned_contacts_and_fewer_walks(runs, baseline):
    c6 = runs("c6_contact_strategy")
    for activity in ("unplanned_contact", "phone_duty"):
        ratio = _work_brought(c6, (activity,)) / _work_brought(baseline, (activity,))
        assert ratio == pytest.approx(0.9, abs=0.03), activity
    walks = _work_brought(c6, ("reception_walk",)) / _work_brought(baseline, ("reception_walk",))
    assert 0.7 < walks < 0.95           # a third of three groups' in-person talks go by phone


# --------------------------------------------------------------------------- E1 - E5
def _sickness_talks(result) -> tuple[dict[int, float], list[float]]:
    """Minutes of sickness-benefit talks: the first talk of each spell that began in the run
    (by citizen), and every talk after a citizen's first in the run (never a first talk).
    Citizens are numbered as they arrive, the initial stock first (``Model._populate``), so a
    number from the initial stock's size on is a new citizen, whose first talk is a spell's
    first talk."""
    first_new = sum(gc.initial_stock for gc in result.counters.groups.values())
    first: dict[int, float] = {}
    seen: set[int] = set()
    later: list[float] = []
    for cid, g, _, m in _log_rows(result, "talk"):
        if g not in SDP:
            continue
        if cid in seen:
            later.append(m)
            continue
        seen.add(cid)
        if cid >= first_new:
            first[cid] = m
    return first, later


def test_e1_shortens_the_first_sickness_talk_by_5_to_10_minutes(runs, baseline):
    (base, _), (e1, _) = _sickness_talks(baseline), _sickness_talks(runs("e1_self_verify"))
    assert len(base) > 150
    saved = statistics.mean(base.values()) - statistics.mean(e1.values())
    assert 5 <= saved <= 10
    # the same citizens' first talks: the 7.5 minutes of verification less in person, the
    # phone factor's share of them by phone
    cfg = baseline.cfg.model
    phone = cfg.groups["sdp_cat1"].phone_share
    expected = 7.5 * (1 - phone + phone * cfg.talks.phone_minutes_factor)
    same = [base[c] - e1[c] for c in base.keys() & e1.keys()]
    assert statistics.mean(same) == pytest.approx(expected, abs=0.5)


def test_e1_leaves_later_sickness_talks_and_other_groups_alone(runs, baseline):
    e1 = runs("e1_self_verify")
    (_, base_later), (_, e1_later) = _sickness_talks(baseline), _sickness_talks(e1)
    assert statistics.mean(e1_later) == pytest.approx(statistics.mean(base_later), rel=0.02)
    for g in ("adp", "kth_job_ready", "kth_activity_ready"):
        assert e1.counters.groups[g].talk_minutes == pytest.approx(
            baseline.counters.groups[g].talk_minutes, rel=0.01), g


def _contact_minutes_by_pool(result) -> dict[str, float]:
    out = defaultdict(float)
    for _, _, pool, m in _log_rows(result, "unplanned_contact"):
        out[pool] += m
    return out


def test_e2_brings_a_fifth_fewer_contacts_in_sickness_cases_only(runs, baseline):
    base = _contact_minutes_by_pool(baseline)
    e2 = _contact_minutes_by_pool(runs("e2_case_insight"))
    assert e2["sickness"] / base["sickness"] == pytest.approx(0.8, abs=0.03)
    for pool in ("adp", "cash_benefit", "rehabilitation"):
        assert e2[pool] == pytest.approx(base[pool], rel=0.01), pool
    phone = (_work_brought(runs("e2_case_insight"), ("phone_duty",))
             / _work_brought(baseline, ("phone_duty",)))
    assert 0.9 < phone < 0.99            # sickness cases bring a fifth of the calls


def test_e3_saves_2_to_3_minutes_per_invitation_letter(runs, baseline):
    def letter_minutes_per_booking(r):
        bookings = _work_brought(r, ("booking",)) / r.cfg.model.talks.booking_minutes
        assert bookings > 5000
        return _work_brought(r, ("invitation_letter",)) / bookings

    saved = letter_minutes_per_booking(baseline) - letter_minutes_per_booking(runs("e3_letters"))
    assert 2 <= saved <= 3


def test_e4_saves_1_to_2_minutes_per_talk_in_person_and_most_reception_work(runs, baseline):
    def per_talk(r):
        in_person = sum(gc.in_person_talks for gc in r.counters.groups.values())
        no_shows = sum(gc.no_shows for gc in r.counters.groups.values())
        return (_work_brought(r, ("reception_walk",)) / in_person,
                _work_brought(r, ("reception_registration",)) / in_person,
                _work_brought(r, ("no_show",)) / no_shows)

    base, e4 = per_talk(baseline), per_talk(runs("e4_checkin"))
    assert 1 <= base[0] - e4[0] <= 2
    assert e4[0] == pytest.approx(3.0)              # the walk to fetch the citizen stays
    assert e4[1] / base[1] == pytest.approx(0.25)   # three in four check in at the machine
    assert e4[2] == pytest.approx(base[2], rel=0.05)  # a no-show keeps its minutes


def test_e5_cuts_the_consultants_employer_service_by_a_twelfth(runs, baseline):
    ratio = (_work_brought(runs("e5_cv_search"), ("employer_service",))
             / _work_brought(baseline, ("employer_service",)))
    assert ratio == pytest.approx(11 / 12, abs=0.005)
