"""Loading the native extension, late and with a clear error.

A plugin that fails to import stops every llm command, ``llm uninstall``
included, so the extension is imported only when the model runs.
"""

from __future__ import annotations

import platform
import sys
from functools import cache
from types import ModuleType

from llm_markov_rs.conflict import other_markov_plugin_note
from llm_markov_rs.errors import MarkovError


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
