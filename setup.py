"""The package build: the simulated board's hot modules compiled with mypyc, as black and mypy
ship themselves, wherever a C compiler exists; where none does, or the build fails, the same
sources are installed as Python (the simulator is then about 2x slower, nothing else
changes). All metadata is in pyproject.toml; this file only adds the compiled modules.

`pip install .` therefore gives the compiled board on any machine with a compiler.
TRACTION_PURE_PYTHON=1 builds without it (the Makefile's editable install uses that, and
then compiles in place itself, rebuilding whenever a source changes: sim/compile.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from sim.compile import COMPILED, GROUP  # noqa: E402  (the list lives beside the sources)


def _compiler() -> bool:
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None


class AllOrNone(build_ext):
    """Build every compiled module or none: a shim without its group library would not
    import, and Python would not fall back to the source beside it."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any compiler or linker failure: install the sources
            for ext in self.extensions:
                built = Path(self.get_ext_fullpath(ext.name))
                built.unlink(missing_ok=True)
            self.extensions = []
            sys.stderr.write(
                f"traction-table: the simulator not compiled ({exc}); it runs as Python\n"
            )


def _ext_modules() -> list[Any]:
    if os.environ.get("TRACTION_PURE_PYTHON") or not _compiler():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    return list(mypycify([f"sim/{name}.py" for name in COMPILED], group_name=GROUP, opt_level="3"))


setup(ext_modules=_ext_modules(), cmdclass={"build_ext": AllOrNone})
