"""The ``markov`` model for llm, sync and async."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterator

import llm

from llm_markov_rs.options import MarkovOptions
from llm_markov_rs.run import Run


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
        run = Run.start(prompt)
        try:
            for pause, text in run.pieces():
                if pause:
                    time.sleep(pause)
                yield text
        finally:
            run.record(response)


class AsyncMarkov(llm.AsyncModel):
    """The async twin of :class:`Markov`: the same words for the same seed,
    without blocking the event loop."""

    model_id = "markov"
    can_stream = True
    Options = MarkovOptions

    async def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.AsyncResponse,
        conversation: llm.AsyncConversation | None,
    ) -> AsyncGenerator[str, None]:
        """Stream the generated words, building the chain on a worker thread
        and sleeping with ``asyncio.sleep``."""
        run = await asyncio.to_thread(Run.start, prompt)
        try:
            for pause, text in run.pieces():
                # Even without a delay, give other tasks a turn per chunk.
                await asyncio.sleep(pause)
                yield text
        finally:
            run.record(response)
