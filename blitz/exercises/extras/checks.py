"""Checks for exercises/extras.py: the course's optional part."""

from __future__ import annotations

import torch

from blitz.course.i18n import tr
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


def _loss_inputs(task: str) -> list[tuple]:
    """Two argument tuples of the layout each loss documents, drawn from the seed."""
    out = []
    for n in (4, 7):
        scores, labels = torch.randn(n, 5), torch.randint(0, 5, (n,))
        bits = torch.randint(0, 2, (n,)).float()
        signs = bits * 2 - 1
        multilabel = torch.full((n, 5), -1, dtype=torch.long)
        multilabel[:, 0], multilabel[:, 1] = labels, (labels + 1) % 5
        out.append(
            {
                "multiclass": (scores, labels),
                "multiclass_log_probs": (scores.log_softmax(1), labels),
                "binary": (torch.rand(n) * 0.98 + 0.01, bits),
                "binary_logits": (torch.randn(n) * 2, bits),
                "ranking": (torch.randn(n), torch.randn(n), signs),
                "multilabel": (scores, multilabel),
                "binary_margin": (torch.randn(n), signs),
            }.get(task, (torch.randn(n, 3), torch.randn(n, 3) * 2))
        )
    return out


def expect_computes(sub, fn: str, args: tuple, expected: torch.nn.Module, inputs: list[tuple], call: str) -> None:
    """The layer the student's `fn(*args)` returns computes what `expected` does on the documented input
    layout, both holding the same weights chosen here (evidence: its outputs, not its type name)."""
    with torch.no_grad():
        for p in expected.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    weights = [p.detach().clone() for p in expected.parameters()]
    result = probes.layer_outputs(sub, fn, args, weights, inputs)  # its type was judged before this
    want_shapes = [list(w.shape) for w in weights]
    compared()
    if result["shapes"] != want_shapes:
        fail(
            call=call,
            observed=tr("its parameters have shapes {result_shapes}", result_shapes=result["shapes"]),
            expected=tr("{want_shapes}", want_shapes=want_shapes),
        )
    expected.eval()
    with torch.no_grad():
        for x, got in zip(inputs, result["outputs"], strict=True):
            want = expected(*x)
            want = want[0] if isinstance(want, tuple) else want
            shapes = ", ".join(str(tuple(t.shape)) for t in x)
            what = (
                tr("(with the kit's weights, inputs of shape {shapes})", shapes=shapes)
                if weights
                else tr("(inputs of shape {shapes})", shapes=shapes)
            )
            expect_tensor(got, want, call + "(x)", what=what, atol=1e-5)


def _type_name(module) -> str:
    return f"{type(module).__module__}.{type(module).__qualname__}"


@check("extras", tr("the loss table"))
def check_loss_for(sub, ctx):
    for task in TASKS:
        call = describe_call("extras", "loss_for", (task,))
        facts = probes.module_facts(sub, "loss_for", (task,))
        expected = _type_name(ref.loss_for(task))
        compared()  # the comparisons below are written out: their messages quote the facts as they are
        if facts["type"] != expected:
            fail(call=call, returned=facts["type"], expected=expected)
        expect_computes(sub, "loss_for", (task,), ref.loss_for(task), _loss_inputs(task), call)
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
                expected=tr("ValueError whose message lists every task name"),
            )


@check("extras", tr("Conv1d / Conv2d / Conv3d"))
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
            spatial = {"text": (9,), "image": (8, 9), "video": (6, 7, 8)}[kind]  # (N, C, *spatial)
            x = torch.randn(2, args[0], *(s + args[2] for s in spatial))
            expect_computes(sub, "conv_for", (kind, *args), expected, [(x,)], call)


@check("extras", tr("RNN / LSTM / GRU"))
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
        x = torch.randn(5, 3, inputs)  # (sequence length, N, input_size), as the docstring says
        expect_computes(sub, "recurrent", (kind, inputs, hidden), ref.recurrent(kind, inputs, hidden), [(x,)], call)


@check("extras", tr("view: flatten all but the batch dim"))
def check_flatten_batch(sub, ctx):
    for shape in ((4, 3, 2), (2, 1, 28, 28), (5, 7), (1, 2, 3, 4)):
        x = torch.randn(shape)
        result = common.call(sub, "extras", "flatten_batch", (x,))
        expect_tensor(result["value"], ref.flatten_batch(x), result["call"])


@check("extras", tr("permute: HWC → CHW"))
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
                observed=tr(
                    "the shape is right but the pixels are scrambled: the memory was cut up again in its order (what view/reshape do); no dimension moved."
                ),
                expected=tr("the same pixels, the dims reordered to (channels, height, width)"),
                hint=tr(
                    'reshaping (view/reshape) moves no data; reordering the dims does. See the course section "Extras" on view and permute.'
                ),
            )
        expect_tensor(got, expected, result["call"])
