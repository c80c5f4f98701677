"""The native core of llm-markov, built from the Rust crate in ``src/``.

Words are split exactly as ``str.split()`` splits them. Text may hold any
Python string, lone surrogates and NUL characters included: words come back
exactly as they were.
"""

from collections.abc import Iterator
from typing import final

__all__ = ["MAX_ORDER", "Chain", "TrainingTextError", "Walk", "__version__"]

__version__: str
#: The highest order a chain may have.
MAX_ORDER: int

class TrainingTextError(ValueError):
    """The text cannot make a chain of the order asked for: it has no words,
    or fewer words than the order, or the order is out of range."""

@final
class Chain:
    """A word-level Markov chain, immutable once built; safe to share
    between threads and walks."""

    def __new__(cls, text: str, order: int = 1) -> Chain:
        """Build the chain of ``order`` from ``text``.

        The build runs with the GIL released, on every core for large texts,
        and stops with KeyboardInterrupt on Ctrl-C.

        Raises:
            TrainingTextError: ``text`` has no words, or fewer than ``order``,
                or ``order`` is below 1 or above MAX_ORDER.
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
    """The words of one walk, produced as they are asked for. Not meant to
    be shared between threads: each caller should take its own walk."""

    def __iter__(self) -> Iterator[str]: ...
    def __next__(self) -> str:
        """The next word."""
    def next_text(self, max_words: int) -> str:
        """Up to ``max_words`` next words as text, each preceded by one
        space except the walk's very first word; ``""`` once the walk is
        done. Concatenated, these chunks are the words joined by spaces.

        Raises:
            ValueError: ``max_words`` is above 2**20.
        """
    @property
    def remaining(self) -> int:
        """How many words the walk has still to produce."""
