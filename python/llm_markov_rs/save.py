"""Saving a chain under a name, with the metadata that ``llm markov list``
and ``info`` show: what it was learned from, when, and by what."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from llm_markov_rs.errors import load_native
from llm_markov_rs.info import SavedChainInfo, read_info
from llm_markov_rs.saved import TRAINED_FROM_SHOWN, chain_path, make_chains_folder

if TYPE_CHECKING:
    from llm_markov_rs._markov import Chain
    from llm_markov_rs.reading import ProgressCallback


def save_chain(
    name: str,
    chain: Chain,
    sources: list[str],
    source_count: int,
    extra: dict[str, Any],
    progress: ProgressCallback | None = None,
) -> SavedChainInfo:
    """Save ``chain`` atomically as ``name``, learned from ``sources`` (the
    first ones of ``source_count``), with ``extra`` metadata; ``progress``
    hears ``("indexing", 0, 0)`` while a copy index whose sort was deferred
    (a trained or merged chain's) is sorted, ``("planning", 0, 0)`` while
    the plan for sentences the file keeps is found, then ``("saving", bytes
    written, file size)``, or ``"indexing and saving"`` when the save sorts
    a long text's copy index a window at a time."""
    metadata = {
        # The first sources by name, and how many there were: a chain
        # trained on many files keeps small metadata.
        "trained_from": sources[:TRAINED_FROM_SHOWN],
        "source_count": source_count,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **extra,
        "created_by": f"llm-markov-rs {load_native().__version__}",
    }
    # Sorted here, where Ctrl-C can stop it, rather than inside the save.
    chain.sort_copy_index(progress)
    make_chains_folder()
    chain.save(
        str(chain_path(name)), json.dumps(metadata, ensure_ascii=False), progress
    )
    return read_info(name)
