"""A released nbgrader course of `tensors` for the tests that grade one: made once per test session, copied.

`blitz course DIR --timeout T` and `nbgrader generate_assignment tensors` in it take several seconds and give
the same folder every time (its nbgrader_config.py finds the course's root from its own path; the gradebook
holds the assignment, no path). :func:`released_course` makes that course once per session (under xdist,
once for all workers: :func:`kit.built_once`) and
copies it for each module, with the module's cell timeout. tests/e2e/test_nbgrader_e2e.py runs the README's
commands themselves.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import kit

from blitz.authoring.nbgrader import nbgrader_env

BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
TIMEOUT_LINE = re.compile(r"^c\.Execute\.timeout = \d+$", re.M)


def _build(course: Path) -> None:
    for argv in (
        [str(BIN / "blitz"), "course", str(course), "--timeout", "10"],
        [str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT],
    ):
        done = subprocess.run(argv, cwd=course, env=nbgrader_env(), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr


def released_course(tmp_path_factory, dest: Path, timeout: int) -> Path:
    """`dest` as `blitz course dest --timeout <timeout>` then `nbgrader generate_assignment tensors` leave it."""
    shutil.copytree(kit.built_once(tmp_path_factory, "nbcourse-tensors", _build), dest)
    config = dest / "nbgrader_config.py"
    text, found = TIMEOUT_LINE.subn(f"c.Execute.timeout = {int(timeout)}", config.read_text(encoding="utf-8"))
    assert found == 1, "nbgrader_config.py has no `c.Execute.timeout = N` line"
    config.write_text(text, encoding="utf-8")
    return dest
