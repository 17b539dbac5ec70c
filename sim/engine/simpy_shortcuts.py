"""The model's only uses of SimPy internals, kept here so that they are easy to review.

SimPy's public API makes an event that happens at a later time with ``env.timeout`` (always of
normal priority) or with a process (a generator, resumed per event). The model needs two things
the public API does not offer cheaply:

* an event at a chosen time *and priority* (the daily round of talks comes after every other
  event of the start of the day), and a citizen's alarm: an event already triggered when it is
  made, scheduled for a later time, whose callback carries the citizen's spell on. Both are
  marked succeeded by hand (``_ok`` and ``_value``, as ``Event.succeed`` sets them) and
  scheduled directly (``env.schedule``). An alarm costs a fraction of a SimPy process per
  citizen: no generator to resume, no start and end events. Alarms derive from
  :class:`Triggered`, whose class attributes make every instance triggered at no cost of its
  own.
* at the end of a run, dropping every pending event (``env._queue``) so that a finished model
  holds no reference cycles through events and callbacks and is freed at once.

These rely on SimPy 4's ``Event`` attributes ``_ok``, ``_value`` and ``callbacks`` and on
``Environment._queue`` (a heap of ``(time, priority, id, event)``).
"""
from __future__ import annotations

import simpy
from simpy.events import NORMAL, URGENT  # noqa: F401  (re-exported for the model)


class Triggered(simpy.Event):
    """Base of events that are triggered (succeeded, no value) as soon as they exist.

    Subclasses set ``env`` and ``callbacks`` and schedule the event themselves, and do not call
    ``Event.__init__`` (which would mark the event pending): the class attributes below are what
    SimPy reads.
    """

    _ok = True
    _value = None


def mark_triggered(event: simpy.Event) -> None:
    """Mark ``event`` as succeeded with no value, as ``Event.succeed`` does, without
    scheduling it."""
    event._ok = True
    event._value = None


def event_at(env: simpy.Environment, delay: float, priority: int) -> simpy.Event:
    """A triggered event that happens ``delay`` days from now with SimPy priority ``priority``
    (``URGENT`` 0, ``NORMAL`` 1, or a larger number to come after both)."""
    event = simpy.Event(env)
    mark_triggered(event)
    env.schedule(event, priority, delay)
    return event


def drop_pending_events(env: simpy.Environment) -> None:
    """Forget every event still scheduled, with its callbacks (the end of a run)."""
    for _, _, _, event in env._queue:
        event.callbacks = None
    env._queue.clear()
