"""Probes for exercises/tensors.py: run next to the student's code, report what it did; the checks in
blitz/exercises/tensors/checks.py judge what comes back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from blitz.engine.answers import ANY, Bool, Record, Str, Tensor, probe
from blitz.engine.probing import describe_call, invoke
from blitz.engine.student_code import StudentModules


@probe(Record(value=ANY, sees_change=Bool))
def from_numpy_shares(mods: StudentModules, array: np.ndarray) -> dict:
    """Does the tensor see a later change to the array? Only shared memory makes it so."""
    result = invoke(mods, "tensors", "from_numpy", array)
    before = result.clone() if isinstance(result, torch.Tensor) else result
    array.flat[0] = array.flat[0] + 7
    seen = bool(result.reshape(-1)[0].item() == array.flat[0]) if isinstance(result, torch.Tensor) else False
    return {"value": before, "sees_change": seen}


@probe(Record(first=ANY, second=ANY, call=Str))
def called_twice(mods: StudentModules, fn: str, args: tuple) -> dict:
    """Call tensors.fn(*args) twice in a row, in one process: random numbers must differ between the calls."""
    first = invoke(mods, "tensors", fn, *args)
    second = invoke(mods, "tensors", fn, *args)
    return {"first": first, "second": second, "call": describe_call("tensors", fn, args)}


@probe(Record(value=ANY, device=Str, cuda_available=Bool))
def device_of(mods: StudentModules, t: torch.Tensor) -> dict:
    result = invoke(mods, "tensors", "to_available_device", t)
    device = str(result.device) if isinstance(result, torch.Tensor) else ""
    return {"value": result, "device": device, "cuda_available": torch.cuda.is_available()}


@probe(
    Record(
        value=ANY,
        same_object=Bool,
        same_storage=Bool,
        t_after=Tensor(dtype=lambda fn, t, *rest: t.dtype, shape=lambda fn, t, *rest: tuple(t.shape)),
    )
)
def in_place(mods: StudentModules, fn: str, t: torch.Tensor, *rest: Any) -> dict:
    """For functions that must change t itself: identity, storage and values afterwards."""
    pointer = t.data_ptr()
    result = invoke(mods, "tensors", fn, t, *rest)
    return {
        "value": result,
        "same_object": result is t,
        "same_storage": t.data_ptr() == pointer,
        "t_after": t,
    }
