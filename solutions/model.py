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
    # BEGIN SOLUTION
    return (size - kernel_size + 2 * padding) // stride + 1
    # END SOLUTION


class CNN(nn.Module):
    """课程里的网络 / The course's network:

    conv 1→16（5×5，padding 2）→ ReLU → MaxPool 2；conv 16→32（5×5，padding 2）→ ReLU → MaxPool 2；
    展平后 Linear(32·7·7 → 10)。输入 (N, 1, 28, 28)，输出 (N, 10)；共 28,938 个参数。
    conv 1→16 (5×5, padding 2) → ReLU → max-pool 2; conv 16→32 (5×5, padding 2) → ReLU → max-pool 2;
    flatten, Linear(32·7·7 → 10). Input (N, 1, 28, 28), output (N, 10); 28,938 parameters.
    """

    def __init__(self) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) → (N, 10) logits."""
        # BEGIN SOLUTION
        x = self.conv2(self.conv1(x))
        return self.out(x.flatten(1))
        # END SOLUTION


def count_parameters(model: nn.Module) -> int:
    """可训练参数（requires_grad=True）的元素总数。
    The number of trainable parameter elements (requires_grad=True).
    """
    # BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
    # END SOLUTION
