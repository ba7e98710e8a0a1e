"""`blitz doctor`: is everything the course needs installed, and is MNIST there and intact?

One line per item: OK, a note (fine, but worth knowing: no GPU, an unofficial training subset), or
a problem with what to do about it. The exit code is 1 when there is a problem.

MNIST is checked as torchvision would use it: the four unpacked files under MNIST/raw/ must exist
and hold a well-formed IDX header; each `.gz` beside them is compared with the md5 torchvision
publishes (``torchvision.datasets.MNIST.resources``), and its unpacked bytes with the file next to
it. The training split may be a subset (the kit's CI uses a 5,000-image one): its md5 is then
reported as an unofficial subset, not as an error. The official test split is what accuracy is
measured on, so a test file that is not byte-for-byte the published one is a problem.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import importlib.metadata
import importlib.util
import platform
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from blitz.course.i18n import Msg
from blitz.student.render import label, say

OK, NOTE, PROBLEM = "ok", "note", "problem"
MARKS = {OK: "[ OK ]", NOTE: "[note]", PROBLEM: "[FAIL]"}
MIN_PYTHON = (3, 10)

# md5 of the official .gz files, as torchvision checks them; used when torchvision cannot be imported.
OFFICIAL_GZ_MD5 = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
# md5 of the unpacked official test files (the unpacked bytes of the .gz files above): the test
# split can be verified even where the .gz files were deleted after unpacking.
OFFICIAL_RAW_MD5 = {
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
OFFICIAL_COUNTS = {True: 60_000, False: 10_000}
IDX_MAGIC = {"images": 2051, "labels": 2049}


@dataclass
class Finding:
    level: str
    what: str  # short, language-neutral (a name and a version)
    detail: Msg

    def line(self) -> str:
        detail = label(self.detail)
        return f"{MARKS[self.level]} {self.what}" + (f": {detail}" if detail else "")


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


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


def _official_gz_md5() -> dict[str, str]:
    try:
        from torchvision.datasets import MNIST

        return {name.removesuffix(".gz"): md5 for name, md5 in MNIST.resources}
    except Exception:  # noqa: BLE001
        return dict(OFFICIAL_GZ_MD5)


def _idx_count(data: bytes, kind: str) -> int | None:
    """The item count from an IDX header, or None when the bytes are not a complete IDX file."""
    if len(data) < 8:
        return None
    magic, count = struct.unpack(">II", data[:8])
    if magic != IDX_MAGIC[kind]:
        return None
    if kind == "images":
        if len(data) < 16:
            return None
        rows, cols = struct.unpack(">II", data[8:16])
        return count if (rows, cols) == (28, 28) and len(data) == 16 + count * 28 * 28 else None
    return count if len(data) == 8 + count else None


def check_mnist() -> list[Finding]:
    from blitz.course import mnist

    root = mnist.data_root()
    raw = root / "MNIST" / "raw"
    redo = Msg(
        f"删除 {raw} 里的这个文件，再运行 `blitz download`（或设置 BLITZ_DATA 指向完好的副本）。",
        f"Delete this file from {raw} and run `blitz download` again (or point BLITZ_DATA at a good copy).",
    )
    missing = mnist.missing_files(root)
    if len(missing) == 4:
        return [
            Finding(
                PROBLEM,
                "MNIST",
                Msg(
                    f"在 {raw} 下找不到。运行 `blitz download` 下载，或者把环境变量 BLITZ_DATA 设为包含 MNIST/raw/ 的文件夹。",
                    f"not found under {raw}. Run `blitz download` to fetch it, or set BLITZ_DATA to a folder holding MNIST/raw/.",
                ),
            )
        ]
    findings = [Finding(OK, "MNIST", Msg(f"在 {raw}", f"in {raw}"))]
    official = _official_gz_md5()
    counts: dict[bool, dict[str, int | None]] = {True: {}, False: {}}
    for train, names in mnist.RAW_FILES.items():
        for name in names:
            kind = "images" if "images" in name else "labels"
            path, gz = raw / name, raw / f"{name}.gz"
            if not path.is_file():
                findings.append(
                    Finding(
                        PROBLEM,
                        name,
                        Msg(
                            "缺少这个文件。运行 `blitz download`（torchvision 会下载并解压）。",
                            "this file is missing. Run `blitz download` (torchvision fetches and unpacks it).",
                        ),
                    )
                )
                continue
            data = path.read_bytes()
            count = _idx_count(data, kind)
            counts[train][kind] = count
            if count is None:
                findings.append(
                    Finding(
                        PROBLEM,
                        name,
                        Msg(
                            "不是完整的 IDX 文件（损坏或被截断）。",
                            "is not a complete IDX file (corrupt or cut short). ",
                        )
                        + redo,
                    )
                )
                continue
            findings.append(_check_file(name, train, data, count, gz, official.get(name), redo))
    for train in (True, False):
        images, labels = counts[train].get("images"), counts[train].get("labels")
        if images is not None and labels is not None and images != labels:
            split = Msg("训练集", "training split") if train else Msg("测试集", "test split")
            findings.append(
                Finding(
                    PROBLEM,
                    label(split),
                    Msg(f"{images} 张图片却有 {labels} 个标签。", f"{images} images but {labels} labels. ") + redo,
                )
            )
    return findings


def _check_file(name: str, train: bool, data: bytes, count: int, gz: Path, gz_md5: str | None, redo: Msg) -> Finding:
    what = f"{name} ({count:,})"
    if gz.is_file():
        packed = gz.read_bytes()
        try:
            unpacked_md5 = _md5(gzip.decompress(packed))
        except (OSError, EOFError):
            return Finding(
                PROBLEM,
                what,
                Msg(f"{gz.name} 损坏（解压失败）。", f"{gz.name} is corrupt (it does not unpack). ") + redo,
            )
        if unpacked_md5 != _md5(data):
            return Finding(
                PROBLEM,
                what,
                Msg(f"和 {gz.name} 解压出来的内容不一样。", f"differs from what {gz.name} unpacks to. ") + redo,
            )
        digest = _md5(packed)
        if digest == gz_md5:
            return Finding(OK, what, Msg(f"md5 {digest}（官方文件）", f"md5 {digest} (official)"))
        if train:
            return Finding(
                NOTE,
                what,
                Msg(
                    f"md5 {digest}：非官方的子集（官方训练集是 {OFFICIAL_COUNTS[True]:,} 张），课程可以用。",
                    f"md5 {digest}: an unofficial subset (the official training split has {OFFICIAL_COUNTS[True]:,}); fine for the course.",
                ),
            )
        return Finding(
            PROBLEM,
            what,
            Msg(
                f"md5 {digest} 与官方的 {gz_md5} 不同：测试集必须是官方的。",
                f"md5 {digest} is not the official {gz_md5}: the test split must be the official one. ",
            )
            + redo,
        )
    # No .gz to compare with: the unpacked test files have known digests; a training file has none.
    if train:
        level = OK if count == OFFICIAL_COUNTS[True] else NOTE
        sub = "" if level == OK else " — 非官方子集 / unofficial subset"
        return Finding(
            level, what, Msg(f"没有 .gz 可以校验；文件头完好{sub}", f"no .gz to verify; the header is sound{sub}")
        )
    expected = OFFICIAL_RAW_MD5.get(name)
    digest = _md5(data)
    if digest == expected:
        return Finding(OK, what, Msg(f"md5 {digest}（官方文件）", f"md5 {digest} (official)"))
    return Finding(
        PROBLEM,
        what,
        Msg(f"md5 {digest} 与官方的 {expected} 不同。", f"md5 {digest} is not the official {expected}. ") + redo,
    )


def check_torchvision_reads() -> Finding:
    """The path the exercises take: torchvision.datasets.MNIST opening both splits."""
    from blitz.course import mnist

    root = mnist.data_root()
    try:
        from torchvision import datasets

        sizes = [len(datasets.MNIST(str(root), train=train)) for train in (True, False)]
    except Exception as exc:  # noqa: BLE001
        return Finding(
            PROBLEM,
            "torchvision.datasets.MNIST",
            Msg(
                f"读不了 MNIST（{type(exc).__name__}: {exc}）。运行 `blitz download`。",
                f"cannot read MNIST ({type(exc).__name__}: {exc}). Run `blitz download`.",
            ),
        )
    return Finding(
        OK,
        "torchvision.datasets.MNIST",
        Msg(
            f"训练集 {sizes[0]:,} 张，测试集 {sizes[1]:,} 张",
            f"training split {sizes[0]:,} images, test split {sizes[1]:,}",
        ),
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
        shutil.which(python) and Path(shutil.which(python)).resolve() == Path(sys.executable).resolve()
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


def findings() -> Iterator[Finding]:
    """Each finding as soon as it is made: the slow ones (torch, the kernel) come one by one."""
    pip = Msg(
        f"运行 `{sys.executable} -m pip install -e .`（在课程文件夹里）重新安装。",
        f"Reinstall with `{sys.executable} -m pip install -e .` (in the kit's folder).",
    )
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
