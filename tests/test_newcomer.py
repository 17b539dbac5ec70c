"""What a new user meets first: the help text, mistaken arguments, output folders that cannot be
written, a scenario file with a syntax error, Ctrl-C, and the ``latest`` link.

The command-line cases run ``python -m sim`` in a subprocess; most of them from a temporary
folder, so that anything they write (``outputs/``, the baseline cache) would show there.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import configure
from sim.configure import load_scenario, read_yaml, scenario_titles, scenarios
from sim.experiment import CACHE_ENV, check_cache_dir
from sim.output import point_latest, writable_problem
from sim.schema import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
SHORT_RUN = ["horizon_days=30", "warmup_days=0", "replications=2", "workers=1", "progress=false"]
needs_proc = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), CACHE_ENV: str(tmp_path / "cache")}
    env.update(extra)
    return env


def _sim(args: list[str], cwd: Path, env: dict, module: str = "sim") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr + proc.stdout
    return lines[0]


# --------------------------------------------------------------------------- help
def test_help_is_short_and_names_every_scenario_by_catalog(tmp_path):
    proc = _sim(["--help"], tmp_path, _env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert 10 < len(lines) < 60
    assert lines[0].startswith("usage: python -m sim")
    names = scenarios()
    assert len(names) >= 30
    words = proc.stdout.split()
    for name in names:
        assert name in words, name
    qb14 = next(ln for ln in lines if ln.strip().startswith("QB14"))
    assert "a1_flex" in qb14 and "python -m sim list" in proc.stdout
    for fragment in ("scenario=", "jobcenter=", "seed=", "replications=", "hydra.run.dir=",
                     "--hydra-help", "python -m sim.compare", "latest"):
        assert fragment in proc.stdout, fragment
    assert "== Config ==" not in proc.stdout            # not Hydra's configuration dump
    assert not (tmp_path / "outputs").exists()


def test_list_names_the_scenarios_and_the_jobcenter_profiles(tmp_path):
    proc = _sim(["list"], tmp_path, _env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    titles = scenario_titles()
    for name in scenarios():
        row = next((ln for ln in proc.stdout.splitlines() if ln.split()[:1] == [name]), None)
        assert row is not None and titles[name] and titles[name] in row, name
    assert "medium" in proc.stdout and "national" in proc.stdout


@pytest.mark.parametrize("args, suggestion", [
    (["a1_flex"], "did you mean scenario=a1_flex?"),
    (["a1_flx", "seed=3"], "did you mean scenario=a1_flex?"),
    (["large"], "did you mean jobcenter=large?"),
    (["frobnicate"], "scenario=a1_flex seed=7"),
])
def test_a_bare_word_exits_2_with_a_suggestion_and_writes_nothing(tmp_path, args, suggestion):
    proc = _sim(args, tmp_path, _env(tmp_path))
    line = _one_error_line(proc)
    assert suggestion in line
    assert f"'{args[0]}'" in line
    assert not (tmp_path / "outputs").exists()


# --------------------------------------------------------------------------- output folders
@needs_proc
def test_an_unwritable_run_folder_exits_2_in_one_line_before_simulating(tmp_path):
    run_dir = "/proc/sim-newcomer-test/run"
    # progress on: a replication that ran would have drawn its progress lines on stderr
    proc = _sim(["scenario=a1_flex", f"hydra.run.dir={run_dir}", "progress=true"], tmp_path,
                _env(tmp_path))
    line = _one_error_line(proc)
    assert run_dir in line and "cannot be written" in line and "hydra.run.dir=" in line
    assert not (tmp_path / "cache").exists()            # nothing simulated, nothing cached
    assert not (tmp_path / "outputs").exists()


@needs_proc
def test_an_unwritable_sweep_folder_exits_2_in_one_line(tmp_path):
    proc = _sim(["-m", "scenario=a1_flex,baseline", "hydra.sweep.dir=/proc/sim-newcomer-test"],
                tmp_path, _env(tmp_path))
    line = _one_error_line(proc)
    assert "/proc/sim-newcomer-test" in line and "hydra.sweep.dir=" in line


@needs_proc
def test_an_unwritable_baseline_cache_exits_2_in_one_line_before_simulating(tmp_path):
    cache = "/proc/sim-newcomer-test/cache"
    run_dir = tmp_path / "run"
    proc = _sim(["scenario=a1_flex", f"hydra.run.dir={run_dir}", "progress=true"], tmp_path,
                _env(tmp_path, **{CACHE_ENV: cache}))
    line = _one_error_line(proc)
    assert cache in line and f"{CACHE_ENV}=" in line
    assert not run_dir.exists()


def test_the_cache_check_sees_a_file_where_a_folder_should_be(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder") as info:
        check_cache_dir(tmp_path / "file" / "cache")
    assert CACHE_ENV in str(info.value)
    check_cache_dir(tmp_path / "new" / "cache")         # writable: no error ...
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]   # ... and nothing left


def test_writable_problem_leaves_nothing_behind(tmp_path):
    assert writable_problem(tmp_path / "a" / "b") is None
    assert writable_problem(tmp_path) is None
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- scenario files
def test_a_yaml_syntax_error_in_a_scenario_names_line_and_column(tmp_path, monkeypatch):
    (tmp_path / "broken.yaml").write_text(
        "description:\n"
        "  title: Broken\n"
        "changes:\n"
        "  seed: [1, 2\n"
        "  horizon_days: 30\n", encoding="utf-8")
    monkeypatch.setattr(configure, "SCENARIO_DIR", tmp_path)
    with pytest.raises(ConfigError) as info:
        load_scenario("broken")
    message = str(info.value)
    assert "\n" not in message
    assert "broken.yaml" in message
    assert "line 5, column 15" in message               # where the parser gave up
    assert "expected ','" in message
    assert "cannot be read" in scenario_titles()["broken"]  # help and list still work


def test_read_yaml_points_at_an_indentation_mistake(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n b: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x\.yaml is not valid YAML, line 2, column 3: "
                                          "mapping values are not allowed"):
        read_yaml(path, "scenario file")


# --------------------------------------------------------------------------- Ctrl-C
def _interrupt(tmp_path: Path, args: list[str], whole_group: bool = False):
    """Start a run, wait until replication 1 is simulating, send SIGINT; returns the process,
    its stderr after the signal, and the seconds it took to end."""
    # the run gets Ctrl-C's default handling even when the tests themselves were started with
    # SIGINT ignored (a background job of a non-interactive shell, nohup): an ignored SIGINT is
    # inherited, and Python then installs no KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path,
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stderr:
            if "replication 1 [" in line:               # the progress bar of replication 1
                break
        else:
            pytest.fail("the run ended before it started simulating")
        t0 = time.perf_counter()
        if whole_group:                                 # as a terminal's Ctrl-C does
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        return proc, err, time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            proc.kill()


def _not_progress(err: str) -> list[str]:
    """Lines of stderr other than progress bars and per-replication lines."""
    return [ln for ln in err.strip().splitlines()
            if not ("%" in ln and "[" in ln) and ": replication " not in ln]


INTERRUPTED_RUN = ["scenario=a1_flex", "replications=8", "workers=2", "progress=true"]


@pytest.mark.parametrize("whole_group", [False, True], ids=["main_process", "process_group"])
def test_ctrl_c_ends_with_one_line_exit_130_and_removes_the_run_folder(tmp_path, whole_group):
    run_dir = tmp_path / "run"
    proc, err, seconds = _interrupt(tmp_path, [*INTERRUPTED_RUN, f"hydra.run.dir={run_dir}"],
                                    whole_group)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    lines = _not_progress(err)
    assert len(lines) == 1, err[-2000:]
    assert lines[0].startswith("interrupted: ") and str(run_dir) in lines[0]
    assert not run_dir.exists()
    assert seconds < 20                                  # workers stopped, not waited for


def test_ctrl_c_marks_a_run_folder_that_held_files_before(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("mine", encoding="utf-8")
    proc, err, _ = _interrupt(tmp_path, [*INTERRUPTED_RUN, f"hydra.run.dir={run_dir}"])
    assert proc.returncode == 130, err[-2000:]
    assert len(_not_progress(err)) == 1, err[-2000:]
    assert (run_dir / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (run_dir / "INCOMPLETE").is_file()


# --------------------------------------------------------------------------- latest
@pytest.mark.slow
def test_a_run_points_latest_at_its_folder_and_sim_compare_accepts_it(tmp_path):
    env = _env(tmp_path)
    proc = _sim(["scenario=a1_flex", *SHORT_RUN], tmp_path, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    profile = tmp_path / "outputs" / "a1_flex" / "medium"
    link = profile / "latest"
    runs = [p for p in profile.iterdir() if p.name != "latest"]
    assert len(runs) == 1
    assert link.is_symlink() and link.resolve() == runs[0].resolve()
    assert not Path(os.readlink(link)).is_absolute()    # survives moving outputs/
    assert "latest run: outputs/a1_flex/medium/latest" in proc.stdout
    assert not (runs[0] / "cli.log").exists()
    info = json.loads((runs[0] / "run_info.json").read_text(encoding="utf-8"))
    assert info["command"] == "python -m sim scenario=a1_flex " + " ".join(SHORT_RUN)

    out = tmp_path / "comparison"
    compare = _sim(["outputs/a1_flex/medium/latest", "--out", str(out)], tmp_path, env,
                   module="sim.compare")
    assert compare.returncode == 0, compare.stderr[-3000:]
    assert (out / "report.html").is_file() and (out / "comparison.csv").is_file()


def test_point_latest_moves_to_the_newer_run_and_leaves_a_real_folder_alone(tmp_path):
    first, second = tmp_path / "2026-01-01_10-00-00", tmp_path / "2026-01-01_11-00-00"
    first.mkdir()
    second.mkdir()
    assert point_latest(first) == tmp_path / "latest"
    assert point_latest(second) == tmp_path / "latest"
    assert (tmp_path / "latest").resolve() == second.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, second.name, "latest"]

    other = tmp_path / "elsewhere"
    (other / "latest").mkdir(parents=True)
    (other / "run").mkdir()
    assert point_latest(other / "run") is None
    assert (other / "latest").is_dir() and not (other / "latest").is_symlink()
