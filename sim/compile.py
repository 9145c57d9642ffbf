"""`make`'s build of the compiled simulated board: `python -m sim.compile`.

Why a script of our own rather than the `mypyc` command: that command names the shared
library of a multi-module build by a hash and leaves it at the top of the repository, where
only a process started there could import it (`traction` started from anywhere else could
not import the board). Here the group is named inside the package, so the whole build lands
in `sim/`. Which modules: the board's per-tick and per-cycle ones; everything else in `sim/`
(servers, injection, variants) stays Python. tests/sim/test_compiled_board.py holds the build
to these sources, bit for bit.
"""

from __future__ import annotations

from pathlib import Path

COMPILED = ("kernel", "physics", "loadcell", "fault_checks", "firmware", "registers")
GROUP = "sim.native"  # the shared library: sim/native__mypyc.*.so


def main() -> None:
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped,unused-ignore]

    root = Path(__file__).resolve().parent.parent
    sources = [f"sim/{name}.py" for name in COMPILED]
    setup(
        name="traction-sim-native",
        ext_modules=mypycify(sources, group_name=GROUP, opt_level="3"),
        script_args=["build_ext", "--inplace", "--build-temp", str(root / "build")],
    )


if __name__ == "__main__":
    main()
