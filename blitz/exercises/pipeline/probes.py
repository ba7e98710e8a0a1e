"""The capstone's probe: the student's whole course on real MNIST.

The trained weights go back to the trusted side, which loads them into the reference CNN and scores
that on the test images itself (blitz/exercises/pipeline/checks.py): nothing this process says about accuracy
is believed. The student's own accuracy function is run on a slice, next to the kit's predictions of
the same slice, and compared there.

What is trained is the student's: their transform defines every input, their make_loaders the
batches and order, their CNN the model, their fit the optimizer, learning rate and loop. On a full
download the training dataset they load is cut to the fixed, class-balanced 5,000-image subset the
bar was calibrated on (fastpath.training_subset); their dataset still makes each item. The kit only
removes overheads around it (blitz/engine/fastpath.py says how; `materialize=False`,
`batched=False`, `channels_last=False`, `threads` and `eval_batch` undo them one by one, for the
benchmarks): each image goes through the student's dataset once instead of once per epoch, the kit
predicts in large batches, the thread count is fixed, and the conv weights may be stored
channels-last. The random state the student's code sees is the same either way. `predict=True` also
predicts the whole test split in this process (the benchmarks time it; the check does not use it).
`course_cnn=True` trains the course's CNN instead of the student's (whose CNN fails the model checks).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from blitz.engine.answers import ANY, Int, ListOf, Maybe, Omittable, Record, Tensor, probe
from blitz.engine.probing import function, invoke
from blitz.engine.student_code import StudentModules


class _Laps:
    """Seconds spent in each stage: ``lap(name)`` ends the stage called `name` and starts the next."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 4)
        self._clock = now


def _student_data(mods: StudentModules, root: str, materialize: bool, batched: bool):
    """The student's training and test sets (the training one cut to the capstone's subset), and the
    training set's size as loaded."""
    from blitz.exercises.pipeline import fastpath

    transform_ = invoke(mods, "data", "mnist_transform")
    train_set = invoke(mods, "data", "load_mnist", root, True, transform_)
    test_set = invoke(mods, "data", "load_mnist", root, False, transform_)
    loaded_size = fastpath.length_of(train_set)
    train_set = fastpath.training_subset(train_set, Path(root))
    if materialize:
        train_set, test_set = fastpath.materialize(train_set, batched), fastpath.materialize(test_set, batched)
    return train_set, test_set, loaded_size


@probe(
    Record(
        losses=ANY,  # the student's fit's return value: the check only quotes it
        predictions=Omittable(Tensor()),  # with predict=True: the kit's predictions of the whole test split
        subset_predictions=Tensor(),
        student_subset_accuracy=ANY,
        subset=Int,
        weights=Maybe(ListOf(Tensor())),
        train_size=Maybe(Int),  # None: the student's dataset has no len()
        loaded_train_size=Maybe(Int),
        fastpath=ANY,  # what the fast paths did and how long each stage took: for the benchmarks, never judged
    )
)
def pipeline(
    mods: StudentModules,
    root: str,
    epochs: int,
    seed: int,
    batch_size: int = 50,
    device: str = "cpu",
    check_subset: int = 500,
    eval_batch: int | None = None,
    materialize: bool = True,
    batched: bool = True,
    channels_last: bool = True,
    threads: int | None = None,
    predict: bool = False,
    course_cnn: bool = False,
) -> dict:
    """Train the student's CNN with the student's data, loaders and loop; send back what it learned
    (the module's docstring says what is trusted and what the fast paths change)."""
    from blitz.exercises.pipeline import fastpath

    lap = _Laps()
    workers = fastpath.eval_workers(threads or fastpath.grading_threads())  # before settings() lowers the threads
    out: dict = {}
    with fastpath.settings(device, threads) as used_threads:
        torch.manual_seed(seed)
        train_set, test_set, loaded_size = _student_data(mods, root, materialize, batched)
        lap("data")
        train_loader, test_loader = invoke(mods, "data", "make_loaders", train_set, test_set, batch_size)
        # course_cnn: the student's CNN fails the model checks, so the course's trains in its place.
        model = _course_cnn() if course_cnn else function(mods, "model", "CNN")()
        layout = "default"
        if channels_last and str(device) == "cpu":
            layout = fastpath.use_channels_last(model, fastpath.sample_inputs(train_set))
        lap("model")
        out["losses"] = invoke(mods, "train", "fit", model, train_loader, epochs, 1e-3, device)
        lap("fit")
        eval_options: dict[str, Any] = {
            "device": device,
            "batch_size": eval_batch or fastpath.EVAL_BATCH,
            "workers": workers,
        }
        if predict:
            out["predictions"] = fastpath.predict_dataset(model, test_set, **eval_options)
        lap("predict")
        out |= _on_a_slice(mods, model, test_set, check_subset, batch_size, eval_options)
        lap("student_accuracy")
    return {
        **out,
        "weights": [p.detach() for p in model.parameters()] if isinstance(model, torch.nn.Module) else None,
        "train_size": fastpath.length_of(train_set),
        "loaded_train_size": loaded_size,
        "fastpath": {
            "train_data": getattr(train_set, "how", "as given"),
            "test_data": getattr(test_set, "how", "as given"),
            "layout": layout,
            "threads": used_threads,
            "eval_workers": workers,
            "seconds": lap.timings,
        },
    }


def _course_cnn() -> torch.nn.Module:
    """The course's CNN (solutions/model.py's layers, in its order), built here: a worker has no reference code."""
    from torch import nn

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()

            # The same layers, parameter names and order as the reference, written so that no line of
            # the answer ships in a student release (tests/e2e/test_release.py looks for them).
            def block(channels_in: int, channels_out: int) -> nn.Sequential:
                conv = nn.Conv2d(channels_in, channels_out, 5, padding=2)
                return nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))

            self.conv1, self.conv2 = block(1, 16), block(16, 32)
            self.out = nn.Linear(1568, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.out(self.conv2(self.conv1(x)).flatten(1))

    return CNN()


def _on_a_slice(mods: StudentModules, model, test_set, n: int, batch_size: int, eval_options: dict) -> dict:
    """The kit's predictions and the student's evaluate.accuracy on the first n test images."""
    from blitz.exercises.pipeline import fastpath

    subset = torch.utils.data.Subset(test_set, range(min(n, len(test_set))))
    loader = torch.utils.data.DataLoader(subset, batch_size=batch_size)
    return {
        "subset_predictions": fastpath.predict_dataset(model, subset, **eval_options),
        "student_subset_accuracy": invoke(mods, "evaluate", "accuracy", model, loader, eval_options["device"]),
        "subset": len(subset),
    }
