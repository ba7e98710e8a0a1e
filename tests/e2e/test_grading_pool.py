"""`blitz grade --workers 2`: the pool processes are forked from multiprocessing's fork server, which
imported torch and the checks once (blitz.grading.pool.pool_context; spawning imported them in every
pool process). Killed with SIGKILL, the grader still takes the server, the pool processes and their
sandboxes along: each pool process dies with the grader (a pidfd: blitz.execution.lifetime.die_with; the
server, its parent, lives while a pool process holds its pipe), its sandboxes with it (PR_SET_PDEATHSIG),
and then the server and multiprocessing's resource tracker exit. The pool processes' scratch folders, left
behind, are named by them, and removed by the next grader (blitz.execution.scratch)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hostile
import kit
import pytest

from blitz.execution.scratch import owner_alive, sweep
from blitz.grading.pool import SOCKET_PATH_MAX, SOCKET_SCRATCH, SOCKET_SUFFIX

pytestmark = pytest.mark.slow


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, None when it has gone (or is a zombie)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else (int(fields[1]), int(fields[19]))


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> dict[int, tuple[int, int, str]]:
    """Every live process below `root`: pid -> (parent pid, start time, command line)."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := _stat(int(name))) is not None:
            parents[int(name)] = stat
    found: dict[int, tuple[int, int, str]] = {}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, start) in parents.items():
            if pid not in found and (ppid == root or ppid in found):
                found[pid] = (ppid, start, _cmdline(pid))
                grew = True
    return found


def test_a_killed_grader_takes_its_fork_server_pool_and_sandboxes_along(tmp_path):
    for name in ("a", "b"):  # both pool processes inside a sandbox, in a loop, when the grader is killed
        hostile.plant(hostile.solutions(tmp_path / "class" / name, only=("tensors",)), "tensors", "gram", hostile.LOOP)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    argv = [*kit.command(), "grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--exercises"]
    grader = subprocess.Popen(
        [*argv, "tensors", "--workers", "2", "--timeout", "120", "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # a TMPDIR of its own: the pool processes, killed, leave their scratch folders there, not in /tmp
        env={**kit.environment("en"), "TMPDIR": str(scratch)},
        cwd=tmp_path,
    )
    seen: dict[int, tuple[int, int, str]] = {}
    try:
        deadline = time.monotonic() + 180
        while sum("blitz.execution.worker" in cmd and "bwrap" not in cmd for *_, cmd in seen.values()) < 2:
            assert grader.poll() is None and time.monotonic() < deadline, f"no two sandboxed workers: {seen}"
            time.sleep(0.2)
            seen.update(descendants(grader.pid))
        time.sleep(1.0)  # the workers' children (the looping code) forked
        seen.update(descendants(grader.pid))
    finally:
        grader.kill()
        grader.wait(30)
    # the server is the grader's child; the pool processes, its forks, keep its command line
    servers = [
        pid for pid, (ppid, _, cmd) in seen.items() if "multiprocessing.forkserver" in cmd and ppid == grader.pid
    ]
    assert len(servers) == 1, {pid: cmd[:120] for pid, (*_, cmd) in seen.items()}
    pool = {pid for pid, (ppid, *_) in seen.items() if ppid == servers[0]}
    assert len(pool) == 2, {pid: cmd[:120] for pid, (*_, cmd) in seen.items()}  # both forked from the server
    bwraps = {pid for pid, (*_, cmd) in seen.items() if cmd.split(" ")[0].endswith("bwrap")}
    # the workers' sandboxes (bwrap forks itself inside; the grader's own short bwrap run at its start, which
    # checks that bubblewrap confines, runs no worker)
    sandboxes = {p for p in bwraps if seen[p][0] not in bwraps and "blitz.execution.worker" in seen[p][2]}
    assert sandboxes and {seen[pid][0] for pid in sandboxes} <= pool, "a sandbox not started by a pool process"
    deadline = time.monotonic() + 20
    while alive := [(pid, cmd[:160]) for pid, (_, start, cmd) in seen.items() if (_stat(pid) or (0, -1))[1] == start]:
        assert time.monotonic() < deadline, f"outlived the grader killed with SIGKILL: {alive}"
        time.sleep(0.2)
    assert grader.returncode == -signal.SIGKILL
    # Each pool process left its scratch folder (a submission's copy), named by it: the next grader on this
    # TMPDIR removes them (blitz.execution.scratch; this process shares the grader's pid namespace)
    left = sorted(p.name for p in scratch.iterdir() if p.name.startswith("blitz-grade-"))
    namespace = os.stat("/proc/self/ns/pid").st_ino
    assert {tuple(name.split("-")[2:4]) for name in left} == {(str(namespace), str(pid)) for pid in pool}, left
    removed = set(sweep("blitz-grade-", str(scratch)))
    assert removed and removed <= set(left)
    for name in set(left) - removed:  # its pid was taken again meanwhile (a busy machine): kept, until it is free
        assert owner_alive(int(name.split("-")[3])) or sweep("blitz-grade-", str(scratch)) == [name]
    # multiprocessing's folder (the server's socket) is in a scratch folder named by the grader, in /tmp
    # (this TMPDIR is too long for a socket's path): the next grader's sweep takes it, not the system's cleaner
    socket_folders = list(Path("/tmp").glob(f"{SOCKET_SCRATCH}{namespace}-{grader.pid}-*"))
    assert len(socket_folders) == 1 and list(socket_folders[0].glob("pymp-*/listener-*")), socket_folders
    assert sweep(SOCKET_SCRATCH, "/tmp") == [socket_folders[0].name] and not socket_folders[0].exists()


def test_the_fork_servers_socket_folder_is_a_scratch_folder_of_the_graders_removed_at_exit(tmp_path):
    """multiprocessing's folder (the server's socket) is made in a scratch folder named by the grader (swept by
    the next grader if this one is killed), removed with it when the grader exits. A unix socket's path holds
    107 bytes: under a TMPDIR too long for it, both are made in /tmp (as Python 3.14 does); a short TMPDIR is kept."""
    code = (
        "import os\n"
        "from multiprocessing import util\n"
        "from blitz.grading.pool import pool_context\n"
        "pool_context()\n"
        "pool_context()\n"  # a second call: the folder multiprocessing keeps, no second scratch folder
        "print(util.get_temp_dir(), os.getpid())\n"
    )
    long_tmp = tmp_path / ("t" * (SOCKET_PATH_MAX - SOCKET_SUFFIX))
    long_tmp.mkdir()
    short = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp_path is too long for a socket's path already
    namespace = os.stat("/proc/self/ns/pid").st_ino
    try:
        for tmpdir, base in ((long_tmp, Path("/tmp")), (short, short)):
            env = dict(os.environ, TMPDIR=str(tmpdir))
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
            assert done.returncode == 0, done.stderr
            folder, pid = done.stdout.split()
            owned = Path(folder).parent
            assert owned.parent == base and owned.name.startswith(f"{SOCKET_SCRATCH}{namespace}-{pid}-"), folder
            assert len(folder) + len("/listener-XXXXXXXX") <= SOCKET_PATH_MAX, folder
            assert not owned.exists()  # both removed at exit
            assert list(short.iterdir()) == [] and list(long_tmp.iterdir()) == []  # nothing else left in TMPDIR
    finally:
        shutil.rmtree(short)
