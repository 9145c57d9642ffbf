# The two commands a newcomer needs (README): `make demo` and `make test`.
# Each creates the virtual environment and installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := $(VENV)/.kernel

.PHONY: demo console test explore pyc virtual typecheck virtual-tests wall-clock hil hil-tcp hil-rtu hil-rtu-all hil-variants trace tools bench campaign clean

# The editable install builds no compiled modules (setup.py, TRACTION_PURE_PYTHON) and needs
# none of the wheel's build tools: the $(KERNEL) step below compiles in place, and again
# whenever a source changes. `pip install .` alone compiles them into the wheel.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "setuptools~=84.2.1"
	TRACTION_PURE_PYTHON=1 $(BIN)/pip install --quiet --no-build-isolation -e ".[dev]"
	touch $(STAMP)

# The simulated board's per-tick and per-cycle modules compiled with mypyc (sim/compile.py,
# about 15 s), which the import prefers; without a C compiler the same sources run as
# Python, about 2x slower (docs/simulator.md). tests/sim/test_compiled_board.py holds each
# build to its sources. A failed build leaves nothing behind: all compiled or none. The
# compiled modules are touched: setuptools copies unchanged ones with their old times.
NATIVE := sim/*.cpython-*.so
$(KERNEL): $(wildcard sim/*.py) $(STAMP)
	@mkdir -p build
	@rm -f $(NATIVE)
	@if $(BIN)/python -m sim.compile > build/mypyc.log 2>&1; then touch $(NATIVE) $(KERNEL); \
	else rm -f $(NATIVE); echo "the simulator not compiled (build/mypyc.log): it runs as Python"; fi

demo: $(KERNEL)
	$(BIN)/traction demo

# The technician's console on the simulated table: open the address it prints.
console: $(KERNEL)
	$(BIN)/traction console --device sim://

# The project's own modules byte-compiled once: where PYTHONDONTWRITEBYTECODE is set (this
# machine and its CI set it) every process would compile them again at its start, and the
# wall-clock lanes start hundreds of processes (0.15 s each). pip compiles what it installs;
# installing with --no-compile here cost every process about 1 s (runs 19 and 20).
PYC_DIRS := controller sim safety firmware_bridge hil bench
pyc: $(STAMP)
	@$(BIN)/python -m compileall -q -j 2 $(PYC_DIRS) > /dev/null

test: tools
	@$(MAKE) --no-print-directory -j2 $(KERNEL) typecheck pyc
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory virtual-tests
	$(MAKE) --no-print-directory wall-clock
	$(MAKE) --no-print-directory trace

# The type check and the tests in virtual time, on every core. `make test` runs them before
# the wall-clock runs, never beside them: with both CPUs busy, even at nice 19, the host
# holds this VM's CPUs off for 8-18 ms at a time (bench/machine_stalls.py on both CPUs:
# 2-6 ms idle or with one CPU busy), and one such stall of 174 ms cost a CI run its console
# tests and the live demo to a correct LOOP_OVERRUN and board WATCHDOG (2026-12-04).
virtual: $(KERNEL) typecheck
	$(MAKE) --no-print-directory virtual-tests

# The type check runs beside the simulator's compile (each takes one CPU), never beside tests.
typecheck: $(STAMP)
	$(BIN)/mypy

virtual-tests: $(KERNEL)
	$(BIN)/pytest -q -n auto -m "not realtime" --junitxml=test-results/virtual/junit.xml

# What runs on the wall clock, in two phases that each take about as long as their longest
# part. First, side by side, each with its own simulator, ports and results: the browser tests
# (one at a time: Chromium is the one heavy load), the other real-time tests (one at a time),
# the commands' and suites' tests as processes (tests/cli, tests/hil, the console's two
# processes), the whole-process end tests (`traction run` against a board process, one at a
# time), the HIL suite over TCP in two halves (treatment; board safety and maintenance) and its tests on
# the strict and echo-while-enabled boards. Then what runs over the RTU pty (115200 baud, a
# 25 ms reply bound), one run at a time and never beside the browser or each other (either
# once cost an RTU link three replies in a row): its real-time tests, then the HIL suite over
# RTU. The HIL targets record timing rather than enforce it. The lanes are not only waiting:
# their simulators, loops, Chromium and process start-ups keep both CPUs busy, so an eighth
# lane made every lane slower (649 s against 599 s for the whole CI, 2026-12-07).
wall-clock: $(KERNEL)
	@mkdir -p hil-results
	@.ci/together \
	  "realtime-browser=$(BIN)/pytest -q -m 'realtime and browser' \
	    --junitxml=test-results/realtime-browser/junit.xml" \
	  "realtime=$(BIN)/pytest -q -m 'realtime and not rtu and not browser and not processes \
	    and not commands' --junitxml=test-results/realtime/junit.xml" \
	  "realtime-commands=$(BIN)/pytest -q -m 'realtime and commands and not rtu and not browser' \
	    --junitxml=test-results/realtime-commands/junit.xml" \
	  "realtime-processes=$(BIN)/pytest -q -m 'realtime and processes and not rtu' \
	    --junitxml=test-results/realtime-processes/junit.xml" \
	  "hil-tcp-treatment=$(HIL_TCP) hil/test_treatment.py hil/test_link.py \
	    --hil-out hil-results/sim-tcp-treatment" \
	  "hil-tcp-safety=$(HIL_TCP) hil/test_board_safety.py hil/test_maintenance.py hil/test_muscles.py \
	    --hil-out hil-results/sim-tcp-safety" \
	  "hil-variants=$(MAKE) --no-print-directory hil-variants"
	$(BIN)/pytest -q -m "realtime and rtu" --junitxml=test-results/realtime-rtu/junit.xml
	$(MAKE) --no-print-directory hil-rtu

# The property tests with a fresh random seed and five times the examples (`make test` runs
# them derandomised, the same examples every time). The seed is printed first; a failure
# replays with `HYPOTHESIS_PROFILE=explore pytest --hypothesis-seed=SEED TEST` (or the
# @reproduce_failure blob it prints). SEED=N runs a given seed.
explore: $(KERNEL)
	@seed=$${SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "explore: hypothesis seed $$seed"; \
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -n auto -m "not realtime" -p no:cacheprovider \
	  --hypothesis-seed=$$seed tests || { echo "explore: FAILED with hypothesis seed $$seed"; exit 1; }

# The traceability matrix (docs/traceability.md) from the hazard and requirement files and the
# JUnit XML of the last runs; fails naming every requirement without a passing test.
trace: $(STAMP)
	$(BIN)/traction trace test-results/*/junit.xml hil-results/*/junit.xml

# Every fault in every session state on every patient profile and board variant, 1,000 normal
# sessions and 1,000 SIGKILLs, over every core (docs/benchmarks.md); CI runs its slice.
campaign: $(KERNEL)
	$(BIN)/python -m bench.campaign --scope full --out campaign-results

# QA's hardware-in-the-loop suite against the built-in simulator, over TCP and over the RTU pty
# (JUnit XML, JSON record and report in hil-results/<target>/). For a real table:
#   .venv/bin/pytest hil --target my-table.toml
hil: hil-tcp hil-variants hil-rtu

HIL_TCP := $(BIN)/pytest --target sim-tcp -q -p no:cacheprovider

hil-tcp: $(KERNEL)
	$(HIL_TCP) hil

# Over RTU, what the wire can change: the link itself, a treatment's control (one static
# protocol), the operator's commands, a host falling silent (the watchdog), the session's
# record, the board's own trip and a switch's release. The other board reactions do not
# depend on the wire and run over TCP above; `make hil-rtu-all` runs the whole suite over RTU.
HIL_RTU_TESTS := test_link_and_identity or static or test_pause_resume_and_stop \
  or test_watchdog_releases_when_the_host_goes_silent or test_session_is_recorded_and_verifiable \
  or test_board_over_force_trip_on_its_own or test_patient_switch_press_releases

hil-rtu: $(KERNEL)
	$(BIN)/pytest hil --target sim-rtu -q -p no:cacheprovider -k "$(HIL_RTU_TESTS)"

hil-rtu-all: $(KERNEL)
	$(BIN)/pytest hil --target sim-rtu -q -p no:cacheprovider

# The HIL stop-and-release and patient-switch tests on the `strict` board (RELEASE read as a
# level, coalesced writes and instant release at once) and on `echo-while-enabled` (CMD_SEQ
# echoed only with ENABLE; sim/variants.py). The whole suite runs on any variant with
# --board-variant NAME (24/24 on echo-while-enabled, docs/hil.md); the host's own tests run
# every variant in pytest above.
hil-variants: $(KERNEL)
	$(BIN)/pytest hil --target sim-tcp --board-variant strict -q -p no:cacheprovider \
	  -k "test_pause_resume_and_stop or test_patient_switch_press"
	$(BIN)/pytest hil --target sim-tcp --board-variant echo-while-enabled -q \
	  -p no:cacheprovider -k "test_pause_resume_and_stop or test_patient_switch_press"

# Debian's mbpoll (an independent Modbus master) for the outsider tests, socat for people, and
# Debian's Chromium for the console's browser tests (Playwright drives it; no browser download).
tools:
	@{ command -v mbpoll >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq mbpoll socat chromium) >/dev/null 2>&1 \
	      || echo "warning: could not install mbpoll and chromium; their tests will be skipped"; \
	  else echo "warning: apt-get install mbpoll chromium (as root); their tests will be skipped"; fi; }

bench: $(KERNEL)
	$(BIN)/python -m bench.bridge_fc23
	$(BIN)/python -m bench.sim_speed
	$(BIN)/python -m bench.safety_faults
	$(BIN)/python -m bench.session_faults
	$(BIN)/python -m bench.controller_accuracy
	$(BIN)/python -m bench.records_commit
	$(BIN)/python -m bench.loop_jitter
	$(BIN)/python -m bench.console_latency

clean:
	rm -rf $(VENV) build $(NATIVE) .pytest_cache .mypy_cache .ruff_cache .hypothesis hil-results test-results campaign-results
