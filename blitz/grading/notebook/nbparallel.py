"""nbgrader autograde for the students of a course-autograde run: one process for everyone, or one
``nbgrader autograde --student X`` process per student, ``workers`` of them at a time.

Run side by side (verified against nbgrader 0.9's ``Autograde`` and ``Gradebook``):

- **Kernel sockets.** jupyter_client names an ipc kernel's sockets ``<ip>-<n>`` with the first ``n``
  whose file does not exist yet: two processes sharing one ``--KernelManager.ip`` race for the same
  names. Each process here has its own prefix (``<ip>-s<number>``); the sandbox launcher links
  whatever prefix it is given (:mod:`.kernel`).
- **The gradebook.** nbgrader's sqlite gradebook is written by every process (the student, the
  submission and its timestamp at the start, the kernel's auto scores and the late penalty at the
  end), in short transactions on the rows of one student each; sqlite lets one writer in at a time
  and the others wait on its lock. pysqlite's default wait is 5 s, after which nbgrader gives up with
  "There was an error accessing the nbgrader database" and removes the student's autograded folder:
  each process gets the course's default gradebook URL with a longer wait (``?timeout=``, passed to
  ``sqlite3.connect``). A student whose process still failed on the database (nbgrader says "error
  accessing the nbgrader database", or "database is locked" in the traceback of its InvalidEntry) is
  run again, alone, after the others (:func:`database_failures`). Nothing else is shared: each process writes
  ``autograded/<student>/`` only.

The kit's scores (:mod:`.classrun`) are written after every process has ended, one student after
another, in this process.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from blitz.course.i18n import tr

DB_WAIT_SECONDS = 300  # how long one nbgrader process waits for another's gradebook transaction
DB_FAILED = re.compile(r"error accessing the nbgrader database|database is locked")


def command(assignment: str, options: list[str], student: str | None = None) -> tuple[list[str], dict]:
    """The argv and environment of one ``nbgrader autograde --force`` (for `student` only when named)."""
    from blitz.authoring.nbgrader import nbgrader_argv, nbgrader_env

    argv = nbgrader_argv("autograde", assignment, "--force", *options)
    if student:
        argv.append(f"--student={glob.escape(student)}")  # a pattern to nbgrader: this folder's name only
    return argv, nbgrader_env()  # os.environ (with this run's kernel folders) and the venv's bin first


def nbgrader(root: Path, assignment: str, options: list[str], student: str | None = None):
    """One ``nbgrader autograde --force`` in the course folder, waited for; killed if this run is stopped
    (Ctrl-C, SIGTERM): its kernels' launchers then clean up, as in :func:`autograde_each`."""
    argv, env = command(assignment, options, student)
    launched = _launch(argv, root, env)
    try:
        return _finish(*launched)
    except BaseException:
        launched[0].kill()
        launched[0].wait()
        raise


# nbgrader logs what a notebook raised, and a student writes that text: each stream goes to a file, and only
# its last OUTPUT_CAP bytes are read back (the end is where the errors are).
OUTPUT_CAP = 1 << 20


def _launch(argv: list[str], root: Path, env: dict) -> tuple[subprocess.Popen, IO[bytes], IO[bytes]]:
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    return subprocess.Popen(argv, cwd=root, env=env, stdout=out, stderr=err), out, err


def _tail(stream: IO[bytes]) -> str:
    size = stream.seek(0, os.SEEK_END)
    stream.seek(max(0, size - OUTPUT_CAP))
    return stream.read().decode("utf-8", errors="replace")


def _finish(process: subprocess.Popen, out: IO[bytes], err: IO[bytes]) -> subprocess.CompletedProcess:
    process.wait()
    with out, err:
        return subprocess.CompletedProcess(process.args, process.returncode, _tail(out), _tail(err))


def gradebook_option(root: Path) -> list[str]:
    """The course's default gradebook URL with a long sqlite busy wait; nothing when the course's
    nbgrader_config.py names a gradebook of its own (then it is left as configured)."""
    try:
        config = (root / "nbgrader_config.py").read_text(encoding="utf-8")
    except OSError:
        return []
    if "db_url" in config:
        return []
    return [f"--CourseDirectory.db_url=sqlite:///{root.resolve() / 'gradebook.db'}?timeout={DB_WAIT_SECONDS}"]


def own_prefix(options: list[str], ip: str, number: int) -> list[str]:
    """`options` with the kernel sockets' prefix `ip` made this process's own."""
    return [f"--KernelManager.ip={ip}-s{number}" if o == f"--KernelManager.ip={ip}" else o for o in options]


def database_failures(root: Path, assignment: str, runs: dict[str, subprocess.CompletedProcess]) -> list[str]:
    """The students whose process failed on the gradebook (not on their notebook)."""
    return sorted(
        s
        for s, r in runs.items()
        if DB_FAILED.search(r.stdout + r.stderr) and not (root / "autograded" / s / assignment).is_dir()
    )


def autograde_each(
    root: Path, assignment: str, options: list[str], ip: str, students: list[str], workers: int
) -> subprocess.CompletedProcess:
    """nbgrader autograde of each student in a process of its own, `workers` at a time; the output of
    every process (student by student, as one run's). Those that failed on the database run again,
    and their output is the second run's (the first one's error would read as their notebook's).
    Stopped (Ctrl-C, SIGTERM), every process still running is killed (their kernels' launchers then
    clean up, as when the one process of a serial run is killed)."""

    at_once = max(1, min(workers, len(students)))
    print(
        tr(
            "nbgrader: {len_students} students, {at_once} at a time (a process each).",
            len_students=len(students),
            at_once=at_once,
        ).render(),
        flush=True,
    )
    extra = gradebook_option(root)
    running: list[subprocess.Popen] = []
    lock, stopping = threading.Lock(), threading.Event()

    def one(item: tuple[int, str]) -> subprocess.CompletedProcess:
        number, student = item
        argv, env = command(assignment, [*own_prefix(options, ip, number), *extra], student)
        with lock:
            if stopping.is_set():
                return subprocess.CompletedProcess(argv, 1, "", "")
            launched = _launch(argv, root, env)
            running.append(launched[0])
        return _finish(*launched)

    pool = ThreadPoolExecutor(max_workers=at_once)
    try:
        runs = dict(zip(students, pool.map(one, enumerate(students)), strict=True))
        for student in database_failures(root, assignment, runs):
            again = one((len(students) + students.index(student), student))
            note = f"[blitz] {student}: nbgrader failed on the gradebook (busy); run again alone.\n"
            runs[student] = subprocess.CompletedProcess(again.args, again.returncode, note + again.stdout, again.stderr)
    except BaseException:
        with lock:
            stopping.set()
            for process in running:
                process.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return subprocess.CompletedProcess(
        [], 0, "".join(runs[s].stdout for s in students), "".join(runs[s].stderr for s in students)
    )
