"""How many threads a build may use: ``LLM_MARKOV_THREADS``, or one a core.

The chain is the same whatever the count; the variable is for machines
that are shared, or whose other work should keep its cores.
"""

from __future__ import annotations

import os

from llm_markov_rs.errors import MarkovError

#: The environment variable that caps the threads of a build.
THREADS_VARIABLE = "LLM_MARKOV_THREADS"


def build_threads() -> int | None:
    """The threads a build may use, from ``LLM_MARKOV_THREADS``; None (one
    a core) when it is unset or empty. Raises :class:`MarkovError` when it
    is not a whole number of at least 1."""
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise MarkovError(
            f"{THREADS_VARIABLE} must be a whole number of threads, at least 1, "
            f"not {value!r}; unset it to use every core"
        )
    return int(value)
