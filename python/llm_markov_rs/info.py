"""What a saved chain's file says about it, read from its header alone:
for ``llm markov list`` and ``info``, and what training returns.

Apart from ``saved`` because llm imports the plugin (and its commands) on
every command: a dataclass costs about 2 ms to create, which only the
commands that show a chain should pay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.saved import chain_path, missing_chain, unreadable_chain


@dataclass(frozen=True)
class SavedChainInfo:
    """What a saved chain's file says about it, read from its header alone."""

    name: str
    path: Path
    #: What the chain is made of: "words", "lines", "unicode" or "chars".
    tokens: str
    #: Whether the file keeps the copy guard's index, which max_copy needs.
    copy_guard: bool
    #: How many bytes of the file that index takes (0 without one).
    copy_index_bytes: int
    order: int
    token_count: int
    #: How many transitions the chain learned: one per word after the first
    #: ``order`` of each document, times its weight in a merge.
    transition_count: int
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

    def as_json(self) -> dict[str, Any]:
        """The fields as ``llm markov list --json`` and ``info --json``
        print them: the names of the chain's own attributes."""
        return {
            "name": self.name,
            "model": f"markov/{self.name}",
            "path": str(self.path),
            "tokens": self.tokens,
            "copy_guard": self.copy_guard,
            "copy_index_bytes": self.copy_index_bytes,
            "order": self.order,
            "token_count": self.token_count,
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
    else, as from another writer, reads as no metadata. So does JSON nested
    deeper than Python's parser goes (the file format bounds the metadata's
    bytes, not its depth)."""
    try:
        metadata = json.loads(text) if text else {}
    except (ValueError, RecursionError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def recorded_sources(metadata: dict[str, Any]) -> tuple[list[str], int]:
    """The sources a chain's metadata names (the first ones), and how many
    it was learned from in all."""
    trained_from = metadata.get("trained_from")
    named = (
        [str(source) for source in trained_from]
        if isinstance(trained_from, list)
        else []
    )
    count = metadata.get("source_count")
    return named, count if isinstance(count, int) and count >= len(named) else len(
        named
    )


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
    sources, source_count = recorded_sources(metadata)
    return SavedChainInfo(
        name=name,
        path=path,
        tokens=header["tokens"],
        copy_guard=header["copy_index"],
        copy_index_bytes=header["copy_index_bytes"],
        order=header["order"],
        token_count=header["token_count"],
        transition_count=header["transition_count"],
        vocabulary_size=header["vocabulary_size"],
        state_count=header["state_count"],
        distinct_transition_count=header["distinct_transition_count"],
        file_size=size,
        trained_from=sources,
        source_count=source_count,
        trained_at=_text_or_none(metadata.get("trained_at")),
        created_by=_text_or_none(metadata.get("created_by")),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
