"""A full MNIST download (more than 5,000 training images) is graded as the 5,000-image copy is.

The capstone and `blitz report` train on a fixed, class-balanced 5,000-image subset of whatever
training split is on disk (blitz.exercises.pipeline.fastpath.training_subset). MNIST cannot be downloaded here, so the
"full download" is built in a temporary folder from real images: the 5,000-image training copy in
a shuffled order, followed by 1,000 more real images (the first test images), which makes a training
split of 6,000 that the subset must cut back to the 5,000, grouped by digit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import kit
import pytest
import torch
from mutants import Mutant, Recording, build
from torchvision import datasets, transforms

from blitz.checks import Context, get_check, run_check
from blitz.course import mnist
from blitz.exercises.pipeline import fastpath
from blitz.probes.local import LocalSubmission

COURSE_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
EXTRA = 1_000


@pytest.fixture(scope="module")
def copy_root() -> Path:
    return mnist.require()


@pytest.fixture(scope="module")
def full_root(tmp_path_factory, copy_root) -> Path:
    """A training split larger than the check's: the 5,000 copy shuffled, then 1,000 other images."""
    root = tmp_path_factory.mktemp("full-mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    train, test = (datasets.MNIST(str(copy_root), train=split) for split in (True, False))
    train_images, train_labels, test_images, test_labels = train.data, train.targets, test.data, test.targets
    order = torch.randperm(len(train_labels), generator=torch.Generator().manual_seed(1))
    mnist.write_idx(raw / "train-images-idx3-ubyte", torch.cat([train_images[order], test_images[:EXTRA]]))
    mnist.write_idx(raw / "train-labels-idx1-ubyte", torch.cat([train_labels[order], test_labels[:EXTRA]]))
    for name in mnist.RAW_FILES[False]:
        shutil.copy(copy_root / "MNIST" / "raw" / name, raw / name)
    # Readable by the sandbox's user, as an instructor's data folder is (pytest makes its folders 0700).
    for folder in [*root.parents[:2], root, root / "MNIST", raw]:
        folder.chmod(folder.stat().st_mode | 0o005)
    for item in raw.iterdir():
        item.chmod(item.stat().st_mode | 0o004)
    return root


def test_the_subset_is_the_first_images_of_each_digit_grouped_by_digit():
    labels = torch.tensor([3, 0, 1, 0, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1] * 3)
    chosen = mnist.check_subset_indices(labels, size=20)
    assert [int(labels[i]) for i in chosen] == [d for d in range(10) for _ in range(2)]
    assert chosen[:2] == [1, 3] and chosen[2:4] == [2, 5], "the first two 0s, then the first two 1s, in file order"
    with pytest.raises(ValueError, match="digit 0"):
        mnist.check_subset_indices(torch.tensor([1] * 50), size=20)


def test_a_small_split_is_trained_on_whole(copy_root):
    source = datasets.MNIST(str(copy_root), train=True, transform=COURSE_TRANSFORM)
    assert fastpath.training_subset(source, copy_root) is source


def test_a_full_split_is_cut_to_the_balanced_subset_the_students_dataset_still_makes(full_root):
    source = datasets.MNIST(str(full_root), train=True, transform=COURSE_TRANSFORM)
    assert len(source) == 5_000 + EXTRA
    cut = fastpath.training_subset(source, full_root)
    assert isinstance(cut, torch.utils.data.Subset) and cut.dataset is source and len(cut) == 5_000
    labels = [source.targets[i].item() for i in cut.indices]
    assert labels == sorted(labels) and all(labels.count(d) == 500 for d in range(10))
    assert max(cut.indices) < 5_000, "the 1,000 images after the first 500 of each digit are left out"
    # Not the split on disk (a student's load_mnist returning more): left as it is, for the check to report.
    both = torch.utils.data.ConcatDataset([source, source])
    assert fastpath.training_subset(both, full_root) is both


def test_the_subset_is_read_at_once_bit_for_bit(full_root):
    cut = fastpath.training_subset(datasets.MNIST(str(full_root), train=True, transform=COURSE_TRANSFORM), full_root)
    made = fastpath.materialize(cut)
    assert isinstance(made, fastpath.Materialized) and made.how == "batched" and len(made) == 5_000
    for i in range(0, 5_000, 37):
        x, y = made[i]
        x0, y0 = cut[i]
        assert torch.equal(x, x0) and y == y0, f"item {i} differs"


def test_the_capstone_passes_on_a_full_download_training_on_5000_images(full_root, tmp_path):
    sub = Recording(build(tmp_path / "sub"))
    result = run_check(
        get_check("pipeline.mnist_accuracy"), sub, Context(device="cpu", seed=0, data_root=str(full_root))
    )
    assert result.passed, result.message.render("en")
    assert sub.returned["pipeline"]["loaded_train_size"] == 5_000 + EXTRA
    assert sub.returned["pipeline"]["train_size"] == 5_000
    assert sub.returned["pipeline"]["fastpath"]["train_data"] == "batched"


def test_a_training_set_that_is_not_the_split_on_disk_gets_a_clear_message(full_root, tmp_path):
    both = Mutant(
        "train_and_test_as_training",
        "data",
        "    return datasets.MNIST(root=root, train=train, transform=transform, download=download)",
        "    from torch.utils.data import ConcatDataset\n"
        "    made = datasets.MNIST(root=root, train=train, transform=transform, download=download)\n"
        "    if train:\n"
        "        return ConcatDataset([made, datasets.MNIST(root=root, train=False, transform=transform)])\n"
        "    return made",
        frozenset(),
        "the test images trained on as well",
    )
    sub = LocalSubmission(build(tmp_path / "sub", both))
    # One epoch: the message is about the dataset load_mnist gave, not about what training reached.
    result = run_check(
        get_check("pipeline.mnist_accuracy"), sub, Context(device="cpu", seed=0, data_root=str(full_root), epochs=1)
    )
    assert not result.passed
    text = result.message.render("en")
    assert "load_mnist(root, train=True) gave 16000 images" in text and "class-balanced" in text, text
    assert "load_mnist(root, train=True)" in result.message.render("zh")


def test_blitz_grade_grades_the_capstone_on_a_full_download(full_root, tmp_path):
    """The instructor's path: a sandboxed worker sees the full split and trains on its subset."""
    submission = build(tmp_path / "alice")
    out = tmp_path / "grades"
    run = kit.blitz(
        "grade",
        str(submission),
        "--out",
        str(out),
        "--exercises",
        "pipeline",
        "--data",
        str(full_root),
        "--no-progress",
        cwd=tmp_path,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((out / "alice" / "results.json").read_text())
    record = results["extra_data"]["record"]
    check = record["checks"][0]
    assert results["score"] == record["max_score"] == 15 and check["status"] == "passed", check["message"]


def test_blitz_report_trains_on_the_same_subset(full_root, tmp_path):
    from blitz.student.report import train_and_predict

    trained = train_and_predict(build(tmp_path / "sub"), full_root, epochs=1, device="cpu", seed=0)
    assert trained["batches_per_epoch"] == 5_000 // 50
    assert trained["total"] == 10_000 and trained["accuracy"] > 0.8
