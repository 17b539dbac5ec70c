"""Capacity planning: the least head count per staff pool that meets the plan's targets.

``python -m sim.plan plan.on_time=0.95 plan.desk_wait_days=7 jobcenter=medium`` searches, for
every staff pool, the smallest head count at which the mandated talks of the pool's groups are
on time and its desk work waits no longer than the targets say, judged on the pessimistic end of
the confidence interval over replications with common random numbers (docs/plan.md).

* :mod:`sim.plan.targets`: the ``plan.*`` settings and the targets no staffing can meet;
* :mod:`sim.plan.search`: the joint search over pools, which knows nothing of jobcenters;
* :mod:`sim.plan.evaluate`: simulating and judging one staffing;
* :mod:`sim.plan.report`: ``plan.csv``, ``plan.md``, ``plan.html`` and the curves;
* :mod:`sim.plan.cli`: the command line.
"""
