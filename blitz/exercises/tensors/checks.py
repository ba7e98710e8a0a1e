"""Checks for exercises/tensors.py."""

from __future__ import annotations

import numpy as np
import torch

from blitz.course.i18n import tr
from blitz.engine.check import check, fail
from blitz.engine.compare import expect_equal, expect_finite, expect_sequence, expect_tensor, kind_of
from blitz.engine.probing import describe_call
from blitz.engine.reference import reference
from blitz.exercises import common
from blitz.exercises.tensors import probes

ref = reference("tensors")  # the solutions in the full kit, their recorded results in a release

SHAPES = [(2, 3), (4, 4), (1, 5), (3, 2, 2)]
DTYPES = [torch.float32, torch.float64, torch.int64, torch.int32]
T_AFTERWARDS = tr("(t afterwards)")


def seeded_shapes() -> list[tuple[int, ...]]:
    """Shapes like SHAPES (2-D, 2-D, 2-D, 3-D), their sizes drawn from the check's seed: an answer
    remembered from another seed has other shapes."""
    return [tuple(int(n) for n in torch.randint(1, 6, (rank,))) for rank in (2, 2, 2, 3)]


def random_tensor(shape, dtype=torch.float32) -> torch.Tensor:
    if dtype.is_floating_point:
        return torch.randn(shape, dtype=dtype)
    return torch.randint(-9, 10, shape, dtype=dtype)


PRODUCTS = tr(
    "element-wise: use * (entries at the same position, the shape kept); matrix product: @ (rows times columns)."
)


def _same(got, expected: torch.Tensor) -> bool:
    """got is a tensor equal to expected (same shape, close values)."""
    return (
        isinstance(got, torch.Tensor)
        and got.shape == expected.shape
        and bool(torch.allclose(got.detach().cpu().double(), expected.double(), atol=1e-5))
    )


def called(sub, fn: str, *args):
    return common.call(sub, "tensors", fn, args)


def expect_uniform(rand, shape: tuple, call: str, what: str) -> None:
    """rand must be float32 random numbers in [0, 1) of the given shape (values differ run to run)."""
    if not isinstance(rand, torch.Tensor) or tuple(rand.shape) != tuple(shape) or rand.dtype != torch.float32:
        fail(
            call=call,
            what=what,
            returned=kind_of(rand),
            expected=tr("a float32 random tensor of shape {tuple_shape}", tuple_shape=tuple(shape)),
        )
    expect_finite(rand, call, what=what)
    if rand.numel() and (rand.min() < 0 or rand.max() >= 1 or (rand.numel() > 3 and rand.unique().numel() == 1)):
        low, high = rand.min().item(), rand.max().item()
        fail(
            call=call,
            what=what,
            returned=tr("values in [{low:.3g}, {high:.3g}]", low=low, high=high),
            expected=tr("uniform random numbers in [0, 1) (torch.rand)"),
        )


@check("tensors", tr("Tensor from data (dtype inferred)"))
def check_from_data(sub, ctx):
    cases = [
        [[1, 2], [3, 4]],
        [[0.5, -1.25, 3.0]],
        [[True, False], [False, True]],
        torch.randint(-50, 50, (3, 4)).tolist(),
        torch.randn(2, 2, 3).tolist(),
    ]
    for data in cases:
        result = called(sub, "from_data", data)
        expect_tensor(result["value"], ref.from_data(data), result["call"])


@check("tensors", tr("from_numpy shares memory with the array"))
def check_from_numpy(sub, ctx):
    for dtype in (np.int32, np.float64, np.float32):
        array = torch.randint(-20, 20, (2, 3)).numpy().astype(dtype)
        call = describe_call("tensors", "from_numpy", (array,))
        expected = torch.from_numpy(array.copy())
        result = probes.from_numpy_shares(sub, array)
        expect_tensor(result["value"], expected, call)
        if not result["sees_change"]:
            fail(
                call=call,
                observed=tr("the tensor does not share memory with the array: changing the array did not change it."),
                expected=tr("torch.from_numpy, no copy (torch.tensor copies)."),
            )


# Many draws at once, for the distribution test: uniform on [0, 1) has mean 1/2 and variance 1/12.
MANY = (64, 64)


def expect_random(sub, fn: str, args: tuple, index: int, size: int) -> None:
    """Item `index` of fn(*args) must be fresh uniform random numbers: two calls in a row differ, and
    their mean and variance are those of U[0, 1) (a fixed ramp or a reseeded generator fails)."""
    twice = probes.called_twice(sub, fn, args)
    call = twice["call"]
    for result in (twice["first"], twice["second"]):
        expect_sequence(result, size, call)
        expect_uniform(result[index], MANY, call, f"[{index}]")
    first, second = twice["first"][index], twice["second"][index]
    mean, var = first.double().mean().item(), first.double().var().item()
    if bool(torch.equal(first, second)) or abs(mean - 0.5) > 0.03 or abs(var - 1 / 12) > 0.01:
        fail(
            call=call,
            what=f"[{index}]",
            observed=tr(
                "two calls {value}; mean {mean:.3f}, variance {var:.4f}",
                value="gave the same numbers" if torch.equal(first, second) else "in a row",
                mean=mean,
                var=var,
                value2="给出同样的数" if torch.equal(first, second) else "的结果",
            ),
            expected=tr("new uniform random numbers in [0, 1) at every call (mean about 0.5, variance about 1/12)"),
        )


@check("tensors", tr("ones_like and rand_like"))
def check_ones_and_rand_like(sub, ctx):
    for shape, dtype in zip(seeded_shapes(), DTYPES, strict=True):
        t = random_tensor(shape, dtype)
        result = called(sub, "ones_and_rand_like", t)
        expect_sequence(result["value"], 2, result["call"])
        ones, rand = result["value"]
        expect_tensor(ones, torch.ones_like(t), result["call"], what="[0] (ones)")
        expect_uniform(rand, tuple(t.shape), result["call"], "[1]")
    expect_random(sub, "ones_and_rand_like", (torch.zeros(MANY),), 1, 2)


@check("tensors", tr("rand, ones, zeros"))
def check_rand_ones_zeros(sub, ctx):
    for shape in seeded_shapes():
        result = called(sub, "rand_ones_zeros", shape)
        expect_sequence(result["value"], 3, result["call"])
        rand, ones, zeros = result["value"]
        expect_tensor(ones, torch.ones(shape), result["call"], what="[1] (ones)")
        expect_tensor(zeros, torch.zeros(shape), result["call"], what="[2] (zeros)")
        expect_uniform(rand, shape, result["call"], "[0]")
    expect_random(sub, "rand_ones_zeros", (MANY,), 0, 3)


@check("tensors", tr("shape, dtype, device"))
def check_describe(sub, ctx):
    for shape, dtype in zip(seeded_shapes(), DTYPES, strict=True):
        t = random_tensor(shape, dtype)
        result = called(sub, "describe", t)
        expect_sequence(result["value"], 3, result["call"])
        shape_, dtype_, device_ = result["value"]
        expect_equal(shape_, t.shape, result["call"], what="[0] (shape)")
        expect_equal(dtype_, t.dtype, result["call"], what="[1] (dtype)")
        expect_equal(device_, t.device, result["call"], what="[2] (device)")


@check("tensors", tr("to the GPU when there is one"))
def check_to_available_device(sub, ctx):
    t = torch.randn(3, 2)
    call = describe_call("tensors", "to_available_device", (t,))
    result = probes.device_of(sub, t)
    expected_device = "cuda:0" if result["cuda_available"] else "cpu"
    if result["device"] != expected_device:
        cuda = result["cuda_available"]
        fail(
            call=call,
            returned=tr("a tensor on {result_device}", result_device=result["device"])
            if result["device"]
            else kind_of(result["value"]),
            expected=tr(
                "a tensor on {expected_device} (CUDA is {if_cuda_else_not}available here)",
                expected_device=expected_device,
                if_cuda_else_not="" if cuda else "not ",
                有_if_cuda_else_没有="有" if cuda else "没有",
            ),
        )
    expect_tensor(result["value"].cpu(), t, call)


@check("tensors", tr("indexing: zero a column in place"))
def check_zero_column(sub, ctx):
    for rows, cols, col in [(4, 4, 1), (3, 5, 0), (2, 6, 5), (5, 3, -1)]:
        t = torch.randn(rows, cols)
        expected = ref.zero_column(t.clone(), col)
        call = describe_call("tensors", "zero_column", (t, col))
        result = probes.in_place(sub, "zero_column", t, col)
        zeroed_row = t.clone()
        if -rows <= col < rows:
            zeroed_row[col] = 0
        if -rows <= col < rows and _same(result["value"], zeroed_row):
            fail(
                call=call,
                observed=tr("row {col} was zeroed, not column {col}.", col=col),
                expected=tr("column {col} all zeros, everything else unchanged", col=col),
                hint=tr(
                    "2-D indexing is [rows, columns]: a single index picks a row; columns are the second position."
                ),
            )
        expect_tensor(result["value"], expected, call)
        if not result["same_object"]:
            fail(
                call=call,
                returned=tr("a new tensor"),
                expected=tr("change t in place and return t itself (return t)"),
            )
        expect_tensor(result["t_after"], expected, call, what=T_AFTERWARDS)


@check("tensors", tr("cat: join along an existing dim"))
def check_concat(sub, ctx):
    # Sizes differ along the joined dim (what cat allows and stack does not), the wider case first: a
    # join along another dim, or a stack, then raises PyTorch's own error, which the hint explains.
    cases: list[tuple[list[tuple[int, ...]], int]] = [
        ([(2, 3), (2, 1)], 1),
        ([(2, 3), (1, 3), (3, 3)], 0),
        ([(2, 2, 2), (2, 2, 1), (2, 2, 3)], 2),
    ]
    for shapes, dim in cases + [([(4, 1), (4, 2)], -1)]:
        tensors = [torch.randn(shape) for shape in shapes]
        result = called(sub, "concat", tensors, dim)
        expect_tensor(result["value"], ref.concat(tensors, dim), result["call"])


@check("tensors", tr("stack: join along a new dim"))
def check_stack(sub, ctx):
    for shape, dim, count in [((2, 2), 0, 2), ((2, 2), 1, 2), ((2, 2), 2, 3), ((3,), 1, 4)]:
        tensors = [torch.randint(0, 9, shape) for _ in range(count)]
        result = called(sub, "stack", tensors, dim)
        expect_tensor(result["value"], ref.stack(tensors, dim), result["call"])


@check("tensors", tr("element-wise product"))
def check_elementwise_product(sub, ctx):
    for shape, dtype in zip(SHAPES, DTYPES):
        a, b = random_tensor(shape, dtype), random_tensor(shape, dtype)
        result = called(sub, "elementwise_product", a, b)
        expect_tensor(result["value"], ref.elementwise_product(a, b), result["call"], hint=PRODUCTS)
    square = torch.randn(3, 3)
    result = called(sub, "elementwise_product", square, square.T.contiguous())
    expect_tensor(result["value"], square * square.T, result["call"], hint=PRODUCTS)


@check("tensors", tr("Gram matrix: dot products of rows"))
def check_gram(sub, ctx):
    for shape in [(4, 4), (2, 5), (5, 2), (1, 3)]:
        t = torch.randn(shape)
        result = called(sub, "gram", t)
        if t.shape[0] == t.shape[1] and _same(result["value"], t * t.T):
            fail(
                call=result["call"],
                observed=tr(
                    "the result is the element-wise product of t and t.T (entries at the same position multiplied)."
                ),
                expected=tr("the matrix product: entry (i, j) is the dot product of rows i and j"),
                hint=PRODUCTS,
            )
        expect_tensor(result["value"], ref.gram(t), result["call"], hint=PRODUCTS)


@check("tensors", tr("add_ doubles in place"))
def check_double_in_place(sub, ctx):
    for shape, dtype in zip(SHAPES, DTYPES):
        t = random_tensor(shape, dtype)
        expected = t * 2
        call = describe_call("tensors", "double_in_place", (t,))
        result = probes.in_place(sub, "double_in_place", t)
        if not result["same_object"] or not result["same_storage"]:
            fail(
                call=call,
                returned=tr("not t itself (or t's memory was replaced)"),
                expected=tr("t.add_(t), changing t in place and returning the same object"),
            )
        expect_tensor(result["t_after"], expected, call, what=T_AFTERWARDS)
