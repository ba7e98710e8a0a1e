"""course-autograde's nbgrader processes side by side (blitz/grading/notebook/nbparallel.py), without a
kernel: nbgrader's real Gradebook waits for another writer with the URL the processes get; the
processes run `workers` at a time, each with its own kernel-socket prefix; one that failed on the
gradebook runs again alone. (Real nbgrader runs side by side: test_nbgrader_incremental.py.)"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from blitz.grading.notebook import nbparallel

BIN = Path(sys.executable).parent
HOLD = 7.0  # seconds another writer holds the gradebook: more than pysqlite's default wait (5 s)


def hold_lock(db: Path, held: threading.Event) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")  # a writer's lock, as nbgrader's transaction of another student
    held.set()
    time.sleep(HOLD)
    con.execute("COMMIT")
    con.close()


def write_while_locked(db: Path, writers: dict[str, str]) -> dict[str, float | Exception]:
    """Each student of `writers` written by a Gradebook of its URL, all at once, while another writer holds
    the lock for HOLD seconds: how long each took, or what it raised."""
    from nbgrader.api import Gradebook

    held = threading.Event()
    other = threading.Thread(target=hold_lock, args=(db, held))
    other.start()
    held.wait(10)
    done: dict[str, float | Exception] = {}

    def write(student: str, url: str) -> None:
        start = time.monotonic()
        try:
            with Gradebook(url) as gb:
                gb.update_or_create_student(student)
            done[student] = time.monotonic() - start
        except Exception as exc:  # noqa: BLE001 - what nbgrader raised is the result
            done[student] = exc

    threads = [threading.Thread(target=write, args=item) for item in writers.items()]
    for thread in threads:
        thread.start()
    for thread in (*threads, other):
        thread.join()
    return done


@pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python")
def test_the_gradebook_url_waits_for_another_writer(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # nbgrader runs `alembic`

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    db = tmp_path / "gradebook.db"
    with Gradebook(f"sqlite:///{db}") as gb:
        gb.update_or_create_student("alice")
    [option] = nbparallel.gradebook_option(tmp_path)
    url = option.removeprefix("--CourseDirectory.db_url=")
    assert url == f"sqlite:///{db}?timeout={nbparallel.DB_WAIT_SECONDS}"
    done = write_while_locked(db, {"carol": f"sqlite:///{db}", "bob": url})  # one lock held for both
    assert "database is locked" in str(done["carol"])  # nbgrader's default gives up after 5 s (InvalidEntry)
    assert isinstance(done["bob"], float) and done["bob"] >= HOLD - 2, done  # the URL's wait outlasts it
    with Gradebook(f"sqlite:///{db}") as gb:
        assert sorted(s.id for s in gb.students) == ["alice", "bob"]
    (tmp_path / "nbgrader_config.py").write_text("c.CourseDirectory.db_url = 'postgresql://x'\n", encoding="utf-8")
    assert nbparallel.gradebook_option(tmp_path) == []  # a gradebook of the course's own is left as it is


FAKE = """
import json, os, sys, time
root, log, student, ip = sys.argv[1:5]
with open(log, "a") as f:
    f.write(json.dumps({"student": student, "ip": ip, "start": time.time()}) + "\\n")
time.sleep(1.5)
tries = os.path.join(root, "tries-" + student)
first = not os.path.exists(tries)
open(tries, "a").close()
with open(log, "a") as f:
    f.write(json.dumps({"student": student, "end": time.time()}) + "\\n")
if student == "carol" and first:
    print("There was an error accessing the nbgrader database.")
    sys.exit(1)
os.makedirs(os.path.join(root, "autograded", student, "tensors"))
print("graded " + student)
"""


def test_each_student_in_a_process_workers_at_a_time_and_a_database_failure_retried(tmp_path, monkeypatch, capsys):
    (tmp_path / "fake.py").write_text(FAKE, encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    log = tmp_path / "log.jsonl"

    def command(assignment, options, student=None):
        ip = next(o for o in options if o.startswith("--KernelManager.ip="))
        assert any(o.startswith("--CourseDirectory.db_url=sqlite:///") for o in options)
        return [sys.executable, str(tmp_path / "fake.py"), str(tmp_path), str(log), student, ip], None

    monkeypatch.setattr(nbparallel, "command", command)
    options = ["--KernelManager.transport=ipc", "--KernelManager.ip=/run/k/kernel"]
    students = ["alice", "bob", "carol", "dan"]
    result = nbparallel.autograde_each(tmp_path, "tensors", options, "/run/k/kernel", students, 2)
    assert "nbgrader: 4 students, 2 at a time (a process each)" in capsys.readouterr().out
    assert [line for line in result.stdout.splitlines() if line.startswith("graded")] == [
        "graded alice", "graded bob", "graded carol", "graded dan"
    ]  # fmt: skip
    assert "carol: nbgrader failed on the gradebook (busy); run again alone." in result.stdout
    assert "error accessing" not in result.stdout  # the retry's output stands for carol: graded
    events = [json.loads(line) for line in log.read_text().splitlines()]
    starts = [e for e in events if "start" in e]
    assert sorted(e["student"] for e in starts) == ["alice", "bob", "carol", "carol", "dan"]
    assert len({e["ip"] for e in starts}) == len(starts)  # a kernel-socket prefix of its own each time
    timeline = sorted([(e["start"], 1) for e in starts] + [(e["end"], -1) for e in events if "end" in e])
    running, most = 0, 0
    for _, step in timeline:
        running += step
        most = max(most, running)
    assert most == 2  # two at once, never more
    retry = [e for e in starts if e["student"] == "carol"][1]
    assert retry["start"] >= max(e["end"] for e in events if "end" in e and e["student"] != "carol")  # alone, last
    assert all((tmp_path / "autograded" / s / "tensors").is_dir() for s in students)
