"""Helpers the kit's tests share: the `blitz` command run as a student or an instructor runs it, and
the processes a test started, found by a marker in their command line.

Imported as `import kit`, the way the tests import `mutants` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from blitz.authoring.markers import BEGIN, END
from blitz.course import registry

ROOT = registry.ROOT
BLITZ = Path(sys.executable).with_name("blitz")


def command() -> list[str]:
    """The `blitz` command installed next to this Python, else `python -m blitz`."""
    return [str(BLITZ)] if BLITZ.exists() else [sys.executable, "-m", "blitz"]


def environment(lang: str = "en", data: str | None = None, extra: dict | None = None) -> dict[str, str]:
    """This process's environment with the language chosen by BLITZ_LANG alone (LC_ALL dropped),
    UTF-8 output, and BLITZ_DATA set when `data` is given; `extra` last."""
    env = dict(os.environ, BLITZ_LANG=lang, PYTHONIOENCODING="utf-8")
    env.pop("LC_ALL", None)
    if data is not None:
        env["BLITZ_DATA"] = data
    env.update(extra or {})
    return env


def blitz(
    *args: str,
    lang: str = "en",
    data: str | None = None,
    env: dict | None = None,
    stdin: str = "",
    cwd: Path | str = ROOT,
    timeout: float = 900,
) -> subprocess.CompletedProcess:
    """Run `blitz ARGS...` in a subprocess (in the kit's root unless `cwd` says otherwise); output as text."""
    return subprocess.run(
        command() + list(args),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment(lang, data, env),
        input=stdin,
        timeout=timeout,
        cwd=cwd,
    )


def grade(
    subs: Path,
    out: Path,
    exercises,
    *extra: str,
    workers: int = 2,
    lang: str = "en",
    data: str | None = None,
    env: dict | None = None,
    cwd: Path | str = ROOT,
    timeout: float = 1500,
) -> subprocess.CompletedProcess:
    """`blitz grade SUBS --out OUT --exercises ... --workers N --no-progress EXTRA...`: one class
    graded as the batch suites grade theirs (`exercises`: ids, or one comma-separated string)."""
    ids = exercises if isinstance(exercises, str) else ",".join(exercises)
    args = ("grade", str(subs), "--out", str(out), "--exercises", ids, "--workers", str(workers), "--no-progress")
    return blitz(*args, *extra, lang=lang, data=data, env=env, cwd=cwd, timeout=timeout)


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:  # gone meanwhile, or not ours to read
        return b""


def marked_processes(marker: str) -> dict[str, bytes]:
    """Live processes whose command line holds `marker`: pid → command line (NUL-separated, as in /proc)."""
    found = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            line = _cmdline(pid)
            if marker.encode() in line:
                found[pid] = line
    return found


def gradebook_scores(root: Path) -> dict[str, float]:
    """Each student's total in a course's nbgrader gradebook (root/gradebook.db), read with sqlite."""
    import sqlite3

    con = sqlite3.connect(root / "gradebook.db")
    rows = con.execute(
        """select sa.student_id, sum(coalesce(g.manual_score, g.auto_score, 0)) from grade g
           join submitted_notebook sn on g.notebook_id = sn.id
           join submitted_assignment sa on sn.assignment_id = sa.id group by sa.student_id"""
    ).fetchall()
    con.close()
    return dict(rows)


def solution_lines() -> set[str]:
    """The lines inside the solution regions that appear nowhere outside them (at least 12 characters)."""
    inside, outside = set(), set()
    for exercise in registry.MODULE_EXERCISES:
        within = False
        for line in exercise.solution_path.read_text(encoding="utf-8").splitlines():
            if BEGIN.match(line) or END.match(line):
                within = bool(BEGIN.match(line))
            elif line.strip():
                (inside if within else outside).add(line.strip())
    idioms = {"with torch.no_grad():", "model.eval()", "model.to(device)", "except KeyError:", "for p in params:"}
    return {x for x in inside - outside if len(x) >= 12 and not x.startswith("#")} - idioms


def built_once(tmp_path_factory, name: str, build) -> Path:
    """`build(folder)` once per test session, shared by the xdist workers (a file lock in the session's
    temporary folder, as pytest-xdist's docs show for session data): the first caller builds, the others wait
    and get the same folder. A build that failed is started again from an empty folder."""
    import shutil

    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # pytest-N/, above popen-gwK/
    folder = shared / name
    with FileLock(str(folder) + ".lock"):
        done = shared / f"{name}.built"
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.write_text("ok\n")
    return folder


@contextlib.contextmanager
def one_torch_thread():
    """torch's intra-op pool at one thread in this process, restored afterwards. For modules that run many
    small checks in process: `make test` already gives each core an xdist worker, and a second torch thread
    only spin-waits there (the mutants' checks cost 2 to 4 times the CPU with two threads on two busy cores)."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)
