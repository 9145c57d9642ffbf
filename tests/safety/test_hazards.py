"""The hazard and requirement files: valid, whole, and refused with a name when they are not."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from safety.hazards import HazardsError, load_case

HAZARDS = files("safety").joinpath("hazards.toml").read_text("utf-8")
REQUIREMENTS = files("safety").joinpath("requirements.toml").read_text("utf-8")
# issue 11's list: every one of these situations has a hazard of its own
COVERED = [
    "over-force",
    "force rate",
    "uncommanded pull",
    "abrupt release",
    "tension left",
    "stale or frozen sensor",
    "common gain error",
    "channel disagreement",
    "link loss",
    "host hang or crash",
    "power loss",
    "wrong weight",
    "cervical protocol on lumbar",
    "limits file",
    "records lost or tampered",
    "console misread",
    "patient switch failure",
    "e-stop failure",
    "over-travel",
    "fault reset that starts motion",
    "pinch points",
    "harness fit",
]


def test_the_shipped_case_is_whole() -> None:
    case = load_case()
    assert all(h.controls for h in case.hazards)
    titles = " | ".join(h.title.lower() for h in case.hazards)
    missing = [c for c in COVERED if c not in titles]
    assert not missing, missing
    for r in case.requirements:  # every requirement states a number or a named fault
        assert re.search(r"\d|[A-Z_]{6,}", r.statement), r.id


def test_a_hazard_without_a_control_is_refused_by_name() -> None:
    text = re.sub(
        r'(id = "H-06".*?)controls = \[.*?\n\]', r"\1controls = []", HAZARDS, count=1, flags=re.S
    )
    with pytest.raises(HazardsError, match=r"H-06 \(Stale or frozen sensor\): no risk control"):
        load_case(text, REQUIREMENTS)


def test_a_software_control_without_its_requirement_is_refused() -> None:
    text = HAZARDS.replace('requirements = ["SR-009"]', "requirements = []", 1)
    with pytest.raises(HazardsError, match="host-safety control needs the requirements"):
        load_case(text, REQUIREMENTS)


def test_a_control_naming_an_unknown_requirement_is_refused() -> None:
    text = HAZARDS.replace('"SR-009"', '"SR-999"', 1)
    with pytest.raises(HazardsError, match="H-06: control names SR-999"):
        load_case(text, REQUIREMENTS)


def test_a_requirement_that_controls_nothing_is_refused() -> None:
    extra = (
        '\n[[requirement]]\nid = "SR-900"\nstatement = "A requirement no control names, 1 s."\n'
        'hazards = ["H-01"]\nverification = ["unit"]\n'
    )
    with pytest.raises(HazardsError, match="SR-900: states no hazard's control"):
        load_case(HAZARDS, REQUIREMENTS + extra)
