"""What a student's kernel can make the grader hold, memory and time: bounded on the grader's side.

nbclient (in nbgrader's process, and in the repair's client) keeps every output a cell sends until the cell
ends, and a cell may print without end for its whole timeout: ``while True: print("x" * 1000)`` for 10 s
made nbgrader's process hold 1.3 GB; at the course's default of 180 s it would take the grading machine's
memory. Nothing in the kernel can be trusted to bound it (the student's code runs there and may write to
the kernel's sockets itself), so, in the grader's process (:func:`install`, before nbgrader starts), for
each notebook (nbgrader's Execute runs one after another: all is counted again for the next):

- the notebook's code cells run for at most ``NOTEBOOK_TIMEOUTS`` cell timeouts together (nbgrader's cell
  timeout bounds each one, not how many there are); a cell that would start later is not run, and its
  output is an error that says so;
- every zmq socket it makes drops a peer that sends a message over ``MAX_MESSAGE`` bytes (``ZMQ_MAXMSGSIZE``,
  enforced by libzmq as the bytes arrive: one message is never held whole); the cell then times out;
- a cell keeps at most ``CELL_BYTES`` of what the kernel sent while it ran (outputs, displays, comm
  messages: every iopub message but the kernel's status), and the notebook's cells at most
  ``NOTEBOOK_BYTES`` together; the rest is not kept, and one note in the cell's output (display data,
  which nbgrader keeps) says so, in both languages; each cell's execute reply keeps its status and an
  error's name, value and traceback only, cut short (``REPLY_BYTES``) and counted with the outputs.
"""

from __future__ import annotations

import json
import time

MAX_MESSAGE = 256 << 20  # one kernel message: what a print loop sends between two flushes fits (tens of MB)
CELL_BYTES = 32 << 20  # all that one cell sends; nbgrader keeps 1,000 lines of it anyway (LimitOutput)
NOTEBOOK_BYTES = 128 << 20  # all that the notebook's cells send together (many cells, each under CELL_BYTES)
REPLY_BYTES = 64 << 10  # of an error's traceback in a cell's execute reply (nbgrader copies it into the cell)
# All the notebook's cells together may run this many cell timeouts (nbclient's `timeout`); later cells are
# not run but get an error output saying so. A notebook of many cells that each loop until the timeout would
# otherwise keep its nbgrader process for cells x timeout (the scores come from the kit's checks, not these runs).
NOTEBOOK_TIMEOUTS = 10
MARK = "blitz_bounded"  # on a wrapper: installed already
_STATE = "_blitz_bytes_seen"  # on the client: what the kernel sent, per cell and in all
_STARTED = "_blitz_started"  # on the client: when its first code cell started (time.monotonic)


def _counts(client) -> dict:
    """What the kernel sent for the notebook now running: bytes per cell, in all, and the cells noted."""
    return client.__dict__.setdefault(_STATE, {"cells": {}, "total": 0, "noted": set()})


def _size(msg: dict) -> int:
    content = msg.get("content")
    if msg.get("msg_type") == "stream" and isinstance(content, dict) and set(content) <= {"name", "text"}:
        return len(str(content.get("text", ""))) + len(str(content.get("name", ""))) + 64  # the common case, cheap
    try:
        return len(json.dumps(content, default=str))
    except (TypeError, ValueError, RecursionError):
        return NOTEBOOK_BYTES + 1  # what cannot be measured is not kept


def _note(whole_notebook: bool):
    from nbformat.v4 import new_output

    from blitz.course.i18n import tr

    if whole_notebook:
        text = tr(
            "blitz: the notebook's cells sent more than {mib} MiB of output; the rest was not kept.",
            mib=NOTEBOOK_BYTES >> 20,
        )
    else:
        text = tr("blitz: this cell sent more than {mib} MiB of output; the rest was not kept.", mib=CELL_BYTES >> 20)
    # display data, not a stream: nbgrader's LimitOutput drops every stream output past 1,000 lines
    return new_output("display_data", data={"text/plain": text.render("both")})


def _slim(status: dict) -> dict:
    """A status message with nothing but its state: nbclient would keep any `execution_count` in it."""
    content = status.get("content")
    state = content.get("execution_state") if isinstance(content, dict) else None
    return {**status, "content": {"execution_state": state if isinstance(state, str) and len(state) < 64 else ""}}


def _bounded(process_message):
    def process(self, msg, cell, cell_index):
        if msg.get("msg_type") == "status":  # the kernel's busy/idle always counts (it ends the cell), and
            return process_message(self, _slim(msg), cell, cell_index)  # nothing else of it is kept
        state = _counts(self)
        cells = state["cells"]
        over = cells.get(cell_index, 0) > CELL_BYTES or state["total"] > NOTEBOOK_BYTES
        if not over:  # past a limit nothing is measured: a flood's backlog drains as fast as the kernel sent it
            size = _size(msg)
            cells[cell_index] = cells.get(cell_index, 0) + size
            state["total"] += size
            over = cells[cell_index] > CELL_BYTES or state["total"] > NOTEBOOK_BYTES
        if not over:
            return process_message(self, msg, cell, cell_index)
        if cell_index not in state["noted"]:  # one note per cell
            state["noted"].add(cell_index)
            cell.outputs.append(_note(whole_notebook=cells.get(cell_index, 0) <= CELL_BYTES))
        return None

    return process


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _slim_reply(self, reply: dict) -> dict:
    """A cell's execute reply with what nbclient and nbgrader read of it (its status, an error's name, value
    and traceback: nbgrader copies them into the cell), each cut short, and counted with the notebook's
    outputs: a kernel could otherwise make every cell's reply carry a message's worth."""
    found = reply.get("content")
    content: dict = found if isinstance(found, dict) else {}
    state = _counts(self)
    slim: dict = {"status": _text(content.get("status"), 64)}
    if isinstance(content.get("execution_count"), int):
        slim["execution_count"] = content["execution_count"]
    if slim["status"] == "error":
        traceback = content.get("traceback")
        lines, left = [], REPLY_BYTES
        for line in traceback if isinstance(traceback, list) else []:
            line = _text(line, left)
            lines.append(line)
            left -= len(line) + 1
            if left <= 0:
                break
        slim.update(ename=_text(content.get("ename"), 256), evalue=_text(content.get("evalue"), 4096), traceback=lines)
        state["total"] += REPLY_BYTES - left + 4352
        if state["total"] > NOTEBOOK_BYTES:
            slim.update(ename="OutputLimit", evalue="", traceback=[])
    return {**reply, "content": slim}


def _replies_slimmed(poll_for_reply):
    async def poll(self, *args, **kwargs):
        return _slim_reply(self, await poll_for_reply(self, *args, **kwargs))

    return poll


def _not_run(seconds: float):
    from nbformat.v4 import new_output

    from blitz.course.i18n import tr

    text = tr(
        "blitz: the notebook ran past its time limit of {seconds:.0f} s ({n} cell timeouts); this cell was not run.",
        seconds=seconds,
        n=NOTEBOOK_TIMEOUTS,
    ).render("both")
    return new_output("error", ename="NotebookTimeLimit", evalue=text, traceback=[text])


def _deadlined(async_execute_cell):
    async def execute(self, cell, cell_index, *args, **kwargs):
        if cell.get("cell_type") == "code" and self.timeout:
            started = self.__dict__.setdefault(_STARTED, time.monotonic())
            limit = NOTEBOOK_TIMEOUTS * float(self.timeout)
            if time.monotonic() - started > limit:
                cell.outputs = [_not_run(limit)]
                return cell
        return await async_execute_cell(self, cell, cell_index, *args, **kwargs)

    return execute


def _resetting(reset_execution_trackers):
    def reset(self):
        reset_execution_trackers(self)
        self.__dict__.pop(_STATE, None)  # per notebook: nbconvert's Execute runs one notebook after another
        self.__dict__.pop(_STARTED, None)

    return reset


def _limited(socket):
    def make(self, *args, **kwargs):
        import zmq

        sock = socket(self, *args, **kwargs)
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        return sock

    return make


def _patch(owner, name: str, wrap) -> None:
    """Replace ``owner.name`` by ``wrap(owner.name)``, marked, unless it is one of these wrappers already."""
    current = getattr(owner, name)
    if not getattr(current, MARK, False):
        wrapped = wrap(current)
        setattr(wrapped, MARK, True)
        setattr(owner, name, wrapped)


def install() -> None:
    """Bound what nbclient keeps of each cell, the size of each zmq message and the notebook's time, in this
    process (once)."""
    import zmq
    from nbclient import NotebookClient
    from nbclient.util import run_sync

    _patch(NotebookClient, "reset_execution_trackers", _resetting)
    _patch(NotebookClient, "async_execute_cell", _deadlined)
    NotebookClient.execute_cell = run_sync(NotebookClient.async_execute_cell)  # its sync twin, as nbclient makes it
    _patch(NotebookClient, "_async_poll_for_reply", _replies_slimmed)
    _patch(NotebookClient, "process_message", _bounded)
    _patch(zmq.Context, "socket", _limited)
