"""What a course hands over becomes one folder per student (blitz/grading/intake.py): per-student zips,
Canvas and Moodle downloads (as folders or as their zip); hostile zips never place a file outside the
staging folder, never blow up memory, and never stop the batch."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from blitz.grading.intake import MAX_ZIP_ENTRIES, prepare

STUB = b"def add(a, b):\n    return a + b\n"


def make_zip(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, target)
    return buffer.getvalue()


def staged_files(intake) -> dict[str, dict[str, bytes]]:
    out = {}
    for path in intake.paths:
        for student in sorted(Path(path).iterdir()):
            out[student.name] = {f.name: f.read_bytes() for f in sorted(student.iterdir())}
    return out


def test_per_student_zips(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "alice.zip").write_bytes(make_zip({"tensors.py": b"A", "notes.txt": b"x"}))
    (klass / "bob.zip").write_bytes(make_zip({"bob_hw/tensors.py": b"B", "bob_hw/model.ipynb": b"{}"}))
    intake = prepare([str(klass)], tmp_path / "staging")
    assert staged_files(intake) == {
        "alice": {"tensors.py": b"A"},
        "bob": {"model.ipynb": b"{}", "tensors.py": b"B"},
    }
    assert {e.lms for e in intake.entries.values()} == {"zip"}
    assert all(Path(p).is_relative_to(tmp_path / "staging") for p in intake.paths)


def test_hostile_zips_are_contained_and_named(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    bomb = b"0" * (2 << 20)  # compresses to a few KB; over the 1 MB cap of a module
    (klass / "mallory.zip").write_bytes(
        make_zip(
            {"../../../tensors.py": b"escaped?", "/abs/autograd.py": b"abs", "model.py": bomb},
            links={"data.py": "/etc/shadow"},
        )
    )
    (klass / "broken.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    (klass / "twice.zip").write_bytes(make_zip({"a/train.py": b"one", "b/train.py": b"two", "extras.py": b"E"}))
    (klass / "many.zip").write_bytes(make_zip({f"f{i}.txt": b"" for i in range(MAX_ZIP_ENTRIES + 1)}))
    intake = prepare([str(klass)], tmp_path / "staging")
    staged = staged_files(intake)
    # Entries land under their plain names in the student's own staged folder, nowhere else.
    assert staged["mallory"] == {"autograd.py": b"abs", "tensors.py": b"escaped?"}
    assert not (tmp_path / "tensors.py").exists() and not Path("/abs").exists()
    assert staged["twice"] == {"extras.py": b"E"}  # two different train.py: neither is used
    assert "broken" in staged and staged["broken"] == {} and staged["many"] == {}
    notes = " ".join(n.en for n in intake.notes)
    assert "model.py in mallory.zip has over 1,048,576 bytes" in notes, notes
    assert "broken.zip is not a zip file" in notes and "two different train.py" in notes, notes
    assert f"over {MAX_ZIP_ENTRIES} entries" in notes, notes


def test_canvas_download_folder_and_zip(tmp_path):
    files = {
        "smithjane_12345_678_tensors.py": b"first",
        "smithjane_12345_679_tensors-1.py": b"resubmitted",
        "smithjane_12345_678_model.ipynb": b"{}",
        "doejohn_LATE_222_333_model.py": b"late",
        "doejohn_222_333_readme.txt": b"ignored",
    }
    folder = tmp_path / "canvas"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    expected = {
        "doejohn_222": {"model.py": b"late"},
        "smithjane_12345": {"model.ipynb": b"{}", "tensors.py": b"resubmitted"},
    }
    from_folder = prepare([str(folder)], tmp_path / "staging-a")
    assert staged_files(from_folder) == expected
    assert from_folder.entries["doejohn_222"].late and not from_folder.entries["smithjane_12345"].late
    assert from_folder.entries["doejohn_222"].lms == "canvas" and from_folder.entries["doejohn_222"].lms_id == "222"
    export = tmp_path / "submissions.zip"
    export.write_bytes(make_zip(files))
    from_zip = prepare([str(export)], tmp_path / "staging-b")
    assert staged_files(from_zip) == expected and from_zip.entries["doejohn_222"].late


def test_moodle_download(tmp_path):
    folder = tmp_path / "moodle"
    (folder / "Jane Smith_123_assignsubmission_file_").mkdir(parents=True)
    (folder / "Jane Smith_123_assignsubmission_file_" / "tensors.py").write_bytes(b"J")
    (folder / "Jane Smith_123_assignsubmission_file_" / "hw.zip").write_bytes(make_zip({"x/model.py": b"M"}))
    (folder / "John Doe_456_assignsubmission_file_autograd.py").write_bytes(b"D")
    intake = prepare([str(folder)], tmp_path / "staging")
    assert staged_files(intake) == {
        "Jane_Smith_123": {"model.py": b"M", "tensors.py": b"J"},
        "John_Doe_456": {"autograd.py": b"D"},
    }
    assert intake.entries["John_Doe_456"].lms == "moodle"


def test_other_paths_are_graded_as_they_are(tmp_path):
    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    (klass / "alice" / "tensors.py").write_bytes(STUB)
    single = tmp_path / "bob"
    single.mkdir()
    (single / "tensors.py").write_bytes(STUB)
    (single / "extra.zip").write_bytes(make_zip({"model.py": b"M"}))  # a submission folder stays one
    missing = str(tmp_path / "nowhere")
    intake = prepare([str(klass), str(single), missing], tmp_path / "staging")
    assert intake.paths == [str(klass), str(single), missing] and not intake.entries


def test_links_in_a_download_are_not_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_bytes(b"SECRET")
    folder = tmp_path / "canvas"
    folder.mkdir()
    (folder / "smithjane_1_2_tensors.py").symlink_to(secret)
    (folder / "doejohn_3_4_tensors.py").write_bytes(b"own")
    (folder / "Jane Smith_5_assignsubmission_file_").symlink_to(tmp_path, target_is_directory=True)
    intake = prepare([str(folder)], tmp_path / "staging")
    staged = staged_files(intake)
    assert staged == {"doejohn_3": {"tensors.py": b"own"}}, staged
    assert b"SECRET" not in b"".join(b"".join(f.values()) for f in staged.values())
