"""Probes for exercises/model.py: run next to the student's code, report what it did; the checks in
blitz/exercises/model/checks.py judge what comes back.
"""

from __future__ import annotations

import torch
from torch import nn

from blitz.engine.answers import ANY, NUMBER, Bool, Either, ListOf, Omittable, Record, Str, Tensor, probe
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
            # the kinds of the layers with parameters that ran in forward but are no part of the model
            # (kept in a plain list or dict, or made in forward): only chooses the words of a failure
            unseen=Omittable(ListOf(Str)),
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
    seen = {id(m) for m in model.modules()}
    unseen: dict[int, str] = {}

    def note(module: nn.Module, args: tuple, output: object) -> None:  # every module that runs, anywhere
        if id(module) not in seen and len(unseen) < 10 and any(True for _ in module.parameters(recurse=False)):
            unseen.setdefault(id(module), type(module).__name__)

    hook = nn.modules.module.register_module_forward_hook(note)
    try:
        with torch.no_grad():
            for x in inputs:
                try:
                    outputs.append(model(x))
                except BaseException as exc:  # noqa: BLE001
                    label_exception(exc, f"CNN()({short(x)})")
                    raise
    finally:
        hook.remove()
    return {
        "is_module": True,
        "params": [p.detach().clone() for p in model.parameters() if p.requires_grad],
        "assign_problems": problems,
        "outputs": outputs,
        "unseen": list(unseen.values()),
    }


def _models(seed: int = 0) -> int:
    return len(counting_models(seed))


@probe(Record(counts=ListOf(ANY, count=_models), numbers=ListOf(NUMBER, count=_models)))
def count_parameters(mods: StudentModules, seed: int = 0) -> dict:
    counts = [invoke(mods, "model", "count_parameters", m) for m in counting_models(seed)]
    return {"counts": counts, "numbers": [plain_number(c) for c in counts]}
