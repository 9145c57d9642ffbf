"""Imports point down only (docs/architecture.md): checked on the source, not by convention."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("firmware_bridge", "safety", "controller", "sim", "hil")
# What each package may import from the others (module prefixes).
ALLOWED: dict[str, tuple[str, ...]] = {
    "firmware_bridge": (),
    "safety": ("firmware_bridge.",),
    "sim": ("firmware_bridge.icd", "firmware_bridge.codec", "firmware_bridge.errors"),
    "controller": ("firmware_bridge", "safety", "sim"),
    "hil": ("firmware_bridge", "safety", "controller", "sim"),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_its_layer_may(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imports(path):
            top = name.split(".")[0]
            if top in PACKAGES and top != package and not name.startswith(ALLOWED[package]):
                bad.append(f"{path.relative_to(ROOT)}: {name}")
    assert not bad, "upward or sideways imports:\n" + "\n".join(bad)


def test_only_the_composition_root_knows_sim_urls() -> None:
    users = [
        str(p.relative_to(ROOT))
        for package in ("controller", "hil")
        for p in (ROOT / package).rglob("*.py")
        if any(name.startswith("sim.virtual") for name in imports(p))
    ]
    assert users == ["controller/app/composition.py"]


# Inside controller, top to bottom (docs/architecture.md): the command line; the console; the
# composition root and the site's configuration; the session owner; the records; the control
# core (everything else). Each imports only what lies below it: the console never the command
# line, the session never a front end.
CONTROLLER_LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("cli", ("controller.cli",)),
    ("console", ("controller.console",)),
    ("application", ("controller.app",)),
    ("session", ("controller.run",)),
    ("records", ("controller.records",)),
]
ABOVE: dict[str, tuple[str, ...]] = {
    layer: tuple(m for _, modules in CONTROLLER_LAYERS[:i] for m in modules)
    for i, (layer, _) in enumerate([*CONTROLLER_LAYERS, ("core", ())])
}


def within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def controller_layer(module: str) -> str:
    for layer, modules in CONTROLLER_LAYERS:
        if within(module, modules):
            return layer
    return "core"


def test_controller_layers_import_only_downward() -> None:
    bad = []
    for path in sorted((ROOT / "controller").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        layer = controller_layer(module)
        for name in imports(path):
            if within(name, ABOVE[layer]):
                bad.append(f"{module} ({layer}): {name}")
    assert not bad, "controller layers importing upward:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", ["hil", "bench"])
def test_hil_and_the_benchmarks_use_the_system_not_its_command_line(package: str) -> None:
    """What hil/ and bench/ share with the `traction` commands lives below controller/cli/."""
    bad = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imports(path)
        if within(name, ("controller.cli",))
    ]
    assert not bad, "imports from the command line:\n" + "\n".join(bad)


def test_the_folder_a_module_sits_in_says_its_layer() -> None:
    """No module lies loose in controller/: each sits in the folder of its layer (cli/,
    console/, app/, run/, records/) or of the control core (core/, protocols/, clinic/,
    maintenance/)."""
    loose = [p.name for p in (ROOT / "controller").glob("*.py") if p.name != "__init__.py"]
    assert loose == []
