"""The execution package's shared pieces, in process: the snapshot graded once, the one budget, the
one output capture and the one stop vocabulary."""

from __future__ import annotations

import os

from blitz.course import registry
from blitz.execution import files
from blitz.execution.limits import grading_budget
from blitz.execution.output import Printed
from blitz.execution.stops import crash_error, engine_msg, timeout_error, timeout_msg


def test_the_snapshot_is_what_is_fingerprinted_and_what_is_copied(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "tensors.py").write_text("x = 1\n")
    (src / "notes.txt").write_text("not a module\n")
    taken = files.snapshot(src)
    assert [name for name, _ in taken.files] == ["tensors.py"]
    assert taken.digest("", {"a": 1}, "0") == files.fingerprint(str(src), "", {"a": 1}, "0")
    (src / "tensors.py").write_text("x = 2\n")  # changed after the snapshot: the copy is the snapshot's
    dest = tmp_path / "dest"
    dest.mkdir()
    assert taken.write(dest) == ["tensors.py"]
    assert (dest / "tensors.py").read_text() == "x = 1\n"
    assert taken.digest("", {"a": 1}, "0") != files.fingerprint(str(src), "", {"a": 1}, "0")


def test_a_snapshot_with_a_link_copies_nothing(tmp_path):
    (tmp_path / "model.py").write_text("y = 1\n")
    os.symlink("/dev/zero", tmp_path / "tensors.py")
    taken = files.snapshot(tmp_path)
    assert "symlink" in taken.unsafe and taken.files == ()
    dest = tmp_path / "dest"
    dest.mkdir()
    assert taken.write(dest) == [] and list(dest.iterdir()) == []


def test_one_budget_gives_the_capstone_its_minimum():
    assert grading_budget("tensors", 60.0) == 60.0
    assert grading_budget(registry.CAPSTONE.id, 60.0) == registry.CAPSTONE.budget == 300.0
    assert grading_budget(registry.CAPSTONE.id, 900.0) == 900.0


def test_the_output_capture_keeps_head_and_tail():
    printed = Printed(head=2, tail=2)
    printed.feed(b"".join(f"line {i}\n".encode() for i in range(10)))
    kept = printed.as_dict()
    assert kept == {"head": ["line 0", "line 1"], "tail": ["line 8", "line 9"], "omitted": 6}


def test_one_vocabulary_for_both_placements():
    assert "ran longer than 10 s" in timeout_msg("tensors.gram", 10.0).en
    assert "blitz doctor" in engine_msg("x").en
    error = timeout_error(60.0)
    assert error.kind == "timeout" and "60 s" in str(error.message)
    crash = crash_error("exit status 3", "last words\n", memory_gib=3.0)
    assert crash.kind == "crashed" and "3 GiB" in crash.message and "last words" in crash.message


def test_the_sandbox_starts_before_the_first_exercise_not_in_its_time(tmp_path, monkeypatch):
    """The class report's time per exercise: the first exercise's must not include the sandbox's start-up."""
    from blitz.grading import runner
    from blitz.grading.discover import Target

    events: list[str] = []

    class Session:
        def start(self):
            events.append("start")

        def close(self):
            events.append("close")

    monkeypatch.setattr(runner, "submission_sandbox", lambda *a, **k: (Session(), None))
    folder = tmp_path / "alice"
    folder.mkdir()

    def judge(target, exercise_id, options, session, ctx, seeds):
        events.append(exercise_id)
        return []

    options = runner.Options(exercises=("tensors", "autograd"), threads=1)
    runner.grade_in_sandbox(Target("alice", str(folder)), options, judge=judge)
    assert events == ["start", "tensors", "autograd", "close"]
