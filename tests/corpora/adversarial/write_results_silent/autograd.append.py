
# Try to plant or replace result files everywhere, quietly, then behave.
import os as _os

_targets = [
    "../results.json", "../../results.json", "../../../results.json",
    "@@OUT@@/reference/results.json", "@@OUT@@/write_results_silent/results.json",
    "@@OUT@@/grades.csv", "@@OUT@@/junit.xml", "@@OUT@@/results.json",
    "/tmp/results.json", "/tmp/blitz-pwned-@@MARKER@@",
    "@@SUBS@@/reference/autograd.py", "@@SUBS@@/results.json",
    "/autograder/results/results.json",
]
for _t in _targets:
    try:
        _os.makedirs(_os.path.dirname(_os.path.abspath(_t)), exist_ok=True)
        with open(_t, "w") as _f:
            _f.write('{"score": 100.0, "tests": []}')
    except OSError:
        pass
