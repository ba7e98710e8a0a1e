"""The capstone's probe: the student's whole course on real MNIST."""

from __future__ import annotations

import time
from pathlib import Path

import torch

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
    from blitz.engine import fastpath

    transform_ = invoke(mods, "data", "mnist_transform")
    train_set = invoke(mods, "data", "load_mnist", root, True, transform_)
    test_set = invoke(mods, "data", "load_mnist", root, False, transform_)
    loaded_size = fastpath.length_of(train_set)
    train_set = fastpath.training_subset(train_set, Path(root))
    if materialize:
        train_set, test_set = fastpath.materialize(train_set, batched), fastpath.materialize(test_set, batched)
    return train_set, test_set, loaded_size


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
) -> dict:
    """Train the student's CNN with the student's data, loaders and loop; predict the test split.

    The predictions go back to the trusted side, which scores them against the true labels: the
    student's own accuracy function is run too, on a slice, and compared, never trusted.

    What is trained is the student's: their transform defines every input, their make_loaders the
    batches and order, their CNN the model, their fit the optimizer, learning rate and loop. On a
    full download the training dataset they load is cut to the fixed, class-balanced 5,000-image
    subset the bar was calibrated on (mnist.training_subset); their dataset still makes each item. The
    kit only removes overheads around it (blitz/engine/fastpath.py says how; `materialize=False`,
    `batched=False`, `channels_last=False`, `threads` and `eval_batch` undo them one by one, for the benchmarks):
    each image goes through the student's dataset once instead of once per epoch, the kit predicts
    in large batches, the thread count is fixed, and the conv weights may be stored channels-last.
    The random state the student's code sees is the same either way.
    """
    from blitz.engine import fastpath

    lap = _Laps()
    workers = fastpath.eval_workers(threads or fastpath.grading_threads())  # before settings() lowers the threads
    with fastpath.settings(device, threads) as used_threads:
        torch.manual_seed(seed)
        train_set, test_set, loaded_size = _student_data(mods, root, materialize, batched)
        lap("data")
        train_loader, test_loader = invoke(mods, "data", "make_loaders", train_set, test_set, batch_size)
        model = function(mods, "model", "CNN")()
        layout = "default"
        if channels_last and str(device) == "cpu":
            layout = fastpath.use_channels_last(model, fastpath.sample_inputs(train_set))
        lap("model")
        losses = invoke(mods, "train", "fit", model, train_loader, epochs, 1e-3, device)
        lap("fit")
        predictions = fastpath.predict_dataset(
            model, test_set, device=device, batch_size=eval_batch or fastpath.EVAL_BATCH, workers=workers
        )
        lap("predict")
        subset = torch.utils.data.Subset(test_set, range(min(check_subset, len(test_set))))
        subset_loader = torch.utils.data.DataLoader(subset, batch_size=batch_size)
        student_subset_accuracy = invoke(mods, "evaluate", "accuracy", model, subset_loader, device)
        lap("student_accuracy")
    return {
        "losses": losses,
        "predictions": predictions,
        "student_subset_accuracy": student_subset_accuracy,
        "subset": len(subset),
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
