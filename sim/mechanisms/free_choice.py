"""Free choice of provider: part of the contact course is run by approved external actors.

DA22 proposes that citizens choose among approved actors (private advisers, the jobcenter,
a-kasser and others) on a portal. When a citizen is handed to another actor, the contact course
goes with them; the actor registers talks and job plans in the state's system, and the jobcenter
must re-key every job plan into its own case system, which state reimbursement needs (CPH).

In the model the jobcenter still holds the first talk of a spell (visitation); right after it
``choice_share`` of the citizens of the named groups (stream ``free_choice/<group>``, one draw
per spell) choose an external provider. For them no talk is booked in the jobcenter's books any
more: the provider holds each mandated talk on the day the jobcenter would have planned it (the
rulebook's deadline less the booking margin; an approved actor meets the standards, so on
time), the spell effects count it as a talk in person, and each one brings the citizen's
caseworker ``rekey_minutes`` of desk work (activity ``job_plan_rekeying``, administration around
casework) to re-key the job plan. The jobcenter's own counters (talks held, on-time share) count
only the talks it holds; the provider's are the mechanism's counters. Spells in progress at t0
that are past their first talk keep the jobcenter. Offers, unplanned contacts and the spell's
other work stay with the jobcenter. Seam: the contact plan (``GroupServices.next_talk``).
Times are days, work minutes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.staff import DeskTask
from ..engine.simpy_shortcuts import event_at
from ..schema import ConfigError, nonneg, probability
from .common import check_groups

NAME = "free_choice"
SEAM = "contact plan"

ACTIVITIES = {"job_plan_rekeying": "admin_around_casework"}
COUNTERS = ("spells_choosing", "spells_staying", "provider_talks", "rekey_minutes")
PROVIDER_DAY_PRIORITY = 2
"""A provider's talk comes after the day's other events, as the jobcenter's daily round does."""


@dataclass
class Config:
    """``choice_share`` of the spells of ``groups`` move to an external provider after their
    first talk; ``rekey_minutes`` of caseworker desk work per talk the provider holds."""

    groups: list[str] = field(default_factory=lambda: ["adp", "kth_job_ready"])
    choice_share: float = probability(0.25)
    rekey_minutes: float = nonneg(15.0)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name the groups whose citizens may "
                              "choose a provider")


class ProviderTalk:
    """What the spell effects see of a talk the provider held: a talk in person."""

    __slots__ = ()
    phone = False


PROVIDER_TALK = ProviderTalk()


class ProviderCourse:
    """The contact plan of one group: after the spell's first talk, a chosen share of the
    citizens have their mandated talks held by an external provider."""

    def __init__(self, group: str, inner, services, model, config: Config, counters):
        self.group = group
        self.inner = inner
        self.sv = services
        self.env = model.env
        self.horizon = model.horizon
        self.stream = model.streams[f"{NAME}/{group}"]
        self.share = config.choice_share
        self.rekey = config.rekey_minutes
        self.k = counters
        self.unmet = model.counters.unmet_minutes
        self.first_pending: dict[int, int] = {}   # citizen id -> spell awaiting its first talk
        self.chosen: dict[int, int] = {}          # citizen id -> spell with a provider

    def next_talk(self, c, now: float, lead: int | None = None) -> None:
        """Book ``c``'s next contact: the jobcenter's talk, or, for a citizen with a provider,
        the provider's next talk."""
        if self.chosen.get(c.id) == c.spell_no:
            self._plan_provider_talk(c, now)
            return
        if c.last_talk_day is None:                       # the first talk is to come
            self.first_pending[c.id] = c.spell_no
        elif self.first_pending.pop(c.id, -1) == c.spell_no:
            if self.stream.random() < self.share:
                self.k["spells_choosing"] += 1
                self.chosen[c.id] = c.spell_no
                self._plan_provider_talk(c, now)
                return
            self.k["spells_staying"] += 1
        self.inner(c, now, lead)

    def _plan_provider_talk(self, c, now: float) -> None:
        """The provider's next talk, on the day the jobcenter would plan it (not before now)."""
        _, target = self.sv.talks.next_deadline(c)
        day = max(float(target), now)
        if day >= self.horizon:
            return
        spell = c.spell_no
        event = event_at(self.env, day - now, PROVIDER_DAY_PRIORITY)
        event.callbacks.append(lambda _e: self._held(c, spell, day))

    def _held(self, c, spell: int, day: float) -> None:
        """The provider held the talk: the spell effects, the re-keying, the next talk."""
        if c.spell_no != spell or c.group != self.group:     # the spell has ended
            if self.chosen.get(c.id) == spell:
                del self.chosen[c.id]
            return
        self.k["provider_talks"] += 1
        c.last_talk_day = day
        for after in self.sv.effects.talk_held:
            after(c, PROVIDER_TALK, day, True)
        if self.rekey > 0:
            pool, member = self.sv.routing.route(c, "job_plan_rekeying")
            if pool.n == 0:
                self.unmet["job_plan_rekeying"] += self.rekey
            else:
                self.k["rekey_minutes"] += self.rekey
                task = DeskTask(c.id, self.group, "job_plan_rekeying", self.rekey, day, None)
                c.tasks.append(task)
                pool.enqueue(member, task)
        self._plan_provider_talk(c, day)


def install(config: Config, model) -> None:
    """Wrap the contact plan of every group in ``config.groups`` that the jobcenter has."""
    counters = model.counters.mechanism(NAME, ACTIVITIES)
    for key in COUNTERS:
        counters[key] = 0
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        plan = ProviderCourse(g, sv.next_talk, sv, model, config, counters)
        sv.next_talk = plan.next_talk
