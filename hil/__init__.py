"""Hardware-in-the-loop suites for QA, run against the simulator or a real table."""
