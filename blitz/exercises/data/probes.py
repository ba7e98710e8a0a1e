"""Probes for exercises/data.py: run next to the student's code, report what it did; the checks in
blitz/exercises/data/checks.py judge what comes back.
"""

from __future__ import annotations

import numpy as np
import torch

from blitz.engine.answers import ANY, Bool, Either, Int, ListOf, Record, Str, Tensor, probe
from blitz.engine.probing import describe_call, invoke, labelled
from blitz.engine.student_code import StudentModules


@probe(Record(callable=Bool, type=Str, value=ANY))
def transform(mods: StudentModules, image: np.ndarray, normalize: bool | None) -> dict:
    from PIL import Image

    args = () if normalize is None else (normalize,)
    made = invoke(mods, "data", "mnist_transform", *args)
    if not callable(made):
        return {"callable": False, "type": type(made).__name__, "value": None}
    with labelled(describe_call("data", "mnist_transform", args) + "(image)"):
        value = made(Image.fromarray(image, mode="L"))
    return {"callable": True, "type": type(made).__name__, "value": value}


@probe(Record(type=Str, len=Int, first_x=ANY, first_y=Int, sampled_targets=ListOf(Int)))
def dataset(mods: StudentModules, root: str, train: bool, start: int = 0) -> dict:
    """The student's dataset: its type and length, item `start`, and every len // 50-th label from `start` on."""
    from torchvision import transforms

    made = invoke(mods, "data", "load_mnist", root, train, transforms.PILToTensor())
    with labelled(describe_call("data", "load_mnist", (root, train, "PILToTensor()")) + "[i]"):
        length = len(made)
        first_x, first_y = made[start]
        targets = [int(made[i][1]) for i in range(start, length, max(1, length // 50))]
    return {
        "type": type(made).__name__,
        "len": length,
        "first_x": first_x,
        "first_y": int(first_y),
        "sampled_targets": targets,
    }


def _indexed_dataset(n: int, offset: int) -> torch.utils.data.Dataset:
    """Item i is (tensor([offset + i]), offset + i): the batches show which items came, in which order."""
    ids = torch.arange(offset, offset + n)
    return torch.utils.data.TensorDataset(ids.float().unsqueeze(1), ids)


@probe(
    Either(
        Record(pair=Bool, type=Str),
        Record(
            pair=Bool,
            # the labels of every batch the loaders yield, as they came: the check derives orders and sizes
            train_epochs=ListOf(ListOf(Tensor(dtype=torch.int64)), count=2),
            test_batches=ListOf(Tensor(dtype=torch.int64)),
        ),
    )
)
def loaders(mods: StudentModules, n_train: int, n_test: int, batch_size: int | None) -> dict:
    train_set, test_set = _indexed_dataset(n_train, 0), _indexed_dataset(n_test, 100_000)
    args = (train_set, test_set) if batch_size is None else (train_set, test_set, batch_size)
    made = invoke(mods, "data", "make_loaders", *args)
    if not (isinstance(made, (tuple, list)) and len(made) == 2):
        return {"pair": False, "type": type(made).__name__}
    train_loader, test_loader = made

    def epoch(loader) -> list[torch.Tensor]:
        return [torch.as_tensor(y).detach().to(torch.int64).reshape(-1) for _, y in loader]

    with labelled("iterating the loaders of data.make_loaders(train_set, test_set, ...)"):
        first, second, test = epoch(train_loader), epoch(train_loader), epoch(test_loader)
    return {"pair": True, "train_epochs": [first, second], "test_batches": test}
