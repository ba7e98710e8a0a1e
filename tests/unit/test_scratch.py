"""blitz.execution.scratch: the grader's scratch folders are named by their owner (pid namespace and pid), and
a new one first removes those of the same prefix whose owner is gone, touching nothing else: not a live
owner's, not another pid namespace's, not a link (nor what it points to), not a file, not another user's."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from blitz.execution import scratch

PREFIX = "blitz-grade-"


@pytest.fixture
def tmpdir_(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def left(folder: Path, pid: int, ns: int | None = None) -> Path:
    """A folder as a killed owner leaves it, with a file in a subfolder (a submission's copy)."""
    path = folder / f"{PREFIX}{ns if ns is not None else os.stat('/proc/self/ns/pid').st_ino}-{pid}-a1b2_c3d"
    (path / "sandbox" / "submission").mkdir(parents=True)
    (path / "sandbox" / "submission" / "tensors.py").write_text("secret = 1\n")
    return path


def test_a_new_folder_is_named_by_its_owner_and_private(tmpdir_):
    made = scratch.make(PREFIX)
    ns, pid, _ = made.name[len(PREFIX) :].split("-", 2)
    assert made.parent == tmpdir_ and int(ns) == os.stat("/proc/self/ns/pid").st_ino and int(pid) == os.getpid()
    assert made.stat().st_mode & 0o777 == 0o700


def test_only_the_folders_of_gone_owners_are_removed(tmpdir_):
    gone = left(tmpdir_, dead_pid())
    mine = left(tmpdir_, os.getpid())
    alive = left(tmpdir_, os.getppid())
    elsewhere = left(tmpdir_, dead_pid(), ns=1)  # another pid namespace: its pids mean nothing here
    other_prefix = tmpdir_ / f"blitz-worker-{os.stat('/proc/self/ns/pid').st_ino}-{dead_pid()}-x"
    other_prefix.mkdir()
    huge = tmpdir_ / f"{PREFIX}{os.stat('/proc/self/ns/pid').st_ino}-{10**30}-x"
    huge.mkdir()
    target = tmpdir_ / "target"
    (target / "keep").mkdir(parents=True)
    link = tmpdir_ / f"{PREFIX}{os.stat('/proc/self/ns/pid').st_ino}-{dead_pid()}-link"
    link.symlink_to(target)
    plain_file = tmpdir_ / f"{PREFIX}{os.stat('/proc/self/ns/pid').st_ino}-{dead_pid()}-file"
    plain_file.write_text("x")
    made = scratch.make(PREFIX)
    assert not os.path.lexists(gone)
    for kept in (mine, alive, elsewhere, other_prefix, huge, link, plain_file, made, target / "keep"):
        assert os.path.lexists(kept), kept
    assert (mine / "sandbox" / "submission" / "tensors.py").read_text() == "secret = 1\n"


def test_a_zombie_owner_is_gone(tmpdir_):
    """A zombie (dead, not yet reaped: its parent, or a slow pid 1, has not waited for it) owns nothing."""
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not scratch.owner_alive(zombie.pid) and scratch.owner_alive(os.getpid())
        left_by_it = left(tmpdir_, zombie.pid)
        scratch.make(PREFIX)
        assert not os.path.lexists(left_by_it)
    finally:
        zombie.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a folder owned by another user")
def test_another_users_folder_is_left_alone(tmp_path):
    theirs = left(tmp_path, dead_pid())
    os.chown(theirs, 65534, 65534)
    assert scratch.sweep(PREFIX, str(tmp_path)) == [] and theirs.is_dir()
    mine = left(tmp_path, dead_pid())
    assert scratch.sweep(PREFIX, str(tmp_path)) == [mine.name] and theirs.is_dir()
