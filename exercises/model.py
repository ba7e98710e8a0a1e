# 练习 / Exercise: model — 模型：两个卷积块加一个全连接层的 CNN / Model: a CNN of two conv blocks and a linear layer
# 把每个 `raise NotImplementedError(...)` 换成你的代码，然后运行 `blitz check model`（或 `pytest autograder -k model`）。
# Replace each `raise NotImplementedError(...)` with your code, then run `blitz check model` (or `pytest autograder -k model`).
# 需要提示 / For a hint: `blitz hint model`.
# This file was generated from solutions/model.py by `blitz generate`.
"""模型：卷积神经网络 / The model: a convolutional neural network.

卷积 → ReLU 激活 → 最大池化，做两次，再用一个全连接层输出 10 个数字各自的分数（logits）。
Conv → ReLU → max-pool, twice, then one linear layer gives a score (logit) for each of the 10 digits.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_output_size(size: int, kernel_size: int, padding: int = 0, stride: int = 1) -> int:
    """卷积（或池化）后的边长：(size − kernel_size + 2·padding) // stride + 1。
    The side length after a convolution (or a pool): (size − kernel_size + 2·padding) // stride + 1.
    """
    raise NotImplementedError('练习 model.conv_output_size 还没有完成；运行 `blitz hint model` 查看提示。 / Exercise model.conv_output_size is not done yet; run `blitz hint model` for a hint.')


class CNN(nn.Module):
    """课程里的网络 / The course's network:

    conv 1→16（5×5，padding 2）→ ReLU → MaxPool 2；conv 16→32（5×5，padding 2）→ ReLU → MaxPool 2；
    展平后 Linear(32·7·7 → 10)。输入 (N, 1, 28, 28)，输出 (N, 10)；共 28,938 个参数。
    conv 1→16 (5×5, padding 2) → ReLU → max-pool 2; conv 16→32 (5×5, padding 2) → ReLU → max-pool 2;
    flatten, Linear(32·7·7 → 10). Input (N, 1, 28, 28), output (N, 10); 28,938 parameters.
    """

    def __init__(self) -> None:
        super().__init__()
        raise NotImplementedError('练习 model.CNN.__init__ 还没有完成；运行 `blitz hint model` 查看提示。 / Exercise model.CNN.__init__ is not done yet; run `blitz hint model` for a hint.')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) → (N, 10) logits."""
        raise NotImplementedError('练习 model.CNN.forward 还没有完成；运行 `blitz hint model` 查看提示。 / Exercise model.CNN.forward is not done yet; run `blitz hint model` for a hint.')


def count_parameters(model: nn.Module) -> int:
    """可训练参数（requires_grad=True）的元素总数。
    The number of trainable parameter elements (requires_grad=True).
    """
    raise NotImplementedError('练习 model.count_parameters 还没有完成；运行 `blitz hint model` 查看提示。 / Exercise model.count_parameters is not done yet; run `blitz hint model` for a hint.')
