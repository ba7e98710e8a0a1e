"""The kit's warm workers import torchvision without torch._dynamo (blitz.engine.imports), and that
changes nothing of what torchvision or torch do: each case runs in a fresh Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(code: str):
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_torchvision_comes_without_dynamo_which_stays_real_on_first_use():
    out = run(
        """
import json, sys
from blitz.engine.imports import import_torchvision
tv = import_torchvision()
before = "torch._dynamo" in sys.modules
import torch
from torchvision import datasets, transforms
from torchvision.ops import roi_align
x = torch.arange(64.0).reshape(1, 1, 8, 8)
boxes = torch.tensor([[0.0, 0.0, 0.0, 4.0, 4.0]])
pooled = roi_align(x, boxes, output_size=2, aligned=True)
# torch._dynamo is the real one once something asks for it; optimizer.step() does
w = torch.zeros(2, requires_grad=True)
opt = torch.optim.Adam([w], lr=0.1)
w.sum().backward()
opt.step()
print(json.dumps({
    "before": before,
    "real": hasattr(torch._dynamo, "optimize") and hasattr(sys.modules["torch._dynamo.utils"], "counters"),
    "supported": bool(torch._dynamo.utils.is_compile_supported("cpu")),
    "mnist": datasets.MNIST.__name__, "normalize": transforms.Normalize.__name__,
    "pooled": pooled.flatten().tolist(), "step": w.tolist(),
}))
"""
    )
    assert out["before"] is False
    assert out["real"] and out["supported"]
    assert (out["mnist"], out["normalize"]) == ("MNIST", "Normalize")
    plain = run(
        """
import json, torch
from torchvision.ops import roi_align
x = torch.arange(64.0).reshape(1, 1, 8, 8)
boxes = torch.tensor([[0.0, 0.0, 0.0, 4.0, 4.0]])
print(json.dumps(roi_align(x, boxes, output_size=2, aligned=True).flatten().tolist()))
"""
    )
    assert out["pooled"] == plain and len(set(plain)) == 4
    assert out["step"] == pytest.approx([-0.1, -0.1])  # Adam's first step: lr in the direction of -grad


def test_a_torchvision_that_wants_more_of_dynamo_is_imported_the_usual_way():
    """A stand-in that offers nothing (as if torchvision imported more than it offers): the partial
    import is undone and torchvision comes the usual way, with the real torch._dynamo."""
    out = run(
        """
import json, sys, types
import blitz.engine.imports as imports
real_stand_ins = imports._stand_ins
def empty():
    package, utils = real_stand_ins()
    del utils.is_compile_supported
    return package, utils
imports._stand_ins = empty
tv = imports.import_torchvision()
import torch
print(json.dumps({
    "dynamo": "torch._dynamo" in sys.modules and hasattr(sys.modules["torch._dynamo"], "optimize"),
    "roi_align": tv.ops.roi_align.__module__,
    "kept": [n for n, m in sys.modules.items() if n.startswith("torchvision") and m is None],
}))
"""
    )
    assert out == {"dynamo": True, "roi_align": "torchvision.ops.roi_align", "kept": []}


def test_an_already_imported_torchvision_is_left_as_it_is():
    out = run(
        """
import json, sys
import torchvision
from blitz.engine.imports import import_torchvision
print(json.dumps({"same": import_torchvision() is torchvision, "dynamo": "torch._dynamo" in sys.modules}))
"""
    )
    assert out == {"same": True, "dynamo": True}


def test_the_student_commands_worker_warms_what_an_exercise_imports_before_forking_it():
    """registry.Exercise.warm_imports, imported by the runner's worker before the exercise's child
    is forked: nothing for tensors, train (its optimizer.step() needs torch._dynamo, which the worker defers:
    test_torch_dynamo_waits_until_something_uses_more_than_eager_training_does) or a request without an
    exercise; autograd's covers what its backward with an external gradient imports (torch's symbolic
    shapes, sympy), so a child running it imports nothing more."""
    out = run(
        """
import json, sys
import torch
from blitz.execution.host import warm_for
seen = []
for request in ({"exercise": "tensors"}, {"job": "x"}, {"exercise": "nope"}, {"exercise": "autograd"}):
    warm_for(request)
    seen.append(["torch._dynamo" in sys.modules, "sympy" in sys.modules])
before = set(sys.modules)
a = torch.ones(3, requires_grad=True)
q = a**3
q.backward(gradient=torch.ones_like(q))
seen.append(sorted(set(sys.modules) - before))
warm_for({"exercise": "train"})
seen.append("torch._dynamo" in sys.modules)
print(json.dumps(seen))
"""
    )
    assert out == [[False, False], [False, False], [False, False], [False, True], [], False]


def test_the_notebook_kernels_launcher_finds_torch_without_importing_it():
    """The launcher nbgrader starts for each kernel builds the sandbox's view (blitz.execution.sandbox.view)
    and imports no torch for it: that import cost it about 1.5 s of CPU per student's notebook."""
    out = run(
        """
import json, sys
from blitz.execution.sandbox.view import essentials, torch_folder
paths = essentials()
before = "torch" in sys.modules
import torch
from pathlib import Path
print(json.dumps({"before": before, "same": Path(torch.__file__).parent == torch_folder(),
                  "kept": str(torch_folder()) in paths or any(str(torch_folder()).startswith(p + "/") for p in paths)}))
"""
    )
    assert out == {"before": False, "same": True, "kept": True}


def test_nbgrader_as_the_kit_starts_it_runs_without_the_iri_grammar():
    """`blitz course-autograde` starts one nbgrader per student: nbgrader's own entry point in this Python,
    with jsonschema's IRI format check left out (rfc3987_syntax builds a Lark grammar at import, about
    1.3 s of CPU; no notebook schema names that format). nbgrader still runs and reads notebooks."""
    from blitz.authoring.nbgrader import nbgrader_argv

    argv = nbgrader_argv("--version")
    assert argv[0] == sys.executable, argv
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "nbgrader.apps.nbgraderapp" in imported and "nbformat" in imported, sorted(imported)[:50]
    assert "rfc3987_syntax.syntax_helpers" not in imported  # the grammar (an import tried and refused is listed)
    assert proc.stdout.strip(), "nbgrader --version printed nothing"


TRAIN_THEN_COMPILE = """
import json, sys
import torch
from blitz.engine.imports import warm_torch
warm_torch()
deferred = type(sys.modules["torch._dynamo"]).__name__
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
x, y = torch.randn(8, 4), torch.randint(0, 2, (8,))
before = set(sys.modules)
for opt in (torch.optim.Adam(model.parameters(), lr=0.01), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)):
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
eager = {"deferred": deferred, "still": type(sys.modules["torch._dynamo"]).__name__,
         "imported": sorted(set(sys.modules) - before), "weights": [p.detach().flatten().tolist() for p in model.parameters()]}

@torch.compile(backend="eager")
def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()

step(); step()
import torch._dynamo.utils
from blitz.engine import lazy_dynamo
print(json.dumps({**eager,
    "compiled": [p.detach().flatten().tolist() for p in model.parameters()],
    "counters": {k: dict(v) for k, v in torch._dynamo.utils.counters.items() if k in ("stats", "graph_break")},
    "real": type(torch._dynamo).__name__, "one_utils": sys.modules["torch._dynamo"].utils is sys.modules["torch._dynamo.utils"],
    "defer_again": lazy_dynamo.defer(),
}))
"""


def test_torch_dynamo_waits_until_something_uses_more_than_eager_training_does():
    """blitz.engine.lazy_dynamo in a worker (warm_torch): optimizer steps and zero_grad leave the stand-in
    in place and import nothing; torch.compile then makes torch._dynamo real (its submodules loaded once)
    and compiles as it does where nothing was deferred, with the same graphs, graph breaks and weights."""
    deferred = run(TRAIN_THEN_COMPILE)
    plain = run(TRAIN_THEN_COMPILE.replace("warm_torch()\n", "import torch._dynamo\n"))
    assert (deferred["deferred"], deferred["still"], deferred["imported"]) == ("_Deferred", "_Deferred", [])
    assert (plain["deferred"], plain["still"]) == ("module", "module")
    assert deferred["weights"] == plain["weights"] and deferred["compiled"] == plain["compiled"]
    assert deferred["compiled"] != deferred["weights"]  # the compiled steps trained
    assert deferred["counters"] == plain["counters"] and deferred["counters"]["stats"]["unique_graphs"] >= 1
    assert (deferred["real"], deferred["one_utils"], deferred["defer_again"]) == ("module", True, False)
