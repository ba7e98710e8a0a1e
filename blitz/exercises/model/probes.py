"""Probes for exercises/model.py: run next to the student's code, report what it did; the checks in
blitz/exercises/model/checks.py judge what comes back.
"""

from __future__ import annotations

import torch
from torch import nn

from blitz.engine.answers import ANY, NUMBER, Bool, Either, ListOf, Record, Str, Tensor, probe
from blitz.engine.fixtures import assign_by_shape, counting_models
from blitz.engine.probing import function, invoke, label_exception, plain_number, short
from blitz.engine.student_code import StudentModules


@probe(
    Either(
        Record(is_module=Bool, type=Str),
        Record(
            is_module=Bool,
            params=ListOf(Tensor()),  # the trainable parameters themselves: the check counts and uses them
            assign_problems=ListOf(ListOf(ANY, count=2)),
            outputs=ListOf(ANY, count=lambda weights, inputs: len(inputs)),
        ),
    )
)
def cnn(mods: StudentModules, weights: list[torch.Tensor], inputs: list[torch.Tensor]) -> dict:
    cls = function(mods, "model", "CNN")
    try:
        model = cls()
    except BaseException as exc:  # noqa: BLE001
        label_exception(exc, "model.CNN()")
        raise
    if not isinstance(model, nn.Module):
        return {"is_module": False, "type": type(model).__name__}
    problems = assign_by_shape(model, weights)
    outputs = []
    model.eval()
    with torch.no_grad():
        for x in inputs:
            try:
                outputs.append(model(x))
            except BaseException as exc:  # noqa: BLE001
                label_exception(exc, f"CNN()({short(x)})")
                raise
    return {
        "is_module": True,
        "params": [p.detach().clone() for p in model.parameters() if p.requires_grad],
        "assign_problems": problems,
        "outputs": outputs,
    }


def _models(seed: int = 0) -> int:
    return len(counting_models(seed))


@probe(Record(counts=ListOf(ANY, count=_models), numbers=ListOf(NUMBER, count=_models)))
def count_parameters(mods: StudentModules, seed: int = 0) -> dict:
    counts = [invoke(mods, "model", "count_parameters", m) for m in counting_models(seed)]
    return {"counts": counts, "numbers": [plain_number(c) for c in counts]}
