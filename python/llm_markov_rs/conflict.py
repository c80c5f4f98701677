"""Noticing llm-markov 0.1, the pure-Python tutorial plugin, beside this one.

Both register a model called ``markov``. This plugin's hook runs last, so
its ``markov`` is the one llm uses, but the user should hear about the other
one rather than have it silently shadowed.
"""

from __future__ import annotations

#: The module of llm-markov 0.1, which llm loads as a plugin of that name.
OTHER_PLUGIN_MODULE = "llm_markov"


def other_markov_plugin_note() -> str | None:
    """A sentence about llm-markov 0.1 when llm has loaded it, else None.

    It reads llm's own list of loaded plugins: no file is touched, and a copy
    that llm was told not to load (``LLM_LOAD_PLUGINS``) competes with
    nothing.
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
