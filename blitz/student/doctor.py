"""`blitz doctor`: is everything the course needs installed, and is MNIST there and intact?

One line per item: OK, a note (fine, but worth knowing: no GPU, an unofficial training subset, no
Chinese font for the figures), or a problem with what to do about it. The exit code is 1 when there
is a problem. The MNIST findings are in :mod:`blitz.student.doctor_mnist`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from blitz.course.i18n import Msg, tr
from blitz.student.doctor_mnist import check_mnist, check_torchvision_reads
from blitz.student.findings import NOTE, OK, PROBLEM, Finding
from blitz.student.paths import in_release
from blitz.student.render import say

MIN_PYTHON = (3, 10)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _requirement(dist: str) -> str | None:
    """The version range the kit declares for a dependency (from its installed metadata)."""
    try:
        from packaging.requirements import Requirement

        for text in importlib.metadata.requires("blitz") or []:
            req = Requirement(text)
            if req.name == dist and not req.marker:
                return str(req.specifier) or None
    except Exception:  # noqa: BLE001 - packaging missing or the kit not installed: skip the range
        return None
    return None


def _in_range(version: str, spec: str | None) -> bool:
    if not spec:
        return True
    try:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(spec).contains(version, prereleases=True)
    except Exception:  # noqa: BLE001
        return True


def check_python() -> Finding:
    version = platform.python_version()
    if sys.version_info[:2] < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        return Finding(
            PROBLEM,
            f"Python {version}",
            tr(
                "Python {need} or newer is needed: install a newer Python and rebuild the virtual environment.",
                need=need,
            ),
        )
    return Finding(OK, f"Python {version}", Msg(sys.executable, sys.executable))


def check_package(dist: str, module: str, fix: Msg, import_it: bool = True) -> Finding:
    """Installed in a version the kit accepts, and importable (or only findable, for slow imports)."""
    version = _version(dist)
    try:
        if import_it:
            importlib.import_module(module)
        elif importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}")
    except Exception as exc:  # noqa: BLE001 - a broken install raises all sorts of things
        return Finding(
            PROBLEM,
            dist,
            tr("cannot be imported ({exc_type}: {exc}). ", exc_type=type(exc).__name__, exc=exc) + fix,
        )
    spec = _requirement(dist)
    if version and not _in_range(version, spec):
        return Finding(PROBLEM, f"{dist} {version}", tr("the course needs {dist}{spec}. ", dist=dist, spec=spec) + fix)
    return Finding(OK, f"{dist} {version or '?'}", Msg("", ""))


def check_cuda() -> Finding:
    import torch

    built = torch.version.cuda
    if not torch.cuda.is_available():
        why = (
            tr("this torch supports CUDA {built} but finds no usable GPU", built=built)
            if built
            else tr("this torch is a CPU-only build")
        )
        return Finding(
            NOTE,
            "CUDA",
            why + tr("; the course works on the CPU (training is slower)."),
        )
    try:
        name = torch.cuda.get_device_name(0)
        (torch.ones(2, device="cuda") * 2).sum().item()  # a driver mismatch shows only when a kernel runs
    except Exception as exc:  # noqa: BLE001
        return Finding(
            PROBLEM,
            "CUDA",
            tr(
                "a GPU is there but running on it fails ({exc}). Check that the driver supports CUDA {built}, or use --device cpu.",
                exc=exc,
                built=built,
            ),
        )
    return Finding(OK, f"CUDA {built}", tr("{name}; train on it with --device cuda.", name=name))


def check_kernel() -> Finding:
    """Notebooks need a `python3` kernel that can import torch and blitz."""
    install = tr(
        "Install one with `{sys_executable} -m ipykernel install --user --name python3`.", sys_executable=sys.executable
    )
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        manager = KernelSpecManager()
        try:
            spec = manager.get_kernel_spec("python3")
        except NoSuchKernel:
            return Finding(PROBLEM, "Jupyter kernel", tr("no python3 kernel found. ") + install)
    except Exception as exc:  # noqa: BLE001
        return Finding(
            PROBLEM,
            "Jupyter kernel",
            tr("jupyter_client fails ({exc}). ", exc=exc) + install,
        )
    python = spec.argv[0] if spec.argv else ""
    # jupyter_client runs a kernel whose argv starts with "python" with its own interpreter: this one.
    if python in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"} or (
        (found := shutil.which(python)) and Path(found).resolve() == Path(sys.executable).resolve()
    ):
        return Finding(
            OK,
            "Jupyter kernel python3",
            tr("runs this Python ({spec_resource_dir})", spec_resource_dir=spec.resource_dir),
        )
    try:
        subprocess.run([python, "-c", "import torch, torchvision, blitz"], check=True, capture_output=True, timeout=120)
    except Exception:  # noqa: BLE001 - not found, import error, timeout: all mean the same to a student
        return Finding(
            PROBLEM,
            "Jupyter kernel python3",
            tr("its Python ({python}) cannot import torch or blitz. ", python=python) + install,
        )
    return Finding(OK, "Jupyter kernel python3", tr("{python} imports torch and blitz", python=python))


def check_cjk_font() -> Finding:
    """The figures' Chinese labels need a CJK font; without one they are drawn in English."""
    try:
        from blitz.course.figures import FONT_PACKAGE, cjk_font

        family = cjk_font()
    except Exception:  # noqa: BLE001 - matplotlib missing or broken: its own line says so
        return Finding(NOTE, "CJK font", tr("not checked (matplotlib is unavailable)."))
    if family:
        return Finding(OK, f"CJK font {family}", Msg("", ""))
    return Finding(
        NOTE,
        "CJK font",
        tr(
            "none, so figures are labelled in English. For Chinese labels install {FONT_PACKAGE} (Debian/Ubuntu: sudo apt-get install {FONT_PACKAGE}).",
            FONT_PACKAGE=FONT_PACKAGE,
        ),
    )


NO_JUPYTER = Finding(
    NOTE,
    "Jupyter",
    tr(
        "not installed: only the notebooks need it (`pip install jupyterlab`); `blitz check` and `pytest autograder` do not."
    ),
)


def reinstall(release: bool) -> Msg:
    """How to reinstall: the kit's clone installs itself editable; a class release installs its wheel."""
    if release:
        return tr(
            "Reinstall with `{sys_executable} -m pip install --force-reinstall wheels/blitz-*.whl` (in the folder your instructor handed out).",
            sys_executable=sys.executable,
        )
    return tr(
        "Reinstall with `{sys_executable} -m pip install -e .` (in the kit's folder).", sys_executable=sys.executable
    )


def findings() -> Iterator[Finding]:
    """Each finding as soon as it is made: the slow ones (torch, the kernel) come one by one."""
    release = in_release()
    pip = reinstall(release)
    yield check_python()
    torch = check_package("torch", "torch", pip)
    yield torch
    torchvision = check_package("torchvision", "torchvision", pip)
    yield torchvision
    if torch.level != PROBLEM:
        yield check_cuda()
    data = check_mnist()
    yield from data
    if torchvision.level != PROBLEM and not any(f.level == PROBLEM for f in data):
        yield check_torchvision_reads()
    yield check_package("matplotlib", "matplotlib", pip)  # blitz report's figures
    yield check_package("tqdm", "tqdm", pip)  # progress bars
    yield check_cjk_font()
    if release:
        # A class release needs neither nbgrader nor Jupyter; without Jupyter only the notebooks are out of reach.
        yield check_kernel() if importlib.util.find_spec("jupyter_client") else NO_JUPYTER
        return
    # Importing nbgrader takes seconds; being installed and findable is what matters here.
    yield check_package("nbgrader", "nbgrader", pip, import_it=False)
    yield check_kernel()


def doctor() -> int:
    problems = 0
    for finding in findings():
        print(finding.line(), flush=True)
        problems += finding.level == PROBLEM
    print()
    if problems:
        print(
            say(
                tr(
                    "{problems} problem(s): do what the [FAIL] lines say, then run `blitz doctor` again.",
                    problems=problems,
                )
            )
        )
        return 1
    print(say(tr("All good. Run `blitz check` to start the first exercise.")))
    return 0
