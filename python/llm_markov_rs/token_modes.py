"""What each token mode makes a chain of, in words for help texts: its own
module, so that the ``llm markov`` commands, which llm imports on every
start, can say it without building the options' pydantic models."""

from __future__ import annotations

TOKENS_HELP = (
    "words: words split at whitespace, joined by single spaces; "
    "lines: the same words, keeping the line breaks and blank lines after "
    "them (poems, lyrics, lists); "
    "unicode: words and punctuation by Unicode's rules, with dictionaries "
    "for Chinese, Japanese, Thai, Lao, Khmer and Burmese, keeping the "
    "spacing of the text; "
    "chars: characters, whitespace included (names, invented words)"
)
