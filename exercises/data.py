# 练习 / Exercise: data — 数据：torchvision 的 MNIST、ToTensor/Normalize 与 DataLoader / Data: MNIST with torchvision, ToTensor/Normalize, DataLoader
# 把每个 `raise NotImplementedError(...)` 换成你的代码，然后运行 `blitz check data`（或 `pytest autograder -k data`）。
# Replace each `raise NotImplementedError(...)` with your code, then run `blitz check data` (or `pytest autograder -k data`).
# 需要提示 / For a hint: `blitz hint data`.
# This file was generated from solutions/data.py by `blitz generate`.
"""数据：用 torchvision 读 MNIST，用 DataLoader 分批 / Data: MNIST through torchvision, batches through DataLoader."""

from __future__ import annotations

from torch.utils.data import DataLoader, Dataset
from torchvision import datasets, transforms


def mnist_transform(normalize: bool = True):
    """返回图像变换：ToTensor 把 H×W 的灰度图变成 (1, H, W)、取值 [0, 1] 的 float32 张量；
    normalize=True 时再接 Normalize(0.5, 0.5)，即 (x − 0.5) / 0.5，取值变成 [−1, 1]。

    Return the image transform: ToTensor turns an H×W grey image into a float32 tensor (1, H, W) in
    [0, 1]; with normalize=True, Normalize(0.5, 0.5) follows: (x − 0.5) / 0.5, values in [−1, 1].
    """
    raise NotImplementedError('练习 data.mnist_transform 还没有完成；运行 `blitz hint data` 查看提示。 / Exercise data.mnist_transform is not done yet; run `blitz hint data` for a hint.')


def load_mnist(root: str, train: bool, transform=None, download: bool = False) -> Dataset:
    """用 torchvision.datasets.MNIST 读取 root 下的 MNIST：train=True 是训练集，False 是测试集。
    Load MNIST from root with torchvision.datasets.MNIST: train=True is the training split, False the test split.
    """
    raise NotImplementedError('练习 data.load_mnist 还没有完成；运行 `blitz hint data` 查看提示。 / Exercise data.load_mnist is not done yet; run `blitz hint data` for a hint.')


def make_loaders(train_set: Dataset, test_set: Dataset, batch_size: int = 50) -> tuple[DataLoader, DataLoader]:
    """返回 (train_loader, test_loader)：训练 loader 打乱顺序（shuffle=True）；
    测试 loader 建在测试集上，按原顺序（shuffle=False）。

    Return (train_loader, test_loader): the training loader shuffles; the test loader is built on the
    test set and keeps its order.
    """
    raise NotImplementedError('练习 data.make_loaders 还没有完成；运行 `blitz hint data` 查看提示。 / Exercise data.make_loaders is not done yet; run `blitz hint data` for a hint.')
