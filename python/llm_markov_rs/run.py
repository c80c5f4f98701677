"""One response of a model: get the chain, walk it, record what it did.

The sync and async models, and the base and saved ones, share all of it;
they differ only in where the chain comes from and how they wait between
words.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from llm_markov_rs.errors import MarkovError, load_native
from llm_markov_rs.saved import load_chain
from llm_markov_rs.threads import build_threads

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


def _user_texts(message: llm.Message) -> list[str]:
    from llm.parts import TextPart

    return [part.text for part in message.parts if isinstance(part, TextPart)]


def training_text(prompt: llm.Prompt) -> str:
    """The text the chain learns from: every user turn of the conversation so
    far, oldest first, joined by newlines.

    ``prompt.messages`` is llm's canonical history, and each user message's
    text already has that turn's fragments (``-f``, stdin) joined in. The
    model's own replies are not training text, and neither is the system
    prompt: a Markov chain cannot follow instructions.
    """
    texts = [
        text
        for message in prompt.messages
        if message.role == "user"
        for text in _user_texts(message)
    ]
    # join() returns a lone string as it is: no copy of a large book.
    return "\n".join(texts)


def turn_text(prompt: llm.Prompt) -> str:
    """This turn's text alone (its fragments joined in): what a saved chain
    continues. In a conversation, earlier turns were continued by earlier
    responses."""
    for message in reversed(prompt.messages):
        if message.role == "user":
            return "\n".join(_user_texts(message))
    return ""


def random_seed() -> int:
    """A fresh 64-bit seed from the operating system."""
    return int.from_bytes(os.urandom(8), "little")


@dataclass
class Run:
    """The chain and walk behind one response, and how they were made."""

    chain: Chain
    walk: Walk
    options: WalkOptions
    #: The seed the walk uses: the option's, or one drawn for this run.
    seed: int
    ignored_system_prompt: bool
    #: How many words the prompt gave the model: the training text's, or
    #: those a saved chain continues. llm logs them as the usage's input.
    prompt_token_count: int
    #: The saved chain's name; None for a chain learned from the prompt,
    #: whose table the log shows.
    chain_name: str | None
    #: The bound on copies in force, None for none.
    max_copy: int | None

    @classmethod
    def learn(cls, prompt: llm.Prompt) -> Run:
        """Build the chain from the prompt's text (the slow part) and start
        a walk, from the ``start`` words if given."""
        options = cast("MarkovOptions", prompt.options)
        threads = build_threads()
        chain = load_native().Chain(
            training_text(prompt),
            options.order,
            tokens=options.tokens,
            copy_index=options.copy_bound(options.order) is not None,
            threads=threads,
        )
        return cls.begin(chain, prompt, options.start, None)

    @classmethod
    def continue_saved(cls, prompt: llm.Prompt, name: str) -> Run:
        """Load the saved chain ``name`` and start a walk that continues this
        turn's words."""
        return cls.begin(load_chain(name), prompt, turn_text(prompt), name)

    @classmethod
    def begin(
        cls,
        chain: Chain,
        prompt: llm.Prompt,
        start: str | None,
        chain_name: str | None,
    ) -> Run:
        """A walk through ``chain`` as the prompt's options say, continuing
        ``start`` when there is one. The usage's input is the tokens the
        model was given: the training text's for a chain learned from the
        prompt, the prompt's for a saved chain."""
        options = cast("WalkOptions", prompt.options)
        seed = random_seed() if options.seed is None else options.seed
        max_copy = options.copy_bound(chain.order)
        if max_copy is not None and not chain.has_copy_index:
            if options.max_copy is not None:
                raise MarkovError(
                    f"the saved chain '{chain_name}' was trained with "
                    "--no-copy-guard, so it cannot bound its copies; train it "
                    f"again without it (llm markov train {chain_name} FILE "
                    "--force, with the same --order and --tokens), or leave out "
                    "max_copy"
                )
            # Sentences from a chain without the index: no default guard.
            max_copy = None
        walk = chain.walk(
            options.word_cap,
            seed,
            start,
            options.sentences,
            max_copy,
            **options.steering(guarded=max_copy is not None),
        )
        if chain_name and walk.prompt_token_count and walk.continued_from is None:
            # Only the log's "start" would show it otherwise.
            import click

            click.echo(
                f"Warning: the saved chain '{chain_name}' has none of the "
                "prompt's last words, so its text starts at random; "
                f"'llm markov info {chain_name}' shows what it was trained on",
                err=True,
            )
        return cls(
            chain=chain,
            walk=walk,
            options=options,
            seed=seed,
            ignored_system_prompt=bool(prompt.system),
            prompt_token_count=walk.prompt_token_count
            if chain_name
            else chain.token_count,
            chain_name=chain_name,
            max_copy=max_copy,
        )

    def pieces(self) -> Iterator[tuple[float, str]]:
        """The output as ``(seconds to wait first, text)`` pairs.

        With a delay, one token a piece (after the break of the one before
        it), the delay before every piece but the first; without one, chunks
        of growing size and no waiting.
        """
        delay = self.options.delay
        if delay > 0:
            for index, piece in enumerate(self.walk):
                yield (delay if index else 0.0), piece
        else:
            size = FIRST_CHUNK_WORDS
            while chunk := self.walk.next_text(size):
                yield 0.0, chunk
                size = min(size * 2, MAX_CHUNK_WORDS)
        if self.walk.blocked and self.walk.tokens_written == 0:
            turn_off = "give a larger max_copy, or -o max_copy 0 to turn the guard off"
            if self.options.sentences is not None:
                # Drafting gives a sentence up after a number of tries: that
                # none was found is not a proof that none exists.
                raise MarkovError(
                    f"no sentence{self._phrase_wanted()} was found within "
                    f"max_copy {self.max_copy}: "
                    f"each must copy at most {self.max_copy} words in a row of "
                    "the text and not be a whole sentence of it, and every "
                    f"sentence tried copied more; {turn_off}"
                )
            # Outside sentences every state was tried as a beginning.
            raise MarkovError(
                f"the text cannot give any output within max_copy {self.max_copy}: "
                "every way to begin copies more of it than that; "
                f"{turn_off}"
            )

    def _phrase_wanted(self) -> str:
        """What the sentences were steered to, for an error: ' ending with
        'Holmes.'', or nothing."""
        if self.options.end is not None:
            return f" ending with {self.options.end!r}"
        if self.options.contains is not None:
            return f" containing {self.options.contains!r}"
        return ""

    def record(self, response: llm.Response | llm.AsyncResponse) -> None:
        """Log what the model learned and did, and its usage in words."""
        chain = self.chain
        continued = self.walk.continued_from
        log: dict[str, Any] = {
            **({"chain": self.chain_name} if self.chain_name else {}),
            "seed": self.seed,
            "tokens": chain.tokens,
            "order": chain.order,
            "start": {"continued_from": continued} if continued else "random",
            "token_count": chain.token_count,
            "vocabulary_size": chain.vocabulary_size,
            "state_count": chain.state_count,
            "transition_count": chain.transition_count,
        }
        sentences = self.options.sentences
        if sentences is not None:
            written = self.walk.sentences_written or 0
            log["sentences"] = sentences
            log["sentences_written"] = written
            if (
                written < sentences
                and self.walk.remaining == 0
                and not self.walk.blocked
            ):
                log["sentences_note"] = (
                    f"stopped at the cap of {self.options.word_cap} words after "
                    f"{written} of {sentences} sentences; raise length for more"
                )
        log.update(self.options.steering(guarded=self.max_copy is not None))
        log["max_copy"] = self.max_copy
        if self.max_copy is not None:
            log["longest_copy"] = self.walk.longest_copy
            if self.walk.blocked:
                log["copy_note"] = (
                    f"stopped after {self.walk.tokens_written} words: no way on "
                    f"keeps within max_copy {self.max_copy}"
                )
        if self.chain_name is None:
            log["transitions_limit"] = TRANSITIONS_LOG_LIMIT
            log["transitions"] = self._loggable_transitions()
        if self.ignored_system_prompt:
            log["system_prompt"] = "ignored: a Markov chain follows no instructions"
        response.response_json = log
        response.set_usage(
            input=self.prompt_token_count, output=self.walk.tokens_written
        )

    def _loggable_transitions(self) -> dict[str, dict[str, int]] | None:
        if self.chain.transition_count > TRANSITIONS_LOG_LIMIT:
            return None
        table = self.chain.transitions()
        if len(json.dumps(table)) > TRANSITIONS_LOG_MAX_CHARS:
            return None
        return table
