"""Turning what llm hands a model into text: the whole conversation's, which
the ``markov`` model learns from, or this turn's, which a saved chain
continues."""

from __future__ import annotations

import llm


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
