"""The front door: ``python -m sim scenario=a1_flex [jobcenter=medium] [key=value ...]``.

Configuration mistakes end with one line on stderr and exit code 2; nothing is written. A good
configuration runs under Hydra, which makes the run directory (``outputs/...``) and supports
``-m`` sweeps.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .configure import CONF_DIR, apply_scenario, compose
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

    from .model import run
    from .output import write_run
    from .progress import ProgressBar

    hc = HydraConfig.get()
    try:
        sim_cfg, description = apply_scenario(cfg, list(hc.overrides.task))
    except ConfigError as exc:
        fail(str(exc))
    run_dir = Path(hc.runtime.output_dir)
    label = f"{sim_cfg.scenario} / {sim_cfg.jobcenter.name}"
    bar = ProgressBar(label) if sim_cfg.progress else None
    result = run(sim_cfg, progress=bar)
    metrics = write_run(run_dir, result, description)
    share = metrics["talks_on_time_share"]
    print(f"{label}: {metrics['citizens_simulated']:,} citizens, "
          f"{metrics['talks_held']:,} talks held"
          + (f" ({share:.1%} on time)" if share is not None else "")
          + f", operating cost DKK {metrics['operating_cost_dkk'] / 1e6:,.1f} million, "
          f"{result.wall_seconds:.1f} s")
    print(f"results: {run_dir}")


def main(argv: list[str] | None = None) -> None:
    """Validate the command line, then hand the run to Hydra."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(a in _HYDRA_FLAGS or a.split("=")[0] in _HYDRA_FLAGS for a in argv):
        try:
            compose(argv)
        except ConfigError as exc:
            fail(str(exc))
    import hydra

    sys.argv = [sys.argv[0], *argv]
    hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")(_task)()
