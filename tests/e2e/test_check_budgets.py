"""Each check has its own time budget, in both placements (issue 23.6): a loop in one function fails
only its check; the checks after it still pass (their probes run in a fresh child)."""

from __future__ import annotations

import hostile
import pytest

from blitz.checks import Context, checks_for, run_check
from blitz.engine.results import Status
from blitz.execution.sandbox.isolated import IsolatedSubmission
from blitz.execution.sandbox.process import SandboxPolicy, isolation_available
from blitz.execution.sandbox.session import SandboxSession

BUDGET = 3.0


@pytest.fixture
def tmp_path(tmp_path):
    """pytest's folders are 0700; the sandbox's uid 65534 must reach the submission's copy."""
    for folder in [*tmp_path.parents[:2], tmp_path]:
        folder.chmod(folder.stat().st_mode | 0o005)
    return tmp_path


@pytest.mark.parametrize("placement", ["local", "sandboxed"])
def test_a_loop_in_the_second_function_fails_only_its_check(tmp_path, placement):
    if placement == "sandboxed":
        assert isolation_available()["bwrap"], "no sandbox here (apt-get install bubblewrap)"
    folder = hostile.solutions(tmp_path / "student", ("tensors",))
    entries = checks_for("tensors")
    second = entries[1].name  # from_numpy: the function and its check share the name
    # A loop that waits: both placements' budgets are wall-clock, so it is stopped as a spin is (a spin would
    # burn a core for the whole budget, in each placement).
    hostile.plant(folder, "tensors", second, hostile.IDLE_LOOP)
    if placement == "local":
        session = SandboxSession(folder, local=True)
    else:
        session = SandboxSession(folder, SandboxPolicy(memory_bytes=2 << 30), workdir=tmp_path / "work")
    sub = IsolatedSubmission(folder, "tensors", timeout=BUDGET, session=session)
    try:
        results = [run_check(entry, sub, Context()) for entry in entries]
    finally:
        sub.close()
        session.close()
    statuses = {r.name: r.status for r in results}
    assert statuses.pop(second) is Status.TIMEOUT
    assert statuses == {e.name: Status.PASSED for e in entries if e.name != second}
    looped = next(r for r in results if r.name == second)
    if placement == "local":
        assert looped.message is not None
        assert looped.message.en == f"tensors.{second} ran longer than 3 s and was stopped — an endless loop?"
    assert hostile.leftovers(str(folder)) == []
