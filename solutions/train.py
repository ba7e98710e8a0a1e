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
    # BEGIN SOLUTION
    model.train()
    total, batches = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / max(batches, 1)
    # END SOLUTION


def fit(model: nn.Module, train_loader, epochs: int = 1, lr: float = 1e-3, device="cpu") -> list[float]:
    """用 Adam（学习率 lr）和交叉熵损失训练 epochs 轮，返回每轮的平均损失列表。
    Train for `epochs` epochs with Adam (learning rate lr) and cross-entropy; return each epoch's mean loss.
    """
    # BEGIN SOLUTION
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    return [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]
    # END SOLUTION
