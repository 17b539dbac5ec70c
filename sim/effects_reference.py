"""Derive the spell effects' reference: the baseline's service, as job spells get it.

The effects (:mod:`sim.domain.effects`) act on the deviation of a citizen's service from the
service the calibrated baseline gives. That reference is, per benefit group, the share of
job-spell days under each kind of service (a talk's window, a company-based or guidance offer,
the period after one, a health wait), measured in the national baseline:

    python -m sim.effects_reference [replications=3] [any override ...]

prints the ``model.effects.reference`` block for ``conf/model/default.yaml`` (national_sample
profile at the average practice, seed 2014 by default) and how far the configured reference is from it. Rerun it when
talk cadences, extra talks, offers or the effect windows change; the test suite checks that
the configured reference is still the baseline's (tests/test_effects.py).
"""
from __future__ import annotations

import sys

from .config import EXPOSURES, SimConfig


def measured_reference(cfg: SimConfig, replications: int, workers: int = 0, progress=None
                       ) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(share of job-spell days under each kind of service, job-spell days) per group, over the
    members and replications of the composite profile of ``cfg`` (weighted like the national
    figures; days summed over the replications)."""
    from .national import run_national

    out = run_national(cfg, replications=replications, workers=workers, progress=progress)
    days: dict[str, float] = {}
    under: dict[str, dict[str, float]] = {}
    for rep in out["replications"]:
        for g, v in rep["groups"].items():
            days[g] = days.get(g, 0.0) + v.get("job_spell_days", 0.0)
            into = under.setdefault(g, dict.fromkeys(EXPOSURES, 0.0))
            for k in EXPOSURES:
                into[k] += v.get(f"exposure_{k}", 0.0)
    shares = {g: {k: under[g][k] / days[g] for k in EXPOSURES} for g in days if days[g] > 0}
    return shares, days


def reference_yaml(ref: dict[str, dict[str, float]]) -> str:
    """The ``reference:`` block of ``model.effects`` (three decimals)."""
    lines = ["  reference:"]
    for g, shares in ref.items():
        inner = ", ".join(f"{k}: {v:.3f}" for k, v in shares.items() if v >= 0.0005)
        lines.append(f"    {g}: {{{inner}}}")
    return "\n".join(lines)


def largest_gap(cfg: SimConfig, ref: dict[str, dict[str, float]]) -> tuple[str, float]:
    """(group.kind, gap) of the configured reference furthest from the measured one; the gap
    is absolute for shares and relative for the number of talk windows above 1."""
    worst, gap = "", 0.0
    for g, shares in ref.items():
        conf = cfg.model.effects.reference.get(g)
        for k, v in shares.items():
            d = abs(v - (getattr(conf, k) if conf else 0.0)) / max(1.0, v)
            if d > gap:
                worst, gap = f"{g}.{k}", d
    return worst, gap


def main(argv: list[str] | None = None) -> int:
    from .configure import compose
    from .schema import ConfigError

    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(__doc__.strip())
        return 0
    reps = 3
    rest = []
    for a in args:
        if a.startswith("replications="):
            value = a.split("=", 1)[1]
            if not value.isdigit() or int(value) < 1:
                print(f"error: 'replications' = {value!r} must be a whole number of at least 1",
                      file=sys.stderr)
                return 2
            reps = int(value)
        else:
            rest.append(a)
    try:
        cfg, _ = compose(["jobcenter=national_sample", "jobcenter.practice=average",
                          "event_log=false", "progress=false", *rest])
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not cfg.jobcenter.is_composite:
        print(f"error: 'jobcenter' = {cfg.jobcenter.name!r} is one jobcenter; the reference is "
              "measured on a composite profile: national_sample or national", file=sys.stderr)
        return 2
    try:
        ref, _ = measured_reference(cfg, reps)
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    print(reference_yaml(ref))
    worst, gap = largest_gap(cfg, ref)
    print(f"# largest gap to the configured reference: {worst} {gap:.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
