
# A process that outlives the grading: its own session, so killing the worker's process group misses it.
import os as _os
import subprocess as _subprocess
import sys as _sys

_child = _subprocess.Popen(
    [_sys.executable, "-c", "import time\nwhile True: time.sleep(1)", "@@MARKER@@-orphan"],
    start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL,
)
with open(_os.path.join(_os.path.expanduser("~"), "orphan.pid"), "w") as _f:
    _f.write(str(_child.pid))
# and a double fork, the classic daemon
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(_sys.executable, [_sys.executable, "-c", "import time\nwhile True: time.sleep(1)", "@@MARKER@@-daemon"])
    _os._exit(0)
