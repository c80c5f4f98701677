"""Saved chains: where they live, what they are called, what their headers
say, and loading them.

Each saved chain is one file, ``NAME.markov``, in the ``markov`` folder of
llm's user directory. Listing the names reads no file: llm registers a model
for each on every command, so that must stay cheap.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import llm

from llm_markov_rs.errors import MarkovError, load_native

if TYPE_CHECKING:
    from llm_markov_rs._markov import Chain

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
    alone: no file is opened."""
    return scan_chain_files()[0]


def scan_chain_files() -> tuple[list[str], list[str]]:
    """From one listing of the chains' folder: the names of the saved
    chains, and the ``.markov`` files whose names are not chain names (so
    no model is registered for them), each sorted."""
    try:
        entries = os.scandir(chains_folder())
    except FileNotFoundError:
        return [], []
    with entries:
        stems = sorted(
            entry.name.removesuffix(SUFFIX)
            for entry in entries
            if entry.name.endswith(SUFFIX) and not entry.name.startswith(".")
        )
    names = [stem for stem in stems if NAME_PATTERN.fullmatch(stem)]
    misnamed = [stem + SUFFIX for stem in stems if not NAME_PATTERN.fullmatch(stem)]
    return names, misnamed


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
        f"(to train it again: 'llm markov train {name} FILE --force')"
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
    try:
        chain: Chain
        chain, _metadata = load_native().Chain.load(str(path))
    except MarkovError as error:
        # Every failure to read or check the file, gone or not.
        raise unreadable_chain(name, path, str(error)) from error
    with _loaded_lock:
        _loaded[path] = (key, chain)
    return chain


@dataclass(frozen=True)
class SavedChainInfo:
    """What a saved chain's file says about it, read from its header alone."""

    name: str
    path: Path
    #: What the chain is made of: "words", "lines", "unicode" or "chars".
    tokens: str
    #: Whether the file keeps the copy guard's index, which max_copy needs.
    copy_guard: bool
    order: int
    word_count: int
    vocabulary_size: int
    state_count: int
    distinct_transition_count: int
    file_size: int
    #: The first sources it was trained from (at most TRAINED_FROM_SHOWN),
    #: as the train command named them.
    trained_from: list[str]
    #: How many sources it was trained from in all.
    source_count: int
    trained_at: str | None
    created_by: str | None

    @property
    def transition_count(self) -> int:
        """How many transitions the chain learned: one per word after the
        first ``order``."""
        return self.word_count - self.order

    def as_json(self) -> dict[str, Any]:
        """The fields as ``llm markov list --json`` and ``info --json``
        print them: the names of the chain's own attributes."""
        return {
            "name": self.name,
            "model": f"markov/{self.name}",
            "path": str(self.path),
            "tokens": self.tokens,
            "copy_guard": self.copy_guard,
            "order": self.order,
            "word_count": self.word_count,
            "vocabulary_size": self.vocabulary_size,
            "state_count": self.state_count,
            "transition_count": self.transition_count,
            "distinct_transition_count": self.distinct_transition_count,
            "file_size": self.file_size,
            "trained_from": self.trained_from,
            "source_count": self.source_count,
            "trained_at": self.trained_at,
            "created_by": self.created_by,
        }

    def describe_sources(self) -> str:
        """What it was trained from, in a few words: the first sources, and
        how many more there were."""
        shown = ", ".join(self.trained_from) or "?"
        more = self.source_count - len(self.trained_from)
        return f"{shown} and {more:,} more" if more > 0 else shown


def parse_metadata(text: str) -> dict[str, Any]:
    """The metadata this plugin saves with a chain (a JSON object); anything
    else, as from another writer, reads as no metadata."""
    try:
        metadata = json.loads(text) if text else {}
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def read_info(name: str) -> SavedChainInfo:
    """What the saved chain ``name`` is, from its file's header."""
    path = chain_path(name)
    try:
        size = path.stat().st_size
        header = load_native().read_chain_header(str(path))
    except FileNotFoundError:
        raise missing_chain(name) from None
    except (MarkovError, OSError) as error:
        raise unreadable_chain(name, path, str(error)) from error
    metadata = parse_metadata(header["metadata"])
    trained_from = metadata.get("trained_from")
    sources = (
        [str(source) for source in trained_from]
        if isinstance(trained_from, list)
        else []
    )
    source_count = metadata.get("source_count")
    return SavedChainInfo(
        name=name,
        path=path,
        tokens=header["tokens"],
        copy_guard=header["copy_index"],
        order=header["order"],
        word_count=header["word_count"],
        vocabulary_size=header["vocabulary_size"],
        state_count=header["state_count"],
        distinct_transition_count=header["distinct_transition_count"],
        file_size=size,
        trained_from=sources,
        source_count=source_count
        if isinstance(source_count, int) and source_count >= len(sources)
        else len(sources),
        trained_at=_text_or_none(metadata.get("trained_at")),
        created_by=_text_or_none(metadata.get("created_by")),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
