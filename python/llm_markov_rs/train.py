"""Training a chain once, from files or strings, and saving it to prompt it
as its own model (``markov/NAME``) as often as you like; adding text to a
saved chain."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.info import SavedChainInfo, parse_metadata, recorded_sources
from llm_markov_rs.locking import writing_chain
from llm_markov_rs.options import order_error
from llm_markov_rs.reading import (
    Piece,
    ProgressCallback,
    ReadProgress,
    Source,
    describe,
    first_cut,
    read_ahead,
    read_document,
    total_size,
)
from llm_markov_rs.save import save_chain
from llm_markov_rs.saved import (
    chain_path,
    check_name,
    load_saved,
    make_chains_folder,
)
from llm_markov_rs.threads import build_threads

if TYPE_CHECKING:
    from pathlib import Path

    from llm_markov_rs._markov import Chain, GrowingChain

__all__ = ["ProgressCallback", "Source", "train_chain"]

Kept = TypeVar("Kept", int, str, bool)

#: Text is read and built this many bytes at a time, each piece merged into
#: the chain of those before it: training then holds the chain and one
#: piece (with the copy guard, the text's token ids too, grown in place by
#: each merge), whatever the size of the text. With the copy guard, pieces
#: of 128 MiB merged fewer times, but once saving sorted a window at a time
#: their reading was the training's peak (docs/performance.md, session 23).
PIECE_BYTES = 64 << 20


def train_chain(
    name: str,
    sources: Iterable[Source],
    *,
    order: int | None = None,
    tokens: str | None = None,
    copy_guard: bool | None = None,
    encoding: str = "utf-8",
    replace: bool = False,
    add: bool = False,
    progress: ProgressCallback | None = None,
) -> SavedChainInfo:
    """Learn a chain of ``order`` (default 1) over ``tokens`` (``"words"``,
    the default, ``"lines"``, ``"unicode"`` or ``"chars"``; see ``llm models
    --options``) from ``sources``, and save it as ``name`` in llm's user
    directory, where ``llm.get_model("markov/NAME")`` finds it.

    Each source is its own document: a ``str`` of text, a path to a file in
    ``encoding``, or a binary file object. No transition crosses from one
    document to the next, so the chain is the same as merging the chains of
    each (:func:`merge_chains`). ``sources`` is a list (or other iterable) of
    them: a lone ``str`` or path is refused, since it would be read one
    character at a time.

    Text is read and built in pieces of 64 MiB. With ``copy_guard`` (the
    default) the file keeps the text as token ids and their suffix arrays,
    about 5 bytes a token, so that prompts can bound how much of the text
    they copy (``max_copy``). Training holds the text's ids (4 bytes a
    token) up to 16.8 million tokens, and keeps a longer text's in a
    temporary file in the chains' folder; saving sorts them a window of
    33.6 million tokens at a time (8 bytes a token of the window). Without
    it the file is smaller. Either way, memory grows with the chain's
    states, not with the length of the text.

    With ``add``, the chain ``name`` must exist, and the sources are added
    to it as more documents: its order, tokens and copy guard are kept
    (giving others is an error).

    ``progress`` is called with ``(stage, done, total)``: ``"training"`` in
    bytes read and built (total 0 when unknown, as for a pipe), then, with
    ``add``, ``"merging"`` in states as the text's chain is merged into the
    saved one; with the copy guard, ``"indexing"`` (no count) while its
    suffix array is sorted; ``"planning"`` (no count) while the plan for
    sentences the file keeps is found. Last, ``"saving"`` in bytes written
    of the file's size, or
    ``"indexing and saving"`` when the save sorts a long text's index a
    window at a time (over 33.6 million tokens) instead.

    The file is written atomically: an error or Ctrl-C leaves the old chain
    (or none) and no partial file. Raises :class:`MarkovError` when
    ``name`` is not a plain name, when it exists and neither ``replace``
    nor ``add`` is given (or does not exist with ``add``), when a file
    cannot be read or decoded (the message gives the byte offset), when no
    document has ``order`` tokens, or when ``LLM_MARKOV_THREADS`` (the
    threads the build may use) is not a count.
    """
    if isinstance(sources, (str, bytes, os.PathLike)):
        raise MarkovError(
            "sources must be a list of texts, paths or files, not a single "
            f"{type(sources).__name__}; for one source, pass [source]"
        )
    with writing_chain(name):
        plan = plan_training(
            name,
            order=order,
            tokens=tokens,
            copy_guard=copy_guard,
            encoding=encoding,
            replace=replace,
            add=add,
        )
        sources = list(sources)
        documents = plan.documents()
        read = ReadProgress(progress, "training", total_size(sources))
        for source in sources:
            documents.add(
                read_ahead(read_document(source, plan.codec, read, PIECE_BYTES))
            )
        described = [describe(source) for source in sources]
        chain = documents.finish(progress)
        if chain is None:
            raise plan.too_short(documents.has_words)
        return plan.save(chain, described, progress)


@dataclass(frozen=True)
class TrainingPlan:
    """What a training makes, settled before any text is read: the chain's
    name and options, and the chain it adds to, if any."""

    name: str
    order: int
    tokens: str
    copy_guard: bool
    codec: codecs.CodecInfo
    threads: int | None
    #: The saved chain that the text is added to (``add``).
    base: Chain | None
    #: The sources the base chain names, and how many it had.
    base_sources: tuple[list[str], int]

    def documents(self) -> Documents:
        """The chain of documents the plan adds to: the base chain, or an
        empty one, built as the plan says. A long copy index's text waits
        in the chains' folder, on the disk that will hold the chain, not in
        a temporary folder that may be in memory."""
        return Documents(
            order=self.order,
            tokens=self.tokens,
            copy_index=self.copy_guard,
            threads=self.threads,
            base=self.base,
            spill_folder=make_chains_folder() if self.copy_guard else None,
        )

    def added_to_base(
        self, chain: Chain, progress: ProgressCallback | None = None
    ) -> Chain:
        """``chain``, of documents trained apart from the base chain,
        merged after it (if the plan has one)."""
        if self.base is None:
            return chain
        merged: Chain = load_native().Chain.merge(
            [(self.base, 1), (chain, 1)], progress, spill_folder=make_chains_folder()
        )
        return merged

    def save(
        self,
        chain: Chain,
        described: list[str],
        progress: ProgressCallback | None = None,
    ) -> SavedChainInfo:
        """Save ``chain``, the base chain's with the sources ``described``
        added."""
        named, count = self.base_sources
        return save_chain(
            self.name,
            chain,
            named + described,
            count + len(described),
            {"encoding": self.codec.name},
            progress,
        )

    def too_short(self, has_words: bool) -> MarkovError:
        """The error for sources that made no chain at all."""
        if not has_words:
            return MarkovError(
                "markov needs some words to learn from, but the text is empty "
                "or only whitespace"
            )
        unit = "words" if self.tokens == "words" else "tokens"
        return MarkovError(
            f"order {self.order} needs a text of at least {self.order} {unit}, "
            "but no source has that many; use a lower order or give more text"
        )


def plan_training(
    name: str,
    *,
    order: int | None,
    tokens: str | None,
    copy_guard: bool | None,
    encoding: str,
    replace: bool,
    add: bool,
) -> TrainingPlan:
    """The plan of a training, as :func:`train_chain` describes its
    arguments, or the MarkovError that it cannot be."""
    path = chain_path(check_name(name))
    codec = _codec(encoding)
    base: Chain | None = None
    base_sources: tuple[list[str], int] = ([], 0)
    if add:
        if replace:
            raise MarkovError(
                "add and replace do not go together: add keeps the chain and "
                "adds to it, replace trains a new one"
            )
        base, base_metadata = load_saved(name)
        order = _kept(order, base.order, "order", name)
        tokens = _kept(tokens, base.tokens, "tokens", name)
        copy_guard = _kept(copy_guard, base.has_copy_index, "copy guard", name)
        base_sources = recorded_sources(parse_metadata(base_metadata))
    elif path.exists() and not replace:
        raise MarkovError(
            f"a chain called '{name}' already exists ({path}); to replace "
            "it, give --force (replace=True in Python), to add to it, "
            "--add (add=True), or choose another name"
        )
    order = 1 if order is None else order
    if error := order_error(order):
        raise MarkovError(error)
    return TrainingPlan(
        name=name,
        order=order,
        tokens="words" if tokens is None else tokens,
        copy_guard=True if copy_guard is None else copy_guard,
        codec=codec,
        # Checked before the text is read, which may take long.
        threads=build_threads(),
        base=base,
        base_sources=base_sources,
    )


class Documents:
    """The chain of the documents so far, after ``base`` if given: each
    built in pieces, merged in order by a ``GrowingChain`` (a balanced
    tree of merges, a long document's pieces each at once), which keeps a
    long copy index's text in a temporary file in ``spill_folder``."""

    def __init__(
        self,
        *,
        order: int,
        tokens: str,
        copy_index: bool,
        threads: int | None,
        base: Chain | None = None,
        spill_folder: Path | None = None,
    ) -> None:
        self.native = load_native()
        self.order = order
        self.tokens = tokens
        self.copy_index = copy_index
        self.threads = threads
        self.growing: GrowingChain = self.native.GrowingChain(spill_folder)
        if base is not None:
            # Grown from the saved chain, so that its text and the new
            # documents' are held once, and sorted once.
            self.growing.add(base)
        #: Whether any text so far held more than whitespace.
        self.has_words = False
        #: Whether any document had a state, and so made a chain.
        self.made_chain = False

    def add(self, pieces: Iterator[Piece]) -> None:
        """Builds the document whose text ``pieces`` gives, and merges it
        in. A piece is built once it has ``order`` tokens, carrying the
        last ``order`` to the next, so that the pieces' chains merge into
        the whole document's."""
        carried: list[str] = []
        held: Piece | None = None
        for piece in pieces:
            if held is not None:
                piece = _joined(held, piece)
            self.has_words = self.has_words or piece.has_words()
            tail = [] if piece.is_last else last_tokens(piece, self.order, self.tokens)
            if not piece.is_last and len(tail) < self.order:
                held = piece
                continue
            held = None
            try:
                built = self.native.Chain.build_piece(
                    piece.text,
                    self.order,
                    carried,
                    piece.is_last,
                    # Reading reports the progress of a training.
                    None,
                    self.tokens,
                    self.copy_index,
                    self.threads,
                    None if isinstance(piece.text, str) else piece.end,
                )
            except UnicodeDecodeError as error:
                raise piece.decode_error(error.start) from None
            del piece
            carried = tail
            if built is not None:
                self.growing.add(built)
                self.made_chain = True

    def finish(self, progress: ProgressCallback | None = None) -> Chain | None:
        """The chain of the base and every document added, its copy index
        sorted in place (reporting ``("indexing", 0, 0)``); None when no
        document made a chain."""
        chain = self.growing.finish(progress)
        return chain if self.made_chain else None


def last_tokens(piece: Piece, order: int, tokens: str) -> list[str]:
    """The last ``order`` tokens of ``piece`` (all, when it has fewer), as
    a chain holds them: cut from its last lines alone, from a place where
    a chain may cut its text, which it cuts there as it cuts the whole."""
    span = 4096
    while True:
        tail, is_whole = piece.tail(span)
        start = 0 if is_whole else first_cut(tail)
        text = tail[start:]
        found: list[str] = (
            # The words of str.split().
            text.split() if tokens == "words" else load_native().tokenize(text, tokens)
        )
        if len(found) >= order or is_whole:
            return found[-order:]
        span *= 4


def _joined(held: Piece, piece: Piece) -> Piece:
    """``held``, a piece too short to build alone, and the piece after it
    (of the same document, so both text or both bytes), as one piece."""
    text: str | bytes
    if isinstance(held.text, str) and isinstance(piece.text, str):
        text = held.text + piece.text
    elif isinstance(held.text, bytes) and isinstance(piece.text, bytes):
        text = held.text[: held.end] + piece.text[: piece.end]
    else:
        raise TypeError("the pieces of one document are all text or all bytes")
    return Piece(text, len(text), piece.is_last, held.source, held.offset)


def _codec(encoding: str) -> codecs.CodecInfo:
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise MarkovError(
            f"'{encoding}' is not an encoding Python knows; try utf-8, "
            "latin-1 or cp1252"
        ) from None
    try:
        # bytes.decode() takes text encodings only: rot13, base64, hex and
        # zlib are codecs too, and their decoders return bytes or want str.
        b"\0\0".decode(codec.name)
    except LookupError:
        raise MarkovError(
            f"'{encoding}' is not a text encoding (it turns bytes into bytes, "
            "or text into text); give the encoding of the text, such as utf-8, "
            "utf-16, latin-1 or cp1252"
        ) from None
    except UnicodeError:
        # A text encoding that refuses these two bytes: the file says more.
        pass
    return codec


def _kept(given: Kept | None, kept: Kept, what: str, name: str) -> Kept:
    """``kept``, the chain's own, unless ``given`` differs from it."""
    if given is not None and given != kept:
        shown = ("on" if kept else "off") if isinstance(kept, bool) else kept
        raise MarkovError(
            f"the chain '{name}' has {what} {shown}, which adding keeps; "
            f"leave out {what} to add to it, or train another chain"
        )
    return kept
