"""`blitz report` on the reference solutions (one epoch on the data the kit finds), and what its PNGs hold.

The report trains once per module (about half a minute on two cores); every test reads that run.
"""

from __future__ import annotations

import json
import math

import mutants
import numpy as np
import pytest
from kit import blitz
from PIL import Image

from blitz.course import mnist
from blitz.engine import fastpath
from blitz.student.plots import png_metadata


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = blitz("report", "--submission", "solutions", "--out", str(out), "--epochs", "1", "--device", "cpu")
    assert result.returncode == 0, result.stdout + result.stderr
    return result, out, json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def test_split():
    from torchvision import datasets

    official = datasets.MNIST(str(mnist.require()), train=False)
    return official.data.numpy(), official.targets.numpy()


@pytest.fixture(scope="module")
def train_size():
    """The images `blitz report` trains on: the capstone's subset of the training split on disk."""
    from torchvision import datasets

    root = mnist.require()
    return len(fastpath.training_subset(datasets.MNIST(str(root), train=True), root))


def test_report_prints_accuracy_and_where_the_pictures_are(run):
    result, out, numbers = run
    assert f"Test accuracy {numbers['accuracy']:.2%} ({numbers['correct']:,}/10,000)" in result.stdout
    assert f"Loss curve: {out / 'loss_curve.png'}" in result.stdout
    assert f"Misclassified digits (first 64): {out / 'misclassified.png'}" in result.stdout
    # The progress bar goes to stderr; off a terminal it is one line per epoch, with the running loss.
    assert "epoch 1/1 [" in result.stderr and " loss " in result.stderr


def test_numbers_match_the_official_test_labels(run, test_split):
    _, _, numbers = run
    _, targets = test_split
    predictions = np.array(numbers["predictions"])
    assert predictions.shape == targets.shape
    assert numbers["accuracy"] == pytest.approx(float((predictions == targets).mean()))
    assert numbers["misclassified"] == np.flatnonzero(predictions != targets).tolist()
    assert numbers["accuracy"] > 0.8  # the reference after one epoch; a model that learned nothing is near 0.1


def test_loss_curve_has_one_point_per_batch(run, train_size):
    _, out, numbers = run
    meta = png_metadata(out / "loss_curve.png")
    batches = math.ceil(train_size / 50)  # the reference loader's batch size
    assert meta["blitz:kind"] == "loss_curve"
    assert int(meta["blitz:points"]) == len(numbers["losses"]) == batches == numbers["batches_per_epoch"]
    assert meta["blitz:first"] == repr(numbers["losses"][0])
    # Cross-entropy of an untrained 10-class net starts near ln 10 and goes down as it learns.
    assert abs(numbers["losses"][0] - math.log(10)) < 0.3
    assert np.mean(numbers["losses"][-10:]) < numbers["losses"][0] / 2
    with Image.open(out / "loss_curve.png") as image:
        assert image.size == (800, 500)


def test_grid_labels_are_the_misclassified_predictions(run, test_split):
    _, out, numbers = run
    _, targets = test_split
    meta = png_metadata(out / "misclassified.png")
    shown = numbers["misclassified"][:64]
    assert meta["blitz:kind"] == "misclassified"
    assert int(meta["blitz:count"]) == len(shown) > 0
    expected = [[int(targets[i]), numbers["predictions"][i]] for i in shown]
    assert json.loads(meta["blitz:labels"]) == expected
    assert all(true != pred for true, pred in expected)


def test_grid_tiles_hold_the_misclassified_digits(run, test_split):
    _, out, numbers = run
    images, _ = test_split
    meta = png_metadata(out / "misclassified.png")
    columns = int(meta["blitz:columns"])
    tile_w, tile_h = (int(v) for v in meta["blitz:tile_size"].split("x"))
    x0, y0 = (int(v) for v in meta["blitz:origin"].split(","))
    dx, dy = (int(v) for v in meta["blitz:digit_offset"].split(","))
    gap, side = int(meta["blitz:gap"]), int(meta["blitz:digit_size"])
    scale = side // 28
    with Image.open(out / "misclassified.png") as image:
        pixels = np.asarray(image.convert("RGB"))
    for tile, index in enumerate(numbers["misclassified"][: int(meta["blitz:count"])]):
        row, col = divmod(tile, columns)
        left, top = x0 + col * (tile_w + gap) + dx, y0 + row * (tile_h + gap) + dy
        box = pixels[top : top + side, left : left + side]
        enlarged = np.repeat(np.repeat(images[index], scale, 0), scale, 1)
        for channel in range(3):
            assert np.array_equal(box[:, :, channel], enlarged), f"tile {tile} is not test digit {index}"


LINEAR_TOO_SMALL = mutants.Mutant(
    "linear_too_small",
    "model",
    "nn.Linear(32 * 7 * 7, 10)",
    "nn.Linear(32 * 7, 10)",
    frozenset(),
    "the output layer's in_features do not match the flattened features",
)


def test_a_shape_bug_in_the_model_names_the_model_exercise(tmp_path):
    folder = mutants.build(tmp_path, LINEAR_TOO_SMALL)
    result = blitz("report", "--submission", str(folder), "--out", str(tmp_path / "out"), "--epochs", "1")
    assert result.returncode == 1
    # Raised inside train.fit, but written in model.py: model is the one to fix.
    assert "the exercise to fix is model (model.py)" in result.stderr
    assert "mat1 and mat2 shapes cannot be multiplied" in result.stderr
    assert '"Building the model"' in result.stderr
    assert "blitz check model" in result.stderr
    assert "Traceback" not in result.stderr and "blitz/" not in result.stderr
    assert not (tmp_path / "out" / "loss_curve.png").exists()


def test_stubs_name_the_first_exercise_to_write_in_chinese(tmp_path):
    result = blitz("report", "--submission", str(mutants.stubs(tmp_path)), "--out", str(tmp_path / "out"), lang="zh")
    assert result.returncode == 1
    assert "要修改的是练习 data（data.py）" in result.stderr
    assert "还没有实现（NotImplementedError）" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_without_data_says_how_to_get_it():
    result = blitz("report", "--submission", "solutions", data="/nonexistent")
    assert result.returncode == 1
    assert "MNIST is not under /nonexistent" in result.stderr and "blitz download" in result.stderr
    assert "Traceback" not in result.stderr
