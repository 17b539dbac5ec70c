"""Random-number streams: block-drawn variates are the generator's own numbers, in order."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.streams import Stream, _loggam


def _rates(rng: np.random.Generator, n: int, scale: float) -> list[float]:
    rates = (rng.random(n) * scale).tolist()
    rates[0] = 0.0              # a member with no caseload
    rates[1] = -0.0
    return rates


@pytest.mark.parametrize("scale", [0.5, 3.0, 9.99, 12.0, 40.0, 250.0])
def test_poisson_counts_are_numpys_draws_from_the_same_generator(scale):
    # staff pools draw unplanned contacts per member and day; the stream gives exactly what
    # Generator.poisson would, below rate 10 (multiplication) and from 10 on (PTRS)
    ours = Stream(np.random.default_rng(11))
    numpys = np.random.default_rng(11)
    rates_rng = np.random.default_rng(5)
    for _ in range(400):
        rates = _rates(rates_rng, 16, scale)
        expected = numpys.poisson([r if r > 0 else 0.0 for r in rates]).tolist()
        assert ours.poisson_counts(rates) == expected
    # and the stream has used exactly as many of the generator's numbers
    assert ours.random() == numpys.random()


def test_poisson_counts_have_the_poisson_mean_and_variance():
    s = Stream(np.random.default_rng(3))
    for lam in (0.7, 4.0, 15.0):
        x = np.array([c for _ in range(2000) for c in s.poisson_counts([lam] * 10)], float)
        se = math.sqrt(lam / len(x))
        assert abs(x.mean() - lam) < 4 * se
        assert x.var() == pytest.approx(lam, rel=0.05)


@pytest.mark.parametrize("x", [1.0, 2.0, 3.0, 6.5, 7.0, 8.0, 31.0, 1000.0])
def test_loggam_is_log_gamma(x):
    assert _loggam(x) == pytest.approx(math.lgamma(x), rel=1e-12, abs=1e-12)


def test_a_stream_hands_out_its_generators_sequence_whatever_the_block_sizes():
    # small first blocks, then large ones: value for value what the generator gives in one go
    ours = Stream(np.random.default_rng(21))
    assert [ours.random() for _ in range(5000)] == np.random.default_rng(21).random(5000).tolist()
    ours = Stream(np.random.default_rng(22))
    assert ([ours.normal() for _ in range(3000)]
            == np.random.default_rng(22).standard_normal(3000).tolist())
