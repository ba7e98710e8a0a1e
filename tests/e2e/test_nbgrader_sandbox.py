"""`blitz course-autograde` against hostile notebooks: real nbgrader, real sqlite gradebook, real kernels.

Every student's kernel runs in bubblewrap (the ``blitz-sandbox`` kernelspec, Jupyter's ipc
transport), and the scores come from the kit's checks of each notebook's code, run outside the
kernels. Seven students of `tensors` (12 checks x 1.25 points), a 10 s cell timeout, one batch:

    stub       the release notebook as handed out                                    0
    patcher    stub, plus a cell replacing `check` (module, builtins, run_check)      0  (gained 15 before)
    dbwriter   half done, plus a cell writing and deleting ../../gradebook.db, the    7.5
               course's gradebook by its absolute path, and a canary file
    snoop      stub, plus a cell reading the lingerer's notebook (a classmate's), the  0
               course's source/ (answers, hidden tests) and the kit's solutions
    lingerer   the reference code, plus a cell printing who and where it runs,       15
               leaving background processes and a SysV shared-memory segment, and
               trying to remove or replace the kernel's own sockets (by a link the
               grader's client would follow)
    forkbomb   stub, plus `while True: os.fork()`                                     0
    flooder    the reference code, plus a cell printing 40 MB (nbgrader keeps 32 MiB)  15

Each asserts: the attacker's exact score, every classmate's exact score, exit status 0, no process,
IPC object, cgroup or scratch folder left, and a world-writable canary outside unchanged.

The runs here get a TMPDIR of their own (``scratch()``), so "nothing left behind" looks at this module's
own folders and processes (their paths are in every command line of theirs: the kernels' launchers and
sandboxes, the leftovers of a student's fork bomb) and other nbgrader courses may grade beside it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import kit
import nbformat
import pytest
from nbcourse import released_course
from nbformat.v4 import new_code_cell

from blitz.authoring.nbgrader import nbgrader_env
from blitz.checks import checks_for
from blitz.course.registry import ROOT
from blitz.execution.sandbox.cgroups import detect

BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
NAMES = [c.name for c in checks_for(ASSIGNMENT)]
HALF = NAMES[:6]
MARK = "7777"  # in the lingering processes' command lines
SHM_KEY = 0x7E57B17
EXPECTED = {
    "stub": 0.0,
    "patcher": 0.0,
    "dbwriter": 7.5,
    "snoop": 0.0,
    "lingerer": 15.0,
    "forkbomb": 0.0,
    "flooder": 15.0,
}
FLOOD_LINES = 40_000  # of 1,000 characters: past the 32 MiB a cell may make the grader keep

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "nbgrader").exists(), reason="nbgrader is not installed next to this Python"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the course server grades as root (uid drop, cgroups)"),
]


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def solve(release: Path, source: Path, names: list[str]):
    src = nbformat.read(source, as_version=4)
    nb = nbformat.read(release, as_version=4)
    for name in names:
        lines = cell(src, name).source.splitlines()
        cell(nb, name).source = "\n".join(line for line in lines if "SOLUTION" not in line)
    return nb


def attack(nb, code: str):
    """`code` as a cell of the student's own, right after the imports."""
    index = nb.cells.index(cell(nb, "module_1"))
    nb.cells.insert(index + 1, new_code_cell(code))
    return nb


def attacks(root: Path, canary: Path) -> dict[str, str]:
    db, classmate = root / "gradebook.db", root / "submitted" / "lingerer" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    secrets = [str(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), str(classmate), str(ROOT / "solutions")]
    return {
        "patcher": (
            "import builtins\nimport blitz.checks as _checks\nimport blitz.frontends.notebook as _nb\n"
            "def _yes(*args, **kwargs):\n    print('✓ passed')\n"
            "_nb.check = _nb.score = builtins.check = check = _yes\n_checks.run_check = _yes"
        ),
        "dbwriter": (
            "import os, sqlite3\n"
            f"for path in ['../../gradebook.db', '../../../gradebook.db', {str(db)!r}]:\n"
            "    try:\n"
            "        con = sqlite3.connect(path)\n"
            "        con.execute('update grade set auto_score = 0, manual_score = 0')\n"
            "        con.commit()\n"
            "        print('WROTE', path)\n"
            "    except Exception as exc:\n"
            "        print('blocked', path, type(exc).__name__)\n"
            "    try:\n"
            "        os.remove(path)\n"
            "        print('REMOVED', path)\n"
            "    except Exception as exc:\n"
            "        print('blocked', path, type(exc).__name__)\n"
            "try:\n"
            f"    open({str(canary)!r}, 'w').write('pwned')\n"
            "except Exception as exc:\n"
            "    print('canary blocked', type(exc).__name__)"
        ),
        "snoop": (
            "import json, os\n"
            f"paths = {secrets!r}\n"
            "print('SEEN', json.dumps({p: os.path.exists(p) for p in paths}))\n"
            "for path in paths[:2]:\n"
            "    try:\n"
            "        for c in json.load(open(path))['cells']:\n"
            "            text = ''.join(c['source'])\n"
            "            if c['cell_type'] == 'code' and 'def ' in text and 'check(' not in text:\n"
            "                exec(text, globals())\n"
            "    except Exception as exc:\n"
            "        print('blocked', type(exc).__name__)\n"
            "try:\n"
            "    import solutions.tensors as _s\n"
            "    globals().update({k: getattr(_s, k) for k in dir(_s) if not k.startswith('_')})\n"
            "except Exception as exc:\n"
            "    print('no solutions', type(exc).__name__)"
        ),
        "lingerer": (
            "import os, socket\nprint('WHO', os.getuid(), socket.gethostname(), os.getcwd())\n"
            "import ctypes, subprocess, sys\n"
            f"subprocess.Popen(['sleep', '{MARK}'], start_new_session=True)\n"
            "subprocess.Popen([sys.executable, '-c', "
            f"'import os, time\\nos.setsid()\\nwhile True: time.sleep(1)  # {MARK}'])\n"
            f"print('shm', ctypes.CDLL(None).shmget({SHM_KEY}, 4096, 0o1000 | 0o666))\n"
            "import json, os\n"
            "try:\n"
            "    from ipykernel import get_connection_file\n"
            "    info = json.load(open(get_connection_file()))\n"
            "except Exception as exc:\n"
            "    info = {}\n"
            "    print('not in a kernel', type(exc).__name__)\n"
            "for port in ('shell_port', 'hb_port') if info else ():\n"
            "    path = f\"{info['ip']}-{info[port]}\"\n"
            "    try:\n"
            "        os.rename(path, path + '.old')\n"
            "        os.symlink('/run/systemd/private', path)\n"
            "        print('REPLACED', path)\n"
            "    except Exception as exc:\n"
            "        print('socket kept', type(exc).__name__)"
        ),
        "forkbomb": "import os\nwhile True:\n    os.fork()",
        "flooder": f"for _ in range({FLOOD_LINES}):\n    print('x' * 1000)",
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _processes(*marks: str, within: str = "") -> list[str]:
    """Live processes whose command line holds one of `marks` (and `within`, when given)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(m in cmd for m in marks) and within in cmd:
            found.append(f"{pid}: {cmd[:200]}")
    return found


def _stale_cgroups() -> list[str]:
    stale = []
    for base in detect().get("bases", {}).values():
        for name in os.listdir(base):
            parts = name.split("-")
            if (
                len(parts) == 3
                and parts[0] == "blitz"
                and parts[1].isdigit()
                and not Path(f"/proc/{parts[1]}").exists()
            ):
                stale.append(f"{base}/{name}")
    return stale


def sh(argv: list[str], cwd: Path, tmp: Path | None = None) -> subprocess.CompletedProcess:
    env = nbgrader_env() | ({"TMPDIR": str(tmp)} if tmp else {})
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500)


def scratch(base: Path) -> Path:
    """A /tmp of this test's own, for course-autograde's run folders: a fresh folder in /tmp (a short path:
    the kernels' unix sockets are made under it, and a socket's path may not pass 107 bytes), sticky and
    world-writable as /tmp; base and the folders above it opened to the sandbox's user."""
    for folder in (base, *base.parents):
        if folder != Path("/"):
            folder.chmod(folder.stat().st_mode | 0o005)
    tmp = Path(tempfile.mkdtemp(prefix="nbsb-", dir="/tmp"))
    tmp.chmod(0o1777)
    return tmp


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandboxed")
    root = base / "course"
    canary = base / "canary.txt"
    canary.write_text("untouched\n", encoding="utf-8")
    canary.chmod(0o666)  # world-writable: only the sandbox stands in its way
    tmp = scratch(base)
    released_course(tmp_path_factory, root, 10)
    release, source = (root / d / ASSIGNMENT / f"{ASSIGNMENT}.ipynb" for d in ("release", "source"))
    code = attacks(root, canary)
    solved = {"dbwriter": HALF, "lingerer": NAMES, "flooder": NAMES}
    for student in EXPECTED:
        nb = solve(release, source, solved.get(student, []))
        if student in code:
            attack(nb, code[student])
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    before = {"canary": _sha(canary), "tmp": tmp}
    result = sh([str(BIN / "blitz"), "course-autograde", ".", ASSIGNMENT], root, tmp)
    yield root, result, before, canary
    shutil.rmtree(tmp, ignore_errors=True)


def _shm_keys() -> set[int]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[0]) for line in lines if line.split()}


def outputs(root: Path, student: str) -> str:
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return "\n".join(
        o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )


def test_every_student_scores_exactly_what_the_code_deserves(batch):
    root, result, _, _ = batch
    assert result.returncode == 0, result.stdout + result.stderr
    assert kit.gradebook_scores(root) == pytest.approx(EXPECTED), result.stdout
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:  # the reference code scores the maximum
        assert gb.find_assignment(ASSIGNMENT).max_score == pytest.approx(EXPECTED["lingerer"])
        assert gb.find_submission(ASSIGNMENT, "lingerer").score == pytest.approx(EXPECTED["lingerer"])


def test_the_kit_records_of_the_class(batch):
    """The kit's SubmissionResult of each student, as JSON beside the gradebook, agree with it."""
    from blitz.engine.results import SubmissionResult

    root, *_ = batch
    data = json.loads((root / f"blitz-records-{ASSIGNMENT}.json").read_text(encoding="utf-8"))
    records = {r["student"]: SubmissionResult.from_json(r) for r in data["records"]}
    assert {s: r.score for s, r in records.items()} == pytest.approx(EXPECTED)
    assert {r.max_score for r in records.values()} == {15.0}
    assert all(r.isolation.startswith("bubblewrap") for r in records.values())


def test_the_kernels_ran_in_the_sandbox(batch):
    """nbgrader really used the sandboxed kernel: uid 65534, the sandbox's hostname, a tmpfs home."""
    root, *_ = batch
    assert "WHO 65534 sandbox /tmp/notebook" in outputs(root, "lingerer")


def test_patching_the_check_gains_nothing(batch):
    root, *_ = batch
    text = outputs(root, "patcher")
    # the kit's verdicts replace what the kernel printed: the stub's first failure, in every test cell
    assert sum(f"[tensors.{name}]" in text for name in NAMES) == len(NAMES) and "✓ tensors." not in text, text


def test_control_plain_nbgrader_believes_the_patched_check(batch, tmp_path):
    """The attack is real: a plain `nbgrader autograde` (kernel unconfined, its output believed) gives
    the patcher's stub full marks."""
    root, *_ = batch
    copy = tmp_path / "course"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("autograded", "feedback"))
    plain = sh([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--student=patcher", "--force"], copy)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert kit.gradebook_scores(copy)["patcher"] == pytest.approx(15.0)


def test_the_gradebook_and_the_canary_are_out_of_reach(batch):
    root, _, before, canary = batch
    text = outputs(root, "dbwriter")
    assert "WROTE" not in text and "REMOVED" not in text, text
    assert text.count("blocked") >= 6 and "canary blocked" in text, text
    assert (root / "gradebook.db").is_file()
    assert _sha(canary) == before["canary"]


def test_classmates_notebooks_the_source_and_the_solutions_are_not_visible(batch):
    root, *_ = batch
    seen = next(line for line in outputs(root, "snoop").splitlines() if line.startswith("SEEN "))
    assert set(json.loads(seen[5:]).values()) == {False}, seen


def test_a_flood_of_output_is_cut_in_the_graders_process(batch):
    """A cell's output beyond 32 MiB is not kept by nbgrader (blitz.grading.notebook.bounded, installed in
    nbgrader's process): the cell says so, the notebook stays small, and the rest of it is graded."""
    root, *_ = batch
    nb = nbformat.read(root / "autograded" / "flooder" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    shown = [o.data["text/plain"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if "data" in o]
    assert [t for t in shown if "32 MiB" in t] == [
        "blitz：这个单元格的输出超过了 32 MiB，其余部分没有保留。\n"
        "blitz: this cell sent more than 32 MiB of output; the rest was not kept."
    ], shown[:3]
    assert (root / "autograded" / "flooder" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").stat().st_size < 8 << 20


def test_the_kernel_cannot_touch_its_sockets(batch):
    """Its socket folder is locked before any cell runs: no socket can be swapped for a link."""
    root, *_ = batch
    text = outputs(root, "lingerer")
    assert "REPLACED" not in text and text.count("socket kept PermissionError") == 2, text


def test_nothing_is_left_behind(batch):
    root, _, before, _ = batch
    # this run's processes: each holds the course's path or its TMPDIR's, or MARK
    assert _processes(MARK, str(root.parent), str(before["tmp"])) == []
    assert list(before["tmp"].glob("blitz-course-*")) == []
    assert _stale_cgroups() == []
    assert SHM_KEY not in _shm_keys()
    assert "shm" in outputs(root, "lingerer")  # the segment was made, in the sandbox's IPC namespace


def test_the_kit_records_are_in_the_score_table(batch):
    root, result, *_ = batch
    table = result.stdout.split("Scores (nbgrader's gradebook, scored by the kit's checks):", 1)[1]
    for student, score in EXPECTED.items():
        assert f"{score:.2f} / 15.00" in next(line for line in table.splitlines() if line.startswith(student))


def test_the_class_report_of_the_course(batch):
    """course-autograde writes the class report from the kit's records, as blitz grade does."""
    root, result, *_ = batch
    folder = root / "blitz-reports" / ASSIGNMENT / "class_report"
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((folder / "scores.csv").read_text(encoding="utf-8")))}
    assert {s: float(r["total"]) for s, r in rows.items()} == pytest.approx(EXPECTED)
    rates = list(csv.DictReader(io.StringIO((folder / "pass_rate.csv").read_text(encoding="utf-8"))))
    assert [r["check"] for r in rates] == [f"{ASSIGNMENT}.{c.name}" for c in checks_for(ASSIGNMENT)]
    for name in ("pass_rate.png", "score_histogram.png", "exercise_time.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"class report: {folder}/" in result.stdout and f"class: {len(EXPECTED)} submission(s)" in result.stdout


def _environ(pid: str) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _run_of(root: Path) -> str:
    """The run folder of the course-autograde of `root` (its kernels' scratch is in that process's
    environment, beside the course's path), or "" while there is none."""
    hide = f"BLITZ_KERNEL_HIDE={root}".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        env = _environ(pid)
        if hide in env:
            for entry in env:
                if entry.startswith(b"BLITZ_KERNEL_SCRATCH="):
                    return str(Path(entry.split(b"=", 1)[1].decode()).parent)
    return ""


def _launchers_of(root: Path) -> list[str]:
    """The kernel launchers started for `root`'s run (the course's path is in their environment)."""
    hide = f"BLITZ_KERNEL_HIDE={root}".encode()
    return [p for p in _processes("blitz.grading.notebook.kernel") if hide in _environ(p.split(":", 1)[0])]


def test_a_stopped_run_leaves_nothing_behind(tmp_path, tmp_path_factory):
    """SIGTERM to `blitz course-autograde` while a student's kernel loops: nbgrader stops, the
    kernel's launcher follows it (and cleans up), the run removes its folders. Only this run's processes
    are looked at (other courses may grade beside it): its kernel by the run's folder in its command line,
    the launcher by the course's path in its environment."""
    import time

    root = released_course(tmp_path_factory, tmp_path / "course", 300)
    nb = attack(
        nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4),
        "import time\nwhile True:\n    time.sleep(0.05)",  # loops until stopped (waiting: no core burnt meanwhile)
    )
    (root / "submitted" / "looper" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, root / "submitted" / "looper" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    mark = f"sys.path.insert(0, {str(ROOT)!r}); from blitz.grading.notebook.inside"
    run = subprocess.Popen([str(BIN / "blitz"), "course-autograde", ".", ASSIGNMENT], cwd=root, env=nbgrader_env())
    ours = ""
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and run.poll() is None:
            ours = ours or _run_of(root)
            if ours and _processes(mark, within=ours):
                break
            time.sleep(0.5)
        assert ours and _processes(mark, within=ours), "the student's kernel never started"
        run.terminate()
        run.wait(120)
    finally:
        if run.poll() is None:
            run.kill()

    def left() -> list[str]:
        return _processes(mark, within=ours) + _launchers_of(root) + _processes(str(root))

    deadline = time.monotonic() + 30
    while left() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left() == []
    assert not Path(ours).exists()  # the run removed its folder
    assert _stale_cgroups() == []
