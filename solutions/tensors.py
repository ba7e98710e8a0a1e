"""张量（Tensor）/ Tensors.

张量是 PyTorch 的基本数据类型：一个带 dtype（数据类型）和 device（所在设备）的多维数组。
A tensor is PyTorch's basic data type: an n-dimensional array with a dtype and a device.
"""

from __future__ import annotations

import numpy as np
import torch


def from_data(data) -> torch.Tensor:
    """用 Python 数据（嵌套列表）创建张量，dtype 自动推断：整数 → int64，小数 → float32。
    Make a tensor from Python data (nested lists); the dtype is inferred: ints → int64, floats → float32.

    >>> from_data([[1, 2], [3, 4]]).dtype
    torch.int64
    """
    # BEGIN SOLUTION
    return torch.tensor(data)
    # END SOLUTION


def from_numpy(array: np.ndarray) -> torch.Tensor:
    """把 NumPy 数组变成张量，并且与数组共享内存：改一个，另一个也跟着变。
    Turn a NumPy array into a tensor that shares its memory: change one and the other changes too.
    """
    # BEGIN SOLUTION
    return torch.from_numpy(array)
    # END SOLUTION


def ones_and_rand_like(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """返回 (ones, rand)：形状都和 t 一样。ones 保持 t 的 dtype；rand 是 [0, 1) 间的 float32 随机数。
    Return (ones, rand), both shaped like t: ones keeps t's dtype; rand is float32, uniform in [0, 1).
    """
    # BEGIN SOLUTION
    return torch.ones_like(t), torch.rand_like(t, dtype=torch.float32)
    # END SOLUTION


def rand_ones_zeros(shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """按给定形状返回 (随机数, 全 1, 全 0) 三个 float32 张量。
    Return (rand, ones, zeros), three float32 tensors of the given shape.
    """
    # BEGIN SOLUTION
    return torch.rand(shape), torch.ones(shape), torch.zeros(shape)
    # END SOLUTION


def describe(t: torch.Tensor) -> tuple[torch.Size, torch.dtype, torch.device]:
    """返回张量的三个属性：(形状 shape, 数据类型 dtype, 所在设备 device)。
    Return a tensor's three attributes: (shape, dtype, device).
    """
    # BEGIN SOLUTION
    return t.shape, t.dtype, t.device
    # END SOLUTION


def to_available_device(t: torch.Tensor) -> torch.Tensor:
    """有 GPU（CUDA）就把张量搬到 GPU 上，没有就原样返回 CPU 上的张量。
    Move the tensor to the GPU (CUDA) when one is available; otherwise return the CPU tensor.
    """
    # BEGIN SOLUTION
    if torch.cuda.is_available():
        return t.to("cuda")
    return t
    # END SOLUTION


def zero_column(t: torch.Tensor, col: int) -> torch.Tensor:
    """用索引把二维张量 t 的第 col 列原地置 0，并返回 t 本身（[行, 列]，冒号表示“全部”）。
    Set column `col` of the 2-D tensor t to 0 in place with indexing and return t itself
    ([rows, columns]; a colon means "all of them").
    """
    # BEGIN SOLUTION
    t[:, col] = 0
    return t
    # END SOLUTION


def concat(tensors: list[torch.Tensor], dim: int) -> torch.Tensor:
    """沿已有的维度 dim 拼接（torch.cat）：维数不变，这一维变长。
    Join along the existing dimension `dim` (torch.cat): same number of dims, that one grows.
    """
    # BEGIN SOLUTION
    return torch.cat(tensors, dim=dim)
    # END SOLUTION


def stack(tensors: list[torch.Tensor], dim: int) -> torch.Tensor:
    """沿一个新维度 dim 堆叠（torch.stack）：所有张量形状必须相同，结果多一维。
    Stack along a new dimension `dim` (torch.stack): all tensors share one shape; the result has one more dim.
    """
    # BEGIN SOLUTION
    return torch.stack(tensors, dim=dim)
    # END SOLUTION


def elementwise_product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """逐元素相乘：结果的每个位置是 a 和 b 同一位置的两个数之积（不是矩阵乘法）。
    The element-wise product: each entry is the product of a's and b's entries at that position
    (not the matrix product).
    """
    # BEGIN SOLUTION
    return a.mul(b)
    # END SOLUTION


def gram(t: torch.Tensor) -> torch.Tensor:
    """t 的 Gram 矩阵：位置 (i, j) 是 t 的第 i 行与第 j 行的点积，形状是 (行数, 行数)。
    The Gram matrix of t: entry (i, j) is the dot product of rows i and j of t; the shape is (rows, rows).
    """
    # BEGIN SOLUTION
    return t @ t.T
    # END SOLUTION


def double_in_place(t: torch.Tensor) -> torch.Tensor:
    """用带下划线的 add_ 把 t 原地变成两倍，并返回同一个对象（不是新张量）。
    Double t in place with the underscore method add_ and return the same object (not a new tensor).
    """
    # BEGIN SOLUTION
    return t.add_(t)
    # END SOLUTION
