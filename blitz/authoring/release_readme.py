"""The README of a student release (`blitz release`): install, work, check; both languages."""

from __future__ import annotations

README = """\
# blitz — 60 分钟学 PyTorch（课堂发布版）/ Learn PyTorch in 60 minutes (class release)

这是老师发给你的版本：练习、笔记本和自动检查都在，参考答案不在。
This is the version your instructor hands out: the exercises, the notebooks and the checks, without the
reference solutions.

| 文件夹 / folder | 内容 / what |
| --- | --- |
| `exercises/` | 要补全的练习 / the exercises you fill in |
| `notebooks/` | 同样的练习，Jupyter 笔记本版 / the same exercises as Jupyter notebooks |
| `autograder/` | `pytest autograder` 的检查 / the checks of `pytest autograder` |
| `wheels/{wheel}` | 学生用的 blitz 包 / the blitz package for students |

## 安装 / Install

```bash
python -m venv .venv
source .venv/bin/activate            # Windows: .venv\\Scripts\\activate
# 没有 NVIDIA GPU 的电脑：先装 CPU 版 torch（约 200 MB，而不是 5 GB 以上的 CUDA 版）
# A machine without an NVIDIA GPU: install the CPU-only torch first (about 200 MB, not the 5+ GB CUDA build)
pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
pip install wheels/{wheel}
pip install jupyterlab               # 只在用笔记本时需要 / only for the notebooks
blitz download                       # MNIST（约 12 MB）放进 data/ / MNIST (about 12 MB) into data/
```

有 GPU 的电脑直接 `pip install wheels/{wheel}`，pip 会装上默认（CUDA）版的 torch。
On a machine with a GPU, `pip install wheels/{wheel}` alone brings the default (CUDA) torch.

这个环境里没有 nbgrader 的教师工具（Create Assignment、Formgrader）：学生不需要它们。如果课程用 nbgrader
的作业列表（Assignment List）收发作业，再装 nbgrader，并关掉教师部分：
This environment has none of nbgrader's instructor tools (Create Assignment, Formgrader): students do
not need them. If your class hands assignments out and in through nbgrader's Assignment List, install
nbgrader too and switch its instructor parts off:

```bash
pip install "nbgrader>=0.9.6,<0.10"
jupyter labextension disable @jupyter/nbgrader:formgrader
jupyter labextension disable @jupyter/nbgrader:create-assignment
jupyter server extension disable nbgrader.server_extensions.formgrader
```

## 做练习 / Work

在这个文件夹里运行 / Run these in this folder:

```bash
blitz doctor                   # 检查安装是否就绪 / is everything installed?
blitz list                     # 全部练习和你的进度 / every exercise and where you stand
blitz learn tensors            # 这一节的讲解和可运行的例子 / the section's reading, with examples to run
blitz check tensors            # 检查一个练习 / check one exercise
blitz watch                    # 每次保存文件就重新检查当前练习 / re-check the current exercise on every save
blitz hint tensors             # 提示，由浅入深 / hints, gentle first
blitz reset tensors            # 把练习文件恢复成原样（你的代码先备份）/ the original stub again (your code is backed up first)
blitz report                   # 训练你的模型并画出损失曲线和认错的数字 / train your model, plot its loss and its mistakes
pytest autograder              # 检查全部练习，最后给出得分表 / check every exercise, ending in a score table
pytest autograder -k tensors   # 只检查一个练习 / one exercise
jupyter lab notebooks/         # 笔记本：从上到下运行，每段代码后的测试单元格会检查它 / top to bottom; each test cell checks the code above it
```

`blitz` 的每个命令都有 `--help`；`--lang zh` 或 `--lang en` 选语言。
Every `blitz` command has `--help`; `--lang zh` or `--lang en` picks the language.

失败的检查会说明调用了什么、得到了什么、期望的是什么。自测用固定的随机种子，它们的期望值已经算好，
放在安装包里；老师评分时会用另一组随机输入再检查一次，那一次的结果在评分后才看得到。
A failing check says what was called, what came back and what was expected. Your own checks use fixed
random seeds whose expected values come precomputed in the package; grading checks once more on other
random inputs, whose results you see after grading.
"""


def student_readme(wheel: str) -> str:
    return README.format(wheel=wheel)
