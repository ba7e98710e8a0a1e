"""The seccomp filter and the per-sandbox uids (blitz/execution/sandbox/seccomp.py), in-process; what a
sandbox meets with them is shown by tests/e2e/test_sandbox_channels.py."""

from __future__ import annotations

import os
import sys

import pytest

from blitz.execution.sandbox import bwrap, seccomp


def test_the_filter_is_a_bpf_program_and_comes_in_a_fresh_descriptor():
    assert seccomp.available() == ""
    program = seccomp.program()
    assert program and len(program) % 8 == 0  # struct sock_filter: 8 bytes each
    fd = seccomp.filter_fd()
    try:
        assert os.read(fd, len(program) + 1) == program and os.read(fd, 1) == b""
    finally:
        os.close(fd)


def test_without_libseccomp_grading_refuses_like_without_bubblewrap(monkeypatch):
    monkeypatch.setattr(seccomp, "_program", None)
    monkeypatch.setitem(sys.modules, "pyseccomp", None)  # import fails as where it is not installed
    why = seccomp.available()
    assert "libseccomp" in why
    probed = bwrap._do_probe()
    assert probed["bwrap"] is None and "libseccomp" in probed["why"], probed


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are handed out to sandboxes started by root")
def test_each_sandbox_gets_a_uid_no_other_holds_until_it_is_released():
    held = [seccomp.Uid() for _ in range(20)]
    try:
        uids = [u.uid for u in held]
        assert len(set(uids)) == 20
        assert all(seccomp.UID_BASE <= u < seccomp.UID_BASE + seccomp.UID_SLOTS for u in uids)
    finally:
        for u in held:
            u.release()
