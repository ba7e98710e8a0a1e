"""The class report's time chart stays readable with an outlier (blitz/grading/class_figures.py): one
student who looped until the time limit does not squash everyone else's boxes to a line."""

from __future__ import annotations

import json

from blitz.course.figures import png_metadata
from blitz.grading.class_figures import exercise_time_png, time_view_top


def test_the_scale_ends_above_the_class_not_at_the_looper():
    tensors = [1.0, 1.2, 1.1, 0.9, 1.3, 1.05, 300.0]  # one student looped until the limit
    autograd = [0.5, 0.6, 0.55, 0.7]
    top = time_view_top([tensors, autograd])
    assert 1.3 <= top <= 5.0, top
    assert time_view_top([autograd]) == 0.7  # nothing beyond: the largest value is the top
    assert time_view_top([[4.0]]) == 4.0 and time_view_top([]) == 1.0


def test_the_png_says_how_many_are_beyond_and_the_largest(tmp_path):
    path = tmp_path / "exercise_time.png"
    path.write_bytes(exercise_time_png([("tensors", [1.0, 1.2, 1.1, 0.9, 300.0]), ("autograd", [0.5, 0.6])], "en"))
    drawn = json.loads(png_metadata(path)["blitz:exercises"])
    assert drawn == [["tensors", 5, 1.1, 300.0, 1], ["autograd", 2, 0.55, 0.6, 0]]
