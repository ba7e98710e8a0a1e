"""Checks for exercises/data.py: transforms by value, loaders by what they yield, MNIST for real."""

from __future__ import annotations

import numpy as np
import torch

from blitz.course import mnist
from blitz.course.i18n import tr
from blitz.engine.check import check, fail
from blitz.engine.compare import expect_equal, expect_tensor
from blitz.engine.probing import describe_call
from blitz.exercises.data import probes


def digit_like_image() -> np.ndarray:
    """A random 28×28 uint8 image with the extremes 0 and 255 present."""
    image = torch.randint(0, 256, (28, 28), dtype=torch.uint8).numpy()
    image[0, 0], image[-1, -1] = 0, 255
    return image


@check("data", tr("ToTensor and Normalize(0.5, 0.5)"))
def check_mnist_transform(sub, ctx):
    image = digit_like_image()
    scaled = torch.from_numpy(image).float().div(255).unsqueeze(0)
    for normalize, expected in ((None, (scaled - 0.5) / 0.5), (True, (scaled - 0.5) / 0.5), (False, scaled)):
        args = () if normalize is None else (normalize,)
        call = describe_call("data", "mnist_transform", args) + "(image)"
        result = probes.transform(sub, image, normalize)
        if not result["callable"]:
            fail(
                call=call,
                returned=tr(
                    "mnist_transform gave {result_type}, which cannot be applied to an image",
                    result_type=result["type"],
                ),
                expected="transforms.Compose([...])",
            )
        expect_range(result["value"], expected, call)
        expect_tensor(result["value"], expected, call, atol=1e-6)


def expect_range(got, expected: torch.Tensor, call: str) -> None:
    """A transform with the wrong constants: say which range the values have and which they should have."""
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape or not got.is_floating_point():
        return
    low, high = got.min().item(), got.max().item()
    want_low, want_high = expected.min().item(), expected.max().item()
    if abs(low - want_low) > 1e-3 or abs(high - want_high) > 1e-3:
        fail(
            call=call,
            returned=tr("values in [{low:.4g}, {high:.4g}]", low=low, high=high),
            expected=tr("values in [{want_low:.4g}, {want_high:.4g}]", want_low=want_low, want_high=want_high),
            hint=tr(
                "ToTensor gives [0, 1]; Normalize(mean, std) computes (x − mean) / std, and the course's 0.5 and 0.5 turn [0, 1] into [−1, 1]; with normalize false that step is left out."
            ),
        )


def _require_data(ctx) -> str:
    from pathlib import Path

    return str(mnist.require(Path(ctx.data_root) if ctx.data_root else None))


@check("data", tr("load MNIST's training and test splits with torchvision"))
def check_load_mnist(sub, ctx):
    root = _require_data(ctx)
    from torchvision import datasets, transforms

    # In a grading sandbox (ctx.capstone) the worker reads a private copy whose test labels are shuffled.
    child_root = ctx.capstone.worker_data_root if ctx.capstone else root
    for train in (True, False):
        expected = datasets.MNIST(root, train=train, transform=transforms.PILToTensor())
        targets = ctx.capstone.labels_seen if ctx.capstone and not train else expected.targets
        call = describe_call("data", "load_mnist", (root, train, "PILToTensor()"))
        step = max(1, len(expected) // 50)
        start = int(torch.randint(0, step, ()))  # from the seed: labels remembered from another seed differ
        result = probes.dataset(sub, child_root, train, start)
        wanted = [int(targets[i]) for i in range(start, len(expected), step)]
        # The split first: the other split has another length too, but "the test split" says more than a length.
        if result["sampled_targets"] != wanted:
            split = tr("training split") if train else tr("test split")
            fail(
                call=call,
                observed=tr("the labels do not match the {split_en}.", split_en=split.en, split_zh=split.zh),
                expected=tr("train={train} loads the {split_en}.", train=train, split_en=split.en, split_zh=split.zh),
            )
        expect_equal(result["len"], len(expected), call, what="len()")
        x = expected[start][0]
        expect_tensor(result["first_x"], x, call, what=f"[{start}][0]")
        expect_equal(result["first_y"], int(targets[start]), call, what=f"[{start}][1]")


@check("data", tr("DataLoader: training shuffled, test in order"))
def check_make_loaders(sub, ctx):
    drawn = (int(torch.randint(40, 130, ())), int(torch.randint(20, 50, ())), int(torch.randint(3, 12, ())))
    for n_train, n_test, batch_size in ((120, 45, 10), (64, 30, None), drawn):
        bs = 50 if batch_size is None else batch_size
        args = ("train_set", "test_set") + (() if batch_size is None else (batch_size,))
        call = "data.make_loaders(" + ", ".join(map(str, args)) + ")"
        result = probes.loaders(sub, n_train, n_test, batch_size)
        if not result["pair"]:
            fail(
                call=call,
                returned=result["type"],
                expected=tr("a pair (train_loader, test_loader)"),
            )
        # orders and batch sizes derived here from the batches themselves
        first, second = ([int(v) for b in epoch for v in b.tolist()] for epoch in result["train_epochs"])
        sizes = [int(b.numel()) for b in result["train_epochs"][0]]
        test_order = [int(v) for b in result["test_batches"] for v in b.tolist()]
        test_sizes = [int(b.numel()) for b in result["test_batches"]]
        train_ids = list(range(n_train))
        test_ids = list(range(100_000, 100_000 + n_test))
        if sorted(test_order) != test_ids:
            from_train = sum(1 for i in test_order if i < 100_000)
            fail(
                call=call,
                observed=tr(
                    "test_loader does not yield the test set ({from_train} items came from the training set).",
                    from_train=from_train,
                ),
                expected=tr("the test loader is built on test_set; the original course used the training set here."),
            )
        if test_order != test_ids:
            fail(
                call=call,
                observed=tr("test_loader shuffles."),
                expected=tr("the test set in its order (shuffle=False), so results repeat."),
            )
        if sorted(first) != train_ids:
            fail(
                call=call,
                observed=tr("one epoch of train_loader is not every item of the training set."),
            )
        if first == train_ids or first == second:
            fail(
                call=call,
                observed=tr("train_loader does not shuffle (the same order every epoch)."),
                expected="shuffle=True",
            )
        expected_sizes = [bs] * (n_train // bs) + ([n_train % bs] if n_train % bs else [])
        expect_equal(sizes, expected_sizes, call, what=tr("(train batch sizes)"))
        expected_test = [bs] * (n_test // bs) + ([n_test % bs] if n_test % bs else [])
        expect_equal(test_sizes, expected_test, call, what=tr("(test batch sizes)"))
