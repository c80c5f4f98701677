"""What a saved chain is, read from its file's header alone: for ``llm
markov list`` and ``info``, and what :func:`train_chain` returns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_markov_rs.errors import MarkovError
from llm_markov_rs.saved import chain_path, missing_chain, unreadable_chain


@dataclass(frozen=True)
class SavedChainInfo:
    """What a saved chain's file says about it, read from its header alone."""

    name: str
    path: Path
    order: int
    word_count: int
    vocabulary_size: int
    state_count: int
    distinct_transition_count: int
    file_size: int
    trained_from: list[str]
    trained_at: str | None
    created_by: str | None

    def as_json(self) -> dict[str, Any]:
        """The fields as ``llm markov list --json`` prints them."""
        return {
            "name": self.name,
            "model": f"markov/{self.name}",
            "path": str(self.path),
            "order": self.order,
            "words": self.word_count,
            "distinct_words": self.vocabulary_size,
            "states": self.state_count,
            "distinct_transitions": self.distinct_transition_count,
            "file_size": self.file_size,
            "trained_from": self.trained_from,
            "trained_at": self.trained_at,
            "created_by": self.created_by,
        }


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
    from llm_markov_rs.native import load_native

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
    return SavedChainInfo(
        name=name,
        path=path,
        order=header["order"],
        word_count=header["word_count"],
        vocabulary_size=header["vocabulary_size"],
        state_count=header["state_count"],
        distinct_transition_count=header["distinct_transition_count"],
        file_size=size,
        trained_from=[str(source) for source in trained_from]
        if isinstance(trained_from, list)
        else [],
        trained_at=_text_or_none(metadata.get("trained_at")),
        created_by=_text_or_none(metadata.get("created_by")),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
