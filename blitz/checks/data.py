"""Checks for exercises/data.py: transforms by value, loaders by what they yield, MNIST for real."""

from __future__ import annotations

import numpy as np
import torch

from blitz.course import mnist
from blitz.engine.check import check, fail
from blitz.engine.compare import expect_equal, expect_tensor
from blitz.engine.probing import describe_call


def digit_like_image() -> np.ndarray:
    """A random 28×28 uint8 image with the extremes 0 and 255 present."""
    image = torch.randint(0, 256, (28, 28), dtype=torch.uint8).numpy()
    image[0, 0], image[-1, -1] = 0, 255
    return image


@check("data", "ToTensor 与 Normalize(0.5, 0.5)", "ToTensor and Normalize(0.5, 0.5)")
def check_mnist_transform(sub, ctx):
    image = digit_like_image()
    scaled = torch.from_numpy(image).float().div(255).unsqueeze(0)
    for normalize, expected in ((None, (scaled - 0.5) / 0.5), (True, (scaled - 0.5) / 0.5), (False, scaled)):
        args = () if normalize is None else (normalize,)
        call = describe_call("data", "mnist_transform", args) + "(image)"
        result = sub.probe("transform", image, normalize)
        if not result["callable"]:
            fail(
                f"调用 {call}\n  mnist_transform 返回了 {result['type']}，它不能作用在图像上。\n  期望：transforms.Compose([...])",
                f"Called {call}\n  mnist_transform returned {result['type']}, which cannot be applied to an image.\n"
                "  expected: transforms.Compose([...])",
            )
        expect_tensor(result["value"], expected, call, atol=1e-6)


def _require_data(ctx) -> str:
    from pathlib import Path

    return str(mnist.require(Path(ctx.data_root) if ctx.data_root else None))


@check("data", "用 torchvision 读取 MNIST 的训练集和测试集", "load MNIST's training and test splits with torchvision")
def check_load_mnist(sub, ctx):
    root = _require_data(ctx)
    from torchvision import datasets, transforms

    for train in (True, False):
        expected = datasets.MNIST(root, train=train, transform=transforms.PILToTensor())
        call = describe_call("data", "load_mnist", (root, train, "PILToTensor()"))
        result = sub.probe("dataset", root, train)
        expect_equal(result["len"], len(expected), call, what="len()")
        x, y = expected[0]
        expect_tensor(result["first_x"], x, call, what="[0][0]")
        expect_equal(result["first_y"], int(y), call, what="[0][1]")
        step = max(1, len(expected) // 50)
        wanted = [int(expected.targets[i]) for i in range(0, len(expected), step)]
        if result["sampled_targets"] != wanted:
            split = "训练集" if train else "测试集"
            fail(
                f"调用 {call}\n  读到的标签和{split}对不上。\n  期望：train={train} 读{split}。",
                f"Called {call}\n  the labels do not match the {'training' if train else 'test'} split.\n"
                f"  expected: train={train} loads the {'training' if train else 'test'} split.",
            )


@check("data", "DataLoader：训练集打乱，测试集按顺序", "DataLoader: training shuffled, test in order")
def check_make_loaders(sub, ctx):
    for n_train, n_test, batch_size in ((120, 45, 10), (64, 30, None)):
        bs = 50 if batch_size is None else batch_size
        args = ("train_set", "test_set") + (() if batch_size is None else (batch_size,))
        call = "data.make_loaders(" + ", ".join(map(str, args)) + ")"
        result = sub.probe("loaders", n_train, n_test, batch_size)
        if not result["pair"]:
            fail(
                f"调用 {call}\n  返回了 {result['type']}\n  期望：(train_loader, test_loader) 两个元素",
                f"Called {call}\n  returned {result['type']}\n  expected: a pair (train_loader, test_loader)",
            )
        first, second = result["train_orders"]
        train_ids = list(range(n_train))
        test_ids = list(range(100_000, 100_000 + n_test))
        if sorted(result["test_order"]) != test_ids:
            from_train = sum(1 for i in result["test_order"] if i < 100_000)
            fail(
                f"调用 {call}\n  test_loader 给出的样本不是测试集（{from_train} 个来自训练集）。\n"
                "  期望：测试 loader 建在 test_set 上——原课程在这里错用了训练集。",
                f"Called {call}\n  test_loader does not yield the test set ({from_train} items came from the training set).\n"
                "  expected: the test loader is built on test_set; the original course used the training set here.",
            )
        if result["test_order"] != test_ids:
            fail(
                f"调用 {call}\n  test_loader 打乱了顺序。\n  期望：测试集按原顺序（shuffle=False），结果才可复现。",
                f"Called {call}\n  test_loader shuffles.\n  expected: the test set in its order (shuffle=False), so results repeat.",
            )
        if sorted(first) != train_ids:
            fail(
                f"调用 {call}\n  train_loader 一轮给出的不是训练集的全部样本。",
                f"Called {call}\n  one epoch of train_loader is not every item of the training set.",
            )
        if first == train_ids or first == second:
            fail(
                f"调用 {call}\n  train_loader 没有打乱顺序（每轮顺序相同）。\n  期望：shuffle=True。",
                f"Called {call}\n  train_loader does not shuffle (the same order every epoch).\n  expected: shuffle=True.",
            )
        expected_sizes = [bs] * (n_train // bs) + ([n_train % bs] if n_train % bs else [])
        expect_equal(result["train_batch_sizes"], expected_sizes, call, what="(train batch sizes / 训练批次大小)")
        expected_test = [bs] * (n_test // bs) + ([n_test % bs] if n_test % bs else [])
        expect_equal(result["test_batch_sizes"], expected_test, call, what="(test batch sizes / 测试批次大小)")
