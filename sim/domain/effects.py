"""How the service a citizen gets changes the spell: spell effects (a seam, :mod:`sim.seams`).

Spell lengths are drawn when a spell starts, from the durations observed under 2013 service
(:mod:`sim.domain.population`). A spell effect acts on the deviation of the service a citizen
gets from that service: a talk held or missed, an offer started early or late, a wait. The
baseline has none: the hooks below are empty, and an empty hook list costs nothing per talk.
"""
from __future__ import annotations

from typing import Callable

TalkHeld = Callable[..., None]
"""``f(citizen, booking, day, on_time)``: called after a talk of the citizen was held on
``day``."""

OfferStarted = Callable[..., None]
"""``f(citizen, day, waited_days)``: called when the citizen's offer starts on ``day``."""


class SpellEffects:
    """The hooks through which service changes a group's spells (none in the baseline)."""

    __slots__ = ("talk_held", "offer_started")

    def __init__(self):
        self.talk_held: list[TalkHeld] = []
        self.offer_started: list[OfferStarted] = []
