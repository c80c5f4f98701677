"""llm-markov-rs: an llm plugin that adds word-level Markov chain models.

``markov`` learns a chain from the prompt; ``markov/NAME`` is a chain saved
with ``llm markov train`` (or :func:`train_chain`, or :func:`merge_chains`
from other chains) that continues the prompt's words.

This module is the plugin's entry point, so llm imports it on every command.
It must stay cheap and must import even when the native extension cannot be
loaded: the extension is loaded only when a model or command is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import llm

from llm_markov_rs.errors import MarkovError

if TYPE_CHECKING:
    from llm_markov_rs.cluster import train_on_dask
    from llm_markov_rs.info import SavedChainInfo
    from llm_markov_rs.merge import merge_chains
    from llm_markov_rs.train import train_chain

__all__ = [
    "MarkovError",
    "SavedChainInfo",
    "merge_chains",
    "register_commands",
    "register_models",
    "train_chain",
    "train_on_dask",
]


# trylast: llm-markov 0.1, if installed too, registers "markov" as well; the
# model registered last is the one llm resolves the name to.
@llm.hookimpl(trylast=True)
def register_models(register: Any) -> None:
    """Register ``markov``, and ``markov/NAME`` for each saved chain, sync
    and async. Saved chains are found by their file names alone: no file
    is read until a model is used."""
    from llm_markov_rs.model import AsyncMarkov, AsyncSavedMarkov, Markov, SavedMarkov
    from llm_markov_rs.saved import saved_names

    register(Markov(), AsyncMarkov())
    for name in saved_names():
        register(SavedMarkov(name), AsyncSavedMarkov(name))


@llm.hookimpl
def register_commands(cli: Any) -> None:
    """Add the ``llm markov`` command group."""
    from llm_markov_rs.command_group import markov_group

    cli.add_command(markov_group)


def __getattr__(name: str) -> Any:
    # Imported when first asked for, not on every llm command.
    if name == "train_chain":
        from llm_markov_rs.train import train_chain

        return train_chain
    if name == "train_on_dask":
        from llm_markov_rs.cluster import train_on_dask

        return train_on_dask
    if name == "merge_chains":
        from llm_markov_rs.merge import merge_chains

        return merge_chains
    if name == "SavedChainInfo":
        from llm_markov_rs.info import SavedChainInfo

        return SavedChainInfo
    # From the installed package's metadata, whose version maturin takes
    # from Cargo.toml: reading it must not load the native extension.
    if name == "__version__":
        from importlib.metadata import version

        return version("llm-markov-rs")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
