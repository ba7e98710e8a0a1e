"""Checks for exercises/model.py: the same function as the reference once given the same weights."""

from __future__ import annotations

import re

import torch

from blitz.course.error_stories import INVISIBLE_LAYERS
from blitz.course.i18n import Msg, tr
from blitz.engine.check import check, compared, fail
from blitz.engine.compare import expect_number, expect_tensor
from blitz.engine.fixtures import counting_models
from blitz.engine.probing import brief
from blitz.engine.reference import reference
from blitz.exercises import common
from blitz.exercises.model import probes

ref = reference("model")  # the solutions in the full kit, their recorded results in a release

REFERENCE_PARAMETERS = 28_938


@check("model", tr("the conv output size formula"))
def check_conv_output_size(sub, ctx):
    cases = [
        (28, 5, 2, 1),
        (28, 5, 2, 2),
        (14, 5, 2, 1),
        (28, 2, 0, 2),
        (14, 2, 0, 2),
        (32, 3, 0, 1),
        (7, 3, 1, 2),
        (10, 4, 0, 3),
    ]
    # and sizes drawn from the seed (kernel <= size + 2 * padding), so no table of answers passes
    for _ in range(3):
        kernel, padding, stride = (
            int(v) for v in (torch.randint(1, 6, ()), torch.randint(0, 3, ()), torch.randint(1, 4, ()))
        )
        cases.append((int(torch.randint(kernel, 40, ())), kernel, padding, stride))
    for size, kernel, padding, stride in cases:
        result = common.call(sub, "model", "conv_output_size", (size, kernel, padding, stride))
        want = ref.conv_output_size(size, kernel, padding, stride)
        expect_number(result["value"], result["number"], want, result["call"])  # 24 or 24.0: a number
    result = common.call(sub, "model", "conv_output_size", (28, 5))
    expect_number(
        result["value"],
        result["number"],
        24,
        result["call"],
        what=tr("(padding=0, stride=1 by default)"),
    )


def reference_weights() -> tuple[list[torch.Tensor], torch.nn.Module]:
    net = ref.CNN()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    return [p.detach().clone() for p in net.parameters()], net


@check("model", tr("the CNN's structure: parameter count and output shape"), weight=1)
def check_cnn_structure(sub, ctx):
    inputs = [torch.randn(n, 1, 28, 28) for n in (1, int(torch.randint(2, 6, ())))]
    result = probes.cnn(sub, [], inputs)
    if not result["is_module"]:
        fail(
            call="model.CNN()",
            returned=result["type"],
            expected=tr("a subclass of nn.Module"),
        )
    for x, out in zip(inputs, result["outputs"], strict=True):  # as many outputs as inputs: the probe's form
        compared()
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (x.shape[0], 10):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            fail(
                call="CNN()(x)",
                what=tr("with x of shape {tuple_x_shape}", tuple_x_shape=tuple(x.shape)),
                returned=tr("shape {shape}", shape=shape),
                expected=tr("shape ({x_shape_0}, 10), one score per digit", x_shape_0=x.shape[0]),
            )
    # counted here, from the parameters that crossed (not from a count the student's process reports)
    n_params = sum(int(p.numel()) for p in result["params"])
    shapes = [list(p.shape) for p in result["params"]]
    if n_params != REFERENCE_PARAMETERS:
        fail(
            call="model.CNN()",
            observed=[
                tr("has {n_params:,} trainable parameters (shapes {shapes})", n_params=n_params, shapes=shapes),
                *unseen_layers(result),
            ],
            expected=tr(
                "{REFERENCE_PARAMETERS:,} (conv 1→16 5×5, conv 16→32 5×5, Linear 1568→10, all with bias)",
                REFERENCE_PARAMETERS=REFERENCE_PARAMETERS,
            ),
            hint=INVISIBLE_LAYERS if unseen_layers(result) else None,
        )


def unseen_layers(result: dict) -> list[Msg]:
    """The probe's layers that ran in forward outside the model (a claim that only chooses words), in words."""
    claimed = result.get("unseen", [])[:10]
    # a class name is any string the student likes: only plain identifiers are shown
    kinds = list(
        dict.fromkeys(k for k in claimed if isinstance(k, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", k))
    )
    if not kinds:
        return []
    return [
        tr(
            "forward ran layers that are no part of the model ({join_kinds}): PyTorch cannot see their parameters",
            join_kinds=", ".join(kinds),
            join_kinds2="、".join(kinds),
        )
    ]


@check("model", tr("the CNN computes the same function as the reference"), weight=2)
def check_cnn_function(sub, ctx):
    weights, net = reference_weights()
    inputs = [torch.randn(4, 1, 28, 28), torch.rand(2, 1, 28, 28) * 2 - 1]
    result = probes.cnn(sub, weights, inputs)
    if not result["is_module"]:
        fail(
            call="model.CNN()",
            returned=result["type"],
            expected=tr("a subclass of nn.Module"),
        )
    if result["assign_problems"]:
        fail(
            call="model.CNN()",
            observed=[
                Msg(
                    "无法把参考权重放进你的 CNN："
                    + "；".join(f"形状为 {tuple(shape)} 的参数有 {n} 个" for shape, n in result["assign_problems"]),
                    "could not load the reference weights into your CNN: "
                    + "; ".join(f"{n} parameters of shape {tuple(shape)}" for shape, n in result["assign_problems"]),
                ),
                *unseen_layers(result),
            ],
            expected=tr("the course's three layers (see check_cnn_structure)"),
            hint=INVISIBLE_LAYERS if unseen_layers(result) else None,
        )
    net.eval()
    with torch.no_grad():
        for x, got in zip(inputs, result["outputs"], strict=True):
            expect_tensor(
                got,
                net(x),
                "CNN()(x)",
                what=tr("with the reference weights, x of shape {tuple_x_shape}", tuple_x_shape=tuple(x.shape)),
                hint=INVISIBLE_LAYERS
                if unseen_layers(result)
                else tr("a missing ReLU, an average pool or another flattening order each give other results."),
                atol=1e-4,
            )


@check("model", tr("count trainable parameters only"))
def check_count_parameters(sub, ctx):
    result = probes.count_parameters(sub, ctx.seed)
    models = counting_models(ctx.seed)
    expected = [ref.count_parameters(m) for m in models]
    for model, got, number, want in zip(models, result["counts"], result["numbers"], expected, strict=True):
        expect_number(got, number, want, f"model.count_parameters({brief(repr(model), 100)})")
