"""Benefit expenditure: full-time persons on each benefit times its rate, a line apart from the
operating cost (``model.benefits``, ``sim.costs.benefit_expenditure_dkk``, docs/benefits.md).

Runs are short (the small jobcenter, 120 days from t0, or a two-replication comparison of 60
days) and shared through the session's ``simulate`` fixture where they can be.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.cli import main as cli_main
from sim.config import GROUPS, load
from sim.configure import compose
from sim.costs import benefit_expenditure_dkk, cost_lines, total_dkk
from sim.experiment import compose_comparison, record, run_experiment
from sim.figures import comparison_table, figures_for, values
from sim.schema import ConfigError

SMALL = ("jobcenter=small", "horizon_days=120")
QUICK = ["jobcenter=small", "horizon_days=60", "warmup_days=0", "replications=2",
         "event_log=false", "progress=false"]


@pytest.fixture(scope="module")
def small_run(simulate):
    return simulate(*SMALL, "event_log=false")


def _rates(cfg) -> dict[str, float]:
    return {g: r.statutory_dkk_per_year * r.paid_share for g, r in cfg.model.benefits.groups.items()}


# --------------------------------------------------------------------------- the computation
def test_every_group_has_a_rate_and_the_rate_is_statutory_times_the_share_paid(default_config):
    groups = default_config.model.benefits.groups
    assert set(groups) == set(GROUPS)
    for g, rate in groups.items():
        assert rate.statutory_dkk_per_year > 100_000, g        # a year's benefit, DKK
        assert 0 < rate.paid_share <= 1, g
        assert default_config.model.benefits.dkk_per_full_time_person_year(g) == \
            pytest.approx(rate.statutory_dkk_per_year * rate.paid_share)


def test_expenditure_is_mean_stock_times_rate_times_the_horizon_in_years(small_run):
    cfg, c = small_run.cfg, small_run.counters
    rates = _rates(cfg)
    by_group = benefit_expenditure_dkk(cfg, c)
    assert set(by_group) == set(GROUPS)
    for g, dkk in by_group.items():
        mean_stock = c.groups[g].stock_area / cfg.horizon_days        # full-time persons
        assert dkk == pytest.approx(mean_stock * rates[g] * cfg.horizon_days / 365.0), g
    rec = record(small_run)
    h = rec["headline"]
    assert h["benefit_dkk_by_group"] == pytest.approx(by_group)
    assert h["benefit_dkk"] == pytest.approx(sum(by_group.values()))
    for row in rec["summary"]:
        assert row["benefit_dkk"] == pytest.approx(by_group[row["group"]]), row["group"]
        assert row["benefit_dkk"] == pytest.approx(
            row["mean_stock"] * rates[row["group"]] * cfg.horizon_days / 365.0)


def test_expenditure_agrees_with_the_weekly_stock_samples(small_run):
    # an independent estimate of the mean stock: the stock sampled through the run (no warm-up)
    cfg, c = small_run.cfg, small_run.counters
    rates = _rates(cfg)
    samples = np.array([s for _, s in c.stock_samples], dtype=float)
    assert len(samples) >= 10
    by_group = benefit_expenditure_dkk(cfg, c)
    for i, g in enumerate(GROUPS):
        sampled = samples[:, i].mean() * rates[g] * cfg.horizon_days / 365.0
        if samples[:, i].mean() >= 20:                  # groups large enough to compare
            assert by_group[g] == pytest.approx(sampled, rel=0.05), g


def test_the_figures_are_dkk_per_year_for_all_groups_and_each_group(small_run):
    rec = record(small_run)
    figs = {f.id: f for f in figures_for(rec)}
    years = small_run.cfg.horizon_days / 365.0
    assert figs["benefit_dkk"].section == figs["operating_cost"].section
    assert values(figs["benefit_dkk"], [rec])[0] == pytest.approx(
        rec["headline"]["benefit_dkk"] / years)
    for g in GROUPS:
        assert values(figs[f"benefit_dkk/{g}"], [rec])[0] == pytest.approx(
            rec["headline"]["benefit_dkk_by_group"][g] / years)
    # a small jobcenter's year of benefits is hundreds of millions, far above its operation
    assert values(figs["benefit_dkk"], [rec])[0] > 5 * values(figs["operating_cost"], [rec])[0]


def test_benefit_payments_are_not_operating_cost(small_run):
    cfg = small_run.cfg
    dearer = dataclasses.replace(cfg.model.benefits, groups={
        g: dataclasses.replace(r, statutory_dkk_per_year=2 * r.statutory_dkk_per_year)
        for g, r in cfg.model.benefits.groups.items()})
    cfg2 = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, benefits=dearer))
    c = small_run.counters
    assert total_dkk(cost_lines(cfg2, c)) == total_dkk(cost_lines(cfg, c))
    assert sum(benefit_expenditure_dkk(cfg2, c).values()) == \
        pytest.approx(2 * sum(benefit_expenditure_dkk(cfg, c).values()))


def test_a_longer_spell_raises_that_groups_benefit_expenditure(simulate, small_run):
    # unemployment insurance's job route (60% of its spells) twice as long: more full-time
    # persons on the benefit, so more payments, at the same rate
    longer = simulate(*SMALL, "event_log=false", "model.groups.adp.exits.job.mean_months=8.6")
    before = benefit_expenditure_dkk(small_run.cfg, small_run.counters)["adp"]
    after = benefit_expenditure_dkk(longer.cfg, longer.counters)["adp"]
    stock_before = small_run.counters.groups["adp"].stock_area
    stock_after = longer.counters.groups["adp"].stock_area
    assert stock_after > 1.05 * stock_before
    assert after > 1.05 * before
    assert after / before == pytest.approx(stock_after / stock_before)


def test_a_group_without_a_rate_is_left_out(small_run):
    cfg = small_run.cfg
    fewer = dataclasses.replace(cfg.model.benefits, groups={
        g: r for g, r in cfg.model.benefits.groups.items() if g != "ly"})
    cfg2 = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, benefits=fewer))
    by_group = benefit_expenditure_dkk(cfg2, small_run.counters)
    assert "ly" not in by_group and len(by_group) == len(GROUPS) - 1


def test_a_configuration_without_benefits_still_loads():
    cfg, _ = compose(list(SMALL))
    raw = dataclasses.asdict(cfg)
    del raw["model"]["benefits"]
    old = load(raw)
    assert old.model.benefits.groups == {}


# --------------------------------------------------------------------------- bad configuration
@pytest.mark.parametrize("override, fragments", [
    ("+model.benefits.groups.adq={statutory_dkk_per_year: 1}",
     ["'model.benefits.groups.adq'", "did you mean 'adp'", *GROUPS]),
    ("model.benefits.groups.adp.statutory_dkk_per_year=-5",
     ["'model.benefits.groups.adp.statutory_dkk_per_year' = -5", "must not be negative"]),
    ("model.benefits.groups.ly.paid_share=1.2",
     ["'model.benefits.groups.ly.paid_share' = 1.2", "[0, 1]"]),
    ("model.benefits.groups.adp.paid_shar=0.5",
     ["model.benefits.groups.adp.paid_shar", "did you mean 'paid_share'"]),
])
def test_a_bad_rate_is_a_one_line_error_with_exit_code_2(override, fragments, capsys):
    with pytest.raises(ConfigError) as exc:
        compose([override])
    for f in fragments:
        assert f in str(exc.value), (f, str(exc.value))
    with pytest.raises(SystemExit) as stop:
        cli_main([override])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert fragments[0] in err[0]


def test_a_group_name_outside_the_defaults_is_refused_when_the_config_is_built():
    # e.g. a scenario file or an older defaults file naming a group the model does not have
    cfg, _ = compose(list(SMALL))
    raw = dataclasses.asdict(cfg)
    raw["model"]["benefits"]["groups"] = {"dagpenge": {"statutory_dkk_per_year": 1.0}}
    with pytest.raises(ConfigError) as exc:
        load(raw)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith("unknown benefit group 'model.benefits.groups.dagpenge'; "
                              "valid groups: ")
    assert all(g in message for g in GROUPS)


# --------------------------------------------------------------------------- comparisons
def test_a_scenario_identical_to_the_baseline_changes_benefit_payments_by_zero():
    cfg, desc, base, base_desc = compose_comparison(["scenario=baseline_copy", *QUICK])
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=False, workers=1, log=None)
    table = comparison_table(exp.scenario_records, exp.baseline_records).set_index("figure")
    ids = ["benefit_dkk", *(f"benefit_dkk/{g}" for g in GROUPS)]
    for fid in ids:
        row = table.loc[fid]
        assert row["baseline_mean"] > 0, fid
        assert row["difference"] == 0 and row["half_width"] == 0, fid
        assert row["replications"] == 2, fid


def test_the_national_aggregate_sums_benefit_payments_by_weight():
    from sim.national import Member, aggregate, run_member

    cfg, _ = compose(["jobcenter=small", "horizon_days=90", "event_log=false"])
    out = run_member((Member("small", 0, 1.0, cfg), 0))
    agg = aggregate([dict(out, weight=2.0), dict(out, weight=3.0)], 90, 1428)
    h = out["headline"]
    assert h["benefit_dkk"] > 0
    assert agg["totals"]["benefit_dkk"] == pytest.approx(5 * h["benefit_dkk"])
    assert set(agg["benefit_dkk_by_group"]) == set(h["benefit_dkk_by_group"])
    for g, dkk in h["benefit_dkk_by_group"].items():
        assert agg["benefit_dkk_by_group"][g] == pytest.approx(5 * dkk)
