"""The models for llm, sync and async: ``markov``, which learns from the
prompt, and ``markov/NAME``, a saved chain that continues it.

llm registers every plugin's models each time it looks a model up, for a
prompt to any model. So this module imports only llm: the options and what
runs a response are imported when a model of this plugin is used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import TYPE_CHECKING

import llm

if TYPE_CHECKING:
    from llm_markov_rs.run import Run


class _OptionsWhenAsked:
    """A model's ``Options``: the class of that name in
    :mod:`llm_markov_rs.options`, imported when llm first asks for it (to
    validate a prompt's options, or to list them). Importing its pydantic
    models at registration took 3 of the 6 ms that registering cost every
    prompt to any model."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(
        self, model: object, owner: type | None = None
    ) -> type[llm.Model.Options]:
        from llm_markov_rs import options

        options_class: type[llm.Model.Options] = getattr(options, self._name)
        return options_class


def _learn(prompt: llm.Prompt) -> Run:
    from llm_markov_rs.run import Run

    return Run.learn(prompt)


def _continue_saved(prompt: llm.Prompt, name: str) -> Run:
    from llm_markov_rs.run import Run

    return Run.continue_saved(prompt, name)


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
    Options = _OptionsWhenAsked("MarkovOptions")

    def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.Response,
        conversation: llm.Conversation | None,
    ) -> Iterator[str]:
        """Stream the generated words; llm collects them when not streaming,
        and the delay is spent either way."""
        return _stream(_learn(prompt), response)


class AsyncMarkov(llm.AsyncModel):
    """The async twin of :class:`Markov`: the same words for the same seed,
    without blocking the event loop."""

    model_id = "markov"
    can_stream = True
    Options = _OptionsWhenAsked("MarkovOptions")

    def execute(
        self,
        prompt: llm.Prompt,
        stream: bool,
        response: llm.AsyncResponse,
        conversation: llm.AsyncConversation | None,
    ) -> AsyncGenerator[str, None]:
        """Stream the generated words, building the chain on a worker thread
        and sleeping with ``asyncio.sleep``."""
        return _stream_async(lambda: _learn(prompt), response)


class _SavedChainModel:
    """What the sync and async models of one saved chain share: the chain's
    name, the model id made from it, and their options."""

    can_stream = True
    Options = _OptionsWhenAsked("SavedChainOptions")

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
        return _stream(_continue_saved(prompt, self.chain_name), response)


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
        return _stream_async(lambda: _continue_saved(prompt, self.chain_name), response)
