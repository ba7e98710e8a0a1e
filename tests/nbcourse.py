"""A released nbgrader course of `tensors` for the tests that grade one: made once per test session, copied.

`blitz course DIR --timeout T` and `nbgrader generate_assignment tensors` in it take several seconds and give
the same folder every time (its nbgrader_config.py finds the course's root from its own path; the gradebook
holds the assignment, no path). :func:`released_course` makes that course once per session (under xdist,
once for all workers: a file lock in the session's shared temporary folder, as pytest-xdist's docs show) and
copies it for each module, with the module's cell timeout. tests/e2e/test_nbgrader_e2e.py runs the README's
commands themselves.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from blitz.authoring.nbgrader import nbgrader_env

BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
TIMEOUT_LINE = re.compile(r"^c\.Execute\.timeout = \d+$", re.M)


def _made_once(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # pytest-N/, this session's own
    course = shared / "nbcourse-tensors"
    with FileLock(str(course) + ".lock"):
        if not (course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file():
            shutil.rmtree(course, ignore_errors=True)
            for argv in (
                [str(BIN / "blitz"), "course", str(course), "--timeout", "10"],
                [str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT],
            ):
                done = subprocess.run(
                    argv, cwd=course if course.is_dir() else shared, env=nbgrader_env(), capture_output=True,
                    text=True, timeout=600,
                )  # fmt: skip
                assert done.returncode == 0, done.stdout + done.stderr
    return course


def released_course(tmp_path_factory, dest: Path, timeout: int) -> Path:
    """`dest` as `blitz course dest --timeout <timeout>` then `nbgrader generate_assignment tensors` leave it."""
    shutil.copytree(_made_once(tmp_path_factory), dest)
    config = dest / "nbgrader_config.py"
    text, found = TIMEOUT_LINE.subn(f"c.Execute.timeout = {int(timeout)}", config.read_text(encoding="utf-8"))
    assert found == 1, "nbgrader_config.py has no `c.Execute.timeout = N` line"
    config.write_text(text, encoding="utf-8")
    return dest
