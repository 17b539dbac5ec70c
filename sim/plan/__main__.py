"""``python -m sim.plan``: the least staff that meets the law's deadlines (docs/plan.md).

    python -m sim.plan [plan.on_time=0.95] [plan.desk_wait_days=7] [jobcenter=medium]
                       [scenario=NAME] [other configuration overrides]

Exit codes: 0 (a plan, or the best found within the search budget), 2 (a mistake in the command,
or targets no staffing can meet), 130 (Ctrl-C).
"""
from __future__ import annotations

import sys

from sim.plan.cli import main

if __name__ == "__main__":
    sys.exit(main())
