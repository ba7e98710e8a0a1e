# 练习 / Exercise: evaluate — 评估：预测类别与测试集准确率 / Evaluation: predicted classes and test accuracy
# 把每个 `raise NotImplementedError(...)` 换成你的代码，然后运行 `blitz check evaluate`（或 `pytest autograder -k evaluate`）。
# Replace each `raise NotImplementedError(...)` with your code, then run `blitz check evaluate` (or `pytest autograder -k evaluate`).
# 需要提示 / For a hint: `blitz hint evaluate`.
# This file was generated from solutions/evaluate.py by `blitz generate`.
"""评估：从 logits 到类别，再到准确率 / Evaluation: from logits to classes to accuracy."""

from __future__ import annotations

import torch
from torch import nn


def predict(logits: torch.Tensor) -> torch.Tensor:
    """每一行 logits 中最大值的位置就是预测的类别；返回形状 (N,) 的 int64 张量。
    The position of each row's largest logit is the predicted class; return an int64 tensor (N,).
    """
    raise NotImplementedError('练习 evaluate.predict 还没有完成；运行 `blitz hint evaluate` 查看提示。 / Exercise evaluate.predict is not done yet; run `blitz hint evaluate` for a hint.')


def accuracy(model: nn.Module, loader, device="cpu") -> float:
    """在评估模式、不记录梯度的情况下，算模型在 loader 上的准确率（0 到 1 之间的小数）。
    The model's accuracy over the loader (a fraction in [0, 1]), in eval mode and without grad.
    """
    raise NotImplementedError('练习 evaluate.accuracy 还没有完成；运行 `blitz hint evaluate` 查看提示。 / Exercise evaluate.accuracy is not done yet; run `blitz hint evaluate` for a hint.')
