"""The native core of llm-markov-rs, built from the Rust crate in ``src/``.

A chain's tokens are cut from its text in one of the modes of ``TOKENS``
(see ``tokenize``): by default words split exactly as ``str.split()``
splits them. Text may hold any Python string, lone surrogates and NUL
characters included: tokens come back exactly as they were.

Errors a user can fix are ``llm_markov_rs.MarkovError``, the package's public
error type; a bug in the extension is a ``RuntimeError`` that asks for a
report.
"""

import os
from collections.abc import Callable
from typing import TypedDict, final, type_check_only

__all__ = [
    "FORMAT_VERSION",
    "MAX_ORDER",
    "TOKENS",
    "Chain",
    "GrowingChain",
    "Walk",
    "__version__",
    "read_chain_header",
    "tokenize",
]

__version__: str
#: The highest order a chain may have.
MAX_ORDER: int
#: The chain file format version this module writes, and the only one it
#: reads.
FORMAT_VERSION: int
#: The token modes, by name: "words", "lines", "unicode", "chars".
TOKENS: list[str]

def tokenize(text: str, tokens: str = "words") -> list[str]:
    """``text`` cut into tokens as a chain in ``tokens`` mode cuts its
    training text, each as the chain holds it.

    ``"words"``: the words of ``text.split()``. ``"lines"``: the same words,
    each with the break after it in the text, made one of ``" "``,
    ``"\n"`` or ``"\n\n"`` (two or more line breaks); the last gets at
    least ``"\n"``. ``"unicode"``: words and punctuation by Unicode's word
    boundaries (UAX #29), with dictionaries for Chinese, Japanese, Thai,
    Lao, Khmer and Burmese, each with its break (which may be ``""``).
    ``"chars"``: grapheme clusters, whitespace included, as they are.

    Raises:
        llm_markov_rs.MarkovError: ``tokens`` is not one of ``TOKENS``.
    """

@type_check_only
class ChainHeader(TypedDict):
    """What a chain file's header says (see ``read_chain_header``)."""

    tokens: str
    copy_index: bool
    copy_index_bytes: int
    order: int
    token_count: int
    transition_count: int
    vocabulary_size: int
    state_count: int
    distinct_transition_count: int
    metadata: str

def read_chain_header(path: str | os.PathLike[str]) -> ChainHeader:
    """The header and metadata of the chain file at ``path``, read without
    the rest of the file. The file's size is checked against the header,
    which finds a truncated file; the rest is not checked.

    Raises:
        llm_markov_rs.MarkovError: it cannot be read, is not a chain file, is
            not the size its header says, or is in another format version;
            the message says what to do.
    """

@final
class Chain:
    """A word-level Markov chain, immutable once built; safe to share
    between threads and walks. Each state keeps its distinct followers, each
    with how many times it followed."""

    def __new__(
        cls,
        text: str,
        order: int = 1,
        progress: Callable[[str, int, int], object] | None = None,
        tokens: str = "words",
        copy_index: bool = False,
        threads: int | None = None,
    ) -> Chain:
        """Build the chain of ``order`` from ``text``, cut into ``tokens``
        (one of ``TOKENS``; see ``tokenize``). With ``copy_index``, keep
        the text and its suffix array (8 bytes a token), so that a walk can
        bound its copies (``walk(..., max_copy=N)``). The suffixes are
        sorted only as far as walks read them, a small part of sorting them
        all for a chain walked a few times, as a prompt's is; saving or
        merging the chain sorts the rest first.

        The build runs with the GIL released, on ``threads`` threads (None:
        one a core) for texts of 4 MiB or more (on the calling thread below
        that); the chain is the same whatever the count. It stops with
        KeyboardInterrupt on Ctrl-C. For texts of 1 MiB or more,
        ``progress`` is called about every 50 ms, and at the end of each
        stage, with ``(stage, done, total)``: ``"splitting"`` in bytes of
        text, then ``"linking"`` in passes over the transitions.

        Raises:
            llm_markov_rs.MarkovError: ``text`` has no words, or fewer than
                ``order``, or ``order`` is below 1 or above MAX_ORDER, or
                ``tokens`` is not one of ``TOKENS``, or ``threads`` is 0.
            RuntimeError: a bug in the extension; please report it.
        """
    @staticmethod
    def build_piece(
        text: str | bytes,
        order: int = 1,
        carried: list[str] = ...,
        ends_document: bool = True,
        progress: Callable[[str, int, int], object] | None = None,
        tokens: str = "words",
        copy_index: bool = False,
        threads: int | None = None,
        length: int | None = None,
    ) -> Chain | None:
        """Build the chain of ``text``, a piece of a longer document, as
        ``Chain(...)`` builds a whole one: merged (``Chain.merge``) with the
        chains of the document's other pieces, it is the document's chain.

        ``text`` must start after a line feed, before a character that is not
        whitespace (or at the document's start), and ``carried`` must be the
        last ``order`` tokens of the document before it (as ``tokenize``
        gives them; empty for the first piece). ``ends_document`` says
        whether the document ends with it. A copy index holds the piece's
        own tokens only, and its suffixes are not sorted until the chain it
        is merged into is saved or walked, or ``sort_copy_index`` or
        ``GrowingChain.finish`` asks: a piece is built to be merged, and the
        merged text is sorted once.

        ``text`` may be UTF-8 ``bytes``, of which only the first ``length``
        are built when ``length`` is given: a file's bytes, cut with no
        decoded copy.

        Returns None when ``carried`` and ``text`` together have fewer than
        ``order`` tokens: a document that short has no state.

        Raises:
            UnicodeDecodeError: ``text`` is bytes that are not UTF-8 (as
                ``bytes.decode`` would raise it, with where).
            llm_markov_rs.MarkovError: as ``Chain(...)`` does, but for a text
                too short.
        """
    @staticmethod
    def load(path: str | os.PathLike[str]) -> tuple[Chain, str]:
        """The chain saved at ``path`` and the metadata saved with it, after
        checking every part of the file (its size, its checksum, and that
        its contents make a chain of text words). Of its copy index, only
        that its parts fit together is checked, and its saved plan for
        sentences is taken as it is: ``check_copy_index`` and
        ``check_sentences_plan`` check the rest.

        Raises:
            llm_markov_rs.MarkovError: the file cannot be read, or is not a
                chain file, or is truncated, corrupted, inconsistent or in
                another format version; the message says what to do.
        """
    def check_copy_index(
        self, progress: Callable[[str, int, int], object] | None = None
    ) -> None:
        """Checks what ``load`` leaves out of the copy index, if the chain
        has one: its checksum, its words, its length against the word
        count, and that its suffix array is its text's (a forged one would
        make the guard miss copies). Ctrl-C stops it. ``progress``, when
        the chain has an index, is called with ``("checking", done,
        total)`` as it goes.

        Raises:
            llm_markov_rs.MarkovError: it does not.
        """
    def check_sentences_plan(self) -> None:
        """Checks that the plan for sentences saved with the chain, if any,
        is the one its chain makes (a forged one would mislead sentences),
        by working it out again: a backward pass over the whole chain
        (up to a second for the largest chains measured).

        Raises:
            llm_markov_rs.MarkovError: it is not.
        """
    @staticmethod
    def merge(
        sources: list[tuple[Chain, int]],
        progress: Callable[[str, int, int], object] | None = None,
        spill_folder: str | os.PathLike[str] | None = None,
    ) -> Chain:
        """The chain of every source's text, each its own document, its
        counts multiplied by its weight (a whole number, at least 1): the
        same chain, id for id, as building on the texts as documents,
        whatever the order of the sources. The copy index is merged when
        every source has one (the texts in the order given); otherwise the
        result has none. ``GrowingChain`` merges a training's pieces with
        less memory.

        A merged copy index's text of more than 16.8 million tokens is kept
        in a temporary file in ``spill_folder`` (the system's temporary
        folder when None), as ``GrowingChain`` keeps it, and its suffixes
        are sorted when first needed or a window at a time when saved.

        Runs with the GIL released, and stops with KeyboardInterrupt on
        Ctrl-C; ``progress`` is called as for a build, with stage
        ``"merging"`` in states.

        Raises:
            llm_markov_rs.MarkovError: no source, a weight below 1, sources
                of different orders or tokens, a sum larger than a chain
                can count, or a temporary file that cannot be written in
                ``spill_folder``.
        """
    def sort_copy_index(
        self, progress: Callable[[str, int, int], object] | None = None
    ) -> None:
        """Sort the copy index's suffix array now if its sort was deferred
        (a chain built with ``build_piece`` or merged), calling
        ``progress`` with ``("indexing", 0, 0)`` as it goes; otherwise do
        nothing. Saving or a guarded walk sorts it too, but cannot be
        stopped with Ctrl-C meanwhile; this can, and leaves the chain as it
        was."""
    def to_bytes(self) -> bytes:
        """The chain as the bytes of a chain file without metadata or the
        plan for sentences that ``save`` keeps: what pickling sends to
        another process. The same chain, built or loaded, gives the same
        bytes."""
    @staticmethod
    def from_bytes(data: bytes) -> Chain:
        """The chain that ``to_bytes`` gave, checked as ``load`` checks a
        file.

        Raises:
            llm_markov_rs.MarkovError: ``data`` is not a whole, consistent
                chain of text words in this format version.
        """
    def __reduce__(self) -> tuple[Callable[[bytes], Chain], tuple[bytes]]: ...
    def save(
        self,
        path: str | os.PathLike[str],
        metadata: str,
        progress: Callable[[str, int, int], object] | None = None,
    ) -> None:
        """Save the chain with ``metadata`` to ``path`` atomically: written
        to a temporary file in the same folder, flushed to disk, then
        renamed over ``path``. An error or Ctrl-C leaves ``path`` as it was
        and no temporary file. ``progress`` is called with ``(stage,
        bytes written, the file's size)`` as it goes: the stage is
        ``"indexing and saving"`` when the save sorts a long text's copy
        index a window at a time (a text of over 33.6 million tokens), else
        ``"saving"``.

        Raises:
            llm_markov_rs.MarkovError: the file cannot be written.
        """
    @property
    def has_copy_index(self) -> bool:
        """Whether the chain keeps its text's copy index, which
        ``max_copy`` needs."""
    @property
    def tokens(self) -> str:
        """How the text was cut into tokens: one of ``TOKENS``."""
    @property
    def order(self) -> int:
        """How many previous tokens the next token depends on."""
    @property
    def token_count(self) -> int:
        """How many words the training text has."""
    @property
    def vocabulary_size(self) -> int:
        """How many distinct words the training text has."""
    @property
    def state_count(self) -> int:
        """How many distinct states (``order`` consecutive words) the text
        has."""
    @property
    def transition_count(self) -> int:
        """How many transitions the chain learned: ``token_count - order``
        for a single text (each document loses ``order``), each follower
        counted as often as it followed."""
    @property
    def distinct_transition_count(self) -> int:
        """How many distinct (state, next state) pairs the chain holds."""
    def transitions(self) -> dict[str, dict[str, int]]:
        """Each state (its words joined by single spaces; in the other
        modes, its tokens as they are, breaks included) mapped to the
        tokens that followed it in the text, each with how many times, in
        the order of their ids (the byte order of their words). States
        with no follower are left out. Its size grows with the text: check
        ``transition_count`` first."""
    def walk(
        self,
        length: int,
        seed: int,
        prompt: str | None = None,
        sentences: int | None = None,
        max_copy: int | None = None,
        *,
        temperature: float = 1.0,
        max_chars: int | None = None,
        balanced: bool = False,
        max_copy_ratio: float | None = None,
        contains: str | None = None,
        end: str | None = None,
    ) -> Walk:
        """A lazy walk of ``length`` words through the chain, every step
        determined by ``seed`` (0 to 2**64-1) and the chain.

        Without ``prompt``, or when the chain knows none of its last words,
        the walk starts at a random state that has followers (the only
        state if none has), emitting its words. With ``prompt`` it continues
        it: from the state made of its last ``order`` words when that state
        has a follower, or else from a state with a follower that begins
        with the longest final run of its words (emitting the rest of that
        state's words); the prompt's words are not repeated.
        Each next word follows the previous ``order`` words somewhere in the
        text, drawn in proportion to how often it did; at a dead end the
        walk restarts at a random state.

        With ``sentences`` (at least 1), random starts and restarts are at
        states that start a sentence of the text, and the walk ends right
        after the word that ends its ``sentences``-th sentence, or after
        ``length`` words if those come first.

        With ``max_copy``, the walk never writes a run of more than
        ``max_copy`` consecutive tokens that occur in that order in the text
        (the prompt's tokens do not count), restarts included, and in
        sentences never a sentence that is a whole sentence of the text:
        followers that would are left out, the rest keep their weights, and
        when none is left it restarts where the bound allows (in sentences,
        a sentence that cannot end within the bound is dropped before any
        of it is given, and another begun at a sentence start); when
        nothing does, it ends (``blocked``).

        Steering, exact and without retries: a backward pass over the
        chain's transitions tells, for every state, the least the walk must
        still write to reach its goal, and each step draws only among the
        followers from which the goal stays within what is left (the rest
        keep their weights). ``contains``: the output (each sentence) holds
        the phrase, cut into tokens as the text was; in sentences each
        begins where a walk back from the phrase found a sentence of the
        text to begin. ``end``: the output (its last sentence) ends with
        it. ``max_chars``: at most that many characters (in sentences,
        whole sentences only). ``balanced`` (in sentences): a sentence ends
        only with its quotes and brackets balanced, one pair open at a
        time. ``max_copy_ratio`` (in sentences, with ``max_copy``): no
        sentence of n tokens copies a run of more than
        ``round(max_copy_ratio * n)`` of them. ``temperature``: each
        follower weighs its count to the power ``1 / temperature`` (0: the
        most frequent, ties by the seed).

        Raises:
            llm_markov_rs.MarkovError: ``sentences`` is 0, or given for a
                text in which no word ends a sentence; ``max_copy`` is below
                ``order + 1``, or the chain has no copy index; a phrase has
                a token the text lacks; no output within ``length`` (or
                ``max_chars``) can meet the goal; ``temperature`` is below
                0 or ``max_copy_ratio`` outside 0 to 1.
        """

@final
class GrowingChain:
    """The chain of a training's pieces, grown one piece at a time, each
    merged after those before it as ``Chain.merge`` would merge them.
    Pieces wait to be merged as a balanced tree (two neighbours once the
    newer holds half the tokens of the older, or a piece at once when it is
    as large as the chain before it), so many small pieces cost about
    log2 of their number merges a token, not the whole chain each.

    Unlike ``Chain.merge``, which leaves its sources as they were, it owns
    the chains it grows: the copy index's text grows in place, and
    ``finish`` sorts it in place, so a guarded training holds its text's
    token ids once, not twice. Once that text holds more than 16.8
    million tokens (64 MiB of ids), it grows in a temporary file in
    ``spill_folder`` (the system's temporary folder when None), deleted
    when the chain is, so that a training's memory does not grow with its
    text; saving reads it from there. A step stopped halfway (Ctrl-C, a
    progress callback that raised) loses the chain, and every later call
    raises RuntimeError.
    """

    def __new__(
        cls, spill_folder: str | os.PathLike[str] | None = None
    ) -> GrowingChain: ...
    def add(self, piece: Chain) -> None:
        """Add ``piece`` (as ``Chain.build_piece`` or ``Chain(...)``
        builds it) after the pieces added before it, merging the pieces
        that wait as far as the tree says. Runs with the GIL
        released, and stops with KeyboardInterrupt on Ctrl-C.

        Raises:
            llm_markov_rs.MarkovError: as ``Chain.merge`` does, or the
                text's temporary file cannot be written in
                ``spill_folder``.
            RuntimeError: a step before was stopped, and lost the chain.
        """
    def finish(
        self,
        progress: Callable[[str, int, int], object] | None = None,
        sort_copy_index: bool = True,
    ) -> Chain | None:
        """The chain of every piece added, or None when none was; it is
        then empty again. Its copy index, if it has one, is sorted in
        place unless ``sort_copy_index`` is false (then it is sorted when
        first needed), calling ``progress`` with ``("indexing", 0, 0)`` as
        it goes. Ctrl-C stops the sort, and loses the chain.

        Raises:
            RuntimeError: a step before was stopped, and lost the chain.
        """

@final
class Walk:
    """The words of one walk, produced as they are asked for.

    A walk may be shared between threads: each call takes the next words
    whole, so every word goes to exactly one caller."""

    def __iter__(self) -> Walk: ...
    def __next__(self) -> str:
        """The next token as text: after the break the token before it
        keeps (one space in ``words`` mode), but for the walk's very first;
        as ``next_text(1)``."""
    def next_text(self, max_words: int) -> str:
        """Up to ``max_words`` next tokens as text, each after the break the
        token before it keeps (one space between words in ``words`` mode),
        except the walk's very first, whether that came from ``next_text``
        or ``next``; ``""`` once the walk is done. The pieces concatenated
        are the walk's text.

        Raises:
            ValueError: ``max_words`` is above 2**20.
        """
    @property
    def remaining(self) -> int:
        """How many words the walk has still to produce."""
    @property
    def tokens_written(self) -> int:
        """How many words the walk has given so far."""
    @property
    def longest_copy(self) -> int | None:
        """The longest run of the walk's tokens so far that occurs in the
        text, for a walk with ``max_copy``; None without."""
    @property
    def blocked(self) -> bool:
        """Whether the walk ended before its cap because no token could
        follow within ``max_copy``."""
    @property
    def prompt_token_count(self) -> int:
        """How many tokens the prompt had, cut as the chain's text was (0
        without one)."""
    @property
    def sentences_written(self) -> int | None:
        """How many sentences the walk has ended so far, or None for a walk
        not in sentences."""
    @property
    def continued_from(self) -> list[str] | None:
        """The prompt's last words that the walk continues, or None when it
        started at random (or, guarded in sentences, could write no sentence
        from them and started at random instead)."""
