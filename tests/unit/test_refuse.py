"""blitz.grading.notebook.refuse: what is refused before nbgrader touches a student's folder, read with bounds."""

from __future__ import annotations

import os

from blitz.grading.notebook import refuse


def test_a_folder_of_too_many_entries_is_refused_without_listing_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(refuse, "MAX_ENTRIES", 20)
    folder = tmp_path / "submitted" / "alice" / "tensors"
    folder.mkdir(parents=True)
    for i in range(200):
        (folder / f"f{i:03}").touch()
    listings = []
    scandir = os.scandir

    class Counted:
        def __init__(self, path):
            self.inner, self.read = scandir(path), 0
            listings.append(self)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.inner.close()

        def __iter__(self):
            return self

        def __next__(self):
            entry = next(self.inner)
            self.read += 1
            return entry

    monkeypatch.setattr(refuse.os, "scandir", Counted)
    assert refuse.unsafe_submissions(tmp_path, "tensors") == {"alice": "more than 20 entries"}
    assert [listing.read for listing in listings] == [1, 21]  # submitted/, then one past the limit, not 200
