"""Central booking: a booking team, or the citizen online, books the talks (QB14 proposal D2).

In the baseline case-support staff make ``case_support.booking_share`` of the bookings and the
caseworker who holds a talk makes the rest, calling the citizen in and rewriting the standard
invitation letter as desk work (``talks.booking_minutes`` + ``talks.letter_rewrite_minutes`` per
booking, :class:`sim.domain.booking.CaseworkerBooks`). Here the booking of a talk in the
configured groups goes

* to the citizen, online, for ``self_booking_share`` of the bookings (stream
  ``central_booking/self_booking/<group>``): no staff time, no letter;
* otherwise, for the bookings case support makes in the baseline, to case support as before;
* the caseworkers' share to a booking team of administrative clerks (staff type ``booking_clerk``, its own
  pool ``booking_team``, desk work only): each booking is a desk task of ``minutes_per_booking``
  queued first come, first served for the clerk present who would be free first, so the team has
  its own capacity, queue and waits. The invitation leaves when the task is done; one that leaves
  less than ``notice_days`` before the talk's day is a *late invitation* (counted, nothing else);
* or, with ``team: false`` (or ``members: 0``), to the caseworker as in the baseline.

Bookings of the initial stock at t0 (made before the run began, with no lead time) stay with the
caseworker when there is no team; with a team they were the team's work before the run and are
only counted. Rebookings after a no-show or a caseworker's absence take no booking work, as in the
baseline. Information meetings are not modelled. Seam: who books (``GroupServices.booker``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import GROUPS
from ..domain.staff import DeskTask
from ..engine.simpy_shortcuts import URGENT, event_at
from ..schema import ConfigError, nonneg, probability
from .common import check_groups

NAME = "central_booking"
SEAM = "who books"

STAFF_TYPE = "booking_clerk"
"""The team's staff type (``model.staff_types``: label, hour rate factor; its non-bookable hours
in ``model.working_time.non_bookable_hours``)."""
POOL = "booking_team"
ACTIVITY = "booking_team_booking"
"""The team's work: calling the citizen in and sending the standard invitation letter."""

COUNTERS = ("bookings", "self_booked", "case_support_bookings", "caseworker_bookings",
            "team_bookings", "booked_before_run",
            "invitations_sent", "late_invitations", "invitations_after_talk_day",
            "tasks_queued_at_end", "minutes_queued_at_end", "tasks_cancelled", "minutes_cancelled")
"""The mechanism's counters (``Counters.mechanisms["central_booking"]``): bookings in its groups
during the measured period, by who made them (the citizen online, the caseworker, the team), and
those of the initial stock made before the run; invitations the team sent, late ones (less than
``notice_days`` before the talk) and of those the ones sent on or after the talk's day; the team's
tasks and minutes still queued at the end and those dropped because the spell ended first. With a
team, ``team_members``, ``team_mean_wait_days`` and ``team_mean_queue_length`` (tasks waiting,
time-average) are added at the end."""


@dataclass
class Config:
    """``groups`` whose talks are booked centrally (default: all); ``team``: a booking team
    books what the citizens do not (false: the caseworker does); ``members``: the team's size
    (None: ``fte_per_100_caseworkers`` of the caseworkers serving those groups, rounded, at least
    1; 0: no team); ``minutes_per_booking``: a clerk's minutes per booking; ``notice_days``: days
    an invitation must leave before the talk; ``self_booking_share``: share of bookings the
    citizen makes online."""

    groups: list[str] = field(default_factory=lambda: list(GROUPS))
    team: bool = True
    members: int | None = nonneg(None)
    fte_per_100_caseworkers: float = nonneg(3.0)
    minutes_per_booking: float = nonneg(2.0)
    notice_days: float = nonneg(3.0)
    self_booking_share: float = probability(0.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")


def team_size(config: Config, caseworkers: int) -> int:
    """The booking team's members: ``members`` if given, else ``fte_per_100_caseworkers`` per
    100 caseworkers, rounded to whole persons, at least 1 (0 without a team)."""
    if not config.team:
        return 0
    if config.members is not None:
        return config.members
    return max(1, int(config.fte_per_100_caseworkers * caseworkers / 100.0 + 0.5))


class InvitationTask(DeskTask):
    """A booking waiting for the team: when it is done the invitation leaves."""

    __slots__ = ("booking", "person", "team")

    def __init__(self, c, b, minutes: float, now: float, team: "BookingTeam"):
        super().__init__(c.id, c.group, ACTIVITY, minutes, now, None)
        self.booking = b
        self.person = c
        self.team = team
        self.on_done = self.sent

    def sent(self, t: float) -> None:
        self.team.sent(self, t)


class BookingTeam:
    """The booking team's pool and what is counted about its work (shared by the groups)."""

    def __init__(self, model, members: int, config: Config, k):
        self.pool = model.add_pool(POOL, STAFF_TYPE, members, 0.0)
        self.minutes = config.minutes_per_booking
        self.notice = config.notice_days
        self.k = k
        self.pending: set[InvitationTask] = set()   # queued, not yet sent (or cancelled)
        self.warmup, self.horizon = model.warmup, model.horizon
        model.at_warmup_end.append(self.restart)
        model.at_finish.append(self.finish)

    def queue(self, c, b, now: float) -> None:
        """Booking ``b`` of citizen ``c`` goes to the team's desk queue."""
        k = self.k
        k["team_bookings"] += 1
        if self.minutes <= 0.0:           # no work: the invitation leaves at once
            self._check(b, now)
            return
        task = InvitationTask(c, b, self.minutes, now, self)
        c.tasks.append(task)               # cancelled if the spell ends first
        self.pending.add(task)
        pool = self.pool
        # the clerk present on the next desk day who would be free first (ties: least work
        # queued): a clerk away is passed over, as a team leader would hand the work on. With
        # nobody present before the end of the run (``among`` empty) the whole team is
        # considered, and the task stays queued to the end.
        pool.enqueue(None, task, among=pool.present_at_next_desk_hours(now) if pool.n > 1
                     else None)

    def sent(self, task: InvitationTask, t: float) -> None:
        """The team has done ``task`` at time ``t``: the invitation leaves."""
        self.pending.discard(task)
        tasks = task.person.tasks
        if task in tasks:
            tasks.remove(task)
        self.k["invitations_sent"] += 1
        self._check(task.booking, t)

    def _check(self, b, t: float) -> None:
        day = b.day
        if day is not None and day - t < self.notice:
            k = self.k
            k["late_invitations"] += 1
            if t >= day:
                k["invitations_after_talk_day"] += 1

    def restart(self) -> None:
        """End of the warm-up: forget the tasks cancelled meanwhile."""
        self.pending = {t for t in self.pending if not t.cancelled}

    def finish(self) -> None:
        """End of the run: the work still queued and the work dropped, and the team's waits."""
        k = self.k
        for task in self.pending:
            if task.cancelled:
                k["tasks_cancelled"] += 1
                k["minutes_cancelled"] += task.remaining
            else:
                k["tasks_queued_at_end"] += 1
                k["minutes_queued_at_end"] += task.remaining
        self.pending = set()
        k["team_members"] = self.pool.n
        if self.horizon > self.warmup:
            stats = self.pool.desk_queue.queue_statistics(self.warmup, self.horizon)
            k["team_mean_wait_days"] = stats["mean_wait"]
            k["team_mean_queue_length"] = stats["mean_queue_length"]


class CentralBooker:
    """Seam *who books* for one group: the citizen online, the team, or the caseworker."""

    __slots__ = ("env", "baseline", "inner", "team", "share", "stream", "k", "before_run")

    def __init__(self, env, inner, team: BookingTeam | None, share: float, stream, k):
        self.env = env
        self.baseline = inner              # the baseline's booker: case support or caseworker
        self.inner = inner.by_caseworker
        self.team = team
        self.share = share
        self.stream = stream
        self.k = k
        self.before_run = True             # the initial stock is being booked (see run_starts)

    def run_starts(self, _event=None) -> None:
        """The run has begun: from now on bookings are the run's."""
        self.before_run = False

    def booked(self, c, b) -> None:
        """Talk ``b`` of citizen ``c`` was booked: who does the booking work."""
        k = self.k
        if self.before_run:                # the initial stock's bookings, made before t0
            k["booked_before_run"] += 1
            if self.team is None:
                self.baseline.booked(c, b)
            elif self.baseline.support_books():  # case support's share is still theirs
                self.baseline.by_support(c, b)
            return
        k["bookings"] += 1
        share = self.share
        if share > 0.0 and (share >= 1.0 or self.stream.random() < share):
            k["self_booked"] += 1
            return
        if self.baseline.support_books():    # case support's share stays with case support
            k["case_support_bookings"] += 1
            self.baseline.by_support(c, b)
            return
        if self.team is None:
            k["caseworker_bookings"] += 1
            self.inner(c, b)
        else:
            self.team.queue(c, b, self.env.now)


def install(config: Config, model) -> None:
    """Make the booking team (if any) and give every group in ``config.groups`` that the
    jobcenter has the central booker."""
    groups = [g for g in config.groups if g in model.services]
    if not groups:
        return
    k = model.counters.mechanism(NAME, {ACTIVITY: "admin_around_casework"})
    for key in COUNTERS:
        k[key] = 0
    pools = {id(model.services[g].pool): model.services[g].pool for g in groups}
    caseworkers = sum(p.n for p in pools.values())
    members = team_size(config, caseworkers)
    team = None
    if members > 0:
        if STAFF_TYPE not in model.cfg.model.staff_types:
            raise ConfigError(f"'model.staff_types' has no entry '{STAFF_TYPE}' for the "
                              f"{NAME} mechanism's booking team; valid: "
                              + ", ".join(model.cfg.model.staff_types))
        team = BookingTeam(model, members, config, k)
    # The initial stock is booked before the clock starts (Model._run places it, then runs the
    # environment) and the model has no hook for that moment: an urgent event at t0, scheduled
    # here before any of the model's processes, is the first thing done at t0 and tells each
    # booker that the run has begun.
    starts = event_at(model.env, 0.0, URGENT).callbacks
    share = config.self_booking_share
    for g in groups:
        sv = model.services[g]
        sv.booker = booker = CentralBooker(model.env, sv.booker, team, share,
                                           model.streams[f"{NAME}/self_booking/{g}"], k)
        starts.append(booker.run_starts)
