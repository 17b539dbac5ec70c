"""``python -m sim.plan`` on the model: bad input and impossible targets refused in one line,
a plan that meets its targets, also when simulated again with fresh seeds (docs/plan.md)."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from test_report_html import browser  # noqa: F401  (the headless Chromium fixture)
from sim.configure import compose
from sim.plan import cli
from sim.plan.evaluate import Evaluator, built_pools_of, measure, today
from sim.plan.targets import PlanSettings

# a small jobcenter over a short horizon: each staffing takes about a second to judge
QUICK = ["jobcenter=small", "horizon_days=150", "warmup_days=60", "plan.replications=3",
         "workers=1", "progress=false"]


def run_plan(args, capsys):
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("plan (")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("args, words", [
    (["plan.on_tme=0.9"], "unknown plan setting 'plan.on_tme'"),
    (["plan.on_time=1.5"], "valid 0 to 1"),
    (["plan.desk_wait_days=-2"], "positive number of days"),
    (["plan.replications=1"], "at least 2 replications"),
    (["plan.on_time_by_group.nobody=0.9"], "unknown benefit group"),
    (["plan.pools=[adp,nobody]"], "unknown pool 'nobody'"),
    (["jobcenter=nowhere"], "unknown jobcenter profile 'nowhere'"),
    (["scenario=no_such_scenario"], "unknown scenario"),
    (["--fast"], "unknown option '--fast'"),
    (["plan.out=/proc/plan"], "cannot be written"),
])
def test_bad_input_is_one_line_and_exit_2_before_anything_is_simulated(args, words, capsys,
                                                                       monkeypatch):
    monkeypatch.setattr(cli, "plan_side", lambda *a, **k: pytest.fail("a plan was searched"))
    code, out, err = run_plan(["jobcenter=small", *args], capsys)
    assert code == 2
    assert words in error_line(err)


def test_an_on_time_share_of_one_with_no_shows_is_impossible(capsys, monkeypatch):
    monkeypatch.setattr(cli, "plan_side", lambda *a, **k: pytest.fail("a plan was searched"))
    code, _, err = run_plan(["jobcenter=small", "plan.on_time=1"], capsys)
    assert code == 2
    assert "an on-time share of 1" in error_line(err) and "no_show_share" in err


def test_a_deadline_shorter_than_the_booking_lead_time_is_impossible(capsys, monkeypatch):
    """Sickness benefit category 2 is due every 28 days; booked 30 days ahead it is always late."""
    monkeypatch.setattr(cli, "plan_side", lambda *a, **k: pytest.fail("a plan was searched"))
    code, _, err = run_plan(["jobcenter=small", "model.talks.booking_lead_days=30"], capsys)
    assert code == 2
    line = error_line(err)
    assert "sdp_cat2" in line and "every 28 days" in line and "30 days ahead" in line
    # the same lead time is no problem once that group has no target
    monkeypatch.setattr(cli, "plan_side", lambda *a, **k: (_ for _ in ()).throw(
        KeyboardInterrupt))
    code, _, err = run_plan(["jobcenter=small", "model.talks.booking_lead_days=30",
                             "plan.on_time_by_group.sdp_cat2=0", "plan.on_time=0"], capsys)
    assert code == 130 and err.startswith("interrupted: ")


def test_a_target_no_staffing_reaches_is_found_in_two_runs_and_explained(capsys, tmp_path):
    """Desk work is handled when the day's desk hours end, so it waits part of a day however
    many staff there are: a mean wait of at most a few minutes cannot be met."""
    code, out, err = run_plan([*QUICK, "plan.pools=[adp]", "plan.desk_wait_days=0.001",
                               f"plan.out={tmp_path / 'plan'}"], capsys)
    assert code == 2
    runs = [ln for ln in err.splitlines() if ln.startswith("plan (baseline): run")]
    assert len(runs) == 2 and "(enough staff)" in runs[1]
    line = error_line(err)
    assert "cannot be met by staffing" in line and "pool adp" in line and "desk wait" in line
    assert not (tmp_path / "plan").exists()


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan") / "small"
    proc = subprocess.run([sys.executable, "-m", "sim.plan", *QUICK, "plan.pools=[adp,sickness]",
                           "plan.on_time=0.95", f"plan.out={folder}"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder, proc


def test_a_plan_writes_its_table_report_and_curves(small_plan):
    folder, proc = small_plan
    for name in ("plan.csv", "plan.md", "plan.html", "plan_curves.png", "plan_runs.json",
                 "run_info.json", "resolved_config.yaml"):
        assert (folder / name).is_file(), name
    table = pd.read_csv(folder / "plan.csv")
    assert list(table["pool"]) == list(today(compose(["jobcenter=small"])[0]))
    planned = table[table["planned"]]
    assert sorted(planned["pool"]) == ["adp", "sickness"]
    kept = table[~table["planned"]]
    assert (kept["needed"] == kept["today"]).all()
    assert (planned["difference"] == planned["needed"] - planned["today"]).all()
    md = (folder / "plan.md").read_text(encoding="utf-8")
    assert "| adp |" in md and "million DKK a year" in md and "plan_curves.png" in md
    info = json.loads((folder / "run_info.json").read_text(encoding="utf-8"))
    assert info["sides"][0]["status"] == "planned" and info["git_revision"]
    assert "Baseline: planned in" in proc.stdout


def test_the_plan_meets_every_target_in_its_runs_and_one_head_fewer_misses(small_plan):
    folder, _ = small_plan
    runs = json.loads((folder / "plan_runs.json").read_text(encoding="utf-8"))
    info = json.loads((folder / "run_info.json").read_text(encoding="utf-8"))
    plan = info["sides"][0]["plan"]
    at_plan = [r for r in runs if r["staffing"] == plan]
    assert at_plan and all(at_plan[-1]["verdicts"].values())
    for pool in ("adp", "sickness"):
        fewer = {**plan, pool: plan[pool] - 1}
        seen = [r for r in runs if r["staffing"][pool] == fewer[pool]
                and all(r["staffing"][q] >= plan[q] for q in ("adp", "sickness") if q != pool)]
        assert seen and not seen[-1]["verdicts"][pool], pool


def test_a_plan_simulated_again_with_fresh_seeds_meets_its_targets(small_plan):
    folder, _ = small_plan
    info = json.loads((folder / "run_info.json").read_text(encoding="utf-8"))
    plan = info["sides"][0]["plan"]
    cfg, _ = compose([a for a in QUICK if not a.startswith("plan.")] + ["seed=77",
                                                                         "event_log=false"])
    settings = PlanSettings(on_time=0.95, replications=4)
    evaluator = Evaluator(cfg, settings, workers=1)
    try:
        run = evaluator.evaluate(plan)
    finally:
        evaluator.close()
    for pool in ("adp", "sickness"):
        figures = run.pools[pool]
        for group, f in figures.on_time.items():
            assert f.mean >= 0.95, (pool, group, f)
        assert figures.desk_wait.mean <= 7.0, (pool, figures.desk_wait)


def test_pools_split_by_a_mechanism_are_judged_as_the_pool_they_came_from():
    cfg, _ = compose(["jobcenter=small", "scenario=d3_specialisation"])
    built = built_pools_of(cfg)
    assert set(built.values()) <= set(today(cfg))
    assert len(built) > len(today(cfg))


def test_a_pool_of_nobody_misses_its_desk_target():
    cfg, _ = compose(["jobcenter=small"])
    record = {"summary": [], "headline": {"pools": {}, "horizon_days": 150, "warmup_days": 60}}
    figures = measure(cfg, {"admin_staff": 0}, [record], PlanSettings(),
                      built_pools_of(cfg))
    assert not figures["admin_staff"].met


def test_a_country_is_planned_jobcenter_by_jobcenter_and_added_up_by_weight(tmp_path, capsys):
    """Two small jobcenters (drawn practice, each standing for 41 of the 82) are planned on
    their own; the country's head counts are their weighted sums."""
    only_small = [f"jobcenter.members.{m}=0" for m in ("copenhagen", "aarhus", "odense",
                                                        "aalborg", "large", "medium")]
    folder = tmp_path / "country"
    code, out, err = run_plan(["jobcenter=national_sample", *only_small, *QUICK[1:],
                               "plan.pools=[adp]", f"plan.out={folder}"], capsys)
    assert code == 0, err
    table = pd.read_csv(folder / "plan.csv")
    members = table[table["jobcenter"] != "country"]
    assert sorted(set(members["jobcenter"])) and set(members["weight"]) == {41.0}
    country = table[table["jobcenter"] == "country"].set_index("pool")
    for column in ("today", "needed"):
        weighted = (members[column] * members["weight"]).groupby(members["pool"]).sum()
        assert country[column].to_dict() == pytest.approx(weighted.to_dict())
    assert "The country needs" in (folder / "plan.md").read_text(encoding="utf-8")
    assert len(list(folder.glob("plan_curves_*.png"))) == 2
    # the head counts are those the model builds: a drawn centre's fitted staff
    info = json.loads((folder / "run_info.json").read_text(encoding="utf-8"))
    assert all(side["today"]["adp"] > 0 for side in info["sides"])


def test_ctrl_c_ends_a_plan_with_one_line_and_exit_130_keeping_the_finished_replications(
        tmp_path):
    import os
    import signal

    folder = tmp_path / "plan"
    env = dict(os.environ, SIM_BASELINE_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "sim.plan", *QUICK, "plan.pools=[adp]",
                             f"plan.out={folder}"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stderr:
            if line.startswith("plan (baseline): run 1"):
                break
        else:
            pytest.fail("the plan ended before its first run: " + proc.stdout.read())
        os.killpg(proc.pid, signal.SIGINT)            # as a terminal's Ctrl-C does
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("plan (")]
    assert len(lines) == 1 and lines[0].startswith("interrupted: "), err
    assert "Traceback" not in err
    assert not folder.exists()
    assert len(list((tmp_path / "cache").rglob("rep_*.json"))) >= 3    # run 1's replications


def test_the_plan_page_is_self_contained_and_loads_in_chromium(small_plan, request):
    import re

    folder, _ = small_plan
    page = folder / "plan.html"
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    images = re.findall(r"<img [^>]*src='([^']+)'", text)
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    from test_report_html import load_page

    browser = request.getfixturevalue("browser")     # skipped without Chromium
    shown, errors, title = load_page(browser, page)
    assert errors == [], errors
    assert title == "Staffing plan: small"
    assert len(shown) == 1 and shown[0]["complete"] and shown[0]["width"] > 0
    rows = browser.script("return document.querySelectorAll('table tbody tr').length;")
    assert rows == 7                                   # six pools and the total
