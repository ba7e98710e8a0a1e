"""Where MNIST lives, and a clear message when it is not there.

Real users download it with torchvision (`blitz download`) into `data/` of the kit. `BLITZ_DATA`
points the kit at another folder holding `MNIST/raw/` (CI sets it to the offline copy).
"""

from __future__ import annotations

import os
from pathlib import Path

from blitz.course.i18n import tr
from blitz.course.registry import ROOT

ENV_VAR = "BLITZ_DATA"
RAW_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MnistMissing(FileNotFoundError):
    """MNIST is not where the kit looks. The message says where it looked and how to get it."""

    def __init__(self, root: Path, missing: list[str]):
        self.root = root
        self.missing = missing
        self.msg = tr(
            "MNIST is not under {root} (missing {join_missing}). Run `blitz download` to fetch it with torchvision into {default_root}, or set {ENV_VAR} to a folder that holds MNIST/raw/.",
            root=root,
            join_missing=", ".join(missing),
            default_root=default_root(),
            ENV_VAR=ENV_VAR,
        )
        super().__init__(self.msg.render("both"))


def default_root() -> Path:
    return ROOT / "data"


def data_root() -> Path:
    """The folder holding MNIST/raw: $BLITZ_DATA if set, else the kit's data/."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value).expanduser().resolve() if value else default_root()


def missing_files(root: Path) -> list[str]:
    raw = root / "MNIST" / "raw"
    return [name for names in RAW_FILES.values() for name in names if not (raw / name).is_file()]


def require(root: Path | None = None) -> Path:
    """The data root, or MnistMissing saying what to do. Never a silent skip."""
    root = root or data_root()
    missing = missing_files(root)
    if missing:
        raise MnistMissing(root, missing)
    return root


def download(root: Path | None = None) -> Path:
    """Fetch both splits with torchvision (the way a real user gets MNIST)."""
    from torchvision import datasets

    root = root or data_root()
    root.mkdir(parents=True, exist_ok=True)
    for train in (True, False):
        datasets.MNIST(root=str(root), train=train, download=True)
    return require(root)


def write_idx(path: Path, values) -> None:
    """Write a uint8 tensor as an IDX file, the format of MNIST/raw: (N, rows, cols) images or (N,) labels."""
    import struct

    import torch

    values = values.to("cpu", torch.uint8).contiguous()
    magic = {3: 2051, 1: 2049}[values.dim()]
    Path(path).write_bytes(struct.pack(f">I{values.dim()}I", magic, *values.shape) + values.numpy().tobytes())


# ----------------------------------------------------------------------------------------------
# What the capstone trains on

# The accuracy bar was calibrated on a class-balanced 5,000-image copy of the training split, grouped
# by digit (benchmarks/calibrate_bar.py). A full download (60,000 images) is cut to the same kind of
# subset, so a student with the real files is held to the same bar and trains as fast.
CHECK_TRAIN_IMAGES = 5_000


def check_subset_indices(labels, size: int = CHECK_TRAIN_IMAGES) -> list[int]:
    """The fixed training subset of a split larger than `size`: the first size/10 images of each digit
    in the file's order, all the 0s first, then the 1s, and so on. ValueError if a digit has too few."""
    import torch

    per_digit = size // 10
    labels = torch.as_tensor(labels)
    chosen: list[int] = []
    for digit in range(10):
        found = (labels == digit).nonzero().flatten()[:per_digit].tolist()
        if len(found) < per_digit:
            raise ValueError(
                f"the training split has {len(found)} images of the digit {digit}; the subset needs {per_digit}"
            )
        chosen += found
    return chosen
