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
from bisect import bisect_right
from itertools import chain, repeat
from typing import Iterator

import numpy as np

_BLOCK = 2048
_FIRST_BLOCKS = (32, 128, 512)
"""A stream's first blocks are small, then every block is ``_BLOCK`` values: a model has about a
hundred streams, many of which use only a few dozen numbers in a run. Drawn one after the other,
blocks of any sizes give the same sequence (NumPy fills them value by value)."""

def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in replication ``replication`` of base ``seed``."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, zlib.crc32(name.encode())))


def _in_blocks(draw) -> Iterator[float]:
    """The values of ``draw(32)``, ``draw(128)``, ... ``draw(_BLOCK)``, ``draw(_BLOCK)``, ... one
    by one, each block drawn when the one before is used up (an iterator of C code: a value
    costs no Python call)."""
    sizes = chain(_FIRST_BLOCKS, repeat(_BLOCK))
    return chain.from_iterable(map(_block, repeat(draw), sizes))


def _block(draw, size: int) -> list[float]:
    return draw(size).tolist()


class _NamedGenerator:
    """The NumPy generator of a named stream, made at the stream's first draw: a model names
    about a hundred streams, and a third of them draw nothing in a run."""

    __slots__ = ("key", "_rng")

    def __init__(self, seed: int, replication: int, name: str):
        self.key = (seed, replication, name)
        self._rng: np.random.Generator | None = None

    def generator(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = np.random.default_rng(stream_seed(*self.key))
        return self._rng

    def random(self, size: int) -> np.ndarray:
        return self.generator().random(size)

    def standard_normal(self, size: int) -> np.ndarray:
        return self.generator().standard_normal(size)


class Stream:
    """Uniform, normal and exponential variates from one generator, drawn in blocks.

    ``random()`` gives a uniform variate on [0, 1) and ``normal()`` a standard normal one; both
    are the ``__next__`` of an iterator over NumPy blocks (see ``_in_blocks``), the cheapest
    call Python has for a value.
    """

    __slots__ = ("random", "normal")

    def __init__(self, source: np.random.SeedSequence | np.random.Generator | _NamedGenerator):
        if isinstance(source, np.random.SeedSequence):
            source = np.random.default_rng(source)
        self.random = _in_blocks(source.random).__next__
        self.normal = _in_blocks(source.standard_normal).__next__

    def exponential(self, mean: float) -> float:
        """An exponential variate with the given mean."""
        return -mean * math.log(1.0 - self.random())

    def lognormal_mean_cv(self, mean: float, cv: float) -> float:
        """A lognormal variate with the given mean and coefficient of variation (0 -> constant)."""
        if cv <= 0.0 or mean <= 0.0:
            return mean
        s2 = math.log1p(cv * cv)
        return mean * math.exp(math.sqrt(s2) * self.normal() - 0.5 * s2)

    def poisson_counts(self, rates: list[float]) -> list[int]:
        """One Poisson variate per rate (rates <= 0 give 0).

        The same numbers as NumPy's ``Generator.poisson(rates)`` on this stream's generator
        would give (NumPy 1.17 and later: the multiplication method below rate 10, Hörmann's
        PTRS from 10 on), drawn from the stream's uniforms instead of a NumPy call,
        which costs about 30 µs of argument checking for a short list.
        """
        out = []
        uniform = self.random
        for lam in rates:
            if lam <= 0.0:
                out.append(0)
            elif lam < 10.0:
                enlam = math.exp(-lam)
                x = 0
                prod = uniform()
                while prod > enlam:
                    x += 1
                    prod *= uniform()
                out.append(x)
            else:
                out.append(self._poisson_ptrs(lam))
        return out

    def _poisson_ptrs(self, lam: float) -> int:
        """A Poisson variate for rate ``lam`` >= 10 by transformed rejection (PTRS, Hörmann
        1993), step for step as NumPy does it."""
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = self.random() - 0.5
            V = self.random()
            us = 0.5 - abs(U)
            k = math.floor((2 * a / us + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - _loggam(k + 1)):
                return k

    def choice(self, cumulative: list[float]) -> int:
        """Index drawn from cumulative probabilities (last entry 1)."""
        i = bisect_right(cumulative, self.random())    # the first entry above the uniform
        return i if i < len(cumulative) else len(cumulative) - 1


_LOGGAM_COEFFICIENTS = (8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
                        -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03,
                        6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01,
                        -1.39243221690590e+00)


def _loggam(x: float) -> float:
    """log Gamma(x) for x > 0 by Stirling's series, as NumPy's random module computes it."""
    if x == 1.0 or x == 2.0:
        return 0.0
    x0 = x
    n = 0
    if x <= 7.0:
        n = int(7 - x)
        x0 = x + n
    x2 = 1.0 / (x0 * x0)
    a = _LOGGAM_COEFFICIENTS
    gl0 = a[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += a[k]
    gl = gl0 / x0 + 0.5 * math.log(2 * math.pi) + (x0 - 0.5) * math.log(x0) - x0
    if x <= 7.0:
        for _ in range(n):
            gl -= math.log(x0 - 1.0)
            x0 -= 1.0
    return gl


class Streams:
    """All streams of one replication, created on first use by name."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            s = Stream(_NamedGenerator(self.seed, self.replication, name))
            self._streams[name] = s
        return s

    def generator(self, name: str) -> np.random.Generator:
        """A NumPy generator of its own for vectorised draws (e.g. the initial stock)."""
        return np.random.default_rng(stream_seed(self.seed, self.replication, "np/" + name))
