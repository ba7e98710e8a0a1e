"""Two sandboxes that run side by side cannot pass a byte to each other (issue 21, item 4).

Each channel is tried by tests/e2e/channel_probe.py: a sender plants a secret (a key in the user
keyring, a flock and a POSIX record lock on a shared read-only kit file, an abstract unix socket, a
loopback TCP port, a SysV segment, files in /dev/shm and /tmp, signals to the receiver's process)
and a receiver looks for it. The control runs the same pair as two plain processes on the host: every
channel carries the secret there, so the probe sees a channel that is open. In two sandboxes none
does, the sender's attempts are refused, and the receiver finds nothing it could write outside its
own tmpfs. As root (the grader's case) each sandbox also runs under a host uid of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from blitz.execution.sandbox.process import Sandbox, SandboxPolicy, isolation_available
from blitz.execution.sandbox.view import essentials

PROBE = (Path(__file__).parent / "channel_probe.py").read_text()
CHANNELS = (
    "keyring",
    "flock",
    "record_lock",
    "abstract_socket",
    "loopback_tcp",
    "sysv_shm",
    "dev_shm",
    "tmp",
    "signal",
)

pytestmark = pytest.mark.skipif(not isolation_available()["bwrap"], reason="needs bubblewrap")


def _line(text: str, tag: str) -> dict | None:
    for line in text.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1 :])
    return None


def _wait_for(read, tag: str, seconds: float = 180) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _line(read(), tag)
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {tag!r} line in {read()[-2000:]!r}")


def test_control_every_probe_sees_its_channel_between_two_host_processes(tmp_path):
    name = "ctl" + uuid.uuid4().hex[:8]
    argv = [sys.executable, "-I", "-S", "-c", PROBE]
    sender = subprocess.Popen([*argv, "send", name], stdout=subprocess.PIPE, text=True)
    try:
        planted = json.loads(sender.stdout.readline().split(" ", 1)[1])
        received = subprocess.run([*argv, "receive", name], capture_output=True, text=True, timeout=120)
    finally:
        sender.terminate()  # it takes back its key, segment and files
        sender.wait(30)
    got = _line(received.stdout, "received")
    assert got is not None, received.stderr
    assert all(not str(v).startswith("refused") for v in planted.values()), planted
    assert {c: got[c] for c in CHANNELS} == {c: "secret-" + name for c in CHANNELS}, got


def _box(role: str, name: str) -> Sandbox:
    policy = SandboxPolicy(keep_paths=tuple(essentials()), extra_env={"BLITZ_PROBE_WALK": "1"})
    return Sandbox([sys.executable, "-I", "-S", "-c", PROBE, role, name], "/tmp", policy)


def _host_uids(marker: str) -> set[int]:
    uids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                status = Path(f"/proc/{pid}/status").read_text()
                uids.add(int(next(x for x in status.splitlines() if x.startswith("Uid:")).split()[1]))
        except (OSError, StopIteration):
            continue
    return uids


def test_two_sandboxes_side_by_side_pass_nothing(tmp_path):
    name = "sb" + uuid.uuid4().hex[:8]
    sender = _box("send", name)
    try:
        planted = _wait_for(sender.output, "planted")
        receiver = _box("receive", name)
        try:
            assert receiver.wait(180) == 0, receiver.output()
            got = _line(receiver.output(), "received")
        finally:
            assert receiver.kill()
    finally:
        assert sender.kill()
    assert got is not None
    for channel in ("keyring", "flock", "record_lock"):  # what namespaces do not separate: seccomp refuses it
        assert str(planted[channel]).startswith("refused"), (channel, planted)
    leaked = {c: got[c] for c in CHANNELS if name in str(got[c])}
    assert leaked == {}, (leaked, planted, got)
    assert got["writable_shared"] == [], got


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are handed out to sandboxes started by root")
def test_sandboxes_that_run_at_once_have_host_uids_of_their_own():
    marks = ["uid" + uuid.uuid4().hex[:8] for _ in range(3)]
    policy = SandboxPolicy(keep_paths=tuple(essentials()))
    boxes = [
        Sandbox([sys.executable, "-I", "-S", "-c", "import time; time.sleep(120)", m], "/tmp", policy) for m in marks
    ]
    try:
        deadline = time.monotonic() + 120
        uids = [set() for _ in marks]
        while time.monotonic() < deadline and not all(uids):
            uids = [_host_uids(m) - {0} for m in marks]  # the outer bwrap is root's
            time.sleep(0.2)
        assert all(len(u) == 1 for u in uids), uids
        flat = [next(iter(u)) for u in uids]
        assert len(set(flat)) == 3 and 65534 not in flat, flat
    finally:
        for box in boxes:
            assert box.kill()


SYSCALLS = r"""
import ctypes, errno, fcntl, json, os, platform, threading
libc = ctypes.CDLL(None, use_errno=True)
x86 = platform.machine() == "x86_64"
NR = dict(bpf=(321, 280), perf_event_open=(298, 241), userfaultfd=(323, 282), ptrace=(101, 117),
          process_vm_readv=(310, 270), unshare=(272, 97), setns=(308, 268), mount=(165, 40),
          inotify_init1=(294, 26), io_uring_setup=(425, 425), keyctl=(250, 219), add_key=(248, 217),
          kexec_load=(246, 104), open_by_handle_at=(304, 265), pidfd_getfd=(438, 438))
out = {}
for name, nrs in NR.items():
    r = libc.syscall(ctypes.c_long(nrs[0] if x86 else nrs[1]), 0, 0, 0, 0, 0)
    out[name] = errno.errorcode.get(ctypes.get_errno(), "?") if r == -1 else "ran"
fd = os.open(os.__file__, os.O_RDONLY)
for name, fn in [("flock", lambda: fcntl.flock(fd, fcntl.LOCK_SH)),
                 ("ofd_lock", lambda: fcntl.fcntl(fd, 37, bytes(32))),  # F_OFD_SETLK
                 ("lease", lambda: fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK))]:
    try:
        fn(); out[name] = "ran"
    except OSError as exc:
        out[name] = errno.errorcode[exc.errno]
r = libc.syscall(ctypes.c_long(56 if x86 else 220), 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER)
out["clone_newuser"] = errno.errorcode.get(ctypes.get_errno(), "?") if r == -1 else "ran"
# what a worker needs still works: torch, threads, fork, a DataLoader with worker processes
import torch
from torch.utils.data import DataLoader, TensorDataset
t = threading.Thread(target=lambda: out.setdefault("thread", "ran")); t.start(); t.join()
loader = DataLoader(TensorDataset(torch.arange(64.0)), batch_size=8, num_workers=2)
out["loader"] = float(sum(b[0].sum() for b in loader))
out["torch"] = float(torch.nn.Linear(3, 2)(torch.ones(1, 3)).shape[1])
with open("/tmp/x", "w") as f:
    f.write("own tmpfs")
out["fcntl_getfl"] = fcntl.fcntl(fd, fcntl.F_GETFL) >= 0
print("seen " + json.dumps(out))
"""


def test_the_filter_refuses_what_a_grader_has_no_use_for_and_torch_still_works():
    box = Sandbox([sys.executable, "-I", "-c", SYSCALLS], "/tmp", SandboxPolicy(keep_paths=tuple(essentials())))
    try:
        assert box.wait(300) == 0, box.output()
    finally:
        assert box.kill()
    seen = _line(box.output(), "seen")
    assert seen is not None, box.output()
    refused = {k: v for k, v in seen.items() if k not in ("thread", "loader", "torch", "fcntl_getfl")}
    assert all(v in ("EPERM", "ENOLCK", "ENOSYS") for v in refused.values()), refused
    assert seen["flock"] == "ENOLCK" and seen["ofd_lock"] == "ENOLCK" and seen["keyctl"] == "EPERM", seen
    assert seen["thread"] == "ran" and seen["loader"] == float(sum(range(64))) and seen["torch"] == 2.0, seen
    assert seen["fcntl_getfl"] is True, seen
