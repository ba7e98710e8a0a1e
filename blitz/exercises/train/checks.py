"""Checks for exercises/train.py: replay the loop with the reference on the same net and batches."""

from __future__ import annotations

import torch
from torch import nn

from blitz.course.i18n import Msg
from blitz.engine.check import CheckFailure, check, fail
from blitz.engine.compare import expect_close, expect_tensor, kind_of
from blitz.engine.feedback import with_hint
from blitz.engine.fixtures import CountingSGD, tiny_setup
from blitz.engine.reference import reference
from blitz.exercises.train import probes

ref = reference("train")  # the solutions in the full kit, their recorded results in a release

LR = 0.1


def compare_states(got: dict, expected: dict, call: str) -> None:
    """got is the kit's own copy of the model's state after the student's code (fixtures.state_of)."""
    for name, value in expected.items():
        what = Msg(f"→ 训练后的 {name}", f"→ {name} afterwards")
        expect_tensor(got.get(name), value, call, what=what, atol=1e-5, rtol=1e-4)


@check(
    "train",
    "一个 epoch：清零、反向传播、更新，每个批次都做",
    "one epoch: zero, backward, step on every batch",
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
                what=Msg(f"，共 {batches} 个批次", f"over {batches} batches"),
                observed=Msg(
                    f"optimizer.step() 被调用了 {result['step_calls']} 次",
                    f"optimizer.step() ran {result['step_calls']} times",
                ),
                expected=Msg("每个批次一次", "once per batch"),
            )
        if not all(result["grads_at_step"]):
            fail(
                call=call,
                observed=Msg(
                    "optimizer.step() 时没有梯度：loss.backward() 没有在 step 之前调用。",
                    "there was no gradient when optimizer.step() ran: loss.backward() did not come before step.",
                ),
            )
        if not all(result["forward_training"]):
            fail(
                call=call,
                observed=Msg("模型在评估模式下被训练。", "the model was trained in eval mode."),
                expected=Msg("先调用 model.train()。", "call model.train() first."),
            )
        model, loader = tiny_setup(seed)
        model.train(False)  # the reference must set train mode itself, as the student's code must
        expected_loss = ref.train_one_epoch(
            model, loader, CountingSGD(model.parameters(), lr=LR), nn.CrossEntropyLoss(), "cpu"
        )
        try:
            compare_states(result["state"], {k: v.detach() for k, v in model.state_dict().items()}, call)
        except CheckFailure as failure:
            if result["zero_grad_calls"] == 0:
                # model.zero_grad() is as right as optimizer.zero_grad(), so only a wrong result fails.
                failure = CheckFailure(
                    with_hint(
                        failure.msg,
                        Msg(
                            "optimizer.zero_grad() 一次也没有被调用：梯度可能在批次之间累加了。",
                            "optimizer.zero_grad() never ran: the gradients may have added up across batches.",
                        ),
                    )
                )
            raise failure
        expect_close(
            result["returned"],
            expected_loss,
            call,
            tol=1e-4 * max(1.0, abs(expected_loss)),
            expected_text=Msg(
                f"各批次损失的平均值 {expected_loss:.6f}（一个 float，用 loss.item()）",
                f"the mean batch loss {expected_loss:.6f} (a float, via loss.item())",
            ),
        )


@check("train", "fit：Adam + 交叉熵，每轮一个平均损失", "fit: Adam + cross-entropy, one mean loss per epoch", weight=2)
def check_fit(sub, ctx):
    epochs, lr = 3, 0.01
    call = f"train.fit(model, loader, epochs={epochs}, lr={lr}, device)"
    result = probes.fit_probe(sub, ctx.seed + 3, epochs, lr, ctx.device)
    model, loader = tiny_setup(ctx.seed + 3)
    expected = ref.fit(model, loader, epochs, lr, "cpu")
    returned = result["returned"]
    if not isinstance(returned, list) or len(returned) != epochs or not all(isinstance(v, float) for v in returned):
        fail(
            call=call,
            returned=kind_of(returned),
            expected=Msg(
                f"{epochs} 个 float 的列表，每轮一个平均损失", f"a list of {epochs} floats, one mean loss per epoch"
            ),
        )
    if result["forwards"] != epochs * result["batches"]:
        batches = result["batches"]
        fail(
            call=call,
            observed=Msg(f"模型前向了 {result['forwards']} 次", f"the model ran forward {result['forwards']} times"),
            expected=Msg(
                f"{epochs} 轮 × {batches} 个批次 = {epochs * batches} 次",
                f"{epochs} epochs × {batches} batches = {epochs * batches}",
            ),
        )
    what = Msg("（每轮损失，Adam 与交叉熵）", "(the losses per epoch, with Adam and cross-entropy)")
    expect_tensor(torch.tensor(returned), torch.tensor(expected), call, what=what, atol=1e-4)
    compare_states(result["state"], {k: v.detach() for k, v in model.state_dict().items()}, call)
