"""The group course for long sickness cases (scenario vive_sdp_group_course, VIVE20).

After the first one-to-one talk of a spell, sickness citizens of categories 2 and 3 wait for a
3-week group course instead of further talks; a course starts when 12 wait or when the first of
them has waited 14 days; two caseworkers of the sickness pool teach each session; citizens who
leave benefit drop out; one-to-one talks resume after the course.
"""
from __future__ import annotations

import pytest

from sim.config import BASELINE_STAFF_TYPES
from sim.configure import compose
from sim.domain.staff import is_workday
from sim.mechanisms.group_course import last_workday
from sim.model import Model, run
from sim.schema import ConfigError

SCENARIO = "scenario=vive_sdp_group_course"
SMALL = ["jobcenter=small", "warmup_days=0", "progress=false"]
TARGET = ("sdp_cat2", "sdp_cat3")
SICKNESS = ("sdp_cat1", "sdp_cat2", "sdp_cat3")
HORIZON = 200


class Watched:
    """A finished model with its courses, and what a daily probe saw while it ran."""

    def __init__(self, *overrides: str, horizon: int = HORIZON):
        cfg, _ = compose([*SMALL, f"horizon_days={horizon}", *overrides])
        self.cfg = cfg
        self.settings = cfg.mechanisms.get("group_course")
        self.model = m = Model(cfg, 0)
        self.courses = m.services["sdp_cat2"].next_talk.__self__.courses if self.settings \
            else None
        self.booked_while_on_course = 0       # waiting or attending citizens with a talk booked
        self.on_course_seen = 0
        self.not_resumed = 0                  # completers in the same spell with no talk ahead
        self.completers_seen = 0
        if self.courses is not None:
            m.env.process(self._probe())
        m.run()
        self.counters = m.counters
        self.n = m.counters.mechanisms.get("group_course")
        self.rows = list(zip(*m.log.columns().values())) if cfg.event_log else []

    def _probe(self):
        env, org = self.model.env, self.courses
        yield env.timeout(0.5)                      # noon: after the round, the sessions at 9:00
        while env.now < self.model.horizon - 1:
            waiting = [p for p in org.waiting if not p.left]
            active = [p for course in org.courses if not course.completed and not course.stopped
                      for p in course.active if not p.left]
            self.on_course_seen += len(waiting) + len(active)
            self.booked_while_on_course += sum(p.citizen.talk is not None
                                               for p in waiting + active)
            for course in org.courses:
                for p in course.completers or ():
                    c = p.citizen
                    if p.left:
                        continue
                    self.completers_seen += 1
                    if c.talk is None and not c.last_talk_day > course.days[-1]:
                        self.not_resumed += 1
            yield env.timeout(1.0)


@pytest.fixture(scope="module")
def course_run():
    return Watched(SCENARIO)


@pytest.fixture(scope="module")
def baseline_run():
    return Watched("scenario=baseline")


@pytest.fixture(scope="module")
def date_run():
    """Courses too large to fill: every course starts by date."""
    return Watched(SCENARIO, "mechanisms.group_course.group_size=40", horizon=150)


@pytest.fixture(scope="module")
def pairs_run():
    """Courses of two: many of them lose all their participants and stop."""
    return Watched(SCENARIO, "mechanisms.group_course.group_size=2", "event_log=false",
                   horizon=150)


# --------------------------------------------------------------------------- the scenario
def test_the_scenario_runs_by_name_and_holds_courses():
    cfg, description = compose([SCENARIO, *SMALL, "horizon_days=120", "event_log=false"])
    assert "group course" in description["title"].lower()
    assert cfg.mechanisms["group_course"].groups == list(TARGET)
    result = run(cfg)
    n = result.counters.mechanisms["group_course"]
    assert n["courses_started"] > 5 and n["sessions_held"] > 30
    assert result.counters.activity_minutes[("caseworker", "group_course_session")] > 0
    assert result.counters.category["group_course_session"] == "direct_contact"
    assert result.counters.category["group_course_preparation"] == "indirect_casework"


# --------------------------------------------------------------------------- the batch
def test_no_course_has_more_than_group_size_participants(course_run, date_run):
    for r in (course_run, date_run):
        size = r.settings.group_size
        assert r.courses.courses
        assert all(1 <= len(course.participants) <= size for course in r.courses.courses)
        assert r.n["participants_max"] <= size
    # with 12 per course and about 1.5 enrolments a workday, courses fill
    assert course_run.n["participants_max"] == course_run.settings.group_size


def test_every_course_starts_when_full_or_when_its_first_citizen_has_waited_max_wait_days(
        course_run, date_run):
    for r in (course_run, date_run):
        wait = r.settings.max_wait_days
        for course in r.courses.courses:
            first = course.first_enrolled
            assert is_workday(course.start)
            assert course.start - first <= wait                      # never later
            if course.trigger == "full":
                assert len(course.participants) == r.settings.group_size
                assert course.start > course.scheduled               # from the next workday
                assert course.start - course.scheduled <= 3
            else:                                                    # the date came first
                assert course.start == last_workday(first + wait)
                assert len(course.participants) < r.settings.group_size
        assert r.n["waiting_days_max"] <= wait
    assert course_run.n["courses_started_full"] > 0
    assert date_run.n["courses_started_by_date"] == date_run.n["courses_started"] > 0


def test_waiting_days_are_the_days_from_enrolment_to_course_start(course_run):
    courses = course_run.courses.courses
    assert course_run.n["waiting_days"] == sum(course.start - p.enrolled for course in courses
                                               for p in course.participants)
    waits = [r for r in course_run.rows if r[2] == "group_course_wait"]
    assert len(waits) == course_run.n["participants"] == sum(len(c.participants)
                                                             for c in courses)


def test_a_course_has_weeks_times_sessions_per_week_sessions_on_workdays(course_run):
    s = course_run.settings
    per_course = s.weeks * s.sessions_per_week
    completed = [c for c in course_run.courses.courses if c.completed]
    assert len(completed) > 10
    for course in course_run.courses.courses:
        days = course.days
        assert len(days) == per_course
        assert all(is_workday(d) for d in days) and days == sorted(set(days))
        assert days[-1] - days[0] < 7 * s.weeks                        # within 3 weeks
        for w in range(s.weeks):                   # 3 sessions in each week from the start
            assert sum(days[0] + 7 * w <= d < days[0] + 7 * (w + 1) for d in days) == \
                s.sessions_per_week
    for course in completed:
        held = sum(t is not None for t in course.taught)
        assert held + len(course.cancelled) == per_course


# --------------------------------------------------------------------------- teachers
def test_teacher_minutes_are_sessions_times_teachers_times_session_and_preparation(course_run):
    n, s = course_run.n, course_run.settings
    need = s.session_hours * 60 + s.preparation_minutes
    taught = n["sessions_held"] * s.teachers - n["teacher_slots_unfilled"]
    courses = course_run.courses.courses
    assert n["teacher_slots_unfilled"] == sum(s.teachers - len(t) for c in courses
                                              for t in c.taught if t is not None)
    assert taught > 0 and n["teacher_slots_unfilled"] < 0.1 * n["sessions_held"] * s.teachers
    assert n["teacher_minutes_used"] == pytest.approx(need * taught)
    a = course_run.counters.activity_minutes
    assert a[("caseworker", "group_course_session")] == pytest.approx(s.session_hours * 60 * taught)
    assert a[("caseworker", "group_course_preparation")] == pytest.approx(
        s.preparation_minutes * taught)
    sessions = [r for r in course_run.rows if r[2] == "group_course_session"]
    assert len(sessions) == taught
    assert all(r[5].startswith("sickness:") and r[6] == need for r in sessions)
    # every session is done during the working day, before desk hours end at 16:00
    assert all(0.375 <= r[3] % 1 and r[4] % 1 <= 16 / 24 for r in sessions)


def test_reserved_teacher_time_is_used_or_given_back(course_run, pairs_run):
    for r in (course_run, pairs_run):
        n = r.n
        assert n["teacher_minutes_reserved"] == pytest.approx(
            n["teacher_minutes_used"] + n["teacher_minutes_released"])
        # a place lost to absence is released; a cover is reserved anew
        assert n["teacher_absences_uncovered"] + n["teacher_covers"] > 0


def test_one_to_one_talks_give_way_to_the_sessions(course_run):
    # the sickness caseworkers' books are nearly full weeks ahead: a session takes a whole
    # appointment day, so the teachers' talks that day are moved
    n = course_run.n
    assert n["talks_moved"] > 0
    assert n["teachers_not_found"] < 0.05 * n["sessions_planned"] * course_run.settings.teachers


# --------------------------------------------------------------------------- participants
def _spell_end(rows):
    """citizen -> sorted list of (start, end) of their ended spells, from the log."""
    spells: dict[int, list] = {}
    for r in rows:
        if r[2] == "spell":
            spells.setdefault(r[0], []).append((r[3], r[4]))
    return spells


def test_a_citizen_whose_spell_ends_during_the_course_is_not_counted_at_later_sessions(
        course_run):
    spells = _spell_end(course_run.rows)
    checked = 0
    for course in course_run.courses.courses:
        for p in course.participants:
            # the end of the spell enrolled in (None: still on benefit at the end of the run)
            ends = [e for s, e in spells.get(p.id, ()) if s <= p.enrolled <= e]
            end = ends[0] if ends else None
            for k, present in enumerate(course.attended):
                if present is None or p.id not in present:
                    continue
                assert end is None or course.days[k] <= end
            if end is not None and course.start <= end < course.days[-1]:
                checked += 1
                later = [k for k, d in enumerate(course.days) if d > end
                         and course.attended[k] is not None]
                assert all(p.id not in course.attended[k] for k in later)
    assert checked > 5
    n = course_run.n
    assert n["drop_outs"] > 0
    assert n["completions"] + n["drop_outs"] + n["on_course_at_end"] <= n["participants"]


def test_attendances_are_the_citizens_present_at_held_sessions(course_run):
    attended = sum(len(a) for c in course_run.courses.courses for a in c.attended if a)
    assert course_run.n["attendances"] == attended > 0
    for course in course_run.courses.courses:
        counts = [len(a) for a in course.attended if a is not None]
        assert counts == sorted(counts, reverse=True)        # drop-outs never come back


def test_a_course_whose_participants_all_left_stops_and_gives_its_time_back(pairs_run):
    n = pairs_run.n
    stopped = [c for c in pairs_run.courses.courses if c.stopped]
    assert stopped and n["courses_stopped"] == len(stopped)
    for course in stopped:
        assert not course.active and not course.completed
        k = next(i for i, a in enumerate(course.attended) if a is None and i not in
                 course.cancelled)
        assert all(a is None for a in course.attended[k:])   # no session after the stop
    assert n["teacher_minutes_released"] > 0


def test_no_one_to_one_talk_is_booked_while_waiting_or_on_the_course(course_run):
    assert course_run.on_course_seen > 1000
    assert course_run.booked_while_on_course == 0


def test_one_to_one_talks_resume_after_the_course(course_run):
    assert course_run.completers_seen > 100
    assert course_run.not_resumed == 0
    # in the log: the completers' next talk comes after the course's last day, none before
    talks: dict[int, list[float]] = {}
    for r in course_run.rows:
        if r[2] == "talk":
            talks.setdefault(r[0], []).append(r[3] // 1)      # the day held, not its time
    resumed = 0
    for course in course_run.courses.courses:
        for p in course.completers or ():
            held = talks.get(p.id, [])
            assert not [d for d in held if p.enrolled < d <= course.days[-1]]
            resumed += any(d > course.days[-1] for d in held)
    assert resumed > 50


def test_the_course_replaces_talks_of_the_target_groups(course_run, baseline_run):
    for g in TARGET:
        assert course_run.counters.groups[g].talks_held < baseline_run.counters.groups[g].talks_held


# --------------------------------------------------------------------------- the rest unchanged
# Sickness offers by practice that are company-based queue forms for the company consultants,
# whom every group shares: the course moves sickness offers, and with them the consultants'
# queue and other groups' offers. Without company-based sickness offers the sickness pool's
# time is all the course changes.
NO_SICKNESS_COMPANY_OFFERS = [f"model.groups.{g}.offer.company_based_share=0" for g in SICKNESS]


@pytest.fixture(scope="module")
def course_run_own_pool():
    # capacity only (effects=none): with effects on, sickness spells the course changes move
    # into job clarification at the 22-week limit, in the rehabilitation pool
    return Watched(SCENARIO, "event_log=false", "effects=none", *NO_SICKNESS_COMPANY_OFFERS)


@pytest.fixture(scope="module")
def baseline_run_own_pool():
    return Watched("scenario=baseline", "event_log=false", "effects=none",
                   *NO_SICKNESS_COMPANY_OFFERS)


def test_groups_outside_the_sickness_pool_have_the_baselines_talks(course_run_own_pool,
                                                                    baseline_run_own_pool):
    # the course changes only the sickness pool's time; other pools' talks are exactly equal
    # with this seed (the rehabilitation-team slots and desk queues they share with sickness
    # cases could move a decision; none does here)
    course_run, baseline_run = course_run_own_pool, baseline_run_own_pool
    for g, gc in baseline_run.counters.groups.items():
        if g in SICKNESS:
            continue
        other = course_run.counters.groups[g]
        assert (other.talks_held, other.talks_on_time) == (gc.talks_held, gc.talks_on_time), g
    # category 1 is not targeted but shares the sickness caseworkers, whose talks give way to
    # the sessions: later (and so fewer) talks, never more
    cat1, base1 = course_run.counters.groups["sdp_cat1"], baseline_run.counters.groups["sdp_cat1"]
    assert cat1.talks_held <= base1.talks_held
    assert course_run.counters.groups["sdp_cat1"].inflow_new == base1.inflow_new


def test_a_citizen_who_cannot_be_placed_keeps_one_to_one_talks(baseline_run):
    # a wait of up to 150 days plus 3 weeks would run past the 22-week limit whenever the first
    # talk is held: nobody is placed, and every group's talks are the baseline's
    never = Watched(SCENARIO, "mechanisms.group_course.max_wait_days=150", "event_log=false")
    assert never.n["not_placed_spell_limit"] > 100
    assert never.n["enrolled"] == never.n["courses_started"] == 0
    for g, gc in baseline_run.counters.groups.items():
        assert never.counters.groups[g].talks_held == gc.talks_held, g


# --------------------------------------------------------------------------- time adds up
@pytest.mark.parametrize("staff_type", BASELINE_STAFF_TYPES)
def test_staff_time_still_adds_up(course_run, staff_type):
    c = course_run.counters

    def by_staff(mapping):
        return sum(v for (st, _), v in mapping.items() if st == staff_type)

    available = c.available_minutes[staff_type]
    spent = by_staff(c.activity_minutes) + by_staff(c.non_bookable_minutes) + \
        c.idle_minutes[staff_type]
    assert spent == pytest.approx(available, rel=1e-9)
    assert c.idle_minutes[staff_type] >= 0


def test_the_sickness_caseworkers_days_add_up(course_run):
    p = course_run.model.pools["sickness"]
    for day, (avail, worked, idle) in enumerate(zip(p.day_available, p.day_worked, p.day_idle)):
        assert idle >= 0, day
        assert worked <= avail * (1 - p.non_bookable_share) + 1e-6, day
        assert worked + idle + avail * p.non_bookable_share == pytest.approx(
            avail, rel=1e-9, abs=1e-6), day


# --------------------------------------------------------------------------- bad values
@pytest.mark.parametrize("override, words", [
    ("group_size=0", "group_size' = 0 must be greater than 0"),
    ("session_hours=-3", "session_hours' = -3.0 must be greater than 0"),
    ("preparation_minutes=-1", "preparation_minutes' = -1.0 must not be negative"),
    ("sessions_per_week=6", "at most 5"),
    ("session_hours=8", "16:00"),
    ("max_wait_days=2", "at least 3"),
    ("groups=[sdp_cat4]", "unknown group 'sdp_cat4'"),
    ("teacher=2", "did you mean 'teachers'"),
])
def test_a_bad_value_is_a_one_line_config_error(override, words):
    with pytest.raises(ConfigError) as err:
        compose([SCENARIO, f"mechanisms.group_course.{override}"])
    assert "\n" not in str(err.value)
    assert words in str(err.value)


@pytest.mark.parametrize("override, words", [
    ("teachers=10", "has 9 caseworkers"),
    ("session_hours=6", "more than a caseworker's bookable day"),
])
def test_a_course_the_pool_cannot_teach_is_a_one_line_config_error(override, words):
    cfg, _ = compose([SCENARIO, *SMALL, f"mechanisms.group_course.{override}"])
    with pytest.raises(ConfigError) as err:
        Model(cfg, 0)
    assert "\n" not in str(err.value)
    assert words in str(err.value)


# --------------------------------------------------------------------------- with group booking
@pytest.mark.parametrize("group", ["kth_job_ready", "kth_activity_ready"])
def test_group_course_and_group_booking_share_a_pool_and_its_time_adds_up(group):
    # kth_job_ready is group-booked in its first part; kth_activity_ready shares its pool: the
    # seats in group-booking sessions hold no time of their own in a caseworker's book, so only
    # individually booked talks give way to the sessions
    cfg, _ = compose([*SMALL, "scenario=cph_group_booking", "horizon_days=120",
                      "event_log=false", f"mechanisms.group_course.groups=[{group}]"])
    model = Model(cfg, 0)
    p = model.services[group].pool              # the cash-benefit pool, shared by both groups
    model.run()
    c = model.counters
    n = c.mechanisms["group_course"]
    assert n["sessions_held"] > 0 and n["talks_moved"] > 0
    assert c.mechanisms["group_booking"]["seats_booked"] > 0
    assert n["teacher_minutes_reserved"] == pytest.approx(
        n["teacher_minutes_used"] + n["teacher_minutes_released"])
    for staff_type in BASELINE_STAFF_TYPES:
        available = c.available_minutes[staff_type]
        spent = sum(v for (st, _), v in c.activity_minutes.items() if st == staff_type) + \
            sum(v for (st, _), v in c.non_bookable_minutes.items() if st == staff_type) + \
            c.idle_minutes[staff_type]
        assert spent == pytest.approx(available, rel=1e-9), staff_type
        assert c.idle_minutes[staff_type] >= 0, staff_type
    assert min(min(row) for row in p.appt) >= -1e-6       # no time given back twice or taken
    assert min(min(row) for row in p.desk) >= -1e-6       # beyond the books
    for day, (avail, worked, idle) in enumerate(zip(p.day_available, p.day_worked, p.day_idle)):
        assert idle >= 0, day
        assert worked + idle + avail * p.non_bookable_share == pytest.approx(
            avail, rel=1e-9, abs=1e-6), day
