"""The model's seams: the interfaces through which a scenario mechanism changes the model.

Each benefit group has one component per seam (:class:`sim.domain.services.GroupServices`),
chosen once when the model is built: the baseline's (in :mod:`sim.domain`), or one a switched-on
mechanism (:mod:`sim.mechanisms`) put in its place or wrapped around it. The running model calls
the component directly: adding a mechanism adds no test of which scenario runs to any hot path.

=================  ==============================  ============================================
seam               baseline component              called
=================  ==============================  ============================================
deadlines          talks.RulebookDeadlines         for every talk booked
talk format        talks.IndividualTalks           for every talk booked
booking policy     booking.AppointmentBooking      for every booking, rebooking, cancellation
who books          booking.CaseworkerBooks         after every booking
caseload policy    caseload.FixedCaseload          when a spell starts (+ optional hooks)
contact plan       talks.TalkService.book_next     when a spell starts, after every talk
extra talks        extra_talks.ExtraTalks          after every mandated talk is booked
holding a talk     talks.TalkService.hold          on the booked day (the daily round)
offer provider     offers.InHouseOffers            when a spell starts, on an offer date, at
                                                   the spell's end
desk-work routing  routing.OwnCaseworker           for every piece of desk work of a citizen
decision path      rehabilitation.LocalRehabTeam   when a case is referred
reassessment       reassessment.FormalReassessment when a spell starts, when one is due
spell effects      effects.SpellEffects (empty)    after a talk, when an offer starts
centre practice    practice.CentrePractice         before the model is built (``configure``)
working time       model.working_time              before the model is built (``configure``)
=================  ==============================  ============================================

Staff pools are data too: a mechanism adds one with :meth:`sim.model.Model.add_pool` (a booking
team, a clarification unit), of a staff type of ``model.staff_types`` with its own hour rate.

The classes below only document the interfaces (structural types, :class:`typing.Protocol`);
components need not inherit from them. Units: days for times (day 0 is a Monday), minutes for
work.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

SEAMS = ("deadlines", "talk format", "booking policy", "who books", "caseload policy",
         "contact plan", "extra talks", "holding a talk", "offer provider", "desk-work routing",
         "decision path", "reassessment", "spell effects", "centre practice", "working time",
         "population")
"""The seams' names, as a mechanism module's ``SEAM`` gives the one it fills."""

if TYPE_CHECKING:
    from .domain.spells import Citizen
    from .domain.staff import StaffPool
    from .domain.talks import Booking


class Deadlines(Protocol):
    def next(self, c: "Citizen") -> tuple[int, int]:
        """(deadline, planned day) of citizen ``c``'s next mandated talk."""


class TalkFormat(Protocol):
    def booking(self, c: "Citizen", due: int, target: int) -> "Booking":
        """A new booking of ``c``'s next talk: its minutes (preparation, talk, documentation,
        extra) and channel; not yet in any appointment book."""


class BookingPolicy(Protocol):
    def reserve(self, c: "Citizen", b: "Booking", lead_days: int, now: float) -> None:
        """Find the talk's day (and caseworker), at least ``lead_days`` ahead, reserve the time
        and put the booking in the daily round's diary for that day."""

    def cancel(self, c: "Citizen", b: "Booking") -> None:
        """The talk will not be held as booked (the spell ended, or it gives way to other work
        and is reserved again): give its reserved time back."""

    def holds_time(self, b: "Booking") -> bool:
        """True if ``b`` holds ``b.minutes`` of ``b.member``'s appointment book on ``b.day``."""


class Booker(Protocol):
    def booked(self, c: "Citizen", b: "Booking") -> None:
        """Talk ``b`` was booked: do or queue the booking work (calling in, the letter)."""


class CaseloadPolicy(Protocol):
    def assign(self, c: "Citizen", now: float) -> int | None:
        """The caseworker (member of the group's pool) of ``c``'s new spell; None: the
        citizen is served by the pool as a whole."""


class ContactPlan(Protocol):
    def __call__(self, c: "Citizen", now: float, lead: int | None = None) -> None:
        """Arrange ``c``'s next mandated contact (by default: book the next talk)."""


class ExtraTalkPlan(Protocol):
    def plan(self, c: "Citizen", b: "Booking", now: float) -> None:
        """Mandated talk ``b`` was just booked: plan an elastic extra talk before it, if there
        is room (it gives way to mandated work later)."""

    def cancel(self, c: "Citizen") -> None:
        """The spell ended: the extra talk booked (``c.extra_talk``) is not held."""


class TalkHolder(Protocol):
    def __call__(self, c: "Citizen", day: int) -> None:
        """The day of ``c``'s booking (``c.talk``) has come: hold it or handle what prevents
        it."""


class OfferProvider(Protocol):
    def schedule(self, c: "Citizen", now: float, spell_start: float, end: float) -> None:
        """Set the offer dates of a new spell (``c.offer_day``: the earliest; INF: none)."""

    def request(self, c: "Citizen") -> None:
        """An offer date has come (a start by practice, the legal deadline, a running offer's
        planned end): queue start-up work, start the offer when done, or end it."""

    def close(self, c: "Citizen", day: float) -> None:
        """The spell (or the run) ends on ``day``: a running offer stops there."""


class DeskRouting(Protocol):
    def route(self, c: "Citizen", activity: str) -> tuple["StaffPool", int | None]:
        """(pool, member) to do ``activity`` for citizen ``c`` (member None: whoever of the
        pool would be free first)."""


class DecisionPath(Protocol):
    def refer(self, c: "Citizen") -> None:
        """A case for the rehabilitation team (resource course, flexjob, disability pension)
        is referred: prepare it and have it decided; the decision ends the spell."""


class Reassessment(Protocol):
    def schedule(self, c: "Citizen", now: float, spell_start: float) -> None:
        """Set the first reassessment of a new spell (``c.reassess_day``)."""

    def reassess(self, c: "Citizen") -> None:
        """A reassessment is due now."""
