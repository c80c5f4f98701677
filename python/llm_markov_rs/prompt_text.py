"""Turning what llm hands the model into training text."""

from __future__ import annotations

import llm


def training_text(prompt: llm.Prompt) -> str:
    """The text the chain learns from: every user turn of the conversation so
    far, oldest first, joined by newlines.

    ``prompt.messages`` is llm's canonical history, and each user message's
    text already has that turn's fragments (``-f``, stdin) joined in. The
    model's own replies are not training text, and neither is the system
    prompt: a Markov chain cannot follow instructions.
    """
    from llm.parts import TextPart

    texts = [
        part.text
        for message in prompt.messages
        if message.role == "user"
        for part in message.parts
        if isinstance(part, TextPart)
    ]
    # join() returns a lone string as it is: no copy of a large book.
    return "\n".join(texts)
