"""Probes in this process: for a student checking their own work (and for notebooks)."""

from __future__ import annotations

import copy
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from blitz.engine import wire
from blitz.engine.student_code import StudentModules, run_probe
from blitz.engine.submission import Submission
from blitz.probes import PROBES


class LocalSubmission(Submission):
    """Probes in this process: for a student checking their own work (and notebooks)."""

    def __init__(self, folder: Path | str | None = None, namespaces: Mapping[str, Any] | None = None, label: str = ""):
        self.modules = StudentModules(Path(folder) if folder is not None else None, namespaces)
        self.label = label or (str(folder) if folder is not None else "notebook")

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        # As in a worker, the student's code gets its own copy of the inputs and leaves the check's random
        # numbers alone: what the check draws (and gives the reference) never depends on the student's code.
        try:
            args, kwargs = copy.deepcopy((args, kwargs))
        except Exception:  # noqa: BLE001 - an input that cannot be copied is passed as it is
            pass
        with torch.random.fork_rng(devices=[]):
            envelope = run_probe(PROBES[name], self.modules, args, kwargs)
        # The same bytes round trip as from a worker, so local and isolated runs judge the same values.
        return self._unwrap(wire.loads(wire.dumps(envelope)))


def namespace_submission(exercise_id: str, namespace: Mapping[str, Any]) -> LocalSubmission:
    """A notebook's globals() as the module of one exercise."""
    from blitz.course import registry

    module = types.SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})
    # The capstone's notebook holds the code of every exercise it runs together (nbgrader's course).
    ids = (exercise_id, *registry.BY_ID[exercise_id].inputs) if exercise_id in registry.BY_ID else (exercise_id,)
    return LocalSubmission(namespaces=dict.fromkeys(ids, module), label="notebook")


def clear_module_cache() -> None:
    """Forget loaded student modules (watch mode reloads after every save)."""
    for name in [n for n in sys.modules if n.startswith("blitz_submission_")]:
        del sys.modules[name]
