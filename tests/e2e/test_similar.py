"""`blitz similar DIR`: a copy of a classmate ranks first, known text (the stub, the notebook, the
reference, `--base`) never makes two students look alike, and a submission that is mostly the
reference is flagged on its own.

A class of seven, each a folder of exercise modules (or notebooks), as `blitz grade` takes them:

    alice   the reference code typed into the stubs (model, train, tensors)
    bob     alice's files with variables renamed and the comments reworded
    carol   model and train written independently (another layout, another loop)
    frank   carol's files with variables renamed and the comments reworded
    grace   carol's model in a course notebook (model.ipynb), no .py
    dave    the stubs as handed out, untouched
    erin    the same untouched stubs
"""

from __future__ import annotations

import json
import os
import re
import shutil

import kit
import pytest

from blitz.authoring.markers import stub_source
from blitz.course import registry
from blitz.course.text import terminal
from blitz.grading.similar import class_files, compare, from_reference

EXERCISES = ("tensors", "model", "train")

RENAMES = [
    ("total", "running_loss"),
    ("batches", "n_batches"),
    ("x, y", "images, labels"),
    ("loss_fn", "criterion"),
    ("optimizer", "opt"),
    ("self.out", "self.head"),
    ("conv1", "block_a"),
    ("conv2", "block_b"),
    ("array", "arr"),
    ("tensors", "items"),
]

CAROL_MODEL = """import torch
from torch import nn


def conv_output_size(size, kernel_size, padding=0, stride=1):
    out = size + 2 * padding - kernel_size
    return out // stride + 1


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(1568, 10)

    def forward(self, x):
        h = self.features(x)
        h = h.view(h.shape[0], -1)
        return self.classifier(h)


def count_parameters(model):
    n = 0
    for p in model.parameters():
        if p.requires_grad:
            n += p.numel()
    return n
"""

CAROL_TRAIN = """import torch
from torch import nn


def train_one_epoch(model, loader, optimizer, loss_fn, device="cpu"):
    model.train()
    losses = []
    for batch in loader:
        inputs, targets = (t.to(device) for t in batch)
        optimizer.zero_grad()
        out = model(inputs)
        loss = loss_fn(out, targets)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    if not losses:
        return 0.0
    return sum(losses) / len(losses)


def fit(model, train_loader, epochs=1, lr=1e-3, device="cpu"):
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(epochs):
        history.append(train_one_epoch(model, train_loader, opt, criterion, device))
    return history
"""

HOSTILE = "mallory\x1b[31m<img src=x onerror=alert(1)>"  # a folder name: no slash


def answered(exercise: str) -> str:
    """The stub with the reference typed in where it says so: the stub's header and docstrings stay."""
    stub_header = [line for line in stub_source(registry.get(exercise)).splitlines() if line.startswith("# ")][:5]
    solution = registry.get(exercise).solution_path.read_text(encoding="utf-8").splitlines()
    body = [line for line in solution if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line]
    return "\n".join(stub_header + body) + "\n"


def near_copy(source: str) -> str:
    for old, new in RENAMES:
        source = source.replace(old, new)
    return re.sub(r"^(\s*)# (.*)$", r"\1# NOTE (mine): \2", source, flags=re.M)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for name in ("alice", "bob", "carol", "dave", "erin", "frank", "grace"):
        (root / name).mkdir()
    for exercise in EXERCISES:
        text = answered(exercise)
        (root / "alice" / f"{exercise}.py").write_text(text, encoding="utf-8")
        (root / "bob" / f"{exercise}.py").write_text(near_copy(text), encoding="utf-8")
        for untouched in ("dave", "erin"):
            shutil.copy(registry.get(exercise).stub_path, root / untouched / f"{exercise}.py")
    (root / "carol" / "model.py").write_text(CAROL_MODEL, encoding="utf-8")
    (root / "carol" / "train.py").write_text(CAROL_TRAIN, encoding="utf-8")
    (root / "frank" / "model.py").write_text(near_copy(CAROL_MODEL), encoding="utf-8")
    (root / "frank" / "train.py").write_text(near_copy(CAROL_TRAIN), encoding="utf-8")
    (root / "grace" / "model.ipynb").write_text(notebook(CAROL_MODEL), encoding="utf-8")
    return root


def notebook(source: str) -> str:
    """A course notebook answered with `source`: its code in two cells, a check cell, a markdown cell."""
    head, tail = source.split("class CNN", 1)
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# model"},
        {"cell_type": "code", "metadata": {}, "source": head, "outputs": [], "execution_count": None},
        {"cell_type": "code", "metadata": {}, "source": "class CNN" + tail, "outputs": [], "execution_count": None},
        {
            "cell_type": "code",
            "metadata": {},
            "source": 'from blitz.frontends.notebook import check\ncheck("model.CNN", globals())',
            "outputs": [],
            "execution_count": None,
        },
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def scores(root, base=()):
    return {(p.a, p.b): p.score for p in compare(class_files(root, EXERCISES), EXERCISES, base)}


def test_a_copy_of_a_classmate_ranks_first(klass):
    carol, frank = ((klass / s / "train.py").read_text(encoding="utf-8") for s in ("carol", "frank"))
    assert carol != frank and "(model, loader, opt, criterion," in frank and "(model, loader, opt," not in carol
    pairs = compare(class_files(klass, EXERCISES), EXERCISES)
    assert (pairs[0].a, pairs[0].b) in {("carol", "frank"), ("carol", "grace")}, pairs[:3]
    top = {(p.a, p.b): p.score for p in pairs[:3]}
    assert top.get(("carol", "frank"), 0) >= 0.9 and top.get(("carol", "grace"), 0) >= 0.9, top
    assert top.get(("frank", "grace"), 0) >= 0.9, top


def test_the_reference_is_known_text_between_students_and_flagged_on_its_own(klass):
    s = scores(klass)
    # alice and bob both typed in the reference: they share nothing of their own.
    assert s[("alice", "bob")] == 0.0, s[("alice", "bob")]
    found = {r.student: r for r in from_reference(class_files(klass, EXERCISES), EXERCISES)}
    for copied in ("alice", "bob"):
        assert found[copied].score >= 0.9, found[copied]
        assert {p.exercise for p in found[copied].parts if p.share >= 0.9} == set(EXERCISES), found[copied]
    for independent in ("carol", "frank", "grace"):
        assert found[independent].score <= 0.3, found[independent]
    assert found["dave"].score == 0.0 and found["erin"].score == 0.0


def test_an_independent_solution_scores_low(klass):
    s = scores(klass)
    for other in ("alice", "bob"):
        assert s[(other, "carol")] <= 0.3 and s[(other, "frank")] <= 0.3, s
    assert s[("carol", "frank")] - max(s[("alice", "carol")], s[("bob", "carol")]) >= 0.6, s


def test_no_figure_exceeds_one_hundred_percent(klass, tmp_path):
    """A file holding carol's code twice overlaps carol's file by twice her own code; still at most 100%."""
    root = tmp_path / "class"
    shutil.copytree(klass / "carol", root / "carol")
    (root / "henry").mkdir()
    (root / "henry" / "model.py").write_text(CAROL_MODEL + "\n\n" + near_copy(CAROL_MODEL), encoding="utf-8")
    pairs = compare(class_files(root, EXERCISES), EXERCISES)
    assert pairs[0].score >= 0.9
    for pair in pairs:
        assert 0.0 <= pair.score <= 1.0
        for part in pair.parts:
            assert 0 <= part.tokens <= part.own and part.share <= 1.0, part


def test_a_notebook_stands_in_for_its_module(klass):
    files = class_files(klass, EXERCISES)
    assert set(files["grace"]) == {"model"} and files["grace"]["model"].file == "model.ipynb"
    assert "check(" not in files["grace"]["model"].text  # the kit's check cell is not her code
    assert scores(klass)[("carol", "grace")] >= 0.9


def test_base_text_is_known_and_never_shared(klass, tmp_path):
    base = tmp_path / "handout"
    base.mkdir()
    (base / "model.py").write_text(CAROL_MODEL, encoding="utf-8")
    (base / "train.py").write_text(CAROL_TRAIN, encoding="utf-8")
    assert scores(klass)[("carol", "frank")] >= 0.9
    s = scores(klass, (base,))
    assert s[("carol", "frank")] == 0.0 and s[("carol", "grace")] == 0.0, s
    # one file of known text counts for its own exercise only
    only_model = scores(klass, (base / "model.py",))
    assert only_model[("carol", "grace")] == 0.0 and only_model[("carol", "frank")] >= 0.9, only_model


def test_the_stub_alone_makes_no_one_look_copied(klass):
    s = scores(klass)
    # Two untouched stubs are the same file, yet share nothing of their own.
    assert (klass / "dave" / "train.py").read_bytes() == (klass / "erin" / "train.py").read_bytes()
    assert s[("dave", "erin")] == 0.0
    # Nor does the stub's text (header, docstrings, signatures) tie an answered file to an untouched one.
    for other in ("alice", "bob", "carol"):
        assert s[(other, "dave")] == 0.0, (other, s[(other, "dave")])


def test_the_command_writes_an_escaped_report_and_a_table(klass, tmp_path):
    hostile = tmp_path / "class"
    shutil.copytree(klass, hostile)
    shutil.copytree(hostile / "carol", hostile / HOSTILE)
    report = tmp_path / "out" / "similar.html"
    result = kit.blitz("similar", str(hostile), "--out", str(report), "--top", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # The top three pairs: carol, frank, grace and the hostile copy of carol, all alike; then the rest.
    assert all(re.search(r"\s(9\d|100)%", line) for line in lines[2:5]), result.stdout
    assert not any(re.search(r"^(alice|bob)\s", line) for line in lines[2:5]), result.stdout
    assert "\x1b" not in result.stdout and terminal(HOSTILE)[:24] in result.stdout  # names clipped to 24 columns
    flagged = result.stdout.split("mostly the reference solution:", 1)[1]
    assert re.search(r"^alice\s+100%\s+tensors 100%, model 100%, train 100%$", flagged, re.M), result.stdout
    assert re.search(r"^bob\s+(9\d|100)%", flagged, re.M) and "carol" not in flagged, result.stdout
    assert "8 submissions, 28 pairs" in result.stdout
    page = report.read_text(encoding="utf-8")
    assert "<img" not in page and "\x1b" not in page
    assert "mallory&lt;img src=x onerror=alert(1)&gt;" in page  # the escape sequence dropped, the HTML escaped
    # The flagged pairs show their shared code, marked, side by side; the notebook is named as the file.
    assert "<mark>" in page and "running_loss" in page and "model.ipynb" in page
    assert "mostly the reference solution" in page


def test_bad_arguments(tmp_path):
    missing = kit.blitz("similar", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r.html"))
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    unknown = kit.blitz("similar", str(tmp_path), "--exercises", "nope", "--out", str(tmp_path / "r.html"))
    assert unknown.returncode == 2 and "unknown exercise: nope" in unknown.stderr
    base = kit.blitz("similar", str(tmp_path), "--base", str(tmp_path / "gone"), "--out", str(tmp_path / "r.html"))
    assert base.returncode == 2 and "--base does not exist" in base.stderr


def test_symlinks_and_huge_files_are_not_read(klass, tmp_path):
    """Only the students' own files are read: a link (to a classmate's file, or anywhere) and an
    oversized file are left out."""
    root = tmp_path / "class"
    (root / "linker").mkdir(parents=True)
    (root / "linker" / "train.py").symlink_to(klass / "alice" / "train.py")
    (root / "linked_folder").symlink_to(klass / "bob", target_is_directory=True)
    (root / "huge").mkdir()
    (root / "huge" / "train.py").write_text(answered("train") + "#" * (1 << 20), encoding="utf-8")
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "model.ipynb")
    shutil.copytree(klass / "alice", root / "alice")
    assert sorted(class_files(root, EXERCISES)) == ["alice"]
