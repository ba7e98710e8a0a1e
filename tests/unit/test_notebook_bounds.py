"""blitz.grading.notebook.bounded: in the grader's process, nbclient keeps at most CELL_BYTES of what a
cell's kernel sends (then one note, then nothing), the notebook's cells at most NOTEBOOK_BYTES together, the
kernel's status still ends the cell, every zmq socket drops a peer whose message is over MAX_MESSAGE, code
cells past NOTEBOOK_TIMEOUTS cell timeouts are not run, and each notebook is counted afresh."""

from __future__ import annotations

import time

import nbformat
import pytest
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbformat.v4 import new_code_cell, new_notebook

from blitz.grading.notebook import bounded

MIB = 1 << 20


@pytest.fixture
def client(monkeypatch):
    # install() patches the classes of this process: put them back afterwards
    monkeypatch.setattr(NotebookClient, "process_message", NotebookClient.process_message)
    monkeypatch.setattr(zmq.Context, "socket", zmq.Context.socket)
    for name in ("async_execute_cell", "execute_cell", "reset_execution_trackers", "_async_poll_for_reply"):
        monkeypatch.setattr(NotebookClient, name, getattr(NotebookClient, name))
    bounded.install()
    bounded.install()  # once is what counts: a second call wraps nothing again
    made = NotebookClient(new_notebook(), record_timing=False)
    made.reset_execution_trackers()  # what executing a notebook, then a cell, sets up first
    made.clear_before_next_output = False
    return made


def stream(text: str) -> dict:
    return {
        "msg_type": "stream",
        "parent_header": {"msg_id": "m"},
        "header": {"msg_type": "stream"},
        "content": {"name": "stdout", "text": text},
    }


def test_a_cell_keeps_at_most_its_share_then_one_note(client):
    cell, other = new_code_cell("flood()"), new_code_cell("print('hi')")
    chunk = "x" * MIB
    for _ in range(bounded.CELL_BYTES // MIB + 20):
        client.process_message(stream(chunk), cell, 0)
    kept = [len(o["text"]) for o in cell.outputs if o.get("name") == "stdout"]  # numbers: short failure messages
    assert sum(kept) <= bounded.CELL_BYTES and len(kept) >= bounded.CELL_BYTES // MIB - 1, (sum(kept), len(kept))
    notes = [o["data"]["text/plain"] for o in cell.outputs if o["output_type"] == "display_data"]
    assert len(notes) == 1, len(notes)
    assert "32 MiB" in notes[0] and "32 MiB" in notes[0].split("\n", 1)[1], notes[0]  # zh, then en
    with pytest.raises(CellExecutionComplete):  # the kernel's idle still ends the flooding cell
        client.process_message({**stream(""), "msg_type": "status", "content": {"execution_state": "idle"}}, cell, 0)
    client.process_message(stream("hi\n"), other, 1)  # another cell has its own share
    assert [o["text"] for o in other.outputs] == ["hi\n"]
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell, other]))


def test_the_notebooks_cells_together_keep_at_most_theirs(client):
    """Many cells, each under its own share: past the notebook's share every later cell keeps nothing but
    one note (the same bytes spread over cells cannot pass either)."""
    cells = [new_code_cell(f"print({i})") for i in range(bounded.NOTEBOOK_BYTES // (8 * MIB) + 6)]
    for index, cell in enumerate(cells):
        for _ in range(8):
            client.process_message(stream("y" * MIB), cell, index)
    kept = sum(len(o["text"]) for c in cells for o in c.outputs if o["output_type"] == "stream")
    notes = [o["data"]["text/plain"] for c in cells for o in c.outputs if o["output_type"] == "display_data"]
    assert kept <= bounded.NOTEBOOK_BYTES and kept >= bounded.NOTEBOOK_BYTES - 8 * MIB, kept
    assert len(notes) in (6, 7) and all("notebook" in n and "128 MiB" in n for n in notes), notes[:2]
    last = [[o["output_type"] for o in c.outputs] for c in cells[-6:]]  # nothing but the note, once each
    assert last == [["display_data"]] * 6, last


def test_what_nbclient_would_keep_of_any_message_is_counted(client):
    """nbclient keeps an `execution_count` of any message in the cell: a status message keeps nothing but its
    state, and a stream message with more than its name and text is measured whole."""
    cell = new_code_cell("x")
    huge = "9" * (bounded.CELL_BYTES + MIB)
    client.process_message(
        {**stream(""), "msg_type": "status", "content": {"execution_state": "busy", "execution_count": huge}}, cell, 0
    )
    assert cell.get("execution_count") is None
    client.process_message({**stream(""), "content": {"name": "stdout", "text": "", "execution_count": huge}}, cell, 0)
    assert cell.get("execution_count") is None and [o["output_type"] for o in cell.outputs] == ["display_data"]


def test_a_cells_reply_keeps_a_short_error_and_counts_it(client):
    """nbgrader copies an error reply's name, value and traceback into the cell: they are cut short, nothing
    else of the reply is kept, and once the notebook's share is spent an error reply says only that."""
    assert getattr(NotebookClient._async_poll_for_reply, bounded.MARK, False)  # installed: every reply goes here
    huge = {
        "status": "error",
        "ename": "E" * MIB,
        "evalue": "v" * MIB,
        "traceback": ["t" * MIB] * 50,
        "extra": "x" * MIB,
    }
    slim = bounded._slim_reply(client, {"msg_type": "execute_reply", "content": {**huge, "execution_count": 3}})[
        "content"
    ]
    assert sorted(slim) == ["ename", "evalue", "execution_count", "status", "traceback"]
    assert (
        len(slim["ename"]) <= 256
        and len(slim["evalue"]) <= 4096
        and len("".join(slim["traceback"])) <= bounded.REPLY_BYTES
    )
    assert bounded._slim_reply(client, {"content": {"status": "ok", "payload": ["p" * MIB]}})["content"] == {
        "status": "ok"
    }
    client.__dict__[bounded._STATE]["total"] = bounded.NOTEBOOK_BYTES
    late = bounded._slim_reply(client, {"content": huge})["content"]
    assert late == {"status": "error", "ename": "OutputLimit", "evalue": "", "traceback": []}


def test_the_next_notebook_is_counted_afresh(client):
    """nbconvert's Execute runs one notebook after another (a serial nbgrader run: every student): what one
    student's cells sent never cuts another's."""
    flooded = new_code_cell("flood()")
    for _ in range(bounded.CELL_BYTES // MIB + 2):
        client.process_message(stream("x" * MIB), flooded, 0)
    client.reset_execution_trackers()  # what Execute does for the next notebook
    client.clear_before_next_output = False
    fresh = new_code_cell("print('hi')")
    client.process_message(stream("hi\n"), fresh, 0)
    assert [o["text"] for o in fresh.outputs] == ["hi\n"]


def test_cells_past_the_notebooks_time_are_not_run(client):
    """Past NOTEBOOK_TIMEOUTS cell timeouts, a code cell is not sent to the kernel (there is none here) and
    says why."""
    client.timeout = 10
    client.__dict__[bounded._STARTED] = time.monotonic() - bounded.NOTEBOOK_TIMEOUTS * 10 - 1
    late = client.execute_cell(new_code_cell("while True: pass"), 3)
    assert [(o["output_type"], o["ename"]) for o in late.outputs] == [("error", "NotebookTimeLimit")]
    assert "100 s" in late.outputs[0]["evalue"] and "not run" in late.outputs[0]["evalue"]
    client.reset_execution_trackers()  # the next notebook has its own time
    assert bounded._STARTED not in client.__dict__


def test_every_socket_refuses_oversized_messages(client):
    context = zmq.Context()
    sock = context.socket(zmq.SUB)
    try:
        limit = sock.getsockopt(zmq.MAXMSGSIZE)
    finally:
        sock.close(linger=0)
        context.term()
    assert limit == bounded.MAX_MESSAGE
