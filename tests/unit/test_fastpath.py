"""The kit's fast paths around student code (blitz/engine/fastpath.py) and the MNIST tensor cache
(blitz/course/mnist.py): each one must hand the student's code exactly what it would have had, or step aside.
Speed itself is measured by benchmarks/bench_accuracy.py, never asserted here.
"""

from __future__ import annotations

import math

import pytest
import torch
from mutants import KeptPredictions, Recording
from torch import nn
from torchvision import datasets, transforms

from blitz.checks import Context, get_check, run_check
from blitz.course import mnist, registry
from blitz.course.cores import physical_cores
from blitz.exercises.pipeline import checks as pipeline
from blitz.exercises.pipeline import fastpath
from blitz.probes.local import LocalSubmission

COURSE_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


@pytest.fixture(scope="module")
def root() -> str:
    return str(mnist.require())


def mnist_set(root: str, train: bool, transform) -> datasets.MNIST:
    return datasets.MNIST(root, train=train, transform=transform)


def assert_same_items(made, source, indices) -> None:
    for i in indices:
        x, y = made[i]
        x0, y0 = source[i]
        assert x.dtype == x0.dtype and torch.equal(x, x0), f"item {i} differs"
        assert type(y) is type(y0) and y == y0, f"label {i} differs"


# ----------------------------------------------------------------------------------------------
# Datasets read once


@pytest.mark.parametrize(
    "transform",
    [
        COURSE_TRANSFORM,
        transforms.ToTensor(),
        transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=[0.1307], std=[0.3081])]),
        transforms.Compose([transforms.PILToTensor(), transforms.ConvertImageDtype(torch.float32)]),
    ],
    ids=["course", "to_tensor", "mnist_stats", "pil_to_tensor"],
)
def test_torchvision_transforms_are_computed_at_once_bit_for_bit(root, transform):
    source = mnist_set(root, False, transform)
    made = fastpath.materialize(source)
    assert isinstance(made, fastpath.Materialized) and made.how == "batched"
    assert len(made) == len(source) == 10_000
    assert_same_items(made, source, list(range(0, 10_000, 7)))


def test_other_transforms_run_once_per_item_through_the_students_dataset(root):
    calls = []

    def own_transform(image):  # a student's own function: the kit cannot know it, so it calls it
        calls.append(1)
        return COURSE_TRANSFORM(image) * 2

    source = mnist_set(root, True, own_transform)
    made = fastpath.materialize(source)
    assert isinstance(made, fastpath.Materialized) and made.how == "per-item"
    assert len(calls) >= len(source)
    assert_same_items(made, source, range(0, len(source), 37))


def test_a_random_transform_is_left_alone(root):
    source = mnist_set(root, True, transforms.Compose([transforms.RandomRotation(20), transforms.ToTensor()]))
    assert fastpath.materialize(source) is source


def test_a_random_transform_is_found_before_a_full_pass(root):
    calls = []
    rotate = transforms.Compose([transforms.RandomRotation(20), transforms.ToTensor()])

    def counted(image):
        calls.append(1)
        return rotate(image)

    source = mnist_set(root, True, counted)
    assert fastpath.materialize(source) is source
    assert len(calls) <= 32, f"{len(calls)} items read to find out that two reads differ"


@pytest.mark.parametrize(
    "transform",
    [None, transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x[0, 0, 0].item())])],
    ids=["pil_images", "not_tensors"],
)
def test_items_that_are_not_tensors_are_left_alone(root, transform):
    source = mnist_set(root, False, transform)
    assert fastpath.materialize(source) is source


def test_a_dataset_that_raises_is_left_for_the_students_loop(root):
    class Broken(torch.utils.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            raise IndexError("my bug")

    broken = Broken()
    assert fastpath.materialize(broken) is broken


def test_materializing_draws_nothing_from_the_random_state(root):
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    fastpath.materialize(
        mnist_set(root, True, transforms.Compose([transforms.RandomRotation(20), transforms.ToTensor()]))
    )
    fastpath.materialize(mnist_set(root, True, lambda im: COURSE_TRANSFORM(im) + 0))
    assert torch.equal(torch.rand(3), expected)


def test_the_students_loader_yields_the_same_batches_in_the_same_order(root):
    """A shuffling DataLoader over the materialized set: the same batches, seed for seed, as over the student's."""
    source = mnist_set(root, True, COURSE_TRANSFORM)
    made = fastpath.materialize(source)
    assert made.targets is source.targets and made.classes == source.classes  # the source's attributes
    batches = []
    for dataset in (source, made):
        torch.manual_seed(7)
        batches.append(list(torch.utils.data.DataLoader(dataset, batch_size=50, shuffle=True)))
    assert len(batches[0]) == len(batches[1]) == math.ceil(len(source) / 50)
    for (x0, y0), (x1, y1) in zip(*batches):
        assert torch.equal(x0, x1) and torch.equal(y0, y1)


def test_changing_a_batch_in_place_does_not_change_the_stored_data(root):
    made = fastpath.materialize(mnist_set(root, False, COURSE_TRANSFORM))
    before = made.x[:50].clone()
    for x, _ in torch.utils.data.DataLoader(made, batch_size=50, collate_fn=lambda items: items[0]):
        x.mul_(0)
        break
    made[0][0].mul_(0)
    assert torch.equal(made.x[:50], before)


# ----------------------------------------------------------------------------------------------
# Memory format


class CourseCNN(nn.Module):
    """The notebook's CNN: flattens with x.view, which a channels-last tensor refuses."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        return self.out(x.view(x.size(0), -1))


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 28 * 28, 10)

    def forward(self, x):
        return self.fc(self.conv(x).view(x.size(0), -1))  # the view is inside a child: no hook can help


class Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Inner()

    def forward(self, x):
        return self.body(x)


def reference_cnn() -> nn.Module:
    from solutions.model import CNN

    return CNN()


@pytest.mark.parametrize(
    "make, expected",
    [
        (reference_cnn, "channels_last"),
        (CourseCNN, "channels_last+contiguous_children"),
        (Wrapped, "default"),
        (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), "default"),
    ],
    ids=["reference_flatten", "course_view", "view_inside_a_child", "no_conv"],
)
def test_channels_last_only_where_the_forward_gives_the_same_outputs(make, expected):
    torch.manual_seed(0)
    model = make()
    x = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        before = model(x)
    assert fastpath.use_channels_last(model, x[:2]) == expected
    with torch.no_grad():
        after = model(x)
    assert torch.allclose(after, before, rtol=1e-4, atol=1e-5)
    # and it still trains: backward through the new layout
    nn.functional.cross_entropy(model(x), torch.arange(8) % 10).backward()
    assert all(p.grad is not None for p in model.parameters())


# ----------------------------------------------------------------------------------------------
# Threads, settings, prediction


def test_threads_come_from_blitz_threads_and_are_restored(monkeypatch):
    monkeypatch.delenv(fastpath.THREADS_VAR, raising=False)
    assert fastpath.grading_threads() == 1
    monkeypatch.setenv(fastpath.THREADS_VAR, "3")
    assert fastpath.grading_threads() == 3
    before = torch.get_num_threads()
    with fastpath.settings("cpu") as used:
        assert used == 3 and torch.get_num_threads() == 3
    assert torch.get_num_threads() == before
    monkeypatch.setenv(fastpath.THREADS_VAR, "many")
    with pytest.raises(ValueError, match="BLITZ_THREADS"):
        fastpath.grading_threads()
    assert physical_cores() >= 1


def test_settings_restore_cudnn_flags():
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    with fastpath.settings("cuda", threads=1):
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == saved


def test_large_batches_and_several_workers_predict_what_batches_of_50_predict():
    torch.manual_seed(0)
    model = reference_cnn()
    x = torch.rand(600, 1, 28, 28) * 2 - 1
    with fastpath.settings("cpu"):
        small = fastpath.predict_tensor(model, x, batch_size=50)
        assert torch.equal(fastpath.predict_tensor(model, x), small)
        assert torch.equal(fastpath.predict_tensor(model, x, batch_size=100, workers=3), small)
    assert small.shape == (600,) and small.dtype == torch.long


# ----------------------------------------------------------------------------------------------
# The pipeline check: the same code gets the same score twice, and the fast paths train the same thing


def checked_once(seed: int) -> dict:
    """One epoch of the reference through the capstone check, every fast path on: what its probe returned
    (the check calls it as ``probe("pipeline", root, 1, seed, 50, "cpu")``), and under "trusted_predictions" the
    check's own trusted predictions of its weights (mutants.KeptPredictions: not computed again)."""
    sub = Recording(registry.ROOT / "solutions")
    with KeptPredictions() as kept:
        result = run_check(get_check("pipeline.mnist_accuracy"), sub, Context(seed=seed, epochs=1))
    assert result.status in ("passed", "failed"), result.message.render("en")
    return {**sub.last, "trusted_predictions": kept.predictions(sub.last["weights"], str(mnist.require()))[0]}


@pytest.fixture(scope="module")
def seed_0_run() -> dict:
    """Trained once, read by both tests below."""
    return checked_once(0)


@pytest.mark.slow
def test_same_seed_same_predictions_twice(seed_0_run):
    runs = [seed_0_run, checked_once(0)]
    assert runs[0]["fastpath"]["train_data"] == "batched" and runs[0]["fastpath"]["layout"] == "channels_last"
    first, second = (r["trusted_predictions"] for r in runs)
    assert torch.equal(first, second)
    assert all(torch.equal(a, b) for a, b in zip(runs[0]["weights"], runs[1]["weights"]))
    assert runs[0]["losses"] == runs[1]["losses"]


@pytest.mark.slow
def test_fast_paths_train_what_the_plain_pipeline_trains(root, seed_0_run):
    """Same random start, same batches: only rounding differs (another memory layout)."""
    sub = LocalSubmission(registry.ROOT / "solutions")
    fast = seed_0_run
    plain = sub.probe("pipeline", root, 1, 0, 50, "cpu", materialize=False, channels_last=False, eval_batch=50)
    assert plain["fastpath"]["train_data"] == "as given" and plain["fastpath"]["layout"] == "default"
    fast_predictions = fast["trusted_predictions"]
    plain_predictions = pipeline.trusted_predictions(plain["weights"], root)[0]
    agree = (fast_predictions == plain_predictions).float().mean().item()
    assert agree >= 0.995, agree
    assert fast["losses"][0] == pytest.approx(plain["losses"][0], rel=1e-3)
    labels = pipeline.true_test_labels(root)
    accuracy = [(p == labels).float().mean().item() for p in (fast_predictions, plain_predictions)]
    assert accuracy[0] == pytest.approx(accuracy[1], abs=0.003)
