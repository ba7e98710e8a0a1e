"""Checks for exercises/train.py: replay the loop with the reference on the same net and batches."""

from __future__ import annotations

import torch
from torch import nn

from blitz.course.i18n import Msg
from blitz.engine.check import CheckFailure, check, fail
from blitz.engine.compare import expect_tensor, kind_of
from blitz.engine.fixtures import CountingSGD, tiny_setup
from blitz.engine.reference import reference

ref = reference("train")  # the solutions in the full kit, their recorded results in a release

LR = 0.1


def compare_states(got: dict, expected: dict, call: str) -> None:
    if not isinstance(got, dict):
        fail(f"调用 {call}：无法读取模型参数", f"Called {call}: could not read the model's parameters")
    for name, value in expected.items():
        expect_tensor(got.get(name), value, call, what=f"→ {name} afterwards / 训练后", atol=1e-5, rtol=1e-4)


@check(
    "train",
    "一个 epoch：清零、反向传播、更新，每个批次都做",
    "one epoch: zero, backward, step on every batch",
    weight=2,
)
def check_train_one_epoch(sub, ctx):
    call = "train.train_one_epoch(model, loader, optimizer, loss_fn, device)"
    for seed in (ctx.seed + 1, ctx.seed + 2):
        result = sub.probe("train_epoch_probe", seed, LR, ctx.device)
        batches = result["batches"]
        if result["step_calls"] != batches:
            fail(
                f"调用 {call}，共 {batches} 个批次\n  optimizer.step() 被调用了 {result['step_calls']} 次\n  期望：每个批次一次",
                f"Called {call} over {batches} batches\n  optimizer.step() ran {result['step_calls']} times\n  expected: once per batch",
            )
        if not all(result["grads_at_step"]):
            fail(
                f"调用 {call}\n  optimizer.step() 时没有梯度：loss.backward() 没有在 step 之前调用。",
                f"Called {call}\n  there was no gradient when optimizer.step() ran: loss.backward() did not come before step.",
            )
        if not all(result["forward_training"]):
            fail(
                f"调用 {call}\n  模型在评估模式下被训练。\n  期望：先调用 model.train()。",
                f"Called {call}\n  the model was trained in eval mode.\n  expected: call model.train() first.",
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
                    failure.msg
                    + Msg(
                        "\n  optimizer.zero_grad() 一次也没有被调用：梯度可能在批次之间累加了。",
                        "\n  optimizer.zero_grad() never ran: the gradients may have added up across batches.",
                    )
                )
            raise failure
        returned = result["returned"]
        if not isinstance(returned, float) or abs(returned - expected_loss) > 1e-4 * max(1.0, abs(expected_loss)):
            fail(
                f"调用 {call}\n  返回了：{kind_of(returned)}\n  期望：各批次损失的平均值 {expected_loss:.6f}（一个 float，用 loss.item()）",
                f"Called {call}\n  returned: {kind_of(returned)}\n  expected: the mean batch loss {expected_loss:.6f} (a float, via loss.item())",
            )


@check("train", "fit：Adam + 交叉熵，每轮一个平均损失", "fit: Adam + cross-entropy, one mean loss per epoch", weight=2)
def check_fit(sub, ctx):
    epochs, lr = 3, 0.01
    call = f"train.fit(model, loader, epochs={epochs}, lr={lr}, device)"
    result = sub.probe("fit_probe", ctx.seed + 3, epochs, lr, ctx.device)
    model, loader = tiny_setup(ctx.seed + 3)
    expected = ref.fit(model, loader, epochs, lr, "cpu")
    returned = result["returned"]
    if not isinstance(returned, list) or len(returned) != epochs or not all(isinstance(v, float) for v in returned):
        fail(
            f"调用 {call}\n  返回了：{kind_of(returned)}\n  期望：{epochs} 个 float 的列表，每轮一个平均损失",
            f"Called {call}\n  returned: {kind_of(returned)}\n  expected: a list of {epochs} floats, one mean loss per epoch",
        )
    if result["forwards"] != epochs * result["batches"]:
        fail(
            f"调用 {call}\n  模型前向了 {result['forwards']} 次\n  期望：{epochs} 轮 × {result['batches']} 个批次 = {epochs * result['batches']} 次",
            f"Called {call}\n  the model ran forward {result['forwards']} times\n  expected: {epochs} epochs × "
            f"{result['batches']} batches = {epochs * result['batches']}",
        )
    expect_tensor(
        torch.tensor(returned), torch.tensor(expected), call, what="(losses / 每轮损失，Adam 与交叉熵)", atol=1e-4
    )
    compare_states(result["state"], {k: v.detach() for k, v in model.state_dict().items()}, call)
