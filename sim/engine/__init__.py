"""The simulation engine: random streams, the queue layer, counters and the event log, and the
few shortcuts into SimPy's internals (:mod:`sim.engine.simpy_shortcuts`)."""
