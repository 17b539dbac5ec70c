"""The notebooks as stored: without outputs, on the public API only, no shelling out.

They are run top to bottom by ``pytest --nbmake notebooks`` (the mining extra; .ci/run).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import sim

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _code(nb_path: Path) -> list[str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_the_four_notebooks():
    assert [p.stem for p in NOTEBOOKS] == ["01_first_scenario", "02_response_curve",
                                           "03_catalog", "04_process_mining"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_only_the_public_api_and_no_shell(path):
    code = "\n".join(_code(path))
    used = set()
    for line in code.splitlines():
        assert not line.lstrip().startswith(("!", "%")), line
        assert not re.search(r"\b(subprocess|os\.system|sim\.\w+\.)", line), line
        assert not re.match(r"\s*(from sim\.|import sim\.)", line), line
        m = re.match(r"\s*from sim import (.+)", line)
        if m:
            used |= {n.strip() for n in m.group(1).split(",")}
    assert used, "a notebook uses the simulator through from sim import ..."
    assert used <= set(sim.__all__)


def test_a_private_import_is_caught(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps({"cells": [{"cell_type": "code", "source": [
        "from sim.experiment import run_experiment\n"], "outputs": [],
        "execution_count": None}]}), encoding="utf-8")
    with pytest.raises(AssertionError):
        test_only_the_public_api_and_no_shell(bad)
