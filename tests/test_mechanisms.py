"""The mechanism registry and the two mechanisms ported from config flags: postponement (A1) and
the shared caseload (C2).

Every registered mechanism is a module with a name, a seam, a strict config and an install step;
a mechanism switched on for no group changes nothing; the shared caseload leaves its citizens
without a caseworker of their own until their spell is long-term, and postponement moves only
follow-up talks of the groups it names.
"""
from __future__ import annotations

import dataclasses

import pytest

from sim import mechanisms
from sim.configure import compose
from sim.model import Model
from sim.schema import ConfigError
from sim.seams import SEAMS

SHORT = ["jobcenter=small", "horizon_days=120", "warmup_days=0", "event_log=false",
         "progress=false"]


def _model(*overrides):
    cfg, _ = compose([*SHORT, *overrides])
    m = Model(cfg, 0)
    m.run()
    return m


@pytest.mark.parametrize("name", mechanisms.names())
def test_every_registered_mechanism_is_a_complete_module(name):
    mod = mechanisms.module(name)
    assert mod.NAME == name
    assert mod.SEAM in SEAMS                           # a seam the model has
    assert dataclasses.is_dataclass(mod.Config)
    assert callable(mod.install)
    mod.Config()                                       # every setting has a default


def test_an_unknown_mechanism_is_one_line_naming_the_valid_ones():
    with pytest.raises(ConfigError) as err:
        mechanisms.build_configs({"postponment": {}})
    message = str(err.value)
    assert "\n" not in message
    assert "did you mean 'postponement'" in message and "shared_caseload" in message


def test_a_bad_mechanism_value_names_its_path():
    with pytest.raises(ConfigError, match=r"mechanisms\.postponement\.pending_information_share"):
        mechanisms.build_configs({"postponement": {"pending_information_share": 1.5}})
    with pytest.raises(ConfigError, match="unknown group 'adb'"):
        mechanisms.build_configs({"shared_caseload": {"groups": ["adb"]}})


def test_mechanisms_switched_on_for_no_group_change_nothing():
    base = _model("scenario=baseline")
    idle = _model("scenario=baseline", "mechanisms.postponement.groups=[]",
                  "mechanisms.postponement.pending_information_share=0.5",
                  "mechanisms.shared_caseload.groups=[]")
    assert idle.cfg.mechanisms.keys() == {"postponement", "shared_caseload"}
    for g, gc in base.counters.groups.items():
        assert idle.counters.groups[g] == gc, g


def test_postponement_moves_only_follow_up_talks_of_its_groups():
    # capacity only (effects=none): with effects on, unemployment-insurance spells that
    # postponed talks lengthen may reach the 2-year limit and move to cash benefit
    m = _model("scenario=a1b_adp_flex", "effects=none")
    base = _model("scenario=baseline", "effects=none")
    postponed = m.counters.mechanisms["postponement"]
    assert postponed["talks_postponed/adp"] > 0
    assert set(postponed) == {"talks_postponed/adp"}         # counted for its groups only
    for g in ("kth_job_ready", "sdp_cat2", "ly"):            # other groups: the same talks
        assert m.counters.groups[g].talks_held == base.counters.groups[g].talks_held, g


def test_shared_caseload_citizens_have_no_caseworker_until_their_spell_is_long_term():
    m = _model("scenario=c2_shared_caseload", "horizon_days=180")
    settings = m.cfg.mechanisms["shared_caseload"]
    now = m.env.now
    job_ready = [c for c in m.alive.values() if c.group == "kth_job_ready"]
    assert job_ready and all(c.member is None for c in job_ready)  # no group keeps them fixed
    adp = [c for c in m.alive.values() if c.group == "adp"]
    shared = sum(c.member is None for c in adp)
    assert 0 < shared < len(adp)                                   # at-risk spells are fixed
    # a talk is booked at least every 91 days, and the caseworker is given before a booking
    long_term = [c for c in adp if now - c.spell_start > settings.fixed_after_days + 91 + 7]
    assert long_term and all(c.member is not None for c in long_term)


def test_shared_caseload_shortens_talks_by_the_minutes_saved():
    saved = 10.0
    cfg, _ = compose([*SHORT, "scenario=baseline",
                      "mechanisms.shared_caseload.groups=[kth_job_ready]",
                      f"mechanisms.shared_caseload.talk_minutes_saved={saved}"])
    model = Model(cfg, 0)
    talks = model.services["kth_job_ready"].talks
    removed: dict[int, float] = {}           # booking -> minutes its adjusters took off

    def recording(adjust):
        def wrapped(c, b, now):
            before = b.minutes
            adjust(c, b, now)
            removed[id(b)] = before - b.minutes
        return wrapped

    held: list[float] = []
    talks.adjust = tuple(recording(a) for a in talks.adjust)
    talks.held = (*talks.held, lambda c, b, day, on_time: held.append(removed[id(b)]))
    model.run()
    # every talk held is 10 minutes shorter (less only where preparation and documentation
    # together are shorter than that)
    assert len(held) > 500
    assert sum(x == pytest.approx(saved) for x in held) / len(held) > 0.99
    assert all(0.0 < x <= saved + 1e-9 for x in held)
