"""Collectors: the event log and the counters behind every reported figure.

Nothing else in the model writes results. The event log is buffered in plain lists, one per
column, and turned into a table once at the end; counters are plain dictionaries and lists.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..config import EXIT_DESTINATIONS, EXPOSURES, GROUPS

# Which part of the working-time budget an activity's minutes belong to (QB14 section 2 lines).
ACTIVITY_CATEGORY = {
    "talk": "direct_contact",
    "unplanned_contact": "direct_contact",
    "talk_preparation": "indirect_casework",
    "talk_documentation": "indirect_casework",
    "no_show": "indirect_casework",
    "offer_startup": "indirect_casework",
    "company_forms": "indirect_casework",
    "form_resend": "indirect_casework",
    "transport_reimbursement": "admin_around_casework",
    "rehab_preparation": "indirect_casework",
    "rehab_meeting": "indirect_casework",
    "certificate_request": "indirect_casework",
    "certificate_handling": "indirect_casework",
    "offer_follow_up": "direct_contact",
    "employer_service": "direct_contact",
    "pension_application": "indirect_casework",
    "ly_reassessment": "indirect_casework",
    "reception_walk": "admin_around_casework",
    "reception_registration": "admin_around_casework",
    "booking": "admin_around_casework",
    "invitation_letter": "admin_around_casework",
    "phone_duty": "admin_around_casework",
    "journalising": "admin_around_casework",
    "extra_talk": "direct_contact",
    "extra_talk_casework": "indirect_casework",
}

ELASTIC_ACTIVITIES = {"extra_talk", "extra_talk_casework"}
"""Activities of elastic work: work that takes the time mandated and required work leaves and
gives it back first (extra talks; each staff type's ``model.elastic_work`` activity is added
when the model is built). All other activities are required work."""

NOT_APPLICABLE = -1
"""``on_time`` value of log rows that have no deadline."""

PHONE, IN_PERSON = "phone", "in_person"
"""``channel`` of a talk's log row."""


class EventLog:
    """One row per activity instance: kept as a plain list of tuples while the run appends
    (one append per row), turned into columns once when asked for.

    Times are days of the simulation clock, with the time of day as the fraction. ``start`` is
    when the instance began its course (desk work: when it was requested, i.e. queued), ``end``
    when it ended, ``began`` when the work itself began (desk work: when its server took it up;
    for every other row the same as ``start``). A talk's ``start`` is the time of day it is held:
    a caseworker's talks of a day follow one another from ``TALKS_BEGIN`` in the order the daily
    round holds them. ``channel`` is how a talk is held (``phone`` or ``in_person``; empty for
    rows that are not talks).
    """

    COLUMNS = ("citizen", "group", "activity", "start", "end", "resource", "minutes", "on_time",
               "began", "channel")

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._rows: list[tuple] = []

    def add(self, citizen, group, activity, start, end, resource, minutes, on_time=NOT_APPLICABLE,
            began=None, channel=None):
        """Append one row (days for start, end and began, minutes of work, on_time 1/0/-1;
        ``began`` None: the same as ``start``, and ``channel`` None: empty, both filled in by
        :meth:`columns`)."""
        if self.enabled:
            self._rows.append((citizen, group, activity, start, end, resource, minutes, on_time,
                               began, channel))

    def __len__(self) -> int:
        return len(self._rows)

    def columns(self) -> dict[str, list]:
        """The log column by column (a new dict of new lists on every call)."""
        if not self._rows:
            return {c: [] for c in self.COLUMNS}
        cols = dict(zip(self.COLUMNS, map(list, zip(*self._rows))))
        cols["began"] = [s if b is None else b for s, b in zip(cols["start"], cols["began"])]
        cols["channel"] = [c or "" for c in cols["channel"]]
        return cols


@dataclass
class GroupCounters:
    """Flows, stock and talks of one benefit group."""

    initial_stock: int = 0
    inflow_new: int = 0
    inflow_reentry: int = 0
    transfers_in: int = 0
    transfers_out: int = 0
    exits: dict[str, int] = field(default_factory=lambda: {d: 0 for d in EXIT_DESTINATIONS})
    stock: int = 0
    stock_area: float = 0.0
    stock_changed_at: float = 0.0
    talks_held: int = 0
    talks_on_time: int = 0
    talks_missed: int = 0
    talks_overdue_at_end: int = 0
    extra_talks_held: int = 0            # elastic talks beyond the legal minimum
    extra_talks_displaced: int = 0       # pushed out of the diary by a mandated talk
    extra_talks_dropped: int = 0         # caseworker ill or citizen absent: not rebooked
    no_shows: int = 0
    absence_rebookings: int = 0
    phone_talks: int = 0
    talk_minutes: float = 0.0
    in_person_talks: int = 0
    in_person_talk_minutes: float = 0.0
    talk_total_minutes: float = 0.0
    offers_started: int = 0
    offer_wait_days: float = 0.0
    first_offer_days: list[float] = field(default_factory=list)
    offer_days_active: float = 0.0          # days offers ran inside the measured window
    mentor_days: float = 0.0                # person-days with a mentor in the measured window
    mentor_cost_dkk: float = 0.0            # mentor meetings bought (mechanism mentor_support)
    rehab_cases: int = 0
    rehab_wait_days: list[float] = field(default_factory=list)
    completed_spell_days: list[float] = field(default_factory=list)
    # job-spell days in the measured window, and of them the days under each kind of service
    # (EXPOSURES; a talk's days weighted by its weight); exits to a job in the window, and of
    # them those under each kind of service: the spell effects' exposure
    exposure: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("days", *EXPOSURES, "exits", *(f"exits_{k}" for k in EXPOSURES)), 0.0))

    @property
    def exits_total(self) -> int:
        return sum(self.exits.values())


class Counters:
    """All counters of one run."""

    def __init__(self, horizon_days: int):
        self.horizon = horizon_days
        self.groups = {g: GroupCounters() for g in GROUPS}
        # minutes by (staff_type, activity), by (staff_type, budget category of the activity), and
        # the non-bookable budget lines by (staff_type, line)
        self.activity_minutes: dict[tuple[str, str], float] = defaultdict(float)
        self.line_minutes: dict[tuple[str, str], float] = defaultdict(float)
        self.non_bookable_minutes: dict[tuple[str, str], float] = defaultdict(float)
        self.available_minutes: dict[str, float] = defaultdict(float)
        self.idle_minutes: dict[str, float] = defaultdict(float)
        self.certificates: dict[str, int] = defaultdict(int)
        # work nobody could do because its pool has no staff: activity -> minutes
        self.unmet_minutes: dict[str, float] = defaultdict(float)
        # the budget category of each activity: the model's own, and those mechanisms add
        self.category: dict[str, str] = dict(ACTIVITY_CATEGORY)
        # activities that are elastic work (see ELASTIC_ACTIVITIES)
        self.elastic: set[str] = set(ELASTIC_ACTIVITIES)
        # work still waiting at the end of the run (activity -> minutes; see Model._finish)
        self.backlog_minutes: dict[str, float] = defaultdict(float)
        # direct contact with citizens and companies by staff pool (minutes)
        self.direct_by_pool: dict[str, float] = defaultdict(float)
        # counters of the switched-on mechanisms: name -> {counter: value}
        self.mechanisms: dict[str, dict[str, float]] = {}
        self.citizens = 0
        self.stock_samples: list[tuple[int, list[int]]] = []

    def work(self, staff_type: str, activity: str, minutes: float, pool: str = "") -> None:
        """Record ``minutes`` of ``activity`` done by ``staff_type`` (of staff pool ``pool``:
        direct contact is also counted by pool)."""
        self.activity_minutes[(staff_type, activity)] += minutes
        line = self.category[activity]
        self.line_minutes[(staff_type, line)] += minutes
        if pool and line == "direct_contact":
            self.direct_by_pool[pool] += minutes

    def mechanism(self, name: str, activities: dict[str, str] | None = None) -> dict[str, float]:
        """The counters of mechanism ``name`` (made on first use, zeroed at the end of the
        warm-up), after adding its ``activities`` (activity -> budget category, see
        ``ACTIVITY_CATEGORY``) to the categories the counters know."""
        if activities:
            self.category.update(activities)
        return self.mechanisms.setdefault(name, defaultdict(float))

    def change_stock(self, group: str, now: float, delta: int) -> None:
        """Add ``delta`` citizens to ``group`` at time ``now``, keeping the time-integrated stock."""
        gc = self.groups[group]
        gc.stock_area += gc.stock * (now - gc.stock_changed_at)
        gc.stock_changed_at = now
        gc.stock += delta

    def reset(self, now: float, citizens_present: int) -> None:
        """Forget everything counted so far (the end of the warm-up period).

        Stocks carry over and become the initial stocks of the measured period.
        """
        for gc in self.groups.values():     # in place: the model holds references to them
            fresh = GroupCounters(initial_stock=gc.stock, stock=gc.stock, stock_changed_at=now)
            gc.__dict__.update(fresh.__dict__)
        for d in (self.activity_minutes, self.line_minutes, self.non_bookable_minutes,
                  self.available_minutes, self.idle_minutes, self.certificates,
                  self.unmet_minutes, self.direct_by_pool):
            d.clear()
        for values in self.mechanisms.values():
            for k in values:
                values[k] = 0
        self.citizens = citizens_present

    def close(self, now: float) -> None:
        """Bring the time-integrated stocks up to ``now`` (call once at the end of the run)."""
        for gc in self.groups.values():
            gc.stock_area += gc.stock * (now - gc.stock_changed_at)
            gc.stock_changed_at = now
