"""Checks for exercises/evaluate.py."""

from __future__ import annotations

import torch

from blitz.course.i18n import tr
from blitz.engine.check import check, fail
from blitz.engine.compare import expect_number, expect_tensor
from blitz.engine.fixtures import tiny_setup
from blitz.engine.reference import reference
from blitz.exercises import common
from blitz.exercises.evaluate import probes

ref = reference("evaluate")  # the solutions in the full kit, their recorded results in a release


@check("evaluate", tr("predicted classes from logits"))
def check_predict(sub, ctx):
    for n, classes in ((5, 10), (1, 10), (7, 3)):
        logits = torch.randn(n, classes) * 3
        result = common.call(sub, "evaluate", "predict", (logits,))
        expect_tensor(result["value"], ref.predict(logits), result["call"])


@check("evaluate", tr("accuracy: eval mode, no grad"), weight=2)
def check_accuracy(sub, ctx):
    call = "evaluate.accuracy(model, loader, device)"
    for seed in (ctx.seed + 11, ctx.seed + 12):
        result = probes.accuracy_probe(sub, seed, ctx.device)
        if result["forwards"] < result["batches"]:
            fail(
                call=call,
                observed=tr(
                    "the model ran forward {result_forwards} times; the loader has {result_batches} batches.",
                    result_forwards=result["forwards"],
                    result_batches=result["batches"],
                ),
                expected=tr("go through the whole loader."),
            )
        if any(result["forward_training"]):
            fail(
                call=call,
                observed=tr("the model was evaluated in train mode (batch norm would use each batch's statistics)."),
                expected=tr("call model.eval() first."),
            )
        if any(result["grad_enabled"]):
            fail(
                call=call,
                observed=tr("gradients were being recorded during evaluation."),
                expected=tr("run the loop inside with torch.no_grad():."),
            )
        model, loader = tiny_setup(seed, n=60, batch_size=16)
        expected = ref.accuracy(model, loader, "cpu")
        expect_number(
            result["returned"],
            result["number"],
            expected,
            call,
            tol=1e-6,  # a float32 tensor of the right fraction too (steps of 1/60 here)
            expected_text=tr("{expected!r} (a float in [0, 1]: correct / total)", expected=expected),
        )
