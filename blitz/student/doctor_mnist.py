"""`blitz doctor`'s MNIST findings: is MNIST there and intact?

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
import struct
from pathlib import Path

from blitz.course.i18n import Msg, tr
from blitz.student.findings import NOTE, OK, PROBLEM, Finding
from blitz.student.render import label

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


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


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
    redo = tr(
        "Delete this file from {raw} and run `blitz download` again (or point BLITZ_DATA at a good copy).", raw=raw
    )
    missing = mnist.missing_files(root)
    if len(missing) == 4:
        return [
            Finding(
                PROBLEM,
                "MNIST",
                tr(
                    "not found under {raw}. Run `blitz download` to fetch it, or set BLITZ_DATA to a folder holding MNIST/raw/.",
                    raw=raw,
                ),
            )
        ]
    findings = [Finding(OK, "MNIST", tr("in {raw}", raw=raw))]
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
                        tr("this file is missing. Run `blitz download` (torchvision fetches and unpacks it)."),
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
                        tr("is not a complete IDX file (corrupt or cut short). ") + redo,
                    )
                )
                continue
            findings.append(_check_file(name, train, data, count, gz, official.get(name), redo))
    for train in (True, False):
        images, labels = counts[train].get("images"), counts[train].get("labels")
        if images is not None and labels is not None and images != labels:
            split = tr("training split") if train else tr("test split")
            findings.append(
                Finding(
                    PROBLEM,
                    label(split),
                    tr("{images} images but {labels} labels. ", images=images, labels=labels) + redo,
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
                tr("{gz_name} is corrupt (it does not unpack). ", gz_name=gz.name) + redo,
            )
        if unpacked_md5 != _md5(data):
            return Finding(
                PROBLEM,
                what,
                tr("differs from what {gz_name} unpacks to. ", gz_name=gz.name) + redo,
            )
        digest = _md5(packed)
        if digest == gz_md5:
            return Finding(OK, what, tr("md5 {digest} (official)", digest=digest))
        if train:
            return Finding(
                NOTE,
                what,
                tr(
                    "md5 {digest}: an unofficial subset (the official training split has {official_counts_true:,}); fine for the course.",
                    digest=digest,
                    official_counts_true=OFFICIAL_COUNTS[True],
                ),
            )
        return Finding(
            PROBLEM,
            what,
            tr(
                "md5 {digest} is not the official {gz_md5}: the test split must be the official one. ",
                digest=digest,
                gz_md5=gz_md5,
            )
            + redo,
        )
    # No .gz to compare with: the unpacked test files have known digests; a training file has none.
    if train:
        level = OK if count == OFFICIAL_COUNTS[True] else NOTE
        sub = "" if level == OK else " — 非官方子集 / unofficial subset"
        return Finding(level, what, tr("no .gz to verify; the header is sound{sub}", sub=sub))
    expected = OFFICIAL_RAW_MD5.get(name)
    digest = _md5(data)
    if digest == expected:
        return Finding(OK, what, tr("md5 {digest} (official)", digest=digest))
    return Finding(
        PROBLEM,
        what,
        tr("md5 {digest} is not the official {expected}. ", digest=digest, expected=expected) + redo,
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
            tr(
                "cannot read MNIST ({exc_type}: {exc}). Run `blitz download`.",
                exc_type=type(exc).__name__,
                exc=exc,
            ),
        )
    return Finding(
        OK,
        "torchvision.datasets.MNIST",
        tr("training split {sizes_0:,} images, test split {sizes_1:,}", sizes_0=sizes[0], sizes_1=sizes[1]),
    )
