"""The kit's tests in three tiers, by folder: unit/ (in process), e2e/ (commands, workers, sandboxes,
nbgrader, the browser), corpora/ (the mutants and the adversarial suites).

The helpers the tiers share sit here in tests/ and are imported by name (`import kit`, `import hostile`,
`import mutants`): this folder goes on sys.path before any test module is imported.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# Every grading the tests start (blitz grade, the Gradescope runner, course-autograde) would first time the
# reference's capstone on this machine (blitz/grading/capstone_budget.py, several seconds each); they take
# this measurement instead (a budget of 120 s), and tests/e2e/test_capstone_budget.py measures for real.
os.environ.setdefault("BLITZ_REFERENCE_SECONDS", "20")
# OpenMP's idle threads wait passively in every process the tests start (libgomp reads this when torch loads
# it: before any test imports torch). By default torch's second thread spins between the checks' small
# parallel regions, which on the two busy cores of `make test` cost several times the CPU of the work itself
# (every reference check three times: 14.1 CPU-s spinning, 4.7 passive); the threads and the arithmetic are
# the same either way. The kit leaves its users' setting alone.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TIERS = ("unit", "e2e", "corpora")
# A module's own group: `pytestmark = [..., pytest.mark.xdist_group("name"), ...]` at its top level.
GROUP_MARK = re.compile(r"""^\s*(?:pytestmark\s*=\s*)?pytest\.mark\.xdist_group\(["']([^"']+)["']\)""", re.M)
# The suite's last measured run (benchmarks/results/test_suite_session<N>.json, the highest N): each
# module's seconds, which order the groups for `make test` (longest first).
RESULTS = HERE.parent / "benchmarks" / "results"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Each test carries its folder's tier as a marker (`-m unit`, `-m "not corpora"`). For `make test`
    (`pytest -n --dist loadgroup`), the groups go longest first (their modules' seconds in the last measured
    run; a group not measured yet goes first if it holds slow tests, last if not), so that no long group is
    left to start when the other worker has run out of work."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(HERE).parts
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])
    groups = {item: _group(item) for item in items}
    slow = {groups[item] for item in items if item.get_closest_marker("slow") is not None}
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        first.setdefault(groups[item], index)
    measured = _measured(config, {item: str(item.path) for item in items}, groups)

    def seconds(group: str) -> float:
        return measured.get(group, float("inf") if group in slow else 0.0)

    items.sort(key=lambda item: (-seconds(groups[item]), first[groups[item]]))


def _measured(config, paths, groups) -> dict[str, float]:
    """Each group's seconds in the last measured run (its modules' sum; only groups measured whole)."""
    runs = sorted(RESULTS.glob("test_suite_session*.json"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    try:
        by_module = {
            str(k): float(v) for k, v in json.loads(runs[-1].read_text(encoding="utf-8"))["seconds_by_module"].items()
        }
    except (IndexError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    modules: dict[str, set[str]] = {}
    for item, group in groups.items():
        modules.setdefault(group, set()).add(Path(paths[item]).resolve().relative_to(config.rootpath).as_posix())
    return {g: sum(by_module[m] for m in ms) for g, ms in modules.items() if all(m in by_module for m in ms)}


def _group(item) -> str:
    marker = item.get_closest_marker("xdist_group")
    if marker is not None:
        return str(marker.kwargs.get("name", marker.args[0] if marker.args else "default"))
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist (the dev extra): unknown without it
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` by test module: one worker runs a whole module (its module-scoped fixtures, a
    class graded once or MNIST trained once, are built once), or a whole group of modules that name one
    with `pytest.mark.xdist_group("name")` (modules that must not overlap; none does today: the nbgrader
    courses, which once formed one such group, each look only at their own folders and processes).

    pytest-xdist 3.8 marks a test's group by appending "@name" to its id, which pytest 9.2's structured
    ids ignore (pytest-xdist issue 1386): without this scheduler every test would be a group of its own."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    named = {}
    for path in HERE.rglob("test_*.py"):
        found = GROUP_MARK.search(path.read_text(encoding="utf-8"))
        if found:
            named[path.relative_to(config.rootpath).as_posix()] = found.group(1)

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # pytest-xdist's own suffix, where it works
                return nodeid.split("@")[-1]
            module = nodeid.split("::", 1)[0]
            return named.get(module, module)

    return ByModule(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (make test): one worker more than the cores. Much of the suite waits rather than computes:
    a submission's time limit run out, a kernel or nbgrader starting, a 30 s capstone budget. With one
    worker per core those waits leave a core idle (`make test` on this 2-core machine: 86% busy on average,
    under 75% in a fifth of the 10-second samples; 11 min 18 s to 12 min 42 s in four runs); a third worker
    fills them (median 99.8% busy; 10 min 48 s to 13 min 13 s in five runs: docs/benchmarks.md). `-n logical`
    (make check: the fast tier computes in process, never waits) stays one per core, and
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides where it is set: pytest-xdist's own."""
    if config.option.numprocesses == "logical" or os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


@pytest.fixture(autouse=True)
def _open_like_a_serial_run(request, tmp_path_factory):
    """Under pytest-xdist a test's tmp_path lies one folder deeper (pytest-N/popen-gwK/): the tests that
    open the two folders above their tmp_path to the sandbox's user (pytest makes them 0700) would leave
    the third, pytest-of-<user>, closed. Open it before each test, as a serial run's tests do before
    theirs (any pytest that starts meanwhile closes it again)."""
    if hasattr(request.config, "workerinput"):
        top = tmp_path_factory.getbasetemp().parents[1]
        top.chmod(top.stat().st_mode | 0o005)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread_per_xdist_worker(request):
    """Under pytest-xdist, the tests that run torch in this process do it on one thread (kit.one_torch_thread):
    `make test` gives every core a worker already (and one more), and a second torch thread only spin-waits for
    a busy core (the mutants' checks cost two to four times the CPU with two threads). A serial run keeps torch's
    default. The kit's own processes (graders, sandboxes, student commands) choose their threads as they always
    do."""
    if not hasattr(request.config, "workerinput"):
        yield
        return
    import kit

    with kit.one_torch_thread():
        yield
