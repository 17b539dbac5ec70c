"""Runs on a Ray cluster give the records and sweep tables of runs on this machine.

The cluster is real: a Ray head with two CPUs started by ``ray start`` for this module and
stopped after it, reached at the address it prints, as a user reaches a cluster of their own.
Marked ``cluster`` (``python -m pytest -m cluster``; a separate step of ``.ci/run``): it needs the
``cluster`` extra (``pip install -e '.[cluster]'``) and its start-up takes half a minute.
The checks of one-line errors at the end need no cluster and run in the default suite.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sim.configure import compose
from sim.schema import ConfigError

ROOT = Path(__file__).resolve().parent.parent
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0",
           "RAY_AUTH_MODE": "disabled"}   # a cluster on this machine for this test only
QUICK = ["scenario=a1_flex", "jobcenter=small", "horizon_days=60", "warmup_days=0",
         "replications=3", "progress=false", "event_log=false"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a two-CPU Ray cluster on this machine (head only)."""
    pytest.importorskip("ray", reason="the cluster tests need the cluster extra: "
                                      "pip install -e '.[cluster]'")
    ray_cli = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    env = {**os.environ, **RAY_ENV}
    temp = tmp_path_factory.mktemp("ray")
    start = subprocess.run([ray_cli, "start", "--head", "--num-cpus=2", f"--port={_free_port()}",
                            "--include-dashboard=false", "--disable-usage-stats",
                            f"--temp-dir={temp}"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert start.returncode == 0, start.stderr[-2000:]
    found = re.search(r"ray start --address='([^']+)'", start.stdout + start.stderr)
    assert found, start.stdout[-2000:]
    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)
    try:
        yield found.group(1)
    finally:
        import ray

        ray.shutdown()
        subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _records(overrides: list[str]) -> list[dict]:
    """Every record of a comparison (scenario side, then baseline side), run times left out."""
    from sim.experiment import compose_comparison, run_experiment

    cfg, d, base, bd = compose_comparison(overrides)
    exp = run_experiment(cfg, d, base, bd, cache_dir=False, log=None)
    return [_without_times(r) for r in [*exp.scenario_records, *exp.baseline_records]]


def _without_times(x):
    """A record without its wall-clock seconds, which no two runs share."""
    if isinstance(x, dict):
        return {k: _without_times(v) for k, v in x.items() if k != "wall_seconds"}
    if isinstance(x, list):
        return [_without_times(v) for v in x]
    return x


@pytest.mark.cluster
def test_a_jobcenters_replications_on_the_cluster_equal_those_run_here(cluster):
    here = _records([*QUICK, "workers=2"])
    there = _records([*QUICK, "executor=ray", f"ray.address={cluster}"])
    assert len(here) == 6
    assert there == here
    assert len({r["headline"]["talks_held"] for r in here}) > 1   # replications do differ


@pytest.mark.cluster
def test_a_countrys_jobcenters_on_the_cluster_equal_those_run_here(cluster):
    country = ["scenario=a1_flex", "jobcenter=national_sample", "jobcenter.sample_per_class=1",
               "horizon_days=30", "warmup_days=0", "replications=2", "progress=false",
               "event_log=false", "sensitivity=false"]
    here = _records([*country, "workers=2"])
    there = _records([*country, "executor=ray", f"ray.address={cluster}"])
    assert len(here) == 4 and len(here[0]["members"]) == 4      # a jobcenter per size class
    assert there == here


def _sweep(tmp_path: Path, name: str, extra: list[str]) -> list[dict]:
    """sweep.csv of a two-point sweep over a1_flex's own setting, run from ``tmp_path``."""
    env = {**os.environ, "SIM_BASELINE_CACHE": str(tmp_path / f"cache-{name}"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    folder = tmp_path / name
    run = subprocess.run([sys.executable, "-m", "sim", "-m", *extra, *QUICK[:-2],
                          "replications=2", "progress=false",
                          "mechanisms.postponement.pending_information_share=0.1,0.5",
                          f"hydra.sweep.dir={folder}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(folder / "sweep.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.cluster
def test_a_sweeps_points_on_the_ray_launcher_give_the_table_run_here(cluster, tmp_path):
    here = _sweep(tmp_path, "here", [])
    there = _sweep(tmp_path, "there", ["hydra/launcher=ray",
                                       f"hydra.launcher.ray.init.address={cluster}"])
    assert [r["mechanisms.postponement.pending_information_share"] for r in there] == ["0.1", "0.5"]
    assert there == here
    for point in (tmp_path / "there").glob("*_pending_information_share=*"):
        assert (point / "report.html").is_file()    # written where the point ran: here


# --------------------------------------------------------------------------- errors, no cluster
def test_an_unknown_executor_is_one_line_naming_the_valid_ones():
    with pytest.raises(ConfigError) as err:
        compose(["executor=slurm"])
    assert str(err.value) == "'executor' = 'slurm'; valid: local, ray"


def test_executor_ray_without_ray_installed_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ConfigError) as err:
        compose(["executor=ray"])
    assert "pip install -e '.[cluster]'" in str(err.value) and "\n" not in str(err.value)


def test_rays_runtime_environment_is_passed_on_as_given_but_a_misspelt_ray_key_is_not():
    cfg, _ = compose(["ray.address=ray://head:10001", "ray.runtime_env.working_dir=.",
                      "ray.runtime_env.pip=[simpy,numpy]"])
    assert cfg.ray.address == "ray://head:10001"
    assert cfg.ray.runtime_env == {"working_dir": ".", "pip": ["simpy", "numpy"]}
    with pytest.raises(ConfigError) as err:
        compose(["ray.adress=auto"])
    assert "unknown key 'ray.adress' (did you mean 'address'?)" in str(err.value)


def test_the_ray_launcher_connecting_to_a_cluster_leaves_out_its_own_object_store(monkeypatch):
    from sim.sweep import launcher_settings

    import importlib.util

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    real = importlib.util.find_spec             # as if the cluster extra were installed
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name.startswith(("ray", "hydra_plugins"))
                        else real(name, *a))
    assert launcher_settings(["hydra/launcher=joblib", "seed=1"]) == []
    assert launcher_settings(["hydra/launcher=ray"]) == []        # a Ray instance of its own
    assert launcher_settings(["hydra/launcher=ray", "hydra.launcher.ray.init.address=auto"]) \
        == ["+hydra.launcher.ray.init.object_store_memory=null"]


def test_the_ray_launcher_without_ray_installed_says_how_to_install_it(monkeypatch):
    import importlib.util

    from sim.sweep import launcher_settings

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("ray") else real(name, *a))
    with pytest.raises(ConfigError) as err:
        launcher_settings(["hydra/launcher=ray"])
    assert "pip install -e '.[cluster]'" in str(err.value)
