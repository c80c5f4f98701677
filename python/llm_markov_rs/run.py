"""One response of a model: get the chain, walk it, record what it did.

The sync and async models, and the base and saved ones, share all of it;
they differ only in where the chain comes from and how they wait between
words.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from llm_markov_rs.native import load_native
from llm_markov_rs.prompt_text import training_text, turn_text
from llm_markov_rs.saved import load_chain

if TYPE_CHECKING:
    import llm

    from llm_markov_rs._markov import Chain, Walk
    from llm_markov_rs.options import MarkovOptions, WalkOptions

#: Without a delay, words go out in chunks that start small (so the first
#: words show at once) and double up to this size, so that llm's per-chunk
#: work does not dominate long outputs.
FIRST_CHUNK_WORDS = 16
MAX_CHUNK_WORDS = 1 << 16

#: The transitions table goes into ``response_json`` only while it has at most
#: this many transitions and its JSON at most TRANSITIONS_LOG_MAX_CHARS
#: characters; beyond that only its counts are logged, so a piped book does
#: not write megabytes into logs.db.
TRANSITIONS_LOG_LIMIT = 2000
TRANSITIONS_LOG_MAX_CHARS = 64 * 1024


def random_seed() -> int:
    """A fresh 64-bit seed from the operating system."""
    return int.from_bytes(os.urandom(8), "little")


@dataclass
class Run:
    """The chain and walk behind one response, and how they were made."""

    chain: Chain
    walk: Walk
    seed: int
    length: int
    sentences: int | None
    delay: float
    ignored_system_prompt: bool
    #: Words the model read: the training text's, or the prompt's.
    input_words: int
    #: What else the log says of where the chain came from.
    source: dict[str, Any] = field(default_factory=dict)
    #: Whether to log the chain's table (a chain learned from the prompt).
    log_transitions: bool = False

    @classmethod
    def learn(cls, prompt: llm.Prompt) -> Run:
        """Build the chain from the prompt's text (the slow part) and start
        a walk, from the ``start`` words if given."""
        options = cast("MarkovOptions", prompt.options)
        chain = load_native().Chain(training_text(prompt), options.order)
        return cls._walk(
            chain, prompt, options, options.start, chain.word_count, {}, True
        )

    @classmethod
    def continue_saved(cls, prompt: llm.Prompt, name: str) -> Run:
        """Load the saved chain ``name`` and start a walk that continues this
        turn's words."""
        options = cast("WalkOptions", prompt.options)
        chain = load_chain(name)
        words = turn_text(prompt)
        return cls._walk(
            chain, prompt, options, words, len(words.split()), {"chain": name}, False
        )

    @classmethod
    def _walk(
        cls,
        chain: Chain,
        prompt: llm.Prompt,
        options: WalkOptions,
        start: str | None,
        input_words: int,
        source: dict[str, Any],
        log_transitions: bool,
    ) -> Run:
        seed = random_seed() if options.seed is None else options.seed
        length = options.word_cap
        return cls(
            chain=chain,
            walk=chain.walk(length, seed, start, options.sentences),
            seed=seed,
            length=length,
            sentences=options.sentences,
            delay=options.delay,
            ignored_system_prompt=bool(prompt.system),
            input_words=input_words,
            source=source,
            log_transitions=log_transitions,
        )

    def pieces(self) -> Iterator[tuple[float, str]]:
        """The output as ``(seconds to wait first, text)`` pairs.

        With a delay, one word a piece, the delay before every word but the
        first; without one, chunks of growing size and no waiting.
        """
        if self.delay > 0:
            for index, word in enumerate(self.walk):
                yield (self.delay, " " + word) if index else (0.0, word)
            return
        size = FIRST_CHUNK_WORDS
        while chunk := self.walk.next_text(size):
            yield 0.0, chunk
            size = min(size * 2, MAX_CHUNK_WORDS)

    def record(self, response: llm.Response | llm.AsyncResponse) -> None:
        """Log what the model learned and did, and its usage in words."""
        chain = self.chain
        continued = self.walk.continued_from
        log: dict[str, Any] = {
            **self.source,
            "seed": self.seed,
            "order": chain.order,
            "start": {"continued_from": continued} if continued else "random",
            "training_words": chain.word_count,
            "distinct_words": chain.vocabulary_size,
            "states": chain.state_count,
            "transition_count": chain.transition_count,
        }
        if self.sentences is not None:
            written = self.walk.sentences_written or 0
            log["sentences"] = self.sentences
            log["sentences_written"] = written
            if written < self.sentences and self.walk.remaining == 0:
                log["sentences_note"] = (
                    f"stopped at the cap of {self.length} words after {written} "
                    f"of {self.sentences} sentences; raise length for more"
                )
        if self.log_transitions:
            log["transitions_limit"] = TRANSITIONS_LOG_LIMIT
            log["transitions"] = self._loggable_transitions()
        if self.ignored_system_prompt:
            log["system_prompt"] = "ignored: a Markov chain follows no instructions"
        response.response_json = log
        response.set_usage(input=self.input_words, output=self.walk.words_written)

    def _loggable_transitions(self) -> dict[str, dict[str, int]] | None:
        if self.chain.transition_count > TRANSITIONS_LOG_LIMIT:
            return None
        table = self.chain.transitions()
        if len(json.dumps(table)) > TRANSITIONS_LOG_MAX_CHARS:
            return None
        return table
