"""评估：从 logits 到类别，再到准确率 / Evaluation: from logits to classes to accuracy."""

from __future__ import annotations

import torch
from torch import nn


def predict(logits: torch.Tensor) -> torch.Tensor:
    """每一行 logits 中最大值的位置就是预测的类别；返回形状 (N,) 的 int64 张量。
    The position of each row's largest logit is the predicted class; return an int64 tensor (N,).
    """
    # BEGIN SOLUTION
    return logits.argmax(dim=1)
    # END SOLUTION


def accuracy(model: nn.Module, loader, device="cpu") -> float:
    """在评估模式、不记录梯度的情况下，算模型在 loader 上的准确率（0 到 1 之间的小数）。
    The model's accuracy over the loader (a fraction in [0, 1]), in eval mode and without grad.
    """
    # BEGIN SOLUTION
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (predict(model(x)) == y).sum().item()
            total += y.numel()
    return correct / max(total, 1)
    # END SOLUTION
