"""Group booking (CPH): first-part talks are seats in sessions received by a team in turn.

Runs: the small jobcenter from t0 (no warm-up), 180 days (the session plan reaches 91 days
ahead, so planned sessions are held from day 91 on), replication 0; each configuration runs once
per module. The mechanism's session records come from its ``GroupSessions`` objects, taken from
the model before it runs.
"""
from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest

from sim.configure import compose
from sim.mechanisms.group_booking import GroupSessions
from sim.model import Model, RunResult, run
from sim.schema import ConfigError

RUN = ("warmup_days=0", "jobcenter=small", "horizon_days=180")
SCENARIO = ("scenario=cph_group_booking", *RUN)
GROUPS = ("adp", "kth_job_ready")                 # scenarios/cph_group_booking.yaml
SEATS = {"adp": 4, "kth_job_ready": 3}
FIRST_PART_DAYS = 91
NO_NO_SHOWS = tuple(f"model.groups.{g}.no_show_share=0" for g in GROUPS)
# CPH's own session: 6 citizens for 2 x 120 minutes; the model's talks (about 57 minutes for
# ADP with preparation and documentation) overfill the window, so the team is never short of work
OVERFULL = ("mechanisms.group_booking.by_group.adp.seats=6",)
ON_DEMAND = ("mechanisms.group_booking.plan_ahead_days=0",)
P = "mechanisms.group_booking"


class Run:
    """A finished model with its result and its groups' session objects."""

    def __init__(self, overrides):
        cfg, _ = compose(list(overrides))
        model = Model(cfg)
        self.sessions: dict[str, GroupSessions] = {
            g: sv.booking_policy for g, sv in model.services.items()
            if isinstance(sv.booking_policy, GroupSessions)}
        # (citizen, day) of every seat's talk held: the log's talk rows of seats (individual
        # talks have a time of day too, so the time does not tell them apart)
        self.seat_talks: set[tuple[int, int]] = set()
        for sessions in self.sessions.values():
            sessions._record_talks = self._noting_seats(sessions._record_talks)
        model.run()
        self.model = model
        self.result = RunResult(cfg, 0, model.counters, model.log, model.pools, 0.0,
                                len(model.alive))
        self.counters = model.counters.mechanisms.get("group_booking", {})

    def _noting_seats(self, record_talks):
        def record(day, team, clock, shown, used):
            self.seat_talks.update((b.citizen.id, day) for b, _ in shown)
            return record_talks(day, team, clock, shown, used)
        return record

    def records(self, group=None):
        return [r for g, s in self.sessions.items() if group in (None, g) for r in s.records]


_RUNS: dict[tuple, Run] = {}


def _run(*overrides) -> Run:
    if overrides not in _RUNS:
        _RUNS[overrides] = Run(overrides)
    return _RUNS[overrides]


def _seat_talk_rows(r: Run) -> pd.DataFrame:
    """The event log's talk rows of seats (they start inside the window, at 9.00 + the
    member's queue) of the group-booked groups."""
    df = pd.DataFrame(r.result.log.columns())
    df = df[df.group.isin(GROUPS) & (df.activity == "talk")]
    seat = [(c, int(t)) in r.seat_talks for c, t in zip(df.citizen, df.start)]
    return df[seat]


@pytest.fixture(scope="module")
def scenario():
    return _run(*SCENARIO)


@pytest.fixture(scope="module")
def baseline():
    return _run("scenario=baseline", *RUN)


# --------------------------------------------------------------------------- by name
def test_the_scenario_runs_by_name_through_compose_and_run():
    cfg, description = compose(["scenario=cph_group_booking", *RUN, "event_log=false"])
    gb = cfg.mechanisms["group_booking"]
    assert list(gb.groups) == list(GROUPS)
    assert {g: gb.session(g)[2] for g in GROUPS} == SEATS
    assert "group" in description["title"].lower()
    result = run(cfg)
    counters = result.counters.mechanisms["group_booking"]
    assert counters["sessions_held"] > 100
    assert counters["shows"] > 500
    assert counters["sessions_planned"] > 0          # the standing windows of the plan


def test_the_scenario_is_the_one_the_fixtures_run(scenario):
    assert set(scenario.sessions) == set(GROUPS)
    for g in GROUPS:
        assert len(scenario.records(g)) > 50, g


# --------------------------------------------------------------------------- sessions
@pytest.mark.parametrize("overrides", [SCENARIO, SCENARIO + ON_DEMAND, SCENARIO + OVERFULL],
                         ids=["planned", "on_demand", "overfull"])
def test_seats_per_session_never_exceed_the_seats_and_full_sessions_occur(overrides):
    r = _run(*overrides)
    for g in GROUPS:
        seats = r.model.cfg.mechanisms["group_booking"].session(g)[2]
        called = [rec.seats for rec in r.records(g)]
        assert called and max(called) <= seats, g
        assert min(called) >= 1, g                  # an empty session is never held
        assert called.count(seats) > len(called) / 4, g   # sessions do fill


@pytest.mark.parametrize("overrides", [SCENARIO, SCENARIO + ON_DEMAND, SCENARIO + OVERFULL],
                         ids=["planned", "on_demand", "overfull"])
def test_a_sessions_team_minutes_add_up_and_equal_its_talks_minutes(overrides):
    r = _run(*overrides)
    window = r.model.cfg.mechanisms["group_booking"].window_minutes
    # the team's minutes used on a day are the booking minutes of the talks held there, as the
    # talk service logged them talk by talk
    seat_talks = _seat_talk_rows(r)
    logged = seat_talks.groupby([seat_talks.group, seat_talks.start.astype(int)]).minutes.sum()
    used = defaultdict(float)
    for rec in r.records():
        used[(rec.group, rec.day)] += rec.used
    assert len(logged) > 100
    assert set(logged.index) == {key for key, minutes in used.items() if minutes > 0}
    for key, minutes in used.items():
        assert logged.get(key, 0.0) == pytest.approx(minutes, abs=1e-6), key
    for rec in r.records():
        assert rec.used <= rec.reserved - rec.absent + rec.overrun + 1e-6
        assert rec.used == pytest.approx(rec.in_window + rec.overrun, abs=1e-6)
        assert rec.reserved == pytest.approx(rec.absent + rec.in_window + rec.returned,
                                             abs=1e-6)
        assert rec.reserved - rec.absent == pytest.approx(window * rec.team)
        assert rec.returned >= 0 and rec.overrun >= 0 and rec.deferred <= rec.overrun + 1e-6
        assert rec.shows + rec.no_shows == rec.seats
    c = r.counters
    recs = r.records()
    assert c["team_minutes_used"] == pytest.approx(sum(x.used for x in recs))
    assert c["team_minutes_returned"] == pytest.approx(sum(x.returned for x in recs))
    assert c["shows"] == sum(x.shows for x in recs)


def test_every_talk_of_a_session_has_its_log_row_and_the_session_its_own(scenario):
    df = pd.DataFrame(scenario.result.log.columns())
    df = df[df.group.isin(GROUPS)]
    sessions = df[df.activity == "group_session"]
    seat_talks = _seat_talk_rows(scenario)
    assert len(sessions) == len(scenario.records())
    assert len(seat_talks) == scenario.counters["shows"]
    logged = seat_talks.groupby([seat_talks.group, seat_talks.start.astype(int)]).minutes.sum()
    held = defaultdict(float)
    for rec in scenario.records():
        if rec.shows:                      # a session of no-shows only holds no talk
            held[(rec.group, rec.day)] += rec.used
    assert len(logged) == len(held)
    for key, minutes in held.items():
        assert logged[key] == pytest.approx(minutes, abs=1e-6), key
    # each talk row names the team member who received the citizen
    for _, row in sessions.iterrows():
        team = row.resource.split("+")
        same_day = seat_talks[(seat_talks.group == row.group)
                              & (seat_talks.start.astype(int) == int(row.start))]
        assert set(same_day.resource) <= set(team) or len(
            sessions[(sessions.group == row.group)
                     & (sessions.start.astype(int) == int(row.start))]) > 1


def test_with_no_no_shows_every_called_citizen_is_served():
    r = _run(*SCENARIO, *NO_NO_SHOWS)
    recs = r.records()
    assert len(recs) > 100
    assert all(rec.shows == rec.seats and rec.no_shows == 0 for rec in recs)
    assert r.counters["no_shows"] == 0
    for g in GROUPS:
        assert r.model.counters.groups[g].no_shows == 0, g


def test_no_shows_do_not_leave_the_team_idle_when_the_others_talks_are_long(baseline):
    # individual booking: a no-show keeps its caseworker's reserved slot and uses only the
    # preparation and the wait; the rest of the slot is idle. In a session whose citizens' talks
    # overfill the window the others' talks take up a no-show's minutes: a session with one
    # no-show leaves hardly more of its window over than a session without.
    r = _run(*SCENARIO, *OVERFULL)
    recs = [x for x in r.records("adp") if x.absent == 0]
    left_over = {k: [x.returned for x in recs if x.no_shows == k] for k in (0, 1)}
    assert len(left_over[0]) > 100 and len(left_over[1]) > 20
    mean = lambda xs: sum(xs) / len(xs)
    team_idle_per_no_show = mean(left_over[1]) - mean(left_over[0])
    df = pd.DataFrame(baseline.result.log.columns())
    adp = df[df.group == "adp"]
    booked_minutes = adp[adp.activity == "talk"].minutes.mean()
    used_by_no_show = adp[adp.activity == "no_show"].minutes.mean()
    individual_idle_per_no_show = booked_minutes - used_by_no_show
    assert individual_idle_per_no_show > 30
    assert team_idle_per_no_show < 0.5 * individual_idle_per_no_show
    assert sum(x.overrun for x in recs) > 5 * sum(x.returned for x in recs)   # the team is busy


def test_a_team_member_off_sick_is_covered_by_the_others(scenario):
    covered = [x for x in scenario.records() if x.absent > 0]
    assert len(covered) > 5                           # staff sickness happens in 180 days
    for x in covered:                                 # held by the others, every show served
        assert x.team >= 1 and x.shows == x.seats - x.no_shows
    full = [x for x in scenario.records() if x.absent == 0 and x.team == 2]
    # fewer servers: the team's overrun per talk is larger when a member is off
    over = lambda xs: sum(x.overrun for x in xs) / max(1, sum(x.shows for x in xs))
    assert over([x for x in covered if x.team == 1]) > over(full)


# --------------------------------------------------------------------------- caseworkers
def test_first_part_citizens_have_no_caseworker_and_get_one_after_it(scenario):
    model = scenario.model
    now = model.horizon
    young = old = 0
    for c in model.alive.values():
        if c.group not in GROUPS:
            continue
        if now - c.spell_start < FIRST_PART_DAYS:
            assert c.member is None, c.id
            young += 1
        elif c.last_talk_day is not None and c.last_talk_day - c.spell_start >= FIRST_PART_DAYS:
            assert c.member is not None, c.id      # booked after a talk past the first part
            old += 1
    assert young > 100 and old > 100
    assert scenario.counters["fixed_after_first_part"] > 100
    # the other cash-benefit group keeps its fixed caseworkers
    assert all(c.member is not None for c in model.alive.values()
               if c.group == "kth_activity_ready")


def test_spells_starting_in_the_run_have_individual_talks_only_after_the_first_part(scenario):
    df = pd.DataFrame(scenario.result.log.columns())
    df = df[df.group.isin(GROUPS)]
    # spells ended (log rows) and still running (the model's citizens), by (citizen, group)
    spells = defaultdict(list)
    for row in df[df.activity == "spell"].itertuples():
        spells[(row.citizen, row.group)].append(row.start)
    for c in scenario.model.alive.values():
        if c.group in GROUPS:
            spells[(c.id, c.group)].append(c.spell_start)
    # one spell in the group, started in the run: every talk of the citizen there is of it
    start = {key: s[0] for key, s in spells.items() if len(s) == 1 and s[0] >= 0}
    talks = df[df.activity == "talk"]
    seat_ages, individual_ages = [], []
    for row in talks.itertuples():
        s0 = start.get((row.citizen, row.group))
        if s0 is not None:
            seat = (row.citizen, int(row.start)) in scenario.seat_talks
            (seat_ages if seat else individual_ages).append(row.start - s0)
    # (individual talks come past the first part, at the latest timely date less the margin:
    # few within the run)
    assert len(seat_ages) > 500 and len(individual_ages) > 10
    # an individual talk is booked only past the first part, so it is held after it
    assert min(individual_ages) >= FIRST_PART_DAYS
    # seats are booked in the first part: most are held in it too (late ones come after it)
    assert sum(a < FIRST_PART_DAYS for a in seat_ages) > 0.5 * len(seat_ages)


# --------------------------------------------------------------------------- time adds up
@pytest.mark.parametrize("overrides", [SCENARIO, SCENARIO + OVERFULL],
                         ids=["planned", "overfull"])
def test_every_caseworkers_time_still_adds_up(overrides):
    r = _run(*overrides)
    c = r.model.counters
    for st in ("caseworker", "company_consultant", "admin_staff"):
        spent = (sum(v for (s, _), v in c.activity_minutes.items() if s == st)
                 + sum(v for (s, _), v in c.non_bookable_minutes.items() if s == st)
                 + c.idle_minutes[st])
        assert spent == pytest.approx(c.available_minutes[st], rel=1e-9), st
        assert c.idle_minutes[st] >= 0
    for name, p in r.model.pools.items():
        for day, (avail, worked, idle) in enumerate(zip(p.day_available, p.day_worked,
                                                        p.day_idle)):
            assert idle >= -1e-6, (name, day)
            assert worked <= avail * (1 - p.non_bookable_share) + 1e-6, (name, day)
            assert worked + idle + avail * p.non_bookable_share == pytest.approx(
                avail, rel=1e-9, abs=1e-6), (name, day)
    assert c.activity_minutes[("caseworker", "talk")] > 0


def test_overrun_comes_out_of_the_members_free_time_then_waits_as_documentation():
    r = _run(*SCENARIO, *OVERFULL)
    c = r.counters
    assert c["team_minutes_overrun"] > 0
    assert c["team_minutes_overrun"] == pytest.approx(
        c["overrun_from_appointment_time"] + c["overrun_from_desk_time"]
        + c["overrun_deferred"])


def test_no_seat_is_lost(scenario):
    c = scenario.counters
    pending = sum(len(s.seats) for gs in scenario.sessions.values()
                  for day in gs.live.values() for s in day)
    assert c["seats_booked"] == (c["seats_called"] + c["seats_cancelled"]
                                 + c["seats_moved_absent"] + pending)
    assert c["seats_cancelled"] > 0                   # spells end with a seat booked


def test_planned_sessions_without_seats_are_called_off_and_give_their_window_back(scenario):
    c = scenario.counters
    window, team, _ = scenario.model.cfg.mechanisms["group_booking"].session("adp")
    assert c["sessions_planned"] > 0
    assert c["team_minutes_called_off"] == pytest.approx(
        c["sessions_called_off"] * window * team)


def test_on_demand_sessions_only_are_opened_for_a_seat():
    r = _run(*SCENARIO, *ON_DEMAND)
    c = r.counters
    assert c["sessions_planned"] == 0 and c["planned_sessions_unused"] == 0
    assert c["sessions_held"] > 100


# --------------------------------------------------------------------------- other groups
def test_groups_not_named_keep_their_talks(baseline, scenario):
    # the sickness pool serves no group-booked group and draws from its own streams; the
    # groups still share the rehabilitation team's slots, whose decisions end spells (a couple
    # of hundred talks per group here: a 4% allowance, under a dozen talks)
    for g in ("sdp_cat1", "sdp_cat2", "sdp_cat3"):
        base = baseline.model.counters.groups[g].talks_held
        assert base > 100
        assert scenario.model.counters.groups[g].talks_held == pytest.approx(base, rel=0.04), g


def test_a_group_switched_on_alone_leaves_the_other_group_individually_booked():
    r = _run(*RUN, f"{P}.groups=[adp]", f"{P}.by_group.adp.seats=4")
    assert set(r.sessions) == {"adp"}
    assert all(c.member is not None for c in r.model.alive.values()
               if c.group == "kth_job_ready")


# --------------------------------------------------------------------------- bad values
@pytest.mark.parametrize("override, fragments", [
    (f"{P}.seats=0", ["group_booking.seats", "greater than 0"]),
    (f"{P}.by_group.adp.seats=0", ["by_group.adp.seats", "greater than 0"]),
    (f"{P}.team_size=-1", ["team_size"]),
    (f"{P}.window_minutes=0", ["window_minutes", "greater than 0"]),
    (f"{P}.by_group.sdp_cat1.seats=3", ["by_group.sdp_cat1", "not in"]),
    (f"{P}.weekdays=[5]", ["weekdays[0]", "0 (Monday) to 4 (Friday)"]),
    (f"{P}.groups=[adpp]", ["unknown group 'adpp'"]),
    (f"{P}.seatz=3", ["did you mean 'seats'"]),
])
def test_a_bad_value_is_a_one_line_config_error(override, fragments):
    with pytest.raises(ConfigError) as exc:
        compose(["scenario=cph_group_booking", override])
    message = str(exc.value)
    assert "\n" not in message
    for f in fragments:
        assert f in message, message


@pytest.mark.parametrize("override, fragments", [
    (f"{P}.team_size=9", ["team_size' = 9", "pool 'adp'", "8 caseworkers", "1 to 8"]),
    (f"{P}.by_group.kth_job_ready.team_size=17", ["by_group.kth_job_ready.team_size",
                                                   "pool 'cash_benefit'"]),
    (f"{P}.window_minutes=400", ["window_minutes' = 400", "daily appointment time"]),
    (f"{P}.plan_ahead_days=5", ["plan_ahead_days' = 5", "booking lead time"]),
])
def test_a_session_the_jobcenter_cannot_staff_is_a_one_line_config_error(override, fragments):
    cfg, _ = compose(["scenario=cph_group_booking", *RUN, override])
    with pytest.raises(ConfigError) as exc:
        Model(cfg)
    message = str(exc.value)
    assert "\n" not in message
    for f in fragments:
        assert f in message, message
