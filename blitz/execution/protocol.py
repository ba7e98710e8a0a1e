"""What crosses the pipes: results as plain JSON, read back without importing torch.

A child sends one JSON object per line on its control pipe; the worker sends one per line to the
front end. An exercise's outcome is a dict::

    {"exercise": "tensors", "results": [CHECK, ...], "printed": PRINTED, "seconds": 0.4,
     "stopped": MSG | None}

    CHECK   = blitz.engine.results.CheckResult.to_json(): {"key", "exercise", "name", "title": MSG,
              "status", "score", "max_score", "message": MSG | None, "seconds"[, "note": MSG]}
    PRINTED = {"head": [line, ...], "tail": [line, ...], "omitted": n}   # what the student's code printed
    MSG     = {"zh": ..., "en": ...}

The front ends read a CHECK back with :meth:`blitz.engine.results.CheckResult.from_json` (no torch).
"""

from __future__ import annotations

from blitz.course.i18n import Msg
from blitz.engine.results import msg_json


def unscored(check: dict, status: str, message: Msg) -> dict:
    """A check that gave no result of its own (it timed out, crashed, or was not run)."""
    return {**check, "status": status, "score": 0.0, "message": msg_json(message), "seconds": 0.0}
