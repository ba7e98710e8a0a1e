"""Kernel limits for one sandbox: a cgroup of its own (v2, or v1 controllers), detected once.

A cgroup counts everything its processes use, whatever they do: every process and thread
(``pids``), every page of anonymous memory, shared memory (SysV, ``mmap(MAP_SHARED)``, POSIX
shm) and tmpfs (``memory``), and it shares the CPU fairly between sandboxes however many
spinning processes or sessions one of them starts (``cpu``: the same weight for every
sandbox, and a quota of ``cpu_threads`` cores).

The grader's process joins nothing: the child joins its cgroup between fork and exec (it writes
``0`` to ``cgroup.procs`` descriptors opened beforehand), so everything the sandbox ever starts is
inside. :meth:`Cgroup.destroy` kills every task in it (``cgroup.kill`` on v2, the freezer on v1),
waits until it is empty, and removes it. Cgroups are made below the grader's own cgroup (v1) or beside it (v2), named
``blitz-<grader pid>-<token>``; ones left by a grader killed with SIGKILL are removed by the
next grader that finds them (only when their grader is gone and they are empty).
"""

from __future__ import annotations

import os
import signal
import threading
import time

from blitz.execution.lifetime import pid_alive

__all__ = ["Cgroup", "detect", "CgroupError", "sweep_stale"]

V1_CONTROLLERS = ("memory", "pids", "cpu", "freezer")
V2_CONTROLLERS = ("memory", "pids", "cpu")
PERIOD_US = 100_000


class CgroupError(OSError):
    """No cgroup could be made for a sandbox (the caller falls back to rlimits)."""


def _read(path: str) -> str:
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(value)


def _own_cgroups() -> dict[str, str]:
    """controller (or "" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    found: dict[str, str] = {}
    for line in _read("/proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for name in parts[1].split(",") if parts[1] else [""]:
                found[name] = parts[2]
    return found


def _cgroup_mounts() -> list[tuple[str, str, set[str]]]:
    """(fstype, mount point, super options) of every cgroup filesystem."""
    out = []
    for line in _read("/proc/self/mountinfo").splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            out.append((tail[0], fields[4].replace("\\040", " "), set(tail[2].split(","))))
    return out


def _detect_v2(mounts, own) -> dict | None:
    """The sandboxes' cgroups go beside the grader's own (below its parent, which already hands
    the controllers down to it), or below the root, which may hand them down itself: a cgroup
    that holds processes (the grader's) may not have children with controllers."""
    for fstype, point, _ in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        mine = os.path.normpath(point + own[""])
        try:
            available = set(_read(os.path.join(mine, "cgroup.controllers")).split())
        except OSError:
            continue
        at_root = mine == os.path.normpath(point)
        base = mine if at_root else os.path.dirname(mine)
        wanted = [c for c in V2_CONTROLLERS if c in available]
        if at_root and {"memory", "pids"} <= available:
            try:
                enabled = set(_read(os.path.join(base, "cgroup.subtree_control")).split())
                if not set(wanted) <= enabled:
                    _write(os.path.join(base, "cgroup.subtree_control"), " ".join(f"+{c}" for c in wanted))
            except OSError as exc:
                return {
                    "version": None,
                    "why": f"cgroup v2 at {base} cannot hand down its controllers ({exc.strerror})",
                }
        if not {"memory", "pids"} <= available:
            continue  # a hybrid host: the controllers are v1's
        if not os.access(base, os.W_OK):
            return {"version": None, "why": f"cgroup v2 at {base} is not writable"}
        return {"version": "v2", "bases": {"": base}, "controllers": wanted, "why": ""}
    return None


def _detect_v1(mounts, own) -> dict | None:
    bases = {}
    for fstype, point, options in mounts:
        if fstype != "cgroup":
            continue
        for controller in V1_CONTROLLERS:
            if controller in options and controller in own and controller not in bases:
                base = os.path.normpath(point + own[controller])
                if os.access(base, os.W_OK):
                    bases[controller] = base
    if "memory" not in bases:
        return None
    return {"version": "v1", "bases": bases, "controllers": list(bases), "why": ""}


_lock = threading.Lock()
_found: dict | None = None


def detect() -> dict:
    """Cached: ``{"version": "v1" | "v2" | None, "bases", "controllers", "why"}``."""
    global _found
    with _lock:
        if _found is None:
            try:
                mounts, own = _cgroup_mounts(), _own_cgroups()
                v2 = _detect_v2(mounts, own)
                _found = v2 if v2 and v2["version"] else (_detect_v1(mounts, own) or v2)
            except OSError as exc:
                _found = {"version": None, "why": f"cannot read the cgroups ({exc.strerror})"}
            if _found is None:
                _found = {"version": None, "why": "no writable memory cgroup (v1 or v2) here"}
            if _found["version"] is None and os.geteuid() != 0:
                _found["why"] += "; the grader is not root"
            _found.setdefault("bases", {})
            _found.setdefault("controllers", [])
        return _found


def _sweep(base: str) -> None:
    """Remove the empty cgroups a grader killed with SIGKILL left behind."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "blitz" and parts[1].isdigit() and not pid_alive(int(parts[1])):
            try:
                os.rmdir(os.path.join(base, name))
            except OSError:
                pass


def sweep_stale() -> None:
    """Remove the empty cgroups of graders that are gone (a notebook kernel's launcher killed by
    Jupyter with SIGKILL): what `blitz course-autograde` runs when it is done."""
    for base in detect().get("bases", {}).values():
        _sweep(base)


class Cgroup:
    """One sandbox's cgroup(s): made with their limits, joined by the child, destroyed after."""

    def __init__(self, token: str, memory_bytes: int, pids: int, cpu_cores: float):
        info = detect()
        if info["version"] is None:
            raise CgroupError(info["why"])
        self.version = info["version"]
        self.name = f"blitz-{os.getpid()}-{token}"
        self.dirs: dict[str, str] = {}
        self.fds: list[int] = []
        try:
            for controller, base in info["bases"].items():
                _sweep(base)
                path = os.path.join(base, self.name)
                os.mkdir(path, 0o700)
                self.dirs[controller] = path
            self._limit(info["controllers"], int(memory_bytes), int(pids), float(cpu_cores))
            for path in self.dirs.values():
                self.fds.append(os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC))
        except OSError as exc:
            self.destroy()
            raise CgroupError(f"cannot make a cgroup: {exc}") from exc

    def _file(self, controller: str, name: str) -> str:
        return os.path.join(self.dirs["" if self.version == "v2" else controller], name)

    def _limit(self, controllers: list[str], memory: int, pids: int, cores: float) -> None:
        quota = max(1000, int(cores * PERIOD_US))
        if self.version == "v2":
            _write(self._file("", "memory.max"), str(memory))
            try:
                _write(self._file("", "memory.swap.max"), "0")
            except OSError:  # no swap accounting: nothing to cap
                pass
            _write(self._file("", "pids.max"), str(pids))
            if "cpu" in controllers:
                _write(self._file("", "cpu.weight"), "100")
                _write(self._file("", "cpu.max"), f"{quota} {PERIOD_US}")
            return
        _write(self._file("memory", "memory.limit_in_bytes"), str(memory))
        try:
            _write(self._file("memory", "memory.memsw.limit_in_bytes"), str(memory))
        except OSError:  # no swap accounting: nothing to cap
            pass
        if "pids" in self.dirs:
            _write(self._file("pids", "pids.max"), str(pids))
        if "cpu" in self.dirs:
            _write(self._file("cpu", "cpu.shares"), "1024")
            _write(self._file("cpu", "cpu.cfs_period_us"), str(PERIOD_US))
            _write(self._file("cpu", "cpu.cfs_quota_us"), str(quota))

    def join_in_child(self) -> None:
        """Between fork and exec: put the calling process in every controller's cgroup."""
        for fd in self.fds:
            os.write(fd, b"0")

    def close_fds(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []

    def pids(self) -> list[int]:
        path = self.dirs.get("pids") or self.dirs.get("memory") or self.dirs.get("")
        if not path:
            return []
        try:
            return [int(x) for x in _read(os.path.join(path, "cgroup.procs")).split()]
        except (OSError, ValueError):
            return []

    def oom_killed(self) -> bool:
        """Did the kernel kill a process of this sandbox at its memory limit?"""
        return self.oom_kills() > 0

    def oom_kills(self) -> int:
        """How many processes of this sandbox the kernel has killed at its memory limit."""
        try:
            if self.version == "v2":
                text = _read(self._file("", "memory.events"))
            else:
                text = _read(self._file("memory", "memory.oom_control"))
        except (OSError, KeyError):
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def kill_all(self, seconds: float = 10.0) -> bool:
        """SIGKILL every task, until none is left (or `seconds` pass). True when empty."""
        deadline = time.monotonic() + seconds
        if self.version == "v2":
            try:
                _write(self._file("", "cgroup.kill"), "1")
            except OSError:
                pass
        frozen = self._freeze("FROZEN")
        while True:
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if frozen:  # killed while frozen: they die as soon as they thaw
                self._freeze("THAWED")
                frozen = False
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        if frozen:
            self._freeze("THAWED")
        return True

    def _freeze(self, state: str) -> bool:
        if "freezer" not in self.dirs:
            return False
        try:
            _write(self._file("freezer", "freezer.state"), state)
        except OSError:
            return False
        if state == "FROZEN":  # a fork bomb cannot outrun the kill once frozen
            for _ in range(100):
                try:
                    if _read(self._file("freezer", "freezer.state")).strip() == "FROZEN":
                        break
                except OSError:
                    return False
                time.sleep(0.005)
        return True

    def destroy(self) -> bool:
        """Kill everything in it and remove it. True when nothing is left behind."""
        self.close_fds()
        clean = self.kill_all() if self.dirs else True
        for controller, path in list(self.dirs.items()):
            for _ in range(200):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # tasks still leaving (zombies being reaped)
                    time.sleep(0.01)
            else:
                clean = False
                continue
            del self.dirs[controller]
        return clean and not self.dirs
