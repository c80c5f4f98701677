"""llm-markov: an llm plugin that adds a word-level Markov chain model.

This module is the plugin's entry point, so llm imports it on every command.
It must stay cheap and must import even when the native extension cannot be
loaded: the extension is loaded only when the model is first used.
"""

from __future__ import annotations

from typing import Any

import llm

from llm_markov.errors import MarkovError

__all__ = ["MarkovError", "register_models"]


@llm.hookimpl
def register_models(register: Any) -> None:
    """Register the ``markov`` model, sync and async, with llm."""
    from llm_markov.model import AsyncMarkov, Markov

    register(Markov(), AsyncMarkov())


def __getattr__(name: str) -> Any:
    # The version lives in Cargo.toml; reading it needs the native module,
    # which plugin import must not load.
    if name == "__version__":
        from llm_markov.native import load_native

        return load_native().__version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
