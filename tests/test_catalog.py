"""``python -m sim.catalog``: the whole catalog, resumably, into one table.

A small catalog (the small jobcenter, 120 days after a 30-day warm-up, two replications) of three
QB14 scenarios and a composite of them, ``qb14_trio``, runs in this process: it is interrupted
after the first scenario (a Ctrl-C raised from inside the second), resumed without running the
first again, and run a third time, when nothing is left to run. Its table must equal the single
runs' comparisons with the same seeds, and the composite's overlap that of ``python -m sim
scenario=qb14_trio``. Bad input stops with one line and exit code 2 before anything is
simulated. Baselines are cached in the session's folder (``conftest.py``).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.configure as configure
import sim.experiment as experiment
from sim import catalog
from sim.catalog import main
from sim.catalog_report import CSV, HTML, MARKDOWN
from sim.figures import capacity_freed, comparison_table

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMALL = ["jobcenter=small", "horizon_days=120", "warmup_days=30", "replications=2",
         "workers=1", "progress=false"]
TRIO = ["a1_flex", "c2_shared_caseload", "e3_letters"]
COMPOSITE = "qb14_trio"
SELECTION = ["--only", ",".join([*TRIO, COMPOSITE])]
FIGURES = ("operating_cost", "benefit_dkk", "spell_days", "on_time_share", "rehab_wait_days")


def _run(argv: list[str]) -> tuple[int, str, str]:
    """``python -m sim.catalog argv`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory):
    """The project's scenarios, the composite ``qb14_trio`` of the three, and ``a0_broken`` (a
    QB14-named scenario whose value the schema refuses)."""
    folder = tmp_path_factory.mktemp("scenarios")
    for path in configure.SCENARIO_DIR.glob("*.yaml"):
        shutil.copy(path, folder)
    (folder / f"{COMPOSITE}.yaml").write_text(yaml.safe_dump({
        "description": {"title": "Three QB14 proposals together", "assumptions": []},
        "compose": TRIO}), encoding="utf-8")
    (folder / "a0_broken.yaml").write_text(yaml.safe_dump({
        "description": {"title": "A0 broken"},
        "changes": {"model": {"groups": {"adp": {"no_show_share": 1.5}}}}}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(configure, "SCENARIO_DIR", folder)
        yield folder


@pytest.fixture(scope="module")
def run(scenario_dir, tmp_path_factory):
    """The small catalog, run three times into one folder: interrupted in its second scenario,
    resumed, and once more. Returns what each pass did and the folder after each."""
    out = tmp_path_factory.mktemp("catalog") / "small"
    argv = [*SELECTION, "--out", str(out), *SMALL]
    real = experiment.run_experiment
    passes = []
    for interrupt_at in (2, None, None):
        calls: list[str] = []

        def counting(*args, **kwargs):
            calls.append(kwargs.get("label"))
            if len(calls) == interrupt_at:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(experiment, "run_experiment", counting)
            code, stdout, stderr = _run(argv)
        runs = out / catalog.RUNS
        passes.append({
            "code": code, "stdout": stdout, "stderr": stderr, "calls": list(calls),
            "runs": sorted(p.name for p in runs.iterdir()) if runs.is_dir() else [],
            "csv": pd.read_csv(out / CSV), "md": (out / MARKDOWN).read_text(encoding="utf-8"),
            "mtimes": {p.name: (p / catalog.ENTRY).stat().st_mtime_ns
                       for p in runs.iterdir() if (p / catalog.ENTRY).is_file()},
            "lock": (out / catalog.LOCK).exists()})
    return out, passes


# --------------------------------------------------------------------------- resuming
@pytest.mark.slow
def test_an_interrupted_catalog_keeps_what_finished_and_resumes_without_rerunning_it(run):
    out, (first, second, third) = run
    assert first["code"] == 130
    lines = first["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted: "), first["stderr"]
    assert "c2_shared_caseload was removed" in lines[0] and str(out) in lines[0]
    assert first["runs"] == ["a1_flex"]                          # no partial folder left
    assert list(first["csv"]["scenario"]) == ["a1_flex"]         # the table of what is done
    assert not first["lock"]
    assert second["code"] == 0, second["stderr"]
    assert second["calls"] == ["c2_shared_caseload", "e3_letters", COMPOSITE]
    assert second["mtimes"]["a1_flex"] == first["mtimes"]["a1_flex"]    # not run again
    assert sorted(second["runs"]) == sorted([*TRIO, COMPOSITE])
    assert third["code"] == 0 and third["calls"] == []
    assert third["mtimes"] == second["mtimes"]
    assert "4 of 4 selected scenarios finished (0 run now)" in third["stdout"]


def test_every_scenario_folder_is_a_complete_run_folder_of_the_single_run(run):
    out, _ = run
    for name in [*TRIO, COMPOSITE]:
        folder = out / catalog.RUNS / name
        for f in ("report.html", "comparison.csv", "run_info.json", catalog.ENTRY):
            assert (folder / f).is_file(), (name, f)
        info = json.loads((folder / "run_info.json").read_text(encoding="utf-8"))
        assert info["command"].startswith(f"python -m sim scenario={name} jobcenter=small")
        assert info["command"].endswith("sensitivity=false overlap=false")


# --------------------------------------------------------------------------- the figures
@pytest.mark.slow
def test_the_tables_figures_equal_the_single_runs_with_the_same_seeds(run, scenario_dir):
    out, passes = run
    table = passes[-1]["csv"].set_index("scenario")
    for name in TRIO:
        cfg, desc, base, base_desc = experiment.compose_comparison(
            [f"scenario={name}", *SMALL, "event_log=false", "sensitivity=false"])
        exp = experiment.run_experiment(cfg, desc, base, base_desc, workers=1, log=None)
        row = table.loc[name]
        freed = capacity_freed(exp.scenario_records, exp.baseline_records)
        assert row["capacity_freed_fte"] == pytest.approx(freed["fte"].mean, rel=1e-12)
        assert row["capacity_freed_dkk_ci_low"] == pytest.approx(freed["dkk"].low, rel=1e-12)
        single = comparison_table(exp.scenario_records, exp.baseline_records).set_index("figure")
        for fid in FIGURES:
            for ours, theirs in (("difference", "difference"), ("ci_low", "ci_low"),
                                 ("ci_high", "ci_high"), ("baseline", "baseline_mean")):
                expected = single.loc[fid, theirs]
                got = row[f"{fid}_{ours}"]
                if pd.isna(expected):
                    assert pd.isna(got), (name, fid, ours)
                else:
                    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), (name, fid)
        assert row["replications"] == exp.replications == 2


@pytest.mark.slow
def test_a_row_equals_the_front_doors_comparison_csv(run, tmp_path):
    out, passes = run
    run_dir = tmp_path / "single"
    proc = subprocess.run([sys.executable, "-m", "sim", "scenario=c2_shared_caseload", *SMALL,
                           "sensitivity=false", f"hydra.run.dir={run_dir}"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    single = pd.read_csv(run_dir / "comparison.csv").set_index("figure")
    row = passes[-1]["csv"].set_index("scenario").loc["c2_shared_caseload"]
    for fid in ("operating_cost", "spell_days", "on_time_share"):
        assert row[f"{fid}_difference"] == pytest.approx(single.loc[fid, "difference"],
                                                         rel=1e-12, abs=1e-12)
        assert row[f"{fid}_ci_high"] == pytest.approx(single.loc[fid, "ci_high"], rel=1e-12,
                                                      abs=1e-12)


def test_the_table_is_ranked_by_capacity_freed_with_an_interval_on_every_figure(run):
    _, passes = run
    csv = passes[-1]["csv"]
    assert list(csv["rank"]) == list(range(1, len(csv) + 1))
    dkk = list(csv["capacity_freed_dkk"])
    assert dkk == sorted(dkk, reverse=True)
    for fid in ("capacity_freed_fte", "capacity_freed_dkk"):
        assert (csv[f"{fid}_ci_low"] <= csv[fid]).all()
        assert (csv[fid] <= csv[f"{fid}_ci_high"]).all()
    md = passes[-1]["md"]
    table = md.split("## Ranked by capacity freed", 1)[1].split("\n\n")[2].splitlines()
    assert len(table) == 2 + len(csv)
    for line, name in zip(table[2:], csv["scenario"]):
        assert f"(`{name}`)" in line
        assert line.count(" to ") >= 7                   # every figure with its interval


# --------------------------------------------------------------------------- the overlap
def test_the_overlap_waits_for_its_components_and_says_which(run):
    _, (first, *_) = run
    section = first["md"].split("the overlap of", 1)[1]
    assert "is not available" in section
    assert "c2_shared_caseload, e3_letters, qb14_trio have not finished yet" in section


@pytest.mark.slow
def test_the_overlap_equals_the_composites_own_run(run, scenario_dir):
    from sim.overlap import compose_components, load_overlap, run_overlap

    out, passes = run
    cfg, desc, base, base_desc = experiment.compose_comparison(
        [f"scenario={COMPOSITE}", *SMALL, "event_log=false", "sensitivity=false"])
    exp = experiment.run_experiment(cfg, desc, base, base_desc, workers=1, log=None)
    components = compose_components([f"scenario={COMPOSITE}", *SMALL, "event_log=false",
                                     "sensitivity=false"], desc)
    expected = run_overlap(exp, components, workers=1).table.set_index("row")
    ours = load_overlap(out).set_index("row")
    assert list(ours.index) == list(expected.index) == [*TRIO, "sum", "joint", "overlap"]
    for column in expected.columns:
        if column in ("label", "scenario"):
            continue
        pd.testing.assert_series_equal(ours[column].astype(float),
                                       expected[column].astype(float), rtol=1e-12,
                                       check_names=False)
    md = passes[-1]["md"]
    assert "## All together and one at a time: the overlap of Three QB14 proposals together" in md
    assert "all 4 runs (the composite and its 3 proposals) hold the same 2 replications" in md
    assert (f"`python -m sim scenario={COMPOSITE} horizon_days=120 jobcenter=small "
            "warmup_days=30 replications=2 sensitivity=false overlap=true` gives the same table") in md
    assert "All together, the 3 proposals" in md


def test_the_overlap_uses_the_replications_all_runs_have_in_common(run, tmp_path):
    from sim.figures import freed_fte
    from sim.overlap import load_overlap

    out, _ = run
    copy = _copy_of(out, tmp_path)
    for side in ("scenario", "baseline"):              # e3_letters alone: one replication
        (copy / catalog.RUNS / "e3_letters" / "replications" / side / "rep_1.json").unlink()
    code, _, err = _run([*SELECTION, "--out", str(copy), *SMALL])
    assert code == 0, err
    table = load_overlap(copy).set_index("row")
    assert (table["replications"] == 1).all()
    joint = [json.loads((copy / catalog.RUNS / COMPOSITE / "replications" / side
                         / "rep_0.json").read_text(encoding="utf-8"))
             for side in ("scenario", "baseline")]
    assert table.loc["joint", "capacity_freed_fte"] == pytest.approx(freed_fte(*joint),
                                                                     rel=1e-12)
    md = (copy / MARKDOWN).read_text(encoding="utf-8")
    assert "the runs hold 1 to 2 replications" in md
    assert "uses the 1 they all have in common" in md


# --------------------------------------------------------------------------- the page
def test_catalog_html_is_one_self_contained_file_with_the_chart(run):
    out, _ = run
    html = (out / HTML).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert not re.search(r"(src|href)\s*=\s*\"(https?:|//)", html)
    images = re.findall(r"<img [^>]*src=\"([^\"]+)\"", html)
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    assert html.count("<table>") == 2                    # the ranking and the overlap


def test_catalog_html_loads_in_chromium_without_errors(run):
    from test_report_html import CHROMIUM, WebDriver, load_page

    driver = shutil.which("chromedriver")
    if not Path(CHROMIUM).exists() or driver is None:
        pytest.skip(f"headless browser test needs {CHROMIUM} and chromedriver")
    import tempfile

    out, _ = run
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = WebDriver(driver, CHROMIUM, profile)
        try:
            images, errors, title = load_page(browser, out / HTML)
        finally:
            browser.close()
    assert errors == [], errors
    assert title.startswith("Scenario catalog: 4 scenarios")
    assert len(images) == 1 and images[0]["complete"] and images[0]["width"] > 0


# --------------------------------------------------------------------------- bad input
def _one_line_error(code: int, stderr: str, *fragments: str) -> str:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


@pytest.fixture()
def no_simulation(monkeypatch):
    """Fail the test if anything is simulated."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("simulated despite bad input")
    monkeypatch.setattr(experiment, "run_experiment", refuse)


@pytest.mark.parametrize("argv, fragments", [
    (["--only", "a1_flx"], ["unknown scenario 'a1_flx'", "did you mean 'a1_flex'"]),
    (["--only", "baseline"], ["'baseline' is not in the catalog"]),
    (["--only", "meetings_fortnightly"], ["not in the catalog", "not a proposal"]),
    (["--only", "cph_k_kasse", "--source", "QB14"], ["CPH scenario, not QB14"]),
    (["--source", "QB15"], ["unknown source 'QB15'", "QB14, CPH, DA22, VIVE20"]),
    (["scenario=a1_flex"], ["--only"]),
    (["--only", "a1_flex", "seedx=3"], ["unknown key 'seedx'", "did you mean 'seed'"]),
    (["--only", "a1_flex,a0_broken"], ["scenario a0_broken", "no_show_share", "[0, 1]"]),
    (["--frobnicate"], ["--frobnicate"]),
], ids=["unknown", "baseline", "a_check", "other_source", "unknown_source", "scenario_key",
        "misspelt_key", "bad_composition", "unknown_option"])
def test_bad_input_is_one_line_exit_2_before_anything_runs(scenario_dir, no_simulation,
                                                           tmp_path, argv, fragments):
    out = tmp_path / "catalog"
    code, _, err = _run([*argv, "--out", str(out), *SMALL])
    _one_line_error(code, err, *fragments)
    assert not out.exists()


def test_an_unwritable_folder_is_one_line_exit_2(no_simulation):
    code, _, err = _run(["--only", "a1_flex", "--out", "/proc/sim-catalog-test/out", *SMALL])
    _one_line_error(code, err, "/proc/sim-catalog-test/out", "cannot be written", "--out")


def _copy_of(out: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    return copy


def _snapshot(folder: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize("change, fragments", [
    (lambda s: s.update(code_version="0" * 64), ["another version of the simulator's code",
                                                 "--out DIR", "delete"]),
    (lambda s: s.update(conf_version="0" * 64), ["other configuration files"]),
    (lambda s: s["settings"].update(replications="3"),
     ["other settings", "replications=3 there, 2 here"]),
], ids=["code_version", "conf_version", "settings"])
def test_a_catalog_folder_of_another_version_or_settings_is_refused(run, no_simulation,
                                                                    tmp_path, change, fragments):
    out, _ = run
    copy = _copy_of(out, tmp_path)
    saved = json.loads((copy / catalog.SETTINGS).read_text(encoding="utf-8"))
    change(saved)
    (copy / catalog.SETTINGS).write_text(json.dumps(saved), encoding="utf-8")
    before = _snapshot(copy)
    code, _, err = _run([*SELECTION, "--out", str(copy), *SMALL])
    _one_line_error(code, err, str(copy), *fragments)
    assert _snapshot(copy) == before                     # not a file touched


def test_a_scenario_whose_file_changed_since_it_ran_is_refused(run, no_simulation, tmp_path):
    out, _ = run
    copy = _copy_of(out, tmp_path)
    entry = copy / catalog.RUNS / "e3_letters" / catalog.ENTRY
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["scenario_version"] = "0" * 64
    entry.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = _run([*SELECTION, "--out", str(copy), *SMALL])
    _one_line_error(code, err, "scenario e3_letters", "changed since it ran", "delete")


def test_a_folder_in_use_or_not_a_catalog_is_refused(run, no_simulation, tmp_path):
    out, _ = run
    copy = _copy_of(out, tmp_path)
    (copy / catalog.LOCK).write_text(json.dumps({"pid": os.getpid(),
                                                 "host": __import__("socket").gethostname()}))
    code, _, err = _run([*SELECTION, "--out", str(copy), *SMALL])
    _one_line_error(code, err, "another catalog run", str(os.getpid()))
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("mine", encoding="utf-8")
    code, _, err = _run(["--only", "a1_flex", "--out", str(other), *SMALL])
    _one_line_error(code, err, "not a catalog folder")
    assert sorted(p.name for p in other.iterdir()) == ["mine.txt"]


def test_a_stale_lock_of_an_ended_process_is_taken_over(run, tmp_path):
    out, _ = run
    copy = _copy_of(out, tmp_path)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True).stdout.strip()
    (copy / catalog.LOCK).write_text(json.dumps({"pid": int(ended),
                                                 "host": __import__("socket").gethostname()}))
    code, stdout, err = _run([*SELECTION, "--out", str(copy), *SMALL])
    assert code == 0, err
    assert "(0 run now)" in stdout and not (copy / catalog.LOCK).exists()


@pytest.mark.slow
def test_code_that_changes_while_the_catalog_runs_stops_it_and_keeps_what_finished(
        run, tmp_path, monkeypatch):
    out, _ = run
    copy = _copy_of(out, tmp_path)
    for name in ("e3_letters", COMPOSITE):                     # still to run
        shutil.rmtree(copy / catalog.RUNS / name)
    real = experiment.run_experiment

    def edit_then_run(*args, **kwargs):          # sim/ is edited once e3_letters has started
        monkeypatch.setattr(experiment, "code_version", lambda *_a: "1" * 64)
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "run_experiment", edit_then_run)
    code, _, err = _run([*SELECTION, "--out", str(copy), *SMALL])
    _one_line_error(code, err, "scenario e3_letters", "code (sim/) changed while the catalog "
                    "was running", "kept")
    assert sorted(p.name for p in (copy / catalog.RUNS).iterdir()) == ["a1_flex",
                                                                        "c2_shared_caseload"]
    assert not (copy / catalog.LOCK).exists()


# --------------------------------------------------------------------------- settings
def test_the_default_folder_is_stable_and_tied_to_the_settings():
    a = catalog.settings_of(["jobcenter=small", "replications=2", "seed=7"])
    b = catalog.settings_of(["seed=7", "replications=2", "jobcenter=small", "workers=1",
                             "progress=false"])
    assert catalog.default_folder(a) == catalog.default_folder(b) \
        == Path("outputs/catalog/small+replications=2+seed=7")
    assert catalog.default_folder(catalog.settings_of(["jobcenter=small"])) \
        == Path("outputs/catalog/small")
    assert catalog.default_folder(catalog.settings_of(["jobcenter=small", "seed=8"])) \
        != catalog.default_folder(a)
    assert catalog.settings_of([])["event_log"] == "false"          # the catalog's default
    assert catalog.settings_of(["seed=1", "seed=2"])["seed"] == "2"


def test_the_catalog_is_every_proposal_and_no_check_of_the_model():
    entries = catalog.catalog()
    assert "baseline" not in entries and "baseline_copy" not in entries
    assert "meetings_fortnightly" not in entries and "talk_cadence" not in entries
    assert entries["qb14_all"] == "QB14" and entries["cph_k_kasse"] == "CPH"
    assert entries["da_free_choice"] == "DA22" and entries["vive_health_wait"] == "VIVE20"
    names = list(entries)
    qb14 = [n for n in names if entries[n] == "QB14"]
    composite = [catalog.is_composite(n) for n in qb14]
    assert composite == sorted(composite)              # after the proposals they compose
    assert set(configure.load_scenario("qb14_all")["compose"]) <= set(qb14)
    assert len(names) == len(configure.scenarios()) - len(catalog.NOT_IN_CATALOG)
    assert set(catalog.NOT_IN_CATALOG) <= set(configure.scenarios())


def test_help_is_short(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "--only" in text and "--source" in text and "--out" in text
    assert len(text.splitlines()) < 25


# --------------------------------------------------------------------------- Ctrl-C
@pytest.mark.slow
def test_ctrl_c_in_a_real_process_keeps_the_finished_scenario_and_removes_the_running_one(
        tmp_path):
    out = tmp_path / "catalog"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.catalog", "--only", ",".join(TRIO), "--out", str(out),
         *[a for a in SMALL if a != "workers=1"], "replications=4", "workers=2"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stdout:
            if line.startswith("a1_flex: capacity freed"):
                break
        else:
            pytest.fail("the catalog ended before its first scenario finished: "
                        + proc.stderr.read()[-2000:])
        time.sleep(0.5)                                   # into the second scenario
        t0 = time.perf_counter()
        os.killpg(proc.pid, signal.SIGINT)                # as a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)
        seconds = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("catalog: ")]
    assert len(lines) == 1 and lines[0].startswith("interrupted: "), err[-2000:]
    assert sorted(p.name for p in (out / catalog.RUNS).iterdir()) == ["a1_flex"]
    assert list(pd.read_csv(out / CSV)["scenario"]) == ["a1_flex"]
    assert not (out / catalog.LOCK).exists()
    assert seconds < 20


@pytest.mark.slow
def test_a_national_catalog_row_is_the_national_comparison(tmp_path):
    """At national scale each row is Denmark's paired comparison (docs/national.md)."""
    quick = ["jobcenter=national_sample", "horizon_days=30", "warmup_days=0", "replications=2",
             "progress=false"]
    out = tmp_path / "national"
    code, _, err = _run(["--only", "a1_flex", "--out", str(out), *quick])
    assert code == 0, err
    row = pd.read_csv(out / CSV).iloc[0]
    cfg, desc, base, base_desc = experiment.compose_comparison(
        ["scenario=a1_flex", *quick, "event_log=false", "sensitivity=false", "overlap=false"])
    exp = experiment.run_experiment(cfg, desc, base, base_desc, log=None)
    assert exp.baseline_records[0]["headline"]["jobcenters"] == 94
    freed = capacity_freed(exp.scenario_records, exp.baseline_records)
    assert row["capacity_freed_fte"] == pytest.approx(freed["fte"].mean, rel=1e-12)
    assert (out / "runs" / "a1_flex" / "by_size_class.csv").is_file()
