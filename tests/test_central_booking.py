"""Central booking (QB14 D2): a booking team, or the citizen online, books the talks.

The caseworkers' share of the booking and letter work (case support keeps its own) moves to a
booking team with its own pool, desk queue
and cheaper hour; a share of bookings may be made by the citizen online at no staff time; an
invitation the team sends less than ``notice_days`` before the talk is a late invitation.
Runs without warm-up, 120 days, mostly the small jobcenter (one clerk).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim.config import BASELINE_STAFF_TYPES
from sim.configure import compose
from sim.costs import cost_lines, hour_rate_dkk
from sim.mechanisms.central_booking import ACTIVITY, POOL, STAFF_TYPE, Config, team_size
from sim.model import Model, run
from sim.schema import ConfigError

SHORT = ("warmup_days=0", "horizon_days=120")
SMALL = ("jobcenter=small", "horizon_days=120")
D2 = "scenario=d2_central_booking"
D2B = "scenario=d2b_self_booking"
NO_LOG = "event_log=false"
MB = "mechanisms.central_booking"


def _k(result) -> dict:
    return result.counters.mechanisms["central_booking"]


def _minutes(result, staff_type, activity) -> float:
    return result.counters.activity_minutes.get((staff_type, activity), 0.0)


@pytest.fixture(scope="module")
def d2_small(simulate):
    return simulate(D2, *SMALL)                      # with the event log


@pytest.fixture(scope="module")
def baseline_small(simulate):
    return simulate("scenario=baseline", *SMALL)


@pytest.fixture(scope="module")
def d2b_small(simulate):
    return simulate(D2B, *SMALL, NO_LOG)


# --------------------------------------------------------------------------- by name
def test_both_scenarios_run_by_name():
    for name, team in (("d2_central_booking", True), ("d2b_self_booking", False)):
        cfg, description = compose([f"scenario={name}", "jobcenter=small", *SHORT, NO_LOG])
        assert cfg.mechanisms["central_booking"].team is team
        assert description["assumptions"]
        result = run(cfg)
        k = _k(result)
        assert k["bookings"] > 5000
        assert (POOL in result.pools) is team
        if team:
            assert k["team_bookings"] + k["case_support_bookings"] == k["bookings"]
            assert k["self_booked"] == 0
        else:
            assert 0 < k["self_booked"] < k["bookings"]
            assert (k["caseworker_bookings"] + k["case_support_bookings"] + k["self_booked"]
                    == k["bookings"])


# --------------------------------------------------------------------------- the team
def test_caseworkers_do_no_booking_or_letter_work_with_a_booking_team(d2_small, baseline_small):
    for activity in ("booking", "invitation_letter"):
        # booking and letters are background work, done after the desk queue (offer start-ups)
        assert _minutes(baseline_small, "caseworker", activity) > 2_000
        assert _minutes(d2_small, "caseworker", activity) == 0.0
        # case support keeps the bookings it makes in the baseline
        assert _minutes(d2_small, "admin_staff", activity) == pytest.approx(
            _minutes(baseline_small, "admin_staff", activity), rel=0.05)
    assert _minutes(d2_small, STAFF_TYPE, ACTIVITY) > 2_000


def test_the_team_takes_the_caseworkers_share_of_the_bookings(d2_small):
    k = _k(d2_small)
    share = d2_small.cfg.model.case_support.booking_share
    assert 0 < share < 1
    assert k["team_bookings"] / k["bookings"] == pytest.approx(1 - share, abs=0.02)


def test_the_teams_minutes_are_its_bookings_times_minutes_less_what_is_queued_or_dropped(
        d2_small):
    k = _k(d2_small)
    per_booking = d2_small.cfg.mechanisms["central_booking"].minutes_per_booking
    worked = _minutes(d2_small, STAFF_TYPE, ACTIVITY)
    assert worked + k["minutes_queued_at_end"] + k["minutes_cancelled"] == pytest.approx(
        k["team_bookings"] * per_booking, rel=1e-9)
    # a single clerk ends the run with work in hand, and it is shown, not dropped
    assert k["tasks_queued_at_end"] > 0 and k["minutes_queued_at_end"] > 0
    assert k["invitations_sent"] + k["tasks_queued_at_end"] + k["tasks_cancelled"] == \
        k["team_bookings"]


def test_every_invitation_sent_is_a_desk_task_of_the_team_in_the_event_log(d2_small):
    log = d2_small.log.columns()
    rows = [i for i, a in enumerate(log["activity"]) if a == ACTIVITY]
    assert len(rows) == _k(d2_small)["invitations_sent"]
    assert {log["resource"][i] for i in rows} == {f"{POOL}:0"}
    waits = [log["end"][i] - log["start"][i] for i in rows]
    assert min(waits) >= 0 and max(waits) > 1.0          # some wait over a day for the clerk


def test_team_size_scales_with_the_caseworkers_at_three_per_hundred():
    c = Config()
    assert [team_size(c, n) for n in (45, 77, 173, 529)] == [1, 2, 5, 16]
    assert team_size(Config(fte_per_100_caseworkers=0.0), 77) == 1          # at least one
    assert team_size(Config(members=4), 77) == 4
    assert team_size(Config(team=False), 77) == 0
    cfg, _ = compose([D2, "jobcenter=medium", *SHORT, NO_LOG])
    model = Model(cfg)
    assert model.pools[POOL].n == 2 and model.pools[POOL].staff_type == STAFF_TYPE
    assert model.pools[POOL].appt_full == [0.0, 0.0]                        # desk work only


def test_a_task_goes_to_a_clerk_who_is_present_that_day():
    cfg, _ = compose([D2, "jobcenter=medium", *SHORT, NO_LOG, f"{MB}.members=5"])
    model = Model(cfg)
    team = model.services["adp"].booker.team
    present = team.pool.present
    queues = team.pool.desk_queue.queue
    mixed = 0
    for day in range(cfg.horizon_days):
        row = present[day]
        if any(row):
            c = SimpleNamespace(id=day, group="adp", tasks=[])
            team.queue(c, SimpleNamespace(day=day + 10), day + 0.1)
            task, = c.tasks
            m, = (m for m, q in enumerate(queues) if task in q)
            assert row[m], day
            mixed += not all(row)
    assert mixed > 20               # days with a clerk away were tried


def test_a_one_clerk_team_on_a_medium_jobcenter_builds_a_queue_and_late_invitations(simulate):
    # every booking is the caseworkers' (none by case support), so all of them go to the team;
    # first talks are booked with the usual lead time, so that every talk leaves room for the
    # notice an invitation needs
    setting = ("model.case_support.booking_share=0", "model.talks.first_talk_lead_days=7")
    tiny = _k(simulate(D2, *SHORT, NO_LOG, *setting, f"{MB}.members=1"))
    ample = _k(simulate(D2, *SHORT, NO_LOG, *setting, f"{MB}.members=4"))
    assert tiny["team_bookings"] == ample["team_bookings"] > 10_000
    assert tiny["team_mean_wait_days"] > 5.0 > 1.0 > ample["team_mean_wait_days"]
    assert tiny["late_invitations"] > 200 and ample["late_invitations"] == 0
    assert tiny["invitations_after_talk_day"] > 0
    assert tiny["tasks_queued_at_end"] > 1000 > ample["tasks_queued_at_end"]


def test_notice_days_decide_which_invitations_are_late(simulate):
    none = _k(simulate(D2, *SMALL, NO_LOG, f"{MB}.notice_days=0"))
    all_ = _k(simulate(D2, *SMALL, NO_LOG, f"{MB}.notice_days=10000"))
    assert none["late_invitations"] == none["invitations_after_talk_day"]
    # every invitation of a talk with a day is late (the few that found no day are not)
    assert all_["late_invitations"] > 0.98 * all_["invitations_sent"]


def test_the_team_hour_costs_its_hour_rate_factor(d2_small):
    cfg = d2_small.cfg
    factor = cfg.model.staff_types[STAFF_TYPE].hour_rate_factor
    assert factor == 0.88
    line = {(x.staff_type, x.item): x.dkk for x in cost_lines(cfg, d2_small.counters)}
    minutes = _minutes(d2_small, STAFF_TYPE, ACTIVITY)
    assert line[(STAFF_TYPE, ACTIVITY)] == pytest.approx(
        minutes / 60.0 * factor * hour_rate_dkk(cfg), rel=1e-12)
    idle = d2_small.counters.idle_minutes[STAFF_TYPE]
    assert line[(STAFF_TYPE, "unused_capacity")] == pytest.approx(
        idle / 60.0 * factor * hour_rate_dkk(cfg), rel=1e-12)


# --------------------------------------------------------------------------- time adds up
@pytest.mark.parametrize("staff_type", [*BASELINE_STAFF_TYPES, STAFF_TYPE])
def test_every_staff_types_time_adds_up_with_central_booking(d2_small, staff_type):
    c = d2_small.counters
    available = c.available_minutes[staff_type]
    assert available > 0
    spent = (sum(v for (st, _), v in c.activity_minutes.items() if st == staff_type)
             + sum(v for (st, _), v in c.non_bookable_minutes.items() if st == staff_type)
             + c.idle_minutes[staff_type])
    assert spent == pytest.approx(available, rel=1e-9)
    assert c.idle_minutes[staff_type] >= 0


def test_every_pool_and_day_adds_up_and_the_clerks_get_their_non_bookable_hours(d2_small):
    for name, p in d2_small.pools.items():
        for day, (avail, worked, idle) in enumerate(
                zip(p.day_available, p.day_worked, p.day_idle)):
            nb = avail * p.non_bookable_share
            assert idle >= 0 and worked <= avail - nb + 1e-6, (name, day)
            assert worked + idle + nb == pytest.approx(avail, rel=1e-9, abs=1e-6), (name, day)
    cfg = d2_small.cfg
    lines = cfg.model.working_time.non_bookable_hours[STAFF_TYPE]
    years = cfg.horizon_days / 365.0
    members = d2_small.pools[POOL].n
    for line, hours in lines.items():
        assert d2_small.counters.non_bookable_minutes[(STAFF_TYPE, line)] == pytest.approx(
            members * hours * 60.0 * years, rel=1e-9)


# --------------------------------------------------------------------------- self-booking
def test_self_booking_share_one_takes_no_staff_time(simulate):
    r = simulate(D2, *SMALL, NO_LOG, f"{MB}.self_booking_share=1")
    k = _k(r)
    assert k["self_booked"] == k["bookings"] > 5000 and k["team_bookings"] == 0
    for st, act in (("caseworker", "booking"), ("caseworker", "invitation_letter"),
                    (STAFF_TYPE, ACTIVITY)):
        assert _minutes(r, st, act) == 0.0


def test_self_booking_leaves_the_talks_alone_and_the_team_the_rest(simulate, d2_small):
    part = _k(simulate(D2, *SMALL, NO_LOG, f"{MB}.self_booking_share=0.3"))
    team_only = _k(d2_small)
    assert part["bookings"] == team_only["bookings"]        # booking work changes no talk
    assert (part["team_bookings"] + part["case_support_bookings"] + part["self_booked"]
            == part["bookings"])
    assert part["self_booked"] / part["bookings"] == pytest.approx(0.3, abs=0.02)
    assert part["team_bookings"] == pytest.approx(0.7 * team_only["team_bookings"], rel=0.05)


def test_self_booking_without_a_team_leaves_the_rest_to_the_caseworkers(d2b_small,
                                                                         baseline_small):
    k = _k(d2b_small)
    assert POOL not in d2b_small.pools
    assert k["self_booked"] / k["bookings"] == pytest.approx(0.3, abs=0.02)
    for activity in ("booking", "invitation_letter"):
        assert 0 < _minutes(d2b_small, "caseworker", activity) < _minutes(
            baseline_small, "caseworker", activity)


def test_no_team_and_no_self_booking_is_the_baseline_event_for_event(simulate, baseline_small):
    same = simulate(D2B, *SMALL, f"{MB}.self_booking_share=0")
    k = _k(same)
    assert k["caseworker_bookings"] + k["case_support_bookings"] == k["bookings"] > 5000
    assert same.log.columns() == baseline_small.log.columns()
    assert dict(same.counters.activity_minutes) == dict(baseline_small.counters.activity_minutes)


def test_members_zero_means_the_caseworkers_keep_the_booking(simulate):
    r = simulate(D2, *SMALL, NO_LOG, f"{MB}.members=0")
    assert POOL not in r.pools
    assert _k(r)["caseworker_bookings"] + _k(r)["case_support_bookings"] == _k(r)["bookings"]
    assert _minutes(r, "caseworker", "booking") > 0


# --------------------------------------------------------------------------- bad values
@pytest.mark.parametrize("override, fragments", [
    (f"{MB}.minutes_per_booking=-2", ["mechanisms.central_booking.minutes_per_booking",
                                      "must not be negative"]),
    (f"{MB}.self_booking_share=1.5", ["mechanisms.central_booking.self_booking_share", "1.5",
                                      "[0, 1]"]),
    (f"{MB}.notice_days=-1", ["mechanisms.central_booking.notice_days"]),
    (f"{MB}.members=-1", ["mechanisms.central_booking.members", "must not be negative"]),
    (f"{MB}.groups=[adp,kth]", ["mechanisms.central_booking.groups", "'kth'", "valid"]),
    (f"{MB}.minuts_per_booking=2", ["did you mean 'minutes_per_booking'"]),
])
def test_a_bad_value_is_a_one_line_config_error(override, fragments):
    with pytest.raises(ConfigError) as e:
        compose([D2, override])
    msg = str(e.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, msg
