"""The same config and seed give the same rows on every machine.

NumPy's float64 ``exp`` and ``log`` (and other transcendental ufuncs) take code of NumPy's own
on CPUs with AVX-512 and the C library's elsewhere; the two differ in the last bit. A talk's
minutes drawn through ``np.exp`` were therefore other numbers on an AVX-512 machine than on
one without, and the pinned event logs of tests/test_golden.py held on one kind of CPU only.
The model draws and transforms its numbers with :mod:`math` instead (the C library's functions)
and uses NumPy only for the random generator and for exact array operations.
"""
from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODEL_CODE = [ROOT / "sim" / "model.py", ROOT / "sim" / "practice.py",
              *(ROOT / "sim" / "domain").glob("*.py"), *(ROOT / "sim" / "engine").glob("*.py"),
              *(ROOT / "sim" / "mechanisms").glob("*.py")]
"""The code that runs inside a simulation (not the reports and statistics after it)."""

MACHINE_DEPENDENT = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "power",
                     "float_power", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                     "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
                     "cbrt", "hypot"}
"""NumPy ufuncs with SIMD code of NumPy's own that is not correctly rounded (exact operations
such as sqrt, +, *, minimum, floor are the same on every CPU)."""


def _numpy_calls(source: str, name: str) -> list[str]:
    """``np.<name>`` attributes used in ``source`` (the file ``name``) whose results may depend
    on the CPU, as ``name:line np.<function>``."""
    tree = ast.parse(source)
    return [f"{name}:{node.lineno} np.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in ("np", "numpy") and node.attr in MACHINE_DEPENDENT]


def test_the_simulation_uses_no_numpy_function_whose_last_bit_depends_on_the_cpu():
    found = [call for path in MODEL_CODE
             for call in _numpy_calls(path.read_text(encoding="utf-8"),
                                      str(path.relative_to(ROOT)))]
    assert found == [], "use math.<function> per element instead: " + ", ".join(found)


def test_the_scan_sees_such_a_call_and_passes_exact_ones():
    # the check above could pass by looking at nothing: it must see np.exp where it is written
    source = "import numpy as np\nx = np.sqrt(2.0 * np.exp(np.arange(3)))\n"
    assert _numpy_calls(source, "sample.py") == ["sample.py:2 np.exp"]
    assert len(MODEL_CODE) > 20


def test_talk_minutes_are_the_c_librarys_lognormal_of_the_generators_normals():
    from sim.domain.talks import TALK_DRAWS_BLOCK, _talk_draws_block

    means, cv = (10.0, 45.0, 20.0), 0.4
    draws = _talk_draws_block((np.random.default_rng(7), means, cv))
    z = np.random.default_rng(7).standard_normal((3, TALK_DRAWS_BLOCK)).tolist()
    s2 = math.log1p(cv * cv)
    for k, mean in enumerate(means):
        want = [mean * math.exp(math.sqrt(s2) * x - 0.5 * s2) for x in z[k]]
        assert [d[k] for d in draws] == want
