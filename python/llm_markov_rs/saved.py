"""Saved chains: where they live, what they are called, and loading them
(what their headers say is in ``info``).

Each saved chain is one file, ``NAME.markov``, in the ``markov`` folder of
llm's user directory. Listing the names reads no file: llm registers a model
for each on every command, so that must stay cheap.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import llm

from llm_markov_rs.errors import MarkovError, load_native

if TYPE_CHECKING:
    from llm_markov_rs._markov import Chain
    from llm_markov_rs.reading import ProgressCallback

#: How many of its sources a chain's metadata names: the rest are counted,
#: so that training on many files keeps the metadata small.
TRAINED_FROM_SHOWN = 20

#: A saved chain's file name is its name and this suffix.
SUFFIX = ".markov"
#: Names are plain and portable: the same on every file system, whatever
#: its case rules, and safe in a model id and on a command line.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
NAME_RULE = (
    "1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or a digit"
)


def chains_folder() -> Path:
    """The folder that holds the saved chains (it may not exist yet)."""
    # llm's own function, unannotated: LLM_USER_PATH or the platform's
    # folder for llm.
    user_dir: Path = llm.user_dir()  # type: ignore[no-untyped-call]
    return user_dir / "markov"


def check_name(name: str) -> str:
    """``name`` if it can name a saved chain, else a MarkovError that says
    what a name may be."""
    if not NAME_PATTERN.fullmatch(name):
        raise MarkovError(f"'{name}' cannot name a chain: use {NAME_RULE}")
    return name


def chain_path(name: str) -> Path:
    """Where the chain called ``name`` is (or would be) saved."""
    return chains_folder() / f"{check_name(name)}{SUFFIX}"


def saved_names() -> list[str]:
    """The names of the saved chains, sorted, from the folder's listing
    alone: no file is opened. None when the folder cannot be listed: llm
    registers models on every command, and one bad path must not break
    them all; the ``llm markov`` commands say what is wrong."""
    try:
        return scan_chain_files()[0]
    except MarkovError:
        return []


def scan_chain_files() -> tuple[list[str], list[str]]:
    """From one listing of the chains' folder: the names of the saved
    chains, and the ``.markov`` files whose names are not chain names (so
    no model is registered for them), each sorted. A MarkovError when the
    folder is there but cannot be listed."""
    folder = chains_folder()
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return [], []
    except OSError as error:
        raise unusable_folder(folder, error) from None
    with entries:
        stems = sorted(
            entry.name.removesuffix(SUFFIX)
            for entry in entries
            if entry.name.endswith(SUFFIX) and not entry.name.startswith(".")
        )
    names = [stem for stem in stems if NAME_PATTERN.fullmatch(stem)]
    misnamed = [stem + SUFFIX for stem in stems if not NAME_PATTERN.fullmatch(stem)]
    return names, misnamed


def make_chains_folder() -> Path:
    """The chains' folder, made if it is not there yet, or a MarkovError
    that says why it cannot be."""
    folder = chains_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unusable_folder(folder, error) from None
    return folder


def unusable_folder(folder: Path, error: OSError) -> MarkovError:
    """The error for a chains' folder that cannot be listed or made."""
    if isinstance(error, (NotADirectoryError, FileExistsError)):
        return MarkovError(
            f"{folder}, where saved chains are kept, is a file, not a folder: "
            "move it away, and saved chains will be kept there"
        )
    return MarkovError(
        f"cannot use {folder}, where saved chains are kept: {error.strerror or error}"
    )


def missing_chain(name: str) -> MarkovError:
    """The error for a saved chain that does not exist."""
    return MarkovError(
        f"there is no saved chain called '{name}' in {chains_folder()}; "
        "'llm markov list' shows those there are, and "
        f"'llm markov train {name} FILE' makes one"
    )


def unreadable_chain(name: str, path: Path, reason: str) -> MarkovError:
    """The error for a saved chain file that cannot be used, saying why and
    what to do."""
    return MarkovError(
        f"cannot use the saved chain '{name}' ({path}): {reason} "
        f"(to train it: 'llm markov train {name} FILE --force')"
    )


# Loaded chains, kept while their file is unchanged: `llm chat` and a
# Python program prompting a saved model again pay for the load once.
_loaded: dict[Path, tuple[tuple[int, int], Chain]] = {}
_loaded_lock = threading.Lock()


def load_chain(name: str) -> Chain:
    """The saved chain ``name``, loaded and checked, or a MarkovError that
    names its file and says what to do."""
    path = chain_path(name)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise missing_chain(name) from None
    key = (status.st_mtime_ns, status.st_size)
    with _loaded_lock:
        cached = _loaded.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    chain, _metadata = load_saved(name)
    with _loaded_lock:
        _loaded[path] = (key, chain)
    return chain


def load_saved(
    name: str,
    *,
    whole: bool = False,
    plan: bool = False,
    progress: ProgressCallback | None = None,
) -> tuple[Chain, str]:
    """The saved chain ``name`` and its metadata, read and checked now (no
    cache), or a MarkovError that names its file and says what to do: the
    one place a saved chain is loaded and its errors are said. ``whole``
    also checks the copy index's order, which loading leaves out for the
    sake of prompts (``info`` and ``merge`` ask for it), reporting the
    stage ``"checking"`` to ``progress``; ``plan``, that the plan for
    sentences the file keeps is its chain's (``info`` asks for it; a merge
    makes its own)."""
    path = chain_path(name)
    if not path.exists():
        raise missing_chain(name)
    try:
        loaded: tuple[Chain, str] = load_native().Chain.load(str(path))
        if whole:
            loaded[0].check_copy_index(progress)
        if plan:
            loaded[0].check_sentences_plan()
    except MarkovError as error:
        # Every failure to read or check the file, gone since or not.
        raise unreadable_chain(name, path, str(error)) from error
    return loaded
