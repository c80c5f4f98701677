"""The plugin's one public error, and loading the native extension late,
with a clear error when it cannot load.

A plugin that fails to import stops every llm command, ``llm uninstall``
included, so the extension is imported only when a model or command runs.
llm-markov 0.1, the pure-Python tutorial plugin, also registers a model
called ``markov``: its presence is part of what an error here says.
"""

from __future__ import annotations

import platform
import sys
from functools import cache
from types import ModuleType

import llm

#: The module of llm-markov 0.1, which llm loads as a plugin of that name.
OTHER_PLUGIN_MODULE = "llm_markov"


class MarkovError(llm.ModelError, ValueError):
    """A problem with the markov model or its input, with what to do next.

    Every error a user can fix is one: a text with too few words, an option
    the chain cannot take, a saved chain that cannot be read, an extension
    that cannot load. The native module raises it too. It is an
    ``llm.ModelError``, and a ``ValueError`` so that the llm CLI prints it as
    ``Error: ...`` without a traceback.
    """


@cache
def load_native() -> ModuleType:
    """Import ``llm_markov_rs._markov``, or raise a MarkovError that says why
    it failed and how to repair the installation."""
    try:
        from llm_markov_rs import _markov
    except ImportError as error:
        message = (
            "llm-markov-rs's native extension could not be loaded "
            f"({error}) on {platform.system()} {platform.machine()}, "
            f"Python {sys.version.split()[0]}. Reinstall the plugin with "
            "'llm install --force-reinstall llm-markov-rs'; in a development "
            "checkout, rebuild it with 'maturin develop'."
        )
        if note := other_markov_plugin_note():
            message += " Also: " + note
        raise MarkovError(message) from error
    return _markov


def other_markov_plugin_note() -> str | None:
    """A sentence about llm-markov 0.1 when llm has loaded it, else None.

    This plugin's hook runs last, so its ``markov`` is the one llm uses, but
    the user should hear about the other one rather than have it silently
    shadowed. It reads llm's own list of loaded plugins: no file is touched,
    and a copy that llm was told not to load (``LLM_LOAD_PLUGINS``) competes
    with nothing.
    """
    from llm.plugins import pm

    if not any(
        getattr(plugin, "__name__", None) == OTHER_PLUGIN_MODULE
        for plugin in pm.get_plugins()
    ):
        return None
    return (
        "llm-markov 0.1 (the pure-Python tutorial plugin) is also installed "
        "and also registers a model called 'markov'; llm-markov-rs replaces "
        "it. Remove it with 'llm uninstall llm-markov -y'."
    )
