
# Four CPU spinners, each in its own session, left running; then behave.
import subprocess as _subprocess
import sys as _sys

for _ in range(4):
    _subprocess.Popen(
        [_sys.executable, "-c", "while True: pass", "@@MARKER@@-spinner"],
        start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL,
    )
