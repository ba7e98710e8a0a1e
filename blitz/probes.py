"""Probes: small trusted functions that run next to student code and report what it did.

A probe calls the student's function on inputs chosen by the check, watches it (identity, in-place
changes, training mode, calls to the optimizer...) and returns plain values. It never judges: the
check compares on the trusted side. Probes use only the kit's own helpers, never the reference
solutions, so a sandboxed worker can run them without any path to the solutions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from blitz.submission import StudentError, StudentModules

# ----------------------------------------------------------------------------------------------
# Shared helpers


def short(value: Any) -> str:
    """A short description of an argument for failure messages: tensors by shape and dtype."""
    if isinstance(value, torch.Tensor):
        return f"tensor(shape={tuple(value.shape)}, dtype={str(value.dtype).removeprefix('torch.')}, device={value.device})"
    if isinstance(value, np.ndarray):
        return f"np.array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (torch.Tensor, np.ndarray)) for v in value):
        inner = ", ".join(short(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, nn.Module):
        return type(value).__name__ + "()"
    if isinstance(value, torch.utils.data.DataLoader):  # its repr is only a memory address
        return f"DataLoader(batch_size={value.batch_size})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_call(exercise: str, fn: str, args: tuple = (), kwargs: dict | None = None) -> str:
    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in (kwargs or {}).items()]
    return f"{exercise}.{fn}({', '.join(parts)})"


def function(mods: StudentModules, exercise: str, name: str):
    module = mods[exercise]
    func = getattr(module, name, None)
    if func is None:
        raise StudentError(
            "AttributeError", f"{exercise}.py defines no {name!r}", call=f"{exercise}.{name}", kind="missing"
        )
    return func


def label_exception(exc: BaseException, call_text: str) -> None:
    """Say on a student's exception what was being called, for the message; the innermost label stays."""
    if getattr(exc, "__blitz_call__", ""):
        return
    try:
        exc.__blitz_call__ = call_text
    except Exception:  # noqa: BLE001 - some exception types refuse new attributes
        pass


class labelled:
    """Label an exception raised by student code outside :func:`invoke` (a returned transform applied
    to an image, a returned dataset indexed) with what was being done, so the message can say it."""

    def __init__(self, call_text: str):
        self.call_text = call_text

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None:
            label_exception(exc, self.call_text)
        return False


def invoke(mods: StudentModules, exercise: str, fn: str, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function, labelling any exception with what was called."""
    func = function(mods, exercise, fn)
    try:
        return func(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001
        label_exception(exc, describe_call(exercise, fn, args, kwargs))  # formatted only when something went wrong
        raise


# ----------------------------------------------------------------------------------------------
# Generic


def call(mods: StudentModules, exercise: str, fn: str, args: tuple = (), kwargs: dict | None = None) -> dict:
    """Call exercise.fn(*args): its result, which argument (if any) it returned, the arguments afterwards."""
    kwargs = kwargs or {}
    result = invoke(mods, exercise, fn, *args, **kwargs)
    returned_arg = next((i for i, a in enumerate(args) if a is result), -1)
    return {
        "value": result,
        "returned_arg": returned_arg,
        "args_after": list(args),
        "call": describe_call(exercise, fn, args, kwargs),
    }


# ----------------------------------------------------------------------------------------------
# tensors


def from_numpy_shares(mods: StudentModules, array: np.ndarray) -> dict:
    """Does the tensor see a later change to the array? Only shared memory makes it so."""
    result = invoke(mods, "tensors", "from_numpy", array)
    before = result.clone() if isinstance(result, torch.Tensor) else result
    array.flat[0] = array.flat[0] + 7
    seen = bool(result.reshape(-1)[0].item() == array.flat[0]) if isinstance(result, torch.Tensor) else False
    return {"value": before, "sees_change": seen}


def device_of(mods: StudentModules, t: torch.Tensor) -> dict:
    result = invoke(mods, "tensors", "to_available_device", t)
    device = str(result.device) if isinstance(result, torch.Tensor) else ""
    return {"value": result, "device": device, "cuda_available": torch.cuda.is_available()}


def in_place(mods: StudentModules, fn: str, t: torch.Tensor, *rest: Any) -> dict:
    """For functions that must change t itself: identity, storage and values afterwards."""
    pointer = t.data_ptr()
    result = invoke(mods, "tensors", fn, t, *rest)
    return {
        "value": result,
        "same_object": result is t,
        "same_storage": t.data_ptr() == pointer,
        "t_after": t,
    }


# ----------------------------------------------------------------------------------------------
# autograd


def sgd(mods: StudentModules, values: list[torch.Tensor], grads: list[torch.Tensor], lr: float) -> dict:
    params = [v.clone().requires_grad_(True) for v in values]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    ids = [id(p) for p in params]
    returned = invoke(mods, "autograd", "sgd_step", params, lr)
    return {
        "returned": returned,
        "values_after": [p.detach() for p in params],
        "grads_after": [None if p.grad is None else p.grad.detach() for p in params],
        "still_leaf": [bool(p.is_leaf and p.requires_grad) for p in params],
        "same_objects": [id(p) == i for p, i in zip(params, ids)],
    }


def grads_probe(mods: StudentModules, fn: str, a: torch.Tensor, b: torch.Tensor) -> dict:
    a = a.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    result = invoke(mods, "autograd", fn, a, b)
    return {
        "value": result,
        "a_grad": None if a.grad is None else a.grad.detach(),
        "b_grad": None if b.grad is None else b.grad.detach(),
    }


# ----------------------------------------------------------------------------------------------
# data


def transform(mods: StudentModules, image: np.ndarray, normalize: bool | None) -> dict:
    from PIL import Image

    args = () if normalize is None else (normalize,)
    made = invoke(mods, "data", "mnist_transform", *args)
    if not callable(made):
        return {"callable": False, "type": type(made).__name__, "value": None}
    with labelled(describe_call("data", "mnist_transform", args) + "(image)"):
        value = made(Image.fromarray(image, mode="L"))
    return {"callable": True, "type": type(made).__name__, "value": value}


def dataset(mods: StudentModules, root: str, train: bool) -> dict:
    from torchvision import transforms

    made = invoke(mods, "data", "load_mnist", root, train, transforms.PILToTensor())
    with labelled(describe_call("data", "load_mnist", (root, train, "PILToTensor()")) + "[i]"):
        length = len(made)
        first_x, first_y = made[0]
        targets = [int(made[i][1]) for i in range(0, length, max(1, length // 50))]
    return {"type": type(made).__name__, "len": length, "first_x": first_x, "first_y": int(first_y), "sampled_targets": targets}


def _indexed_dataset(n: int, offset: int) -> torch.utils.data.Dataset:
    """Item i is (tensor([offset + i]), offset + i): the batches show which items came, in which order."""
    ids = torch.arange(offset, offset + n)
    return torch.utils.data.TensorDataset(ids.float().unsqueeze(1), ids)


def loaders(mods: StudentModules, n_train: int, n_test: int, batch_size: int | None) -> dict:
    train_set, test_set = _indexed_dataset(n_train, 0), _indexed_dataset(n_test, 100_000)
    args = (train_set, test_set) if batch_size is None else (train_set, test_set, batch_size)
    made = invoke(mods, "data", "make_loaders", *args)
    if not (isinstance(made, (tuple, list)) and len(made) == 2):
        return {"pair": False, "type": type(made).__name__}
    train_loader, test_loader = made

    def epoch(loader) -> tuple[list[int], list[int]]:
        order, sizes = [], []
        for _, y in loader:
            order += [int(v) for v in y]
            sizes.append(len(y))
        return order, sizes

    with labelled("iterating the loaders of data.make_loaders(train_set, test_set, ...)"):
        first, sizes = epoch(train_loader)
        second, _ = epoch(train_loader)
        test_order, test_sizes = epoch(test_loader)
    return {
        "pair": True,
        "train_orders": [first, second],
        "train_batch_sizes": sizes,
        "test_order": test_order,
        "test_batch_sizes": test_sizes,
    }


# ----------------------------------------------------------------------------------------------
# model


def assign_by_shape(model: nn.Module, weights: list[torch.Tensor]) -> list[str]:
    """Copy each reference weight into the student's parameter of the same shape.

    The course's CNN has six parameters of six different shapes, so a shape names a parameter
    whatever the student called the layer (nn.Sequential, self.fc, F.relu style...).
    Returns the problems found, empty when every weight found its place.
    """
    params = list(model.parameters())
    by_shape: dict[tuple, list[nn.Parameter]] = {}
    for p in params:
        by_shape.setdefault(tuple(p.shape), []).append(p)
    problems = []
    with torch.no_grad():
        for w in weights:
            candidates = by_shape.get(tuple(w.shape), [])
            if len(candidates) != 1:
                problems.append(f"{tuple(w.shape)}: {len(candidates)} parameters of this shape")
                continue
            candidates[0].copy_(w)
    return problems


def cnn(mods: StudentModules, weights: list[torch.Tensor], inputs: list[torch.Tensor]) -> dict:
    cls = function(mods, "model", "CNN")
    try:
        model = cls()
    except BaseException as exc:  # noqa: BLE001
        label_exception(exc, "model.CNN()")
        raise
    if not isinstance(model, nn.Module):
        return {"is_module": False, "type": type(model).__name__}
    shapes = [list(p.shape) for p in model.parameters()]
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    problems = assign_by_shape(model, weights)
    outputs = []
    model.eval()
    with torch.no_grad():
        for x in inputs:
            try:
                outputs.append(model(x))
            except BaseException as exc:  # noqa: BLE001
                label_exception(exc, f"CNN()({short(x)})")
                raise
    return {"is_module": True, "param_shapes": shapes, "n_params": n_params, "assign_problems": problems, "outputs": outputs}


def counting_models() -> list[nn.Module]:
    """Models with known trainable-parameter counts, one with a frozen layer; the check builds them too."""
    torch.manual_seed(0)
    frozen = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    for p in frozen[0].parameters():
        p.requires_grad_(False)
    return [nn.Linear(3, 4), frozen, nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)), nn.Linear(7, 1, bias=False)]


def count_parameters(mods: StudentModules) -> dict:
    return {"counts": [invoke(mods, "model", "count_parameters", m) for m in counting_models()]}


# ----------------------------------------------------------------------------------------------
# train / evaluate: a small net whose every behaviour the check can replay with the reference


class TinyNet(nn.Module):
    """Batch norm makes train and eval mode compute different things, so mode mistakes show."""

    def __init__(self, features: int = 8, classes: int = 3):
        super().__init__()
        # No bias before batch norm: its gradient is ~0, and Adam would amplify rounding noise in it.
        self.body = nn.Sequential(nn.Linear(features, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def tiny_setup(seed: int, n: int = 48, batch_size: int = 8, features: int = 8, classes: int = 3):
    """The same model and batches on both sides, from one seed."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=gen)
    y = torch.randint(0, classes, (n,), generator=gen)
    torch.manual_seed(seed)
    model = TinyNet(features, classes)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=False)
    return model, loader


class Watch:
    """Records what happens to a model while student code uses it."""

    def __init__(self, model: nn.Module):
        self.training: list[bool] = []
        self.grad_enabled: list[bool] = []
        self.devices: list[str] = []
        model.register_forward_pre_hook(self._before)

    def _before(self, module: nn.Module, inputs: tuple) -> None:
        self.training.append(bool(module.training))
        self.grad_enabled.append(bool(torch.is_grad_enabled()))
        if inputs and isinstance(inputs[0], torch.Tensor):
            self.devices.append(str(inputs[0].device))


class CountingSGD(torch.optim.SGD):
    """Plain SGD that counts zero_grad and step, and notes whether gradients existed at each step."""

    def __init__(self, params, lr: float):
        super().__init__(params, lr=lr)
        self.zero_grad_calls = 0
        self.step_calls = 0
        self.grads_at_step: list[bool] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grad_calls += 1
        super().zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        self.step_calls += 1
        self.grads_at_step.append(any(p.grad is not None and bool(p.grad.abs().sum() > 0) for g in self.param_groups for p in g["params"]))
        return super().step(closure)


def state_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def train_epoch_probe(mods: StudentModules, seed: int, lr: float, device: str = "cpu") -> dict:
    model, loader = tiny_setup(seed)
    model.to(device)
    watch = Watch(model)
    optimizer = CountingSGD(model.parameters(), lr=lr)
    loss_calls = []

    def loss_fn(output, target):
        loss = nn.functional.cross_entropy(output, target)
        loss_calls.append(float(loss.detach()))
        return loss

    returned = invoke(mods, "train", "train_one_epoch", model, loader, optimizer, loss_fn, device)
    return {
        "returned": returned,
        "state": state_of(model),
        "zero_grad_calls": optimizer.zero_grad_calls,
        "step_calls": optimizer.step_calls,
        "grads_at_step": optimizer.grads_at_step,
        "loss_calls": loss_calls,
        "forward_training": watch.training,
        "forward_devices": watch.devices,
        "batches": len(loader),
    }


def fit_probe(mods: StudentModules, seed: int, epochs: int, lr: float, device: str = "cpu") -> dict:
    model, loader = tiny_setup(seed)
    watch = Watch(model)
    returned = invoke(mods, "train", "fit", model, loader, epochs, lr, device)
    return {"returned": returned, "state": state_of(model), "forwards": len(watch.training), "batches": len(loader)}


def accuracy_probe(mods: StudentModules, seed: int, device: str = "cpu") -> dict:
    model, loader = tiny_setup(seed, n=60, batch_size=16)
    model.to(device)
    model.train()  # the student's code must switch to eval mode itself
    watch = Watch(model)
    returned = invoke(mods, "evaluate", "accuracy", model, loader, device)
    return {
        "returned": returned,
        "forward_training": watch.training,
        "grad_enabled": watch.grad_enabled,
        "forwards": len(watch.training),
        "batches": len(loader),
    }


# ----------------------------------------------------------------------------------------------
# extras


def module_facts(mods: StudentModules, fn: str, args: tuple) -> dict:
    """What kind of nn.Module a factory returned, and the facts that tell layers apart."""
    made = invoke(mods, "extras", fn, *args)
    facts: dict[str, Any] = {"type": f"{type(made).__module__}.{type(made).__qualname__}", "is_module": isinstance(made, nn.Module)}
    for attr in ("in_channels", "out_channels", "kernel_size", "input_size", "hidden_size", "reduction"):
        value = getattr(made, attr, None)
        if isinstance(value, (int, str, tuple)):
            facts[attr] = list(value) if isinstance(value, tuple) else value
    return facts


def rejects(mods: StudentModules, fn: str, args: tuple) -> dict:
    """Call expecting a ValueError; report what happened instead."""
    try:
        made = invoke(mods, "extras", fn, *args)
    except ValueError as exc:
        return {"raised": "ValueError", "message": str(exc)[:500]}
    except Exception as exc:  # noqa: BLE001 - the wrong exception is a finding, not a crash
        return {"raised": type(exc).__name__, "message": str(exc)[:500]}
    return {"raised": "", "message": f"returned {type(made).__name__}"}


# ----------------------------------------------------------------------------------------------
# pipeline: the student's whole course on real MNIST


def pipeline(mods: StudentModules, root: str, epochs: int, seed: int, batch_size: int = 50, device: str = "cpu",
             check_subset: int = 500, eval_batch: int | None = None, materialize: bool = True,
             batched: bool = True, channels_last: bool = True, threads: int | None = None) -> dict:
    """Train the student's CNN with the student's data, loaders and loop; predict the test split.

    The predictions go back to the trusted side, which scores them against the true labels: the
    student's own accuracy function is run too, on a slice, and compared, never trusted.

    What is trained is the student's: their transform defines every input, their make_loaders the
    batches and order, their CNN the model, their fit the optimizer, learning rate and loop. On a
    full download the training dataset they load is cut to the fixed, class-balanced 5,000-image
    subset the bar was calibrated on (mnist.training_subset); their dataset still makes each item. The
    kit only removes overheads around it (blitz/fastpath.py says how; `materialize=False`,
    `batched=False`, `channels_last=False`, `threads` and `eval_batch` undo them one by one, for the benchmarks):
    each image goes through the student's dataset once instead of once per epoch, the kit predicts
    in large batches, the thread count is fixed, and the conv weights may be stored channels-last.
    The random state the student's code sees is the same either way.
    """
    import time
    from pathlib import Path

    from blitz import fastpath, mnist

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 4)
        clock = now

    workers = fastpath.eval_workers(threads or fastpath.grading_threads())  # before settings() lowers the threads
    with fastpath.settings(device, threads) as used_threads:
        torch.manual_seed(seed)
        transform_ = invoke(mods, "data", "mnist_transform")
        train_set = invoke(mods, "data", "load_mnist", root, True, transform_)
        test_set = invoke(mods, "data", "load_mnist", root, False, transform_)
        loaded_size = fastpath.length_of(train_set)
        train_set = mnist.training_subset(train_set, Path(root))
        if materialize:
            train_set, test_set = fastpath.materialize(train_set, batched), fastpath.materialize(test_set, batched)
        lap("data")
        train_loader, test_loader = invoke(mods, "data", "make_loaders", train_set, test_set, batch_size)
        model = function(mods, "model", "CNN")()
        layout = "default"
        if channels_last and str(device) == "cpu":
            layout = fastpath.use_channels_last(model, fastpath.sample_inputs(train_set))
        lap("model")
        losses = invoke(mods, "train", "fit", model, train_loader, epochs, 1e-3, device)
        lap("fit")
        predictions = fastpath.predict_dataset(model, test_set, device=device, batch_size=eval_batch or fastpath.EVAL_BATCH,
                                               workers=workers)
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
            "seconds": timings,
        },
    }
