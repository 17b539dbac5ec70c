"""Random-number streams: one per stochastic process, keyed by name, drawn in blocks.

A stream is identified by (seed, replication, name), e.g. ``"talk_minutes/adp"``. The same name
gives the same numbers in every scenario, so two scenarios see the same citizens wherever they do
not differ (common random numbers), and a change to one group leaves other groups' draws alone.
Numbers are drawn from NumPy in blocks and handed out one by one from a Python list, which is
several times cheaper per draw than calling the generator for each value.
"""
from __future__ import annotations

import math
import zlib

import numpy as np

_BLOCK = 2048


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in replication ``replication`` of base ``seed``."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, zlib.crc32(name.encode())))


class Stream:
    """Uniform, normal and exponential variates from one named generator, drawn in blocks."""

    __slots__ = ("rng", "_u", "_ui", "_n", "_ni")

    def __init__(self, seed_seq: np.random.SeedSequence):
        self.rng = np.random.default_rng(seed_seq)
        self._u: list[float] = []
        self._ui = 0
        self._n: list[float] = []
        self._ni = 0

    def random(self) -> float:
        """A uniform variate on [0, 1)."""
        i = self._ui
        if i >= len(self._u):
            self._u = self.rng.random(_BLOCK).tolist()
            i = 0
        self._ui = i + 1
        return self._u[i]

    def normal(self) -> float:
        """A standard normal variate."""
        i = self._ni
        if i >= len(self._n):
            self._n = self.rng.standard_normal(_BLOCK).tolist()
            i = 0
        self._ni = i + 1
        return self._n[i]

    def exponential(self, mean: float) -> float:
        """An exponential variate with the given mean."""
        return -mean * math.log(1.0 - self.random())

    def lognormal_mean_cv(self, mean: float, cv: float) -> float:
        """A lognormal variate with the given mean and coefficient of variation (0 -> constant)."""
        if cv <= 0.0 or mean <= 0.0:
            return mean
        s2 = math.log1p(cv * cv)
        return mean * math.exp(math.sqrt(s2) * self.normal() - 0.5 * s2)

    def choice(self, cumulative: list[float]) -> int:
        """Index drawn from cumulative probabilities (last entry 1)."""
        u = self.random()
        for i, c in enumerate(cumulative):
            if u < c:
                return i
        return len(cumulative) - 1


class Streams:
    """All streams of one replication, created on first use by name."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            s = Stream(stream_seed(self.seed, self.replication, name))
            self._streams[name] = s
        return s

    def generator(self, name: str) -> np.random.Generator:
        """A NumPy generator of its own for vectorised draws (e.g. the initial stock)."""
        return np.random.default_rng(stream_seed(self.seed, self.replication, "np/" + name))
