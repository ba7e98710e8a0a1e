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
# A unix socket's path holds at most 107 bytes; the server's is TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX.
SOCKET_PATH_MAX = 107
SOCKET_SUFFIX = len("/pymp-XXXXXXXX/listener-XXXXXXXX")
SHORT_TMP = ("/tmp", "/var/tmp", "/usr/tmp")


def start_pool_process(grader: int) -> None:
    """What every pool process does first: go when its parent (the server) goes, and when the grader goes."""
    from blitz.execution.lifetime import die_with, die_with_parent

    die_with_parent()
    die_with(grader)


def pool_context():
    """The forkserver context, its server preloaded, its socket's folder short enough."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(POOL_PRELOAD)
    _short_socket_folder()
    return context


def _short_socket_folder() -> None:
    """multiprocessing makes its folder (the server's socket) in TMPDIR on first use: under a TMPDIR too long
    for a socket's path, make it in the system's /tmp, as Python 3.14 does itself (CPython issue 132124).
    The folder is 0700 and removed when this process exits; once made, multiprocessing keeps it (a later
    call changes nothing)."""
    if len(tempfile.gettempdir()) + SOCKET_SUFFIX <= SOCKET_PATH_MAX:
        return
    short = next((d for d in SHORT_TMP if os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK)), None)
    if short is None:
        return  # the pool's start then says why (AF_UNIX path too long)
    saved = tempfile.tempdir
    tempfile.tempdir = short
    try:
        util.get_temp_dir()
    finally:
        tempfile.tempdir = saved
