"""The kit's own fast paths around student code. Nothing here changes what is trained or measured.

The MNIST check trains the student's CNN with the student's data, loaders and loop. What costs time
around that, and how each piece is removed (benchmarks/README.md has the measured numbers):

- The student's Dataset runs PIL + its transform for every image in every epoch.
  :func:`materialize` runs that work once per image up front and hands the student's make_loaders
  a dataset that returns the very same (x, y) items, bit for bit. Random transforms (augmentation)
  are detected and left alone, since computing them once would change what they mean.
- Evaluation at batch 50 through a DataLoader: :func:`predict_tensor` predicts in large batches,
  shared among the physical cores batch by batch (the predictions do not depend on how).
- Threads: at batch 50 the ops of this CNN are too small to split across cores, and OpenMP's
  per-op barriers stall whenever another process holds a core; :func:`settings` trains with
  :func:`grading_threads` intra-op threads (1 unless $BLITZ_THREADS says otherwise), the same
  count on every machine.
- Memory format: PyTorch's NCHW max-pool on CPU is slow; :func:`use_channels_last` stores the
  student's conv weights channels-last (same values, another layout) when a trial forward shows the
  student's forward gives the same outputs that way.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from blitz.course import mnist
from blitz.course.cores import physical_cores

# ----------------------------------------------------------------------------------------------
# Threads and backend settings

THREADS_VAR = "BLITZ_THREADS"


def grading_threads() -> int:
    """Intra-op threads for training and predicting: $BLITZ_THREADS, else 1.

    Why 1 and not the physical cores: at batch 50 each op of the course's CNN takes 0.1-1.5 ms, too
    little to split; measured on a 2-core machine, 2 threads were slower than 1 even at their best,
    and many times slower whenever another process used a core. One thread everywhere also makes
    the scores of `pytest autograder` and of the sandboxed `blitz grade` workers (1 thread each) the
    same numbers, and independent of how many cores the grading machine has.
    """
    value = os.environ.get(THREADS_VAR, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{THREADS_VAR} must be a whole number of threads, not {value!r}") from None
    return 1


def eval_workers(threads: int) -> int:
    """Python threads for predicting: the physical cores, but no more cores than the process was
    given (a sandboxed worker set to 1 thread stays on 1), each running `threads` intra-op threads."""
    return max(1, min(physical_cores(), torch.get_num_threads()) // max(1, threads))


@contextlib.contextmanager
def settings(device: str = "cpu", threads: int | None = None) -> Iterator[int]:
    """Run a block with deliberate thread and backend settings; everything is restored afterwards.

    On CUDA, cuDNN is told to pick deterministic algorithms, so the same code scores the same twice.
    Inter-op threads are left alone: eager training never uses that pool, and PyTorch refuses to
    change its size once any parallel work has started.
    """
    threads = threads or grading_threads()
    saved = (torch.get_num_threads(), torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch.set_num_threads(threads)
    if str(device).startswith("cuda"):
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    try:
        yield threads
    finally:
        torch.set_num_threads(saved[0])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[1], saved[2]


# ----------------------------------------------------------------------------------------------
# Datasets read once


class Materialized(torch.utils.data.Dataset):
    """A student's dataset whose items were computed once: item i is what ``source[i]`` returned.

    ``x`` holds every input stacked (N, ...), ``y`` the labels as the source gave them. Items come
    back as fresh tensors, as from the source, so code that changes a batch in place cannot
    change the stored data. Unknown attributes (``targets``, ``classes``...) are the source's.
    ``how`` says how the items were computed: "per-item" (the source's __getitem__, once per item)
    or "batched" (the source's own transform objects on all images at once, checked bit for bit).
    """

    def __init__(self, source, x: torch.Tensor, y: list, how: str):
        self.source = source
        self.x = x
        self.y = y
        self.how = how

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index):
        return self.x[index].clone(), self.y[index]

    def __getitems__(self, indices: list[int]) -> list:
        # The DataLoader fetches a batch through here: one gather instead of one copy per item.
        xs = self.x[torch.as_tensor(indices, dtype=torch.long)]
        return [(x, self.y[i]) for x, i in zip(xs.unbind(0), indices)]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("source", "x", "y", "how"):
            raise AttributeError(name)
        return getattr(self.source, name)


def _same_item(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(torch.equal(a, b))
        )
    return type(a) is type(b) and a == b


def length_of(dataset) -> int | None:
    """len(dataset), or None for a dataset without one (iterable-style, or broken): the student's code decides."""
    try:
        return len(dataset)
    except Exception:  # noqa: BLE001 - the student's __len__ may raise anything
        return None


def _is_pair(item) -> bool:
    return isinstance(item, (tuple, list)) and len(item) == 2


def _same_pair(a, b) -> bool:
    return _is_pair(a) and _is_pair(b) and _same_item(a[0], b[0]) and _same_item(a[1], b[1])


def _probe_indices(n: int, count: int = 16) -> list[int]:
    """Indices spread over the dataset, first and last included, for the bit-for-bit comparisons."""
    if n <= count:
        return list(range(n))
    return sorted({round(i * (n - 1) / (count - 1)) for i in range(count)})


def _batched_mnist(dataset) -> tuple[torch.Tensor, list] | None:
    """All images of a torchvision MNIST through its own transform objects at once, or None.

    Only for exactly torchvision's MNIST (or a Subset of one) whose transform is ToTensor or PILToTensor (the part that
    reads a PIL image, redone here on the decoded uint8 tensor exactly as torchvision does it per
    image) followed by tensor transforms that accept a batch (Normalize, ConvertImageDtype), which
    are the student's own objects, called on the whole batch.
    """
    from torchvision import datasets, transforms

    rows = None  # a Subset of MNIST (the capstone's cut of a full download): its indices
    if type(dataset) is torch.utils.data.Subset:
        try:
            rows = torch.as_tensor(list(dataset.indices), dtype=torch.long)
        except (TypeError, ValueError, RuntimeError):
            return None
        dataset = dataset.dataset
    if type(dataset) is not datasets.MNIST or dataset.target_transform is not None:
        return None
    steps = [dataset.transform]
    while steps and type(steps[0]) is transforms.Compose:
        steps = list(steps[0].transforms) + steps[1:]
    if not steps or type(steps[0]) not in (transforms.ToTensor, transforms.PILToTensor):
        return None
    if any(type(s) not in (transforms.Normalize, transforms.ConvertImageDtype) for s in steps[1:]):
        return None
    data, targets = dataset.data, dataset.targets
    if data.dtype != torch.uint8 or data.dim() != 3:
        return None
    if rows is not None:
        data, targets = data[rows], targets[rows]
    x = data.unsqueeze(1).contiguous()  # (N, 1, H, W): what ToTensor makes of an "L" image, per image
    if type(steps[0]) is transforms.ToTensor:
        x = x.to(dtype=torch.get_default_dtype()).div(255)
    for step in steps[1:]:
        x = step(x)
    return x, [int(t) for t in targets]


def materialize(dataset, batched: bool = True):
    """The dataset with every item computed once, or the dataset itself where that would not be honest.

    Returns a :class:`Materialized` whose items equal ``dataset[i]`` bit for bit, checked on 16
    items spread over the set, each read twice before anything else is computed. Returns ``dataset``
    unchanged when its items are not (tensor, label) pairs of one shape, when reading an item raises (the student's own code then meets the error
    where it would have), or when reading an item twice gives two different results (a random
    transform: computing it once would freeze one draw). The global random state is left as it was.
    """
    n = length_of(dataset)
    if not n:
        return dataset
    with torch.random.fork_rng(devices=[]):
        try:
            seen = {i: dataset[i] for i in _probe_indices(n)}
            # Read twice before any full pass is paid for: a random transform is left as it is.
            if not all(_same_pair(dataset[i], item) for i, item in seen.items()):
                return dataset
            made = _batched_mnist(dataset) if batched else None
            how = "batched"
            if made is None:
                items = [dataset[i] for i in range(n)]
                if not all(_is_pair(it) and isinstance(it[0], torch.Tensor) for it in items):
                    return dataset
                first = items[0][0]
                if any(it[0].shape != first.shape or it[0].dtype != first.dtype for it in items):
                    return dataset
                made = torch.stack([it[0] for it in items]), [it[1] for it in items]
                how = "per-item"
            x, y = made
            if not all(_same_pair((x[i], y[i]), item) for i, item in seen.items()):
                return dataset
        except Exception:  # noqa: BLE001 - the student's dataset raised: let their own loop meet it
            return dataset
    return Materialized(dataset, x, y, how)


# ----------------------------------------------------------------------------------------------
# Memory format


def _contiguous_output(module: nn.Module, inputs, output):
    if isinstance(output, torch.Tensor) and output.dim() == 4 and not output.is_contiguous():
        return output.contiguous()
    return None


def _to_channels_last(model: nn.Module, contiguous_children: bool) -> list:
    model.to(memory_format=torch.channels_last)
    if not contiguous_children:
        return []
    return [child.register_forward_hook(_contiguous_output) for child in model.children()]


def _trial(model: nn.Module, sample: torch.Tensor, contiguous_children: bool) -> bool:
    """Does a copy of the model, channels-last, give the outputs it gives in the default layout?"""
    try:
        twin = copy.deepcopy(model)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(0)
            expected = twin(sample)
            _to_channels_last(twin, contiguous_children)
            torch.manual_seed(0)
            got = twin(sample)
        return (
            isinstance(expected, torch.Tensor)
            and isinstance(got, torch.Tensor)
            and got.shape == expected.shape
            and got.dtype == expected.dtype
            and bool(torch.allclose(got, expected, rtol=1e-4, atol=1e-5))
        )
    except Exception:  # noqa: BLE001 - e.g. x.view(...) on a channels-last tensor: keep the default layout
        return False


def sample_inputs(dataset, n: int = 2) -> torch.Tensor | None:
    """The first n inputs of a dataset stacked, for a trial forward; None if they cannot be had.

    The random state is kept, so reading them changes nothing the student's code will draw.
    """
    if isinstance(dataset, Materialized):
        return dataset.x[:n]
    try:
        with torch.random.fork_rng(devices=[]):
            return torch.stack([dataset[i][0] for i in range(min(n, len(dataset)))])
    except Exception:  # noqa: BLE001 - the student's dataset: its errors are for their own loop to meet
        return None


def use_channels_last(model: nn.Module, sample: torch.Tensor | None) -> str:
    """Store the model's 4-d weights channels-last, if its forward is indifferent to it. Says what it did.

    The values and the math are the student's; only the layout in memory changes, which lets
    oneDNN run convolution, ReLU and max-pool without reordering (the NCHW max-pool of PyTorch's
    CPU backend alone costs 10x more). A forward that calls ``x.view(n, -1)`` on a channels-last
    tensor would raise, so the top-level children then hand back contiguous outputs (a copy, the
    same values). Tried on a copy of the model first; anything unexpected keeps the default layout:
    "channels_last", "channels_last+contiguous_children" or "default".
    """
    if sample is None or not isinstance(model, nn.Module) or not any(p.dim() == 4 for p in model.parameters()):
        return "default"
    for contiguous_children, label in ((False, "channels_last"), (True, "channels_last+contiguous_children")):
        if _trial(model, sample, contiguous_children):
            _to_channels_last(model, contiguous_children)
            return label
    return "default"


# ----------------------------------------------------------------------------------------------
# Prediction


def stack_dataset(dataset, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """All (x, y) items of a dataset as two tensors, read once through its own __getitem__."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    if isinstance(dataset, Materialized):
        return dataset.x[:n], torch.tensor([int(v) for v in dataset.y[:n]])
    xs, ys = [], []
    for i in range(n):
        x, y = dataset[i]
        xs.append(x)
        ys.append(int(y))
    return torch.stack(xs), torch.tensor(ys)


# Measured on 2 cores: 10,000 images take about the same time in batches of 100 to 500, longer in
# batches of 50 (per-call overhead) or of 1,000 and more (activations no longer fit in cache).
EVAL_BATCH = 250


def predict_tensor(
    model: nn.Module, x: torch.Tensor, device="cpu", batch_size: int = EVAL_BATCH, workers: int = 1
) -> torch.Tensor:
    """Class predictions for x in large batches, eval mode, no graph.

    With workers > 1 (CPU), batches are shared out among that many Python threads, each running
    ops on its own intra-op threads: the cores are used without OpenMP's per-op barriers, which stall
    whenever another process holds a core. Each batch is computed as it would be alone, so the
    predictions are the same for any number of workers.
    """
    model.eval()
    starts = range(0, len(x), batch_size)

    def one(start: int) -> torch.Tensor:
        with torch.inference_mode():  # grad mode is per thread
            return model(x[start : start + batch_size].to(device)).argmax(dim=1).cpu()

    if workers > 1 and str(device) == "cpu" and len(starts) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            out = list(pool.map(one, starts))
    else:
        out = [one(start) for start in starts]
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long)


def predict_dataset(
    model: nn.Module, dataset, device="cpu", batch_size: int = EVAL_BATCH, workers: int = 1
) -> torch.Tensor:
    x, _ = stack_dataset(dataset)
    return predict_tensor(model, x, device=device, batch_size=batch_size, workers=workers)


def training_subset(dataset, root: Path):
    """The student's training dataset as the capstone and `blitz report` train on it.

    At most CHECK_TRAIN_IMAGES items: the dataset itself. More (a full download): a
    ``torch.utils.data.Subset`` of it at :func:`check_subset_indices` of the labels on disk, so each
    item is still computed by the student's dataset. A dataset whose length is not the split's on
    disk, or a split without enough of each digit, comes back unchanged, for the check to report.
    """
    import torch
    from torchvision.datasets.mnist import read_label_file

    size = length_of(dataset)
    if size is None or size <= mnist.CHECK_TRAIN_IMAGES:
        return dataset
    labels = read_label_file(str(Path(root) / "MNIST" / "raw" / mnist.RAW_FILES[True][1]))
    if len(labels) != size:
        return dataset
    try:
        return torch.utils.data.Subset(dataset, mnist.check_subset_indices(labels))
    except ValueError:
        return dataset
