"""The compiled simulated board gives bit for bit what its Python sources give.

`make` compiles the board's per-tick and per-cycle modules (sim/compile.py) with mypyc and
the import prefers them; the sources stay the reference, and run wherever nothing could be
compiled. Each side runs in a process of its own (a module is imported once per process):
the sources from a copy of the package that holds no compiled module. Whole sessions, every
fault of the campaign injected in a hold, on the heavy patient: the same outcome, trips,
latched fault and every force and status of every cycle, as exact values, not within a
tolerance. An edited source that was not rebuilt fails here too (run `make`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from bench.campaign.matrix import FAULTS
from sim.compile import COMPILED

pytestmark = pytest.mark.requirement("SR-038")
PACKAGE = Path(sim.__file__).parent
ROOT = PACKAGE.parent
SCENARIOS = ["", *(label for label, _, _ in FAULTS)]
# The child prints which files ran, then every scenario's trace (repr: exact floats).
CHILD = """
import importlib, json, sys
from controller.core import logs
from tests.sim.test_batch_equivalence import trace
logs.configure("error")
modules = {m: importlib.import_module("sim." + m).__spec__.origin for m in sys.argv[1:]}
print(json.dumps(modules))
for fault in json.loads(sys.stdin.read()):
    print(repr(trace(True, fault, "hold")))
"""


def built() -> dict[str, Path]:
    found = {}
    for name in COMPILED:
        so = sorted(PACKAGE.glob(f"{name}.cpython-*.so"))
        if so:
            found[name] = so[0]
    return found


def run(first_on_path: Path | None) -> tuple[dict[str, str], list[str]]:
    path = [str(ROOT)] if first_on_path is None else [str(first_on_path), str(ROOT)]
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path[:0] = {path!r}\n{CHILD}", *COMPILED],
        input=json.dumps(SCENARIOS),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    return json.loads(out[0]), out[1:]


@pytest.fixture(scope="module")
def compiled() -> dict[str, Path]:
    found = built()
    if not found:
        pytest.skip("the simulator is not compiled here (make builds it): its sources run")
    return found


def test_every_module_make_compiles_is_compiled_and_imported(compiled: dict[str, Path]) -> None:
    """All or none (the Makefile removes a partial build), and where built, it is what runs;
    a compiled module older than its source is stale: `make` rebuilds it."""
    assert sorted(compiled) == sorted(COMPILED)
    modules, _ = run(None)
    # by name: a module of the group that another one imported reports a path off by a
    # directory (mypyc's loader), not another file
    assert {name: Path(file).name for name, file in modules.items()} == {
        name: so.name for name, so in compiled.items()
    }
    for name, so in compiled.items():
        source = PACKAGE / f"{name}.py"
        assert so.stat().st_mtime >= source.stat().st_mtime, f"{so.name} is older: run make"


def test_the_compiled_board_runs_every_fault_as_its_sources(
    compiled: dict[str, Path], tmp_path: Path
) -> None:
    sources = tmp_path / "sim"
    shutil.copytree(PACKAGE, sources, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    reference_modules, reference = run(tmp_path)
    assert all(f.endswith(".py") for f in reference_modules.values()), reference_modules
    _, fast = run(None)
    assert len(fast) == len(reference) == len(SCENARIOS)
    for scenario, a, b in zip(SCENARIOS, fast, reference, strict=True):
        assert a == b, f"fault {scenario or 'none'}: the compiled board differs from its sources"
