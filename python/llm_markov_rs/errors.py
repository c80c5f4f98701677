"""The one exception the plugin raises for problems the user can fix."""

from __future__ import annotations

import llm


class MarkovError(llm.ModelError, ValueError):
    """A problem with the markov model or its input, with what to do next.

    Every error a user can fix is one: a text with too few words, an option
    the chain cannot take, a saved chain that cannot be read, an extension
    that cannot load. The native module raises it too. It is an
    ``llm.ModelError``, and a ``ValueError`` so that the llm CLI prints it as
    ``Error: ...`` without a traceback.
    """
