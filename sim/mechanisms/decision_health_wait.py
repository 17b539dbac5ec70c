"""A wait in the health system before rehabilitation-team and clarification decisions (VIVE20:
waiting times in the health system, named a top challenge by 64% of jobcenter chiefs).

In the baseline a spell whose exit route goes through the rehabilitation team (resource
course, flexjob, disability pension; from activity-ready cash benefit, sickness benefit and the
job clarification and resource courses) is referred when its drawn length has run, and the
team decides after the caseworker's preparation, the LÆ265 certificate and a free meeting slot
(:class:`sim.domain.rehabilitation.LocalRehabTeam`). Here the case must first wait for an
assessment in the health system: at the referral, ``model.effects.health_wait.share`` of the
cases wait an exponential time with mean ``model.effects.health_wait.mean_days`` (the waits of
the spell-effect layer, so that one setting, a sweep knob, gives the health system's wait
everywhere) before the baseline's referral begins. The citizen stays on benefit and in the
contact course meanwhile (talks go on), so the time to the decision and the time on benefit
grow by the wait; the team's own work is unchanged, only later.

Seam: the decision path (:class:`sim.seams.DecisionPath`), wrapped for the groups named.
Stream ``decision_health_wait/<group>``: two draws per referral (waits or not, how long), so
that the draws stay in step between settings. Times are days.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import ConfigError
from .common import check_groups

NAME = "decision_health_wait"
SEAM = "decision path"

GROUPS_WITH_DECISIONS = ["kth_activity_ready", "sdp_cat1", "sdp_cat2", "sdp_cat3",
                         "job_clarification", "resource_course"]
"""The groups with exit routes through the rehabilitation team (``via_rehab_team`` in
``conf/model/default.yaml``)."""

COUNTERS = ("referrals", "waits", "wait_days", "decisions_referred_after_wait")
"""Over the measured period: referrals that reached the decision path, referrals that had to
wait for the health system, the days of those waits (sum, counted when the wait starts), and
cases passed on to the rehabilitation team when their wait ended."""


@dataclass
class Config:
    """``groups`` whose rehabilitation-team and clarification decisions wait for the health
    system (default: every group with exit routes through the team). The wait's share and mean
    are those of ``model.effects.health_wait``."""

    groups: list[str] = field(default_factory=lambda: list(GROUPS_WITH_DECISIONS))

    def validate(self, path: str) -> None:
        check_groups(self.groups, f"{path}.groups")
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty; name at least one of: "
                              + ", ".join(GROUPS_WITH_DECISIONS))


class HealthWaitFirst:
    """Seam *decision path* for one group: a referral that must wait for the health system is
    put off by its wait (the citizen's ``referral_day`` moved), then passed to the wrapped path."""

    def __init__(self, inner, group: str, model, share: float, mean_days: float):
        self.inner = inner
        self.group = group
        self.env = model.env
        self.log = model.log
        self.stream = model.streams[f"{NAME}/{group}"]
        self.share = share
        self.mean = mean_days
        self.waiting: dict[int, int] = {}       # citizen -> spell number whose wait has run
        self.k = model.counters.mechanism(NAME)
        for key in COUNTERS:
            self.k[key] = 0

    def refer(self, c) -> None:
        """The case is ready for a decision: wait for the health system first (or again pass
        it on, when its wait has run)."""
        if self.waiting.get(c.id) == c.spell_no:
            del self.waiting[c.id]
            self.k["decisions_referred_after_wait"] += 1
            self.inner.refer(c)
            return
        now = self.env.now
        u = self.stream.random()
        d = self.stream.exponential(self.mean) if self.mean > 0 else 0.0
        self.k["referrals"] += 1
        if u >= self.share or d <= 0.0:
            self.inner.refer(c)
            return
        self.k["waits"] += 1
        self.k["wait_days"] += d
        self.waiting[c.id] = c.spell_no
        c.referral_day = now + d                # the spell's alarm rings again then
        self.log.add(c.id, self.group, "health_wait", now, now + d, "health_system", 0.0)


def install(config: Config, model) -> None:
    """Wrap the decision path of each configured group."""
    hw = model.cfg.model.effects.health_wait
    for g in config.groups:
        sv = model.services[g]
        sv.decision = HealthWaitFirst(sv.decision, g, model, hw.share, hw.mean_days)
