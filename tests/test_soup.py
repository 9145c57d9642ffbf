"""docs/soup.md lists every runtime dependency with exactly the pin pyproject.toml gives it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pinned() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.+)", dep.strip())
        assert m, f"cannot read the dependency {dep!r}"
        out[m.group(1).lower()] = m.group(3).replace(" ", "")
    return out


def listed() -> dict[str, str]:
    text = (ROOT / "docs" / "soup.md").read_text()
    table = text.split("## Direct runtime dependencies", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([A-Za-z0-9_.-]+) \| `([^`]+)` \|", table, re.M)
    return {name.lower(): spec for name, spec in rows}


def test_every_runtime_dependency_is_in_the_soup_list_with_its_pin() -> None:
    assert listed() == pinned()
