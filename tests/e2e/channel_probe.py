"""One side of a covert channel between two sandboxes (run by test_sandbox_channels.py with -c).

``send NAME``: plant NAME's secret through every channel it can, print ``planted {json}`` (what
worked, what was refused and why), then hold it (locks, sockets, the key) until killed.
``receive NAME``: look for that secret through the same channels, print ``received {json}``: for
each channel the secret if it came through, else what the attempt met. Linux, x86_64 or arm64.
"""

import ctypes
import errno
import fcntl
import json
import os
import platform
import signal
import socket
import struct
import sys
import time

ROLE, NAME = sys.argv[1], sys.argv[2]
SECRET = ("secret-" + NAME).encode()
libc = ctypes.CDLL(None, use_errno=True)
NR = {"x86_64": (248, 249, 250, 29, 30), "aarch64": (217, 218, 219, 194, 196)}[platform.machine()]
ADD_KEY, REQUEST_KEY, KEYCTL, SHMGET, SHMAT = NR
KEY_SPEC_USER_KEYRING = -4
SHARED = os.path.realpath(os.__file__)  # a read-only kit file every sandbox sees
SHM_KEY = 0xB1172 + len(NAME)
PORT = 40000 + sum(NAME.encode()) % 20000
out: dict = {}


def syscall(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *args)
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def attempt(channel, fn):
    try:
        out[channel] = fn()
    except OSError as exc:
        out[channel] = "refused: " + errno.errorcode.get(exc.errno, str(exc.errno))
    except Exception as exc:  # noqa: BLE001 - a probe reports what it met
        out[channel] = f"refused: {type(exc).__name__}"


def send():
    fd = os.open(SHARED, os.O_RDONLY)
    keep = []
    attempt("keyring", lambda: syscall(ADD_KEY, b"user", NAME.encode(), SECRET, len(SECRET), KEY_SPEC_USER_KEYRING))
    attempt("flock", lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB) or "held")
    attempt("record_lock", lambda: fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 7) or "held")

    def abstract():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(b"\0blitz-" + NAME.encode())
        s.listen(4)
        keep.append(s)
        return "listening"

    def tcp():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", PORT))
        s.listen(4)
        keep.append(s)
        return "listening"

    def sysv():
        shm = syscall(SHMGET, SHM_KEY, 4096, 0o1666)  # IPC_CREAT | 0666
        libc.shmat.restype = ctypes.c_void_p
        addr = libc.shmat(shm, None, 0)
        ctypes.memmove(addr, SECRET, len(SECRET))
        return "written"

    def posix_shm():
        with open(f"/dev/shm/blitz-{NAME}", "wb") as f:
            f.write(SECRET)
        return "written"

    def tmp():
        with open(f"/tmp/blitz-{NAME}", "wb") as f:
            f.write(SECRET)
        return "written"

    def signals():  # signal every process whose command line names the receiver
        hit = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    named = b"receive\0" + NAME.encode() in f.read()
                with open(f"/proc/{pid}/status") as f:  # only once it catches SIGUSR1 (bit 10 of SigCgt)
                    caught = [int(line.split()[1], 16) for line in f if line.startswith("SigCgt:")]
                if named and caught and caught[0] & (1 << (signal.SIGUSR1 - 1)):
                    os.kill(int(pid), signal.SIGUSR1)
                    hit += 1
            except OSError:
                continue
        return f"signalled {hit}"

    for channel, fn in [("abstract_socket", abstract), ("loopback_tcp", tcp), ("sysv_shm", sysv)]:
        attempt(channel, fn)
    for channel, fn in [("dev_shm", posix_shm), ("tmp", tmp)]:
        attempt(channel, fn)
    print("planted " + json.dumps(out), flush=True)

    def clean(*_):  # SIGTERM (the control on the host): take back what was planted
        if isinstance(out.get("keyring"), int):
            libc.syscall(ctypes.c_long(KEYCTL), 21, out["keyring"])  # KEYCTL_INVALIDATE
        if out.get("sysv_shm") == "written":
            libc.shmctl(syscall(SHMGET, SHM_KEY, 4096, 0), 0, None)  # IPC_RMID
        for path in (f"/dev/shm/blitz-{NAME}", f"/tmp/blitz-{NAME}"):
            if out.get("dev_shm" if path.startswith("/dev") else "tmp") == "written":
                os.unlink(path)
        os._exit(0)

    signal.signal(signal.SIGTERM, clean)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        attempt("signal", signals)
        time.sleep(0.2)


def receive():
    got = []
    signal.signal(signal.SIGUSR1, lambda *_: got.append(1))
    fd = os.open(SHARED, os.O_RDONLY)

    def keyring():
        kid = syscall(REQUEST_KEY, b"user", NAME.encode(), None, 0)
        buf = ctypes.create_string_buffer(256)
        n = syscall(KEYCTL, 11, kid, buf, 256)  # KEYCTL_READ
        return buf.raw[:n].decode()

    def flock():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return SECRET.decode()  # someone holds a lock on the shared file: one bit came through
        return "no lock seen"

    def record_lock():  # F_GETLK: would a write lock on bytes 7.. conflict with one held?
        query = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 7, 1, 0)
        l_type = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))[0]
        return SECRET.decode() if l_type != fcntl.F_UNLCK else "no lock seen"

    def abstract():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(b"\0blitz-" + NAME.encode())
        return SECRET.decode()

    def tcp():
        socket.create_connection(("127.0.0.1", PORT), timeout=2)
        return SECRET.decode()

    def sysv():
        shm = syscall(SHMGET, SHM_KEY, 4096, 0)
        libc.shmat.restype = ctypes.c_void_p
        addr = libc.shmat(shm, None, 0o10000)  # SHM_RDONLY
        return ctypes.string_at(addr, len(SECRET)).decode()

    def read(path):
        with open(path, "rb") as f:
            return f.read().decode()

    attempt("keyring", keyring)
    attempt("flock", flock)
    attempt("record_lock", record_lock)
    attempt("abstract_socket", abstract)
    attempt("loopback_tcp", tcp)
    attempt("sysv_shm", sysv)
    attempt("dev_shm", lambda: read(f"/dev/shm/blitz-{NAME}"))
    attempt("tmp", lambda: read(f"/tmp/blitz-{NAME}"))
    time.sleep(1.5)  # the sender signals every 0.2 s
    out["signal"] = SECRET.decode() if got else "no signal"
    # nothing writable outside its own tmpfs: every path it can write or lock is its own
    writable = []
    for top in (
        ()
        if os.environ.get("BLITZ_PROBE_WALK") != "1"
        else ("/usr", "/etc", "/opt", "/root", "/home", "/srv", "/var", "/run", "/work")
    ):
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                p = os.path.join(root, name)
                if os.path.islink(p) or not os.access(p, os.W_OK):
                    continue
                if os.stat(p).st_rdev == os.stat("/dev/null").st_rdev and os.path.exists("/dev/null"):
                    continue  # a secret covered by /dev/null: writes vanish, reads are empty
                writable.append(p)
            if root.count("/") > 6:
                dirs[:] = []
    out["writable_shared"] = writable[:20]
    print("received " + json.dumps(out), flush=True)


send() if ROLE == "send" else receive()
