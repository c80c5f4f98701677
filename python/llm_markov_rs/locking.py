"""One writer at a time for each saved chain: training, adding to and
merging into a chain read it (or check that it is not there), build, and
save; a second writer that ran beside them would undo their work."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from llm_markov_rs.saved import SUFFIX, check_name, make_chains_folder


@contextmanager
def writing_chain(name: str) -> Iterator[None]:
    """Holds the lock of the saved chain ``name`` (a file beside it, held
    by the operating system and let go when the process ends, however it
    ends) from before its file is first looked at until it is saved. A
    writer that finds it held says so on stderr and waits its turn, then
    sees what the other saved."""
    # Imported here: llm imports the plugin on every command, and only
    # writers need it.
    from filelock import FileLock, Timeout

    lock_path = make_chains_folder() / f".{check_name(name)}{SUFFIX}.lock"
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(
            f"Waiting for another process that is writing the chain '{name}' "
            f"(it holds {lock_path})",
            file=sys.stderr,
            flush=True,
        )
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
