# 练习 / Exercise: train — 训练：Adam、交叉熵与训练循环 / Training: Adam, cross-entropy and the training loop
# 把每个 `raise NotImplementedError(...)` 换成你的代码，然后运行 `blitz check train`（或 `pytest autograder -k train`）。
# Replace each `raise NotImplementedError(...)` with your code, then run `blitz check train` (or `pytest autograder -k train`).
# 需要提示 / For a hint: `blitz hint train`.
# This file was generated from solutions/train.py by `blitz generate`.
"""训练：优化器、损失函数与训练循环 / Training: optimizer, loss function and the loop.

每个批次：前向 → 损失 → 梯度清零 → 反向传播 → 更新参数（w ← w − lr·grad 由优化器完成）。
Every batch: forward → loss → zero the gradients → backward → step (the optimizer does w ← w − lr·grad).
"""

from __future__ import annotations

import torch
from torch import nn


def train_one_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer, loss_fn, device="cpu") -> float:
    """在 loader 的每个批次上训练一次（训练模式），返回各批次损失的平均值。
    Train once over every batch of the loader (in train mode) and return the mean batch loss.
    """
    raise NotImplementedError('练习 train.train_one_epoch 还没有完成；运行 `blitz hint train` 查看提示。 / Exercise train.train_one_epoch is not done yet; run `blitz hint train` for a hint.')


def fit(model: nn.Module, train_loader, epochs: int = 1, lr: float = 1e-3, device="cpu") -> list[float]:
    """用 Adam（学习率 lr）和交叉熵损失训练 epochs 轮，返回每轮的平均损失列表。
    Train for `epochs` epochs with Adam (learning rate lr) and cross-entropy; return each epoch's mean loss.
    """
    raise NotImplementedError('练习 train.fit 还没有完成；运行 `blitz hint train` 查看提示。 / Exercise train.fit is not done yet; run `blitz hint train` for a hint.')
