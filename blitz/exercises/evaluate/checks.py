"""Checks for exercises/evaluate.py."""

from __future__ import annotations

import torch

from blitz.course.i18n import Msg
from blitz.engine.check import check, fail
from blitz.engine.compare import expect_number, expect_tensor
from blitz.engine.fixtures import tiny_setup
from blitz.engine.reference import reference
from blitz.exercises import common
from blitz.exercises.evaluate import probes

ref = reference("evaluate")  # the solutions in the full kit, their recorded results in a release


@check("evaluate", "从 logits 取预测类别", "predicted classes from logits")
def check_predict(sub, ctx):
    for n, classes in ((5, 10), (1, 10), (7, 3)):
        logits = torch.randn(n, classes) * 3
        result = common.call(sub, "evaluate", "predict", (logits,))
        expect_tensor(result["value"], ref.predict(logits), result["call"])


@check("evaluate", "准确率：评估模式、不记录梯度", "accuracy: eval mode, no grad", weight=2)
def check_accuracy(sub, ctx):
    call = "evaluate.accuracy(model, loader, device)"
    for seed in (ctx.seed + 11, ctx.seed + 12):
        result = probes.accuracy_probe(sub, seed, ctx.device)
        if result["forwards"] < result["batches"]:
            fail(
                call=call,
                observed=Msg(
                    f"模型只前向了 {result['forwards']} 次，loader 有 {result['batches']} 个批次。",
                    f"the model ran forward {result['forwards']} times; the loader has {result['batches']} batches.",
                ),
                expected=Msg("遍历整个 loader。", "go through the whole loader."),
            )
        if any(result["forward_training"]):
            fail(
                call=call,
                observed=Msg(
                    "模型在训练模式下被评估（比如 BatchNorm 会用当前批次的统计量）。",
                    "the model was evaluated in train mode (batch norm would use each batch's statistics).",
                ),
                expected=Msg("先调用 model.eval()。", "call model.eval() first."),
            )
        if any(result["grad_enabled"]):
            fail(
                call=call,
                observed=Msg("评估时仍在记录梯度。", "gradients were being recorded during evaluation."),
                expected=Msg("把循环放进 with torch.no_grad():。", "run the loop inside with torch.no_grad():."),
            )
        model, loader = tiny_setup(seed, n=60, batch_size=16)
        expected = ref.accuracy(model, loader, "cpu")
        expect_number(
            result["returned"],
            result["number"],
            expected,
            call,
            tol=1e-6,  # a float32 tensor of the right fraction too (steps of 1/60 here)
            expected_text=Msg(
                f"{expected!r}（0 到 1 之间的 float：正确数 / 总数）",
                f"{expected!r} (a float in [0, 1]: correct / total)",
            ),
        )
