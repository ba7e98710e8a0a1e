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

from blitz.course.i18n import Msg
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
            Msg(
                f"需要 Python {need} 或更新的版本：装一个新的 Python，再重建虚拟环境。",
                f"Python {need} or newer is needed: install a newer Python and rebuild the virtual environment.",
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
            Msg(f"无法导入（{type(exc).__name__}: {exc}）。", f"cannot be imported ({type(exc).__name__}: {exc}). ")
            + fix,
        )
    spec = _requirement(dist)
    if version and not _in_range(version, spec):
        return Finding(
            PROBLEM, f"{dist} {version}", Msg(f"本课程需要 {dist}{spec}。", f"the course needs {dist}{spec}. ") + fix
        )
    return Finding(OK, f"{dist} {version or '?'}", Msg("", ""))


def check_cuda() -> Finding:
    import torch

    built = torch.version.cuda
    if not torch.cuda.is_available():
        why = (
            Msg(
                f"这个 torch 支持 CUDA {built}，但没找到可用的 GPU",
                f"this torch supports CUDA {built} but finds no usable GPU",
            )
            if built
            else Msg("这个 torch 是纯 CPU 版本", "this torch is a CPU-only build")
        )
        return Finding(
            NOTE,
            "CUDA",
            why
            + Msg("；本课程在 CPU 上也能完成（训练慢一些）。", "; the course works on the CPU (training is slower)."),
        )
    try:
        name = torch.cuda.get_device_name(0)
        (torch.ones(2, device="cuda") * 2).sum().item()  # a driver mismatch shows only when a kernel runs
    except Exception as exc:  # noqa: BLE001
        return Finding(
            PROBLEM,
            "CUDA",
            Msg(
                f"有 GPU，但运行出错（{exc}）。检查显卡驱动是否支持 CUDA {built}，或者用 --device cpu。",
                f"a GPU is there but running on it fails ({exc}). Check that the driver supports CUDA {built}, or use --device cpu.",
            ),
        )
    return Finding(
        OK, f"CUDA {built}", Msg(f"{name}；可以用 --device cuda 训练。", f"{name}; train on it with --device cuda.")
    )


def check_kernel() -> Finding:
    """Notebooks need a `python3` kernel that can import torch and blitz."""
    install = Msg(
        f"运行 `{sys.executable} -m ipykernel install --user --name python3` 安装一个。",
        f"Install one with `{sys.executable} -m ipykernel install --user --name python3`.",
    )
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        manager = KernelSpecManager()
        try:
            spec = manager.get_kernel_spec("python3")
        except NoSuchKernel:
            return Finding(
                PROBLEM, "Jupyter kernel", Msg("找不到 python3 内核。", "no python3 kernel found. ") + install
            )
    except Exception as exc:  # noqa: BLE001
        return Finding(
            PROBLEM,
            "Jupyter kernel",
            Msg(f"jupyter_client 出错（{exc}）。", f"jupyter_client fails ({exc}). ") + install,
        )
    python = spec.argv[0] if spec.argv else ""
    # jupyter_client runs a kernel whose argv starts with "python" with its own interpreter: this one.
    if python in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"} or (
        (found := shutil.which(python)) and Path(found).resolve() == Path(sys.executable).resolve()
    ):
        return Finding(
            OK,
            "Jupyter kernel python3",
            Msg(f"用这个 Python（{spec.resource_dir}）", f"runs this Python ({spec.resource_dir})"),
        )
    try:
        subprocess.run([python, "-c", "import torch, torchvision, blitz"], check=True, capture_output=True, timeout=120)
    except Exception:  # noqa: BLE001 - not found, import error, timeout: all mean the same to a student
        return Finding(
            PROBLEM,
            "Jupyter kernel python3",
            Msg(
                f"它用的 Python（{python}）导入不了 torch 或 blitz。",
                f"its Python ({python}) cannot import torch or blitz. ",
            )
            + install,
        )
    return Finding(
        OK, "Jupyter kernel python3", Msg(f"{python} 能导入 torch 和 blitz", f"{python} imports torch and blitz")
    )


def check_cjk_font() -> Finding:
    """The figures' Chinese labels need a CJK font; without one they are drawn in English."""
    try:
        from blitz.course.figures import FONT_PACKAGE, cjk_font

        family = cjk_font()
    except Exception:  # noqa: BLE001 - matplotlib missing or broken: its own line says so
        return Finding(
            NOTE, "CJK font", Msg("没有检查（matplotlib 不可用）。", "not checked (matplotlib is unavailable).")
        )
    if family:
        return Finding(OK, f"CJK font {family}", Msg("", ""))
    return Finding(
        NOTE,
        "CJK font",
        Msg(
            f"没有中文字体：图中文字用英文。要中文图，安装 {FONT_PACKAGE}（Debian/Ubuntu：sudo apt-get install {FONT_PACKAGE}）。",
            f"none, so figures are labelled in English. For Chinese labels install {FONT_PACKAGE} (Debian/Ubuntu: sudo apt-get install {FONT_PACKAGE}).",
        ),
    )


NO_JUPYTER = Finding(
    NOTE,
    "Jupyter",
    Msg(
        "没有安装：只有笔记本需要它（`pip install jupyterlab`）；`blitz check` 和 `pytest autograder` 不需要。",
        "not installed: only the notebooks need it (`pip install jupyterlab`); `blitz check` and `pytest autograder` do not.",
    ),
)


def reinstall(release: bool) -> Msg:
    """How to reinstall: the kit's clone installs itself editable; a class release installs its wheel."""
    if release:
        return Msg(
            f"在老师发的文件夹里运行 `{sys.executable} -m pip install --force-reinstall wheels/blitz-*.whl` 重新安装。",
            f"Reinstall with `{sys.executable} -m pip install --force-reinstall wheels/blitz-*.whl` (in the folder your instructor handed out).",
        )
    return Msg(
        f"运行 `{sys.executable} -m pip install -e .`（在课程文件夹里）重新安装。",
        f"Reinstall with `{sys.executable} -m pip install -e .` (in the kit's folder).",
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
                Msg(
                    f"有 {problems} 个问题：按上面 [FAIL] 行说的做，然后再运行 `blitz doctor`。",
                    f"{problems} problem(s): do what the [FAIL] lines say, then run `blitz doctor` again.",
                )
            )
        )
        return 1
    print(
        say(
            Msg(
                "一切就绪。运行 `blitz check` 开始第一个练习。",
                "All good. Run `blitz check` to start the first exercise.",
            )
        )
    )
    return 0
