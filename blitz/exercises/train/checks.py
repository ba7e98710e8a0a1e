"""Checks for exercises/train.py: replay the loop with the reference on the same net and batches."""

from __future__ import annotations

import torch
from torch import nn

from blitz.course.i18n import tr
from blitz.engine.check import CheckFailure, check, fail
from blitz.engine.compare import expect_number, expect_tensor, kind_of, wrong_kind
from blitz.engine.feedback import with_hint
from blitz.engine.fixtures import CountingSGD, tiny_setup
from blitz.engine.reference import reference
from blitz.exercises.train import probes

ref = reference("train")  # the solutions in the full kit, their recorded results in a release

LR = 0.1


def compare_states(got: dict, expected: dict, call: str) -> None:
    """got is the kit's own copy of the model's state after the student's code (fixtures.state_of)."""
    for name, value in expected.items():
        what = tr("→ {name} afterwards", name=name)
        expect_tensor(got.get(name), value, call, what=what, atol=1e-5, rtol=1e-4)


PARAMETERS_UNCHANGED = tr(
    "after training, every parameter of the model is exactly what it was before: nothing was learned. Usual causes: no optimizer.step(); an optimizer built over other parameters (not this model's model.parameters()); a learning rate of 0."
)
LOGITS_NOT_PROBABILITIES = tr(
    "CrossEntropyLoss takes logits (the model's raw outputs) and applies softmax itself. Your training gives what applying softmax before the loss gives: drop the softmax and pass model(x) to the loss function as it is."
)


class _Softmaxed(nn.Module):
    """The model with softmax on its outputs: the reference replayed with a student's likely mistake."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x).softmax(dim=1)


def _same_state(got: dict, expected: dict, exact: bool) -> bool:
    for name, value in expected.items():
        mine = got.get(name)
        if not isinstance(mine, torch.Tensor) or mine.shape != value.shape:
            return False
        a, b = mine.detach().double(), value.detach().double()
        if not (torch.equal(a, b) if exact else torch.allclose(a, b, atol=1e-5, rtol=1e-4)):
            return False
    return True


def expect_parameters_changed(got: dict, seed: int, call: str) -> None:
    """Every parameter exactly as the fixture made it (batch-norm statistics may move in a forward pass
    alone): say that, and what usually causes it."""
    before = {name: p.detach() for name, p in tiny_setup(seed)[0].named_parameters()}  # not the buffers
    if _same_state(got, before, exact=True):
        fail(call=call, observed=PARAMETERS_UNCHANGED)


def explain_softmax(got: dict, seed: int, call: str, replay) -> None:
    """When the student's trained state is what the reference gives with softmax before the loss, say so."""
    model, loader = tiny_setup(seed)
    model.train(False)
    try:
        replay(_Softmaxed(model), loader)
    except CheckFailure:  # a release holds no recording of this replay: no diagnosis, the comparison speaks
        return
    if _same_state(got, model.state_dict(), exact=False):
        fail(call=call, observed=LOGITS_NOT_PROBABILITIES)


@check(
    "train",
    tr("one epoch: zero, backward, step on every batch"),
    weight=2,
)
def check_train_one_epoch(sub, ctx):
    call = "train.train_one_epoch(model, loader, optimizer, loss_fn, device)"
    for seed in (ctx.seed + 1, ctx.seed + 2):
        result = probes.train_epoch_probe(sub, seed, LR, ctx.device)
        batches = result["batches"]
        if result["step_calls"] != batches:
            fail(
                call=call,
                what=tr("over {batches} batches", batches=batches),
                observed=tr("optimizer.step() ran {result_step_calls} times", result_step_calls=result["step_calls"]),
                expected=tr("once per batch"),
            )
        if not all(result["grads_at_step"]):
            fail(
                call=call,
                observed=tr(
                    "there was no gradient when optimizer.step() ran: loss.backward() did not come before step."
                ),
            )
        expect_parameters_changed(result["state"], seed, call)  # after the more precise words above
        if not all(result["forward_training"]):
            fail(
                call=call,
                observed=tr("the model was trained in eval mode."),
                expected=tr("call model.train() first."),
            )
        model, loader = tiny_setup(seed)
        model.train(False)  # the reference must set train mode itself, as the student's code must
        expected_loss = ref.train_one_epoch(
            model, loader, CountingSGD(model.parameters(), lr=LR), nn.CrossEntropyLoss(), "cpu"
        )
        try:
            compare_states(result["state"], {k: v.detach() for k, v in model.state_dict().items()}, call)
        except CheckFailure as failure:
            explain_softmax(
                result["state"],
                seed,
                call,
                lambda m, batches: ref.train_one_epoch(
                    m, batches, CountingSGD(m.parameters(), lr=LR), nn.CrossEntropyLoss(), "cpu"
                ),
            )
            if result["zero_grad_calls"] == 0:
                # model.zero_grad() is as right as optimizer.zero_grad(), so only a wrong result fails.
                failure = CheckFailure(
                    with_hint(
                        failure.msg,
                        tr("optimizer.zero_grad() never ran: the gradients may have added up across batches."),
                    )
                )
            raise failure
        expect_number(
            result["returned"],
            result["number"],
            expected_loss,
            call,
            tol=1e-4 * max(1.0, abs(expected_loss)),
            expected_text=tr(
                "the mean batch loss {expected_loss:.6f} (a float, via loss.item())", expected_loss=expected_loss
            ),
        )


@check("train", tr("fit: Adam + cross-entropy, one mean loss per epoch"), weight=2)
def check_fit(sub, ctx):
    epochs, lr = 3, 0.01
    call = f"train.fit(model, loader, epochs={epochs}, lr={lr}, device)"
    result = probes.fit_probe(sub, ctx.seed + 3, epochs, lr, ctx.device)
    model, loader = tiny_setup(ctx.seed + 3)
    expected = ref.fit(model, loader, epochs, lr, "cpu")
    returned = result["returned"]
    numbers = result["numbers"]  # each item as a plain number: a float, a numpy float or a detached 0-d tensor
    if numbers is None or len(numbers) != epochs or any(v is None for v in numbers):
        fail(
            call=call,
            returned=kind_of(returned),
            expected=tr("a list of {epochs} floats, one mean loss per epoch", epochs=epochs),
            hint=wrong_kind(returned),
        )
    if result["forwards"] != epochs * result["batches"]:
        batches = result["batches"]
        fail(
            call=call,
            observed=tr("the model ran forward {result_forwards} times", result_forwards=result["forwards"]),
            expected=tr(
                "{epochs} epochs × {batches} batches = {epochs_batches}",
                epochs=epochs,
                batches=batches,
                epochs_batches=epochs * batches,
            ),
        )
    expect_parameters_changed(result["state"], ctx.seed + 3, call)
    try:
        compare_states(result["state"], {k: v.detach() for k, v in model.state_dict().items()}, call)
    except CheckFailure:
        explain_softmax(result["state"], ctx.seed + 3, call, lambda m, batches: ref.fit(m, batches, epochs, lr, "cpu"))
        raise
    what = tr("(the losses per epoch, with Adam and cross-entropy)")
    got = torch.tensor([float(v) for v in numbers], dtype=torch.float64)
    expect_tensor(got, torch.tensor(expected, dtype=torch.float64), call, what=what, atol=1e-4)
