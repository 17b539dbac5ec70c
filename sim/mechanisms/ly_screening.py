"""A half-yearly light screening instead of the formal reassessment of flexjob-unemployment cases
(QB14 proposal A2).

In the baseline (:class:`sim.domain.reassessment.FormalReassessment`) every flexjob-unemployment
(ledighedsydelse) case is formally reassessed each ``rules.groups.ly.reassessment_after_days``
(365) of its spell: ``model.ly_reassessment.hours`` of caseworker desk work plus a medical
certificate, which change the assessment in ``changes_assessment_share`` (about 1%) of cases.

Here the case is screened every ``interval_days`` of the spell instead, inside the contact
course: the first mandated talk held on or after each screening date carries the screening,
and its ``screening_minutes`` (the checklist and its notes) are queued as desk work for the
caseworker (activity ``ly_screening``, indirect casework). When that work is done the
screening either flags the case, which then gets the baseline's formal reassessment (its hours
and certificate, activity ``ly_reassessment``), or the case goes on.

Whether a screened case *would* change: the baseline's ``changes_assessment_share`` p is per
formal reassessment, one a year; a screening covers ``interval_days`` of that year, so a case
would change at a screening with probability ``1 - (1 - p) ** (interval_days /
reassessment_after_days)`` (about p/2 for a half-yearly screening). The screening flags such a
case with probability ``sensitivity``, and the other cases so often that ``flagged_share`` of
all screenings are flagged. A flagged case whose assessment would change is changed by the
formal reassessment (the spell ends, as in the baseline); a case that would change but is not
flagged keeps its assessment (counted as missed). A screened case with nothing to find is a
false alarm when flagged.

Seam: the reassessment of a group (:class:`sim.seams.Reassessment`), plus a ``talk_held`` hook
that carries the screening. Stream ``ly_screening/<group>``: two draws per screening (would
change, flagged). Times are days, work minutes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..domain.population import SpellPlan
from ..domain.staff import DeskTask
from ..schema import ConfigError, nonneg, positive, probability
from .common import check_groups

NAME = "ly_screening"
SEAM = "reassessment"

SCREENING = "ly_screening"
"""The screening's work: the checklist with the talk and its notes (indirect casework)."""
FORMAL = "ly_reassessment"
"""A flagged case's formal reassessment: the baseline's activity, so that its hours compare."""
ACTIVITIES = {SCREENING: "indirect_casework"}

INF = math.inf

COUNTERS = ("screenings", "screening_minutes", "screenings_unmet", "flagged", "false_alarms",
            "formal_reassessments", "formal_minutes", "formal_unmet", "certificates",
            "would_change", "assessments_changed", "changes_missed")
"""The mechanism's counters (``Counters.mechanisms["ly_screening"]``) over the measured period:
screenings requested and their minutes, those no caseworker could do; when a screening's work is
done, cases flagged and of them false alarms (nothing to find); formal reassessments requested,
their minutes and certificates, those no caseworker could do; screened cases whose assessment
would change, assessments changed by a formal reassessment, and changes the screening missed."""


@dataclass
class Config:
    """``groups`` screened instead of formally reassessed (QB14 A2: flexjob unemployment);
    ``interval_days``: days of spell between screenings (QB14: half-yearly); ``screening_minutes``:
    caseworker minutes of a screening (assumption); ``flagged_share``: share of screenings that
    flag the case for a formal reassessment (assumption); ``sensitivity``: share of the cases
    whose assessment would change that the screening flags (assumption)."""

    groups: list[str] = field(default_factory=lambda: ["ly"])
    interval_days: int = positive(182)
    screening_minutes: float = nonneg(30.0)
    flagged_share: float = probability(0.05)
    sensitivity: float = probability(0.8)

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")


def change_share(p: float, interval_days: float, after_days: float) -> float:
    """Probability that a case screened after ``interval_days`` would change its assessment, when
    a formal reassessment every ``after_days`` changes it with probability ``p``."""
    return 1.0 - (1.0 - p) ** (interval_days / after_days)


class ScreenedReassessment:
    """Seam *reassessment* for one group: a screening at the first talk held on or after each
    screening date of the spell; a formal reassessment only for flagged cases.

    No reassessment alarm is set (``c.reassess_day`` stays INF): the talks carry the screening.
    ``reassess(c)`` (the seam's call when a reassessment falls due) does a formal reassessment,
    should another component set a date.
    """

    def __init__(self, group: str, config: Config, model, after_days: int):
        cfg = model.cfg
        self.group = group
        self.env = model.env
        self.spells = model.spells
        self.services = model.services[group]          # the group's desk-work routing
        self.ra = cfg.model.ly_reassessment
        self.certificates = model.counters.certificates
        self.unmet = model.counters.unmet_minutes
        self.stream = model.streams[f"{NAME}/{group}"]
        self.interval = config.interval_days
        self.minutes = config.screening_minutes
        self.q = change_share(self.ra.changes_assessment_share, config.interval_days, after_days)
        self.sensitivity = config.sensitivity
        found = self.q * config.sensitivity              # screenings that flag a true change
        if config.flagged_share + 1e-12 < found:
            raise ConfigError(
                f"'mechanisms.{NAME}.flagged_share' = {config.flagged_share:g} is below the share "
                f"of screenings that find a case whose assessment would change ({found:.4g} = "
                f"sensitivity {config.sensitivity:g} x {self.q:.4g}); raise it or lower "
                "'sensitivity'")
        # flagged share of the screenings with nothing to find
        self.false_alarm = (config.flagged_share - found) / (1.0 - self.q) if self.q < 1.0 else 0.0
        self.next_screening: dict[int, float] = {}      # citizen -> day of the next screening
        self.k = model.counters.mechanism(NAME, ACTIVITIES)
        for key in COUNTERS:
            self.k[key] = 0

    # ------------------------------------------------------------------ the seam
    def schedule(self, c, now: float, spell_start: float) -> None:
        """The first screening date of a spell that started on ``spell_start`` (``now``: today):
        the first multiple of ``interval_days`` of the spell from today on."""
        step = self.interval
        k = max(1, math.ceil((now - spell_start) / step))
        self.next_screening[c.id] = spell_start + k * step

    def reassess(self, c) -> None:
        """A reassessment date has come: a formal reassessment, as for a flagged case."""
        c.reassess_day = INF
        self._formal(c, self.stream.random() < self.q)

    # ------------------------------------------------------------------ the screening
    def talk_held(self, c, b, day: int, on_time: bool) -> None:
        """A mandated talk of the group was held on ``day``: it carries the screening if one is
        due; the next is due ``interval_days`` after this one's date."""
        due = self.next_screening.get(c.id, INF)
        if day < due:
            return
        step = self.interval
        while due <= day:
            due += step
        self.next_screening[c.id] = due
        self._screen(c, day)

    def _screen(self, c, now: float) -> None:
        """Queue the screening's work for the caseworker; when it is done, flag or not."""
        k = self.k
        s = self.stream
        would_change = s.random() < self.q
        flagged = s.random() < (self.sensitivity if would_change else self.false_alarm)
        k["screenings"] += 1
        k["screening_minutes"] += self.minutes
        spell = c.spell_no

        def done(t: float):
            if c.spell_no != spell or c.end_day <= t:
                return                         # the spell ended meanwhile
            k["would_change"] += would_change
            if not flagged:
                k["changes_missed"] += would_change
                return
            k["flagged"] += 1
            k["false_alarms"] += not would_change
            self._formal(c, would_change)

        pool, member = self.services.routing.route(c, SCREENING)
        if self.minutes <= 0:
            done(now)
        elif pool.n > 0:
            task = DeskTask(c.id, self.group, SCREENING, self.minutes, now, done)
            c.tasks.append(task)
            pool.enqueue(member, task)
        else:                                  # nobody to do it: counted, the case goes on
            k["screenings_unmet"] += 1
            self.unmet[SCREENING] += self.minutes

    def _formal(self, c, changes: bool) -> None:
        """The baseline's formal reassessment: desk work and certificates; a changed assessment
        ends the spell when the work is done."""
        now = self.env.now
        ra = self.ra
        k = self.k
        minutes = ra.hours * 60.0
        k["formal_reassessments"] += 1
        k["formal_minutes"] += minutes
        k["certificates"] += ra.certificates
        self.certificates["reassessment"] += ra.certificates
        spell = c.spell_no

        def done(t: float):
            if changes and c.spell_no == spell and c.end_day > t:
                k["assessments_changed"] += 1
                c.plan = SpellPlan(c.plan.length, ra.destination, "exit", ra.destination, False)
                c.end_day = max(t, self.env.now)
                c.referral_day = INF
                self.spells.wake(c, c.end_day)

        pool, member = self.services.routing.route(c, FORMAL)
        if minutes <= 0:
            done(now)
        elif pool.n > 0:
            task = DeskTask(c.id, self.group, FORMAL, minutes, now, done)
            c.tasks.append(task)
            pool.enqueue(member, task)
        else:                                  # nobody to do it: counted, the assessment stands
            k["formal_unmet"] += 1
            self.unmet[FORMAL] += minutes


def install(config: Config, model) -> None:
    """Screen every group in ``config.groups`` that the jobcenter has instead of reassessing it
    formally (a ConfigError for a group the rulebook does not reassess)."""
    rules = model.cfg.rules.groups
    for g in config.groups:
        sv = model.services.get(g)
        if sv is None:
            continue
        after = rules[g].reassessment_after_days
        if not after:
            raise ConfigError(f"'mechanisms.{NAME}.groups' names '{g}', which the rulebook does "
                              f"not reassess (rules.groups.{g}.reassessment_after_days)")
        component = ScreenedReassessment(g, config, model, after)
        sv.reassessment = component
        sv.talk_held.append(component.talk_held)
