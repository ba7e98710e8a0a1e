"""How the grader's pool processes start (`blitz grade`'s batch, course-autograde's kit scores).

They are forked from multiprocessing's fork server, which imported POOL_PRELOAD once. The server is a fresh
interpreter started by the grader (spawned: nothing inherited of its threads) that ran no torch operation,
so there is no OpenMP pool a fork could break; spawning every pool process imported torch and the checks
again in each (about 1.5 s of CPU). A pool process's parent is the server, which lives while any pool
process holds its pipe: each pool process dies with the grader itself (blitz.execution.lifetime.die_with).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from multiprocessing import util

# What every pool process needs before its first submission: torch and every exercise's checks.
POOL_PRELOAD = ["blitz.grading.runner", "blitz.checks"]
# A unix socket's path holds at most 107 bytes; the server's is
# <folder>/blitz-mp-<pid namespace>-<pid>-XXXXXXXX/pymp-XXXXXXXX/listener-XXXXXXXX.
SOCKET_PATH_MAX = 107
SOCKET_SUFFIX = len("/blitz-mp-4026531836-4194304-XXXXXXXX/pymp-XXXXXXXX/listener-XXXXXXXX")
SHORT_TMP = ("/tmp", "/var/tmp", "/usr/tmp")
SOCKET_SCRATCH = "blitz-mp-"  # the scratch folders that hold multiprocessing's


def start_pool_process(grader: int) -> None:
    """What every pool process does first: go when its parent (the server) goes, and when the grader goes."""
    from blitz.execution.lifetime import die_with, die_with_parent

    die_with_parent()
    die_with(grader)


def pool_context():
    """The forkserver context, its server preloaded, its socket's folder in a scratch folder of this process's."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(POOL_PRELOAD)
    _socket_folder()
    return context


def _socket_folder() -> None:
    """multiprocessing makes a folder for the server's socket on first use (``pymp-*``, 0700) and removes it
    when this process exits; a grader killed with SIGKILL left it behind for good. It is made inside a
    scratch folder of this process's (:func:`blitz.execution.scratch.make`: named by its owner, swept by the
    next grader once the owner has gone, removed here at exit after multiprocessing's own), in TMPDIR, or in
    the system's /tmp where TMPDIR is too long for a socket's path (as Python 3.14 does itself, CPython issue
    132124). Once made, multiprocessing keeps its folder: a later call makes none."""
    from blitz.execution import scratch

    base = tempfile.gettempdir()
    if len(base) + SOCKET_SUFFIX > SOCKET_PATH_MAX:
        short = next((d for d in SHORT_TMP if os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK)), None)
        if short is None:
            return  # the pool's start then says why (AF_UNIX path too long)
        base = short
    owned = scratch.make(SOCKET_SCRATCH, base)
    saved = tempfile.tempdir
    tempfile.tempdir = str(owned)
    try:
        made = util.get_temp_dir()
    finally:
        tempfile.tempdir = saved
    if os.path.dirname(made) != str(owned):  # made before, elsewhere: this one holds nothing
        _remove_empty(str(owned))
        return
    # Finalizers run in descending priority: multiprocessing removes its folder at -100, this one after it.
    util.Finalize(None, _remove_empty, args=(str(owned),), exitpriority=-101)


def _remove_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass  # not empty (multiprocessing could not remove its own): the next grader's sweep takes it
