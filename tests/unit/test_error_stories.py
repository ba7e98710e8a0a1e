"""Hints that fit what the student wrote (blitz/course/error_stories.py): the operation in the line
that raised and the numbers in the error decide the advice; each case raises the real PyTorch error."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from blitz.course.error_stories import code_line, operation
from blitz.course.pytorch_errors import explain_error

CJK = re.compile(r"[\u4e00-\u9fff]")
A = torch.ones(2, 3)
B = torch.ones(3, 2)


def raised(code: str, **names) -> tuple[str, str, str]:
    """(type, message, frames) of running `code` as a student's line, frames as the kit formats them."""
    try:
        exec(code, {"torch": torch, "nn": nn, **names})
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, str(exc), f'  File "tensors.py", line 7, in f\n    {code}'
    raise AssertionError(f"{code} raised nothing")


def told(code: str, exercise: str = "tensors", **names):
    kind, message, where = raised(code, **names)
    advice = explain_error(kind, message, exercise, where)
    assert advice is not None, (code, message)
    assert advice.en and not CJK.search(advice.en) and CJK.search(advice.zh), advice
    return advice


def test_the_line_decides_the_operation():
    assert code_line('  File "t.py", line 3, in g\n    return t @ t\n') == "return t @ t"
    assert [operation(c) for c in ("t @ t", "a == b", "a * b", "a - b", "x.view(4, 5)", "f('a*b')")] == [
        "matmul",
        "compare",
        "mul",
        "add",
        "",
        "",
    ]


def test_t_at_t_is_never_told_to_use_at():
    advice = told("t @ t", t=A)
    assert "2×3" in advice.en and "3 columns against 2 rows" in advice.en and "use @" not in advice.en
    assert ".T" in advice.en and "square" in advice.en


def test_a_shape_error_from_equality_is_about_equality():
    advice = told("a == b", a=A, b=B)
    assert "==" in advice.en and "torch.equal" in advice.en and "@" not in advice.en
    assert "dimension 1 is 3 in one and 2 in the other" in advice.en


def test_a_shape_error_from_a_product_points_to_at_and_addition_does_not():
    assert "For the matrix product use @" in told("a * b", a=A, b=B).en
    assert "@" not in told("a + b", a=A, b=B).en


def test_the_numbers_tell_the_story():
    view = told("x.view(4, 5)", x=A)
    assert "needs 20 elements, but the tensor has 6" in view.en
    assert "do not divide" in told("x.view(-1, 4)", x=A).en
    cat = told("torch.cat([a, b], dim=0)", a=A, b=B)
    assert "tensor 1 has size 2 where the first has 3" in cat.en
    stack = told("torch.stack([a, b])", a=A, b=B)
    assert "entry 0 is [2, 3], entry 1 is [3, 2]" in stack.en


def test_a_linear_layer_is_named_only_from_the_model_chapter_on():
    layer = nn.Linear(5, 10)
    model = told("layer(x)", "model", layer=layer, x=A)
    assert "built for 5 input features per sample, but it receives 3" in model.en and "in_features to 3" in model.en
    kind, message, where = raised("layer(x)", layer=layer, x=A)
    assert "Linear" not in explain_error(kind, message, "tensors", where).en


@pytest.mark.parametrize(
    ("code", "exercise", "words"),
    [
        ("nn.CrossEntropyLoss()(torch.randn(4, 10), torch.randn(4))", "train", "class index"),
        ("nn.CrossEntropyLoss()(torch.randn(4, 10), torch.zeros(4, 10).long())", "train", "not one-hot"),
        ("nn.CrossEntropyLoss()(torch.randn(4, 10), torch.tensor([1, 2, 3, 10]))", "train", "label 10 is outside"),
        ("torch.optim.Adam([])", "train", "nn.ModuleList"),
        ("torch.ones(2, 2).sum().backward()", "autograd", "requires_grad=True"),
        ("CNN(torch.ones(2))", "model", "x = CNN()"),
        ("nn.CrossEntropyLoss(torch.randn(4, 10), torch.tensor([1, 2, 3, 4]))", "train", "x = CrossEntropyLoss()"),
        ("x.size[0]", "tensors", "x.size()"),
        ("n = 0\nn += x.sum().item", "tensors", "x.item is the method, x.item() the value"),
        ("x.mean + 1", "tensors", "x.mean is the method, x.mean() the value"),
        ("losses = []\nlosses = losses.append(1)\nlosses.append(2)", "train", "(list.append, list.sort)"),
        ("f().shape", "tensors", "without return"),
        ("(a, b).shape", "tensors", "Unpack it first (a, b = pair)"),
        ("(a, b).to('cpu')", "train", "(images, labels) from a loader"),
    ],
)
def test_kit_words_for_raw_errors(code, exercise, words):
    class CNN(nn.Module):
        def __init__(self):
            super().__init__()

    advice = told(code, exercise, CNN=CNN, x=A, a=A, b=B, f=lambda: None)
    assert words in advice.en, advice.en


def test_transforms_in_the_wrong_order():
    import numpy as np
    from PIL import Image
    from torchvision import transforms as T

    image = Image.fromarray(np.zeros((28, 28), dtype=np.uint8))
    flipped = T.Compose([T.Normalize((0.1,), (0.3,)), T.ToTensor()])
    assert "ToTensor must come before Normalize" in told("flipped(image)", "data", flipped=flipped, image=image).en
    twice = T.Compose([T.ToTensor(), T.ToTensor()])
    assert "it comes first, once" in told("twice(image)", "data", twice=twice, image=image).en


def test_an_unknown_operation_falls_back_to_the_errors_usual_meaning():
    kind, message, _ = raised("a * b", a=A, b=B)
    assert "element-wise operations" in explain_error(kind, message, "tensors").en  # no line: the text alone


def test_comparisons_report_the_true_difference_for_every_dtype():
    from blitz.engine.check import CheckFailure
    from blitz.engine.compare import expect_tensor

    def said(got, expected):
        with pytest.raises(CheckFailure) as failure:
            expect_tensor(got, expected, "f()")
        return failure.value.msg.render("en")

    ints = said(torch.tensor([3, 9, 4]), torch.tensor([3, 2, 4]))
    assert "largest difference 7 at index (1,): got 9, expected 2" in ints, ints
    wide = said(torch.tensor([0, -(2**62)]), torch.tensor([0, 2**62]))
    assert "largest difference 9.223e+18 at index (1,)" in wide, wide
    flags = said(torch.tensor([True, False]), torch.tensor([True, True]))
    assert "largest difference 1 at index (1,): got False, expected True" in flags, flags
    floats = said(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]))
    assert "largest difference 0.5 at index (1,)" in floats, floats


def test_a_value_of_the_wrong_kind_is_named_in_the_checks_words():
    """A method or None where a value was expected: the comparisons' hint says which, in both languages."""
    from blitz.engine import wire
    from blitz.engine.compare import wrong_kind

    method = wire.raise_(
        wire.loads(wire.dumps(wire.lower(torch.ones(2).sum)))
    )  # what crosses from a probe: its type and repr
    said = wrong_kind(method)
    assert said is not None and "x.sum is the method, x.sum() the value" in said.en and "x.sum() 才是值" in said.zh
    assert "x.size()" in wrong_kind(wire.raise_(wire.loads(wire.dumps(wire.lower(torch.ones(2).size))))).en
    none = wrong_kind(None)
    assert none is not None and "without return gives None" in none.en and "没有 return" in none.zh
    assert not CJK.search(none.en) and not CJK.search(said.en)
    assert wrong_kind(3) is None and wrong_kind(torch.ones(2)) is None


def test_an_empty_parameter_list_is_told_from_the_line():
    """Adam(model.parameters()) with no parameters: layers PyTorch cannot see; Adam(params) with a kept
    generator: it may be used up (a loop or a sum went through it first)."""
    used_up = told("p = nn.Linear(2, 2).parameters()\nn = sum(q.numel() for q in p)\ntorch.optim.Adam(p)", "train")
    assert "it was used up" in used_up.en and "只能遍历一次" in used_up.zh and "nn.ModuleList" in used_up.en
    empty = told("torch.optim.Adam(nn.Sequential().parameters())", "train")
    assert "no parameters PyTorch can see" in empty.en and "nn.ModuleList" in empty.en
    assert "generator" not in empty.en and "生成器" not in empty.zh


def test_a_loss_class_held_in_a_variable_is_named():
    """loss_fn = nn.CrossEntropyLoss (no parentheses), then loss_fn(output, y): the variable is named."""
    advice = told("loss_fn(torch.randn(4, 10), torch.tensor([1, 2, 3, 4]))", "train", loss_fn=nn.CrossEntropyLoss)
    assert "loss_fn holds the loss class" in advice.en and "loss_fn 里放的是损失函数的类" in advice.zh
    kind, message, where = raised("if a > 0: pass", a=A)  # the same error from an `if`: no loss story
    other = explain_error(kind, message, "train", where)
    assert other is None or "loss" not in other.en


def test_layers_outside_the_model_are_named_by_plain_class_names_only():
    """The CNN probe's `unseen` is a claim: a class name of the student's choosing is shown only when it is a
    plain identifier (no newline, no other language, no escape), each kind once."""
    from blitz.exercises.model.checks import unseen_layers

    (said,) = unseen_layers({"unseen": ["Linear", "Bad\nname", "层", "\x1b[2J", "Linear", "Conv2d"]})
    assert "(Linear, Conv2d)" in said.en and "（Linear、Conv2d）" in said.zh
    assert unseen_layers({"unseen": ["\x1b[2J"]}) == [] and unseen_layers({}) == []
