# 练习 / Exercise: extras — 选读：卷积与循环层、view/permute、损失函数表 / Extras: conv and recurrent layers, view/permute, the loss table
# 把每个 `raise NotImplementedError(...)` 换成你的代码，然后运行 `blitz check extras`（或 `pytest autograder -k extras`）。
# Replace each `raise NotImplementedError(...)` with your code, then run `blitz check extras` (or `pytest autograder -k extras`).
# 需要提示 / For a hint: `blitz hint extras`.
# This file was generated from solutions/extras.py by `blitz generate`.
"""选读：更多的层、维度变换与损失函数 / Extras: more layers, reshaping and loss functions."""

from __future__ import annotations

import torch
from torch import nn

# (你可以在这里写自己的辅助代码 / your own helpers may go here)


def loss_for(task: str) -> nn.Module:
    """按课程里的损失函数表，为任务返回一个损失模块：
    "regression" → MSELoss，"l1_regression" → L1Loss，"smooth_regression" → SmoothL1Loss，
    "multiclass" → CrossEntropyLoss，"multiclass_log_probs" → NLLLoss，"binary" → BCELoss，
    "binary_logits" → BCEWithLogitsLoss，"ranking" → MarginRankingLoss，
    "multilabel" → MultiLabelMarginLoss，"binary_margin" → SoftMarginLoss；
    其他名字抛出 ValueError，并列出所有可选名字。损失模块用默认设置（reduction="mean"）。

    Return a loss module for the task, following the course's loss table (names above), with its
    default settings (reduction="mean"); any other name raises ValueError listing every choice.
    """
    raise NotImplementedError('练习 extras.loss_for 还没有完成；运行 `blitz hint extras` 查看提示。 / Exercise extras.loss_for is not done yet; run `blitz hint extras` for a hint.')


def conv_for(kind: str, in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
    """ "text" → Conv1d（一维序列），"image" → Conv2d（图像），"video" → Conv3d（视频）；
    其余参数用默认值（stride=1、不填充、带偏置），输入形状 (N, in_channels, *空间尺寸)。
    "text" → Conv1d (1-D sequences), "image" → Conv2d (images), "video" → Conv3d (video); the other
    arguments at their defaults (stride 1, no padding, with bias), input shaped (N, in_channels, *spatial).
    """
    raise NotImplementedError('练习 extras.conv_for 还没有完成；运行 `blitz hint extras` 查看提示。 / Exercise extras.conv_for is not done yet; run `blitz hint extras` for a hint.')


def recurrent(kind: str, input_size: int, hidden_size: int) -> nn.Module:
    """ "rnn" → nn.RNN，"lstm" → nn.LSTM，"gru" → nn.GRU（输入形状 (序列长度, N, input_size)）。
    "rnn" → nn.RNN, "lstm" → nn.LSTM, "gru" → nn.GRU (input shaped (sequence length, N, input_size)).
    """
    raise NotImplementedError('练习 extras.recurrent 还没有完成；运行 `blitz hint extras` 查看提示。 / Exercise extras.recurrent is not done yet; run `blitz hint extras` for a hint.')


def flatten_batch(x: torch.Tensor) -> torch.Tensor:
    """保留第 0 维（批次），把其余维度展平：(N, a, b, ...) → (N, a·b·...)，用 view 或 flatten。
    Keep dimension 0 (the batch) and flatten the rest: (N, a, b, ...) → (N, a·b·...), with view or flatten.
    """
    raise NotImplementedError('练习 extras.flatten_batch 还没有完成；运行 `blitz hint extras` 查看提示。 / Exercise extras.flatten_batch is not done yet; run `blitz hint extras` for a hint.')


def hwc_to_chw(img: torch.Tensor) -> torch.Tensor:
    """把 (高, 宽, 通道) 的图像换成 PyTorch 习惯的 (通道, 高, 宽)：permute 改的是维度的顺序。
    Reorder an image from (height, width, channels) to PyTorch's (channels, height, width): permute reorders dims.
    """
    raise NotImplementedError('练习 extras.hwc_to_chw 还没有完成；运行 `blitz hint extras` 查看提示。 / Exercise extras.hwc_to_chw is not done yet; run `blitz hint extras` for a hint.')
