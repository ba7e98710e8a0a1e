"""Probes for exercises/evaluate.py: run next to the student's code, report what it did; the checks in
blitz/exercises/evaluate/checks.py judge what comes back.
"""

from __future__ import annotations

from blitz.engine.answers import ANY, NUMBER, Bool, Exactly, Int, ListOf, Record, probe
from blitz.engine.fixtures import Watch, tiny_setup
from blitz.engine.probing import invoke, plain_number
from blitz.engine.student_code import StudentModules


def _batches(seed: int, device: str = "cpu") -> int:
    return len(tiny_setup(seed, n=60, batch_size=16)[1])


@probe(
    Record(
        returned=ANY,
        number=NUMBER,  # what it returned as a plain number, of any numeric type
        forward_training=ListOf(Bool, count="forwards"),
        grad_enabled=ListOf(Bool, count="forwards"),
        forwards=Int,
        batches=Exactly(_batches),
    )
)
def accuracy_probe(mods: StudentModules, seed: int, device: str = "cpu") -> dict:
    model, loader = tiny_setup(seed, n=60, batch_size=16)
    model.to(device)
    model.train()  # the student's code must switch to eval mode itself
    watch = Watch(model)
    returned = invoke(mods, "evaluate", "accuracy", model, loader, device)
    return {
        "returned": returned,
        "number": plain_number(returned),
        "forward_training": watch.training,
        "grad_enabled": watch.grad_enabled,
        "forwards": len(watch.training),
        "batches": len(loader),
    }
