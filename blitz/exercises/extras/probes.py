"""Probes for exercises/extras.py: run next to the student's code, report what it did; the checks in
blitz/exercises/extras/checks.py judge what comes back.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from blitz.engine.answers import ANY, Bool, Int, ListOf, Omittable, Record, Str, probe
from blitz.engine.probing import describe_call, invoke, labelled
from blitz.engine.student_code import StudentModules

_SIZE = Omittable(Int)


@probe(
    Record(
        type=Str,
        is_module=Bool,
        in_channels=_SIZE,
        out_channels=_SIZE,
        kernel_size=Omittable(ListOf(Int)),
        input_size=_SIZE,
        hidden_size=_SIZE,
        reduction=Omittable(Str),
    )
)
def module_facts(mods: StudentModules, fn: str, args: tuple) -> dict:
    """What kind of nn.Module a factory returned, and the facts that tell layers apart."""
    made = invoke(mods, "extras", fn, *args)
    facts: dict[str, Any] = {
        "type": f"{type(made).__module__}.{type(made).__qualname__}",
        "is_module": isinstance(made, nn.Module),
    }
    for attr in ("in_channels", "out_channels", "kernel_size", "input_size", "hidden_size", "reduction"):
        value = getattr(made, attr, None)
        if isinstance(value, (int, str, tuple)):
            facts[attr] = list(value) if isinstance(value, tuple) else value
    return facts


@probe(Record(raised=Str, message=Str))
def rejects(mods: StudentModules, fn: str, args: tuple) -> dict:
    """Call expecting a ValueError; report what happened instead."""
    try:
        made = invoke(mods, "extras", fn, *args)
    except ValueError as exc:
        return {"raised": "ValueError", "message": str(exc)[:500]}
    except Exception as exc:  # noqa: BLE001 - the wrong exception is a finding, not a crash
        return {"raised": type(exc).__name__, "message": str(exc)[:500]}
    return {"raised": "", "message": f"returned {type(made).__name__}"}


def _inputs(fn: str, args: tuple, weights: list, inputs: list) -> int:
    return len(inputs)


@probe(Record(is_module=Bool, shapes=ListOf(ListOf(Int)), outputs=ListOf(ANY, count=_inputs)))
def layer_outputs(mods: StudentModules, fn: str, args: tuple, weights: list[torch.Tensor], inputs: list) -> dict:
    """What a returned layer computes: the kit's weights put in its parameters, in order (when their shapes
    are the kit's), then the layer applied to each of the kit's inputs (a tuple of its arguments); a
    recurrent layer's output sequence (the first item of what it returns)."""
    made = invoke(mods, "extras", fn, *args)
    if not isinstance(made, nn.Module):
        return {"is_module": False, "shapes": [], "outputs": [None] * len(inputs)}
    params = list(made.parameters())
    shapes = [list(p.shape) for p in params]
    if shapes != [list(w.shape) for w in weights]:
        return {"is_module": True, "shapes": shapes, "outputs": [None] * len(inputs)}
    with torch.no_grad():
        for p, w in zip(params, weights):
            p.copy_(w)
    outputs = []
    with torch.no_grad(), labelled(describe_call("extras", fn, args) + "(x)"):
        for x in inputs:
            out = made(*x)
            outputs.append(out[0] if isinstance(out, tuple) and out else out)
    return {"is_module": True, "shapes": shapes, "outputs": outputs}
