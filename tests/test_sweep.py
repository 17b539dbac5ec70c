"""Parameter sweeps (sim/sweep.py): points named by their own overrides, every point checked
before any runs, one baseline for a sweep over a scenario's setting, a summary, resume."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.sweep import label, points, short_names, swept_keys

ROOT = Path(__file__).resolve().parent.parent
SHARE = "mechanisms.postponement.pending_information_share"
SWEEP = ["-m", "scenario=a1_flex", "jobcenter=small", "replications=2", "warmup_days=30",
         "horizon_days=60", "event_log=false", "progress=false", f"{SHARE}=0.1,0.3,0.5"]


def test_points_are_the_cartesian_product_in_hydras_order():
    pts = points(["scenario=a1_flex", "seed=1,2", "model.groups.adp.no_show_share=0.1,0.2"])
    assert len(pts) == 4
    assert swept_keys(pts) == ["seed", "model.groups.adp.no_show_share"]


def test_a_point_is_named_by_the_last_part_of_its_keys_unless_two_clash():
    assert short_names(["model.groups.adp.no_show_share"]) == {
        "model.groups.adp.no_show_share": "no_show_share"}
    assert set(short_names(["model.groups.adp.no_show_share",
                            "model.groups.ly.no_show_share"]).values()) == {
        "adp.no_show_share", "ly.no_show_share"}
    assert label({"model.groups.adp.no_show_share": "0.1", "seed": "3"}) == \
        "no_show_share=0.1,seed=3"


def _sim(args, cwd, cache):
    env = {**os.environ, "SIM_BASELINE_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("sweep")
    run = _sim(SWEEP, cwd, cwd / "cache")
    assert run.returncode == 0, run.stderr[-2000:]
    (folder,) = (cwd / "multirun").iterdir()
    return cwd, folder, run


def test_a_three_point_sweep_writes_one_row_per_point_and_its_charts(sweep):
    _, folder, _ = sweep
    names = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert names == [f"{i}_pending_information_share={v}" for i, v in enumerate(("0.1", "0.3", "0.5"))]
    table = pd.read_csv(folder / "sweep.csv")
    assert len(table) == 3
    assert list(table[SHARE]) == [0.1, 0.3, 0.5]
    for col in ("on_time_share", "on_time_share:difference", "on_time_share:ci_low",
                "operating_cost:ci_high"):
        assert table[col].notna().all(), col
    assert (folder / "sweep_on_time_share.png").stat().st_size > 5000
    page = (folder / "sweep.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 3 and "pending_information_share" in page


def test_each_point_records_its_own_overrides_and_title(sweep):
    _, folder, _ = sweep
    point = folder / "1_pending_information_share=0.3"
    info = json.loads((point / "run_info.json").read_text(encoding="utf-8"))
    assert info["sweep_point"] == {SHARE: "0.3"}
    assert "(pending_information_share=0.3)" in (point / "report.md").read_text(encoding="utf-8")


def test_a_sweep_over_a_scenarios_setting_computes_the_baseline_once(sweep):
    _, folder, _ = sweep
    reused = [json.loads((p / "run_info.json").read_text())["baseline_cache"]["reused"]
              for p in sorted(folder.iterdir()) if p.is_dir()]
    assert reused == [0, 2, 2]


def test_the_same_command_again_skips_every_finished_point(sweep):
    cwd, folder, _ = sweep
    before = (folder / "0_pending_information_share=0.1" / "metrics.json").stat().st_mtime_ns
    again = _sim(SWEEP, cwd, cwd / "cache")
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("finished in an earlier run, skipped") == 3
    assert (folder / "0_pending_information_share=0.1" / "metrics.json").stat().st_mtime_ns == before
    assert len(list((cwd / "multirun").iterdir())) == 1


@pytest.mark.slow
def test_an_unfinished_point_is_run_again_from_a_clean_folder(sweep, tmp_path):
    cwd, folder, _ = sweep
    point = folder / "2_pending_information_share=0.5"
    (point / "run_info.json").unlink()
    (point / "stale.txt").write_text("left by an interrupted run")
    again = _sim(SWEEP, cwd, cwd / "cache")
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("skipped") == 2
    assert not (point / "stale.txt").exists() and (point / "run_info.json").is_file()


def test_a_bad_value_in_the_last_point_stops_the_sweep_before_anything_runs(tmp_path):
    args = [a if not a.startswith(SHARE) else f"{SHARE}=0.1,0.3,1.5" for a in SWEEP]
    run = _sim(args, tmp_path, tmp_path / "cache")
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "pending_information_share=1.5" in lines[0]
    assert "nothing was run" in lines[0]
    assert not (tmp_path / "multirun").exists()


@pytest.mark.slow
def test_ctrl_c_ends_a_sweep_in_one_line_keeping_only_finished_points(tmp_path):
    import signal
    import time

    env = {**os.environ, "SIM_BASELINE_CACHE": str(tmp_path / "cache")}
    # SIGINT as the terminal has it, also when the tests run as a background job (which
    # ignores it, and an ignored SIGINT is inherited: Python then raises no KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-m", "sim", *SWEEP], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 300
    while time.time() < deadline and not list(tmp_path.glob("multirun/*/1_*/.hydra")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted:")
    (folder,) = (tmp_path / "multirun").iterdir()
    points_left = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert points_left == ["0_pending_information_share=0.1"]
    assert (folder / points_left[0] / "run_info.json").is_file()


def test_a_two_parameter_sweep_gets_a_heat_map(tmp_path):
    from sim.sweep import summarise

    keys = ["jobcenter.caseworker_pools.adp.caseworkers", "model.groups.adp.phone_share"]
    n = 0
    for staff in ("3", "5"):
        for phone in ("0.2", "0.4"):
            point = tmp_path / f"{n}_caseworkers={staff},phone_share={phone}"
            point.mkdir()
            (point / "run_info.json").write_text(json.dumps(
                {"replications": 2, "sweep_point": {keys[0]: staff, keys[1]: phone}}))
            level = 0.8 + 0.02 * int(staff) + 0.1 * float(phone)
            pd.DataFrame([{"figure": "on_time_share", "scenario_mean": level,
                           "baseline_mean": 0.8, "difference": level - 0.8,
                           "ci_low": level - 0.81, "ci_high": level - 0.79}]).to_csv(
                point / "comparison.csv", index=False)
            n += 1
    (tmp_path / "sweep.json").write_text(json.dumps({"command": "python -m sim -m ...",
                                                     "swept": keys}))
    written = summarise(tmp_path)
    assert tmp_path / "sweep_on_time_share.png" in written
    table = pd.read_csv(tmp_path / "sweep.csv")
    assert len(table) == 4 and table["on_time_share"].max() == pytest.approx(0.8 + 0.1 + 0.04)
    assert not (tmp_path / "sweep_operating_cost.png").exists()   # no such figure: no chart


# --------------------------------------------------------------------------- points side by side
def _hydra(target: str, n_jobs=-1, task=("scenario=a1_flex",)):
    from omegaconf import OmegaConf

    launcher = {"_target_": target}
    if "joblib" in target:
        launcher["n_jobs"] = n_jobs
    return OmegaConf.create({"launcher": launcher, "overrides": {"task": list(task)},
                             "job": {"env_set": {}}})


JOBLIB = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
RAY = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
BASIC = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"


@pytest.mark.parametrize("n_jobs, n_points, cores, expected", [
    (-1, 4, 8, 2),          # four points at once on eight cores: two processes each
    (-1, 2, 8, 4),          # fewer points than cores: the points share out every core
    (3, 4, 8, 2),           # n_jobs=3: three at once, 8 // 3
    (-2, 10, 8, 1),         # joblib's count: all cores but one, seven points at once
    (None, 4, 8, 8),        # n_jobs=null: joblib runs one at a time
    (1, 4, 8, 8),
    (-1, 4, 1, 1),          # one core: never fewer than one process
    (16, 16, 4, 1),         # more points at once than cores asked for: cores are the limit
])
def test_points_side_by_side_share_the_cores(n_jobs, n_points, cores, expected):
    from sim.sweep import point_workers

    assert point_workers(_hydra(JOBLIB, n_jobs), n_points, cores) == expected


def test_points_side_by_side_never_keep_more_processes_busy_than_cores():
    from sim.sweep import point_workers

    for n_jobs in (None, -3, -2, -1, 1, 2, 3, 5, 8, 32):
        hc = _hydra(JOBLIB, n_jobs)
        for cores in range(1, 17):
            for n_points in range(1, 20):
                workers = point_workers(hc, n_points, cores)
                k = 1 if n_jobs is None else (max(cores + 1 + n_jobs, 1) if n_jobs < 0 else n_jobs)
                assert min(k, n_points, cores) * workers <= cores, (cores, n_jobs, n_points)


def test_workers_on_the_command_line_and_other_launchers_keep_the_points_own_setting():
    from sim.sweep import point_workers

    assert point_workers(_hydra(JOBLIB, task=["workers=3", "seed=1,2"]), 2, 8) is None
    assert point_workers(_hydra(JOBLIB, task=["++workers=3"]), 2, 8) is None
    assert point_workers(_hydra(BASIC), 4, 8) is None          # one point at a time
    assert point_workers(_hydra(RAY), 4, 8) == 1                # Ray places the points
    assert point_workers(_hydra(RAY, task=["workers=2"]), 4, 8) is None
    assert point_workers(_hydra(RAY, task=["executor=ray"]), 4, 8) is None


def test_the_command_reaches_every_point_through_hydras_job_settings():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.sweep import COMMAND_ENV, POINTS_ENV, job_env, sweep_command, sweep_size

    argv = ["-m", "hydra.sweep.dir=out/${now:%H},x", "model.groups.adp.no_show_share=0.1,0.2",
            "+note='a b'", "a=[1,2]", "c=\\q"]
    parsed = OverridesParser.create().parse_overrides(job_env(argv, 6))
    env = {o.key_or_group.split(".")[-1]: o.value() for o in parsed}
    hc = _hydra(JOBLIB)
    hc.job.env_set = env
    assert set(env) == {COMMAND_ENV, POINTS_ENV}
    assert sweep_command(hc) == argv and sweep_size(hc) == 6
    assert sweep_command(_hydra(JOBLIB)) is None and sweep_size(_hydra(JOBLIB)) is None


def test_the_sweep_folder_does_not_depend_on_the_launcher_or_workers(monkeypatch):
    from sim.cli import _sweep_settings

    monkeypatch.setattr("sim.sweep.check_points", lambda pts: None)   # builds each point
    def folder(*extra):
        settings = _sweep_settings(["-m", "scenario=a1_flex", "jobcenter=small", *extra,
                                    f"{SHARE}=0.1,0.3"])
        return next(s for s in settings if s.startswith("hydra.sweep.dir="))

    serial = folder()
    assert folder("hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "workers=1") == serial
    assert folder("seed=3") != serial
    assert folder("workers=1,2") != serial          # swept, workers makes points of its own


JOBLIB_SWEEP = [*SWEEP, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


def _finished_points(folder: Path) -> list[str]:
    return sorted(p.parent.name for p in folder.glob("*/run_info.json")
                  if "sweep_point" in p.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parallel(tmp_path_factory):
    """The sweep of SWEEP with its points side by side (joblib, two at once) and a cache of
    its own, interrupted (SIGINT to its process group) once one point has finished while
    another runs, then run again with the same command."""
    import signal
    import time

    cwd = tmp_path_factory.mktemp("parallel")
    env = {**os.environ, "SIM_BASELINE_CACHE": str(cwd / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "sim", *JOBLIB_SWEEP], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,   # SIGINT as in a terminal (see above)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline, done = time.time() + 400, []
    while time.time() < deadline and proc.poll() is None:
        done = [f for f in cwd.glob("multirun/*") if _finished_points(f)]
        if done and len(list(done[0].glob("*/.hydra"))) > len(_finished_points(done[0])):
            break
        time.sleep(0.1)
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except ProcessLookupError:      # it ended first: the asserts on its exit code say so
        pass
    # every process of the group (points, their replications) must end: stderr closes only then
    _, err = proc.communicate(timeout=120)
    (folder,) = (cwd / "multirun").iterdir()
    left = sorted(p.name for p in folder.iterdir() if p.is_dir())
    kept = _finished_points(folder)
    again = _sim(JOBLIB_SWEEP, cwd, cwd / "cache")
    return {"code": proc.returncode, "stderr": err, "left": left, "kept": kept,
            "again": again, "folder": folder}


@pytest.mark.slow
def test_ctrl_c_ends_a_parallel_sweep_in_one_line_keeping_only_finished_points(parallel):
    assert parallel["code"] == 130
    lines = parallel["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted:"), parallel["stderr"]
    assert "finished point" in lines[0] and "resume=" in lines[0]
    assert parallel["kept"] and parallel["left"] == parallel["kept"]   # no unfinished folder


@pytest.mark.slow
def test_the_same_command_resumes_an_interrupted_parallel_sweep(parallel):
    again = parallel["again"]
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("finished in an earlier run, skipped") == len(parallel["kept"])
    assert _finished_points(parallel["folder"]) == [
        f"{i}_pending_information_share={v}" for i, v in enumerate(("0.1", "0.3", "0.5"))]


@pytest.mark.slow
def test_a_parallel_sweep_gives_the_serial_sweeps_results_in_a_folder_of_the_same_name(
        parallel, sweep):
    _, serial, _ = sweep
    assert parallel["folder"].name == serial.name
    pd.testing.assert_frame_equal(pd.read_csv(parallel["folder"] / "sweep.csv"),
                                  pd.read_csv(serial / "sweep.csv"))


@pytest.mark.slow
def test_each_parallel_point_records_the_command_and_shares_the_cores(parallel):
    from sim.sweep import point_workers

    cores = os.cpu_count() or 1
    expected = point_workers(_hydra(JOBLIB, 2), 3, cores)
    command = "python -m sim " + " ".join(JOBLIB_SWEEP)
    for point in sorted(p for p in parallel["folder"].iterdir() if p.is_dir()):
        info = json.loads((point / "run_info.json").read_text(encoding="utf-8"))
        assert info["command"] == command, point.name
        assert info["workers"] == expected == max(1, cores // min(2, cores)), point.name
    recorded = json.loads((parallel["folder"] / "sweep.json").read_text(encoding="utf-8"))
    assert recorded["command"] == command


# --------------------------------------------------------------------------- resume=DIR
@pytest.mark.slow
def test_resume_runs_the_sweep_recorded_in_its_folder_skipping_finished_points(sweep):
    cwd, folder, _ = sweep
    before = {p.name: (p / "metrics.json").stat().st_mtime_ns
              for p in folder.iterdir() if p.is_dir()}
    run = _sim([f"resume=multirun/{folder.name}", "hydra/launcher=joblib", "workers=1"], cwd,
               cwd / "cache")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.count("finished in an earlier run, skipped") == 3
    assert {p.name: (p / "metrics.json").stat().st_mtime_ns
            for p in folder.iterdir() if p.is_dir()} == before
    assert list((cwd / "multirun").iterdir()) == [folder]
    recorded = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    assert "resume=" not in recorded["command"] and f"{SHARE}=0.1,0.3,0.5" in recorded["command"]


def _record(folder: Path, overrides: list[str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "sweep.json").write_text(json.dumps({"command": "python -m sim -m ...",
                                                   "overrides": overrides}))
    return folder


def test_resume_arguments_are_the_recorded_sweeps_with_the_settings_it_may_change(
        tmp_path, monkeypatch):
    from sim.sweep import resume_arguments, sweep_dir_name

    monkeypatch.chdir(tmp_path)
    recorded = ["scenario=a1_flex", "workers=2", f"++{SHARE}=0.1,0.3"]
    as_typed = ["scenario=a1_flex", "workers=2", f"{SHARE}=0.1,0.3"]
    name = sweep_dir_name(as_typed, [SHARE])
    _record(tmp_path / name, recorded)
    assert resume_arguments([f"resume={name}"]) == ["-m", *as_typed]
    assert resume_arguments(["-m", f"resume={name}", "workers=1", "hydra/launcher=joblib",
                             "hydra.launcher.n_jobs=3", "scenario=a1_flex"]) == [
        "-m", "scenario=a1_flex", "workers=1", f"{SHARE}=0.1,0.3", "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=3"]
    _record(tmp_path / "kept" / "elsewhere", recorded)          # a folder the command didn't name
    assert resume_arguments(["resume=kept/elsewhere"])[-1] == "hydra.sweep.dir=kept/elsewhere"
    assert resume_arguments(["scenario=a1_flex", "seed=3"]) == ["scenario=a1_flex", "seed=3"]


@pytest.mark.parametrize("args, words", [
    (["resume=multirun/nothing"], ["no folder multirun/nothing", "sweeps in multirun:"]),
    (["resume=multirun/share-1/0_share=0.1"], ["holds no sweep.json",
                                               "resume=multirun/share-1"]),
    (["resume=multirun/broken"], ["cannot be read"]),
    (["resume=multirun/garbled"], ["overrides in multirun/garbled/sweep.json cannot be read"]),
    (["-m", "resume=multirun/share-1", "seed=3"], ["seed=3 contradicts it",
                                                  "does not set seed", "workers=N"]),
    (["resume=multirun/share-1", "scenario=baseline"], ["the sweep has scenario=a1_flex"]),
    (["resume=multirun/share-1", "hydra.sweep.dir=out"], ["hydra.sweep.dir=out contradicts"]),
    (["resume=multirun/share-1", "--cfg", "job"], ["--cfg cannot be combined"]),
    (["resume=multirun/by-workers", "workers=4"], ["workers=4 contradicts",
                                                   "differ in workers: workers=1,2"]),
    (["resume=multirun/share-1", "resume=multirun/share-1"], ["given 2 times"]),
])
def test_a_bad_resume_is_one_line_exit_2_and_nothing_run(args, words, tmp_path, monkeypatch,
                                                         capsys):
    from sim import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_ran_main", False)
    _record(tmp_path / "multirun" / "share-1", ["scenario=a1_flex", f"{SHARE}=0.1,0.3"])
    (tmp_path / "multirun" / "share-1" / "0_share=0.1").mkdir()
    (tmp_path / "multirun" / "broken").mkdir()
    (tmp_path / "multirun" / "broken" / "sweep.json").write_text("{not json")
    _record(tmp_path / "multirun" / "garbled", ["scenario=a1_flex", "seed=[1,"])
    _record(tmp_path / "multirun" / "by-workers", ["scenario=a1_flex", "workers=1,2"])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: resume"), err
    for word in words:
        assert word in err[0], (word, err[0])
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
