"""Student code that misbehaves: endless loops, print floods, syntax errors, os._exit, segfaults.

Imported as `import hostile` by the runner's tests (pytest puts tests/ on sys.path). A folder is the
reference solutions with code planted at the start of chosen functions (the original is renamed
and called after the planted code, so a plant that returns lets the function work as before).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import kit
import mutants

LOOP = "while True: pass"
# An endless loop that waits instead of spinning. The time limits are wall-clock ones (the local supervisor's
# deadline, the sandbox's budget): it is stopped as LOOP is, with the same message, without burning a core
# for the whole limit. For tests whose point is the stop and its message, not a spinning core.
IDLE_LOOP = "while True: __import__('time').sleep(0.05)"
FLOOD = "for i in range(1000): print('line', i)"
EXIT = "import os; os._exit(3)"
SEGFAULT = "import ctypes; ctypes.string_at(0)"
SYNTAX = "\n\ndef broken(:\n    pass\n"


def plant(folder: Path, exercise: str, function: str, *code: str) -> None:
    """Run the lines of `code` first whenever `exercise.function` is called."""
    path = folder / f"{exercise}.py"
    source = path.read_text(encoding="utf-8")
    source = mutants.patched(source, f"def {function}(", f"def _original_{function}(", f"{exercise}.{function}")
    body = "".join(f"    {line}\n" for line in code)
    wrapper = f"\n\ndef {function}(*args, **kwargs):\n{body}    return _original_{function}(*args, **kwargs)\n"
    path.write_text(source + wrapper, encoding="utf-8")


def break_syntax(folder: Path, exercise: str) -> None:
    """A syntax error at the end of the file: `def broken(:`."""
    path = folder / f"{exercise}.py"
    path.write_text(path.read_text(encoding="utf-8") + SYNTAX, encoding="utf-8")


def solutions(folder: Path, only: tuple[str, ...] | None = None) -> Path:
    return mutants.build(folder, None, only)


def leftovers(marker: str, settle: float = 10.0) -> list[str]:
    """Processes still alive whose command line holds `marker` (the engine's worker is started with
    `--for FOLDER`, its children are forks of it), once those being killed have had `settle` seconds to go."""
    deadline = time.monotonic() + settle
    while True:
        alive = [pid for pid in kit.marked_processes(marker) if int(pid) != os.getpid()]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)
