"""The kit's warm workers import torch with torch._dynamo and torch's symbolic shapes deferred, and
torchvision without torch._dynamo (blitz.engine.imports, deferred, lazy_dynamo, lazy_shapes), and that
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


ROI_ALIGN = """
x = torch.arange(64.0).reshape(1, 1, 8, 8)
boxes = torch.tensor([[0.0, 0.0, 0.0, 4.0, 4.0]])
pooled = roi_align(x, boxes, output_size=2, aligned=True).flatten().tolist()
"""


def test_torchvision_comes_without_dynamo_which_becomes_real_on_first_use():
    """warm_torch imports torchvision with torch._dynamo deferred (its utils' stand-in serves roi_align's
    is_compile_supported): no compiler module is imported, MNIST, the transforms and roi_align work as in
    a plain Python, and torch._dynamo is the real one once something asks for more, from the stand-in's
    function torchvision kept too."""
    out = run(
        """
import json, sys
from blitz.engine.imports import warm_torch
tv = warm_torch()
import torch
from torchvision import datasets, transforms
from torchvision.ops import roi_align
roi_module = sys.modules["torchvision.ops.roi_align"]
before = [type(sys.modules[m]).__name__ for m in ("torch._dynamo", "torch._dynamo.utils")]
compiler = sorted(m for m in sys.modules if m.startswith("torch._dynamo.") and m != "torch._dynamo.utils")
"""
        + ROI_ALIGN
        + """
w = torch.zeros(2, requires_grad=True)
opt = torch.optim.Adam([w], lr=0.1)
w.sum().backward()
opt.step()
after_step = type(sys.modules["torch._dynamo"]).__name__
supported = roi_module.is_compile_supported("cpu")  # torchvision's binding: the stand-in's function
print(json.dumps({
    "before": before, "compiler": compiler, "after_step": after_step, "supported": bool(supported),
    "real": [type(sys.modules[m]).__name__ for m in ("torch._dynamo", "torch._dynamo.utils")],
    "optimize": hasattr(torch._dynamo, "optimize"), "counters": hasattr(torch._dynamo.utils, "counters"),
    "mnist": datasets.MNIST.__name__, "normalize": transforms.Normalize.__name__,
    "pooled": pooled, "step": w.tolist(),
}))
"""
    )
    assert out["before"] == ["StandIn", "StandIn"] and out["compiler"] == []
    assert out["after_step"] == "StandIn" and out["supported"] is True
    assert out["real"] == ["module", "module"] and out["optimize"] and out["counters"]
    assert (out["mnist"], out["normalize"]) == ("MNIST", "Normalize")
    plain = run("import json, torch\nfrom torchvision.ops import roi_align\n" + ROI_ALIGN + "print(json.dumps(pooled))")
    assert out["pooled"] == plain and len(set(plain)) == 4
    assert out["step"] == pytest.approx([-0.1, -0.1])  # Adam's first step: lr in the direction of -grad


def test_code_that_wants_more_of_dynamo_than_the_stand_ins_hold_gets_the_real_one(tmp_path):
    """A module imported after warm_torch that takes more from torch._dynamo.utils and torch._dynamo than
    the stand-ins hold (as a torchvision wanting more at import would) gets the real ones: each module
    loaded once, the same objects wherever they are reached from, and torchvision still right."""
    (tmp_path / "wants_more.py").write_text(
        "from torch._dynamo import config\nfrom torch._dynamo.utils import counters\n", encoding="utf-8"
    )
    out = run(
        f"""
import json, sys
sys.path.insert(0, {str(tmp_path)!r})
from blitz.engine.imports import warm_torch
warm_torch()
import torch
from torchvision.ops import roi_align
import wants_more
"""
        + ROI_ALIGN
        + """
utils = sys.modules["torch._dynamo.utils"]
print(json.dumps({
    "kinds": [type(sys.modules[m]).__name__ for m in ("torch._dynamo", "torch._dynamo.utils", "torch._dynamo.config")],
    "same": [wants_more.counters is utils.counters, torch._dynamo.utils is utils, wants_more.config is torch._dynamo.config],
    "loaded_once": sum(1 for m in list(sys.modules.values()) if getattr(m, "__name__", "") == "torch._dynamo.utils"),
    "pooled": pooled,
}))
"""
    )
    assert out["kinds"] == ["module", "module", "ConfigModuleInstance"] and out["same"] == [True, True, True]
    assert out["loaded_once"] == 1 and len(set(out["pooled"])) == 4


def test_an_already_imported_torchvision_is_left_as_it_is():
    out = run(
        """
import json, sys
import torchvision
from blitz.engine.imports import warm_torch
print(json.dumps({"same": warm_torch() is torchvision, "dynamo": type(sys.modules["torch._dynamo"]).__name__}))
"""
    )
    assert out == {"same": True, "dynamo": "module"}


GRADIENTS_THEN_SYMBOLS = """
import json, sys
import torch
from blitz.engine.imports import warm_torch
warm_torch()
SHAPES = "torch.fx.experimental.symbolic_shapes"
kind = lambda: type(sys.modules.get(SHAPES)).__name__
torch.manual_seed(0)
a, b = torch.randn(5, requires_grad=True), torch.randn(5, requires_grad=True)
before = set(sys.modules)
q = 3 * a**3 - b**2
q.backward(gradient=torch.ones(5), retain_graph=True)
q.backward(gradient=torch.full((5,), 0.5), retain_graph=True)
ga, gb = torch.autograd.grad(q, (a, b), grad_outputs=torch.arange(5.0), retain_graph=True)
torch._check(q.shape[0] == 5)
errors = []
for bad in (torch.ones(4), torch.ones(5, 1)):
    try:
        q.backward(gradient=bad, retain_graph=True)
    except RuntimeError as e:
        errors.append(str(e))
try:
    torch._check(q.shape[0] == 4, lambda: "not five")
except RuntimeError as e:
    errors.append(str(e))
eager = {"kind": kind(), "imported": sorted(set(sys.modules) - before), "errors": errors,
         "grads": [t.tolist() for t in (a.grad, b.grad, ga, gb)]}
from torch.fx.experimental.symbolic_shapes import sym_eq, expect_true, guard_or_false, guard_or_true
held = {f.__name__: f for f in (sym_eq, expect_true, guard_or_false, guard_or_true)}
ANSWERED = [("sym_eq", (3, 3)), ("sym_eq", (3, 4)), ("sym_eq", (True, 1)), ("sym_eq", ((1, 2), [1, 2])),
            ("sym_eq", ((1, 2), (1,))), ("sym_eq", (torch.Size([2, 3]), (2, 3))), ("sym_eq", ([[1], [2]], [[1], [3]])),
            ("sym_eq", ((), [])), ("expect_true", (True,)), ("expect_true", (False,)), ("guard_or_false", (False,)),
            ("guard_or_true", (True,))]
REFUSED = [("sym_eq", (1, [1])), ("sym_eq", (1.0, 1)), ("sym_eq", ((1.0,), (1,))), ("expect_true", (1,)),
           ("guard_or_false", (0,)), ("guard_or_true", (None,))]
def answers(functions, cases):
    out = []
    for name, args in cases:
        try:
            out.append(repr(functions[name](*args)))
        except Exception as e:
            out.append(type(e).__name__)
    return out
plain_answers = answers(held, ANSWERED)
still = kind()
plain_answers += answers(held, REFUSED)
compile = torch.compile(lambda x: (x * 2).sum(), backend="eager", dynamic=True)
compiled = [compile(torch.ones(n)).item() for n in (3, 5)]
real = sys.modules[SHAPES]
symbol = real.ShapeEnv().create_unbacked_symint()  # a symbolic size: the stand-in's functions hand it over
print(json.dumps({**eager, "answers": plain_answers, "still": still, "compiled": compiled, "real": kind(),
    "attribute": torch.fx.experimental.symbolic_shapes is real,
    "real_answers": answers({n: getattr(real, n) for n in held}, ANSWERED + REFUSED),
    "symbolic": [type(held["sym_eq"](symbol, 3)).__name__, held["guard_or_false"](symbol == 3),
                 held["guard_or_true"](symbol == 3)]}))
"""


def test_torch_symbolic_shapes_wait_until_something_uses_more_than_eager_gradients_do():
    """blitz.engine.lazy_shapes in a worker (warm_torch): backward and autograd.grad against given gradients
    and torch._check use the stand-in and import nothing (no sympy), with the same gradients and the same
    errors as where nothing was deferred; its functions answer every plain value as torch's own do (the
    values torch's own refuse are handed to them); a dynamic-shape compile makes the module real, and a symbolic size given to
    a stand-in function kept from before is answered by the real one."""
    deferred = run(GRADIENTS_THEN_SYMBOLS)
    plain = run(GRADIENTS_THEN_SYMBOLS.replace("warm_torch()\n", ""))
    assert (deferred["kind"], deferred["still"], deferred["imported"]) == ("StandIn", "StandIn", [])
    assert plain["kind"] == "module" and "torch.fx.experimental.symbolic_shapes" in plain["imported"]
    assert deferred["grads"] == plain["grads"] and len(deferred["errors"]) == 3
    assert deferred["errors"] == plain["errors"] and "not five" in deferred["errors"][2]
    assert deferred["answers"] == plain["answers"] == deferred["real_answers"]
    answered = ["True", "False", "True", "True", "False", "True", "False", "True", "True", "False", "False", "True"]
    assert deferred["answers"] == [*answered, *["AssertionError"] * 6]
    assert deferred["compiled"] == plain["compiled"] == [6.0, 10.0]
    assert (deferred["real"], deferred["attribute"]) == ("module", True)
    assert deferred["symbolic"] == plain["symbolic"] == ["SymBool", False, True]


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
    assert (deferred["deferred"], deferred["still"], deferred["imported"]) == ("StandIn", "StandIn", [])
    assert (plain["deferred"], plain["still"]) == ("module", "module")
    assert deferred["weights"] == plain["weights"] and deferred["compiled"] == plain["compiled"]
    assert deferred["compiled"] != deferred["weights"]  # the compiled steps trained
    assert deferred["counters"] == plain["counters"] and deferred["counters"]["stats"]["unique_graphs"] >= 1
    assert (deferred["real"], deferred["one_utils"], deferred["defer_again"]) == ("module", True, False)
