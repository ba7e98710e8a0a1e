"""The sandboxed worker reads MNIST as nobody: a data folder only root can open is named before grading."""

from __future__ import annotations

import pytest

from blitz.grading.cli import hidden_from_others


@pytest.fixture
def tmp_path(tmp_path):
    """pytest's folders are 0700; an instructor's data path is open on the way down."""
    for folder in [*tmp_path.parents[:2], tmp_path]:
        folder.chmod(folder.stat().st_mode | 0o005)
    return tmp_path


def test_a_closed_folder_or_file_on_the_way_to_the_data_is_named(tmp_path):
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"x")
    for folder in [tmp_path, tmp_path / "data", tmp_path / "data" / "MNIST", raw]:
        folder.chmod(0o755)
    (raw / "train-images-idx3-ubyte").chmod(0o644)
    assert hidden_from_others(raw) is None
    (tmp_path / "data").chmod(0o700)
    assert hidden_from_others(raw) == tmp_path / "data"
    (tmp_path / "data").chmod(0o755)
    (raw / "train-images-idx3-ubyte").chmod(0o600)
    assert hidden_from_others(raw) == raw / "train-images-idx3-ubyte"


def test_a_missing_folder_is_left_to_the_missing_data_note(tmp_path):
    assert hidden_from_others(tmp_path / "nowhere" / "MNIST" / "raw") is None
