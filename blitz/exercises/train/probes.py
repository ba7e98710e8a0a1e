"""Probes for exercises/train.py: run next to the student's code, report what it did; the checks in
blitz/exercises/train/checks.py judge what comes back.
"""

from __future__ import annotations

from torch import nn

from blitz.engine.answers import (
    ANY,
    NUMBER,
    Bool,
    Exactly,
    Float,
    FromRequest,
    Int,
    ListOf,
    Maybe,
    Record,
    Str,
    Tensor,
    Value,
    probe,
)
from blitz.engine.fixtures import CountingSGD, Watch, state_of, tiny_setup
from blitz.engine.probing import invoke, plain_number
from blitz.engine.student_code import StudentModules


def _batches(seed: int, *rest, **kwargs) -> int:
    return len(tiny_setup(seed)[1])


def _state(seed: int, *rest, **kwargs) -> Record:
    """The fixture model's state_dict: its keys, each a tensor of its dtype and shape."""
    return Record(
        **{k: Tensor(dtype=v.dtype, shape=tuple(v.shape)) for k, v in tiny_setup(seed)[0].state_dict().items()}
    )


@probe(
    Record(
        returned=ANY,
        number=NUMBER,
        state=FromRequest(_state),
        zero_grad_calls=Int,
        step_calls=Int,
        grads_at_step=ListOf(Bool, count="step_calls"),
        loss_calls=ListOf(Float),
        forward_training=ListOf(Bool),
        forward_devices=ListOf(Str),
        batches=Exactly(_batches),
    )
)
def train_epoch_probe(mods: StudentModules, seed: int, lr: float, device: str = "cpu") -> dict:
    model, loader = tiny_setup(seed)
    model.to(device)
    model.eval()  # handed over in eval mode, as after an evaluation: the student's loop must call model.train()
    watch = Watch(model)
    optimizer = CountingSGD(model.parameters(), lr=lr)
    loss_calls = []

    def loss_fn(output, target):
        loss = nn.functional.cross_entropy(output, target)
        loss_calls.append(float(loss.detach()))
        return loss

    returned = invoke(mods, "train", "train_one_epoch", model, loader, optimizer, loss_fn, device)
    return {
        "returned": returned,
        "number": plain_number(returned),
        "state": state_of(model),
        "zero_grad_calls": optimizer.zero_grad_calls,
        "step_calls": optimizer.step_calls,
        "grads_at_step": optimizer.grads_at_step,
        "loss_calls": loss_calls,
        "forward_training": watch.training,
        "forward_devices": watch.devices,
        "batches": len(loader),
    }


@probe(
    Record(
        returned=ANY,
        numbers=Value(Maybe(ListOf(NUMBER))),  # a list or tuple returned: each item as a plain number, when it is one
        state=FromRequest(_state),
        forwards=Int,
        batches=Exactly(_batches),
    )
)
def fit_probe(mods: StudentModules, seed: int, epochs: int, lr: float, device: str = "cpu") -> dict:
    model, loader = tiny_setup(seed)
    watch = Watch(model)
    returned = invoke(mods, "train", "fit", model, loader, epochs, lr, device)
    numbers = [plain_number(v) for v in returned] if isinstance(returned, (list, tuple)) else None
    return {
        "returned": returned,
        "numbers": numbers,
        "state": state_of(model),
        "forwards": len(watch.training),
        "batches": len(loader),
    }
