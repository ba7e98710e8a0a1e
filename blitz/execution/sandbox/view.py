"""What every worker must see to run at all: its Python, torch, and the kit's package.

Only these (read-only), the system, the data and the submission's own copy are in a sandbox;
the kit's folder around its package (solutions/, tests/, .git) is not, nor anything of the
host's home folders, the other submissions or the reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import blitz
from blitz.course import registry

_worker_path: list[str] | None = None


def inside(path: str, parent: str) -> bool:
    """Is `path` `parent` itself or below it (both absolute, normalised)?"""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def worker_sys_path() -> list[str]:
    """The folders a worker's Python (``python -I``) imports from."""
    global _worker_path
    if _worker_path is None:
        try:
            out = subprocess.run(
                [sys.executable, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            _worker_path = [p for p in json.loads(out) if p and os.path.isdir(p)]
        except (OSError, subprocess.SubprocessError, ValueError):
            _worker_path = []
    return _worker_path


def kit_secrets() -> list[str]:
    """The kit's paths no student code may read: reference solutions, tests, its git history."""
    import importlib.util

    paths = [registry.ROOT / name for name in ("solutions", "tests", "autograder", ".git", "source", "release")]
    spec = importlib.util.find_spec("solutions")
    if spec is not None:
        paths += [Path(p) for p in (spec.submodule_search_locations or [])]
    return [str(p) for p in paths]


def torch_folder() -> Path:
    """torch's package folder, found without importing torch: the notebook kernels' launcher needs
    the path only, and importing torch costs it about 1.5 s of CPU per kernel."""
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("torch is not installed next to this Python")
    return Path(next(iter(spec.submodule_search_locations)))


def essentials() -> list[str]:
    """What every worker needs to see: its Python, torch, the kit's package (not the kit's folder)."""
    kit = os.path.realpath(registry.ROOT)
    package = os.path.realpath(Path(blitz.__file__).parent)
    paths: list[str | Path] = [
        package,
        torch_folder(),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        Path(os.path.realpath(sys.executable)).parent,
        *worker_sys_path(),
    ]
    out = []
    for p in paths:
        real = os.path.realpath(p)
        # the kit's folder (or one above it) on sys.path: only its package is needed, not solutions/
        out.append(package if inside(kit, real) else real)
    return list(dict.fromkeys(out))


def gpu_devices() -> list[str]:
    """The device nodes a worker needs to use an NVIDIA GPU (``--device cuda``)."""
    try:
        names = os.listdir("/dev")
    except OSError:
        return []
    return [f"/dev/{n}" for n in sorted(names) if n.startswith("nvidia")]
