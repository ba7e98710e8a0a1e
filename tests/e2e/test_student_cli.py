"""The student's commands, run as a student runs them: `blitz ...` in a subprocess, in both languages.

Each test works on a temporary copy of the exercise stubs (`--submission`), so the kit's own
exercises/ and its state file are never touched. The data is wherever the kit looks for it
($BLITZ_DATA, as in CI); a missing dataset is tested with BLITZ_DATA=/nonexistent.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import mutants
import pytest
from kit import blitz

from blitz.authoring.markers import stub_source
from blitz.checks import Context, checks_for, run_check
from blitz.course import figures, mnist, registry
from blitz.course.hints import ladder
from blitz.probes.local import LocalSubmission
from blitz.student import doctor, doctor_mnist


def solve(folder: Path, exercise_id: str, replace: tuple[str, str] | None = None) -> Path:
    """Put the reference solution in the student's file, with one bug in it if `replace` is given."""
    source = (mutants.SOLUTIONS / f"{exercise_id}.py").read_text(encoding="utf-8")
    if replace:  # the bug is planted where the text occurs, which must be exactly once
        source = mutants.patched(source, *replace, f"solutions/{exercise_id}.py")
    path = folder / f"{exercise_id}.py"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tensors_done(tmp_path_factory) -> Path:
    folder = mutants.stubs(tmp_path_factory.mktemp("tensors_done"))
    solve(folder, "tensors")
    return folder


# --- list -------------------------------------------------------------------------------------


def test_list_shows_every_exercise_in_order_with_state_and_points(tensors_done):
    result = blitz("list", "--submission", str(tensors_done))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line[:3].strip().rstrip(".").isdigit()]
    assert [row.split()[1] for row in rows] == [e.id for e in registry.EXERCISES]
    assert "✓ done" in rows[0] and "15/15" in rows[0]
    for row, exercise in zip(rows[1:], registry.EXERCISES[1:]):
        assert "not started" in row and f"0/{exercise.points}" in row
    assert "(optional)" in rows[-1]
    assert f"Total 15/{registry.TOTAL_POINTS} points" in result.stdout
    assert f"Next: `blitz check autograd --submission {tensors_done}`" in result.stdout


def test_list_in_chinese(tensors_done):
    result = blitz("list", "--submission", str(tensors_done), lang="zh")
    assert result.returncode == 0, result.stderr
    assert "✓ 已完成" in result.stdout and "· 未开始" in result.stdout
    assert registry.get("tensors").title.zh in result.stdout
    assert f"下一步：`blitz check autograd --submission {tensors_done}`" in result.stdout
    assert "not started" not in result.stdout


def test_list_shows_a_failing_exercise(tmp_path):
    folder = mutants.stubs(tmp_path)
    solve(folder, "evaluate", ("return logits.argmax(dim=1)", "return logits.argmin(dim=1)"))
    result = blitz("list", "--submission", str(folder))
    row = next(line for line in result.stdout.splitlines() if " evaluate " in line)
    assert "✗ failing" in row and "/10" in row


def test_unknown_folder_is_a_clear_error():
    result = blitz("list", "--submission", "/nonexistent/folder")
    assert result.returncode == 2
    assert "There is no folder /nonexistent/folder" in result.stderr
    assert "Traceback" not in result.stderr


# --- check ------------------------------------------------------------------------------------


def test_check_passing_exercise_says_what_comes_next(tensors_done):
    result = blitz("check", "tensors", "--submission", str(tensors_done))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("✓ ") == len(checks_for("tensors"))
    assert "12/12 checks passed · 15/15 points" in result.stdout
    assert f"tensors is done! Next: `blitz check autograd --submission {tensors_done}`" in result.stdout
    # A self-learner is told where the reference is, once the exercise passes (not before).
    assert "Want to compare? The reference solution is in solutions/tensors.py." in result.stdout
    assert (registry.ROOT / "solutions" / "tensors.py").is_file()


def test_the_reference_is_named_only_after_a_pass_in_chinese_too(tensors_done):
    done = blitz("check", "tensors", "--submission", str(tensors_done), lang="zh")
    assert "想对照参考答案？它在 solutions/tensors.py。" in done.stdout
    assert "reference" not in done.stdout
    failing = blitz("check", "autograd", "--submission", str(tensors_done))
    assert "reference solution" not in failing.stdout


def test_check_without_id_runs_the_next_unfinished_exercise(tensors_done):
    result = blitz("check", "--submission", str(tensors_done), lang="zh")
    assert result.returncode == 1
    assert result.stdout.startswith(f"== autograd — {registry.get('autograd').title.zh} ==")
    assert "还没有实现（NotImplementedError）" in result.stdout
    assert "0/3 项检查通过 · 0/10 分" in result.stdout
    assert f"`blitz hint autograd --submission {tensors_done}`（第 1/3 条提示）" in result.stdout


def test_check_failure_says_what_was_called_returned_and_expected(tmp_path):
    folder = mutants.stubs(tmp_path)
    solve(folder, "tensors", ("return t @ t.T", "return t.T @ t"))
    result = blitz("check", "tensors", "--submission", str(folder))
    assert result.returncode == 1
    assert "✗ Gram matrix: dot products of rows" in result.stdout
    assert "Called tensors.gram(tensor(shape=(4, 4), dtype=float32, device=cpu))" in result.stdout
    assert "returned: tensor(shape=(4, 4)" in result.stdout and "expected: tensor(shape=(4, 4)" in result.stdout
    assert "largest difference" in result.stdout and "at index (" in result.stdout
    assert "11/12 checks passed" in result.stdout
    assert "Fix the first ✗ above" in result.stdout


def test_check_with_missing_dataset_is_a_clear_failure(tmp_path):
    folder = mutants.stubs(tmp_path)
    solve(folder, "data")
    for lang, words in (("en", "MNIST is not under /nonexistent"), ("zh", "在 /nonexistent 下找不到 MNIST")):
        result = blitz("check", "data", "--submission", str(folder), lang=lang, data="/nonexistent")
        assert result.returncode == 1
        assert words in result.stdout and "blitz download" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr


# --- hint -------------------------------------------------------------------------------------


def test_hints_come_one_at_a_time_and_are_remembered(tmp_path):
    folder = mutants.stubs(tmp_path)
    hints = ladder("tensors.from_data")  # the stub fails every check: the first one's ladder
    for number, hint in enumerate(hints, 1):
        result = blitz("hint", "tensors", "--submission", str(folder))
        assert result.returncode == 0
        assert f"Hint {number} of 3:" in result.stdout and "First failing check: Tensor from data" in result.stdout
        assert hint.en in result.stdout
        assert all(other.en not in result.stdout for other in hints if other is not hint)
    again = blitz("hint", "tensors", "--submission", str(folder))
    assert "Hint 3 of 3" in again.stdout and "That was this check's last hint" in again.stdout
    assert '"tensors.from_data": 3' in (folder / ".blitz" / "state.json").read_text(encoding="utf-8")
    assert "course section" in hints[-1].en and "课程" in hints[-1].zh

    assert blitz("hint", "tensors", "--reset", "--submission", str(folder)).returncode == 0
    first = blitz("hint", "tensors", "--submission", str(folder), lang="zh")
    assert "提示 1/3" in first.stdout and hints[0].zh in first.stdout

    every = blitz("hint", "tensors", "--all", "--submission", str(folder))
    assert all(hint.en in every.stdout for hint in hints)


def test_hint_is_for_the_first_failing_check(tmp_path):
    """A gram written as t * t.T: the hints are gram's, not the exercise's first check's."""
    folder = tmp_path / "work"
    mutants.build(folder, mutants.by_name("gram_elementwise"))
    result = blitz("hint", "tensors", "--submission", str(folder))
    assert "First failing check: Gram matrix" in result.stdout, result.stdout
    assert ladder("tensors.gram")[0].en in result.stdout
    assert ladder("tensors.from_data")[0].en not in result.stdout
    solved = blitz("hint", "autograd", "--submission", str(folder))
    assert "Every check of autograd passes" in solved.stdout


def test_hint_without_id_is_for_the_next_unfinished_exercise(tensors_done, tmp_path):
    folder = tmp_path / "work"
    shutil.copytree(tensors_done, folder)
    result = blitz("hint", "--submission", str(folder))
    assert "== autograd" in result.stdout and ladder("autograd.cubic_minus_square_grads")[0].en in result.stdout


# --- reset ------------------------------------------------------------------------------------


def test_reset_asks_first_and_keeps_a_backup(tmp_path):
    folder = mutants.stubs(tmp_path)
    mine = solve(folder, "tensors")
    work = mine.read_text(encoding="utf-8")

    no = blitz("reset", "tensors", "--submission", str(folder), stdin="n\n")
    assert no.returncode == 1
    assert "[y/N]" in no.stdout and "Nothing changed." in no.stdout
    assert mine.read_text(encoding="utf-8") == work

    yes = blitz("reset", "tensors", "--submission", str(folder), stdin="y\n", lang="zh")
    assert yes.returncode == 0, yes.stderr
    assert "已恢复为原始练习文件" in yes.stdout
    assert mine.read_text(encoding="utf-8") == stub_source(registry.get("tensors"))
    backups = list((folder / ".blitz" / "backup").glob("tensors-*.py"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [work]

    again = blitz("reset", "tensors", "--yes", "--submission", str(folder))
    assert again.returncode == 0 and "already the original stub" in again.stdout


def test_reset_with_yes_restores_a_deleted_file(tmp_path):
    folder = mutants.stubs(tmp_path)
    (folder / "model.py").unlink()
    listed = blitz("list", "--submission", str(folder))
    assert "✗ file missing" in next(line for line in listed.stdout.splitlines() if " model " in line)
    result = blitz("reset", "model", "--yes", "--submission", str(folder))
    assert result.returncode == 0
    assert (folder / "model.py").read_text(encoding="utf-8") == stub_source(registry.get("model"))


# --- doctor -----------------------------------------------------------------------------------


def test_doctor_with_the_data_in_place():
    result = blitz("doctor")
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    for start in (
        "[ OK ] Python 3.",
        "[ OK ] torch ",
        "[ OK ] torchvision ",
        "[ OK ] nbgrader ",
        "[ OK ] matplotlib ",
        "[ OK ] tqdm ",
        "[ OK ] Jupyter kernel python3",
        "[ OK ] t10k-images-idx3-ubyte (10,000): md5 9fb629c4189551a2d022fa330f9573f3 (official)",
        "[ OK ] t10k-labels-idx1-ubyte (10,000): md5 ec29112dd5afa0611ce80d1b7f02629c (official)",
    ):
        assert any(line.startswith(start) for line in lines), start
    train = next(line for line in lines if "train-images-idx3-ubyte" in line)
    gz = mnist.data_root() / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    if doctor_mnist._md5(gz.read_bytes()) == doctor_mnist.OFFICIAL_GZ_MD5["train-images-idx3-ubyte"]:
        assert train.startswith("[ OK ]") and "(official)" in train
    else:  # CI's class-balanced subset: a note, not an error
        assert train.startswith("[note]") and "unofficial subset" in train
    font = next(line for line in lines if "CJK font" in line)
    assert font.startswith("[ OK ] CJK font ") if figures.cjk_font() else font.startswith("[note] CJK font: none")
    assert "All good." in result.stdout


def test_doctor_names_the_font_package_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    finding = doctor.check_cjk_font()
    assert (
        finding.level == "note"
        and figures.FONT_PACKAGE in finding.detail.en
        and figures.FONT_PACKAGE in finding.detail.zh
    )
    monkeypatch.setattr(figures, "cjk_font", lambda: "Noto Sans CJK SC")
    assert doctor.check_cjk_font().line() == "[ OK ] CJK font Noto Sans CJK SC"


def doctor_here(monkeypatch, capsys, lang: str, data: str) -> tuple[int, str]:
    """What `blitz doctor` does (cmd_doctor is doctor()), in this process, which has torch and torchvision
    imported already (its kernel check still starts the kernel's Python): the exit status and the output.
    The command itself runs in test_doctor_with_the_data_in_place."""
    monkeypatch.setenv("BLITZ_LANG", lang)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("BLITZ_DATA", data)
    capsys.readouterr()
    status = doctor.doctor()
    return status, capsys.readouterr().out


def test_doctor_without_data_says_what_to_do(monkeypatch, capsys):
    for lang, words in (
        ("en", "not found under /nonexistent/MNIST/raw. Run `blitz download`"),
        ("zh", "在 /nonexistent/MNIST/raw 下找不到。运行 `blitz download`"),
    ):
        status, stdout = doctor_here(monkeypatch, capsys, lang, "/nonexistent")
        assert status == 1
        assert f"[FAIL] MNIST: {words}" in stdout


def test_doctor_finds_a_corrupt_test_file(tmp_path, monkeypatch, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for path in (mnist.data_root() / "MNIST" / "raw").iterdir():
        (raw / path.name).symlink_to(path)
    labels = raw / "t10k-labels-idx1-ubyte"
    data = bytearray(labels.read_bytes())
    labels.unlink()
    data[100] = (data[100] + 1) % 10  # one wrong label: the file is still well-formed
    labels.write_bytes(bytes(data))
    assert gzip.decompress((raw / "t10k-labels-idx1-ubyte.gz").read_bytes()) != bytes(data)

    status, stdout = doctor_here(monkeypatch, capsys, "en", str(tmp_path))
    assert status == 1
    line = next(line for line in stdout.splitlines() if "t10k-labels" in line)
    assert line.startswith("[FAIL]") and "differs from what t10k-labels-idx1-ubyte.gz unpacks to" in line
    assert "run `blitz download`" in line
    assert "1 problem(s)" in stdout


# --- download ---------------------------------------------------------------------------------


def test_download_offline_gives_a_clear_message(tmp_path):
    # A proxy on a closed local port: every request is refused, as when offline, wherever this runs.
    closed = "http://127.0.0.1:9"
    env = {k: closed for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
    env.update(no_proxy="", NO_PROXY="")
    result = blitz("download", data=str(tmp_path / "data"), env=env)
    assert result.returncode == 1
    assert "Could not download MNIST" in result.stderr and "Are you offline?" in result.stderr
    assert str(tmp_path / "data" / "MNIST" / "raw") in result.stderr


def test_download_when_the_data_is_there():
    result = blitz("download", lang="zh")
    assert result.returncode == 0
    assert f"MNIST 已经在 {mnist.data_root()} 里了" in result.stdout


# --- common PyTorch errors name the course section --------------------------------------------


def _first_error(folder: Path, exercise_id: str, ctx: Context | None = None):
    sub = LocalSubmission(folder)
    results = [run_check(c, sub, ctx or Context()) for c in checks_for(exercise_id)]
    errors = [r for r in results if r.status == "error"]
    assert errors, [r.status for r in results]
    return errors[0].message.render("en"), errors[0].message.render("zh")


def test_linear_layer_shape_mismatch_hint(tmp_path):
    solve(tmp_path, "model", ("nn.Linear(32 * 7 * 7, 10)", "nn.Linear(32 * 7, 10)"))
    en, zh = _first_error(tmp_path, "model")
    assert "mat1 and mat2 shapes cannot be multiplied" in en
    # told from the error's numbers (issue 22.3): the layer's size and what it receives
    assert "built for 224 input features per sample, but it receives 1568" in en and "in_features to 1568" in en
    assert "224" in zh and "1568" in zh and "in_features" in zh
    assert "model.py" in en and "Traceback" not in en


def test_loss_dtype_mismatch_hint(tmp_path):
    solve(tmp_path, "train", ("loss = loss_fn(model(x), y)", "loss = loss_fn(model(x), y.float())"))
    en, zh = _first_error(tmp_path, "train")
    assert "Long" in en  # torch's own words: expected target dtype to be Long ..., but got Float
    assert "labels are each sample's class index" in en and "int64" in en and "not floats" in en
    assert "类别编号" in zh and "int64" in zh


def test_tensor_on_the_wrong_device_hint(tmp_path):
    # The student forgets to move the batches; the model sits on another device. Without a GPU the
    # other device is "meta" (tensors without data), which fails the same way a GPU would.
    solve(tmp_path, "train", ("x, y = x.to(device), y.to(device)", "pass"))
    en, zh = _first_error(tmp_path, "train", Context(device="meta"))
    assert "not on the expected device" in en
    assert "Bring them together with x.to(device)" in en and '"Tensors" on moving tensors to the GPU' in en
    assert "把张量移到 GPU" in zh


@pytest.mark.gpu
def test_tensor_on_the_wrong_device_hint_on_a_gpu(tmp_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA: there is no GPU here")
    solve(tmp_path, "train", ("x, y = x.to(device), y.to(device)", "pass"))
    en, _ = _first_error(tmp_path, "train", Context(device="cuda"))
    assert "Expected all tensors to be on the same device" in en
    assert '"Tensors" on moving tensors to the GPU' in en


def test_numpy_on_a_tensor_requiring_grad_hint(tmp_path):
    solve(tmp_path, "train", ("total += loss.item()", "total += float(loss.numpy())"))
    en, zh = _first_error(tmp_path, "train")
    assert "Can't call numpy() on Tensor that requires grad" in en
    assert ".detach() it first" in en and 'See the course section "Autograd"' in en
    assert "自动求导" in zh
    assert "total += float(loss.numpy())" in en  # the student's own line, from their frames


def test_pythons_did_you_mean_is_kept(tmp_path):
    # Python prints "Did you mean" only in its own hook; the check's message keeps it, in both languages.
    folder = mutants.stubs(tmp_path)
    solve(folder, "tensors", ("return torch.tensor(data)", "return torch.tensr(data)"))
    for lang in ("en", "zh"):
        result = blitz("check", "tensors", "--submission", str(folder), lang=lang)
        assert result.returncode == 1
        assert "module 'torch' has no attribute 'tensr'. Did you mean: 'tensor'?" in result.stdout, result.stdout


def test_footers_name_the_submission_folder_and_files_that_exist(tmp_path):
    # --submission DIR: every command a footer proposes carries it, and a file is named only if it exists.
    folder = tmp_path / "mine"
    folder.mkdir()
    solve(folder, "tensors")
    done = blitz("check", "tensors", "--submission", str(folder))
    assert f"Next: `blitz check autograd --submission {folder}`" in done.stdout
    assert f"{folder}/autograd.py does not exist yet: `blitz reset autograd --submission {folder}`" in done.stdout
    zh = blitz("check", "tensors", "--submission", str(folder), lang="zh")
    assert f"{folder}/autograd.py 还不存在：`blitz reset autograd --submission {folder}`" in zh.stdout
    missing = blitz("check", "autograd", "--submission", str(folder))
    assert f"Run `blitz reset autograd --submission {folder}` to get the original stub back." in missing.stdout
    reset = blitz("reset", "autograd", "--yes", "--submission", str(folder))
    assert reset.returncode == 0 and (folder / "autograd.py").is_file()
    assert f"Run `blitz check autograd --submission {folder}` to start over." in reset.stdout
    # In the default exercises/ the commands stay short.
    default = blitz("check", "tensors")
    assert "--submission" not in default.stdout


def test_learn_prints_the_exercises_reading_in_the_chosen_language():
    en = blitz("learn", "tensors", lang="en")
    assert en.returncode == 0, en.stderr
    assert "## Making a tensor from data" in en.stdout and "torch.tensor" in en.stdout
    assert "从数据创建张量" not in en.stdout
    zh = blitz("learn", "autograd", lang="zh")
    assert "## 计算图" in zh.stdout and "The computational graph" not in zh.stdout
    unknown = blitz("learn", "tensor")
    assert unknown.returncode == 2 and "There is no exercise 'tensor'" in unknown.stderr


def test_doctor_in_a_release_asks_for_no_instructor_tool(monkeypatch):
    # A class release has no nbgrader and cannot `pip install -e .`: doctor neither asks nor says so.
    from blitz.student import doctor as module

    assert "pip install -e ." in module.reinstall(False).en
    fix = module.reinstall(True)
    assert "wheels/blitz-*.whl" in fix.en and "wheels/blitz-*.whl" in fix.zh and "-e ." not in fix.en
    monkeypatch.setattr(module, "in_release", lambda: True)
    monkeypatch.setattr(module, "check_mnist", lambda: [])
    monkeypatch.setattr(
        module, "check_torchvision_reads", lambda: module.Finding(module.OK, "MNIST", module.Msg("", ""))
    )
    names = [f.what for f in module.findings()]
    assert not [n for n in names if "nbgrader" in n], names
