"""The reference a check compares with: the live solutions (the full kit), or their recorded results (a release).

    ref = reference("tensors")      # in blitz/exercises/tensors/checks.py
    ref.stack(tensors, dim)         # the reference's answer, from either source

In the full kit `reference(id)` is ``solutions.<id>``, imported on first use. A student release (`blitz
release`) holds no reference code: it carries, as data in ``blitz/expected/``, every result the
reference gave while the kit ran its self-checks on the self-check seeds. There `reference(id)` is a
:class:`Replay` that serves those results: each call is looked up by a digest of what it was called with
(its arguments, the models and loaders among them, and, for a call that draws random numbers, the random
state before it), and a call that was never recorded fails the check with a message that says why.

What a check does with a reference result is replayed too: a call that changed a model it was given
(a training loop) changes that model the same way, a call that drew random numbers leaves the same
random state, and a module the reference built (the course's CNN, a loss) comes back as a stand-in
with the same type name, attributes and parameters, whose forward serves the recorded outputs.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from blitz.course.i18n import tr
from blitz.engine.check import CheckFailure
from blitz.engine.recorded import apply, call_key, load, rng_digest

# Present only in a release: the recorded results, one JSON and one safetensors file per exercise.
EXPECTED = Path(__file__).resolve().parents[1] / "expected"
# A folder of recorded results to replay instead of the live reference (the kit's own tests use it).
ENV = "BLITZ_EXPECTED"
# The exercises whose checks asked for a reference (set when blitz.checks is imported).
USED: list[str] = []


def expected_folder() -> Path | None:
    """Where the recorded results are, or None: then the live reference is used."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return EXPECTED if (EXPECTED / "manifest.json").is_file() else None


def reference(exercise_id: str) -> Any:
    """The reference of one exercise: ``solutions.<id>`` (lazily), or its replay in a release."""
    if exercise_id not in USED:
        USED.append(exercise_id)
    return _Reference(exercise_id)


# --------------------------------------------------------------------------------------------------
# the reference itself


class _Reference:
    """``solutions.<id>`` on first use (recording its calls while a recorder runs), or its replay."""

    def __init__(self, exercise_id: str):
        self._exercise = exercise_id
        self._source: Any = None

    def _resolve(self) -> Any:
        if self._source is None:
            folder = expected_folder()
            if folder is not None:
                self._source = Replay(self._exercise, folder)
            else:
                self._source = importlib.import_module(f"solutions.{self._exercise}")
        return self._source

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._resolve(), name)
        if RECORDERS and callable(value) and not isinstance(self._source, Replay):
            return RECORDERS[-1].wrap(self._exercise, name, value)
        return value


# The recorder of `blitz release` while it runs the self-checks (blitz.authoring.release.record_expected).
RECORDERS: list[Any] = []


def missing(what: str) -> CheckFailure:
    recorded = _manifest().get("torch", "")
    said = tr(
        "This seed's expected values are not in the release ({what}): it holds those of the self-checks' "
        "default seeds only. Run the self-checks with the default seeds (no --seed).",
        what=what,
    )
    if recorded and recorded.split("+")[0] != torch.__version__.split("+")[0]:
        said += tr(
            "\nThe expected values were recorded with torch {recorded}; this is torch {version}, "
            "whose random numbers may differ.",
            recorded=recorded,
            version=torch.__version__,
        )
    return CheckFailure(said)


def _manifest() -> dict:
    folder = expected_folder()
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        return {}


class Replay:
    """The recorded results of one exercise's reference, served call by call."""

    def __init__(self, exercise_id: str, folder: Path):
        self.exercise = exercise_id
        self.calls, self.tensors = load(folder, exercise_id)

    def __getattr__(self, name: str) -> Callable:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.serve(call_key(self.exercise, name, args, kwargs), f"{self.exercise}.{name}", args, kwargs)

        call.__name__ = name
        return call

    def serve(self, key: str, what: str, args: tuple = (), kwargs: dict | None = None) -> Any:
        variants = self.calls.get(key, [])
        state = rng_digest() if any("rng_before" in v for v in variants) else None
        for variant in variants:
            if variant.get("rng_before", state) == state:
                return apply(variant, self, list(args) + list((kwargs or {}).values()))
        raise missing(what)
