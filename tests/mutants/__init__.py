"""Broken and alternative submissions, each written as one exact text patch on the reference.

A patch is (old → new) on ``solutions/<exercise>.py``. :func:`build` copies the reference into a
folder and applies it, refusing a patch whose ``old`` text is not there exactly once: a mutant
whose target text moved must fail loudly, never silently become the reference again.

Used by tests/test_mutants.py (each broken submission fails exactly the checks it should; each
alternative passes everything) and by benchmarks/calibrate_bar.py (the MNIST bar against broken
training loops and models).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from blitz.registry import ROOT

SOLUTIONS = ROOT / "solutions"


@dataclass(frozen=True)
class Mutant:
    """One realistic student bug: the patch, the checks it must fail (pipeline aside), the bug in words."""

    name: str
    exercise: str
    old: str
    new: str
    fails: frozenset[str]
    bug: str
    says: str = ""  # words the first failure message must contain (the hint this bug deserves)


@dataclass(frozen=True)
class Alternative:
    """A correct submission written differently from the reference: it must pass every check."""

    name: str
    exercise: str
    old: str
    new: str
    why: str


def patched(source: str, old: str, new: str, label: str) -> str:
    count = source.count(old)
    if count != 1:
        raise AssertionError(f"{label}: the text to replace occurs {count} times (must be exactly once):\n{old}")
    return source.replace(old, new)


def build(folder: Path, patch: Mutant | Alternative | None = None) -> Path:
    """A submission folder: the reference exercise files, with the patch applied to one of them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS.glob("*.py"):
        if path.name != "__init__.py":
            shutil.copy(path, folder / path.name)
    if patch is not None:
        target = folder / f"{patch.exercise}.py"
        target.write_text(patched(target.read_text(encoding="utf-8"), patch.old, patch.new, patch.name), encoding="utf-8")
    return folder


def by_name(name: str) -> Mutant | Alternative:
    from mutants.alternatives import ALTERNATIVES
    from mutants.broken import MUTANTS

    for entry in (*MUTANTS, *ALTERNATIVES):
        if entry.name == name:
            return entry
    raise KeyError(name)
