"""A student's work, and the one door through which checks reach it.

Checks never call student code themselves: they ask a :class:`Submission` to run a *probe* (a small
trusted function from :mod:`blitz.probes`) next to the student's code. The probe's result comes back
through :mod:`blitz.engine.wire`, and the check compares it with the reference on the trusted side.

- :class:`blitz.probes.local.LocalSubmission` runs probes in this process: `pytest autograder`,
  notebooks, `blitz check`.
- :class:`blitz.execution.sandbox.isolated.IsolatedSubmission` runs them in a sandboxed worker: `blitz grade`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blitz.engine import wire
from blitz.engine.student_code import StudentError


class Submission:
    """Runs probes next to a student's code; subclasses decide where."""

    label = "submission"

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def begin_check(self) -> None:
        """A check begins (its probes get their own time budget where there is one)."""

    def _unwrap(self, envelope: Mapping[str, Any]) -> Any:
        if envelope.get("ok"):
            return wire.raise_(envelope["value"])
        raise StudentError.from_dict(envelope.get("error", {}))

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
