"""First-come-first-served work queues served by a team of servers in working windows.

This is the queueing layer of the staff pools: every member of a pool is one server with a
queue of desk work (offer start-up, rehabilitation preparation, reassessments, company forms).
A job goes to a named server (the citizen's own caseworker) or, when anyone may do it, to the
server that would be free of its work first. Servers work only inside windows their owner opens
(a working day's desk time); within a window a server works at a constant speed so that the
window holds exactly the minutes of work it was given.

Times are in days (the simulation clock), work in minutes. The pool keeps the exact arrival,
start and finish times of every job, so waiting times, the probability of waiting and the
time-average queue length are measured, not estimated. With every window open around the clock
at full speed the pool is the textbook M/G/c queue, which is how it is verified against
queueing theory (tests/test_queueing.py).
"""
from __future__ import annotations

from array import array
from collections import deque
from typing import Callable, Iterable

MINUTES_PER_DAY = 1440.0
_EPS = 1e-9


class Job:
    """A piece of work: when it arrived (day), its length and what is left of it (minutes)."""

    __slots__ = ("requested", "minutes", "remaining", "started", "cancelled")

    def __init__(self, requested: float, minutes: float):
        self.requested = requested
        self.minutes = minutes
        self.remaining = minutes
        self.started: float | None = None
        self.cancelled = False


class ServerPool:
    """``servers`` servers, each with its own first-come-first-served queue of :class:`Job`.

    Jobs arriving at or after ``monitor_from`` (day) are monitored: their arrival time and the
    time they left the queue (started, or were found cancelled) are kept for the statistics.
    ``speed`` (minutes of work per minute) is what routing assumes until a server's first window.
    """

    def __init__(self, servers: int, monitor_from: float = 0.0, speed: float = 1.0):
        if servers < 0:
            raise ValueError(f"a server pool needs 0 or more servers, got {servers}")
        if speed <= 0:
            raise ValueError(f"servers need a positive speed, got {speed}")
        self.n = servers
        self.queue: list[deque] = [deque() for _ in range(servers)]
        self.backlog = [0.0] * servers        # minutes of work queued or in service
        self.clock = [0.0] * servers          # day each server has worked up to
        self.speed = [speed] * servers        # minutes of work per minute in its last window
        self.free_at = [0.0] * servers        # when each would be free, working on at that speed
        self.monitor_from = monitor_from
        self._arrival = array("d")            # monitored jobs that left the queue: arrival ...
        self._left = array("d")               # ... and when they left it
        self._served = array("b")             # 1: left to be served, 0: cancelled
        self._waiting: dict[int, float] = {}  # id(job) -> arrival, for jobs not yet started

    # ------------------------------------------------------------------ arrivals
    def route(self, arrival: float, servers: Iterable[int] | None = None) -> int:
        """The server (of ``servers``, default all; not empty) that would start a job arriving at
        ``arrival`` first.

        Each server's ``free_at`` is when it would finish the work given to it if it went on
        working at the speed of its last window; it is set right after every window. Servers
        that would be free by ``arrival`` are told apart by the minutes of work they still hold
        (between windows, when nobody works, that decides), then by number. With servers that
        never stop this is exactly where one first-come-first-served line in front of all
        servers would send the job (the Kiefer-Wolfowitz recursion).
        """
        best, best_t, best_b = 0, None, 0.0
        backlog, free_at = self.backlog, self.free_at
        for i in range(self.n) if servers is None else servers:
            f = free_at[i]
            t = f if f > arrival else arrival
            if best_t is None or t < best_t - _EPS or (t <= best_t + _EPS and backlog[i] < best_b):
                best, best_t, best_b = i, t, backlog[i]
        return best

    def submit(self, job: Job, server: int | None = None) -> int | None:
        """Queue ``job`` with ``server`` (None: :meth:`route` chooses). Returns the server, or
        None when the pool has no servers (the job is never done)."""
        if self.n == 0:
            return None
        if server is None:
            server = self.route(job.requested)
        self.queue[server].append(job)
        self.backlog[server] += job.remaining
        f = self.free_at[server]
        self.free_at[server] = (f if f > job.requested else job.requested) \
            + job.remaining / (MINUTES_PER_DAY * self.speed[server])
        if job.requested >= self.monitor_from:
            self._waiting[id(job)] = job.requested
        return server

    def least_backlog(self) -> int | None:
        """The server with the fewest minutes of work queued (None: no servers)."""
        if self.n == 0:
            return None
        b = self.backlog
        return b.index(min(b))

    # ------------------------------------------------------------------ service
    def serve(self, server: int, start: float, end: float, capacity: float,
              on_work: Callable[[Job, float], None] | None = None,
              on_finish: Callable[[Job, float], None] | None = None) -> float:
        """Let ``server`` work through its queue in the window [start, end) (days) doing at most
        ``capacity`` minutes of work, spread evenly over the window.

        A job starts when the server is free and the job has arrived; a job not finished by the
        window's end keeps its place and its remaining minutes. ``on_work(job, minutes)`` is
        called for every stretch of work, ``on_finish(job, day)`` when a job is done. Call this
        only once every job arriving before ``end`` has been submitted. Returns the minutes
        worked; the rest of ``capacity`` is free for other work.
        """
        if capacity <= _EPS or end <= start:
            return 0.0
        speed = capacity / ((end - start) * MINUTES_PER_DAY)   # minutes of work per minute
        self.speed[server] = speed
        q = self.queue[server]
        t = self.clock[server]
        if t < start:
            t = start
        worked = 0.0
        while q:
            job = q[0]
            if job.cancelled:
                q.popleft()
                self._leave(job, max(t, job.requested), False)
                self.backlog[server] -= job.remaining
                continue
            if job.requested > t:
                t = job.requested
            if t >= end - _EPS:
                break
            if job.started is None:
                job.started = t
                self._leave(job, t, True)
            can = (end - t) * MINUTES_PER_DAY * speed
            w = job.remaining if job.remaining < can else can
            job.remaining -= w
            self.backlog[server] -= w
            worked += w
            t += w / (speed * MINUTES_PER_DAY)
            if on_work is not None:
                on_work(job, w)
            if job.remaining <= _EPS:
                q.popleft()
                if on_finish is not None:
                    on_finish(job, t)
            else:
                t = end
                break
        if t > end:
            t = end
        if t > self.clock[server]:
            self.clock[server] = t
        # from here on, the server would be free once the work it holds is done at this speed
        left = self.backlog[server]
        self.free_at[server] = (self.clock[server] if left <= _EPS
                                else end + left / (MINUTES_PER_DAY * speed))
        return worked

    def _leave(self, job: Job, t: float, served: bool) -> None:
        arrival = self._waiting.pop(id(job), None)
        if arrival is not None:
            self._arrival.append(arrival)
            self._left.append(t)
            self._served.append(1 if served else 0)

    # ------------------------------------------------------------------ statistics
    def waits(self) -> list[float]:
        """Waiting time in queue (days) of every monitored job that has started, in the order
        the servers reached them. Jobs still waiting are not included (see
        :meth:`queue_statistics` for a measure that counts them)."""
        return [lv - a for a, lv, s in zip(self._arrival, self._left, self._served) if s]

    def queue_statistics(self, t0: float, t1: float) -> dict[str, float]:
        """Queue statistics over the window [t0, t1) (days), for Little's law.

        ``mean_queue_length``: the time-average number of jobs waiting (not yet started), from
        the exact time each monitored job spent in the queue inside the window; ``arrival_rate``:
        jobs arriving in the window per day; ``mean_wait``: days waited by jobs arriving in the
        window (jobs still waiting at ``t1`` count until ``t1``). Only jobs arriving at or after
        ``monitor_from`` are counted, so choose ``t0 >= monitor_from``. ``mean_wait_left``: days
        waited by the jobs arriving in the window that have left the queue, in full (also after
        ``t1``), the waiting time a user of the queue experiences.
        """
        if t1 <= t0:
            raise ValueError("queue_statistics needs t1 > t0")
        area = 0.0
        arrivals = 0
        wait_sum = 0.0
        left, left_wait = 0, 0.0
        pending = list(self._waiting.values())
        for a, lv in zip(list(self._arrival) + pending, list(self._left) + [t1] * len(pending)):
            lo = a if a > t0 else t0
            hi = lv if lv < t1 else t1
            if hi > lo:
                area += hi - lo
            if t0 <= a < t1:
                arrivals += 1
                wait_sum += (lv if lv < t1 else t1) - a
        for a, lv in zip(self._arrival, self._left):
            if t0 <= a < t1:
                left += 1
                left_wait += lv - a
        span = t1 - t0
        return {"mean_queue_length": area / span,
                "arrival_rate": arrivals / span,
                "mean_wait": wait_sum / arrivals if arrivals else 0.0,
                "mean_wait_left": left_wait / left if left else 0.0,
                "arrivals": float(arrivals)}
