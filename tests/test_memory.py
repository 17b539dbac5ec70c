"""A finished run frees its memory by reference counting, without the cyclic garbage collector.

A national run simulates 94 jobcenters one after another in one process. Were a finished
jobcenter's citizens, bookings, processes and desk-task callbacks left in reference cycles, they
would stay in memory until the cyclic collector's next full pass, which then walks the whole
heap (about 0.15 s for each small jobcenter) while the next jobcenter is being built.
"""
from __future__ import annotations

import gc

from sim.configure import compose
from sim.model import Model, paused_cyclic_gc


def _unreachable_after(run_and_drop) -> int:
    """Objects the cyclic collector finds unreachable after ``run_and_drop()``."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        run_and_drop()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


def _small(days: int = 90):
    """The small jobcenter's configuration (composed outside the measurement: composing makes
    cyclic garbage of its own)."""
    cfg, _ = compose(["jobcenter=small", f"horizon_days={days}", "warmup_days=0",
                      "event_log=true"])
    return cfg


def test_a_dropped_model_leaves_no_cyclic_garbage():
    cfg = _small()

    def run_and_drop():
        model = Model(cfg, 0)
        model.run()
        assert model.counters.citizens > 1000 and model.alive   # it did simulate a stock
        del model

    assert _unreachable_after(run_and_drop) < 50


def test_without_letting_go_a_model_would_need_the_collector():
    # the check above can fail: a run that does not break its cycles at the end leaves
    # processes and the events they wait for, citizens and their bookings to the collector
    cfg = _small()

    def run_keeping_cycles_and_drop():
        model = Model(cfg, 0)
        model._let_go = lambda: None
        model.run()
        del model

    assert _unreachable_after(run_keeping_cycles_and_drop) > 1000


def test_the_final_stock_is_still_readable_after_the_run():
    model = Model(_small(60), 0)
    model.run()
    stock = {g: sum(1 for c in model.alive.values() if c.group == g)
             for g in model.counters.groups}
    assert stock == {g: gc_.stock for g, gc_ in model.counters.groups.items()}
    assert all(c.spell_start <= model.horizon for c in model.alive.values())


def test_objects_made_while_paused_do_not_count_as_new_afterwards():
    # otherwise the collector's first pass after a run would walk the whole model
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        with paused_cyclic_gc():
            kept = [[] for _ in range(100_000)]
            assert not gc.isenabled()
        assert gc.isenabled()
        assert gc.get_count()[0] < 1000
        assert gc.get_freeze_count() == 0
        del kept
    finally:
        if not was_enabled:
            gc.disable()


def test_objects_the_program_froze_stay_frozen():
    was_enabled = gc.isenabled()
    gc.enable()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_cyclic_gc():
            [[] for _ in range(1000)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        if not was_enabled:
            gc.disable()
