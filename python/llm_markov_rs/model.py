"""The models for llm, sync and async: ``markov``, which learns from the
prompt, and ``markov/NAME``, a saved chain that continues it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Iterator

import llm

from llm_markov_rs.options import MarkovOptions, SavedChainOptions
from llm_markov_rs.run import Run


def _stream(run: Run, response: llm.Response) -> Iterator[str]:
    try:
        for pause, text in run.pieces():
            if pause:
                time.sleep(pause)
            yield text
    finally:
        run.record(response)


async def _stream_async(
    start: Callable[[], Run], response: llm.AsyncResponse
) -> AsyncGenerator[str, None]:
    # The chain is built or loaded on a worker thread: the event loop stays
    # free meanwhile.
    run = await asyncio.to_thread(start)
    try:
        for pause, text in run.pieces():
            # Even without a delay, give other tasks a turn per chunk.
            await asyncio.sleep(pause)
            yield text
    finally:
        run.record(response)


class Markov(llm.Model):
    """Generates text from a word-level Markov chain learned from the prompt."""

    model_id = "markov"
    can_stream = True
    Options = MarkovOptions

    def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.Response,
        conversation: llm.Conversation | None,
    ) -> Iterator[str]:
        """Stream the generated words; llm collects them when not streaming,
        and the delay is spent either way."""
        return _stream(Run.learn(prompt), response)


class AsyncMarkov(llm.AsyncModel):
    """The async twin of :class:`Markov`: the same words for the same seed,
    without blocking the event loop."""

    model_id = "markov"
    can_stream = True
    Options = MarkovOptions

    def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.AsyncResponse,
        conversation: llm.AsyncConversation | None,
    ) -> AsyncGenerator[str, None]:
        """Stream the generated words, building the chain on a worker thread
        and sleeping with ``asyncio.sleep``."""
        return _stream_async(lambda: Run.learn(prompt), response)


class _SavedChainModel:
    """What the sync and async models of one saved chain share: the chain's
    name, the model id made from it, and their options."""

    can_stream = True
    Options = SavedChainOptions

    def __init__(self, name: str) -> None:
        self.chain_name = name
        self.model_id = f"markov/{name}"

    def __str__(self) -> str:
        return f"Markov: {self.model_id}"


class SavedMarkov(_SavedChainModel, llm.Model):
    """A saved chain (``llm markov train``) as a model: it continues the
    prompt's words."""

    def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.Response,
        conversation: llm.Conversation | None,
    ) -> Iterator[str]:
        """Stream words that continue this turn's prompt."""
        return _stream(Run.continue_saved(prompt, self.chain_name), response)


class AsyncSavedMarkov(_SavedChainModel, llm.AsyncModel):
    """The async twin of :class:`SavedMarkov`: the same words for the same
    seed, the chain loaded on a worker thread."""

    def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.AsyncResponse,
        conversation: llm.AsyncConversation | None,
    ) -> AsyncGenerator[str, None]:
        """Stream words that continue this turn's prompt."""
        return _stream_async(
            lambda: Run.continue_saved(prompt, self.chain_name), response
        )
