"""Merging saved chains (or chain files from elsewhere) into a new saved
chain: the chain of all their texts, each its own document."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.info import SavedChainInfo, parse_metadata, recorded_sources
from llm_markov_rs.locking import writing_chain
from llm_markov_rs.reading import ProgressCallback
from llm_markov_rs.save import save_chain
from llm_markov_rs.saved import chain_path, load_saved, make_chains_folder

#: The largest weight: the core counts a source's copies in 32 bits.
MAX_WEIGHT = 2**32 - 1

if TYPE_CHECKING:
    from llm_markov_rs._markov import Chain

#: A chain to merge: the name of a saved chain, or the path of a chain file.
ChainSource = str | os.PathLike[str]


def merge_chains(
    name: str,
    sources: Iterable[ChainSource],
    *,
    weights: Mapping[str, int] | None = None,
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> SavedChainInfo:
    """Merge the chains ``sources`` into a new chain saved as ``name``.

    Each source is the name of a saved chain, or the path of a chain file
    (a ``str`` with a ``/`` or ending in ``.markov``, or a path object).
    The result is the chain of all their texts, each text its own document:
    counts summed, each source's multiplied by its weight, ``weights[source]``
    (a whole number, at least 1; 1 when not given). Merging the chains of
    texts gives the same chain as training on the texts, whatever the order
    of the sources.

    When every source keeps the copy guard's index, the result keeps their
    texts' merged index; when one does not, the result has none, and
    ``max_copy`` on it is an error (``SavedChainInfo.copy_guard`` says which).
    Each source is checked whole, its copy index included, as ``llm markov
    info`` checks it.

    ``progress`` is called with ``(stage, done, total)``: ``"checking"`` in
    tokens of each source's copy index as it is checked, ``"merging"`` in
    states, then ``"indexing"`` (no count) while the merged texts' suffix
    array is sorted, when there is an index, ``"planning"`` (no count)
    while the plan for sentences the file keeps is found, and ``"saving"`` in bytes
    written of the file's size (``"indexing and saving"`` when the save
    sorts a long text's index a window at a time).

    The file is written atomically. Raises :class:`MarkovError` when there
    is no source, when ``name`` exists and ``replace`` is false, when a
    source cannot be found or read (naming it), when the sources differ in
    order or tokens, or when a weight is not a whole number of at least 1
    or names no source.
    """
    if isinstance(sources, (str, bytes, os.PathLike)):
        raise MarkovError(
            "sources must be a list of chain names or paths, not a single "
            f"{type(sources).__name__}; pass [source]"
        )
    sources = list(sources)
    if not sources:
        raise MarkovError("give at least one chain to merge")
    with writing_chain(name):
        path = chain_path(name)
        if path.exists() and not replace:
            raise MarkovError(
                f"a chain called '{name}' already exists ({path}); to replace it, "
                "give --force (replace=True in Python), or choose another name"
            )
        given = weights or {}
        shown = [os.fspath(source) for source in sources]
        for source, weight in given.items():
            if source not in shown:
                raise MarkovError(
                    f"a weight is given for '{source}', which is not one of the "
                    f"chains to merge ({', '.join(shown)})"
                )
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int)
                or not 1 <= weight <= MAX_WEIGHT
            ):
                raise MarkovError(
                    f"the weight of '{source}' must be a whole number from 1 to "
                    f"{MAX_WEIGHT:,}, not {weight!r}"
                )
        loaded = [_load(source, progress) for source in sources]
        first = loaded[0][0]
        for (chain, _), label in zip(loaded, shown, strict=True):
            for what, value, wanted in (
                ("order", chain.order, first.order),
                ("tokens", chain.tokens, first.tokens),
            ):
                if value != wanted:
                    raise MarkovError(
                        f"cannot merge '{label}' ({what} {value}) with '{shown[0]}' "
                        f"({what} {wanted}): only chains of the same order and "
                        "tokens merge"
                    )
        weighted = [
            (chain, given.get(label, 1))
            for (chain, _), label in zip(loaded, shown, strict=True)
        ]
        merged = load_native().Chain.merge(
            weighted, progress, spill_folder=make_chains_folder()
        )
        named: list[str] = []
        count = 0
        for _, metadata in loaded:
            source_named, source_count = recorded_sources(parse_metadata(metadata))
            named += source_named
            count += source_count
        return save_chain(name, merged, named, count, {"merged_from": shown}, progress)


def any_copy_guard(sources: Iterable[ChainSource]) -> bool:
    """Whether any of the chains ``sources`` keeps the copy guard's index,
    from their headers alone."""
    return any(
        load_native().read_chain_header(str(_path_of(source)[0]))["copy_index"]
        for source in sources
    )


def _path_of(source: ChainSource) -> tuple[Path, bool]:
    """Where the chain ``source`` is, and whether it was given by name."""
    text = os.fspath(source)
    is_name = (
        isinstance(source, str) and not text.endswith(".markov") and "/" not in text
    )
    return (chain_path(text) if is_name else Path(text)), is_name


def _load(source: ChainSource, progress: ProgressCallback | None) -> tuple[Chain, str]:
    """The chain ``source`` names and its metadata, checked whole, or a
    MarkovError that names it."""
    text = os.fspath(source)
    path, is_name = _path_of(source)
    if is_name:
        return load_saved(text, whole=True, progress=progress)
    if not path.exists():
        raise MarkovError(f"cannot merge {text}: there is no such file")
    try:
        loaded: tuple[Chain, str] = load_native().Chain.load(str(path))
        loaded[0].check_copy_index(progress)
    except MarkovError as error:
        raise MarkovError(f"cannot merge {text}: {error}") from error
    return loaded
