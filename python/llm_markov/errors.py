"""The exception the plugin raises for problems the user can fix."""

from __future__ import annotations

import llm


class MarkovError(llm.ModelError, ValueError):
    """A problem with the markov model or its input, with what to do next.

    It is an ``llm.ModelError``, and a ``ValueError`` so that the llm CLI
    prints it as ``Error: ...`` without a traceback.
    """
