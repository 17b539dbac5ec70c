"""The first screen of the comparison report and what it says was run.

* The report lists every setting that differs from ``conf/`` and the scenario file, and writes
  the scenario's assumptions with the values the run used (``sim.settings_diff``).
* It opens with a bottom line a reader can quote (capacity freed in FTE and DKK with its 95%
  interval, talks, on-time share, time on benefit, and what the operating cost means), and gives
  the groups the scenario targets their own figures.
* The cost waterfall colours each line's change by what it means: capacity freed, taken up by
  elastic work, left idle, or money the jobcenter pays.
"""
from __future__ import annotations

import dataclasses
import re

import pytest

from sim.compare import RunData
from sim.comparison_report import line_role, waterfall_steps
from sim.configure import compose, scenarios
from sim.experiment import compose_comparison, run_experiment, write_experiment
from sim.figures import cost_line_differences
from sim.settings_diff import (MISSING, PLACEHOLDER, changed_settings, reference_config,
                               render, render_assumptions, run_choices)

OVERRIDES = ["mechanisms.postponement.pending_information_share=0.5",
             "model.groups.adp.no_show_share=0.2"]


def _config(*overrides: str) -> dict:
    cfg, _ = compose(list(overrides))
    return dataclasses.asdict(cfg)


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize("args", [["scenario=a1_flex"],
                                  ["scenario=cph_group_booking", "jobcenter=small"]])
def test_the_reference_is_what_hydra_composes_without_overrides(args):
    config = _config(*args)
    assert reference_config(config["scenario"], run_choices(config)) == config


def test_a_run_without_overrides_changes_no_setting():
    assert changed_settings(_config("scenario=a1_flex")) == []


def test_every_override_is_listed_with_its_old_value_and_where_it_came_from():
    config = _config("scenario=a1_flex", "jobcenter=small", *OVERRIDES, "replications=3")
    by_path = {s.path: s for s in changed_settings(config)}
    assert set(by_path) == {"jobcenter", "mechanisms.postponement.pending_information_share",
                            "model.groups.adp.no_show_share", "replications"}
    share = by_path["mechanisms.postponement.pending_information_share"]
    assert (share.reference, share.value, share.source) == (0.3, 0.5, "scenario file")
    no_show = by_path["model.groups.adp.no_show_share"]
    assert no_show.value == 0.2 and no_show.source == "conf/" and no_show.reference != 0.2
    assert by_path["jobcenter"].reference == "medium" and by_path["jobcenter"].value == "small"
    assert by_path["replications"].run_control


def test_a_mechanism_switched_on_by_override_is_one_setting():
    config = _config("scenario=a1_flex", "mechanisms.central_booking.team=true")
    [setting] = changed_settings(config)
    assert setting.path == "mechanisms.central_booking" and setting.reference is MISSING


def test_an_auto_warmup_is_shown_as_auto():
    config = _config("scenario=a1_flex")
    config["warmup_days"] = 91
    [setting] = changed_settings(config, warmup={"setting": "auto", "days": 91})
    assert setting.value == "auto (91 days)"


# --------------------------------------------------------------------------- assumption texts
@pytest.mark.parametrize("name", scenarios())
def test_every_scenario_renders_its_assumptions(name):
    cfg, desc = compose([f"scenario={name}"])
    config = dataclasses.asdict(cfg)
    for text in desc.get("assumptions") or []:
        out = render(text, config, reference_config(name, run_choices(config)))
        assert not PLACEHOLDER.search(out) and "{" not in out, out
        assert "Changed for this run" not in out


def test_an_assumption_shows_the_value_run_and_marks_the_change():
    cfg, desc = compose(["scenario=a1_flex", OVERRIDES[0]])
    config = dataclasses.asdict(cfg)
    ref = reference_config("a1_flex", run_choices(config))
    first = render_assumptions(desc["assumptions"], config, ref)[0]
    assert first.startswith("Share of due talks with pending information: 50% (assumption")
    assert "Changed for this run; the scenario file has 30%." in first
    plain = render_assumptions(desc["assumptions"], _config("scenario=a1_flex"), ref)[0]
    assert "30%" in plain and "Changed" not in plain


def test_a_default_changed_under_an_assumption_is_named_as_the_default():
    cfg, desc = compose(["scenario=cph_group_booking", "model.groups.adp.no_show_share=0.2"])
    config = dataclasses.asdict(cfg)
    texts = render_assumptions(desc["assumptions"], config,
                               reference_config("cph_group_booking", run_choices(config)))
    [no_show] = [t for t in texts if t.startswith("No-shows")]
    assert "(20% ADP, 10% KTH job-ready)" in no_show and "the default is 5%" in no_show


# --------------------------------------------------------------------------- the report
@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A short a1_flex comparison with two overrides, written as a run directory."""
    out = tmp_path_factory.mktemp("first_screen")
    args = ["scenario=a1_flex", "horizon_days=60", "warmup_days=14", "replications=2",
            "event_log=false", "progress=false", *OVERRIDES]
    cfg, desc, base, base_desc = compose_comparison(args)
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=False, workers=1, log=None)
    write_experiment(out, exp)
    return out, (out / "report.md").read_text(encoding="utf-8"), \
        (out / "report.html").read_text(encoding="utf-8")


def test_the_report_lists_the_overrides_in_markdown_and_html(report):
    _, md, html = report
    row = "| `mechanisms.postponement.pending_information_share` | `0.3` (scenario file) | `0.5` |"
    assert row + " the scenario only |" in md
    assert "| `model.groups.adp.no_show_share` | `0.05` (`conf/`) | `0.2` | the scenario and " \
           "the baseline |" in md
    top = md.split("## In brief", 1)[0]
    assert "`model.groups.adp.no_show_share` 0.05 → 0.2" in top
    for text in ("<code>mechanisms.postponement.pending_information_share</code>",
                 "<code>model.groups.adp.no_show_share</code>"):
        assert text in html
    assert "Share of due talks with pending information: 50%" in md
    assert "pending information: 30%" not in md.replace("the scenario file has 30%", "")
    assert "Share of due talks with pending information: 50%" in html


def test_the_report_opens_with_a_quotable_bottom_line(report):
    _, md, html = report
    lines = [ln for ln in md.splitlines() if ln.strip()]
    assert lines[1].startswith("**Bottom line.** In a mid-size jobcenter, A1 frees ")
    bottom = lines[1]
    assert re.search(r"frees \d+\.\d+ FTE of (caseworker|staff) time \(95% CI ", bottom)
    assert re.search(r"worth DKK [\d,.]+( million)? a year at the wage cost", bottom)
    assert "fewer talks" in bottom and "held on time" in bottom
    assert "time on benefit" in bottom and "staff are paid whether busy or not" in bottom
    # the first money figure is the value of capacity freed, not operating cost
    first_dkk = md.index("DKK")
    assert md.index("worth DKK") == first_dkk - len("worth ")
    assert "→ DKK" not in md.split("## Where the freed time went", 1)[0]
    body = html.split("<body>", 1)[1]
    assert body.index('<p class="lead">') < body.index("<h2>")
    assert body.index("<h1>") < body.index('<p class="lead">')


def test_the_target_groups_have_their_own_figures(report):
    _, md, _ = report
    brief = md.split("## In brief", 1)[1].split("\n## ", 1)[0]
    assert "**The groups the scenario targets**" in brief
    for label in ("Unemployment insurance", "Sickness benefit, category 2"):
        for figure in ("On time", "Talks held", "Mean spell"):
            assert f"| {figure}: {label} |" in brief, (figure, label)
    assert "category 1 |" not in brief


def test_the_waterfall_colours_lines_by_what_their_change_means(report):
    out, md, _ = report
    run = RunData.load(out)
    steps = waterfall_steps(run)
    diffs = cost_line_differences(run.scenario, run.baseline)
    assert steps["difference"].sum() == pytest.approx(diffs["difference"].sum(), abs=1.0)
    roles = dict(zip(steps["line"], steps["role"]))
    assert roles.get("Caseworker: talk") == "freed"
    assert "green bars are required work the scenario no longer needs (capacity freed)" in md
    assert (out / "cost_waterfall.png").stat().st_size > 10_000


def test_line_roles():
    elastic = {"caseworker/extra_talk"}
    assert line_role("caseworker/talk", -5.0, elastic) == "freed"
    assert line_role("caseworker/talk", 5.0, elastic) == "more_required"
    assert line_role("caseworker/extra_talk", 5.0, elastic) == "elastic_up"
    assert line_role("caseworker/unused_capacity", 5.0, elastic) == "idle_up"
    assert line_role("purchases/follow_up_certificates", -5.0, elastic) == "cost_down"
    assert line_role("caseworker/meetings_training_breaks", 5.0, elastic) == "cost_up"
    # the same caseworkers with fewer breaks: the time is freed, not money saved
    assert line_role("caseworker/breaks", -5.0, elastic, {"caseworker"}) == "freed"
