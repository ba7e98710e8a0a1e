"""选读：更多的层、维度变换与损失函数 / Extras: more layers, reshaping and loss functions."""

from __future__ import annotations

import torch
from torch import nn

# BEGIN SOLUTION
_LOSSES = {
    "regression": nn.MSELoss,
    "l1_regression": nn.L1Loss,
    "smooth_regression": nn.SmoothL1Loss,
    "multiclass": nn.CrossEntropyLoss,
    "multiclass_log_probs": nn.NLLLoss,
    "binary": nn.BCELoss,
    "binary_logits": nn.BCEWithLogitsLoss,
    "ranking": nn.MarginRankingLoss,
    "multilabel": nn.MultiLabelMarginLoss,
    "binary_margin": nn.SoftMarginLoss,
}
_CONVS = {"text": nn.Conv1d, "image": nn.Conv2d, "video": nn.Conv3d}
_RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
# END SOLUTION


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
    # BEGIN SOLUTION
    try:
        return _LOSSES[task]()
    except KeyError:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(_LOSSES)}") from None
    # END SOLUTION


def conv_for(kind: str, in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
    """ "text" → Conv1d（一维序列），"image" → Conv2d（图像），"video" → Conv3d（视频）；
    其余参数用默认值（stride=1、不填充、带偏置），输入形状 (N, in_channels, *空间尺寸)。
    "text" → Conv1d (1-D sequences), "image" → Conv2d (images), "video" → Conv3d (video); the other
    arguments at their defaults (stride 1, no padding, with bias), input shaped (N, in_channels, *spatial).
    """
    # BEGIN SOLUTION
    return _CONVS[kind](in_channels, out_channels, kernel_size)
    # END SOLUTION


def recurrent(kind: str, input_size: int, hidden_size: int) -> nn.Module:
    """ "rnn" → nn.RNN，"lstm" → nn.LSTM，"gru" → nn.GRU（输入形状 (序列长度, N, input_size)）。
    "rnn" → nn.RNN, "lstm" → nn.LSTM, "gru" → nn.GRU (input shaped (sequence length, N, input_size)).
    """
    # BEGIN SOLUTION
    return _RECURRENT[kind](input_size, hidden_size)
    # END SOLUTION


def flatten_batch(x: torch.Tensor) -> torch.Tensor:
    """保留第 0 维（批次），把其余维度展平：(N, a, b, ...) → (N, a·b·...)，用 view 或 flatten。
    Keep dimension 0 (the batch) and flatten the rest: (N, a, b, ...) → (N, a·b·...), with view or flatten.
    """
    # BEGIN SOLUTION
    return x.reshape(x.size(0), -1)
    # END SOLUTION


def hwc_to_chw(img: torch.Tensor) -> torch.Tensor:
    """把 (高, 宽, 通道) 的图像换成 PyTorch 习惯的 (通道, 高, 宽)：permute 改的是维度的顺序。
    Reorder an image from (height, width, channels) to PyTorch's (channels, height, width): permute reorders dims.
    """
    # BEGIN SOLUTION
    return img.permute(2, 0, 1)
    # END SOLUTION
