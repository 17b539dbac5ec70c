"""A 3-week group course instead of one-to-one talks for long sickness cases (VIVE20).

Jobcenters with successful sickness trajectories put citizens not expected back within 8 weeks
on a group course of about 12 people, 3 sessions of 3 hours a week for 3 weeks, instead of
one-to-one follow-up talks (VIVE20 ch. 6). Here the course is a batch-service resource of the
group's caseworker pool:

* **Enrolment.** The first talk of a spell (visitation, the one-to-one assessment) stays. When it
  has been held (or counted missed), a citizen of ``groups`` joins the pool's waiting list instead
  of having the next talk booked. Spells already past their first talk at t0 keep one-to-one
  talks. A citizen who would reach the rulebook's spell limit (22 weeks, then job clarification)
  before the course could end (``max_wait_days`` + ``weeks`` weeks from enrolment) is not
  placed: the next talk is booked as usual (counted).
* **The batch.** A course starts on the next workday once the list holds ``group_size``
  citizens, or on the last workday on or before the day its first citizen will have waited
  ``max_wait_days``, whichever comes first. Its sessions fall on workdays, ``sessions_per_week``
  in each block of 5 workdays from the start (3: Monday, Wednesday and Friday for a Monday start),
  at 9:00, for ``weeks`` blocks.
* **Teachers.** Each session takes ``teachers`` caseworkers of the pool for ``session_hours``
  plus ``preparation_minutes``, reserved in their appointment books when the course is
  scheduled: members with room first (most free appointment minutes first), then members whose
  extra talks that day give way (elastic work, not held; :mod:`sim.domain.extra_talks`),
  otherwise the members with most free time whose one-to-one talks booked that day are moved to
  other days to make room
  (their reserved time given back and rebooked by their group's booking policy with the rebooking
  lead time; a rebooking, so no booking work; counted ``talks_moved``). Only talks that hold time
  of their own in the member's book are moved (not a seat in a group-booking session, whose
  window holds the time). The course is a fixed appointment and talks give way to it. On the
  day, the minutes are added to the teachers' appointment time used and recorded as
  ``group_course_session`` (direct contact) and ``group_course_preparation`` (indirect
  casework). A teacher off sick that day is covered by a colleague present with room, or the
  session is held with fewer teachers; with no teacher at all it is cancelled (all counted).
* **Leaving.** Citizens whose spell ends (exit, or transfer to job clarification at 22 weeks)
  drop out, noticed at the next session; a course whose participants have all left stops and its
  remaining reserved teacher time is given back. After the last session the completers' one-to-
  one talks resume: ``c.last_talk_day`` is set to the course's last day and the group's own
  ``next_talk`` books the next talk with the rulebook's cadence.

While a citizen waits or attends no one-to-one talk is booked: the course replaces the mandated
talks of that time (an assumption). Sessions after the end of the run are not reserved.

Seam: the contact plan of a group (``GroupServices.next_talk``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.extra_talks import push_out
from ..domain.staff import DESK_CLOSES, is_workday
from ..engine.metrics import NOT_APPLICABLE
from ..engine.simpy_shortcuts import NORMAL, event_at
from ..schema import ConfigError, nonneg, positive
from .common import check_groups

NAME = "group_course"
SEAM = "contact plan"

SESSION_AT = 9.0 / 24.0
"""Time of day of a session (9:00): after the daily round of talks, before the pool's working
day is accounted when desk hours end (16:00)."""
SESSION = "group_course_session"
PREPARATION = "group_course_preparation"
ACTIVITIES = {SESSION: "direct_contact", PREPARATION: "indirect_casework"}
WORKDAYS_PER_BLOCK = 5
_TOL = 1e-9
"""Minutes of rounding tolerated when checking whether moving talks could make room."""

COUNTERS = (
    "enrolled", "not_placed_spell_limit", "waiting_drop_outs",
    "courses_started", "courses_started_full", "courses_started_by_date",
    "participants", "participants_max", "waiting_days", "waiting_days_max",
    "sessions_planned", "sessions_held", "sessions_cancelled_no_teacher", "attendances",
    "teacher_minutes_reserved", "teacher_minutes_used", "teacher_minutes_released",
    "teachers_not_found", "teacher_slots_unfilled", "teacher_covers",
    "teacher_absences_uncovered", "talks_moved",
    "drop_outs", "completions", "courses_completed", "courses_stopped",
    "waiting_at_end", "on_course_at_end",
)
"""The mechanism's counters (``Counters.mechanisms["group_course"]``), over the measured period:
citizens enrolled on a waiting list, not placed (the spell limit would come first) and leaving
the list before a course; courses started (when full, by date), their participants at the start
(sum, largest), days from enrolment to course start (sum, longest); sessions planned (within the
run), held and cancelled for want of any teacher, participant attendances; teacher minutes
reserved (covers included), used and given back (absence, stopped courses); teacher places not
filled when a course was scheduled, places of held sessions without a teacher, covers for an
absent teacher and absences not covered; one-to-one talks moved to make room; drop-outs,
completions, courses completed and stopped; at the end, citizens waiting and on a course."""


@dataclass
class Config:
    """``groups``: the benefit groups whose citizens go on the course after their first talk;
    ``group_size``: participants of a full course (VIVE20: about 12); ``max_wait_days``: the
    longest wait from enrolment to the course's start (assumption); ``weeks``,
    ``sessions_per_week``, ``session_hours``: the course (VIVE20: 3 weeks, 3 sessions of 3
    hours); ``preparation_minutes``: each teacher's preparation per session (assumption);
    ``teachers``: caseworkers teaching each session (assumption)."""

    groups: list[str] = field(default_factory=list)
    group_size: int = positive(12)
    max_wait_days: int = positive(14)
    weeks: int = positive(3)
    sessions_per_week: int = positive(3)
    session_hours: float = positive(3.0)
    preparation_minutes: float = nonneg(30.0)
    teachers: int = positive(2)

    def teacher_minutes(self) -> float:
        """Each teacher's minutes per session: the session and its preparation."""
        return self.session_hours * 60.0 + self.preparation_minutes

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if self.sessions_per_week > WORKDAYS_PER_BLOCK:
            raise ConfigError(f"'{path}.sessions_per_week' = {self.sessions_per_week} must be at "
                              f"most {WORKDAYS_PER_BLOCK} (one session a workday)")
        if self.max_wait_days < 3:
            raise ConfigError(f"'{path}.max_wait_days' = {self.max_wait_days} must be at least 3, "
                              "so that a workday always lies within the wait")
        if SESSION_AT + self.session_hours / 24.0 > DESK_CLOSES:
            raise ConfigError(f"'{path}.session_hours' = {self.session_hours:g} must be at most "
                              f"{(DESK_CLOSES - SESSION_AT) * 24:g} (sessions run from 9:00 to "
                              "16:00 at the latest)")


# --------------------------------------------------------------------------- workdays
def next_workday(day: int) -> int:
    """The first workday after ``day``."""
    day += 1
    while not is_workday(day):
        day += 1
    return day


def last_workday(day: int) -> int:
    """The last workday on or before ``day``."""
    while not is_workday(day):
        day -= 1
    return day


def session_offsets(per_week: int) -> list[int]:
    """Workday offsets of a block's sessions within its 5 workdays, spread evenly with the first
    and the last workday used (3: 0, 2, 4; 2: 0, 4; 1: 0)."""
    if per_week == 1:
        return [0]
    last = WORKDAYS_PER_BLOCK - 1
    return [round(i * last / (per_week - 1)) for i in range(per_week)]


# --------------------------------------------------------------------------- records
class Participant:
    """A citizen on a waiting list or course: the spell enrolled in and the days that matter."""

    __slots__ = ("citizen", "id", "spell", "group", "enrolled", "last_attended")

    def __init__(self, c, day: int):
        self.citizen = c                   # None after the run (see GroupCourses._at_finish)
        self.id = c.id
        self.spell = c.spell_no
        self.group = c.group
        self.enrolled = day
        self.last_attended: int | None = None

    @property
    def left(self) -> bool:
        """The spell enrolled in has ended."""
        return self.citizen.spell_no != self.spell


class Course:
    """One course: its start, session days, teachers and participants, as it went.

    ``teachers[k]`` are the members reserved for session ``k`` (None: beyond the run),
    ``taught[k]`` those who taught it (None: not held), ``attended[k]`` the ids of the citizens
    present; ``cancelled`` the sessions without any teacher; ``completers`` the participants
    still in their spell after the last session (None until then)."""

    __slots__ = ("label", "trigger", "scheduled", "start", "days", "participants", "active",
                 "teachers", "taught", "attended", "cancelled", "stopped", "completers")

    def __init__(self, label: str, trigger: str, scheduled: float, days: list[int],
                 participants: list[Participant]):
        self.label = label
        self.trigger = trigger             # "full" or "date"
        self.scheduled = scheduled
        self.start = days[0]
        self.days = days
        self.participants = participants
        self.active = list(participants)   # not yet known to have left
        self.teachers: list[list[int] | None] = []
        self.taught: list[list[int] | None] = [None] * len(days)
        self.attended: list[list[int] | None] = [None] * len(days)
        self.cancelled: list[int] = []
        self.stopped = False
        self.completers: list[Participant] | None = None

    @property
    def completed(self) -> bool:
        return self.completers is not None

    @property
    def first_enrolled(self) -> int:
        return min(p.enrolled for p in self.participants)


# --------------------------------------------------------------------------- the courses
class GroupCourses:
    """The waiting list and courses of one caseworker pool (shared by its targeted groups)."""

    def __init__(self, config: Config, model, pool):
        self.env = model.env
        self.pool = pool
        self.round = model.daily_round
        self.horizon = model.horizon
        self.log = model.log
        self.counters = model.counters
        self.n = model.counters.mechanism(NAME, ACTIVITIES)
        for key in COUNTERS:
            self.n.setdefault(key, 0)
        self.size = config.group_size
        self.max_wait = config.max_wait_days
        self.teachers = config.teachers
        self.session_minutes = config.session_hours * 60.0
        self.preparation = config.preparation_minutes
        self.need = config.teacher_minutes()                      # per teacher and session
        self.offsets = session_offsets(config.sessions_per_week)
        self.weeks = config.weeks
        self.rebooking_lead = model.cfg.model.talks.rebooking_lead_days
        self.plans: dict[str, CourseEnrolment] = {}   # group -> its wrapped contact plan
        self.waiting: list[Participant] = []
        self.courses: list[Course] = []
        model.at_finish.append(self._at_finish)

    # ------------------------------------------------------------------ waiting list
    def enrol(self, c, now: float) -> None:
        """Citizen ``c`` joins the waiting list now (after the first talk of the spell)."""
        day = int(now)
        n = self.n
        self.waiting.append(Participant(c, day))
        n["enrolled"] += 1
        self._purge_waiting()
        if len(self.waiting) >= self.size:
            self._start(self.size, next_workday(day), "full", now)
        else:
            latest = last_workday(day + self.max_wait)
            event_at(self.env, latest - now, NORMAL).callbacks.append(self._date_due)

    def _purge_waiting(self) -> None:
        left = [p for p in self.waiting if p.left]
        if left:
            self.n["waiting_drop_outs"] += len(left)
            self.waiting = [p for p in self.waiting if not p.left]

    def _date_due(self, _event) -> None:
        """The day some citizen enrolled for has come: start a course if the citizen who has
        waited longest has now waited ``max_wait_days`` (the workday before, over a weekend)."""
        self._purge_waiting()
        if not self.waiting:
            return
        now = self.env.now
        today = int(now)
        if last_workday(self.waiting[0].enrolled + self.max_wait) <= today:
            self._start(self.size, today, "date", now)

    # ------------------------------------------------------------------ scheduling
    def _session_days(self, start: int) -> list[int]:
        workdays = [start]
        while len(workdays) < WORKDAYS_PER_BLOCK * self.weeks:
            workdays.append(next_workday(workdays[-1]))
        return [workdays[WORKDAYS_PER_BLOCK * w + off]
                for w in range(self.weeks) for off in self.offsets]

    def _start(self, how_many: int, start: int, trigger: str, now: float) -> None:
        """Schedule a course for the first ``how_many`` on the list, starting on ``start``:
        reserve every session's teachers and set the session events."""
        group, self.waiting = self.waiting[:how_many], self.waiting[how_many:]
        n = self.n
        course = Course(f"{NAME}:{self.pool.name}:{len(self.courses)}", trigger, now,
                        self._session_days(start), group)
        self.courses.append(course)
        today = int(now)
        moved: list = []
        env = self.env
        for k, d in enumerate(course.days):
            if d >= self.horizon:
                course.teachers.append(None)         # after the run: nothing to reserve
                continue
            chosen = self._reserve(d, today, moved)
            course.teachers.append(chosen)
            n["sessions_planned"] += 1
            n["teacher_minutes_reserved"] += self.need * len(chosen)
            n["teachers_not_found"] += self.teachers - len(chosen)
            event_at(env, d + SESSION_AT - now, NORMAL).callbacks.append(
                lambda _e, course=course, k=k: self._session(course, k))
        lead = self.rebooking_lead
        for b in moved:              # the talks that gave way, booked anew (a rebooking: no
            c = b.citizen            # booking work)
            c.services.booking_policy.reserve(c, b, lead, now)
        n["talks_moved"] += len(moved)
        n["courses_started"] += 1
        n["courses_started_" + ("full" if trigger == "full" else "by_date")] += 1
        n["participants"] += len(group)
        if len(group) > n["participants_max"]:
            n["participants_max"] = len(group)
        log = self.log
        for p in group:
            wait = start - p.enrolled
            n["waiting_days"] += wait
            if wait > n["waiting_days_max"]:
                n["waiting_days_max"] = wait
            log.add(p.citizen.id, p.group, "group_course_wait", p.enrolled, start, course.label,
                    0.0, NOT_APPLICABLE)

    def _reserve(self, d: int, today: int, moved: list) -> list[int]:
        """Reserve a session's teacher minutes on day ``d``: up to ``teachers`` members who could
        be present (on ``today``: who are), those with room first, most free appointment time
        first; then members whose extra talks that day give way; then members whose mandated
        talks that day are moved (into ``moved``) to make room."""
        pool, need = self.pool, self.need
        chosen = pool.members_with_room(d, need, today)[:self.teachers]
        if len(chosen) < self.teachers:
            # extra talks (elastic) give way first, then mandated talks are moved
            for m in self._could_teach(d, today):
                if len(chosen) == self.teachers:
                    break
                if m not in chosen and push_out(pool, d, m, need, self.counters):
                    chosen.append(m)
        if len(chosen) < self.teachers:
            row = pool.appt[d]
            present = pool.present[d]
            if d <= today:
                can = [m for m in range(pool.n) if present[m]]
            else:                                    # sickness is not known ahead
                sick = pool.sick[d]
                can = [m for m in range(pool.n) if present[m] or sick[m]]
            can.sort(key=lambda m: -row[m])          # stable: the first of equals first
            booked = self._bookings_on(d)
            for m in can:
                if len(chosen) == self.teachers:
                    break
                if m not in chosen and self._make_room(d, m, booked.get(m, []), moved):
                    chosen.append(m)
        for m in chosen:
            pool.take(d, m, need)
        return chosen

    def _could_teach(self, d: int, today: int) -> list[int]:
        """Members who could be present on day ``d`` (on ``today``: who are), most free
        appointment time first."""
        pool = self.pool
        row, present = pool.appt[d], pool.present[d]
        if d <= today:
            can = [m for m in range(pool.n) if present[m]]
        else:                                        # sickness is not known ahead
            sick = pool.sick[d]
            can = [m for m in range(pool.n) if present[m] or sick[m]]
        can.sort(key=lambda m: -row[m])
        return can

    def _bookings_on(self, d: int) -> dict[int, list]:
        """The pool's talks still standing on day ``d`` that hold time of their own in a
        member's book (the booking policy's ``holds_time``), by member, in booking order."""
        out: dict[int, list] = {}
        pool, seen = self.pool, set()
        for b in self.round.standing(d):
            c = b.citizen
            if c.pool is pool and b.member is not None and id(b) not in seen \
                    and c.services.booking_policy.holds_time(b):
                seen.add(id(b))
                out.setdefault(b.member, []).append(b)
        return out

    def _make_room(self, d: int, m: int, bookings: list, moved: list) -> bool:
        """Give back member ``m``'s talks on day ``d`` (by their booking policy's ``cancel``), the
        latest booked first, until a session fits (the talks go into ``moved``, to be reserved
        again); False, with nothing given back, if even all of them could not make room."""
        pool, need = self.pool, self.need
        free = pool.appt[d][m] + sum(b.minutes for b in bookings)
        full = pool.appt_full[m]
        if need <= full:
            possible = free >= need - _TOL
        else:                                        # the whole day's appointments and desk time
            possible = free >= full - _TOL and pool.desk[d][m] >= need - full
        if not possible:
            return False
        while bookings and not pool.has_room(d, m, need):
            b = bookings.pop()
            c = b.citizen
            c.services.booking_policy.cancel(c, b)
            moved.append(b)
        return pool.has_room(d, m, need)

    # ------------------------------------------------------------------ sessions
    def _session(self, course: Course, k: int) -> None:
        """Session ``k``'s day has come (9:00): drop-outs, teachers, attendance; after the last,
        the completers' one-to-one talks resume."""
        if course.stopped:
            return
        day = course.days[k]
        n, pool, need = self.n, self.pool, self.need
        self._drop_outs(course)
        if not course.active:
            self._stop(course, k)
            return
        sick = pool.sick[day]
        reserved = course.teachers[k]
        teaching: list[int] = []
        for m in reserved:
            if not sick[m]:
                teaching.append(m)
                continue
            pool.release(day, m, need)
            n["teacher_minutes_released"] += need
            cover = self._cover(day, set(reserved) | set(teaching))
            if cover is None:
                n["teacher_absences_uncovered"] += 1
                continue
            pool.take(day, cover, need)
            n["teacher_minutes_reserved"] += need
            n["teacher_covers"] += 1
            teaching.append(cover)
        if teaching:
            n["sessions_held"] += 1
            n["teacher_slots_unfilled"] += self.teachers - len(teaching)
            n["attendances"] += len(course.active)
            n["teacher_minutes_used"] += need * len(teaching)
            talk_used, st, log, labels = pool.talk_used, pool.staff_type, self.log, pool.labels
            start = day + SESSION_AT
            end = start + self.session_minutes / 1440.0
            for m in teaching:
                talk_used[m] += need
                log.add(-1, "", SESSION, start, end, labels[m], need, NOT_APPLICABLE)
            work = self.counters.work
            work(st, SESSION, self.session_minutes * len(teaching))
            if self.preparation:
                work(st, PREPARATION, self.preparation * len(teaching))
            for p in course.active:
                p.last_attended = day
                for effect in p.citizen.services.effects.session_attended:
                    effect(p.citizen, day)
            course.taught[k] = teaching
            course.attended[k] = [p.citizen.id for p in course.active]
        else:
            n["sessions_cancelled_no_teacher"] += 1
            course.cancelled.append(k)
        if k == len(course.days) - 1:
            self._complete(course, day)

    def _cover(self, day: int, exclude: set) -> int | None:
        """A colleague present today with room for the session (most free minutes first)."""
        found = self.pool.members_with_room(day, self.need, day, exclude)
        return found[0] if found else None

    def _drop_outs(self, course: Course) -> None:
        left = [p for p in course.active if p.left]
        if not left:
            return
        self.n["drop_outs"] += len(left)
        course.active = [p for p in course.active if not p.left]
        for p in left:
            self.log.add(p.citizen.id, p.group, NAME, course.start,
                         p.last_attended if p.last_attended is not None else course.start,
                         course.label, 0.0, NOT_APPLICABLE)

    def _stop(self, course: Course, k: int) -> None:
        """Every participant has left: give back the teacher time of session ``k`` on."""
        course.stopped = True
        self.n["courses_stopped"] += 1
        pool, need = self.pool, self.need
        for j in range(k, len(course.days)):
            members = course.teachers[j]
            if members:
                for m in members:
                    pool.release(course.days[j], m, need)
                self.n["teacher_minutes_released"] += need * len(members)

    def _complete(self, course: Course, day: int) -> None:
        """The last session's day: the completers go back to one-to-one talks, the next one due
        a cadence interval after the course's last day."""
        course.completers = course.active
        n = self.n
        n["courses_completed"] += 1
        n["completions"] += len(course.active)
        now = self.env.now
        for p in course.active:
            c = p.citizen
            self.log.add(c.id, p.group, NAME, course.start, day, course.label, 0.0,
                         NOT_APPLICABLE)
            c.last_talk_day = day
            self.plans[c.group].inner(c, now)       # the group's own contact plan
        course.active = []

    def _at_finish(self) -> None:
        """The end of the run: count who is still waiting or on a course; then let go of the
        citizens (a finished model holds no reference cycles, see ``Model._let_go``)."""
        self.n["waiting_at_end"] += sum(not p.left for p in self.waiting)
        self.n["on_course_at_end"] += sum(not p.left for course in self.courses
                                          if not course.completed and not course.stopped
                                          for p in course.active)
        for p in self.waiting:
            p.citizen = None
        for course in self.courses:
            for p in course.participants:
                p.citizen = None
        self.plans.clear()


class CourseEnrolment:
    """The contact plan of a targeted group: after the first talk of a spell the citizen goes
    on the pool's waiting list instead of having the next one-to-one talk booked."""

    __slots__ = ("inner", "courses", "first_pending", "limit", "window", "n")

    def __init__(self, inner, courses: GroupCourses, limit_days: int | None, window: int):
        self.inner = inner
        self.courses = courses
        self.first_pending: dict[int, int] = {}   # citizen id -> spell awaiting its first talk
        self.limit = limit_days
        self.window = window
        self.n = courses.n

    def next_talk(self, c, now: float, lead: int | None = None) -> None:
        """Book ``c``'s next contact: the one-to-one talk, or, right after the spell's first
        talk, a place on the waiting list."""
        if c.last_talk_day is None:                       # the first talk is to come
            self.first_pending[c.id] = c.spell_no
        elif self.first_pending.pop(c.id, -1) == c.spell_no:
            if self.limit is not None and now - c.spell_start + self.window > self.limit:
                self.n["not_placed_spell_limit"] += 1
            else:
                self.courses.enrol(c, now)
                return
        self.inner(c, now, lead)


def install(config: Config, model) -> None:
    """Wrap the contact plan of every group in ``config.groups`` that the jobcenter has; one
    waiting list and set of courses per caseworker pool."""
    by_pool: dict[str, GroupCourses] = {}
    window = config.max_wait_days + 7 * config.weeks
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        pool = sv.pool
        if pool.n < config.teachers:
            raise ConfigError(f"'mechanisms.{NAME}.teachers' = {config.teachers} but pool "
                              f"'{pool.name}' (group {g}) has {pool.n} caseworkers")
        need = config.teacher_minutes()
        if need > pool.longest_talk:
            raise ConfigError(f"'mechanisms.{NAME}': a session with preparation takes {need:g} "
                              f"minutes, more than a caseworker's bookable day in pool "
                              f"'{pool.name}' ({pool.longest_talk:.0f} minutes)")
        courses = by_pool.get(pool.name)
        if courses is None:
            courses = by_pool[pool.name] = GroupCourses(config, model, pool)
        limit = model.cfg.rules.groups[g].duration_limit
        plan = courses.plans[g] = CourseEnrolment(sv.next_talk, courses,
                                                  limit.days if limit else None, window)
        sv.next_talk = plan.next_talk
