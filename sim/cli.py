"""The front door: ``python -m sim scenario=a1_flex [jobcenter=medium] [key=value ...]``.

Configuration mistakes end with one line on stderr and exit code 2; nothing is written. A good
configuration runs under Hydra, which makes the run directory (``outputs/...``) and supports
``-m`` sweeps.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .configure import CONF_DIR, apply_scenario, check_keys_only, compose, hydra_overrides
from .schema import ConfigError

EXIT_CONFIG_ERROR = 2
_HYDRA_FLAGS = ("-m", "--multirun", "-h", "--help", "--hydra-help", "-c", "--cfg", "--info",
                "--resolve", "-p", "--package", "--shell-completion", "-cp", "--config-path",
                "-cn", "--config-name", "-cd", "--config-dir", "--version")


def fail(message: str) -> None:
    """Print a one-line configuration error and exit with code 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_CONFIG_ERROR)


def _task(cfg) -> None:
    """Hydra task: validate, simulate, write the run directory."""
    from hydra.core.hydra_config import HydraConfig

    from .experiment import baseline_config, run_experiment, summary_lines, write_experiment
    from .progress import ProgressBar

    hc = HydraConfig.get()
    try:
        sim_cfg, description = apply_scenario(cfg, list(hc.overrides.task))
        base_cfg, base_description = baseline_config(cfg, list(hc.overrides.task))
    except ConfigError as exc:
        fail(str(exc))
    run_dir = Path(hc.runtime.output_dir)
    label = f"{sim_cfg.scenario} / {sim_cfg.jobcenter.name}"
    if sim_cfg.jobcenter.is_composite:
        _run_country(sim_cfg, description, run_dir, label)
        return
    try:
        check_buildable(sim_cfg)        # a -m sweep's point is composed only here
        exp = run_experiment(sim_cfg, description, base_cfg, base_description,
                             progress_factory=ProgressBar if sim_cfg.progress else None,
                             log=None if not sim_cfg.progress else
                             (lambda m: print(m, file=sys.stderr, flush=True)))
    except ConfigError as exc:
        fail(str(exc))
    metrics = write_experiment(run_dir, exp)
    share = metrics["talks_on_time_share"]
    print(f"{label}: {metrics['citizens_simulated']:,} citizens, "
          f"{metrics['talks_held']:,} talks held"
          + (f" ({share:.1%} on time)" if share is not None else "")
          + f", operating cost DKK {metrics['operating_cost_dkk'] / 1e6:,.1f} million"
          + (f" over {sim_cfg.horizon_days:,} days" if sim_cfg.horizon_days != 365 else "")
          + f", {exp.first_result.wall_seconds:.1f} s (replication 1)")
    for line in summary_lines(exp):
        print(line)
    print(f"results: {run_dir}")


def _run_country(cfg, description: dict, run_dir: Path, label: str) -> None:
    """A composite profile (e.g. jobcenter=national): every jobcenter simulated on its own,
    added up, and compared with the calibration targets (calibration.md)."""
    from .national import run_national
    from .national_output import write_national
    from .progress import ProgressBar

    if cfg.warmup_days == "auto":
        fail("warmup_days=auto is not available for a composite jobcenter profile; "
             "give the warm-up in days (default 182)")
    replications = cfg.min_replications if cfg.replications == "auto" else cfg.replications
    try:
        result = run_national(cfg, replications=replications, workers=cfg.workers,
                              progress=ProgressBar(label) if cfg.progress else None)
    except ConfigError as exc:
        fail(str(exc))
    rows = write_national(run_dir, cfg, result, description)
    targets = [r for r in rows if r["tolerance_kind"] != "comparison"]
    passed = sum(r["passed"] for r in targets)
    print(f"{label}: {result['jobcenters']} jobcenters ({result['members']} simulated), "
          f"{replications} replication(s), {result['wall_seconds']:.0f} s; "
          f"calibration: {passed} of {len(targets)} targets within tolerance")
    print(f"results: {run_dir}")


def check_buildable(cfg) -> None:
    """Build the model once without running it: a mechanism checks there what depends on the
    jobcenter (a team larger than its pool, a session longer than a working day) and raises a
    one-line ConfigError, which must come before anything is written. Composite profiles
    (national) build their members when they run."""
    if cfg.jobcenter.is_composite:
        return
    from .model import Model, paused_cyclic_gc

    with paused_cyclic_gc():
        Model(cfg, 0).release()


def main(argv: list[str] | None = None) -> None:
    """Validate the command line, then hand the run to Hydra."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not any(a in _HYDRA_FLAGS or a.split("=")[0] in _HYDRA_FLAGS for a in argv):
            check_buildable(compose(argv)[0])
        else:                       # e.g. a -m sweep: Hydra composes each run
            check_keys_only(argv)
    except ConfigError as exc:
        fail(str(exc))
    import hydra

    sys.argv = [sys.argv[0], *hydra_overrides(argv)]
    hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(_task)()
