"""llm-markov-rs: an llm plugin that adds a word-level Markov chain model.

This module is the plugin's entry point, so llm imports it on every command.
It must stay cheap and must import even when the native extension cannot be
loaded: the extension is loaded only when the model is first used.
"""

from __future__ import annotations

from typing import Any

import llm

from llm_markov_rs.errors import MarkovError

__all__ = ["MarkovError", "register_models"]


# trylast: llm-markov 0.1, if installed too, registers "markov" as well; the
# model registered last is the one llm resolves the name to.
@llm.hookimpl(trylast=True)
def register_models(register: Any) -> None:
    """Register the ``markov`` model, sync and async, with llm."""
    from llm_markov_rs.model import AsyncMarkov, Markov

    register(Markov(), AsyncMarkov())


def __getattr__(name: str) -> Any:
    # From the installed package's metadata, whose version maturin takes
    # from Cargo.toml: reading it must not load the native extension.
    if name == "__version__":
        from importlib.metadata import version

        return version("llm-markov-rs")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
