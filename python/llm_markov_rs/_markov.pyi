"""The native core of llm-markov-rs, built from the Rust crate in ``src/``.

Words are split exactly as ``str.split()`` splits them. Text may hold any
Python string, lone surrogates and NUL characters included: words come back
exactly as they were.

Errors a user can fix are ``llm_markov_rs.MarkovError``, the package's public
error type; a bug in the extension is a ``RuntimeError`` that asks for a
report.
"""

from typing import final

__all__ = ["MAX_ORDER", "Chain", "Walk", "__version__"]

__version__: str
#: The highest order a chain may have.
MAX_ORDER: int

@final
class Chain:
    """A word-level Markov chain, immutable once built; safe to share
    between threads and walks."""

    def __new__(cls, text: str, order: int = 1) -> Chain:
        """Build the chain of ``order`` from ``text``.

        The build runs with the GIL released, on every core for texts of
        4 MiB or more (on the calling thread below that), and stops with
        KeyboardInterrupt on Ctrl-C.

        Raises:
            llm_markov_rs.MarkovError: ``text`` has no words, or fewer than
                ``order``, or ``order`` is below 1 or above MAX_ORDER.
            RuntimeError: a bug in the extension; please report it.
        """
    @property
    def order(self) -> int:
        """How many previous words the next word depends on."""
    @property
    def word_count(self) -> int:
        """How many words the training text has."""
    @property
    def vocabulary_size(self) -> int:
        """How many distinct words the training text has."""
    @property
    def state_count(self) -> int:
        """How many distinct states (runs of ``order`` words) the text has."""
    @property
    def transition_count(self) -> int:
        """How many transitions the chain holds: ``word_count - order``."""
    def transitions(self) -> dict[str, list[str]]:
        """Each state (its words joined by single spaces) mapped to the
        words that follow it in the text, with repetition, in text order.
        States with no follower are left out. Its size grows with the text:
        check ``transition_count`` first."""
    def walk(self, length: int, seed: int) -> Walk:
        """A lazy walk of ``length`` words through the chain, every step
        determined by ``seed`` (0 to 2**64-1) and the chain.

        The walk starts at a random state that has followers (the only state
        if none has), emitting its words; each next word follows the previous
        ``order`` words somewhere in the text; at a dead end it restarts at a
        random state."""

@final
class Walk:
    """The words of one walk, produced as they are asked for.

    A walk may be shared between threads: each call takes the next words
    whole, so every word goes to exactly one caller."""

    def __iter__(self) -> Walk: ...
    def __next__(self) -> str:
        """The next word, without a space."""
    def next_text(self, max_words: int) -> str:
        """Up to ``max_words`` next words as text, each preceded by one
        space except the walk's very first word, whether that came from
        ``next_text`` or ``next``; ``""`` once the walk is done. Chunks
        concatenated, with each word from ``next`` joined by a space, are
        the walk's words joined by spaces.

        Raises:
            ValueError: ``max_words`` is above 2**20.
        """
    @property
    def remaining(self) -> int:
        """How many words the walk has still to produce."""
