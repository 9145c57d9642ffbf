"""The pytest plugin: `pytest hil/ --target FILE` runs the catalogue against that target.

Markers: `requirement("...")` names what a test proves; `needs(Capability...)` skips it, with
the reason, on a target without them. Fixtures: `target`, `operator`, `table` (started and
stopped per test), `measure` (measurements with limits), `hil_run` (the run's record).
Outputs in `--hil-out` (default `hil-results/<target file name>/`): `junit.xml` (pytest's
own, with every measurement as a property), `record.json` and `report.md` with the plots.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.records.recorder import software_version
from hil.measurements import Measurements
from hil.operator import Operator, load_script
from hil.people import acting
from hil.record import RunRecord
from hil.table import HilTable
from hil.targets import Capability, Target, TargetError, load_target
from safety.hazards import marker_ids
from sim.variants import DEFAULT_VARIANT

DEFAULT_TARGET = "sim-tcp"
RUN_KEY = pytest.StashKey[RunRecord]()
TARGET_KEY = pytest.StashKey[Target]()
OPERATOR_KEY = pytest.StashKey[Operator]()
ACTING_KEY = pytest.StashKey[str]()  # who the run's sessions are recorded with (hil/people.py)
MEASURE_KEY = pytest.StashKey[Measurements]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop")
    group.addoption(
        "--target",
        default=DEFAULT_TARGET,
        help="target file, or a built-in target: sim-tcp (default), sim-rtu, sim-as-real-table",
    )
    group.addoption("--hil-out", default=None, help="output directory (default hil-results/NAME)")
    group.addoption(
        "--board-variant",
        default=None,
        help="built-in simulator only: which reading of the ICD's open choices its board takes "
        "(sim/variants.py; default: the target's, else reference)",
    )
    group.addoption(
        "--token-file",
        default=None,
        help="a real table with accounts: the token file of the account running the suite",
    )
    group.addoption(
        "--operator-script",
        default=None,
        help="TOML of operator answers (step = 'done') standing in for a person",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(*ids, text): the safety requirements (SR-nnn) a HIL test proves, and what",
    )
    config.addinivalue_line("markers", "needs(*capabilities): target capabilities a test needs")
    name = str(config.getoption("--target"))
    try:
        target = load_target(Path(name))
        script = load_script(
            Path(config.getoption("--operator-script"))
            if config.getoption("--operator-script")
            else None
        )
        variant = config.getoption("--board-variant")
        if variant:
            target = target.with_variant(str(variant))
        config.stash[ACTING_KEY] = acting(target, config.getoption("--token-file"))
    except (TargetError, ValueError, OSError) as exc:
        raise pytest.UsageError(f"--target {name}: {exc}") from exc
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(name).stem)
    if target.variant != DEFAULT_VARIANT:
        slug += f"-{target.variant}"
    out = Path(config.getoption("--hil-out") or Path("hil-results") / slug).resolve()
    if not config.option.xmlpath:
        config.option.xmlpath = str(out / "junit.xml")
    config.stash[TARGET_KEY] = target
    config.stash[OPERATOR_KEY] = Operator(target.operator.prompt_timeout_s, script)
    config.stash[RUN_KEY] = RunRecord(target, name, out, software_version())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = config.stash[TARGET_KEY]
    for item in items:
        for mark in item.iter_markers("needs"):
            missing = [c for c in mark.args if not target.has(Capability(c))]
            if missing:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"target '{target.name}' lacks capability "
                        f"{', '.join(str(c) for c in missing)}"
                    )
                )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    run = item.config.stash[RUN_KEY]
    mark = item.get_closest_marker("requirement")
    ids, text = marker_ids(mark.args) if mark else ((), "")
    result = run.result(item.nodeid, text)
    if report.when == "setup":
        result.requirements = list(ids)
        item.user_properties += [("requirement", i) for i in ids]
    result.duration_s += report.duration
    measured = item.stash.get(MEASURE_KEY, None)
    if report.when == "call" and measured is not None:
        result.measurements = list(measured.items)
        for m in measured.items:
            item.user_properties.append(
                (
                    f"measurement {m.name}",
                    f"{m.shown()} {m.limits()} {'pass' if m.passed else 'FAIL'}",
                )
            )
        if report.passed and measured.failed:
            report.outcome = "failed"
            report.longrepr = "measurements outside their limits: " + "; ".join(
                f"{m.name} = {m.shown()} not in {m.limits()}" for m in measured.failed
            )
    if report.skipped and report.when in ("setup", "call"):
        result.outcome = "skipped"
        longrepr = report.longrepr
        result.message = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    elif report.failed:
        result.outcome = "failed" if report.when == "call" else "error"
        result.message = str(report.longrepr)[-2000:]
    elif report.when == "call":
        result.outcome = "passed"


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    record, report = run.write()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"HIL record: {record}")
        reporter.write_line(f"HIL report: {report}")


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    return request.config.stash[TARGET_KEY]


@pytest.fixture(scope="session")
def hil_run(request: pytest.FixtureRequest) -> RunRecord:
    return request.config.stash[RUN_KEY]


@pytest.fixture
def operator(request: pytest.FixtureRequest, hil_run: RunRecord) -> Iterator[Operator]:
    op = request.config.stash[OPERATOR_KEY]
    before = len(op.prompts)
    yield op
    hil_run.result(request.node.nodeid).prompts += op.prompts[before:]


@pytest.fixture
def measure(request: pytest.FixtureRequest, target: Target) -> Measurements:
    m = Measurements(enforce_timing=target.enforce_timing)
    request.node.stash[MEASURE_KEY] = m
    return m


@pytest.fixture
def table(
    request: pytest.FixtureRequest, target: Target, operator: Operator, hil_run: RunRecord
) -> Iterator[HilTable]:
    # the simulated patient's muscles only for the tests that read them: the others pull
    # against the same spring they always did
    needs = [c for m in request.node.iter_markers("needs") for c in m.args]
    t = HilTable(target, operator, emg=Capability.EMG in needs)
    t.acting = request.config.stash[ACTING_KEY]
    t.start()
    try:
        yield t
    finally:
        t.stop()
