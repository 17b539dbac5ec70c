"""The components serving one benefit group, chosen once when the model is built.

:class:`GroupServices` holds, for one group, one component per seam (:mod:`sim.seams` lists the
interfaces): the talks' deadlines, format, booking policy and booker, the caseload policy, the
offer provider, desk-work routing, the decision path, the reassessment and the spell effects.
The model builds the baseline's components from the configuration; each switched-on mechanism
then replaces or wraps the ones it changes (:mod:`sim.mechanisms`); :meth:`GroupServices.resolve`
finally binds them, so that the running model calls them directly and never asks which scenario
it is in.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .effects import SpellEffects
from .extra_talks import NoExtraTalks

if TYPE_CHECKING:
    from .booking import AppointmentBooking, CaseworkerBooks
    from .caseload import FixedCaseload
    from .offers import InHouseOffers
    from .rehabilitation import LocalRehabTeam
    from .routing import OwnCaseworker
    from .spells import Citizen
    from .staff import StaffPool
    from .talks import IndividualTalks, RulebookDeadlines, TalkService


class GroupServices:
    """One benefit group's components (attributes named after the seams they fill).

    Mechanisms change these attributes while the model is built (before :meth:`resolve`):

    * ``deadlines`` (``next(c) -> (due, planned day)``),
    * ``talk_format`` (``booking(c, due, target) -> Booking``),
    * ``booking_policy`` (``reserve(c, booking, lead_days, now)``),
    * ``booker`` (who books: ``booked(c, booking)``),
    * ``caseload`` (``assign(c, now) -> member or None``),
    * ``extra_talks`` (``plan(c, booking, now)`` after each mandated talk is booked,
      ``cancel(c)``, ``hold(c, booking, day)``, ``make_room``: the elastic talks beyond the
      legal minimum, :mod:`sim.domain.extra_talks`),
    * ``booking_adjusters``: hooks ``f(c, booking, now)`` run on each new booking before it is
      reserved (a caseload policy's shorter talks, a caseworker given to a long-term citizen),
    * ``next_talk`` (``f(c, now, lead=None)``: book the next contact; the talk service's
      ``book_next`` unless a mechanism replaces the one-to-one talks of a part of the spell),
    * ``hold`` (``f(c, day)``: the booked day has come),
    * ``offers`` (``schedule(c, now, spell_start, end)``, ``request(c)``, ``close(c, day)``),
    * ``routing`` (``route(c, activity) -> (pool, member)``),
    * ``decision`` (``refer(c)``: the rehabilitation team or another decision path),
    * ``reassessment`` (``schedule(c, now, spell_start)``; ``reassess(c)``),
    * ``talk_held``: hooks ``f(c, booking, day, on_time)`` run after every talk held (a
      mechanism's counters),
    * ``spell_follows``: hooks ``f(c, now, kind, delay)`` run when a citizen's spell has just
      ended and a spell in this group follows: ``kind`` "transfer" (starting now), "resume" or
      "revisit" (a return after ``delay`` days out; a revisit is out longer than
      ``rules.revisitation_after_days_out``). ``c`` still holds the ended spell (its group,
      start, plan, caseworker, last talk, offer state) and the next spell has not started;
      ``now`` is the model's time (days). Empty in the baseline (a re-visit restarts the
      contact course as a new case; mechanisms such as a light restart use it),
    * ``effects`` (:class:`sim.domain.effects.SpellEffects`; its ``talk_held`` hooks run after
      those).
    """

    def __init__(self, group: str, pool: "StaffPool", talks: "TalkService"):
        self.group = group
        self.pool = pool
        self.talks = talks
        self.deadlines: RulebookDeadlines
        self.talk_format: IndividualTalks
        self.booking_policy: AppointmentBooking
        self.booker: CaseworkerBooks
        self.caseload: FixedCaseload
        self.extra_talks = NoExtraTalks()
        self.booking_adjusters: list[Callable] = []
        self.talk_held: list[Callable] = []
        self.spell_follows: list[Callable] = []
        self.next_talk: Callable = talks.book_next
        self.hold: Callable[["Citizen", int], None] = talks.hold
        self.offers: InHouseOffers
        self.routing: OwnCaseworker
        self.decision: LocalRehabTeam
        self.reassessment = None
        self.effects = SpellEffects()
        # what a spell start needs, looked up once
        self.contact_rate = 0.0            # expected unplanned contacts per workday
        self.contact_minutes = 0.0         # minutes per unplanned contact
        self.schedule = None               # the rulebook's TalkSchedule
        self.s_talk_phase = None           # the stock's last talk before t0

    def resolve(self) -> None:
        """Bind the components for the run (call once, after every mechanism is installed)."""
        if hasattr(self.booking_policy, "make_room"):
            self.booking_policy.make_room = self.extra_talks.make_room
        self.talks.bind(self.deadlines, self.talk_format, self.booking_policy.reserve,
                        self.booker.booked, self.extra_talks.plan,
                        tuple(self.booking_adjusters),
                        (*self.talk_held, *self.effects.talk_held))
