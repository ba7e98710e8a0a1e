"""Checks for exercises/extras.py: the course's optional part."""

from __future__ import annotations

import torch

from blitz.course.i18n import Msg
from blitz.engine.check import check, compared, fail
from blitz.engine.compare import expect_tensor
from blitz.engine.probing import describe_call
from blitz.engine.reference import reference
from blitz.exercises import common
from blitz.exercises.extras import probes

ref = reference("extras")  # the solutions in the full kit, their recorded results in a release

TASKS = (
    "regression",
    "l1_regression",
    "smooth_regression",
    "multiclass",
    "multiclass_log_probs",
    "binary",
    "binary_logits",
    "ranking",
    "multilabel",
    "binary_margin",
)


def _type_name(module) -> str:
    return f"{type(module).__module__}.{type(module).__qualname__}"


@check("extras", "损失函数表", "the loss table")
def check_loss_for(sub, ctx):
    for task in TASKS:
        call = describe_call("extras", "loss_for", (task,))
        facts = probes.module_facts(sub, "loss_for", (task,))
        expected = _type_name(ref.loss_for(task))
        compared()  # the comparisons below are written out: their messages quote the facts as they are
        if facts["type"] != expected:
            fail(call=call, returned=facts["type"], expected=expected)
    for bad in ("focal", "Regression", ""):
        call = describe_call("extras", "loss_for", (bad,))
        outcome = probes.rejects(sub, "loss_for", (bad,))
        if outcome["raised"] != "ValueError" or not all(task in outcome["message"] for task in TASKS):
            said = (
                {"raised": f"{outcome['raised']}: {outcome['message']}"}
                if outcome["raised"]
                else {"returned": outcome["message"].removeprefix("returned ")}
            )
            fail(
                call=call,
                **said,
                expected=Msg(
                    "ValueError，消息里列出所有可选的任务名", "ValueError whose message lists every task name"
                ),
            )


@check("extras", "Conv1d / Conv2d / Conv3d", "Conv1d / Conv2d / Conv3d")
def check_conv_for(sub, ctx):
    drawn = tuple(int(v) for v in torch.randint(1, 9, (3,)))  # sizes from the seed: no table of answers
    for kind in ("text", "image", "video"):
        for args in ((3, 8, 3), (1, 4, 5), drawn):
            call = describe_call("extras", "conv_for", (kind, *args))
            facts = probes.module_facts(sub, "conv_for", (kind, *args))
            expected = ref.conv_for(kind, *args)
            want = {
                "type": _type_name(expected),
                "in_channels": args[0],
                "out_channels": args[1],
                "kernel_size": list(expected.kernel_size),
            }
            got = {k: facts.get(k) for k in want}
            compared()
            if got != want:
                fail(call=call, returned=str(got), expected=str(want))


@check("extras", "RNN / LSTM / GRU", "RNN / LSTM / GRU")
def check_recurrent(sub, ctx):
    inputs, hidden = (int(v) for v in torch.randint(2, 20, (2,)))  # from the seed: no table of answers
    for kind in ("rnn", "lstm", "gru"):
        call = describe_call("extras", "recurrent", (kind, inputs, hidden))
        facts = probes.module_facts(sub, "recurrent", (kind, inputs, hidden))
        want = {"type": _type_name(ref.recurrent(kind, inputs, hidden)), "input_size": inputs, "hidden_size": hidden}
        got = {k: facts.get(k) for k in want}
        compared()
        if got != want:
            fail(call=call, returned=str(got), expected=str(want))


@check("extras", "view：保留批次维展平", "view: flatten all but the batch dim")
def check_flatten_batch(sub, ctx):
    for shape in ((4, 3, 2), (2, 1, 28, 28), (5, 7), (1, 2, 3, 4)):
        x = torch.randn(shape)
        result = common.call(sub, "extras", "flatten_batch", (x,))
        expect_tensor(result["value"], ref.flatten_batch(x), result["call"])


@check("extras", "permute：HWC → CHW", "permute: HWC → CHW")
def check_hwc_to_chw(sub, ctx):
    for shape in ((28, 28, 1), (4, 6, 3), (2, 2, 2)):
        img = torch.randn(shape)
        result = common.call(sub, "extras", "hwc_to_chw", (img,))
        got = result["value"]
        expected = ref.hwc_to_chw(img)
        scrambled = img.reshape(shape[2], shape[0], shape[1])  # what a reshape gives: the same shape, other pixels
        if (
            isinstance(got, torch.Tensor)
            and got.shape == scrambled.shape
            and torch.equal(got.detach().cpu(), scrambled)
            and not torch.equal(scrambled, expected)
        ):
            fail(
                call=result["call"],
                observed=Msg(
                    "形状对了，但像素被打乱了：结果是按内存顺序重新切分的（view/reshape 的做法），维度没有换位置。",
                    "the shape is right but the pixels are scrambled: the memory was cut up again in its order "
                    "(what view/reshape do); no dimension moved.",
                ),
                expected=Msg(
                    "同样的像素，维度换成 (通道, 高, 宽) 的顺序",
                    "the same pixels, the dims reordered to (channels, height, width)",
                ),
                hint=Msg(
                    "改形状（view/reshape）不移动数据；换维度顺序的操作才会。见课程“选读”一节的 view 与 permute。",
                    'reshaping (view/reshape) moves no data; reordering the dims does. See the course section "Extras" '
                    "on view and permute.",
                ),
            )
        expect_tensor(got, expected, result["call"])
